#include "sim/analytical.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace tessel::sim {
namespace {

constexpr std::size_t kI = idx(Operand::I), kW = idx(Operand::W), kO = idx(Operand::O);
constexpr double kPjPerMwSecond = 1e9;  // 1 mW for 1 s = 1e-3 J = 1e9 pJ

// Rows and columns of the input window an output tile of `oy` x `ox` reads.
double in_rows(const Layer& l, std::int64_t oy) {
  const auto fy = (l.dim(Dim::FY) - 1) * l.dilation_y + 1;
  return static_cast<double>(std::min<std::int64_t>(l.in_y, (oy - 1) * l.stride_y + fy));
}
double in_cols(const Layer& l, std::int64_t ox) {
  const auto fx = (l.dim(Dim::FX) - 1) * l.dilation_x + 1;
  return static_cast<double>(std::min<std::int64_t>(l.in_x, (ox - 1) * l.stride_x + fx));
}

// Commands needed for a transfer of `needed` dimensions on an engine of
// `dims` dimensions, given its runs and its rows (2-D slices).
double commands(int needed, int dims, double runs, double rows) {
  if (needed <= dims) return 1.0;
  if (needed == 3 && dims == 2) return rows;
  return runs;
}

// Feature maps are stored HWC (channels innermost), as PULP-NN and DORY do.
// `chan_full`: the tile spans all channels; `x_full`: all columns; `y_full`: all rows.
TileTraffic feature_map_tile(double n, double rows, double cols, double chans, double chan_pieces,
                             bool chan_full, bool x_full, bool y_full, int dims) {
  TileTraffic t;
  t.elems = n * rows * cols * chans;
  if (chan_full && x_full) {
    t.runs = y_full ? 1.0 : n;  // one block per image (or the whole batch)
    t.cmds = 1.0;
    return t;
  }
  if (chan_full) {
    t.runs = n * rows;  // 2-D: one run per row
    t.cmds = n * commands(2, dims, rows, rows);
    return t;
  }
  t.runs = n * rows * cols * chan_pieces;  // 3-D: one run per pixel (and group)
  t.cmds = n * commands(3, dims, rows * cols * chan_pieces, rows);
  return t;
}

// Effective bandwidth of a move: the slowest of the engine, the source's
// read port and the destination's write port.
double effective_bw(const hw::Soc& soc, const hw::DmaEngine& e, int src, int dst) {
  return std::min({e.bandwidth, soc.levels[static_cast<std::size_t>(src)].read_bandwidth,
                   soc.levels[static_cast<std::size_t>(dst)].write_bandwidth});
}

// Per-step DMA load, summed per engine (transfers on one engine serialise;
// distinct engines run in parallel).
// The DMA load around one step, per engine slot: transfers in the shadow of
// the computation and transfers that must follow it. Transfers on one engine
// serialise; distinct engines run in parallel.
struct StepLoad {
  std::array<double, 4> over{}, serial{};
  void add(int slot, double c, bool overlapped) {
    if (slot < 0 || c <= 0) return;
    (overlapped ? over : serial)[static_cast<std::size_t>(slot)] += c;
  }
  // The step ends when the unit's work and every engine are done: an engine
  // runs its overlapped transfers during the work, the others after it.
  double time(double work, int slots) const {
    double t = work;
    for (std::size_t i = 0; i < static_cast<std::size_t>(slots); ++i)
      t = std::max(t, std::max(work, over[i]) + serial[i]);
    return t;
  }
};

}  // namespace

Analytical::Analytical(std::shared_ptr<const hw::Soc> soc) : soc_(std::move(soc)) {}

