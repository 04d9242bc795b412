#include <catch2/catch.hpp>

#include <filesystem>

#include <SQLiteCpp/SQLiteCpp.h>

#include "core/errors.hpp"
#include "core/zoo.hpp"
#include "hwmodels/soc_loader.hpp"
#include "mappers/network_mapper.hpp"
#include "store/database.hpp"

using namespace tessel;

namespace {

struct TempFile {
  std::filesystem::path path;
  explicit TempFile(const std::string& name) : path(std::filesystem::temp_directory_path() / name) {
    remove();
  }
  ~TempFile() { remove(); }
  void remove() const {
    for (const char* suffix : {"", "-wal", "-shm"})
      std::filesystem::remove(path.string() + suffix);
  }
};

std::int64_t scalar(const std::string& path, const std::string& sql) {
  SQLite::Database db(path);
  SQLite::Statement q(db, sql);
  REQUIRE(q.executeStep());
  return q.getColumn(0).getInt64();
}

}  // namespace

TEST_CASE("a stored schedule reads back identical", "[store]") {
  TempFile file("tessel_store_roundtrip.sqlite");
  const auto soc = hw::load_soc("gap9");
  const sim::Analytical model(soc);
  const auto g = zoo_model("resnet8");
  const auto result = mappers::map_network(g, model, {});
  std::int64_t schedule = 0;
  {
    store::Database db(file.path.string());
    const auto run =
        db.begin_run({"test", "latency", "tessel", "auto", 2, store::StoreMode::pareto});
    const auto net = db.put_network(run, g);
    schedule = db.put_result(run, net, db.put_soc(*soc), g, *soc, result, store::StoreMode::pareto);
    db.end_run(run, 1.0, result.evaluated, result.pruned);
  }
  store::Database db(file.path.string());
  const auto back = db.load_schedule(schedule);
  const auto& s = result.schedule;
  CHECK(back.network == "resnet8");
  CHECK(back.soc == "gap9");
  CHECK(back.soc_hash == soc->hash);
  CHECK(back.cycles == s.cycles);
  CHECK(back.energy == Approx(s.energy).epsilon(1e-12));
  CHECK(back.peak_bytes == s.peak_bytes);
  CHECK(back.level_names == s.level_names);
  REQUIRE(back.steps.size() == s.steps.size());
  CHECK(back.tensors.size() == s.tensors.size());
  std::size_t concurrent = 0, fused = 0;
  for (std::size_t i = 0; i < s.steps.size(); ++i) {
    CHECK(back.steps[i].kind == s.steps[i].kind);
    CHECK(back.steps[i].transition_cycles == s.steps[i].transition_cycles);
    CHECK(back.steps[i].sync_cycles == s.steps[i].sync_cycles);
    CHECK(back.steps[i].contention_cycles == s.steps[i].contention_cycles);
    CHECK(back.steps[i].cycles == s.steps[i].cycles);
    concurrent += s.steps[i].kind == ScheduleStep::Kind::concurrent;
    fused += s.steps[i].kind == ScheduleStep::Kind::fused;
  }
  CHECK(concurrent > 0);  // resnet8 on gap9 splits layers across NE16 and the cluster
  CHECK(fused > 0);       // and fuses block1's convolutions (their bands over OY)
  const auto parts = s.parts(), back_parts = back.parts();
  REQUIRE(back_parts.size() == parts.size());
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& a = *parts[i];
    const auto& b = *back_parts[i];
    CHECK(b.slice == a.slice);
    CHECK(b.weight_bits == a.weight_bits);
    CHECK(b.layer == a.layer);
    CHECK(b.unit_name == a.unit_name);
    CHECK(b.mapping.inner().tile == a.mapping.inner().tile);
    CHECK(b.mapping.inner().order == a.mapping.inner().order);
    CHECK(b.mapping.inner().double_buffer == a.mapping.inner().double_buffer);
    CHECK(b.mapping.unrolling == a.mapping.unrolling);
    CHECK(b.mapping.depth == a.mapping.depth);
    CHECK(b.mapping.home == a.mapping.home);  // a fused intermediate at the unit's level
    CHECK(b.cost.cycles == a.cost.cycles);
    CHECK(b.cost.energy == a.cost.energy);
    CHECK(b.cost.bytes_held == a.cost.bytes_held);
    CHECK(b.cost.transfers == a.cost.transfers);
  }
  // The Pareto fronts of every layer-unit search are there too.
  CHECK(scalar(file.path.string(), "SELECT COUNT(*) FROM candidates WHERE kind='pareto'") >=
        static_cast<std::int64_t>(result.searches_run));
}

