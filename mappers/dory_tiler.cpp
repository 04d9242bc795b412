#include "mappers/dory_tiler.hpp"

#include <algorithm>

#include "mappers/mapspace.hpp"

namespace tessel::mappers {

LayerResult dory_tiling(const sim::Analytical& model, const sim::LayerContext& ctx,
                        Objective objective) {
  LayerResult res;
  res.strategy = "heuristic";
  if (!ctx.supported) {
    res.reason = ctx.unsupported_reason;
    return res;
  }
  const Layer& l = *ctx.layer;
  const std::int64_t cores = std::max(1, ctx.model->cores());
  // Channels DORY tiles: output channels, or the groups of a channel-wise op.
  const Dim chan = l.dim(Dim::G) > 1 ? Dim::G : Dim::K;
  std::array<Dim, kNumDims> order = {chan,   Dim::OY, Dim::OX, Dim::N,
                                     Dim::C, Dim::FY, Dim::FX, chan == Dim::G ? Dim::K : Dim::G};
  sim::CachedEvaluator eval(model, ctx);
  // Pass 1: all input channels resident and heights aligned to the core count;
  // pass 2 relaxes the alignment; pass 3 lets C be tiled (DORY itself would fail).
  for (int pass = 1; pass <= 3 && !res.found; ++pass) {
    const auto c_sizes =
        pass == 3 ? tile_sizes(l.dim(Dim::C)) : std::vector<std::int64_t>{l.dim(Dim::C)};
    double best_bytes = -1;
    for (auto ct : c_sizes) {
      for (auto kt : tile_sizes(l.dim(chan))) {
        for (auto yt : tile_sizes(l.dim(Dim::OY))) {
          if (pass == 1 && yt != l.dim(Dim::OY) && yt % cores != 0) continue;
          Mapping m;
          m.unit = ctx.unit;
          m.inner().tile = l.dims;
          m.inner().tile[idx(chan)] = kt;
          m.inner().tile[idx(Dim::OY)] = yt;
          m.inner().tile[idx(Dim::C)] = ct;
          m.inner().order = order;
          for (std::size_t o = 0; o < kNumOperands; ++o)
            m.inner().double_buffer[o] = ctx.moved[o];
          const Cost c = eval.evaluate(m);
          ++res.evaluated;
          if (!c.legal) continue;
          // Largest L1 footprint; ties to the larger channel tile.
          const auto bytes =
              static_cast<double>(c.bytes_held[static_cast<std::size_t>(ctx.level[0])]);
          if (bytes > best_bytes) {
            best_bytes = bytes;
            res.found = true;
            res.best = m;
            res.cost = c;
            res.score = score(objective, c);
          }
        }
      }
      if (res.found) break;
    }
  }
  if (res.found) res.pareto.push_back({res.best, res.cost, 0});
  if (!res.found) res.reason = "no DORY-style tiling fits the unit's memories";
  return res;
}

}  // namespace tessel::mappers
