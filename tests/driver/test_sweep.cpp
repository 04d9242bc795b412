// Sweep specs, points, unit removal, area, layer-result reuse and Pareto
// fronts (driver/sweep_spec.hpp, driver/sweep.hpp, driver/pareto.hpp).

#include <algorithm>
#include <filesystem>
#include <random>

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "core/errors.hpp"
#include "driver/pareto.hpp"
#include "driver/sweep.hpp"
#include "driver/sweep_spec.hpp"
#include "hwmodels/soc_loader.hpp"

using namespace tessel;
using driver::parse_sweep_spec;

namespace {

// The error a spec gives, or "" when it parses and expands.
std::string spec_error(const std::string& yaml) {
  try {
    driver::sweep_points(parse_sweep_spec(yaml, "spec.yaml"));
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::filesystem::path temp_db(const std::string& name) {
  const auto p = std::filesystem::temp_directory_path() /
                 ("tessel_sweep_" + std::to_string(::getpid()) + "_" + name + ".sqlite");
  for (const char* ext : {"", "-wal", "-shm"})
    std::filesystem::remove(p.string() + ext);
  return p;
}

}  // namespace

TEST_CASE("a grid spec expands into every combination, the last parameter fastest", "[sweep]") {
  const auto spec = parse_sweep_spec(R"(
soc: gap9
models: [dscnn]
parameters:
  memories.L1.size: [64 KiB, 128 KiB]
  dmas.cluster_dma.bandwidth: {range: [4 B/cycle, 16 B/cycle], steps: 3}
  units.ne16: [present, absent]
)",
                                     "spec.yaml");
  const auto points = driver::sweep_points(spec);
  REQUIRE(points.size() == 12);
  CHECK(points[0].params[1].second == "4 B/cycle");
  CHECK(points[2].params[1].second == "10 B/cycle");
  CHECK(points[1].params[2].second == "absent");
  CHECK(points[6].params[0].second == "128 KiB");
  CHECK(points[1].soc->units.size() == points[0].soc->units.size() - 1);
  CHECK(points[6].soc->levels[*points[6].soc->find_level("L1")].size() == 128 * 1024);
  std::set<std::string> ids;
  for (const auto& p : points)
    ids.insert(p.id);
  CHECK(ids.size() == 12);
  // The ids depend on the values, not on the order of the points.
  CHECK(driver::sweep_points(spec)[5].id == points[5].id);
}

TEST_CASE("Latin hypercube sampling uses every stratum of a range once", "[sweep]") {
  const auto spec = parse_sweep_spec(R"(
soc: gap9
models: [dscnn]
parameters:
  dmas.cluster_dma.bandwidth: {range: [1 B/cycle, 101 B/cycle]}
  memories.L1.size: [64 KiB, 96 KiB, 128 KiB, 256 KiB]
sampling: lhs
points: 20
seed: 7
)",
                                     "spec.yaml");
  const auto points = driver::sweep_points(spec);
  REQUIRE(points.size() == 20);
  std::set<int> strata;
  std::map<std::string, int> sizes;
  for (const auto& p : points) {
    const double bw = std::stod(p.params[0].second);
    strata.insert(static_cast<int>((bw - 1) / 5));  // 20 strata of 5 B/cycle
    ++sizes[p.params[1].second];
  }
  CHECK(strata.size() == 20);
  for (const auto& [size, n] : sizes)
    CHECK(n == 5);  // 20 strata over 4 values: 5 each
  // The same seed gives the same points; another seed others.
  CHECK(driver::sweep_points(spec)[3].params == points[3].params);
  auto other = spec;
  other.seed = 8;
  CHECK(driver::sweep_points(other)[3].params != points[3].params);
}

