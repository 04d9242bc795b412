// The results database under failure (docs/reliability.md): runs seen only
// once complete, the runs of killed writers removed, several writers on one
// file, a lock held too long, a failing candidate writer.

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include "core/errors.hpp"
#include "core/zoo.hpp"
#include "hwmodels/soc_loader.hpp"
#include "mappers/network_mapper.hpp"
#include "store/database.hpp"

using namespace tessel;

namespace {

std::string temp_db(const std::string& name) {
  const auto p = std::filesystem::temp_directory_path() /
                 ("tessel_reliability_" + std::to_string(::getpid()) + "_" + name + ".sqlite");
  for (const char* suffix : {"", "-wal", "-shm"})
    std::filesystem::remove(p.string() + suffix);
  return p.string();
}

std::int64_t scalar(const std::string& path, const std::string& sql) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  return db.execAndGet(sql).getInt64();
}

// The mapped network every test writes (mapped once: the children of fork()
// reuse it without starting the search's threads).
struct Fixture {
  std::shared_ptr<const hw::Soc> soc = hw::load_soc("gap9");
  Graph graph = zoo_model("dscnn");
  mappers::NetworkResult result;
  Fixture() { result = mappers::map_network(graph, sim::Analytical(soc), {}); }
};
const Fixture& fixture() {
  static const Fixture f;
  return f;
}

// Writes one run of the fixture; ends it only when `end`.
std::int64_t write_run(store::Database& db, bool end) {
  const auto& f = fixture();
  const auto run = db.begin_run({"test", "latency", "tessel", "auto", 1, store::StoreMode::pareto});
  const auto net = db.put_network(run, f.graph);
  db.put_result(run, net, db.put_soc(*f.soc), f.graph, *f.soc, f.result, store::StoreMode::pareto);
  if (end) db.end_run(run, 1.0, f.result.evaluated, f.result.pruned);
  return run;
}

// Runs `body` in a child process; returns its exit status (0: no exception).
int in_child(const std::function<void()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    int code = 0;
    try {
      body();
    } catch (...) {
      code = 1;
    }
    ::_exit(code);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Sets TESSEL_LOCK_TIMEOUT for the scope.
struct LockTimeout {
  explicit LockTimeout(const char* seconds) { ::setenv("TESSEL_LOCK_TIMEOUT", seconds, 1); }
  ~LockTimeout() { ::unsetenv("TESSEL_LOCK_TIMEOUT"); }
};

std::int64_t rows_of_runs(const std::string& path) {
  std::int64_t n = 0;
  for (const char* table : {"runs", "networks", "layers", "schedules", "schedule_layers",
                            "schedule_tensors", "schedule_memory", "candidates"})
    n += scalar(path, std::string("SELECT COUNT(*) FROM ") + table);
  return n;
}

}  // namespace

TEST_CASE("a run is seen only once complete; a killed writer's run goes at the next open",
          "[store][reliability]") {
  const auto path = temp_db("killed");
  fixture();
  // The child writes a whole run but dies before ending it, as if killed.
  REQUIRE(in_child([&] {
            store::Database db(path);
            write_run(db, false);
            ::_exit(0);
          }) == 0);
  const auto schedule = scalar(path, "SELECT MAX(id) FROM schedules");
  const auto run = scalar(path, "SELECT MAX(id) FROM runs");
  {
    store::Database reader(path, store::Access::read);
    CHECK(reader.schedules_of_run(run).empty());
    CHECK_THROWS_WITH(reader.load_schedule(schedule),
                      Catch::Contains("has not completed") && Catch::Contains(path));
  }
  CHECK(scalar(path, "SELECT COUNT(*) FROM runs") == 1);  // a reader removes nothing
  { store::Database writer(path); }
  CHECK(rows_of_runs(path) == 0);
  CHECK(scalar(path, "SELECT COUNT(*) FROM socs") == 1);  // shared rows stay
  // A new run lands whole after the cleanup.
  store::Database db(path);
  const auto next = write_run(db, true);
  CHECK(db.schedules_of_run(next).size() == 1);
}

