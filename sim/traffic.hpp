#pragma once

#include <algorithm>
#include <cstdint>

#include "hwmodels/units/common.hpp"
#include "sim/context.hpp"

// How many bytes, contiguous runs and DMA commands moving an operand's tiles
// takes (docs/cost-model.md, "Operand tiles and layouts"): one formula per
// operand, read either for one tile or summed over every tile step of a grid,
// through the per-dimension views of the unit models (hw::units::OneTile and
// AllTiles: x.ext(d), x.sum(d, f), x.count(d)). Feature maps are stored HWC
// (channels innermost, as PULP-NN and DORY do), weights [K][FY][FX][C] per
// group (dense MatMul: [C][K]).
namespace tessel::sim {

// Data moved for one tile of one operand (or summed over tiles): elements,
// contiguous runs, and DMA commands (a transfer of more dimensions than the
// engine supports is split).
struct TileTraffic {
  double elems = 0, runs = 0, cmds = 0;
  TileTraffic operator*(double f) const { return {elems * f, runs * f, cmds * f}; }
};

// Which dimensions of its source an operand's tiles cut (the layout of its
// transfers), decided once per grid: per operand, whether a tile spans all
// channels (chan_full), all columns (x_full), all rows and images (y_full),
// whether a channel-cut tile is also cut per group (pieces), and for weights
// whether a tile spans the innermost weight dimension (inner_full).
struct TrafficLayout {
  bool i_chan_full = true, o_chan_full = true, x_full = true, y_full = true;
  bool i_pieces = false, o_pieces = false;
  bool w_inner_full = true, w_split = false;
};

// The layout of a grid with `n` tiles per dimension over its source.
inline TrafficLayout traffic_layout(const Layer& l, const DimArray& n) {
  auto cut = [&](Dim d) { return n[idx(d)] > 1; };
  TrafficLayout t;
  t.i_chan_full = !cut(Dim::G) && !cut(Dim::C);
  t.o_chan_full = !cut(Dim::G) && !cut(Dim::K);
  t.x_full = !cut(Dim::OX);
  t.y_full = !cut(Dim::OY) && !cut(Dim::N);
  t.i_pieces = cut(Dim::C) && cut(Dim::G);
  t.o_pieces = cut(Dim::K) && cut(Dim::G);
  t.w_inner_full = l.weights_ck ? !cut(Dim::K) : !cut(Dim::C);
  t.w_split = cut(Dim::K) && cut(Dim::G);
  return t;
}

// Input rows (columns) the window of `oy` (`ox`) output rows (columns) reads.
inline double in_rows(const Layer& l, double oy) {
  const double fy = static_cast<double>((l.dim(Dim::FY) - 1) * l.dilation_y + 1);
  return std::min(static_cast<double>(l.in_y), (oy - 1) * l.stride_y + fy);
}
inline double in_cols(const Layer& l, double ox) {
  const double fx = static_cast<double>((l.dim(Dim::FX) - 1) * l.dilation_x + 1);
  return std::min(static_cast<double>(l.in_x), (ox - 1) * l.stride_x + fx);
}

namespace traffic {

using hw::units::AllTiles;
using hw::units::OneTile;

// The product of x.count over the given dimensions.
template <typename X, typename... D>
double counts(const X& x, D... d) {
  return (x.count(d) * ... * 1.0);
}

// A feature map tile (HWC) of channel dimension `chan` whose other channel
// dimension `other` (K for inputs, C for outputs) does not index it; `rows`
// and `cols` give the rows and columns of a tile of OY and OX extents.
// Runs: one block per image when all channels and columns are in the tile,
// one per row when all channels are, one per pixel (and group slice)
// otherwise; commands: one per such transfer, split when the engine has
// fewer dimensions than the transfer (`dims`).
template <typename X, typename Rows, typename Cols>
TileTraffic feature_map(const X& x, Dim chan, Dim other, Rows rows, Cols cols, bool chan_full,
                        bool x_full, bool y_full, bool pieces, int dims) {
  const double r = x.sum(Dim::OY, rows), c = x.sum(Dim::OX, cols);
  const double fyx = counts(x, Dim::FY, Dim::FX);
  TileTraffic t;
  t.elems = x.ext(Dim::N) * x.ext(Dim::G) * x.ext(chan) * r * c * x.count(other) * fyx;
  const double steps = counts(x, Dim::N, Dim::G, chan, other, Dim::OY, Dim::OX) * fyx;
  const double per_image =
      x.ext(Dim::N) * counts(x, Dim::G, other, chan, Dim::OY, Dim::OX) * fyx;  // one per image
  const double per_row = x.ext(Dim::N) * r * counts(x, Dim::G, other, chan, Dim::OX) * fyx;
  if (chan_full && x_full) {
    t.runs = y_full ? steps : per_image;
    t.cmds = steps;
  } else if (chan_full) {
    t.runs = per_row;
    t.cmds = dims >= 2 ? per_image : per_row;
  } else {
    t.runs = x.ext(Dim::N) * r * c * counts(x, other, chan) *
             (pieces ? x.ext(Dim::G) : x.count(Dim::G)) * fyx;
    t.cmds = dims >= 3 ? per_image : dims == 2 ? per_row : t.runs;
  }
  return t;
}

// Input tiles: the window rows and columns of the output tile, of every
// input tensor (two for an element-wise add).
template <typename X>
TileTraffic input(const LayerContext& ctx, const TrafficLayout& lay, const X& x) {
  const Layer& l = *ctx.layer;
  return feature_map(
             x, Dim::C, Dim::K, [&](double oy) { return in_rows(l, oy); },
             [&](double ox) { return in_cols(l, ox); }, lay.i_chan_full, lay.x_full, lay.y_full,
             lay.i_pieces, ctx.engine_dims[idx(Operand::I)]) *
         static_cast<double>(ctx.input_tensors);
}

template <typename X>
TileTraffic output(const LayerContext& ctx, const TrafficLayout& lay, const X& x) {
  auto same = [](double e) { return e; };
  return feature_map(x, Dim::K, Dim::C, same, same, lay.o_chan_full, lay.x_full, lay.y_full,
                     lay.o_pieces, ctx.engine_dims[idx(Operand::O)]);
}

// Weight tiles: one run when the innermost weight dimension is whole (one
// per group when K and G are both cut), otherwise one run per row of the
// other weight dimensions (2-D).
template <typename X>
TileTraffic weights(const LayerContext& ctx, const TrafficLayout& lay, const X& x) {
  const bool ck = ctx.layer->weights_ck;
  const int dims = ctx.engine_dims[idx(Operand::W)];
  const double others = counts(x, Dim::N, Dim::OY, Dim::OX);  // dims that do not index W
  const double steps = counts(x, Dim::G, Dim::K, Dim::C, Dim::FY, Dim::FX) * others;
  TileTraffic t;
  t.elems =
      x.ext(Dim::G) * x.ext(Dim::K) * x.ext(Dim::C) * x.ext(Dim::FY) * x.ext(Dim::FX) * others;
  if (lay.w_inner_full) {
    t.runs =
        lay.w_split ? x.ext(Dim::G) * counts(x, Dim::K, Dim::C, Dim::FY, Dim::FX) * others : steps;
    t.cmds = lay.w_split && dims < 2 ? t.runs : steps;
  } else {
    t.runs = ck ? x.ext(Dim::G) * x.ext(Dim::C) * counts(x, Dim::K, Dim::FY, Dim::FX) * others
                : x.ext(Dim::G) * x.ext(Dim::K) * x.ext(Dim::FY) * x.ext(Dim::FX) *
                      x.count(Dim::C) * others;
    t.cmds = dims >= 2 ? steps : t.runs;
  }
  return t;
}

}  // namespace traffic

// DMA cycles of one transfer: commands x setup + bytes x cycles per byte (1 /
// bandwidth) + extra rows x row cost (0 without an engine).
inline double transfer_cycles(const hw::DmaEngine* e, double byte_cycles, double bytes,
                              const TileTraffic& t) {
  if (!e) return 0.0;
  const double extra_runs = t.runs - t.cmds;
  return t.cmds * e->setup_cycles + bytes * byte_cycles +
         (extra_runs > 0.0 ? extra_runs : 0.0) * e->row_cycles;
}

// The traffic of one tile of extents `e` of operand `o`, in a grid of `n`
// tiles per dimension over the operand's source (which decides the layout of
// the transfer). Shared by the analytical model and the event simulator.
TileTraffic tile_traffic(const LayerContext& ctx, const DimArray& n, const DimArray& e, Operand o);

}  // namespace tessel::sim
