// Leave-one-source-out cross-validation and the fidelity report
// (docs/calibration.md).
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include <fmt/format.h>

#include "calib/cross_validate.hpp"
#include "calib/fidelity.hpp"
#include "calib/report.hpp"
#include "calib_fixtures.hpp"
#include "core/errors.hpp"
#include "hwmodels/soc_loader.hpp"

using namespace tessel;

namespace {

// Layer rows on the cluster from three sources, cycles generated from a
// launch of 450 and 24 cycles per block, times (1 + noise).
std::vector<calib::Measurement> three_source_rows(double noise_sigma) {
  const auto path = std::filesystem::temp_directory_path() /
                    fmt::format("tessel_cv_{}.csv", static_cast<long>(::getpid()));
  std::string csv = "# source a: test\n# source b: test\n# source c: test\n";
  csv +=
      "source,soc,chip,unit,kind,name,op,c,iy,ix,k,fy,fx,sy,sx,pad,act_bits,weight_bits,scope,"
      "network,cycles,note\n";
  const char* shapes[] = {"conv,8,16,16,16,3,3,1,1,1",   "conv,16,8,8,32,3,3,1,1,1",
                          "pointwise,32,8,8,64,,,1,1,0", "pointwise,16,16,16,16,,,1,1,0",
                          "conv,4,32,32,8,3,3,2,2,1",    "dense,256,,,10,,,1,1,"};
  int i = 0;
  for (const char* s : shapes) {
    const char source = static_cast<char>('a' + i % 3);
    csv += fmt::format("{},tiny,,cluster,layer,l{},{},8,8,layer,,1,\n", source, i++, s);
  }
  std::ofstream(path) << csv;
  auto rows = calib::read_measurements(path.string()).rows;
  std::filesystem::remove(path);
  const auto base = cluster_soc();
  const auto params = calib::parameters(*base, {"cluster.launch", "cluster.params.block_cycles"});
  const auto exact = calib::predict(calib::with_values(*base, params, {450, 24}), rows);
  std::mt19937 rng(11);
  std::normal_distribution<double> noise(0.0, noise_sigma);
  for (std::size_t r = 0; r < rows.size(); ++r)
    rows[r].cycles = exact[r] * (1 + (noise_sigma > 0 ? noise(rng) : 0.0));
  return rows;
}

std::vector<std::size_t> all_rows(std::size_t n) {
  std::vector<std::size_t> out(n);
  for (std::size_t i = 0; i < n; ++i)
    out[i] = i;
  return out;
}

}  // namespace