TEST_CASE("bad specs name the file, line and path", "[sweep]") {
  const std::string head = "soc: gap9\nmodels: [dscnn]\n";
  CHECK_THAT(
      spec_error(head + "parameters:\n  memories.L9.size: [64 KiB]\n"),
      Catch::Contains("parameters.memories.L9.size") && Catch::Contains("no memory named 'L9'"));
  CHECK_THAT(spec_error(head + "parameters:\n  memories.L1.size: [64 KiB, 12 parsecs]\n"),
             Catch::Contains("parameters.memories.L1.size: value '12 parsecs'"));
  CHECK_THAT(spec_error(head + "parameters:\n  memories.L1.size: []\n"),
             Catch::Contains("spec.yaml:4: parameters.memories.L1.size: empty list"));
  CHECK_THAT(spec_error(head + "parameters:\n  memories.L1.size: [64 KiB]\nsampling: sobol\n"),
             Catch::Contains("spec.yaml:5: sampling: unknown sampling 'sobol'"));
  CHECK_THAT(spec_error(head + "parameters:\n  memories.L1.size: [0 B]\n"),
             Catch::Contains("parameters.memories.L1.size: value '0 B'"));
  CHECK_THAT(spec_error(head + "parameters:\n  units.ne16: [gone]\n"),
             Catch::Contains("expected present or absent"));
  CHECK_THAT(spec_error(head + "parameters:\n  units.npu: [absent]\n"),
             Catch::Contains("no unit named 'npu'"));
  CHECK_THAT(spec_error(head + "paramters: {}\n"),
             Catch::Contains("spec.yaml:3: paramters: unknown key"));
  CHECK_THAT(
      spec_error(head + "parameters:\n  memories.L1.size: {range: [64 KiB, 1 MiB], steps: 2}\n"),
      Catch::Contains("both ends need the same unit"));
  CHECK_THAT(spec_error(head + "parameters:\n  memories.L1.size: {range: [64 KiB, 128 KiB]}\n"),
             Catch::Contains("a grid needs the range's steps"));
  CHECK_THAT(spec_error(head + "objective: speed\nparameters:\n  memories.L1.size: [64 KiB]\n"),
             Catch::Contains("speed"));
  CHECK_THAT(spec_error(head + "parameters:\n  memories.L1.size: [64 KiB]\nsampling: random\n"),
             Catch::Contains("needs points: N"));
}

TEST_CASE("a spec may turn splits and fusion off; its hash and JSON carry them", "[sweep]") {
  const std::string head =
      "soc: gap9\nmodels: [dscnn]\nparameters:\n  memories.L1.size: [64 KiB]\n";
  const auto on = parse_sweep_spec(head, "spec.yaml");
  const auto off = parse_sweep_spec(head + "split: false\nfusion: false\n", "spec.yaml");
  CHECK(on.settings.split);
  CHECK(on.settings.fusion);
  CHECK_FALSE(off.settings.split);
  CHECK_FALSE(off.settings.fusion);
  CHECK(driver::spec_hash(on) != driver::spec_hash(off));
  const auto back = driver::spec_from_json(driver::spec_to_json(off));
  CHECK_FALSE(back.settings.split);
  CHECK_FALSE(back.settings.fusion);
  CHECK_THAT(spec_error(head + "fusion: maybe\n"),
             Catch::Contains("spec.yaml:5: fusion: expected true or false, got 'maybe'"));
}

TEST_CASE("a --set item adds or replaces a parameter", "[sweep]") {
  auto spec = driver::default_sweep_spec("gap9");
  driver::add_set(spec, "memories.L1.size=64KiB,128KiB");
  driver::add_set(spec, "dmas.cluster_dma.bandwidth=range(4 B/cycle,16 B/cycle,4)");
  REQUIRE(spec.parameters.size() == 2);
  CHECK(spec.parameters[1].values ==
        std::vector<std::string>{"4 B/cycle", "8 B/cycle", "12 B/cycle", "16 B/cycle"});
  driver::add_set(spec, "memories.L1.size=256KiB");
  CHECK(spec.parameters[0].values == std::vector<std::string>{"256KiB"});
  CHECK_THROWS_WITH(driver::add_set(spec, "memories.L1.size"), Catch::Contains("PATH=V1,V2"));
  CHECK_THROWS_WITH(driver::add_set(spec, "x=range(1,2)"), Catch::Contains("range(LO,HI,STEPS)"));
}

