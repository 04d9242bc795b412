// `tessel calibrate` (docs/calibration.md): bad measurement files exit 2
// naming file, row and column; a fit writes an overlay that loads as --soc.

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "run_tessel.hpp"

namespace {

std::filesystem::path scratch(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("tessel_cli_calibrate_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir / name;
}

const std::string kHeader =
    "source,soc,chip,unit,kind,name,op,c,iy,ix,k,fy,fx,sy,sx,pad,act_bits,weight_bits,scope,"
    "network,cycles,note\n";

// A measurement file of the given rows under a header declaring source 'src'.
std::string csv(const std::string& name, const std::string& rows,
                const std::string& header = kHeader) {
  const auto p = scratch(name);
  std::ofstream(p) << "# source src: this test\n" << header << rows;
  return p.string();
}

RunResult calibrate(const std::string& file, const std::string& more = "") {
  return run_tessel("calibrate --soc gap9 --measurements " + file + " " + more);
}

}  // namespace

TEST_CASE("calibrate: bad measurement files exit 2 naming file, row and column", "[cli]") {
  const std::string good =
      "src,gap9,,cluster,layer,pw,pointwise,32,8,8,32,,,1,1,0,8,8,layer,,20000,\n";
  SECTION("a missing column") {
    std::string header = kHeader;
    header.replace(header.find("cycles,"), 7, "");
    const auto f = csv("missing.csv", "", header);
    const auto r = calibrate(f);
    CHECK(r.status == 2);
    CHECK(r.err.find(f + ":2: column 'cycles': missing from the header") != std::string::npos);
  }
  SECTION("an unknown unit") {
    const auto f = csv("unit.csv", good +
                                       "src,gap9,,npu,layer,pw,pointwise,32,8,8,32,,,1,1,0,"
                                       "8,8,layer,,20000,\n");
    const auto r = calibrate(f);
    CHECK(r.status == 2);
    CHECK(r.err.find(f + ":4: column 'unit': SoC 'gap9' has no unit 'npu'") != std::string::npos);
  }
  SECTION("non-numeric cycles") {
    const auto f = csv("cycles.csv",
                       "src,gap9,,cluster,layer,pw,pointwise,32,8,8,32,,,1,1,0,8,8,layer,,"
                       "12k,\n");
    const auto r = calibrate(f);
    CHECK(r.status == 2);
    CHECK(r.err.find(f + ":3: column 'cycles': expected a positive number, got '12k'") !=
          std::string::npos);
  }
  SECTION("a shape the unit cannot run") {
    const auto f = csv("shape.csv", good +
                                        "src,gap9,,ne16,layer,c5,conv,16,16,16,16,5,5,1,1,2,8,"
                                        "8,layer,,50000,\n");
    const auto r = calibrate(f);
    CHECK(r.status == 2);
    CHECK(r.err.find(f + ":4: column 'unit': unit 'ne16' cannot run this conv layer") !=
          std::string::npos);
  }
  SECTION("an undeclared source, a bad op") {
    auto f = csv("source.csv", "other" + good.substr(3));
    CHECK(calibrate(f).err.find(f + ":3: column 'source': 'other' is not declared") !=
          std::string::npos);
    f = csv("op.csv", "src,gap9,,cluster,layer,x,convolution,32,8,8,32,3,3,1,1,1,8,8,layer,,1,\n");
    CHECK(calibrate(f).err.find(f + ":3: column 'op': expected one of conv,") != std::string::npos);
  }
}

TEST_CASE("calibrate: the fitted overlay loads as --soc and lowers the error", "[cli]") {
  // Rows generated from gap9 with a cluster launch 1,500 cycles above its own.
  std::string rows;
  double launch = 0;
  const char* shapes[] = {"pointwise,32,8,8,32,,,1,1,0", "pointwise,64,16,16,64,,,1,1,0",
                          "conv,16,16,16,32,3,3,1,1,1"};
  for (const char* s : shapes) {
    const auto one = csv("one.csv", fmt::format("src,gap9,,cluster,layer,l,{},8,8,layer,,1,\n", s));
    const auto r = calibrate(one, "--params cluster.launch --json");
    REQUIRE(r.status == 0);
    const auto j = nlohmann::json::parse(r.out);
    const double before = j["rows"][0]["before"];
    launch = j["params"][0]["before"];
    rows += fmt::format("src,gap9,,cluster,layer,l,{},8,8,layer,,{},\n", s, before + 1500);
  }
  const auto f = csv("fit.csv", rows);
  const auto out = scratch("fitted.yaml").string();
  const auto r = calibrate(f, "--params cluster.launch=100:5000 --out " + out + " --json");
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.out);
  const double fitted = j["params"][0]["fitted"];
  CHECK(fitted == Approx(launch + 1500).epsilon(0.01));
  const auto show = run_tessel("socs show " + out + " --json");
  REQUIRE(show.status == 0);
  CHECK(show.out.find(fmt::format("{:.6g}", fitted)) != std::string::npos);
}

