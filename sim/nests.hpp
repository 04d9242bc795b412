#pragma once

#include <array>

#include "core/mapping.hpp"
#include "sim/context.hpp"

// The loop nests of a mapping resolved for costing (nested.cpp) or replay
// (event_sim.cpp): docs/cost-model.md, "Several loop nests".
namespace tessel::sim {

// Per operand, the tile counts of the nests between the operand's source
// buffer and the current nest: a dimension any of them cuts is cut in the
// layout of the operand's transfers too.
using Cuts = std::array<DimArray, kNumOperands>;

// The part of `layer` a tile of extents `e` covers, as a layer of its own.
Layer sub_layer(const Layer& layer, const DimArray& e);

// Calls f(extents, occurrences) for each distinct tile shape of a grid: per
// cut dimension the full extent (n - 1 times) or the last one (once); at
// most 2^k shapes for k dimensions cut with a remainder.
template <typename F>
void for_each_shape(const hw::TileGrid& g, F&& f) {
  std::array<std::size_t, kNumDims> cut{};
  std::size_t k = 0;
  for (std::size_t d = 0; d < kNumDims; ++d) {
    if (g.count[d] > 1 && g.last[d] != g.tile[d]) cut[k++] = d;
  }
  for (std::uint32_t pick = 0; pick < (1u << k); ++pick) {
    DimArray e = g.tile;
    double times = 1;
    for (std::size_t d = 0; d < kNumDims; ++d) {
      if (g.count[d] > 1 && g.last[d] == g.tile[d]) times *= static_cast<double>(g.count[d]);
    }
    for (std::size_t i = 0; i < k; ++i) {
      const auto d = cut[i];
      const bool last = (pick >> i & 1u) != 0;
      e[d] = last ? g.last[d] : g.tile[d];
      times *= last ? 1.0 : static_cast<double>(g.count[d] - 1);
    }
    f(e, times);
  }
}

// Whether a nest of tiles `tile` over `extents` visits each output tile more
// than once: C cut into several tiles and looped outside a loop over an
// output dimension (each visit but the last leaves partial sums).
bool revisits_output(const std::array<Dim, kNumDims>& order, const DimArray& tile,
                     const DimArray& extents);

// A mapping's nests: per nest the route of every operand (from the level the
// nest above left it at, its home for the outermost nest, to the nest's
// buffer), the tile extents (each within the one above), and a context over
// a sub-layer: the part of the layer one tile of the nest above covers, as a
// layer of its own. Not copyable (the contexts point into the sub-layers).
class NestChain {
 public:
  NestChain() = default;
  NestChain(const NestChain&) = delete;
  NestChain& operator=(const NestChain&) = delete;

  // Resolves the nests of `m` against the one-level context of its (layer,
  // unit) pair. Returns why they cannot run (nullptr when they can).
  const char* resolve(const LayerContext& top, const Mapping& m);

  int depth() const { return depth_; }
  const DimArray& tile(int j) const { return tile_[at(j)]; }
  const Layer& sub(int j) const { return *layer_[at(j)]; }
  const LayerContext& ctx(int j) const { return ctx_[at(j)]; }
  // Nest j's sub-layer covers extents `e` of the layer (a tile of nest j-1).
  void set_extents(int j, const DimArray& e);
  // The cuts of the nest inside j, given nest j's and its grid counts `n`:
  // an operand nest j moves starts afresh from nest j's buffer.
  Cuts inner_cuts(int j, const Cuts& cuts, const DimArray& n) const;
  // The counts that decide operand o's transfer layout at nest j.
  static DimArray layout_counts(const Cuts& cuts, std::size_t o, const DimArray& n);

  static Cuts no_cuts();

 private:
  static std::size_t at(int j) { return static_cast<std::size_t>(j); }
  // Whether the innermost nest's partial sums leave its buffer for an outer
  // nest's buffer of the output, which holds it only at its own (narrower)
  // width: the model and the emitted code give them no room there.
  bool narrow_outer_partial_sums(const LayerContext& top, const Mapping& m) const;
  const LayerContext* top_ = nullptr;
  int depth_ = 0;
  std::array<Route, kMaxNests> route_{};
  std::array<DimArray, kMaxNests> tile_{};
  std::array<const Layer*, kMaxNests> layer_{};  // the layer itself for nest 0
  std::array<Layer, kMaxNests> sub_{};           // the sub-layers of nests 1 and on
  std::array<LayerContext, kMaxNests> ctx_{};
};

}  // namespace tessel::sim
