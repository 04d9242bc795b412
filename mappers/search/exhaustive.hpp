#pragma once

#include <vector>

#include "mappers/mapspace.hpp"
#include "mappers/search/strategy.hpp"

namespace tessel::mappers {

// Exhaustive search with pruning over the tile combinations [begin, end) of a
// mapspace: for each tile and unrolling the oracle says whether the tile can
// be skipped with all its candidates (it does not fit, or its lower bounds
// cannot beat the incumbent: branch and bound); every order and buffering of
// the other tiles is proposed.
class ExhaustiveSearch : public SearchStrategy {
 public:
  ExhaustiveSearch(const LayerMapSpace& space, TileOracle& oracle, std::uint64_t begin,
                   std::uint64_t end);
  bool ask(Mapping& m) override;
  void tell(const Mapping&, const Cost&, double) override {}
  bool exhaustive() const override { return true; }
  std::uint64_t pruned() const override { return pruned_; }

 private:
  bool next_tile();
  const LayerMapSpace& space_;
  TileOracle& oracle_;
  std::uint64_t index_, end_;
  int unrolling_ = -1;  // -1: no tile yet
  DimArray tile_{};
  std::vector<std::array<Dim, kNumDims>> orders_;
  std::size_t order_ = 0, buffering_ = 0;
  std::uint64_t pruned_ = 0;
};

}  // namespace tessel::mappers
