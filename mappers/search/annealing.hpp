#pragma once

#include <random>

#include "mappers/mapspace.hpp"
#include "mappers/search/strategy.hpp"

namespace tessel::mappers {

// Simulated annealing for spaces too large to enumerate. The state is a
// candidate; a move changes one tile size to a neighbouring candidate size,
// swaps two loops, flips one operand's buffering or changes the unrolling.
// A worse neighbour is accepted with probability exp(-(relative loss) / T),
// with T falling geometrically from `t_start` to `t_end` over `budget` moves;
// the chain restarts from a random candidate after `patience` moves without
// improvement. Deterministic for a given seed.
class AnnealingSearch : public SearchStrategy {
 public:
  struct Options {
    std::uint64_t budget = 20000;
    double t_start = 0.2;
    double t_end = 0.002;
    std::uint64_t patience = 2000;
  };
  AnnealingSearch(const LayerMapSpace& space, std::uint64_t seed, Options options);
  bool ask(Mapping& m) override;
  void tell(const Mapping& m, const Cost& cost, double score) override;
  bool exhaustive() const override { return false; }

 private:
  Mapping neighbour(const Mapping& from);
  const LayerMapSpace& space_;
  std::mt19937_64 rng_;
  Options opt_;
  std::uint64_t step_ = 0, since_best_ = 0;
  bool have_current_ = false;
  Mapping current_;
  double current_score_ = 0, best_score_ = 0;
};

}  // namespace tessel::mappers
