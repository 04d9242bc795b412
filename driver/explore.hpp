#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "core/graph.hpp"
#include "mappers/network_mapper.hpp"
#include "sim/analytical.hpp"
#include "store/database.hpp"

// The exploration workflow (docs/architecture.md, "Driver"): `tessel
// explore` and tessel.explore() in Python map networks and write the results
// database through these functions.
namespace tessel::driver {

// Thrown by run_exploration when the search's cancel flag was set; the run
// has been removed from the database.
class Cancelled : public Error {
 public:
  using Error::Error;
};

// What to explore and how, by name, as the CLI and Python take it.
struct ExploreSettings {
  std::string objective = "latency";
  std::string mapper = "tessel";
  std::string strategy = "auto";
  std::uint64_t budget = 200000;
  std::uint64_t seed = 1;
  std::vector<std::string> units;  // empty: every unit
  // Memory limits "LEVEL=SIZE" (`--max-memory L2=256KiB`): the plan and the
  // searches treat the level as that large (at most its capacity).
  std::vector<std::string> max_memory;
  // The memory fit may run chains in channel slices (docs/memory.md,
  // "Partial execution"); `--no-partial-execution` turns it off.
  bool partial_execution = true;
  // Layers may be split across units running at once (docs/memory.md,
  // "Split layers"; `--no-split` turns it off), the parts on units the
  // precision policy allows (`--precision-policy strict | allow-lower`).
  bool split = true;
  std::string precision_policy = "strict";
  // Chains of layers may run fused, band by band (docs/memory.md, "Fused
  // layers"); `--no-fusion` turns it off.
  bool fusion = true;
};

// The SoC with the limits of `max_memory` as its levels' sizes (the same
// SoC without limits). Throws ConfigError naming a malformed limit, an
// unknown level (with the levels there are) or a size above the capacity.
std::shared_ptr<const hw::Soc> limit_memory(std::shared_ptr<const hw::Soc> soc,
                                            const std::vector<std::string>& max_memory);

// The network options of `settings` on `soc`. Throws ConfigError naming a
// bad objective, mapper or strategy, MappingError naming a unit the SoC
// lacks (with the units it has).
mappers::NetworkOptions network_options(const ExploreSettings& settings, const hw::Soc& soc);

// What run_exploration does besides mapping.
struct ExplorationOptions {
  mappers::NetworkOptions network;  // mapper, search options (objective, cancel flag), units
  std::string db;                   // results file written during the run; empty: none
  store::RunInfo run;               // recorded with the run (its mode decides what is stored)
  std::function<void(const Graph&)> before_network;  // e.g. a progress line
  // The SoC before memory limits (limit_memory), when there are any: a
  // network that fits no plan within them is refused with the smallest plan
  // tessel reaches on it, every weight streamed.
  std::shared_ptr<const hw::Soc> unlimited;
  std::vector<std::string> limits;  // as given, for the message
};

// The outcome of an exploration.
struct Exploration {
  std::vector<mappers::NetworkResult> results;  // one per graph, same order
  double wall_seconds = 0;
  std::uint64_t evaluated = 0, pruned = 0;
  bool proven = true;
  std::int64_t run_id = 0;  // 0 without a database
};

// Sums over the networks of an exploration: cycles, energy (pJ), and the
// largest bytes held per memory level.
struct Totals {
  double cycles = 0, energy = 0;
  std::vector<std::int64_t> peak_bytes;
};
Totals totals(const std::vector<mappers::NetworkResult>& results, std::size_t levels);

// Contract: what `tessel explore` does, for the CLI and the Python package:
// maps every graph onto the model's SoC with one layer cache across them,
// and with a database writes the run, each network, its schedule and (per
// the run's mode) the layer-unit Pareto fronts or every evaluated candidate
// (streamed during the search). The database is opened before the search so
// that a bad path fails first. On any error, or when the cancel flag is set
// (Cancelled), the run is removed from the database and the exception
// propagates: nothing half-written stays behind.
Exploration run_exploration(const std::vector<const Graph*>& graphs, const sim::Analytical& model,
                            ExplorationOptions options);

// The exploration of `tessel plan` and `tessel emit`: `graphs` on `full`
// limited by settings.max_memory (refused with the smallest limits that fit,
// as run_exploration does), nothing stored.
Exploration explore_unstored(const std::vector<Graph>& graphs, std::shared_ptr<const hw::Soc> full,
                             const ExploreSettings& settings);

// Contract: writes an exploration already run (its graphs and results, in
// the same order) into the results database at `path` as run_exploration
// would have with `run.mode` (best or pareto; `all` is refused, since the
// evaluated candidates exist only during the search). Returns the run id. A
// failure leaves no part of the run in the file (StoreError).
std::int64_t write_exploration(const std::string& path, const store::RunInfo& run,
                               const std::vector<const Graph*>& graphs, const hw::Soc& soc,
                               const std::vector<mappers::NetworkResult>& results,
                               double wall_seconds, std::uint64_t evaluated, std::uint64_t pruned);

}  // namespace tessel::driver