LayerContext Analytical::prepare(const Layer& layer, int unit) const {
  const auto& soc = *soc_;
  LayerContext c;
  c.layer = &layer;
  c.soc = &soc;
  c.unit = unit;
  if (unit < 0 || static_cast<std::size_t>(unit) >= soc.units.size()) {
    c.unsupported_reason = fmt::format("no unit with index {}", unit);
    return c;
  }
  c.model = &soc.model(unit);
  const auto& spec = c.model->spec();
  c.supported = c.model->supports(layer, &c.unsupported_reason);

  c.present = {true, has_weights(layer.op), true};
  c.input_tensors = layer.num_inputs();
  c.elem_bytes[kI] = layer.bits.input / 8.0;
  c.elem_bytes[kW] = layer.bits.weight / 8.0;
  c.elem_bytes[kO] = layer.bits.output / 8.0;
  c.acc_bytes = layer.bits.accumulator / 8.0;
  c.home = {soc.activations_home, soc.weights_home, soc.activations_home};
  for (std::size_t o = 0; o < kNumOperands; ++o) {
    c.level[o] = spec.operand_level[o];
    c.moved[o] = c.present[o] && c.level[o] != c.home[o];
    if (!c.moved[o]) continue;
    c.engine_in[o] = soc.dma_for(c.home[o], c.level[o]);
    c.engine_out[o] = soc.dma_for(c.level[o], c.home[o]);
    const bool needs_in = o != kO;  // O needs an inbound path only to read partial sums back
    if ((needs_in && !c.engine_in[o]) || (o == kO && !c.engine_out[o])) {
      c.supported = false;
      c.unsupported_reason = fmt::format("no DMA engine moves operand {} between '{}' and '{}'",
                                         operand_name(static_cast<Operand>(o)),
                                         soc.levels[static_cast<std::size_t>(c.home[o])].name,
                                         soc.levels[static_cast<std::size_t>(c.level[o])].name);
    }
    if (c.engine_in[o]) c.bw_in[o] = effective_bw(soc, *c.engine_in[o], c.home[o], c.level[o]);
    if (c.engine_out[o]) c.bw_out[o] = effective_bw(soc, *c.engine_out[o], c.level[o], c.home[o]);
  }
  if (c.model && c.supported) {
    c.launch_cycles = c.model->launch_cycles(layer);
    c.tile_overhead = c.model->tile_overhead_cycles(layer);
  }
  c.home_bytes[static_cast<std::size_t>(c.home[kI])] += layer.input_bytes();
  c.home_bytes[static_cast<std::size_t>(c.home[kO])] += layer.output_bytes();
  if (c.present[kW]) c.home_bytes[static_cast<std::size_t>(c.home[kW])] += layer.weight_bytes();
  for (std::size_t o = 0; o < kNumOperands; ++o) {
    for (Dim d : kAllDims) {
      if (relevant(static_cast<Operand>(o), d)) c.relevant_dims[o] |= 1u << idx(d);
    }
  }
  c.energy_per_op = c.model->energy_is_per_op();
  // Engine slots.
  {
    std::array<const hw::DmaEngine*, 4> seen{};
    auto slot = [&](const hw::DmaEngine* e) {
      if (!e) return -1;
      for (int i = 0; i < c.engine_slots; ++i) {
        if (seen[static_cast<std::size_t>(i)] == e) return i;
      }
      if (c.engine_slots == 4) return 3;  // more engines than slots share the last (conservative)
      seen[static_cast<std::size_t>(c.engine_slots)] = e;
      return c.engine_slots++;
    };
    for (std::size_t o = 0; o < kNumOperands; ++o) {
      c.slot_in[o] = slot(c.engine_in[o]);
      c.slot_out[o] = slot(c.engine_out[o]);
    }
  }
  // Levels the computation holds a port of while it runs.
  c.weights_per_tile = c.model->reads_weights_per_tile();
  std::array<bool, kMaxLevels> unit_level{};
  for (std::size_t o = 0; o < kNumOperands; ++o) {
    if (c.present[o] && (o != kW || c.weights_per_tile))
      unit_level[static_cast<std::size_t>(c.level[o])] = true;
  }
  for (std::size_t o = 0; o < kNumOperands; ++o) {
    if (!c.moved[o]) continue;
    for (int lvl : {c.home[o], c.level[o]}) {
      const auto i = static_cast<std::size_t>(lvl);
      if (unit_level[i] && soc.levels[i].ports < 2) c.port_bound[o] = true;
    }
  }
  for (const auto& lvl : soc.levels)
    c.static_power_mw += lvl.leakage;
  for (const auto& u : soc.units)
    c.static_power_mw += u.idle_power;
  c.active_power_mw = spec.active_power;
  return c;
}

std::array<double, kNumOperands> Analytical::tile_bytes(const LayerContext& ctx,
                                                        const DimArray& t) const {
  const Layer& l = *ctx.layer;
  auto e = [&](Dim d) { return static_cast<double>(t[idx(d)]); };
  const bool accumulates = t[idx(Dim::C)] < l.dim(Dim::C);
  std::array<double, kNumOperands> b{};
  b[kI] = ctx.input_tensors * e(Dim::N) * e(Dim::G) * e(Dim::C) * in_rows(l, t[idx(Dim::OY)]) *
          in_cols(l, t[idx(Dim::OX)]) * ctx.elem_bytes[kI];
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
  return finish(ctx, tile_terms(ctx, m.tile, m.unrolling, false), m);
}

