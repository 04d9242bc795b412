#pragma once

#include <cstdint>

#include "core/cost.hpp"
#include "core/mapping.hpp"

namespace tessel::mappers {

// A search over a layer mapspace, seen through ask / tell
// (docs/architecture.md, "Search strategies"). What a strategy may do: propose
// candidates of its share of the space (ask), learn the cost and score of each
// one it proposed (tell), and, if it walks whole tiles, ask the driver's
// TileOracle whether a tile and all its candidates can be skipped. It never
// costs anything itself: the driver (search_layer) evaluates every candidate
// with the cost model and answers the oracle from the model's tile terms
// (legality and lower bounds); neither this interface nor StrategyArgs hands
// a strategy an evaluator (sim::Analytical, sim::CachedEvaluator). One
// instance per chunk of the space, each on one thread at a time.
class SearchStrategy {
 public:
  virtual ~SearchStrategy() = default;

  // Contract: writes the next candidate into `m` and returns true, or returns
  // false when the strategy has nothing more to propose.
  virtual bool ask(Mapping& m) = 0;

  // Contract: reports the cost and objective score of the candidate last
  // returned by ask() (score is +inf for an illegal candidate).
  virtual void tell(const Mapping& m, const Cost& cost, double score) = 0;

  // Contract: true when every candidate of the strategy's share of the space
  // that it did not propose was proven no better than what it proposed (by
  // capacity or by a lower bound): then the best told candidate is optimal
  // over that share under the model.
  virtual bool exhaustive() const = 0;

  // Candidates skipped without evaluation (illegal tiles, bounds).
  virtual std::uint64_t pruned() const { return 0; }
};

// The driver's answers about whole tiles, for strategies that walk them:
// whether every candidate with this tile and unrolling can be skipped,
// because the tile is illegal (it does not fit, the unit cannot run it) or
// because its lower bounds cannot beat what was found (branch and bound).
// Asked once per tile, not per candidate, from the strategy's thread.
class TileOracle {
 public:
  virtual ~TileOracle() = default;
  virtual bool skip(const DimArray& tile, int unrolling) = 0;
};

}  // namespace tessel::mappers