TEST_CASE("the run of a live process is left alone by other writers", "[store][reliability]") {
  const auto path = temp_db("live");
  store::Database first(path);
  const auto run = write_run(first, false);
  store::Database second(path);  // opening for writing removes only dead owners' runs
  CHECK(scalar(path, "SELECT COUNT(*) FROM runs") == 1);
  CHECK(second.schedules_of_run(run).empty());
  first.end_run(run, 1.0, 0, 0);
  CHECK(second.schedules_of_run(run).size() == 1);
}

TEST_CASE("two processes writing one file both land every run whole", "[store][reliability]") {
  const auto path = temp_db("two_writers");
  fixture();
  constexpr int kRuns = 6;
  std::vector<pid_t> children;
  for (int w = 0; w < 2; ++w) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      int code = 0;
      try {
        for (int i = 0; i < kRuns; ++i) {
          store::Database db(path);
          write_run(db, true);
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "writer %d: %s\n", w, e.what());
        code = 1;
      }
      ::_exit(code);
    }
    children.push_back(pid);
  }
  for (const auto pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  CHECK(scalar(path, "SELECT COUNT(*) FROM runs WHERE complete = 1") == 2 * kRuns);
  CHECK(scalar(path, "SELECT COUNT(*) FROM schedules") == 2 * kRuns);
  CHECK(scalar(path, "SELECT COUNT(*) FROM socs") == 1);
  // Every run holds the same rows.
  CHECK(scalar(path,
               "SELECT COUNT(DISTINCT n) FROM (SELECT COUNT(*) AS n FROM candidates GROUP BY "
               "run_id)") == 1);
  CHECK(scalar(path, "SELECT COUNT(DISTINCT run_id) FROM candidates") == 2 * kRuns);
  SQLite::Database raw(path, SQLite::OPEN_READONLY);
  CHECK(raw.execAndGet("PRAGMA integrity_check").getString() == "ok");
}

TEST_CASE("a writer waits for another's lock, and names the file when it waits too long",
          "[store][reliability]") {
  const auto path = temp_db("locked");
  store::Database db(path);
  SQLite::Database holder(path, SQLite::OPEN_READWRITE);
  {
    LockTimeout timeout("0.3");
    holder.exec("BEGIN IMMEDIATE");
    CHECK_THROWS_WITH(write_run(db, true),
                      Catch::Contains(path) && Catch::Contains("write lock for more than 0.3 s"));
    holder.exec("COMMIT");
  }
  // A lock released within the timeout only delays the write.
  holder.exec("BEGIN IMMEDIATE");
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    holder.exec("COMMIT");
  });
  const auto run = write_run(db, true);
  release.join();
  CHECK(db.schedules_of_run(run).size() == 1);
}

TEST_CASE("a failing candidate writer is reported to the caller, not a crash",
          "[store][reliability]") {
  const auto path = temp_db("stream");
  const auto& f = fixture();
  store::Database db(path);
  const auto run = db.begin_run({"test", "latency", "tessel", "auto", 1, store::StoreMode::all});
  const auto net = db.put_network(run, f.graph);
  db.begin_candidate_stream(run, *f.soc);
  const auto& point = f.result.searches.at(0).at(0).result->pareto.at(0);
  SQLite::Database holder(path, SQLite::OPEN_READWRITE);
  {
    LockTimeout timeout("0.2");
    holder.exec("BEGIN IMMEDIATE");
    const auto layer = db.layer_id(net, 0);
    CHECK_THROWS_AS(
        [&] {
          for (int i = 0; i < 100; ++i)
            db.stream_candidate(layer, point.mapping, point.cost);
          db.flush_candidates();
        }(),
        StoreError);
    holder.exec("COMMIT");
  }
  db.discard_run(run);  // the failed stream does not stop the cleanup
  CHECK(rows_of_runs(path) == 0);
}

TEST_CASE("a reader never creates a file", "[store][reliability]") {
  const auto path = temp_db("missing");
  CHECK_THROWS_AS(store::Database(path, store::Access::read), IoError);
  CHECK_FALSE(std::filesystem::exists(path));
}
