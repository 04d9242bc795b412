#pragma once

// An exploration run of the Python API: what `tessel explore` does (map every
// network onto the SoC, optionally writing the run into a results database),
// driven from Python with the GIL released and Ctrl-C honoured.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <pybind11/pybind11.h>

#include "core/graph.hpp"
#include "driver/explore.hpp"
#include "hwmodels/soc.hpp"
#include "mappers/network_mapper.hpp"

namespace tessel::bindings {

// What to explore and how; the fields mirror `tessel explore`'s options.
struct ExploreRequest {
  std::vector<std::shared_ptr<Graph>> graphs;
  std::shared_ptr<hw::Soc> soc;
  driver::ExploreSettings settings;  // objective, mapper, strategy, budget, seed, units
  int threads = 0;                   // 0: all cores
  std::string db;                    // results database written during the run; empty: none
  std::string store = "pareto";      // best | pareto | all
  std::string command;               // recorded in runs.command
};

// The outcome: the networks, their mapping results and the run's figures.
// Immutable once returned.
struct Exploration {
  std::shared_ptr<hw::Soc> soc;
  std::vector<std::shared_ptr<Graph>> graphs;
  std::vector<mappers::NetworkResult> results;  // one per graph, same order
  std::string objective, mapper, strategy;
  std::uint64_t budget = 0;
  std::vector<std::string> units;
  int threads = 0;
  double wall_seconds = 0;
  std::uint64_t evaluated = 0, pruned = 0;
  bool proven = true;
  std::string database;  // where the run was stored during the search ("" if not)
  std::int64_t run_id = 0;
};

// Contract: runs the exploration on a worker thread inside a TBB arena of
// `threads` slots while the calling thread (holding the GIL only while it
// polls, every 50 ms) checks for Python signals. A KeyboardInterrupt (or any
// exception a signal handler raises) cancels the search, removes the run from
// the database and is re-raised as py::error_already_set. tessel::Error from
// the work is rethrown as is. Call with the GIL held.
std::shared_ptr<Exploration> explore(const ExploreRequest& request);

// The totals exactly as `tessel explore --json` prints them under "total":
// {"cycles", "ms", "energy_uj", "peak_bytes": {level: bytes}}.
pybind11::dict exploration_total(const Exploration& e);

// Contract: writes the exploration into the results database at `path` as
// `tessel explore --db PATH --store MODE` would have (one run: networks,
// layers, SoC, schedules and, for `pareto`, the layer-unit fronts). `all` is
// refused (the evaluated candidates only exist during the search). Returns the
// run id. A failure leaves no part of the run in the file (StoreError).
std::int64_t write_exploration(const Exploration& e, const std::string& path,
                               const std::string& mode, const std::string& command);

}  // namespace tessel::bindings
