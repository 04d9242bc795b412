#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "core/zoo.hpp"
#include "hwmodels/soc_loader.hpp"
#include "mappers/network_mapper.hpp"

using namespace tessel;

namespace {

const char* const kTable = TESSEL_SOURCE_DIR "/tests/data/golden/network_totals.csv";

// One row per (SoC, mapper, objective, network): the network totals, with
// doubles written so that they read back bit for bit.
std::string row(const std::string& soc, const std::string& mapper, const std::string& objective,
                const NetworkSchedule& s) {
  std::string peak;
  for (auto b : s.peak_bytes)
    peak += fmt::format("{}{}", peak.empty() ? "" : ";", b);
  return fmt::format("{},{},{},{},{:.17g},{:.17g},{}", soc, mapper, objective, s.network, s.cycles,
                     s.energy, peak);
}

// The key of a row: its first four columns.
std::string key_of(const std::string& line) {
  std::size_t pos = 0;
  for (int i = 0; i < 4 && pos != std::string::npos; ++i)
    pos = line.find(',', pos + (i > 0 ? 1 : 0));
  return line.substr(0, pos);
}

// The table for the shipped targets, the MLPerf Tiny networks, every mapper
// and objective, keyed by its first four columns.
std::map<std::string, std::string> compute_table() {
  std::map<std::string, std::string> rows;
  const auto graphs = load_models("mlperf-tiny");
  for (const char* soc_name : {"gap9", "diana", "cortex-m7"}) {
    const sim::Analytical model(hw::load_soc(soc_name));
    for (auto mapper :
         {mappers::MapperKind::tessel, mappers::MapperKind::dory, mappers::MapperKind::divisor}) {
      for (auto objective :
           {mappers::Objective::latency, mappers::Objective::energy, mappers::Objective::edp}) {
        mappers::NetworkOptions opt;
        opt.mapper = mapper;
        opt.search.objective = objective;
        opt.split = false;   // the one-unit-per-layer schedules; splits: test_split.cpp
        opt.fusion = false;  // and fusion: test_fusion.cpp
        mappers::LayerCache cache;
        for (const auto& g : graphs) {
          const auto r = mappers::map_network(g, model, opt, &cache);
          const auto line = row(soc_name, std::string(mappers::mapper_name(mapper)),
                                std::string(mappers::objective_name(objective)), r.schedule);
          rows[key_of(line)] = line;
        }
      }
    }
  }
  return rows;
}

}  // namespace

// The network totals that refactorings of the schedule, the cost model and
// the mappers must keep exactly. TESSEL_WRITE_TOTALS=1 rewrites the table
// (only when a change of the model's results is intended and explained).
TEST_CASE("network totals of the MLPerf Tiny networks are unchanged", "[mappers][golden]") {
  const auto table = compute_table();
  if (std::getenv("TESSEL_WRITE_TOTALS")) {
    std::ofstream out(kTable);
    out << "soc,mapper,objective,network,cycles,energy_pj,peak_bytes_per_level\n";
    for (const auto& [key, line] : table)
      out << line << "\n";
    WARN("rewrote " << kTable);
    return;
  }
  std::ifstream in(kTable);
  REQUIRE(in.good());
  std::string line;
  std::getline(in, line);  // header
  std::size_t rows = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    ++rows;
    const auto key = key_of(line);
    INFO(key);
    const auto it = table.find(key);
    REQUIRE(it != table.end());
    CHECK(it->second == line);
  }
  CHECK(rows == table.size());
  CHECK(rows == 3 * 3 * 3 * 4);
}
