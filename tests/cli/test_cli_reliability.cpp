// The CLI under failure (docs/reliability.md): explore killed at random
// moments, two explores writing one file, a lock held too long, read-only
// commands that must not create files, a schedule replayed from the file alone.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include "run_tessel.hpp"

namespace {

std::string scratch_db(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("tessel_cli_reliability_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto p = dir / name;
  for (const char* suffix : {"", "-wal", "-shm"})
    std::filesystem::remove(p.string() + suffix);
  return p.string();
}

// The exit status of a child, -1 when a signal ended it.
int wait_for(pid_t pid) {
  REQUIRE(pid > 0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::int64_t scalar(const std::string& path, const std::string& sql) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  return db.execAndGet(sql).getInt64();
}

std::string integrity(const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  return db.execAndGet("PRAGMA integrity_check").getString();
}

const std::vector<std::string> kExplore = {"explore",   "--model", "mlperf-tiny", "--store", "all",
                                           "--threads", "1"};

std::vector<std::string> explore_into(const std::string& db) {
  auto args = kExplore;
  args.insert(args.end(), {"--db", db});
  return args;
}

}  // namespace

TEST_CASE("explore killed at random moments leaves only complete runs, and the next run lands",
          "[cli][reliability][slow]") {
  const auto db = scratch_db("killed.sqlite");
  std::mt19937 random(20261207);
  std::uniform_int_distribution<int> delay_ms(20, 2500);
  constexpr int kKills = 12;
  int killed = 0;
  for (int i = 0; i < kKills; ++i) {
    const auto pid = spawn_tessel(explore_into(db));
    const int ms = delay_ms(random);
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    ::kill(pid, SIGKILL);
    if (wait_for(pid) == -1) ++killed;
    if (!std::filesystem::exists(db)) continue;  // killed before it created the file
    INFO("kill " << i << " after " << ms << " ms");
    CHECK(integrity(db) == "ok");
    // At most the run just killed is incomplete: the earlier ones were removed
    // when the next explore opened the file.
    CHECK(scalar(db, "SELECT COUNT(*) FROM runs WHERE complete = 0") <= 1);
    // A reader replaying a schedule of a killed run is refused.
    const auto incomplete =
        scalar(db,
               "SELECT COALESCE(MAX(s.id), 0) FROM schedules s JOIN runs r ON r.id = s.run_id "
               "WHERE r.complete = 0");
    if (incomplete > 0) {
      const auto r = run_tessel("simulate --db " + db + " --schedule " +
                                std::to_string(incomplete) + " --json");
      CHECK(r.status == 2);
      CHECK_THAT(r.err, Catch::Contains("has not completed"));
    }
  }
  CHECK(killed > kKills / 2);  // most kills landed during the run
  REQUIRE(wait_for(spawn_tessel(explore_into(db))) == 0);
  CHECK(integrity(db) == "ok");
  CHECK(scalar(db, "SELECT COUNT(*) FROM runs WHERE complete = 0") == 0);
  // Every complete run holds the same networks, schedules and candidates.
  CHECK(scalar(db,
               "SELECT COUNT(DISTINCT n) FROM (SELECT COUNT(*) AS n FROM candidates GROUP "
               "BY run_id)") == 1);
  CHECK(scalar(db, "SELECT COUNT(*) FROM schedules") ==
        4 * scalar(db, "SELECT COUNT(*) FROM runs"));
  CHECK(scalar(db, "SELECT COUNT(*) FROM candidates WHERE run_id NOT IN (SELECT id FROM runs)") ==
        0);
}

TEST_CASE("two explores writing one file both land their runs whole", "[cli][reliability][slow]") {
  const auto db = scratch_db("two.sqlite");
  const auto a = spawn_tessel(explore_into(db));
  const auto b = spawn_tessel(explore_into(db));
  CHECK(wait_for(a) == 0);
  CHECK(wait_for(b) == 0);
  CHECK(scalar(db, "SELECT COUNT(*) FROM runs WHERE complete = 1") == 2);
  CHECK(scalar(db, "SELECT COUNT(*) FROM schedules") == 8);
  CHECK(scalar(db,
               "SELECT COUNT(DISTINCT n) FROM (SELECT COUNT(*) AS n FROM candidates GROUP "
               "BY run_id)") == 1);
  CHECK(integrity(db) == "ok");
}

TEST_CASE("a lock held too long is an error naming the file, status 2", "[cli][reliability]") {
  const auto db = scratch_db("locked.sqlite");
  REQUIRE(run_tessel("explore --model dscnn --store best --db " + db).status == 0);
  SQLite::Database holder(db, SQLite::OPEN_READWRITE);
  ::setenv("TESSEL_LOCK_TIMEOUT", "0.5", 1);
  holder.exec("BEGIN IMMEDIATE");
  const auto locked = run_tessel("explore --model dscnn --store best --db " + db);
  holder.exec("COMMIT");
  ::unsetenv("TESSEL_LOCK_TIMEOUT");
  CHECK(locked.status == 2);
  CHECK_THAT(locked.err, Catch::StartsWith("tessel: error: database '" + db + "'") &&
                             Catch::Contains("write lock"));
  CHECK(scalar(db, "SELECT COUNT(*) FROM runs WHERE complete = 0") == 0);
}

TEST_CASE("read-only commands create no files; empty file names are refused",
          "[cli][reliability]") {
  const auto db = scratch_db("missing.sqlite");
  const auto sim = run_tessel("simulate --model dscnn --db " + db + " --schedule 1");
  CHECK(sim.status == 2);
  CHECK_THAT(sim.err, Catch::Contains(db) && Catch::Contains("does not exist"));
  CHECK_FALSE(std::filesystem::exists(db));
  const auto pareto = run_tessel("pareto --db " + db);
  CHECK(pareto.status == 2);
  CHECK_FALSE(std::filesystem::exists(db));
  for (const char* args : {"simulate --model dscnn --trace ''", "simulate --db '' --schedule 1"}) {
    const auto r = run_tessel(args);
    INFO(args);
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains("needs a file name"));
  }
}

TEST_CASE("simulate and emit replay a stored schedule without --model", "[cli][reliability]") {
  const auto db = scratch_db("replay.sqlite");
  REQUIRE(run_tessel("explore --model resnet8 --store best --db " + db).status == 0);
  const auto r = run_tessel("simulate --db " + db + " --schedule 1");
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Catch::StartsWith("resnet8 on gap9"));
  CHECK_THAT(r.out, !Catch::Contains("-0.00"));
  // An ONNX network is read again from its file.
  const auto onnx = scratch_db("onnx.sqlite");
  const auto model = source_path("tests/data/models/keyword_spotting.onnx");
  REQUIRE(run_tessel("explore --model '" + model + "' --store best --db " + onnx).status == 0);
  const auto out = std::filesystem::path(onnx).parent_path() / "emitted";
  std::filesystem::remove_all(out);
  const auto e = run_tessel("emit --db " + onnx + " --schedule 1 --out " + out.string());
  INFO(e.err);
  CHECK(e.status == 0);
  CHECK_THAT(e.out, Catch::StartsWith("emitted keyword_spotting on gap9"));
  // A run from before the network's source was recorded asks for --model.
  {
    SQLite::Database raw(db, SQLite::OPEN_READWRITE);
    raw.exec("UPDATE networks SET source = NULL");
  }
  const auto unknown = run_tessel("simulate --db " + db + " --schedule 1");
  CHECK(unknown.status == 2);
  CHECK_THAT(unknown.err, Catch::Contains("give it with --model"));
}
