#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "core/cost.hpp"
#include "core/mapping.hpp"
#include "mappers/mapspace.hpp"
#include "mappers/objective.hpp"
#include "sim/analytical.hpp"

namespace tessel::mappers {

// Options of one layer search.
struct SearchOptions {
  Objective objective = Objective::latency;
  // A registered strategy (mappers/search/registry.hpp) or "auto": exhaustive
  // when the space has at most `exhaustive_limit` candidates, annealing above.
  std::string strategy = "auto";
  MapSpaceOptions space;
  double exhaustive_limit = 5e9;  // candidates; above it `automatic` anneals
  std::uint64_t budget = 200000;  // evaluations of random / annealing searches
  std::uint64_t seed = 1;
  // Keep the exact Pareto front over (cycles, energy, unit-level bytes):
  // branch and bound then prunes a tile only when its lower bounds are
  // dominated by the front, instead of by the objective's incumbent.
  bool exact_pareto = false;
  // Only mappings scoring below this are wanted (a caller that already has
  // something as good): an exhaustive search prunes against it from the
  // start, so it may find nothing, or a mapping at or above it. Not used by
  // exact_pareto searches.
  double cutoff = std::numeric_limits<double>::infinity();
  // Called with every evaluated legal candidate (from worker threads, one
  // call at a time); for `--store all`.
  std::function<void(const Mapping&, const Cost&)> on_candidate;
  // Set from another thread to stop early (the result then says not proven).
  const std::atomic<bool>* cancel = nullptr;
};

// One point of a per-layer Pareto front.
struct ParetoPoint {
  Mapping mapping;
  Cost cost;
  std::int64_t unit_bytes = 0;  // bytes held at the unit's level
};

// The outcome of one layer search on one unit.
struct LayerResult {
  bool found = false;  // a legal mapping exists
  Mapping best;
  Cost cost;
  double score = 0;
  std::vector<ParetoPoint> pareto;      // over the evaluated candidates, by cycles
  std::uint64_t evaluated = 0;          // candidates costed by the model
  std::uint64_t pruned = 0;             // candidates skipped by capacity or bounds
  double space_size = 0;                // candidates in the mapspace
  bool proven = false;                  // the best is optimal over the whole space
  std::string strategy = "exhaustive";  // the strategy that ran (the DORY tiler: "heuristic")
  std::string reason;                   // when !found: why no mapping is legal
};

// Searches the mapspace of one (layer, unit) pair on all threads of the
// calling task arena (TBB) with the options' strategy (ConfigError when it is
// not registered). The best mapping and its cost do not depend on
// the number of threads: the space is split into a fixed number of chunks,
// pruning is strict (a tile is dropped only when its bound is worse than the
// incumbent), and ties are broken by canonical_less.
LayerResult search_layer(const sim::Analytical& model, const sim::LayerContext& ctx,
                         const SearchOptions& options);

}  // namespace tessel::mappers