namespace {

// The bytes held at every level by a tile with the given buffering, and
// whether they fit. Returns the reason when they do not.
const char* place(const LayerContext& ctx, const TileTerms& tt,
                  const std::array<bool, kNumOperands>& db, Cost& cost) {
  const auto& soc = *ctx.soc;
  cost.bytes_held = ctx.home_bytes;  // whole tensors at their home levels
  for (std::size_t o = 0; o < kNumOperands; ++o) {
    if (!ctx.moved[o]) continue;
    cost.bytes_held[static_cast<std::size_t>(ctx.level[o])] +=
        static_cast<std::int64_t>(std::ceil(tt.bytes[o])) * (db[o] ? 2 : 1);
  }
  cost.bytes_held[static_cast<std::size_t>(ctx.level[kI])] += tt.extra_bytes;
  for (std::size_t lvl = 0; lvl < soc.levels.size(); ++lvl) {
    if (cost.bytes_held[lvl] <= soc.levels[lvl].capacity) continue;
    const int li = static_cast<int>(lvl);
    const bool unit_level = li == ctx.level[kI] || li == ctx.level[kW] || li == ctx.level[kO];
    const bool home_level = li == ctx.home[kI] || li == ctx.home[kW];
    return unit_level && !home_level ? "the tiles do not fit the unit's memory"
                                     : "the layer's tensors do not fit their home memory";
  }
  return nullptr;
}

// Bytes moved by DMA for one mapping: I and W fetched, O written back
// (partial and final), partial sums read back.
struct Moves {
  double i = 0, w = 0, o_out = 0, o_back = 0;
};

// Energy of a mapping into `cost` (whose cycles are set): memory accesses of
// the DMA moves and of the unit, DMA engines, compute, static power.
void charge_energy(const LayerContext& ctx, const TileTerms& tt, const Moves& mv, Cost& cost) {
  const auto& soc = *ctx.soc;
  auto charge = [&](int lvl, double read_bytes, double write_bytes) {
    const auto& L = soc.levels[static_cast<std::size_t>(lvl)];
    cost.level_energy[static_cast<std::size_t>(lvl)] +=
        read_bytes * L.read_energy + write_bytes * L.write_energy;
  };
  // DMA moves: read at the source, written at the destination.
  if (ctx.moved[kI]) {
    charge(ctx.home[kI], mv.i, 0);
    charge(ctx.level[kI], 0, mv.i);
    cost.dma_energy += mv.i * ctx.engine_in[kI]->energy;
  }
  if (ctx.moved[kW]) {
    charge(ctx.home[kW], mv.w, 0);
    charge(ctx.level[kW], 0, mv.w);
    cost.dma_energy += mv.w * ctx.engine_in[kW]->energy;
  }
  if (ctx.moved[kO]) {
    charge(ctx.level[kO], mv.o_out, mv.o_back);
    charge(ctx.home[kO], mv.o_back, mv.o_out);
    cost.dma_energy += mv.o_out * ctx.engine_out[kO]->energy;
    if (ctx.engine_in[kO]) cost.dma_energy += mv.o_back * ctx.engine_in[kO]->energy;
  }
  // The unit reads its input and weight tiles and writes its output tile once per step.
  charge(ctx.level[kI], tt.elems[kI] * ctx.elem_bytes[kI], 0);
  if (ctx.present[kW] && ctx.weights_per_tile)
    charge(ctx.level[kW], tt.elems[kW] * ctx.elem_bytes[kW], 0);
  charge(ctx.level[kO], 0, tt.elems[kO] * ctx.elem_bytes[kO]);
  cost.compute_energy =
      tt.compute_energy + tt.compute / soc.frequency * ctx.active_power_mw * kPjPerMwSecond;
  cost.static_energy = cost.cycles / soc.frequency * ctx.static_power_mw * kPjPerMwSecond;
  double levels_energy = 0;
  for (auto v : cost.level_energy)
    levels_energy += v;
  cost.energy = levels_energy + cost.compute_energy + cost.static_energy + cost.dma_energy;
}

}  // namespace

double transfer_cycles(const hw::DmaEngine* e, double bw, double bytes, const TileTraffic& t) {
  if (!e) return 0.0;
  return t.cmds * e->setup_cycles + bytes / bw + std::max(0.0, t.runs - t.cmds) * e->row_cycles;
}

