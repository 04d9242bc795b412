#pragma once

#include <random>
#include <vector>

#include "mappers/mapspace.hpp"
#include "mappers/search/strategy.hpp"

namespace tessel::mappers {

// Uniform random sampling: `budget` candidates, each a random tile
// combination, order of its tiled dims, buffering and unrolling. Seeded, so a
// given (seed, budget) proposes the same candidates on any machine.
class RandomSearch : public SearchStrategy {
 public:
  RandomSearch(const LayerMapSpace& space, std::uint64_t seed, std::uint64_t budget);
  bool ask(Mapping& m) override;
  void tell(const Mapping&, const Cost&, double) override {}
  bool exhaustive() const override { return false; }

 private:
  const LayerMapSpace& space_;
  std::mt19937_64 rng_;
  std::uint64_t left_;
};

// Draws a uniformly random candidate of the space (shared by the random and
// annealing searches).
Mapping random_candidate(const LayerMapSpace& space, std::mt19937_64& rng);

}  // namespace tessel::mappers