TEST_CASE("removing a unit removes the memories only it reaches", "[sweep][soc]") {
  const auto diana = hw::load_soc("diana");
  const auto no_digital = hw::apply_overrides(*diana, {{"units.digital", "absent"}});
  CHECK_FALSE(no_digital->find_unit("digital"));
  CHECK_FALSE(no_digital->find_level("weight_mem"));  // the PE array's private weight memory
  CHECK(no_digital->find_level("act_mem"));           // shared with the analog array
  const auto* dma =
      no_digital->dma_for(*no_digital->find_level("L2"), *no_digital->find_level("act_mem"));
  REQUIRE(dma != nullptr);
  CHECK(dma->links.size() == 2);  // L2 -> weight_mem is gone
  const auto same = hw::apply_overrides(*diana, {{"units.digital", "present"}});
  CHECK(same->units.size() == diana->units.size());
  const auto gap9 = hw::load_soc("gap9");
  const auto no_ne16 = hw::apply_overrides(*gap9, {{"units.ne16", "absent"}});
  CHECK(no_ne16->levels.size() == gap9->levels.size());  // L1 stays for the cluster
}

TEST_CASE("area figures add up; units of area are checked", "[sweep][soc]") {
  const auto gap9 = hw::load_soc("gap9");
  const auto base = hw::soc_area(*gap9);
  CHECK(base.missing.empty());  // the shipped targets give every item an area
  CHECK(base.mm2 == Approx(4.27));
  const auto with = hw::apply_overrides(
      *gap9, {{"memories.L1.area", "0.25 mm2"}, {"units.ne16.area", "400000 um2"}});
  CHECK(hw::soc_area(*with).mm2 == Approx(base.mm2 - 0.3 + 0.25 - 0.3 + 0.4));
  const auto no_ne16 = hw::apply_overrides(*gap9, {{"units.ne16", "absent"}});
  CHECK(hw::soc_area(*no_ne16).mm2 == Approx(base.mm2 - 0.3));
  const auto none =
      hw::load_soc(std::string(TESSEL_SOURCE_DIR) + "/tests/data/soc/gap9_weights_l3.yaml");
  CHECK_FALSE(hw::soc_area(*none).missing.empty());
  CHECK_THROWS_WITH(hw::apply_overrides(*gap9, {{"memories.L1.area", "3 acres"}}),
                    Catch::Contains("an area such as '0.5 mm2'"));
}

TEST_CASE("a unit's context hash ignores what its searches do not read", "[sweep]") {
  const auto gap9 = hw::load_soc("gap9");
  const int cluster = *gap9->find_unit("cluster"), ne16 = *gap9->find_unit("ne16");
  const auto launch = hw::apply_overrides(*gap9, {{"units.ne16.launch", "999 cycles"}});
  CHECK(launch->unit_context_hash(cluster) == gap9->unit_context_hash(cluster));
  CHECK(launch->unit_context_hash(ne16) != gap9->unit_context_hash(ne16));
  const auto l1 = hw::apply_overrides(*gap9, {{"memories.L1.size", "64 KiB"}});
  CHECK(l1->unit_context_hash(cluster) != gap9->unit_context_hash(cluster));
}

TEST_CASE("layer results reused across points give the rows of a sweep without reuse",
          "[sweep][slow]") {
  const auto spec = parse_sweep_spec(R"(
soc: gap9
models: [dscnn, autoencoder]
parameters:
  units.ne16.launch: [100 cycles, 2000 cycles]
  units.ne16: [present, absent]
  memories.L1.size: [64 KiB, 128 KiB]
)",
                                     "spec.yaml");
  const driver::SweepPlan reuse(spec, true), fresh(spec, false);
  for (std::size_t i = 0; i < reuse.points().size(); ++i) {
    const auto a = reuse.run(i), b = fresh.run(i);
    CHECK(driver::point_row_to_json({a.point, a.index, a.params, a.area_mm2, 0, a.models}) ==
          driver::point_row_to_json({b.point, b.index, b.params, b.area_mm2, 0, b.models}));
  }
  CHECK(reuse.cache_hits() > fresh.cache_hits());
  CHECK(reuse.searches_run() < fresh.searches_run());
}