TileTraffic tile_traffic(const LayerContext& ctx, const DimArray& n, const DimArray& e,
                         Operand op) {
  const Layer& l = *ctx.layer;
  const std::size_t o = idx(op);
  const int in_dims = ctx.engine_in[kI] ? ctx.engine_in[kI]->dims : 3;
  const int w_dims = ctx.engine_in[kW] ? ctx.engine_in[kW]->dims : 3;
  const int o_dims = ctx.engine_out[kO] ? ctx.engine_out[kO]->dims : 3;
  const bool x_full = n[idx(Dim::OX)] == 1;
  const bool y_full = n[idx(Dim::OY)] == 1 && n[idx(Dim::N)] == 1;
  auto x = [&](Dim d) { return static_cast<double>(e[idx(d)]); };
  if (o == kI) {
    const bool chan_full = n[idx(Dim::G)] == 1 && n[idx(Dim::C)] == 1;
    const double pieces = (n[idx(Dim::C)] > 1 && n[idx(Dim::G)] > 1) ? x(Dim::G) : 1.0;
    return feature_map_tile(x(Dim::N), in_rows(l, e[idx(Dim::OY)]), in_cols(l, e[idx(Dim::OX)]),
                            x(Dim::G) * x(Dim::C), pieces, chan_full, x_full, y_full, in_dims) *
           static_cast<double>(ctx.input_tensors);
  }
  if (o == kO) {
    const bool chan_full = n[idx(Dim::G)] == 1 && n[idx(Dim::K)] == 1;
    const double pieces = (n[idx(Dim::K)] > 1 && n[idx(Dim::G)] > 1) ? x(Dim::G) : 1.0;
    return feature_map_tile(x(Dim::N), x(Dim::OY), x(Dim::OX), x(Dim::G) * x(Dim::K), pieces,
                            chan_full, x_full, y_full, o_dims);
  }
  // Weights: [K][FY][FX][C] per group (dense MatMul: [C][K]).
  TileTraffic tr;
  tr.elems = x(Dim::G) * x(Dim::K) * x(Dim::C) * x(Dim::FY) * x(Dim::FX);
  const bool inner_full = l.weights_ck ? n[idx(Dim::K)] == 1 : n[idx(Dim::C)] == 1;
  if (inner_full) {
    const bool split = n[idx(Dim::K)] > 1 && n[idx(Dim::G)] > 1;
    tr.runs = split ? x(Dim::G) : 1.0;
    tr.cmds = split ? commands(2, w_dims, tr.runs, tr.runs) : 1.0;
  } else {
    tr.runs =
        l.weights_ck ? x(Dim::G) * x(Dim::C) : x(Dim::G) * x(Dim::K) * x(Dim::FY) * x(Dim::FX);
    tr.cmds = commands(2, w_dims, tr.runs, tr.runs);
  }
  return tr;
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
  const auto& D = l.dims;
  auto& t = tt.tile;
  auto& n = tt.count;
  auto& r = tt.last;
  for (std::size_t d = 0; d < kNumDims; ++d) {
    if (tile[d] < 1) {
      tt.reason = "a tile size is below 1";
      return tt;
    }
    t[d] = std::min(tile[d], D[d]);
    n[d] = (D[d] + t[d] - 1) / t[d];
    r[d] = D[d] - (n[d] - 1) * t[d];
    tt.steps *= static_cast<double>(n[d]);
  }
  if (n[idx(Dim::FY)] > 1 || n[idx(Dim::FX)] > 1) {
    tt.reason = "the kernel window (FY, FX) must not be tiled";
    return tt;
  }
  if (unrolling < 0 || static_cast<std::size_t>(unrolling) >= model.unrollings().size()) {
    tt.reason = "the unit has no spatial unrolling with this index";
    return tt;
  }
  const char* why = nullptr;
  if (!model.tile_legal(l, t, unrolling, &why)) {
    tt.reason = why ? why : "the unit cannot run a tile of this shape";
    return tt;
  }
  tt.bytes = tile_bytes(ctx, t);
  tt.extra_bytes = model.extra_bytes(l, t, unrolling);
  {
    Cost probe;  // fits at all (single-buffered)?
    if (const char* reason = place(ctx, tt, {false, false, false}, probe)) {
      tt.reason = reason;
      return tt;
    }
  }

  const int in_dims = ctx.engine_in[kI] ? ctx.engine_in[kI]->dims : 3;
  const int w_dims = ctx.engine_in[kW] ? ctx.engine_in[kW]->dims : 3;
  const int o_dims = ctx.engine_out[kO] ? ctx.engine_out[kO]->dims : 3;
  const bool i_chan_full = n[idx(Dim::G)] == 1 && n[idx(Dim::C)] == 1;
  const bool o_chan_full = n[idx(Dim::G)] == 1 && n[idx(Dim::K)] == 1;
  const bool x_full = n[idx(Dim::OX)] == 1;
  const bool y_full = n[idx(Dim::OY)] == 1 && n[idx(Dim::N)] == 1;
  auto traffic = [&](const DimArray& e, std::size_t o) {
    return tile_traffic(ctx, n, e, static_cast<Operand>(o));
  };

  // Compute sums over every tile step: enumerate the full / remainder
  // combinations of the dims whose last tile is smaller; each occurs
  // prod(n-1 or 1) times. The unit model is asked once per combination.
  // A dim in which the unit's cost is proportional to the extent needs no
  // remainder shape: its tiles sum to D / t times the full tile's cost.
  std::array<std::size_t, kNumDims> rem{};
  std::size_t k = 0;
  double base_mult = 1;
  const unsigned linear = model.linear_dims(l, unrolling);
  for (std::size_t d = 0; d < kNumDims; ++d) {
    if (n[d] > 1 && r[d] != t[d] && !(linear >> d & 1u)) {
      rem[k++] = d;
    } else if (n[d] > 1 && r[d] != t[d]) {
      base_mult *= static_cast<double>(D[d]) / static_cast<double>(t[d]);
    } else {
      base_mult *= static_cast<double>(n[d]);
    }
  }
  DimArray e{};
  for (std::size_t mask = 0; mask < (std::size_t{1} << k); ++mask) {
    e = t;
    double mult = base_mult;
    for (std::size_t b = 0; b < k; ++b) {
      const auto d = rem[b];
      if (mask & (std::size_t{1} << b)) {
        e[d] = r[d];
      } else {
        mult *= static_cast<double>(n[d] - 1);
      }
    }
    tt.compute += mult * model.tile_cycles(l, e, unrolling);
    if (!ctx.energy_per_op) tt.compute_energy += mult * model.tile_energy(l, e, unrolling);
  }
  // Per-op energy summed over every tile is the layer's nest ops x energy per op.
  if (ctx.energy_per_op)
    tt.compute_energy = static_cast<double>(l.nest_ops()) * model.spec().energy_per_mac;

  // TileTraffic sums over every tile step. Each per-tile quantity is a product of
  // per-dimension factors, and the steps are the Cartesian product of the
  // per-dimension tiles, so its sum is the product of per-dimension sums
  // (dims not in the product contribute their tile count): no enumeration.
  auto whole = [&](Dim d) { return static_cast<double>(l.dim(d)); };
  auto per_dim = [&](Dim d, auto f) {
    return static_cast<double>(n[idx(d)] - 1) * f(t[idx(d)]) + f(r[idx(d)]);
  };
  const double rows_sum = per_dim(Dim::OY, [&](std::int64_t x) { return in_rows(l, x); });
  const double cols_sum = per_dim(Dim::OX, [&](std::int64_t x) { return in_cols(l, x); });
  std::array<double, kNumDims> counts{};
  for (std::size_t d = 0; d < kNumDims; ++d)
    counts[d] = static_cast<double>(n[d]);
  auto over = [&](std::initializer_list<std::pair<Dim, double>> factors) {
    auto f = counts;
    for (const auto& [d, sum] : factors)
      f[idx(d)] = sum;
    double v = 1;
    for (double x : f)
      v *= x;
    return v;
  };
  const double T = tt.steps;
  {  // I, HWC: per tile runs / commands as in feature_map_tile
    const double tensors = ctx.input_tensors;
    tt.elems[kI] = tensors * over({{Dim::N, whole(Dim::N)},
                                   {Dim::G, whole(Dim::G)},
                                   {Dim::C, whole(Dim::C)},
                                   {Dim::OY, rows_sum},
                                   {Dim::OX, cols_sum}});
    double runs = 0, cmds = 0;
    if (i_chan_full && x_full) {
      runs = y_full ? T : over({{Dim::N, whole(Dim::N)}});
      cmds = T;
    } else if (i_chan_full) {
      runs = over({{Dim::N, whole(Dim::N)}, {Dim::OY, rows_sum}});
      cmds = in_dims >= 2 ? over({{Dim::N, whole(Dim::N)}}) : runs;
    } else {
      const bool pieces = n[idx(Dim::C)] > 1 && n[idx(Dim::G)] > 1;
      runs = pieces ? over({{Dim::N, whole(Dim::N)},
                            {Dim::OY, rows_sum},
                            {Dim::OX, cols_sum},
                            {Dim::G, whole(Dim::G)}})
                    : over({{Dim::N, whole(Dim::N)}, {Dim::OY, rows_sum}, {Dim::OX, cols_sum}});
      cmds = in_dims >= 3   ? over({{Dim::N, whole(Dim::N)}})
             : in_dims == 2 ? over({{Dim::N, whole(Dim::N)}, {Dim::OY, rows_sum}})
                            : runs;
    }
    tt.runs[kI] = tensors * runs;
    tt.cmds[kI] = tensors * cmds;
  }
  {  // O, HWC
    tt.elems[kO] = over({{Dim::N, whole(Dim::N)},
                         {Dim::G, whole(Dim::G)},
                         {Dim::K, whole(Dim::K)},
                         {Dim::OY, whole(Dim::OY)},
                         {Dim::OX, whole(Dim::OX)}});
    if (o_chan_full && x_full) {
      tt.runs[kO] = y_full ? T : over({{Dim::N, whole(Dim::N)}});
      tt.cmds[kO] = T;
    } else if (o_chan_full) {
      tt.runs[kO] = over({{Dim::N, whole(Dim::N)}, {Dim::OY, whole(Dim::OY)}});
      tt.cmds[kO] = o_dims >= 2 ? over({{Dim::N, whole(Dim::N)}}) : tt.runs[kO];
    } else {
      const bool pieces = n[idx(Dim::K)] > 1 && n[idx(Dim::G)] > 1;
      tt.runs[kO] = pieces ? over({{Dim::N, whole(Dim::N)},
                                   {Dim::OY, whole(Dim::OY)},
                                   {Dim::OX, whole(Dim::OX)},
                                   {Dim::G, whole(Dim::G)}})
                           : over({{Dim::N, whole(Dim::N)},
                                   {Dim::OY, whole(Dim::OY)},
                                   {Dim::OX, whole(Dim::OX)}});
      tt.cmds[kO] = o_dims >= 3   ? over({{Dim::N, whole(Dim::N)}})
                    : o_dims == 2 ? over({{Dim::N, whole(Dim::N)}, {Dim::OY, whole(Dim::OY)}})
                                  : tt.runs[kO];
    }
  }
  if (ctx.present[kW]) {  // W: [K][FY][FX][C] per group (dense MatMul: [C][K])
    tt.elems[kW] = over({{Dim::G, whole(Dim::G)},
                         {Dim::K, whole(Dim::K)},
                         {Dim::C, whole(Dim::C)},
                         {Dim::FY, whole(Dim::FY)},
                         {Dim::FX, whole(Dim::FX)}});
    const bool inner_full = l.weights_ck ? n[idx(Dim::K)] == 1 : n[idx(Dim::C)] == 1;
    if (inner_full) {
      const bool split = n[idx(Dim::K)] > 1 && n[idx(Dim::G)] > 1;
      tt.runs[kW] = split ? over({{Dim::G, whole(Dim::G)}}) : T;
      tt.cmds[kW] = split && w_dims < 2 ? tt.runs[kW] : T;
    } else {
      tt.runs[kW] = l.weights_ck ? over({{Dim::G, whole(Dim::G)}, {Dim::C, whole(Dim::C)}})
                                 : over({{Dim::G, whole(Dim::G)},
                                         {Dim::K, whole(Dim::K)},
                                         {Dim::FY, whole(Dim::FY)},
                                         {Dim::FX, whole(Dim::FX)}});
      tt.cmds[kW] = w_dims >= 2 ? T : tt.runs[kW];
    }
  }
  if (ctx.moved[kI]) {
    const auto f = traffic(t, kI);
    tt.first_i = transfer_cycles(ctx.engine_in[kI], ctx.bw_in[kI], f.elems * ctx.elem_bytes[kI], f);
  }
  if (ctx.moved[kW]) {
    const auto f = traffic(t, kW);
    tt.first_w = transfer_cycles(ctx.engine_in[kW], ctx.bw_in[kW], f.elems * ctx.elem_bytes[kW], f);
  }
  if (ctx.moved[kO]) {
    const auto f = traffic(r, kO);
    tt.last_wb =
        transfer_cycles(ctx.engine_out[kO], ctx.bw_out[kO], f.elems * ctx.elem_bytes[kO], f);
  }
  StepLoad prologue;  // nothing to overlap with yet
  prologue.add(ctx.slot_in[kI], tt.first_i, false);
  prologue.add(ctx.slot_in[kW], tt.first_w, false);
  tt.first_in = prologue.time(0, ctx.engine_slots);
  tt.min_cycles =
      ctx.launch_cycles + tt.first_in + tt.compute + tt.steps * ctx.tile_overhead + tt.last_wb;
  // Every relevant tile moves at least once (count_X >= prod(relevant n)) and
  // the output is written once at output width; static power over min_cycles.
  auto once = [&](std::size_t o) {
    double f = 1;
    for (std::size_t d = 0; d < kNumDims; ++d) {
      if (ctx.relevant_dims[o] >> d & 1u) f *= static_cast<double>(n[d]);
    }
    return tt.elems[o] * f / tt.steps;
  };
  if (!energy_bound) {
    tt.legal = true;
    return tt;
  }
  Cost floor;
  floor.cycles = tt.min_cycles;
  charge_energy(ctx, tt,
                {once(kI) * ctx.elem_bytes[kI], once(kW) * ctx.elem_bytes[kW],
                 once(kO) * ctx.elem_bytes[kO], 0},
                floor);
  tt.min_energy = floor.energy;
  tt.legal = true;
  return tt;
}

