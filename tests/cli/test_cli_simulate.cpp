#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "run_tessel.hpp"

namespace {
std::string temp_path(const std::string& name) {
  const auto p = std::filesystem::temp_directory_path() / name;
  for (const char* s : {"", "-wal", "-shm"})
    std::filesystem::remove(p.string() + s);
  return p.string();
}
}  // namespace

TEST_CASE("tessel simulate compares analytical and simulated cycles per layer", "[cli][sim]") {
  const auto trace = temp_path("tessel_cli_trace.json");
  const auto r =
      run_tessel("simulate --soc gap9 --model resnet8 --no-split --json --trace " + trace);
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.out);
  REQUIRE(j["layers"].size() == 14);
  for (const auto& l : j["layers"]) {
    const double a = l["analytical_cycles"], s = l["simulated_cycles"];
    CHECK(std::abs(a - s) <= 0.03 * s);
  }
  const auto& net = j["networks"][0];
  CHECK(net["events"].get<int>() > 0);
  CHECK(net["stalls"].contains("input_fetch"));
  std::ifstream in(trace);
  const auto t = nlohmann::json::parse(in);
  int complete = 0;
  for (const auto& e : t["traceEvents"])
    complete += e["ph"] == "X";
  // Every start and end is an event; each job is one complete trace event.
  CHECK(complete * 2 == net["events"].get<int>());
  std::filesystem::remove(trace);
}

TEST_CASE("tessel simulate compares a split layer as one concurrent step", "[cli][sim][split]") {
  const auto r = run_tessel("simulate --soc gap9 --model dscnn --json");
  INFO(r.err);
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.out)["networks"][0];
  std::size_t concurrent = 0;
  for (const auto& st : j["steps"]) {
    if (st["kind"] != "concurrent") continue;
    ++concurrent;
    CHECK(st["layers"].size() == 1);  // one layer, its parts on several units
    CHECK(st["parts"].size() >= 2);
    CHECK(std::abs(st["difference_percent"].get<double>()) <= 3.0);
  }
  CHECK(concurrent >= 1);
  CHECK(std::abs(j["total"]["difference_percent"].get<double>()) <= 3.0);
  const auto off = run_tessel("simulate --soc gap9 --model dscnn --no-split --json");
  REQUIRE(off.status == 0);
  const auto off_json = nlohmann::json::parse(off.out);  // named: a temporary would die first
  for (const auto& st : off_json["networks"][0]["steps"])
    CHECK(st["kind"] != "concurrent");
  const auto bad = run_tessel("simulate --model dscnn --precision-policy sloppy");
  CHECK(bad.status == 2);
  CHECK(bad.err.find("unknown precision policy 'sloppy' (strict, allow-lower)") !=
        std::string::npos);
}

TEST_CASE("tessel simulate compares a channel-sliced chain as one fused step",
          "[cli][sim][partial][slow]") {
  // On gap9 MobileNetV2 0.35 runs block1's expand and (stride-2, on NE16)
  // depthwise in row slices (without splits).
  const auto r = run_tessel("simulate --model mobilenetv2-0.35 --no-split --json");
  INFO(r.err);
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.out)["networks"][0];
  std::size_t fused = 0;
  for (const auto& f : j["steps"]) {
    if (f["kind"] != "fused") continue;
    ++fused;
    CHECK(f["layers"].size() >= 2);
    CHECK(f["parts"].size() % f["layers"].size() == 0);
    CHECK(std::abs(f["difference_percent"].get<double>()) <= 3.0);
    // The parts are rows of the layer table too, and their analytical cycles add up.
    double parts = 0;
    for (const auto& name : f["parts"]) {
      for (const auto& row : j["layers"])
        if (row["layer"] == name) parts += row["analytical_cycles"].get<double>();
    }
    CHECK(parts == Approx(f["analytical_cycles"].get<double>()));
  }
  CHECK(fused >= 1);
  const auto text = run_tessel("simulate --model mobilenetv2-0.35 --no-split");
  CHECK(text.out.find("block1.expand -> block1.dw ") != std::string::npos);
}

TEST_CASE("tessel simulate compares a fused group as one step; --no-fusion turns it off",
          "[cli][sim][fusion]") {
  const auto r = run_tessel("simulate --model mobilenetv1 --no-split --json");
  INFO(r.err);
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.out)["networks"][0];
  std::size_t fused = 0;
  for (const auto& f : j["steps"]) {
    if (f["kind"] != "fused") continue;
    ++fused;
    CHECK(f["layers"].size() >= 2);  // the group's layers, in order
    for (const auto& name : f["parts"])
      CHECK(name.get<std::string>().find(" OY[") != std::string::npos);  // bands of rows
    CHECK(std::abs(f["difference_percent"].get<double>()) <= 3.0);
  }
  CHECK(fused >= 1);
  const auto off = run_tessel("explore --db '' --model mobilenetv1 --no-split --no-fusion --json");
  REQUIRE(off.status == 0);
  const auto off_json = nlohmann::json::parse(off.out);  // named: a temporary would die first
  for (const auto& row : off_json["layers"])
    CHECK(row["step_kind"] == "single");
}

TEST_CASE("tessel simulate replays a schedule stored by explore", "[cli][sim]") {
  const auto db = temp_path("tessel_cli_sim.sqlite");
  const auto e = run_tessel("explore --model dscnn --json --db " + db);
  REQUIRE(e.status == 0);
  const auto ej = nlohmann::json::parse(e.out);
  const auto s = run_tessel("simulate --model dscnn --db " + db + " --schedule 1 --json");
  REQUIRE(s.status == 0);
  const auto sj = nlohmann::json::parse(s.out);
  CHECK(sj["networks"][0]["total"]["analytical_cycles"].get<double>() ==
        Approx(ej["total"]["cycles"].get<double>()));
  const auto wrong = run_tessel("simulate --model resnet8 --db " + db + " --schedule 1");
  CHECK(wrong.status == 2);
  CHECK(wrong.err.find("maps network 'dscnn'") != std::string::npos);
  CHECK(run_tessel("simulate --model dscnn --db " + db + " --schedule 99").status == 2);
}

TEST_CASE("tessel simulate and validate reject bad input with status 2", "[cli][sim]") {
  const auto alias = run_tessel("simulate --model mlperf-tiny --trace /tmp/x.json");
  CHECK(alias.status == 2);
  CHECK(alias.err.find("--trace needs one network") != std::string::npos);
  CHECK(run_tessel("simulate --model resnet8 --layer nosuch").status == 2);
  CHECK(run_tessel("validate --samples 0").status == 2);
}

TEST_CASE("tessel validate reports the error distribution", "[cli][sim]") {
  const auto r = run_tessel("validate --soc diana --model dscnn --samples 300 --json");
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.out);
  const auto& n = j["networks"][0];
  CHECK(n["samples"] == 300);
  CHECK(n["median_abs_error_percent"].get<double>() <= n["p95_abs_error_percent"].get<double>());
  CHECK(n["p95_abs_error_percent"].get<double>() <= n["worst_abs_error_percent"].get<double>());
  CHECK(n["p95_abs_error_percent"].get<double>() < 5);
}
