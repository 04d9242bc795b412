#include <catch2/catch.hpp>

#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "run_tessel.hpp"

namespace {
std::string temp_db(const std::string& name) {
  const auto p = std::filesystem::temp_directory_path() / name;
  for (const char* s : {"", "-wal", "-shm"})
    std::filesystem::remove(p.string() + s);
  return p.string();
}
}  // namespace

TEST_CASE("tessel explore --json reports totals, layers and search figures", "[cli][explore]") {
  const auto db = temp_db("tessel_cli_explore.sqlite");
  const auto r = run_tessel("explore --soc gap9 --model resnet8 --json --db " + db);
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["soc"] == "gap9");
  std::set<std::string> names;
  for (const auto& l : j["layers"])
    names.insert(l["layer"].get<std::string>());
  CHECK(names.size() == 14);  // a split layer's parts are rows of their own
  CHECK(j["total"]["cycles"].get<double>() > 0);
  CHECK(j["total"]["ms"].get<double>() == Approx(j["total"]["cycles"].get<double>() / 370e6 * 1e3));
  CHECK(j["total"]["energy_uj"].get<double>() > 0);
  CHECK(j["total"]["peak_bytes"].contains("L1"));
  CHECK(j["total"]["peak_bytes"].contains("L2"));
  CHECK(j["search"]["evaluated"].get<std::uint64_t>() > 0);
  CHECK(j["search"]["proven"] == true);
  CHECK(j["search"].contains("wall_s"));
  CHECK(j["search"].contains("evaluations_per_second"));
  double sum = 0;
  for (const auto& l : j["layers"]) {
    for (const char* key : {"layer", "op", "unit", "tile", "loop_order", "cycles", "compute_cycles",
                            "dma_cycles", "overhead_cycles", "energy_uj", "unit_level_bytes"})
      CHECK(l.contains(key));
    if (l["step_kind"] == "single") sum += l["cycles"].get<double>();
  }
  std::size_t concurrent = 0;
  for (const auto& st : j["networks"][0]["steps"]) {  // the steps of several parts, whole
    sum += st["cycles"].get<double>();
    concurrent += st["kind"] == "concurrent";
    CHECK(st["parts"].size() >= 2);
  }
  CHECK(concurrent > 0);  // resnet8 on gap9 splits layers across the cluster and NE16
  CHECK(sum == Approx(j["total"]["cycles"].get<double>()));
  CHECK(std::filesystem::exists(db));
}

TEST_CASE("tessel explore: the same totals with 1 and 2 threads", "[cli][explore]") {
  const auto a = run_tessel("explore --model dscnn --json --db '' --threads 1");
  const auto b = run_tessel("explore --model dscnn --json --db '' --threads 2");
  REQUIRE(a.status == 0);
  REQUIRE(b.status == 0);
  const auto ja = nlohmann::json::parse(a.out), jb = nlohmann::json::parse(b.out);
  CHECK(ja["total"] == jb["total"]);
  CHECK(ja["layers"] == jb["layers"]);
}

TEST_CASE("tessel explore rejects bad options with status 2 and writes nothing", "[cli][explore]") {
  const auto db = temp_db("tessel_cli_explore_bad.sqlite");
  for (const std::string args :
       {"--objective speed", "--mapper magic", "--store some", "--soc nowhere", "--model nonet",
        "--units cluster,nosuchunit", "--strategy guess", "--threads -1"}) {
    INFO(args);
    const auto r = run_tessel("explore " + args + " --db " + db);
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(r.err.find("error") != std::string::npos);
  }
  // An SoC where a layer fits no unit: the run that failed is not kept.
  const auto r = run_tessel("explore --model resnet8 --units ne16 --db " + db);
  CHECK(r.status == 2);
  CHECK(r.err.find("no unit of SoC 'gap9' can run layer") != std::string::npos);
}

TEST_CASE("tessel cost prints one mapping's breakdown and rejects illegal ones", "[cli][cost]") {
  const auto r = run_tessel(
      "cost --soc gap9 --model resnet8 --layer block1.conv1 --unit cluster --tile OY=8 "
      "--double-buffer all --json");
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["legal"] == true);
  CHECK(j["tiles"] == 4);
  const double total = j["cycles"]["total"];
  CHECK(total ==
        Approx(j["cycles"]["compute"].get<double>() + j["cycles"]["dma"].get<double>() +
               j["cycles"]["overhead"].get<double>() + j["cycles"]["stall"].get<double>()));
  // 256 x 256 weights, double-buffered, exceed DIANA's 64 KiB weight memory.
  const auto big = run_tessel(
      "cost --soc diana --model mobilenetv1 --layer block13.pw --unit digital --double-buffer "
      "all");
  CHECK(big.status == 2);
  CHECK(big.err.find("illegal mapping") != std::string::npos);
  CHECK(big.err.find("do not fit") != std::string::npos);
  const auto bad = run_tessel("cost --model resnet8 --layer conv1 --unit cluster --tile Q=3");
  CHECK(bad.status == 2);
  CHECK(bad.err.find("unknown dimension 'Q'") != std::string::npos);
  const auto buffers =
      run_tessel("cost --model resnet8 --layer conv1 --unit cluster --double-buffer I,X");
  CHECK(buffers.status == 2);
  CHECK(buffers.err.find("unknown operand 'X'") != std::string::npos);
  const auto nolayer = run_tessel("cost --model resnet8 --layer conv9 --unit cluster");
  CHECK(nolayer.status == 2);
  CHECK(nolayer.err.find("no layer 'conv9'") != std::string::npos);
}

TEST_CASE("tessel explore runs and lists every registered strategy", "[cli][explore]") {
  const auto help = run_tessel("explore --help");
  REQUIRE(help.status == 0);
  for (const char* s : {"auto", "exhaustive", "random", "annealing", "hillclimb"})
    CHECK(help.out.find(s) != std::string::npos);
  const auto r =
      run_tessel("explore --model dscnn --strategy hillclimb --budget 500 --db '' --json");
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["total"]["cycles"].get<double>() > 0);
  CHECK(j["search"]["proven"] == false);
  const auto bad = run_tessel("explore --model dscnn --strategy heuristic --db ''");
  CHECK(bad.status == 2);
  CHECK(bad.err.find("unknown search strategy 'heuristic' (auto, annealing, exhaustive, "
                     "hillclimb, random)") != std::string::npos);
}
