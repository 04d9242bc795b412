#include "sim/analytical.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include <fmt/format.h>

namespace tessel::sim {
namespace {

constexpr std::size_t kI = idx(Operand::I), kW = idx(Operand::W), kO = idx(Operand::O);
constexpr double kPjPerMwSecond = 1e9;  // 1 mW for 1 s = 1e-3 J = 1e9 pJ

// ceil(x) for x >= 0 below 2^63, without a call into libm.
std::int64_t ceil_int(double x) {
  const auto i = static_cast<std::int64_t>(x);
  return i + (static_cast<double>(i) < x);
}
// The nearest integer to x >= 0 (halves up, as std::llround), without libm.
std::int64_t round_int(double x) {
  return static_cast<std::int64_t>(x + 0.5);
}

// The larger of two doubles, by value: compiled to one maxsd, where
// std::max (which returns a reference) becomes a compare and a branch, and
// the comparisons of the hot path are data-dependent.
double dmax(double a, double b) {
  return a > b ? a : b;
}

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

// The DMA load of a step, per engine slot and bit of the step's key (which
// transfers come around it): the transfer cycles in the shadow of the unit's
// work and those that must follow it. Transfers on one engine serialise;
// distinct engines run in parallel; a transfer without an engine is not
// timed. Branch-free in the key, which varies from step to step.
class StepLoads {
 public:
  static constexpr std::size_t kBits = 4;
  explicit StepLoads(int slots) : slots_(static_cast<std::size_t>(slots)) {
    for (std::size_t s = 0; s < slots_; ++s)
      over_[s] = serial_[s] = {};
  }
  void add(unsigned bit, int slot, double c, bool overlapped) {
    const auto s = static_cast<std::size_t>(slot);
    if (s >= slots_) return;
    const double v = dmax(c, 0.0), ov = static_cast<double>(overlapped);
    over_[s][bit] += v * ov;
    serial_[s][bit] += v - v * ov;
  }
  // The step ends when the unit's work and every engine are done: an engine
  // runs its overlapped transfers during the work, the others after it.
  double time(unsigned key, double work) const {
    std::array<double, kBits> on;
    for (std::size_t b = 0; b < kBits; ++b)
      on[b] = static_cast<double>(key >> b & 1u);
    double t = work;
    for (std::size_t s = 0; s < slots_; ++s) {
      double ov = 0, se = 0;
      for (std::size_t b = 0; b < kBits; ++b) {
        ov += on[b] * over_[s][b];
        se += on[b] * serial_[s][b];
      }
      t = dmax(t, dmax(work, ov) + se);
    }
    return t;
  }

