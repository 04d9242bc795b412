#include "mappers/search/exhaustive.hpp"

#include "mappers/search/registry.hpp"

namespace tessel::mappers {

ExhaustiveSearch::ExhaustiveSearch(const LayerMapSpace& space, TileOracle& oracle,
                                   std::uint64_t begin, std::uint64_t end)
    : space_(space), oracle_(oracle), index_(begin), end_(end) {}

bool ExhaustiveSearch::next_tile() {
  const auto bufferings = space_.bufferings().size();
  for (;;) {
    // Advance: next unrolling of the same tile, else the next tile.
    if (unrolling_ >= 0 && unrolling_ + 1 < space_.unrollings()) {
      ++unrolling_;
    } else {
      if (unrolling_ >= 0) ++index_;
      if (index_ >= end_) return false;
      tile_ = space_.tile_at(index_);
      unrolling_ = 0;
    }
    if (oracle_.skip(tile_, unrolling_)) {
      pruned_ += static_cast<std::uint64_t>(space_.order_count(tile_) * bufferings);
      continue;
    }
    space_.orders(tile_, orders_);
    order_ = 0;
    buffering_ = 0;
    return true;
  }
}

bool ExhaustiveSearch::ask(Mapping& m) {
  if (unrolling_ < 0 || order_ >= orders_.size()) {
    if (!next_tile()) return false;
  }
  m.unit = space_.context().unit;
  m.inner().tile = tile_;
  m.unrolling = unrolling_;
  m.inner().order = orders_[order_];
  m.inner().double_buffer = space_.bufferings()[buffering_];
  if (++buffering_ == space_.bufferings().size()) {
    buffering_ = 0;
    ++order_;
  }
  return true;
}

}  // namespace tessel::mappers

TESSEL_STRATEGY(exhaustive) {
  registry.add({"exhaustive",
                "branch and bound over the whole space: every candidate a bound cannot rule out "
                "is evaluated (proves the optimum)",
                true, [](const tessel::mappers::StrategyArgs& a) {
                  return std::make_unique<tessel::mappers::ExhaustiveSearch>(a.space, *a.oracle,
                                                                             a.begin, a.end);
                }});
}