TEST_CASE("a sweep writes whole points and resumes without running them again", "[sweep]") {
  const auto db = temp_db("resume");
  const auto spec = parse_sweep_spec(
      "soc: gap9\nmodels: [autoencoder]\nparameters:\n  memories.L1.size: [32 KiB, 64 KiB, 128 "
      "KiB]\n  memories.L1.reserved: [0 B, 8 KiB]\n",
      "spec.yaml");
  const driver::SweepPlan plan(spec);
  {
    driver::SweepStore store(db.string(), plan, false, "test");
    store.put(plan.run(4));
    store.put(plan.run(1));
  }
  CHECK_THROWS_WITH(driver::run_sweep(plan, {db.string(), false, "test", {}}),
                    Catch::Contains("--resume"));
  std::vector<std::size_t> seen;
  const auto out = driver::run_sweep(
      plan,
      {db.string(), true, "test", [&](std::size_t done, std::size_t) { seen.push_back(done); }});
  CHECK(out.skipped == 2);
  REQUIRE(out.rows.size() == 6);
  for (std::size_t i = 0; i < 6; ++i)
    CHECK(out.rows[i].index == i);
  CHECK(seen.front() == 2);
  CHECK(seen.back() == 6);
  const driver::SweepPlan again(spec);
  const auto second = driver::run_sweep(again, {db.string(), true, "test", {}});
  CHECK(second.skipped == 6);
}

TEST_CASE("the Pareto front equals a brute force over random points", "[sweep]") {
  std::mt19937 gen(3);
  std::uniform_int_distribution<int> d(0, 20);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<std::vector<double>> v(40, std::vector<double>(3));
    for (auto& row : v)
      for (auto& x : row)
        x = d(gen);
    std::vector<std::size_t> brute;
    for (std::size_t i = 0; i < v.size(); ++i) {
      bool dominated = false;
      for (std::size_t j = 0; j < v.size(); ++j) {
        bool le = true, lt = false;
        for (int k = 0; k < 3; ++k) {
          le = le && v[j][k] <= v[i][k];
          lt = lt || v[j][k] < v[i][k];
        }
        dominated = dominated || (le && lt);
      }
      if (!dominated) brute.push_back(i);
    }
    CHECK(driver::pareto_front(v) == brute);
  }
}

TEST_CASE("a schema-3, 4 or 5 database gains the newer tables and columns when opened",
          "[sweep][store]") {
  for (const int version : {3, 4, 5}) {
    const auto db = temp_db(fmt::format("schema{}", version));
    { store::Database create(db.string()); }
    {
      SQLite::Database raw(db.string(), SQLite::OPEN_READWRITE);
      if (version == 3) {
        raw.exec("DROP TABLE sweep_results");
        raw.exec("DROP TABLE sweep_points");
        raw.exec("DROP TABLE sweeps");
      }
      if (version < 5) {
        raw.exec("ALTER TABLE schedule_layers DROP COLUMN contention_cycles");
        raw.exec("ALTER TABLE schedule_layers DROP COLUMN weight_bits");
      }
      raw.exec("ALTER TABLE runs DROP COLUMN complete");
      raw.exec("ALTER TABLE runs DROP COLUMN owner");
      raw.exec("ALTER TABLE networks DROP COLUMN source");
      raw.exec(fmt::format("UPDATE meta SET value='{}' WHERE key='schema_version'", version));
    }
    store::Database reopened(db.string());
    CHECK_FALSE(reopened.latest_sweep());  // the table exists again, empty
    SQLite::Database raw(db.string(), SQLite::OPEN_READONLY);
    CHECK(raw.execAndGet("SELECT value FROM meta WHERE key='schema_version'").getString() == "6");
    CHECK(raw.execAndGet("SELECT COUNT(*) FROM pragma_table_info('schedule_layers') WHERE name IN "
                         "('contention_cycles', 'weight_bits')")
              .getInt() == 2);
    CHECK(raw.execAndGet("SELECT COUNT(*) FROM pragma_table_info('runs') WHERE name IN "
                         "('complete', 'owner')")
              .getInt() == 2);
  }
}
