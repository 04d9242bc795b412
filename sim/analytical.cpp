#include "sim/analytical.hpp"

#include <algorithm>

#include "sim/energy.hpp"
#include "sim/loop_levels.hpp"
#include "sim/timeline.hpp"

// The analytical cost model in its stages (docs/cost-model.md): per tile
// shape, the grid, the buffers and their placement, the unit's compute sums,
// the traffic sums and the prologue and epilogue (tile_terms); per loop
// order and buffering, the loop levels and fetch counts, the transfers, the
// step timeline and the energy (finish).
namespace tessel::sim {
namespace {

constexpr std::size_t kI = idx(Operand::I), kW = idx(Operand::W), kO = idx(Operand::O);

// ceil(x) for x >= 0 below 2^63, without a call into libm.
std::int64_t ceil_int(double x) {
  const auto i = static_cast<std::int64_t>(x);
  return i + (static_cast<double>(i) < x);
}
// The nearest integer to x >= 0 (halves up, as std::llround), without libm.
std::int64_t round_int(double x) {
  return static_cast<std::int64_t>(x + 0.5);
}

// The reason a level that holds more than its capacity gives: the unit's
// tiles, or the layer's whole tensors at their home.
const char* overflow_reason(const LayerContext& ctx, int lvl) {
  const bool unit_level = lvl == ctx.level[kI] || lvl == ctx.level[kW] || lvl == ctx.level[kO];
  const bool home_level = lvl == ctx.home[kI] || lvl == ctx.home[kW];
  return unit_level && !home_level ? "the tiles do not fit the unit's memory"
                                   : "the layer's tensors do not fit their home memory";
}

// The first level whose bytes exceed its capacity, or -1.
int overflowing_level(const LayerContext& ctx, const std::array<std::int64_t, kMaxLevels>& held) {
  for (int lvl = 0; lvl < ctx.levels; ++lvl) {
    if (held[static_cast<std::size_t>(lvl)] > ctx.capacity[static_cast<std::size_t>(lvl)])
      return lvl;
  }
  return -1;
}

// Capacity, single-buffered: the bytes held at every level (the layer's
// whole tensors at their home levels, one buffer of each moved operand's
// tile, the unit's scratch at its input level) into tt.held. Returns the
// reason when they do not fit.
const char* place_single(const LayerContext& ctx, TileTerms& tt) {
  tt.held = ctx.home_bytes;
  for (std::size_t o = 0; o < kNumOperands; ++o) {
    if (ctx.moved[o]) tt.held[static_cast<std::size_t>(ctx.level[o])] += tt.bytes[o];
  }
  tt.held[static_cast<std::size_t>(ctx.level[kI])] += tt.extra_bytes;
  const int over = overflowing_level(ctx, tt.held);
  return over < 0 ? nullptr : overflow_reason(ctx, over);
}

// Capacity with the mapping's buffering: a double-buffered operand holds a
// second tile at its level.
const char* place_buffered(const LayerContext& ctx, const TileTerms& tt,
                           const std::array<bool, kNumOperands>& db,
                           std::array<std::int64_t, kMaxLevels>& held) {
  held = tt.held;
  for (std::size_t o = 0; o < kNumOperands; ++o) {
    if (ctx.moved[o] && db[o]) held[static_cast<std::size_t>(ctx.level[o])] += tt.bytes[o];
  }
  const int over = overflowing_level(ctx, held);
  return over < 0 ? nullptr : overflow_reason(ctx, over);
}

// Grid: tile extents clamped to the layer, tiles per dimension and the last
// (remainder) extents. Returns the reason a tile is illegal.
const char* make_grid(const Layer& l, const DimArray& tile, TileTerms& tt) {
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

// Traffic sums over every tile step (the per-operand formulas of
// traffic.hpp summed over the grid), the first fetches (prologue) and the
// last write-back (epilogue).
void sum_traffic(const LayerContext& ctx, TileTerms& tt) {
  const auto lay = traffic_layout(*ctx.layer, tt.grid.count);
  const traffic::AllTiles all{tt.grid};
  auto keep = [&](std::size_t o, const TileTraffic& t) {
    tt.elems[o] = t.elems;
    tt.runs[o] = t.runs;
    tt.cmds[o] = t.cmds;
  };
  keep(kI, traffic::input(ctx, lay, all));
  keep(kO, traffic::output(ctx, lay, all));
  if (ctx.present[kW]) keep(kW, traffic::weights(ctx, lay, all));
  // One transfer's DMA cycles, inbound or outbound, of a tile of operand o.
  auto move = [&](std::size_t o, bool in, const TileTraffic& f) {
    return in ? transfer_cycles(ctx.engine_in[o], ctx.byte_cycles_in[o],
                                f.elems * ctx.elem_bytes[o], f)
              : transfer_cycles(ctx.engine_out[o], ctx.byte_cycles_out[o],
                                f.elems * ctx.elem_bytes[o], f);
  };
  const traffic::OneTile first{tt.grid.tile}, last{tt.grid.last};
  if (ctx.moved[kI]) tt.first_i = move(kI, true, traffic::input(ctx, lay, first));
  if (ctx.moved[kW]) tt.first_w = move(kW, true, traffic::weights(ctx, lay, first));
  if (ctx.moved[kO]) tt.last_wb = move(kO, false, traffic::output(ctx, lay, last));
  // The first fetches of I and W, with nothing to overlap: serial on a shared
  // engine, in parallel on two (a missing transfer costs 0).
  tt.first_in =
      ctx.slot_in[kI] == ctx.slot_in[kW] ? tt.first_i + tt.first_w : dmax(tt.first_i, tt.first_w);
}

// Lower bounds of every order and buffering of a tile: the cycles of
// launch + prologue + compute + tile overheads + epilogue, and the energy of
// every relevant tile moved once (count_X >= prod(relevant n)), the output
// written once at output width, static power over the cycle bound.
void bound(const LayerContext& ctx, TileTerms& tt, bool energy_bound) {
  tt.min_cycles =
      ctx.launch_cycles + tt.first_in + tt.compute + tt.steps * ctx.tile_overhead + tt.last_wb;
  if (!energy_bound) return;
  const auto& n = tt.grid.count;
  auto once = [&](std::size_t o) {
    double f = 1;
    for (std::size_t d = 0; d < kNumDims; ++d) {
      if (ctx.relevant_dims[o] >> d & 1u) f *= static_cast<double>(n[d]);
    }
    return tt.elems[o] * f / tt.steps * ctx.elem_bytes[o];
  };
  Cost floor;
  floor.cycles = tt.min_cycles;
  charge_flows(ctx,
               {once(kI), once(kW), once(kO), 0, tt.elems[kI] * ctx.elem_bytes[kI],
                tt.elems[kW] * ctx.elem_bytes[kW], tt.elems[kO] * ctx.elem_bytes[kO]},
               floor);
  charge_time(ctx, tt.compute, tt.compute_energy, floor);
  tt.min_energy = floor.energy;
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

NestTransfers nest_transfers(const LayerContext& ctx, const TileTerms& tt, const LoopLevels& lv) {
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
  const TileTraffic readback = mv_o * (1 - final_frac);
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
  t.avg.readback = visits > 1 ? total_rb / (visits - 1) : 0.0;
  t.dma_busy = total_i + total_w + total_wb + total_rb;
  return t;
}

}  // namespace

Analytical::Analytical(std::shared_ptr<const hw::Soc> soc) : soc_(std::move(soc)) {}

LayerContext Analytical::prepare(const Layer& layer, int unit) const {
  return make_context(*soc_, layer, unit, unit_route(*soc_, unit));
}

std::array<double, kNumOperands> Analytical::tile_bytes(const LayerContext& ctx,
                                                        const DimArray& t) const {
  const Layer& l = *ctx.layer;
  auto e = [&](Dim d) { return static_cast<double>(t[idx(d)]); };
  const bool accumulates = t[idx(Dim::C)] < l.dim(Dim::C);
  std::array<double, kNumOperands> b{};
  b[kI] = ctx.input_tensors * e(Dim::N) * e(Dim::G) * e(Dim::C) * in_rows(l, e(Dim::OY)) *
          in_cols(l, e(Dim::OX)) * ctx.elem_bytes[kI];
  b[kW] = ctx.present[kW]
              ? e(Dim::G) * e(Dim::K) * e(Dim::C) * e(Dim::FY) * e(Dim::FX) * ctx.elem_bytes[kW]
              : 0.0;
  b[kO] = e(Dim::N) * e(Dim::G) * e(Dim::K) * e(Dim::OY) * e(Dim::OX) *
          (accumulates ? ctx.acc_bytes : ctx.elem_bytes[kO]);
  return b;
}

Cost Analytical::evaluate(const Layer& layer, const Mapping& m) const {
  const auto ctx = prepare(layer, m.unit);
  return evaluate(ctx, m);
}

Cost Analytical::evaluate(const LayerContext& ctx, const Mapping& m) const {
  if (m.depth != 1) return nested(ctx, m);
  return finish(ctx, tile_terms(ctx, m.inner().tile, m.unrolling, false), m);
}

TileTraffic tile_traffic(const LayerContext& ctx, const DimArray& n, const DimArray& e,
                         Operand op) {
  const auto lay = traffic_layout(*ctx.layer, n);
  const traffic::OneTile x{e};
  switch (op) {
    case Operand::I:
      return traffic::input(ctx, lay, x);
    case Operand::W:
      return traffic::weights(ctx, lay, x);
    case Operand::O:
      break;
  }
  return traffic::output(ctx, lay, x);
}

TileTerms Analytical::tile_terms(const LayerContext& ctx, const DimArray& tile, int unrolling,
                                 bool energy_bound) const {
  TileTerms tt;
  if (!ctx.supported) {
    tt.reason = "the unit does not support this layer";
    return tt;
  }
  const Layer& l = *ctx.layer;
  const hw::UnitModel& model = *ctx.model;
  if (const char* why = make_grid(l, tile, tt)) {
    tt.reason = why;
    return tt;
  }
  if (unrolling < 0 || static_cast<std::size_t>(unrolling) >= model.unrollings().size()) {
    tt.reason = "the unit has no spatial unrolling with this index";
    return tt;
  }
  const char* why = nullptr;
  if (!model.tile_legal(l, tt.grid.tile, unrolling, &why)) {
    tt.reason = why ? why : "the unit cannot run a tile of this shape";
    return tt;
  }
  // Buffers: one tile of each operand, the unit's scratch; they must fit.
  const auto bytes = tile_bytes(ctx, tt.grid.tile);
  for (std::size_t o = 0; o < kNumOperands; ++o)
    tt.bytes[o] = ceil_int(bytes[o]);
  tt.extra_bytes = model.extra_bytes(l, tt.grid.tile, unrolling);
  if (const char* reason = place_single(ctx, tt)) {
    tt.reason = reason;
    return tt;
  }
  // Compute sums over every tile step, from the unit model in one call; a
  // per-op energy summed over every tile is the layer's nest ops x energy per op.
  const auto sum = model.sum_cost(l, tt.grid, unrolling);
  tt.compute = sum.cycles;
  tt.compute_energy = ctx.energy_per_op
                          ? static_cast<double>(l.nest_ops()) * model.spec().energy_per_mac
                          : sum.energy;
  sum_traffic(ctx, tt);
  bound(ctx, tt, energy_bound);
  tt.legal = true;
  return tt;
}

Cost Analytical::finish(const LayerContext& ctx, const TileTerms& tt, const Mapping& m) const {
  Cost cost;
  if (!tt.legal) {
    cost.reason = tt.reason;
    return cost;
  }
  const auto& nest = m.inner();
  if (const char* reason = place_buffered(ctx, tt, nest.double_buffer, cost.bytes_held)) {
    cost = Cost{};
    cost.reason = reason;
    return cost;
  }
  const LoopLevels lv(ctx, tt.grid.count, nest.order);
  if (ctx.moved[kO] && lv.count[kO] > lv.distinct_o && !ctx.engine_in[kO]) {
    cost = Cost{};
    cost.reason = "partial sums would need reading back, but no DMA engine moves them in";
    return cost;
  }
  const NestTransfers tr = nest_transfers(ctx, tt, lv);
  const double work = tt.compute / tt.steps + ctx.tile_overhead;  // the unit's time per step
  const double body = step_sum(ctx, lv, nest.double_buffer, tr.avg, work, tt.steps);

  cost.tiles = static_cast<std::int64_t>(tt.steps);
  cost.macs = ctx.layer->macs();
  cost.compute_cycles = tt.compute;
  cost.overhead_cycles = ctx.launch_cycles + tt.steps * ctx.tile_overhead;
  cost.cycles = ctx.launch_cycles + tt.first_in + body + tt.last_wb;
  cost.dma_cycles = dmax(cost.cycles - cost.compute_cycles - cost.overhead_cycles, 0.0);
  cost.stall_cycles = 0;
  cost.dma_busy_cycles = tr.dma_busy;
  for (std::size_t o = 0; o < kNumOperands; ++o)
    cost.transfers[o] = ctx.moved[o] ? static_cast<std::int64_t>(lv.count[o]) : 0;
  cost.bytes_moved[kI] = ctx.moved[kI] ? round_int(tr.i_bytes) : 0;
  cost.bytes_moved[kW] = ctx.moved[kW] ? round_int(tr.w_bytes) : 0;
  cost.bytes_moved[kO] = ctx.moved[kO] ? round_int(tr.o_wb_bytes + tr.readback_bytes) : 0;
  charge_flows(
      ctx,
      {tr.i_bytes, tr.w_bytes, tr.o_wb_bytes, tr.readback_bytes, tt.elems[kI] * ctx.elem_bytes[kI],
       tt.elems[kW] * ctx.elem_bytes[kW], tt.elems[kO] * ctx.elem_bytes[kO]},
      cost);
  charge_time(ctx, tt.compute, tt.compute_energy, cost);
  cost.legal = true;
  return cost;
}

Cost Analytical::nested(const LayerContext&, const Mapping& m) const {
  Cost cost;
  cost.reason = m.depth < 1 || m.depth > kMaxNests
                    ? "a mapping has 1 to 3 loop nests"
                    : "mappings of more than one loop nest are not evaluated yet";
  return cost;
}

const TileTerms& CachedEvaluator::terms(const DimArray& tile, int unrolling) {
  DimArray t;  // cache key: the clamped extents
  for (std::size_t d = 0; d < kNumDims; ++d)
    t[d] = std::min(tile[d], ctx_.layer->dims[d]);
  if (!cached_ || unrolling != last_unrolling_ || t != last_.grid.tile) {
    last_ = model_.tile_terms(ctx_, t, unrolling);
    last_unrolling_ = unrolling;
    cached_ = true;
  }
  return last_;
}

Cost CachedEvaluator::evaluate(const Mapping& m) {
  if (m.depth != 1) return model_.evaluate(ctx_, m);
  return model_.finish(ctx_, terms(m.inner().tile, m.unrolling), m);
}

}  // namespace tessel::sim
