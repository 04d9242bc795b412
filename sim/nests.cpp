#include "sim/nests.hpp"

#include <algorithm>

#include "sim/analytical.hpp"
#include "sim/traffic.hpp"

namespace tessel::sim {
namespace {

// Where each nest moves each operand. Returns why the levels are wrong.
const char* make_routes(const LayerContext& top, const Mapping& m,
                        std::array<Route, kMaxNests>& routes) {
  std::array<int, kNumOperands> at = top.home;
  for (int j = 0; j < m.depth; ++j) {
    const bool innermost = j == m.depth - 1;
    auto& r = routes[static_cast<std::size_t>(j)];
    r.from = at;
    for (std::size_t o = 0; o < kNumOperands; ++o) {
      const int lvl = m.nest(j).level[o];
      if (lvl == LoopNest::kNoMove) {
        r.to[o] = innermost ? top.level[o] : at[o];
      } else if (lvl < 0 || lvl >= top.levels) {
        return "a loop nest names a memory level the SoC does not have";
      } else if (innermost && lvl != top.level[o]) {
        return "the innermost loop nest must bring every operand to the level the unit reads";
      } else {
        r.to[o] = lvl;
      }
    }
    at = r.to;
  }
  return nullptr;
}

}  // namespace

const char* NestChain::resolve(const LayerContext& top, const Mapping& m) {
  top_ = &top;
  if (!top.runs_layer) return "the unit does not support this layer";
  if (m.depth < 1 || m.depth > kMaxNests) return "a mapping has 1 to 3 loop nests";
  depth_ = m.depth;
  if (const char* why = make_routes(top, m, route_)) return why;
  DimArray outer = top.layer->dims;
  for (int j = 0; j < depth_; ++j) {
    auto& t = tile_[at(j)];
    for (std::size_t d = 0; d < kNumDims; ++d) {
      if (m.nest(j).tile[d] < 1) return "a tile size is below 1";
      t[d] = std::min(m.nest(j).tile[d], outer[d]);
    }
    if (j + 1 < depth_ && t[idx(Dim::C)] < top.layer->dim(Dim::C))
      return "an outer loop nest must not tile C (partial sums are kept at the innermost nest)";
    outer = t;
    if (j > 0) sub_[at(j)] = *top.layer;  // nest 0 covers the whole layer
    layer_[at(j)] = j > 0 ? &sub_[at(j)] : top.layer;
    auto& c = ctx_[at(j)];
    if (depth_ == 1) {
      c = top;  // one nest: the pair's own route
    } else {
      c = make_context(*top.soc, *layer_[at(j)], top.unit, route_[at(j)]);
    }
    if (!c.supported) return "no DMA engine moves an operand between the levels of two loop nests";
    // Launch once, for the whole layer; tile overhead per step of the innermost nest.
    c.launch_cycles = 0;
    c.tile_overhead = j + 1 == depth_ ? top.tile_overhead : 0.0;
  }
  if (narrow_outer_partial_sums(top, m))
    return "the innermost loop nest would write partial sums back into an outer nest's buffer of "
           "an output narrower than the accumulator (C tiled outside an output loop)";
  return nullptr;
}

bool NestChain::narrow_outer_partial_sums(const LayerContext& top, const Mapping& m) const {
  const Layer& l = *top.layer;
  if (depth_ < 2 || l.accumulates || l.bits.output >= l.bits.accumulator) return false;
  const int j = depth_ - 1;
  const auto kO = idx(Operand::O);
  const Route& r = route_[at(j)];
  if (r.from[kO] == top.home[kO]) return false;  // they go home, where the plan gives them room
  const DimArray& tile = tile_[at(j)];
  if (tile[idx(Dim::C)] >= l.dim(Dim::C)) return false;  // C whole: no partial sums leave
  return r.to[kO] == r.from[kO] || revisits_output(m.nest(j).order, tile, tile_[at(j - 1)]);
}

namespace {

// Makes `s` (a copy of `l`) cover extents `e` of `l`.
void cover(Layer& s, const Layer& l, const DimArray& e) {
  s.dims = e;
  s.in_y = static_cast<std::int64_t>(in_rows(l, static_cast<double>(e[idx(Dim::OY)])));
  s.in_x = static_cast<std::int64_t>(in_cols(l, static_cast<double>(e[idx(Dim::OX)])));
}

}  // namespace

Layer sub_layer(const Layer& l, const DimArray& e) {
  Layer s = l;
  cover(s, l, e);
  return s;
}

void NestChain::set_extents(int j, const DimArray& e) {
  cover(sub_[at(j)], *top_->layer, e);  // sub_[j] is a copy of the layer (resolve)
}

Cuts NestChain::inner_cuts(int j, const Cuts& cuts, const DimArray& n) const {
  Cuts inner;
  for (std::size_t o = 0; o < kNumOperands; ++o)
    inner[o] = ctx(j).moved[o] ? no_cuts()[0] : layout_counts(cuts, o, n);
  return inner;
}

DimArray NestChain::layout_counts(const Cuts& cuts, std::size_t o, const DimArray& n) {
  DimArray c = n;
  for (std::size_t d = 0; d < kNumDims; ++d)
    c[d] *= cuts[o][d];
  return c;
}

std::int64_t Analytical::home_partial_sum_bytes(const LayerContext& ctx, const Mapping& m) const {
  const Layer& l = *ctx.layer;
  const auto kO = idx(Operand::O);
  // An accumulating slice's partial sums are the sliced layer's own tensor
  // (<output>.partial_sums, docs/memory.md), not room in the step's scratch.
  if (m.depth < 1 || m.depth > kMaxNests || l.bits.output >= l.bits.accumulator || l.accumulates)
    return 0;
  DimArray outer = l.dims, tile = l.dims;
  for (int j = 0; j < m.depth; ++j) {
    if (j > 0) outer = tile;
    for (std::size_t d = 0; d < kNumDims; ++d)
      tile[d] = std::max<std::int64_t>(1, std::min(m.nest(j).tile[d], outer[d]));
    const auto lvl = m.nest(j).level[kO];
    if (j + 1 < m.depth && lvl != LoopNest::kNoMove && lvl != ctx.home[kO])
      return 0;  // an outer nest holds the output: its buffer takes the partial sums
  }
  if (tile[idx(Dim::C)] >= l.dim(Dim::C)) return 0;
  // Partial sums leave the unit when the innermost nest does not move the
  // output or visits its tiles more than once.
  const bool leave = ctx.level[kO] == ctx.home[kO] || revisits_output(m.inner().order, tile, outer);
  return leave ? bytes_of(l.output_elems(), l.bits.accumulator) : 0;
}

bool revisits_output(const std::array<Dim, kNumDims>& order, const DimArray& tile,
                     const DimArray& extents) {
  bool c_seen = false;
  for (Dim d : order) {
    if ((extents[idx(d)] + tile[idx(d)] - 1) / tile[idx(d)] < 2) continue;
    if (d == Dim::C) c_seen = true;
    if (c_seen && relevant(Operand::O, d)) return true;  // an output loop inside C
  }
  return false;
}

Cuts NestChain::no_cuts() {
  Cuts c;
  c.fill(DimArray{1, 1, 1, 1, 1, 1, 1, 1});
  return c;
}

}  // namespace tessel::sim
