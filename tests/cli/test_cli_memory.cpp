#include <catch2/catch.hpp>

#include <set>

#include <nlohmann/json.hpp>

#include "run_tessel.hpp"

namespace {

nlohmann::json explore_json(const std::string& args) {
  const auto r = run_tessel("explore --db '' --json " + args);
  INFO(r.err);
  REQUIRE(r.status == 0);
  return nlohmann::json::parse(r.out);
}

}  // namespace

TEST_CASE("tessel explore --max-memory trades latency for L2 and refuses what cannot fit",
          "[cli][memory][slow]") {
  const auto free = explore_json("--soc gap9 --model resnet8");
  const auto arena = free["memory_plan"]["levels"]["L2"]["arena_bytes"].get<std::int64_t>();
  const auto cycles = free["total"]["cycles"].get<double>();
  // gap9 keeps 64 KiB of L2 for code and runtime: a limit is the level's size,
  // the tensors get it less the reserve.
  const std::int64_t reserved = 64 * 1024;
  for (std::int64_t room : {arena - 1, arena * 3 / 4, arena / 2, std::int64_t{1024}}) {
    const auto limit = reserved + room;
    INFO("L2 limit " << limit);
    const auto j =
        explore_json("--soc gap9 --model resnet8 --max-memory L2=" + std::to_string(limit) + "B");
    CHECK(j["memory_plan"]["levels"]["L2"]["arena_bytes"].get<std::int64_t>() <= room);
    CHECK(j["total"]["cycles"].get<double>() >= cycles);
    // Streamed weights live in L3 and their layers run through two loop nests.
    CHECK(j["memory_plan"]["levels"]["L3"]["arena_bytes"].get<std::int64_t>() > 0);
    bool staged = false;
    for (const auto& l : j["layers"])
      staged = staged || l["loop_nests"].get<int>() == 2;
    CHECK(staged);
  }
  // An L2 of 1 KiB holds not even the code: refused, naming the smallest L2
  // found to fit, which does fit.
  const auto r = run_tessel("explore --db '' --soc gap9 --model resnet8 --max-memory L2=1KiB");
  CHECK(r.status == 2);
  CHECK(r.err.find("fits no memory plan within --max-memory L2=1KiB") != std::string::npos);
  const std::string found = "the smallest limits tessel finds to fit, doubling them: L2 = ";
  const auto at = r.err.find(found);
  REQUIRE(at != std::string::npos);
  const auto smallest = std::stoll(r.err.substr(at + found.size()));
  CHECK(smallest > reserved);
  CHECK(smallest < reserved + 1024);
  const auto fits =
      explore_json("--soc gap9 --model resnet8 --max-memory L2=" + std::to_string(smallest) + "B");
  CHECK(fits["memory_plan"]["levels"]["L2"]["arena_bytes"].get<std::int64_t>() <=
        smallest - reserved);
  for (const char* bad : {"L9=1KiB", "L2", "L2=-4KiB", "L2=2GiB"}) {
    INFO(bad);
    const auto b = run_tessel(std::string("explore --db '' --model resnet8 --max-memory ") + bad);
    CHECK(b.status == 2);
    CHECK(b.err.find("--max-memory") != std::string::npos);
  }
}

TEST_CASE("a gap9 whose weights live in L3 runs the cluster and NE16 through L2",
          "[cli][memory][slow]") {
  const std::string soc = TESSEL_SOURCE_DIR "/tests/data/soc/gap9_weights_l3.yaml";
  const auto j = explore_json("--soc " + soc + " --model resnet8");
  int staged = 0;
  for (const auto& l : j["layers"]) {
    if (l["unit"] == "cluster" || l["unit"] == "ne16")
      staged += l["loop_nests"].get<int>() == 2 ? 1 : 0;
  }
  CHECK(staged >= 8);
  CHECK(j["memory_plan"]["levels"]["L3"]["arena_bytes"].get<std::int64_t>() > 70000);
  CHECK(j["search"]["proven"] == true);
}

TEST_CASE("tessel explore --max-memory runs a chain in channel slices, unless told not to",
          "[cli][memory][partial][slow]") {
  const std::string soc = TESSEL_SOURCE_DIR "/tests/data/soc/gap9_weights_l3.yaml";
  const std::string args =
      "--soc " + soc + " --model mobilenetv2-0.35 --no-split --no-fusion --max-memory L2=164KiB";
  const auto sliced = explore_json(args);
  std::set<std::string> layers;  // the sliced layers, each slice a row of its own
  int slices = 0;
  for (const auto& l : sliced["layers"]) {
    if (l["slice"].is_null()) continue;
    ++slices;
    layers.insert(l["layer"].get<std::string>());
    CHECK(l["slice"]["begin"].get<int>() < l["slice"]["end"].get<int>());
  }
  CHECK(layers == std::set<std::string>{"block1.expand", "block1.dw", "block1.project"});
  CHECK(slices % 3 == 0);
  CHECK(sliced["memory_plan"]["levels"]["L2"]["arena_bytes"].get<std::int64_t>() <= 100 * 1024);
  const auto spilled = explore_json(args + " --no-partial-execution");
  for (const auto& l : spilled["layers"])
    CHECK(l["slice"].is_null());
  CHECK(sliced["total"]["cycles"].get<double>() < spilled["total"]["cycles"].get<double>());
  // The text table names each slice.
  const auto text = run_tessel("explore --db '' " + args);
  CHECK(text.out.find("block1.expand K[0:") != std::string::npos);
}