TEST_CASE("calibrate --cross-validate holds out each source", "[cli][slow]") {
  // Two sources of pointwise rows, 1,500 cycles above gap9's prediction each.
  std::string text = "# source a: this test\n# source b: this test\n" + kHeader;
  const char* shapes[] = {"pointwise,32,8,8,32,,,1,1,0", "pointwise,64,16,16,64,,,1,1,0",
                          "conv,16,16,16,32,3,3,1,1,1", "pointwise,16,8,8,64,,,1,1,0"};
  int i = 0;
  for (const char* s : shapes) {
    const auto one = csv("one.csv", fmt::format("src,gap9,,cluster,layer,l,{},8,8,layer,,1,\n", s));
    const auto r = calibrate(one, "--params cluster.launch --json");
    REQUIRE(r.status == 0);
    const double before = nlohmann::json::parse(r.out)["rows"][0]["before"];
    text += fmt::format("{},gap9,,cluster,layer,l{},{},8,8,layer,,{},\n", i % 2 ? "b" : "a", i, s,
                        before + 1500);
    ++i;
  }
  const auto f = scratch("cv.csv");
  std::ofstream(f) << text;
  const auto r = calibrate(f.string(), "--params cluster.launch=100:5000 --cross-validate --json");
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.out);
  REQUIRE(j["folds"].size() == 2);
  for (const auto& row : j["rows"])
    CHECK(row["held_out"].get<double>() == Approx(row["measured"].get<double>()).epsilon(0.01));
  CHECK(j["groups"][0]["name"] == "cluster");
  CHECK(j["groups"][0]["held_out"]["rows"] == 4);
  const auto text_out = calibrate(f.string(), "--params cluster.launch --cross-validate");
  REQUIRE(text_out.status == 0);
  CHECK(text_out.out.find("median held out") != std::string::npos);
}

TEST_CASE("socs show --fidelity: rows, error now and held out per unit", "[cli]") {
  const auto r = run_tessel("socs show cortex-m7 --fidelity --json");
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["soc"] == "cortex-m7");
  REQUIRE(j["units"].size() == 2);  // cpu, network
  CHECK(j["units"][1]["unit"] == "network");
  CHECK(j["units"][1]["rows"].size() == 16);
  CHECK(j["units"][1]["now"]["median"].get<double>() > 0);
  CHECK(j["record"]["matches"] == true);
  CHECK(j["units"][1]["held_out"]["rows"] == 16);
  const auto text = run_tessel("socs show gap9 --fidelity");
  REQUIRE(text.status == 0);
  CHECK(text.out.find("cluster") != std::string::npos);
  CHECK(text.out.find("held out: leave-one-source-out") != std::string::npos);
  SECTION("bad uses exit 2") {
    const auto bad = csv("bad.csv",
                         "src,gap9,,cluster,layer,x,conv,1,1,1,1,1,1,1,1,0,8,8,"
                         "layer,,-5,\n");
    const auto b = run_tessel("socs show gap9 --fidelity --measurements " + bad);
    CHECK(b.status == 2);
    CHECK(b.err.find(bad + ":3: column 'cycles'") != std::string::npos);
    CHECK(run_tessel("socs show gap9 --measurements " + bad).status == 2);
    const auto none = run_tessel("calibrate --soc diana");
    CHECK(none.status == 2);
    CHECK(none.err.find("SoC 'diana' has no shipped measurements") != std::string::npos);
  }
}