TEST_CASE("cross-validation predicts each source with values fitted without it", "[calib]") {
  const auto base = cluster_soc();
  const auto params =
      calib::parameters(*base, {"cluster.launch", "cluster.params.block_cycles=1:100"});
  SECTION("without noise: every fold finds the truth, held-out rows are exact") {
    const auto rows = three_source_rows(0);
    const auto cv = calib::cross_validate(base, rows, params);
    REQUIRE(cv.folds.size() == 3);
    for (const auto& f : cv.folds) {
      REQUIRE(f.fitted);
      CHECK(f.values[0] == Approx(450).epsilon(1e-3));
      CHECK(f.values[1] == Approx(24).epsilon(1e-3));
    }
    for (std::size_t i = 0; i < rows.size(); ++i)
      CHECK(cv.held_out[i] == Approx(rows[i].cycles).epsilon(1e-3));
  }
  SECTION("with 2 % noise: held out is worse than fitted, both far better than before") {
    const auto rows = three_source_rows(0.02);
    const auto fit = calib::calibrate(base, rows, params);
    const auto cv = calib::cross_validate(base, rows, params);
    const auto all = all_rows(rows.size());
    const auto before = calib::error_stats(fit.before, rows, all);
    const auto after = calib::error_stats(fit.after, rows, all);
    const auto held = calib::error_stats(cv.held_out, rows, all);
    CHECK(before.median > 0.05);
    CHECK(held.worst < 0.08);
    CHECK(held.median >= after.median - 1e-9);
    // The per-unit and per-source reports carry the held-out figures.
    const auto j = calib::report_json(fit, &cv, "");
    CHECK(j["groups"][0]["name"] == "cluster");
    CHECK(j["groups"][0]["held_out"]["worst"].get<double>() == Approx(held.worst));
    CHECK(j["sources"].size() == 4);  // a, b, c, all
    CHECK(j["folds"].size() == 3);
  }
  SECTION("a fold with fewer rows left than parameters is not held out") {
    auto rows = three_source_rows(0);
    rows.resize(3);  // one row per source: two left per fold, three parameters
    const auto three = calib::parameters(
        *base, {"cluster.launch", "cluster.params.block_cycles", "cluster.tile_overhead"});
    const auto cv = calib::cross_validate(base, rows, three);
    for (const auto& f : cv.folds)
      CHECK_FALSE(f.fitted);
    CHECK(calib::held_out_rows(cv, all_rows(rows.size())).empty());
  }
  SECTION("one source cannot be held out") {
    auto rows = three_source_rows(0);
    for (auto& r : rows)
      r.source = "a";
    CHECK_THROWS_WITH(calib::cross_validate(base, rows, params),
                      Catch::Contains("needs at least two"));
  }
}

TEST_CASE("the fidelity report shows a record only when it was made on this model", "[calib]") {
  const auto base = cluster_soc();
  calib::MeasurementSet set;
  set.rows = three_source_rows(0.02);
  const auto now = calib::fidelity(base, set, std::nullopt);
  REQUIRE(now.units.size() == base->units.size());  // no network rows
  const auto cluster = std::find_if(now.units.begin(), now.units.end(),
                                    [](const auto& u) { return u.unit == "cluster"; });
  REQUIRE(cluster != now.units.end());
  CHECK(cluster->rows.size() == 6);
  CHECK(cluster->sources == std::vector<std::string>{"a", "b", "c"});
  auto record_with = [&](double median) {
    nlohmann::json j = {
        {"command", "tessel calibrate"},
        {"date", "2026-12-07"},
        {"params", {"cluster.launch"}},
        {"groups",
         {{{"name", "cluster"},
           {"before", {{"rows", 6}, {"median", median}, {"worst", cluster->now.worst}}},
           {"held_out", {{"rows", 6}, {"median", 0.01}, {"worst", 0.02}}}}}}};
    return calib::parse_held_out(j, "record.json");
  };
  const auto matching = calib::fidelity(base, set, record_with(cluster->now.median));
  CHECK(matching.record_matches);
  const auto& u = *std::find_if(matching.units.begin(), matching.units.end(),
                                [](const auto& x) { return x.unit == "cluster"; });
  REQUIRE(u.recorded);
  CHECK(u.recorded->held_out.worst == Approx(0.02));
  const auto stale = calib::fidelity(base, set, record_with(cluster->now.median + 0.01));
  CHECK_FALSE(stale.record_matches);
  for (const auto& x : stale.units)
    CHECK_FALSE(x.recorded);
  CHECK_THROWS_WITH(calib::parse_held_out(nlohmann::json::object(), "r.json"),
                    Catch::Contains("r.json: not a held-out record"));
}

TEST_CASE("the shipped held-out records match the shipped targets", "[calib]") {
  // A record is made by scripts/validation.py on the target as shipped; when the
  // model or a parameter changes, the error it recorded no longer matches and
  // `socs show --fidelity` would hide it: remake the records then.
  for (const auto& name : calib::builtin_measurement_names()) {
    INFO(name);
    const auto record = calib::builtin_held_out(name);
    REQUIRE(record);
    const auto f = calib::fidelity(hw::load_soc(name), calib::builtin_measurements(name), record);
    CHECK(f.record_matches);
  }
}
