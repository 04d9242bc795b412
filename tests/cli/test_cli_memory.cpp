#include <catch2/catch.hpp>

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
          "[cli][memory]") {
  const auto free = explore_json("--soc gap9 --model resnet8");
  const auto arena = free["memory_plan"]["levels"]["L2"]["arena_bytes"].get<std::int64_t>();
  const auto cycles = free["total"]["cycles"].get<double>();
  for (std::int64_t limit : {arena - 1, arena * 3 / 4, arena / 2}) {
    INFO("L2 limit " << limit);
    const auto j =
        explore_json("--soc gap9 --model resnet8 --max-memory L2=" + std::to_string(limit) + "B");
    CHECK(j["memory_plan"]["levels"]["L2"]["arena_bytes"].get<std::int64_t>() <= limit);
    CHECK(j["total"]["cycles"].get<double>() >= cycles);
    // Streamed weights live in L3 and their layers run through two loop nests.
    CHECK(j["memory_plan"]["levels"]["L3"]["arena_bytes"].get<std::int64_t>() > 0);
    bool staged = false;
    for (const auto& l : j["layers"])
      staged = staged || l["loop_nests"].get<int>() == 2;
    CHECK(staged);
  }
  // Weights and activations in L3, ResNet8 still runs through a 1 KiB L2 ...
  const auto tiny = explore_json("--soc gap9 --model resnet8 --max-memory L2=1KiB");
  CHECK(tiny["memory_plan"]["levels"]["L2"]["arena_bytes"].get<std::int64_t>() <= 1024);
  CHECK(tiny["total"]["cycles"].get<double>() > cycles);
  // ... but not through 64 B: refused with the smallest limit found to fit.
  const auto r = run_tessel("explore --db '' --soc gap9 --model resnet8 --max-memory L2=64B");
  CHECK(r.status == 2);
  CHECK(r.err.find("fits no memory plan within --max-memory L2=64B") != std::string::npos);
  CHECK(r.err.find("the smallest limits tessel finds to fit, doubling them: L2 = ") !=
        std::string::npos);
  for (const char* bad : {"L9=1KiB", "L2", "L2=-4KiB", "L2=2GiB"}) {
    INFO(bad);
    const auto b = run_tessel(std::string("explore --db '' --model resnet8 --max-memory ") + bad);
    CHECK(b.status == 2);
    CHECK(b.err.find("--max-memory") != std::string::npos);
  }
}

TEST_CASE("a gap9 whose weights live in L3 runs the cluster and NE16 through L2", "[cli][memory]") {
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
