#include "sim/analytical.hpp"

#include <algorithm>

#include "sim/energy.hpp"
#include "sim/stages.hpp"

// The analytical cost model in its stages (docs/cost-model.md): per tile
// shape, the grid, the buffers and their placement, the unit's compute sums,
// the traffic sums and the prologue and epilogue (tile_terms); per loop
// order and buffering, the loop levels and fetch counts, the transfers, the
// step timeline and the energy (finish).
namespace tessel::sim {
namespace {

using stages::kI;
using stages::kO;
using stages::kW;
using stages::overflowing_level;

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

}  // namespace

LayerContext Analytical::prepare(const Layer& layer, const Mapping& m) const {
  return make_context(*soc_, layer, m.unit, home_route(*soc_, m.unit, m.home));
}

Analytical::Analytical(std::shared_ptr<const hw::Soc> soc) : soc_(std::move(soc)) {}

LayerContext Analytical::prepare(const Layer& layer, int unit) const {
  return make_context(*soc_, layer, unit, unit_route(*soc_, unit));
}

std::array<double, kNumOperands> Analytical::tile_bytes(const LayerContext& ctx,
                                                        const DimArray& t) const {
  const Layer& l = *ctx.layer;
  auto e = [&](Dim d) { return static_cast<double>(t[idx(d)]); };
  // An output buffer holds partial sums at accumulator width when C is
  // tiled or the layer continues earlier slices' partial sums.
  const bool accumulates = t[idx(Dim::C)] < l.dim(Dim::C) || l.accumulates;
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
  const auto ctx = prepare(layer, m);
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
  if (const char* why = stages::make_grid(l, tile, tt)) {
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
  tt.compute_energy = stages::compute_energy(ctx, l, sum);
  if (ctx.outer_cuts) {
    std::array<TrafficLayout, kNumOperands> lay;
    for (std::size_t o = 0; o < kNumOperands; ++o) {
      DimArray n = tt.grid.count;
      for (std::size_t d = 0; d < kNumDims; ++d)
        n[d] *= ctx.cuts[o][d];
      lay[o] = traffic_layout(l, n);
    }
    stages::sum_traffic(ctx, tt, lay[kI], lay[kW], lay[kO]);
  } else {
    const auto layout = traffic_layout(l, tt.grid.count);
    stages::sum_traffic(ctx, tt, layout, layout, layout);
  }
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
  if (stages::reads_back(ctx, lv) && !ctx.engine_in[kO]) {
    cost = Cost{};
    cost.reason = "partial sums would need reading back, but no DMA engine moves them in";
    return cost;
  }
  const auto tr = stages::nest_transfers(ctx, tt, lv);
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

KeepCost keep_cost(const hw::Soc& soc, int level, std::int64_t bytes) {
  if (bytes <= 0 || level < 0 || static_cast<std::size_t>(level) >= soc.levels.size()) return {};
  const auto& l = soc.levels[static_cast<std::size_t>(level)];
  const auto b = static_cast<double>(bytes);
  return {b / std::min(l.read_bandwidth, l.write_bandwidth), b * (l.read_energy + l.write_energy)};
}

}  // namespace tessel::sim