Cost Analytical::finish(const LayerContext& ctx, const TileTerms& tt, const Mapping& m) const {
  Cost cost;
  if (!tt.legal) {
    cost.reason = tt.reason;
    return cost;
  }
  if (const char* reason = place(ctx, tt, m.double_buffer, cost)) {
    cost = Cost{};
    cost.reason = reason;
    return cost;
  }
  const Layer& l = *ctx.layer;
  const auto& n = tt.count;
  const double steps = tt.steps;

  // --- loop nest ------------------------------------------------------------
  // Tile loops with more than one tile, outermost first; pos[d] is 1-based.
  std::array<double, kNumDims> loop_n{};
  std::array<int, kNumDims> pos{};
  int loops = 0;
  for (Dim d : m.order) {
    if (n[idx(d)] > 1) {
      loop_n[static_cast<std::size_t>(loops)] = static_cast<double>(n[idx(d)]);
      pos[idx(d)] = ++loops;
    }
  }
  // Innermost relevant loop of each operand and its fetch count.
  std::array<int, kNumOperands> p{};
  std::array<double, kNumOperands> count{};
  for (std::size_t o = 0; o < kNumOperands; ++o) {
    for (std::size_t d = 0; d < kNumDims; ++d) {
      if (ctx.relevant_dims[o] >> d & 1u) p[o] = std::max(p[o], pos[d]);
    }
    count[o] = 1;
    for (int i = 0; i < p[o]; ++i)
      count[o] *= loop_n[static_cast<std::size_t>(i)];
  }
  double distinct_o = 1;  // distinct output tiles
  for (std::size_t d = 0; d < kNumDims; ++d) {
    if (ctx.relevant_dims[kO] >> d & 1u) distinct_o *= static_cast<double>(n[d]);
  }

  // --- transfers ---------------------------------------------------------------
  // Fetches of X: (count_X / steps) x the per-step sums (each relevant tile is
  // fetched count_X / prod(relevant n) times).
  auto moved = [&](std::size_t o, double scale) {
    return TileTraffic{tt.elems[o] * scale, tt.runs[o] * scale, tt.cmds[o] * scale};
  };
  const TileTraffic mv_i = moved(kI, count[kI] / steps);
  const TileTraffic mv_w = moved(kW, count[kW] / steps);
  const TileTraffic mv_o = moved(kO, count[kO] / steps);
  // Output visits: count_O write-backs, of which distinct_o final (output
  // width) and the rest partial sums (accumulator width), and as many partial
  // read-backs.
  const double visits = count[kO];
  const double final_frac = distinct_o / visits;
  const double o_wb_bytes =
      mv_o.elems * (final_frac * ctx.elem_bytes[kO] + (1 - final_frac) * ctx.acc_bytes);
  const TileTraffic readback = mv_o * (1 - final_frac);
  const double readback_bytes = readback.elems * ctx.acc_bytes;
  if (ctx.moved[kO] && visits > distinct_o && !ctx.engine_in[kO]) {
    cost = Cost{};
    cost.reason = "partial sums would need reading back, but no DMA engine moves them in";
    return cost;
  }
  const double i_bytes = mv_i.elems * ctx.elem_bytes[kI];
  const double w_bytes = mv_w.elems * ctx.elem_bytes[kW];
  auto in_time = [&](std::size_t o, const TileTraffic& tr, double bytes) {
    return ctx.moved[o] ? transfer_cycles(ctx.engine_in[o], ctx.bw_in[o], bytes, tr) : 0.0;
  };
  const double total_i = in_time(kI, mv_i, i_bytes);
  const double total_w = in_time(kW, mv_w, w_bytes);
  const double total_wb =
      ctx.moved[kO] ? transfer_cycles(ctx.engine_out[kO], ctx.bw_out[kO], o_wb_bytes, mv_o) : 0.0;
  const double total_rb = in_time(kO, readback, readback_bytes);
  // Average cost of the fetches after the first and of the write-backs before the last.
  auto avg = [](double total, double first, double cnt) {
    return cnt > 1 ? (total - first) / (cnt - 1) : 0.0;
  };
  const double avg_i = avg(total_i, tt.first_i, count[kI]);
  const double avg_w = avg(total_w, tt.first_w, count[kW]);
  const double avg_wb = avg(total_wb, tt.last_wb, visits);
  const double avg_rb = visits > 1 ? total_rb / (visits - 1) : 0.0;

  // --- timeline ----------------------------------------------------------------
  const double work = tt.compute / steps + ctx.tile_overhead;  // the unit's time per step
  const auto& db = m.double_buffer;
  // One step s with carry levels la (at s) and lb (at s+1; 0 = none): the DMA
  // load that overlaps its compute and the load that must follow it.
  // The step time depends only on which transfers happen around it; memoise
  // it on those five conditions.
  std::array<double, 32> memo;
  std::uint32_t known = 0;
  // A transfer overlaps the computation when its operand is double-buffered
  // and no single-ported level stands between them.
  std::array<bool, kNumOperands> overlaps{};
  for (std::size_t o = 0; o < kNumOperands; ++o)
    overlaps[o] = db[o] && !ctx.port_bound[o];
  auto step_time = [&](int la, int lb) {
    const bool wb_prev = la >= 1 && la <= p[kO] && db[kO];
    const bool fetch_i = lb >= 1 && lb <= p[kI];
    const bool fetch_w = lb >= 1 && ctx.present[kW] && lb <= p[kW];
    const bool o_next = lb >= 1 && lb <= p[kO];
    const unsigned key = wb_prev | fetch_i << 1 | fetch_w << 2 | o_next << 3;
    if (known >> key & 1u) return memo[key];
    StepLoad load;
    if (wb_prev) load.add(ctx.slot_out[kO], avg_wb, overlaps[kO]);
    if (fetch_i) load.add(ctx.slot_in[kI], avg_i, overlaps[kI]);
    if (fetch_w) load.add(ctx.slot_in[kW], avg_w, overlaps[kW]);
    if (o_next) {
      if (!db[kO]) load.add(ctx.slot_out[kO], avg_wb, false);
      load.add(ctx.slot_in[kO], avg_rb, overlaps[kO]);
    }
    known |= 1u << key;
    return memo[key] = load.time(work, ctx.engine_slots);
  };
  double body = 0;
  if (loops == 0) {
    body = work;
  } else {
    // Steps whose outermost advancing loop is L: prod(n before L) x (n_L - 1).
    std::array<double, kNumDims + 1> cnt{};
    double outer = 1;
    for (int L = 1; L <= loops; ++L) {
      const double nl = loop_n[static_cast<std::size_t>(L - 1)];
      cnt[static_cast<std::size_t>(L)] = outer * (nl - 1);
      outer *= nl;
    }
    const int inner = loops;
    const double n_inner = loop_n[static_cast<std::size_t>(inner - 1)];
    body += step_time(0, inner);  // the first step, followed by an inner increment
    for (int L = 1; L < inner; ++L) {
      body += cnt[static_cast<std::size_t>(L)] * step_time(inner, L);  // inner wraps, L moves
      body += cnt[static_cast<std::size_t>(L)] * step_time(L, inner);  // L moved, inner next
    }
    body += (cnt[static_cast<std::size_t>(inner)] - steps / n_inner) * step_time(inner, inner);
    body += step_time(inner, 0);  // the last step
  }

  cost.tiles = static_cast<std::int64_t>(steps);
  cost.macs = l.macs();
  cost.compute_cycles = tt.compute;
  cost.overhead_cycles = ctx.launch_cycles + steps * ctx.tile_overhead;
  cost.cycles = ctx.launch_cycles + tt.first_in + body + tt.last_wb;
  cost.dma_cycles = std::max(0.0, cost.cycles - cost.compute_cycles - cost.overhead_cycles);
  cost.stall_cycles = 0;
  cost.dma_busy_cycles = total_i + total_w + total_wb + total_rb;
  cost.transfers[kI] = ctx.moved[kI] ? static_cast<std::int64_t>(count[kI]) : 0;
  cost.transfers[kW] = ctx.moved[kW] ? static_cast<std::int64_t>(count[kW]) : 0;
  cost.transfers[kO] = ctx.moved[kO] ? static_cast<std::int64_t>(visits) : 0;
  cost.bytes_moved[kI] = ctx.moved[kI] ? std::llround(i_bytes) : 0;
  cost.bytes_moved[kW] = ctx.moved[kW] ? std::llround(w_bytes) : 0;
  cost.bytes_moved[kO] = ctx.moved[kO] ? std::llround(o_wb_bytes + readback_bytes) : 0;

  charge_energy(ctx, tt, {i_bytes, w_bytes, o_wb_bytes, readback_bytes}, cost);
  cost.legal = true;
  return cost;
}

const TileTerms& CachedEvaluator::terms(const DimArray& tile, int unrolling) {
  DimArray t;  // cache key: the clamped extents
  for (std::size_t d = 0; d < kNumDims; ++d)
    t[d] = std::min(tile[d], ctx_.layer->dims[d]);
  if (!cached_ || unrolling != last_unrolling_ || t != last_.tile) {
    last_ = model_.tile_terms(ctx_, t, unrolling);
    last_.tile = t;
    last_unrolling_ = unrolling;
    cached_ = true;
  }
  return last_;
}

Cost CachedEvaluator::evaluate(const Mapping& m) {
  return model_.finish(ctx_, terms(m.tile, m.unrolling), m);
}

}  // namespace tessel::sim
