// `tessel sweep` and `tessel pareto` (docs/sweep.md): bad specs, resuming
// after SIGKILL, the Pareto front.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "run_tessel.hpp"

namespace {

std::filesystem::path scratch(const std::string& name) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("tessel_cli_sweep_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir / name;
}

std::string write_spec(const std::string& name, const std::string& text) {
  const auto p = scratch(name);
  std::ofstream(p) << text;
  return p.string();
}

const char* kSpec = R"(soc: gap9
models: [mlperf-tiny]
parameters:
  memories.L1.size: [64 KiB, 96 KiB, 128 KiB]
  dmas.cluster_dma.bandwidth: {range: [4 B/cycle, 16 B/cycle], steps: 4}
  units.ne16: [present, absent]
)";

// Starts `tessel sweep SPEC --db DB --resume --threads 2` and kills it with
// SIGKILL after `ms` milliseconds (if it is still running).
void run_and_kill(const std::string& spec, const std::string& db, int ms) {
  const pid_t pid = spawn_tessel({"sweep", spec, "--db", db, "--resume", "--threads", "2"});
  REQUIRE(pid > 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
}

nlohmann::json points_of(const RunResult& r) {
  return nlohmann::json::parse(r.out).at("points");
}

}  // namespace

TEST_CASE("sweep: bad specs exit 2 naming the path, and write no database", "[cli][sweep]") {
  const auto db = scratch("bad.sqlite");
  std::filesystem::remove(db);
  const std::string head = "soc: gap9\nmodels: [dscnn]\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {head + "parameters:\n  memories.L7.size: [64 KiB]\n", "parameters.memories.L7.size"},
      {head + "parameters:\n  memories.L1.size: [64 furlongs]\n", "parameters.memories.L1.size"},
      {head + "parameters:\n  memories.L1.size: []\n", "parameters.memories.L1.size: empty list"},
      {head + "parameters:\n  memories.L1.size: [64 KiB]\nsampling: halton\n", "sampling"},
  };
  for (const auto& [text, path] : cases) {
    const auto r = run_tessel("sweep " + write_spec("bad.yaml", text) + " --db " + db.string());
    INFO(text);
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains("tessel: error:") && Catch::Contains(path));
    CHECK_FALSE(std::filesystem::exists(db));
  }
  const auto set = run_tessel("sweep --model dscnn --set memories.L1.size= --db " + db.string());
  CHECK(set.status == 2);
  CHECK_FALSE(std::filesystem::exists(db));
}

TEST_CASE("sweep: killed with SIGKILL and resumed, the rows equal an uninterrupted run",
          "[cli][sweep][slow]") {
  const auto spec = write_spec("kill.yaml", kSpec);
  const auto whole = scratch("whole.sqlite"), killed = scratch("killed.sqlite");
  for (const auto& f : {whole, killed})
    for (const char* ext : {"", "-wal", "-shm"})
      std::filesystem::remove(f.string() + ext);
  const auto ref = run_tessel("sweep " + spec + " --db " + whole.string() + " --json");
  REQUIRE(ref.status == 0);
  for (int ms : {150, 400, 700, 1000})
    run_and_kill(spec, killed.string(), ms);
  const auto resumed =
      run_tessel("sweep " + spec + " --db " + killed.string() + " --resume --json");
  REQUIRE(resumed.status == 0);
  const auto a = points_of(ref), b = points_of(resumed);
  CHECK(a.size() == 24 * 4);  // 24 points x 4 networks, each once
  CHECK(a == b);
}

TEST_CASE("pareto: the non-dominated points of the stored sweep", "[cli][sweep][slow]") {
  const auto db = scratch("pareto.sqlite");
  for (const char* ext : {"", "-wal", "-shm"})
    std::filesystem::remove(db.string() + ext);
  const auto s = run_tessel(
      "sweep --model dscnn --set units.ne16=present,absent --set "
      "dmas.cluster_dma.bandwidth=2,8 --db " +
      db.string());
  REQUIRE(s.status == 0);
  CHECK_THAT(s.out, Catch::Contains("4 points x 1 networks"));
  const auto p = run_tessel("pareto --db " + db.string() + " --z none --json");
  REQUIRE(p.status == 0);
  const auto j = nlohmann::json::parse(p.out);
  CHECK(j.at("points") == 4);
  const auto& front = j.at("front");
  REQUIRE(front.size() >= 1);
  // NE16 and the faster DMA are never worse on this network: that point is on the front.
  bool found = false;
  for (const auto& f : front)
    found = found || (f.at("params").at("units.ne16") == "present" &&
                      f.at("params").at("dmas.cluster_dma.bandwidth") == "8");
  CHECK(found);
  CHECK(run_tessel("pareto --db " + db.string() + " --x speed").status == 2);
  CHECK(run_tessel("pareto --db " + scratch("none.sqlite").string()).status == 2);
  CHECK_FALSE(std::filesystem::exists(scratch("none.sqlite")));
}
