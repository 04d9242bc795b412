#pragma once

#include <algorithm>

#include "sim/analytical.hpp"
#include "sim/loop_levels.hpp"
#include "sim/timeline.hpp"

// Stages of costing one loop nest shared by the one-level evaluation
// (analytical.cpp) and the nested one (nested.cpp): the tile grid, the
// traffic sums with the prologue and epilogue, and the transfers of the
// nest's fetches and write-backs.
namespace tessel::sim::stages {

inline constexpr std::size_t kI = idx(Operand::I), kW = idx(Operand::W), kO = idx(Operand::O);

// The unit's compute energy over a grid whose compute sums are `sum`: the
// layer's nest ops x energy per op for a kind whose energy is per op (in
// closed form), the unit model's own sum otherwise.
inline double compute_energy(const LayerContext& ctx, const Layer& l,
                             const hw::UnitModel::TileCost& sum) {
  return ctx.energy_per_op ? static_cast<double>(l.nest_ops()) * ctx.model->spec().energy_per_mac
                           : sum.energy;
}

// The first level whose bytes exceed its capacity, or -1.
inline int overflowing_level(const LayerContext& ctx,
                             const std::array<std::int64_t, kMaxLevels>& held) {
  for (int lvl = 0; lvl < ctx.levels; ++lvl) {
    if (held[static_cast<std::size_t>(lvl)] > ctx.capacity[static_cast<std::size_t>(lvl)])
      return lvl;
  }
  return -1;
}

// Grid: tile extents clamped to the layer, tiles per dimension and the last
// (remainder) extents. Returns the reason a tile is illegal.
inline const char* make_grid(const Layer& l, const DimArray& tile, TileTerms& tt) {
  auto& t = tt.grid.tile;
  auto& n = tt.grid.count;
  auto& r = tt.grid.last;
  for (std::size_t d = 0; d < kNumDims; ++d) {
    if (tile[d] < 1) return "a tile size is below 1";
    t[d] = std::min(tile[d], l.dims[d]);
    n[d] = (l.dims[d] + t[d] - 1) / t[d];
    r[d] = l.dims[d] - (n[d] - 1) * t[d];
    tt.steps *= static_cast<double>(n[d]);
  }
  if (n[idx(Dim::FY)] > 1 || n[idx(Dim::FX)] > 1)
    return "the kernel window (FY, FX) must not be tiled";
  return nullptr;
}

// DMA cycles of reading the first output tile's partial sums back (at
// accumulator width) before an accumulating layer's first step.
inline double first_readback(const LayerContext& ctx, const TrafficLayout& lay_o,
                             const traffic::OneTile& first) {
  const TileTraffic t = traffic::output(ctx, lay_o, first);
  return transfer_cycles(ctx.engine_in[kO], ctx.byte_cycles_in[kO], t.elems * ctx.acc_bytes, t);
}

// The prologue's DMA cycles: the first fetches of I and W (and the first
// read-back of an accumulating layer), with nothing to overlap: serial on a
// shared engine, in parallel on distinct ones (a missing transfer costs 0).
inline double first_fetches(const LayerContext& ctx, const TileTerms& tt) {
  if (!ctx.accumulates)  // the common case, on the hot path: I and W only
    return ctx.slot_in[kI] == ctx.slot_in[kW] ? tt.first_i + tt.first_w
                                              : dmax(tt.first_i, tt.first_w);
  std::array<double, LayerContext::kEngineSlots + 1> on{};
  on[static_cast<std::size_t>(ctx.slot_in[kI])] += tt.first_i;
  on[static_cast<std::size_t>(ctx.slot_in[kW])] += tt.first_w;
  on[static_cast<std::size_t>(ctx.slot_in[kO])] += tt.first_rb;
  double longest = 0;
  for (double c : on)
    longest = dmax(longest, c);
  return longest;
}

// Traffic sums over every tile step (the per-operand formulas of
// traffic.hpp summed over the grid), the first fetches (prologue) and the
// last write-back (epilogue).
// Each operand's transfers have their own layout over their source (the same
// for all three in a one-level mapping).
inline void sum_traffic(const LayerContext& ctx, TileTerms& tt, const TrafficLayout& lay_i,
                        const TrafficLayout& lay_w, const TrafficLayout& lay_o) {
  const traffic::AllTiles all{tt.grid};
  auto keep = [&](std::size_t o, const TileTraffic& t) {
    tt.elems[o] = t.elems;
    tt.runs[o] = t.runs;
    tt.cmds[o] = t.cmds;
  };
  keep(kI, traffic::input(ctx, lay_i, all));
  keep(kO, traffic::output(ctx, lay_o, all));
  if (ctx.present[kW]) keep(kW, traffic::weights(ctx, lay_w, all));
  // One transfer's DMA cycles, inbound or outbound, of a tile of operand o.
  auto move = [&](std::size_t o, bool in, const TileTraffic& f) {
    return in ? transfer_cycles(ctx.engine_in[o], ctx.byte_cycles_in[o],
                                f.elems * ctx.elem_bytes[o], f)
              : transfer_cycles(ctx.engine_out[o], ctx.byte_cycles_out[o],
                                f.elems * ctx.elem_bytes[o], f);
  };
  const traffic::OneTile first{tt.grid.tile}, last{tt.grid.last};
  if (ctx.moved[kI]) tt.first_i = move(kI, true, traffic::input(ctx, lay_i, first));
  if (ctx.moved[kW]) tt.first_w = move(kW, true, traffic::weights(ctx, lay_w, first));
  if (ctx.moved[kO]) tt.last_wb = move(kO, false, traffic::output(ctx, lay_o, last));
  if (ctx.moved[kO] && ctx.accumulates) tt.first_rb = first_readback(ctx, lay_o, first);
  tt.first_in = first_fetches(ctx, tt);
}

// Whether a nest reads partial sums back: its output tiles are visited more
// than once (C tiled outside them) or the layer accumulates.
inline bool reads_back(const LayerContext& ctx, const LoopLevels& lv) {
  return ctx.moved[kO] && (lv.count[kO] > lv.distinct_o || ctx.accumulates);
}

// What one nest moves, per operand: bytes and DMA cycles over all its
// fetches (count_X / steps x the per-step sums, since every relevant tile is
// fetched count_X / prod(relevant n) times), and the average event costs of
// the step timeline. Output: count_O visits of distinct_o tiles; the first
// visits write partial sums at accumulator width and later ones read them
// back; the last visit writes the final output at output width.
struct NestTransfers {
  double i_bytes = 0, w_bytes = 0, o_wb_bytes = 0, readback_bytes = 0;
  double dma_busy = 0;  // total engine cycles, hidden or not
  StepTransfers avg;
};

inline NestTransfers nest_transfers(const LayerContext& ctx, const TileTerms& tt,
                                    const LoopLevels& lv) {
  const double per_step = 1.0 / tt.steps;
  auto moved = [&](std::size_t o, double scale) {
    return TileTraffic{tt.elems[o] * scale, tt.runs[o] * scale, tt.cmds[o] * scale};
  };
  const TileTraffic mv_i = moved(kI, lv.count[kI] * per_step);
  const TileTraffic mv_w = moved(kW, lv.count[kW] * per_step);
  const TileTraffic mv_o = moved(kO, lv.count[kO] * per_step);
  const double visits = lv.count[kO];
  const double final_frac = lv.distinct_o / visits;
  NestTransfers t;
  t.o_wb_bytes = mv_o.elems * (final_frac * ctx.elem_bytes[kO] + (1 - final_frac) * ctx.acc_bytes);
  // Visits that read partial sums back: all but each tile's first, or all
  // of them when the layer accumulates.
  const double readback_frac = ctx.accumulates ? 1.0 : 1 - final_frac;
  const TileTraffic readback = mv_o * readback_frac;
  t.readback_bytes = readback.elems * ctx.acc_bytes;
  t.i_bytes = mv_i.elems * ctx.elem_bytes[kI];
  t.w_bytes = mv_w.elems * ctx.elem_bytes[kW];
  auto in_time = [&](std::size_t o, const TileTraffic& tr, double bytes) {
    return ctx.moved[o] ? transfer_cycles(ctx.engine_in[o], ctx.byte_cycles_in[o], bytes, tr) : 0.0;
  };
  const double total_i = in_time(kI, mv_i, t.i_bytes);
  const double total_w = in_time(kW, mv_w, t.w_bytes);
  const double total_wb =
      ctx.moved[kO]
          ? transfer_cycles(ctx.engine_out[kO], ctx.byte_cycles_out[kO], t.o_wb_bytes, mv_o)
          : 0.0;
  const double total_rb = in_time(kO, readback, t.readback_bytes);
  // Average cost of the fetches after the first and of the write-backs before the last.
  auto avg = [](double total, double first, double cnt) {
    return cnt > 1 ? (total - first) / (cnt - 1) : 0.0;
  };
  t.avg.fetch_i = avg(total_i, tt.first_i, lv.count[kI]);
  t.avg.fetch_w = avg(total_w, tt.first_w, lv.count[kW]);
  t.avg.writeback = avg(total_wb, tt.last_wb, visits);
  t.avg.readback = visits > 1 ? (total_rb - tt.first_rb) / (visits - 1) : 0.0;
  t.dma_busy = total_i + total_w + total_wb + total_rb;
  return t;
}

}  // namespace tessel::sim::stages