TEST_CASE("two runs in one file stay apart; a failed run leaves nothing", "[store]") {
  TempFile file("tessel_store_runs.sqlite");
  const auto soc = hw::load_soc("gap9");
  const sim::Analytical model(soc);
  const auto g = zoo_model("dscnn");
  std::vector<std::int64_t> runs;
  for (auto mapper : {mappers::MapperKind::tessel, mappers::MapperKind::dory}) {
    store::Database db(file.path.string());
    mappers::NetworkOptions opt;
    opt.mapper = mapper;
    const auto result = mappers::map_network(g, model, opt);
    const auto run = db.begin_run({"test", "latency", std::string(mappers::mapper_name(mapper)),
                                   "auto", 1, store::StoreMode::best});
    db.put_result(run, db.put_network(run, g), db.put_soc(*soc), g, *soc, result,
                  store::StoreMode::best);
    db.end_run(run, 1.0, result.evaluated, result.pruned);
    runs.push_back(run);
  }
  store::Database db(file.path.string());
  REQUIRE(runs[0] != runs[1]);
  const auto a = db.schedules_of_run(runs[0]);
  const auto b = db.schedules_of_run(runs[1]);
  REQUIRE(a.size() == 1);
  REQUIRE(b.size() == 1);
  CHECK(db.load_schedule(a[0]).mapper == "tessel");
  CHECK(db.load_schedule(b[0]).mapper == "dory");
  CHECK(scalar(file.path.string(), "SELECT COUNT(*) FROM socs") == 1);  // shared by hash
  CHECK(scalar(file.path.string(), "SELECT COUNT(*) FROM networks") == 2);

  const auto doomed = db.begin_run({"test", "latency", "tessel", "auto", 1, store::StoreMode::all});
  db.put_network(doomed, g);
  db.discard_run(doomed);
  CHECK(scalar(file.path.string(), "SELECT COUNT(*) FROM runs") == 2);
  CHECK(scalar(file.path.string(), "SELECT COUNT(*) FROM networks") == 2);
}

TEST_CASE("store mode all streams every evaluated candidate", "[store]") {
  TempFile file("tessel_store_all.sqlite");
  const auto soc = hw::load_soc("gap9");
  const sim::Analytical model(soc);
  const auto g = zoo_model("autoencoder");
  store::Database db(file.path.string());
  const auto run = db.begin_run({"test", "latency", "tessel", "auto", 2, store::StoreMode::all});
  const auto net = db.put_network(run, g);
  db.begin_candidate_stream(run, *soc);
  std::vector<std::int64_t> ids;
  for (std::size_t i = 0; i < g.layers().size(); ++i)
    ids.push_back(db.layer_id(net, i));
  std::atomic<std::uint64_t> seen{0};
  mappers::NetworkOptions opt;
  opt.on_candidate = [&](std::size_t layer, const Mapping& m, const Cost& c) {
    ++seen;
    db.stream_candidate(ids[layer], m, c);
  };
  const auto result = mappers::map_network(g, model, opt);
  db.flush_candidates();
  db.put_result(run, net, db.put_soc(*soc), g, *soc, result, store::StoreMode::all);
  CHECK(seen.load() > 0);
  CHECK(scalar(file.path.string(), "SELECT COUNT(*) FROM candidates WHERE kind='evaluated'") ==
        static_cast<std::int64_t>(seen.load()));
}

TEST_CASE("a file that is not a tessel database is refused", "[store]") {
  TempFile file("tessel_store_bad.sqlite");
  {
    SQLite::Database raw(file.path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    raw.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)");
    raw.exec("INSERT INTO meta VALUES ('schema_version', '99')");
  }
  CHECK_THROWS_AS(store::Database(file.path.string()), StoreError);
  CHECK_THROWS_AS(store::Database("/nonexistent/dir/x.sqlite"), StoreError);
}
