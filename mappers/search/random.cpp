#include "mappers/search/random.hpp"

#include "mappers/search/registry.hpp"

#include <algorithm>

namespace tessel::mappers {

namespace {
std::uint64_t below(std::mt19937_64& rng, std::uint64_t n) {
  return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng);
}
}  // namespace

Mapping random_candidate(const LayerMapSpace& space, std::mt19937_64& rng) {
  Mapping m;
  m.unit = space.context().unit;
  m.inner().tile = space.tile_at(below(rng, space.tile_combos()));
  const Layer& l = *space.context().layer;
  std::array<Dim, kNumDims> tiled{};
  std::size_t nt = 0;
  for (Dim d : kAllDims) {
    if (m.inner().tile[idx(d)] < l.dim(d)) tiled[nt++] = d;
  }
  if (space.options().fixed_order) {
    m.inner().order = *space.options().fixed_order;
  } else {
    std::shuffle(tiled.begin(), tiled.begin() + static_cast<std::ptrdiff_t>(nt), rng);
    std::size_t k = nt;
    m.inner().order = kAllDims;
    std::copy(tiled.begin(), tiled.begin() + static_cast<std::ptrdiff_t>(nt),
              m.inner().order.begin());
    for (Dim d : kAllDims) {
      if (m.inner().tile[idx(d)] >= l.dim(d)) m.inner().order[k++] = d;
    }
  }
  const auto& b = space.bufferings();
  m.inner().double_buffer = b[below(rng, b.size())];
  m.unrolling = static_cast<int>(below(rng, static_cast<std::uint64_t>(space.unrollings())));
  return m;
}

RandomSearch::RandomSearch(const LayerMapSpace& space, std::uint64_t seed, std::uint64_t budget)
    : space_(space), rng_(seed), left_(budget) {}

bool RandomSearch::ask(Mapping& m) {
  if (left_ == 0) return false;
  --left_;
  m = random_candidate(space_, rng_);
  return true;
}

}  // namespace tessel::mappers

TESSEL_STRATEGY(random) {
  registry.add({"random", "`budget` uniformly random candidates per layer and unit", false,
                [](const tessel::mappers::StrategyArgs& a) {
                  return std::make_unique<tessel::mappers::RandomSearch>(a.space, a.seed, a.budget);
                }});
}
