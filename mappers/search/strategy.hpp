#pragma once

#include <cstdint>
#include <functional>

#include "core/cost.hpp"
#include "core/mapping.hpp"
#include "sim/analytical.hpp"

namespace tessel::mappers {

// A search over a layer mapspace, seen through ask / tell (DESIGN.md,
// "Search"): the driver asks for a candidate, evaluates it with the cost
// model and tells the strategy its cost, until the strategy says it is done.
// Strategies never evaluate candidates themselves, so exhaustive, random and
// annealing searches plug in without touching the cost model. One instance
// per thread; the driver splits the space between instances.
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

// Decides, from the lower bounds of a tile, whether every candidate of that
// tile can be skipped (branch and bound). Called once per tile, not per
// candidate; must be safe to call from the strategy's thread.
using TilePrune = std::function<bool(const sim::TileTerms&)>;

}  // namespace tessel::mappers