 private:
  std::size_t slots_;
  // Rows beyond slots_ stay unset (never read).
  std::array<std::array<double, kBits>, LayerContext::kEngineSlots> over_, serial_;
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
    if (c.engine_in[o])
      c.byte_cycles_in[o] = 1.0 / effective_bw(soc, *c.engine_in[o], c.home[o], c.level[o]);
    if (c.engine_out[o])
      c.byte_cycles_out[o] = 1.0 / effective_bw(soc, *c.engine_out[o], c.level[o], c.home[o]);
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
      if (!relevant(static_cast<Operand>(o), d)) continue;
      c.relevant_dims[o] |= 1u << idx(d);
      c.operand_bytes[idx(d)] |= 0xFFu << (8 * o);
    }
  }
  c.energy_per_op = c.model->energy_is_per_op();
  // Engine slots.
  {
    std::array<const hw::DmaEngine*, LayerContext::kEngineSlots> seen{};
    auto slot = [&](const hw::DmaEngine* e) {
      if (!e) return LayerContext::kEngineSlots;
      for (int i = 0; i < c.engine_slots; ++i) {
        if (seen[static_cast<std::size_t>(i)] == e) return i;
      }
      if (c.engine_slots == LayerContext::kEngineSlots) {
        return c.engine_slots - 1;  // more engines than slots share the last (conservative)
      }
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
  c.levels = static_cast<int>(soc.levels.size());
  for (std::size_t lvl = 0; lvl < soc.levels.size(); ++lvl)
    c.capacity[lvl] = soc.levels[lvl].capacity;
  if (c.engine_in[kI]) c.engine_dims[kI] = c.engine_in[kI]->dims;
  if (c.engine_in[kW]) c.engine_dims[kW] = c.engine_in[kW]->dims;
  if (c.engine_out[kO]) c.engine_dims[kO] = c.engine_out[kO]->dims;
  // A flow of bytes read at level `from` and written at level `to` (-1: not
  // charged there), moved by `engine` (or by the unit).
  auto flow = [&](Flow f, int from, int to, const hw::DmaEngine* engine) {
    const auto i = static_cast<std::size_t>(f);
    if (from >= 0)
      c.flow_level_pj[i][static_cast<std::size_t>(from)] +=
          soc.levels[static_cast<std::size_t>(from)].read_energy;
    if (to >= 0)
      c.flow_level_pj[i][static_cast<std::size_t>(to)] +=
          soc.levels[static_cast<std::size_t>(to)].write_energy;
    if (engine) c.flow_dma_pj[i] = engine->energy;
  };
  if (c.moved[kI]) flow(Flow::i_in, c.home[kI], c.level[kI], c.engine_in[kI]);
  if (c.moved[kW]) flow(Flow::w_in, c.home[kW], c.level[kW], c.engine_in[kW]);
  if (c.moved[kO]) {
    flow(Flow::o_out, c.level[kO], c.home[kO], c.engine_out[kO]);
    flow(Flow::o_back, c.home[kO], c.level[kO], c.engine_in[kO]);
  }
  flow(Flow::unit_i, c.level[kI], -1, nullptr);
  if (c.present[kW] && c.weights_per_tile) flow(Flow::unit_w, c.level[kW], -1, nullptr);
  flow(Flow::unit_o, -1, c.level[kO], nullptr);
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
  if (m.depth != 1) return nested(ctx, m);
  return finish(ctx, tile_terms(ctx, m.inner().tile, m.unrolling, false), m);
}

namespace {

// The bytes held at every level by a tile with the given buffering, and
// whether they fit. Returns the reason when they do not.
const char* place(const LayerContext& ctx, const TileTerms& tt,
                  const std::array<bool, kNumOperands>& db,
                  std::array<std::int64_t, kMaxLevels>& held) {
  held = ctx.home_bytes;  // whole tensors at their home levels
  for (std::size_t o = 0; o < kNumOperands; ++o) {
    if (!ctx.moved[o]) continue;
    held[static_cast<std::size_t>(ctx.level[o])] += tt.bytes[o] * (db[o] ? 2 : 1);
  }
  held[static_cast<std::size_t>(ctx.level[kI])] += tt.extra_bytes;
  for (std::size_t lvl = 0; lvl < static_cast<std::size_t>(ctx.levels); ++lvl) {
    if (held[lvl] <= ctx.capacity[lvl]) continue;
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
// the DMA moves and of the unit, DMA engines, compute, static power. Each
// flow of bytes is charged at the per-byte energies resolved by prepare().
void charge_energy(const LayerContext& ctx, const TileTerms& tt, const Moves& mv, Cost& cost) {
  const std::array<double, kFlows> bytes = {
      mv.i,
      mv.w,
      mv.o_out,
      mv.o_back,
      tt.elems[kI] * ctx.elem_bytes[kI],  // the unit reads its input and weight tiles
      tt.elems[kW] * ctx.elem_bytes[kW],
      tt.elems[kO] * ctx.elem_bytes[kO]};  // and writes its output tile once per step
  double levels_energy = 0;
  for (std::size_t lvl = 0; lvl < static_cast<std::size_t>(ctx.levels); ++lvl) {
    double e = 0;
    for (std::size_t f = 0; f < bytes.size(); ++f)
      e += bytes[f] * ctx.flow_level_pj[f][lvl];
    cost.level_energy[lvl] = e;
    levels_energy += e;
  }
  cost.dma_energy = 0;
  for (std::size_t f = 0; f < bytes.size(); ++f)
    cost.dma_energy += bytes[f] * ctx.flow_dma_pj[f];
  const double seconds_per_cycle = 1.0 / ctx.soc->frequency;
  cost.compute_energy =
      tt.compute_energy + tt.compute * seconds_per_cycle * ctx.active_power_mw * kPjPerMwSecond;
  cost.static_energy = cost.cycles * seconds_per_cycle * ctx.static_power_mw * kPjPerMwSecond;
  cost.energy = levels_energy + cost.compute_energy + cost.static_energy + cost.dma_energy;
}

}  // namespace

double transfer_cycles(const hw::DmaEngine* e, double byte_cycles, double bytes,
                       const TileTraffic& t) {
  if (!e) return 0.0;
  return t.cmds * e->setup_cycles + bytes * byte_cycles +
         dmax(t.runs - t.cmds, 0.0) * e->row_cycles;
}

TileTraffic tile_traffic(const LayerContext& ctx, const DimArray& n, const DimArray& e,
                         Operand op) {
  const Layer& l = *ctx.layer;
  const std::size_t o = idx(op);
  const int in_dims = ctx.engine_dims[kI], w_dims = ctx.engine_dims[kW],
            o_dims = ctx.engine_dims[kO];
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
  auto& t = tt.grid.tile;
  auto& n = tt.grid.count;
  auto& r = tt.grid.last;
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
  const auto bytes = tile_bytes(ctx, t);
  for (std::size_t o = 0; o < kNumOperands; ++o)
    tt.bytes[o] = ceil_int(bytes[o]);
  tt.extra_bytes = model.extra_bytes(l, t, unrolling);
  {
    std::array<std::int64_t, kMaxLevels> held;  // fits at all (single-buffered)?
    if (const char* reason = place(ctx, tt, {false, false, false}, held)) {
      tt.reason = reason;
      return tt;
    }
  }

  const int in_dims = ctx.engine_dims[kI], w_dims = ctx.engine_dims[kW],
            o_dims = ctx.engine_dims[kO];
  const bool i_chan_full = n[idx(Dim::G)] == 1 && n[idx(Dim::C)] == 1;
  const bool o_chan_full = n[idx(Dim::G)] == 1 && n[idx(Dim::K)] == 1;
  const bool x_full = n[idx(Dim::OX)] == 1;
  const bool y_full = n[idx(Dim::OY)] == 1 && n[idx(Dim::N)] == 1;
  auto traffic = [&](const DimArray& e, std::size_t o) {
    return tile_traffic(ctx, n, e, static_cast<Operand>(o));
  };

  // Compute sums over every tile step, from the unit model in one call.
  const auto sum = model.sum_cost(l, tt.grid, unrolling);
  tt.compute = sum.cycles;
  // Per-op energy summed over every tile is the layer's nest ops x energy per op.
  tt.compute_energy = ctx.energy_per_op
                          ? static_cast<double>(l.nest_ops()) * model.spec().energy_per_mac
                          : sum.energy;

  // TileTraffic sums over every tile step. Each per-tile quantity is a product
  // of per-dimension factors, and the steps are the Cartesian product of the
  // per-dimension tiles, so its sum is the product of per-dimension sums: the
  // whole extent D for a factor that is the tile extent, the sum of the input
  // rows (columns) over the OY (OX) tiles, and the tile count n for a
  // dimension the quantity does not depend on. FY and FX have one tile here.
  auto cnt = [&](Dim d) { return static_cast<double>(n[idx(d)]); };
  auto whole = [&](Dim d) { return static_cast<double>(D[idx(d)]); };
  auto per_dim = [&](Dim d, auto f) {
    return static_cast<double>(n[idx(d)] - 1) * f(t[idx(d)]) + f(r[idx(d)]);
  };
  const double rows_sum = per_dim(Dim::OY, [&](std::int64_t x) { return in_rows(l, x); });
  const double cols_sum = per_dim(Dim::OX, [&](std::int64_t x) { return in_cols(l, x); });
  const double T = tt.steps;
  const double nN = cnt(Dim::N), nG = cnt(Dim::G), nK = cnt(Dim::K), nC = cnt(Dim::C),
               nY = cnt(Dim::OY), nX = cnt(Dim::OX);
  const double wN = whole(Dim::N), wG = whole(Dim::G), wK = whole(Dim::K), wC = whole(Dim::C),
               wY = whole(Dim::OY), wX = whole(Dim::OX);
  {  // I, HWC: per tile runs / commands as in feature_map_tile
    const double tensors = ctx.input_tensors;
    tt.elems[kI] = tensors * wN * wG * wC * rows_sum * cols_sum * nK;
    const double per_image = wN * nG * nK * nC * nY * nX;  // one per tile and image
    const double per_row = wN * rows_sum * nG * nK * nC * nX;
    double runs = 0, cmds = 0;
    if (i_chan_full && x_full) {
      runs = y_full ? T : per_image;
      cmds = T;
    } else if (i_chan_full) {
      runs = per_row;
      cmds = in_dims >= 2 ? per_image : runs;
    } else {
      const bool pieces = n[idx(Dim::C)] > 1 && n[idx(Dim::G)] > 1;
      runs = wN * rows_sum * cols_sum * nK * nC * (pieces ? wG : nG);
      cmds = in_dims >= 3 ? per_image : in_dims == 2 ? per_row : runs;
    }
    tt.runs[kI] = tensors * runs;
    tt.cmds[kI] = tensors * cmds;
  }
  {  // O, HWC
    tt.elems[kO] = wN * wG * wK * wY * wX * nC;
    const double per_image = wN * nG * nK * nC * nY * nX;
    const double per_row = wN * wY * nG * nK * nC * nX;
    if (o_chan_full && x_full) {
      tt.runs[kO] = y_full ? T : per_image;
      tt.cmds[kO] = T;
    } else if (o_chan_full) {
      tt.runs[kO] = per_row;
      tt.cmds[kO] = o_dims >= 2 ? per_image : per_row;
    } else {
      const bool pieces = n[idx(Dim::K)] > 1 && n[idx(Dim::G)] > 1;
      tt.runs[kO] = wN * wY * wX * nK * nC * (pieces ? wG : nG);
      tt.cmds[kO] = o_dims >= 3 ? per_image : o_dims == 2 ? per_row : tt.runs[kO];
    }
  }
  if (ctx.present[kW]) {  // W: [K][FY][FX][C] per group (dense MatMul: [C][K])
    const double fyx = whole(Dim::FY) * whole(Dim::FX);
    tt.elems[kW] = wG * wK * wC * fyx * nN * nY * nX;
    const bool inner_full = l.weights_ck ? n[idx(Dim::K)] == 1 : n[idx(Dim::C)] == 1;
    if (inner_full) {
      const bool split = n[idx(Dim::K)] > 1 && n[idx(Dim::G)] > 1;
      tt.runs[kW] = split ? wG * nN * nK * nC * nY * nX : T;
      tt.cmds[kW] = split && w_dims < 2 ? tt.runs[kW] : T;
    } else {
      tt.runs[kW] = l.weights_ck ? wG * wC * nN * nK * nY * nX : wG * wK * fyx * nN * nC * nY * nX;
      tt.cmds[kW] = w_dims >= 2 ? T : tt.runs[kW];
    }
  }
  if (ctx.moved[kI]) {
    const auto f = traffic(t, kI);
    tt.first_i =
        transfer_cycles(ctx.engine_in[kI], ctx.byte_cycles_in[kI], f.elems * ctx.elem_bytes[kI], f);
  }
  if (ctx.moved[kW]) {
    const auto f = traffic(t, kW);
    tt.first_w =
        transfer_cycles(ctx.engine_in[kW], ctx.byte_cycles_in[kW], f.elems * ctx.elem_bytes[kW], f);
  }
  if (ctx.moved[kO]) {
    const auto f = traffic(r, kO);
    tt.last_wb = transfer_cycles(ctx.engine_out[kO], ctx.byte_cycles_out[kO],
                                 f.elems * ctx.elem_bytes[kO], f);
  }
  // The first fetches of I and W, with nothing to overlap: serial on a shared
  // engine, in parallel on two (a missing transfer costs 0).
  tt.first_in =
      ctx.slot_in[kI] == ctx.slot_in[kW] ? tt.first_i + tt.first_w : dmax(tt.first_i, tt.first_w);
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
  if (const char* reason = place(ctx, tt, m.inner().double_buffer, cost.bytes_held)) {
    cost = Cost{};
    cost.reason = reason;
    return cost;
  }
  const Layer& l = *ctx.layer;
  const auto& n = tt.grid.count;
  const double steps = tt.steps;

  // --- loop nest ------------------------------------------------------------
  // Tile loops with more than one tile, outermost first (1-based levels).
  // Per operand, the innermost loop that indexes it (p, 0: none) and its
  // fetch count: the product of the tile counts down to that loop.
  std::array<double, kNumDims> loop_n{};
  std::array<double, kNumDims + 1> prefix{1};  // product of the tile counts of levels 1..L
  int loops = 0;
  double outer = 1;
  // Branch-free, because whether a dimension is tiled varies between
  // candidates: the levels of the three operands are packed in the bytes of
  // one word, and a dimension's level replaces the bytes of the operands it
  // indexes.
  std::uint32_t levels = 0;
  for (Dim d : m.inner().order) {
    const auto nd = static_cast<double>(n[idx(d)]);
    const auto tiled = static_cast<std::uint32_t>(nd != 1);
    outer *= nd;
    loop_n[static_cast<std::size_t>(loops)] = nd;  // kept only when tiled
    loops += static_cast<int>(tiled);
    prefix[static_cast<std::size_t>(loops)] = outer;
    const std::uint32_t mask = ctx.operand_bytes[idx(d)] & (0u - tiled);
    levels = (levels & ~mask) | (static_cast<std::uint32_t>(loops) * 0x010101u & mask);
  }
  std::array<int, kNumOperands> p{};
  std::array<double, kNumOperands> count{};
  for (std::size_t o = 0; o < kNumOperands; ++o) {
    p[o] = static_cast<int>(levels >> (8 * o) & 0xFFu);
    count[o] = prefix[static_cast<std::size_t>(p[o])];
  }
  // Distinct output tiles.
  const double distinct_o = static_cast<double>(n[idx(Dim::N)] * n[idx(Dim::G)] * n[idx(Dim::K)] *
                                                n[idx(Dim::OY)] * n[idx(Dim::OX)]);

  // --- transfers ---------------------------------------------------------------
  // Fetches of X: (count_X / steps) x the per-step sums (each relevant tile is
  // fetched count_X / prod(relevant n) times).
  auto moved = [&](std::size_t o, double scale) {
    return TileTraffic{tt.elems[o] * scale, tt.runs[o] * scale, tt.cmds[o] * scale};
  };
  const double per_step = 1.0 / steps;
  const TileTraffic mv_i = moved(kI, count[kI] * per_step);
  const TileTraffic mv_w = moved(kW, count[kW] * per_step);
  const TileTraffic mv_o = moved(kO, count[kO] * per_step);
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
    return ctx.moved[o] ? transfer_cycles(ctx.engine_in[o], ctx.byte_cycles_in[o], bytes, tr) : 0.0;
  };
  const double total_i = in_time(kI, mv_i, i_bytes);
  const double total_w = in_time(kW, mv_w, w_bytes);
  const double total_wb =
      ctx.moved[kO] ? transfer_cycles(ctx.engine_out[kO], ctx.byte_cycles_out[kO], o_wb_bytes, mv_o)
                    : 0.0;
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
  const double work = tt.compute * per_step + ctx.tile_overhead;  // the unit's time per step
  const auto& db = m.inner().double_buffer;  // A transfer overlaps the computation when its operand
                                             // is double-buffered
  // and no single-ported level stands between them.
  std::array<bool, kNumOperands> overlaps{};
  for (std::size_t o = 0; o < kNumOperands; ++o)
    overlaps[o] = db[o] & !ctx.port_bound[o];
  // A step's time depends only on the transfers around it, which follow from
  // the loop levels that advance before it (la) and after it (lb; 0: none):
  // bit 0 the previous output write-back (la <= p_O, O double-buffered),
  // bits 1 to 3 the fetches of the next I and W tiles and of the next output
  // tile (lb <= p_I, p_W, p_O). Steps are counted per key, and each key that
  // occurs is timed once: its DMA load in the shadow of the unit's work and
  // after it.
  auto before = [&](int la) { return static_cast<unsigned>((la >= 1) & (la <= p[kO]) & db[kO]); };
  auto after = [&](int lb) {
    const unsigned any = lb >= 1;
    return (any & static_cast<unsigned>(lb <= p[kI])) << 1 |
           (any & static_cast<unsigned>(ctx.present[kW] & (lb <= p[kW]))) << 2 |
           (any & static_cast<unsigned>(lb <= p[kO])) << 3;
  };
  StepLoads load(ctx.engine_slots);
  load.add(0, ctx.slot_out[kO], avg_wb, overlaps[kO]);
  load.add(1, ctx.slot_in[kI], avg_i, overlaps[kI]);
  load.add(2, ctx.slot_in[kW], avg_w, overlaps[kW]);
  load.add(3, ctx.slot_out[kO], db[kO] ? 0.0 : avg_wb, false);
  load.add(3, ctx.slot_in[kO], avg_rb, overlaps[kO]);
  double body = 0;
  if (loops == 0) {
    body = work;
  } else {
    std::array<double, 16> steps_of{};  // steps per key
    unsigned used = 0;
    auto add = [&](unsigned key, double count) {
      steps_of[key] += count;
      used |= 1u << key;
    };
    // Steps whose outermost advancing loop is L: prod(n before L) x (n_L - 1).
    const int inner = loops;
    double before_l = 1;  // product of the tile counts of the loops outside L
    for (int L = 1; L < inner; ++L) {
      const double c = before_l * (loop_n[static_cast<std::size_t>(L - 1)] - 1);
      add(before(inner) | after(L), c);  // inner wraps, L moves
      add(before(L) | after(inner), c);  // L moved, inner next
      before_l *= loop_n[static_cast<std::size_t>(L - 1)];
    }
    const double n_inner = loop_n[static_cast<std::size_t>(inner - 1)];
    add(before(0) | after(inner), 1);  // the first step, followed by an inner increment
    add(before(inner) | after(inner), before_l * (n_inner - 1) - steps / n_inner);
    add(before(inner) | after(0), 1);  // the last step
    for (unsigned rest = used; rest; rest &= rest - 1) {
      const auto key = static_cast<unsigned>(std::countr_zero(rest));
      body += steps_of[key] * load.time(key, work);
    }
  }

  cost.tiles = static_cast<std::int64_t>(steps);
  cost.macs = l.macs();
  cost.compute_cycles = tt.compute;
  cost.overhead_cycles = ctx.launch_cycles + steps * ctx.tile_overhead;
  cost.cycles = ctx.launch_cycles + tt.first_in + body + tt.last_wb;
  cost.dma_cycles = dmax(cost.cycles - cost.compute_cycles - cost.overhead_cycles, 0.0);
  cost.stall_cycles = 0;
  cost.dma_busy_cycles = total_i + total_w + total_wb + total_rb;
  cost.transfers[kI] = ctx.moved[kI] ? static_cast<std::int64_t>(count[kI]) : 0;
  cost.transfers[kW] = ctx.moved[kW] ? static_cast<std::int64_t>(count[kW]) : 0;
  cost.transfers[kO] = ctx.moved[kO] ? static_cast<std::int64_t>(visits) : 0;
  cost.bytes_moved[kI] = ctx.moved[kI] ? round_int(i_bytes) : 0;
  cost.bytes_moved[kW] = ctx.moved[kW] ? round_int(w_bytes) : 0;
  cost.bytes_moved[kO] = ctx.moved[kO] ? round_int(o_wb_bytes + readback_bytes) : 0;

  charge_energy(ctx, tt, {i_bytes, w_bytes, o_wb_bytes, readback_bytes}, cost);
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
