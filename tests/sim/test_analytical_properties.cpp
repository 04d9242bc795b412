// Properties of sim::Analytical that must hold for every mapping (DESIGN.md,
// "The analytical cost model"; docs/cost-model.md), checked over seeded random
// mappings of every layer of the MLPerf Tiny zoo on every unit of the shipped
// targets that supports it:
//   - more bandwidth (a DMA engine's, a memory's) is never worse, and keeps legality;
//   - a larger memory keeps every legal mapping legal at the same cost;
//   - double buffering an operand is never slower than single buffering it;
//   - an illegal mapping has a reason and no cost;
//   - cycles and energy are the sums of their parts, every part >= 0;
//   - evaluate == finish(tile_terms) == CachedEvaluator::evaluate, and the
//     tile lower bounds of branch and bound hold for every order and buffering.
// Failures are collected per property and reported with the first failing
// case (layer, unit, mapping, the costs compared).

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/mapping.hpp"
#include "core/zoo.hpp"
#include "hwmodels/soc_loader.hpp"
#include "sim/analytical.hpp"
#include "test_hand_soc.hpp"

using namespace tessel;

namespace {

constexpr std::size_t kI = idx(Operand::I), kW = idx(Operand::W), kO = idx(Operand::O);

// Relative tolerance of "never worse" comparisons (the costs are sums of
// doubles computed in different orders).
bool not_above(double a, double b) {
  return a <= b * (1 + 1e-12) + 1e-9;
}
bool close(double a, double b, double rel = 1e-9) {
  return std::abs(a - b) <= rel * std::max({1.0, std::abs(a), std::abs(b)});
}

// Two costs equal field by field, bit for bit.
bool identical(const Cost& a, const Cost& b) {
  return a.legal == b.legal && std::strcmp(a.reason, b.reason) == 0 && a.cycles == b.cycles &&
         a.compute_cycles == b.compute_cycles && a.dma_cycles == b.dma_cycles &&
         a.overhead_cycles == b.overhead_cycles && a.stall_cycles == b.stall_cycles &&
         a.dma_busy_cycles == b.dma_busy_cycles && a.energy == b.energy &&
         a.compute_energy == b.compute_energy && a.static_energy == b.static_energy &&
         a.dma_energy == b.dma_energy && a.level_energy == b.level_energy &&
         a.bytes_held == b.bytes_held && a.transfers == b.transfers &&
         a.bytes_moved == b.bytes_moved && a.tiles == b.tiles && a.macs == b.macs;
}

// Two costs equal up to rounding (the same computation on re-parsed SoCs).
bool same_cost(const Cost& a, const Cost& b) {
  return a.legal == b.legal && close(a.cycles, b.cycles, 1e-12) &&
         close(a.energy, b.energy, 1e-12) && a.transfers == b.transfers &&
         a.bytes_moved == b.bytes_moved && a.bytes_held == b.bytes_held;
}

// The mapping in words. (Not core's order_string: it divides by the tile
// extents, and some illegal mappings here have extents of 0.)
std::string describe(const Layer& l, const hw::Soc& soc, const Mapping& m) {
  std::string order;
  for (Dim d : m.inner().order) {
    const auto t = m.inner().tile_of(d);
    if (t >= 1 && t < l.dim(d)) order += (order.empty() ? "" : ">") + std::string(dim_name(d));
  }
  return fmt::format(
      "{} / layer {} ({} {}) / unit {} / tile {} / order {} / buffering {} / "
      "unrolling {}",
      soc.name, l.name, op_name(l.op), dims_string(l),
      soc.units[static_cast<std::size_t>(m.unit)].name, tile_string(l, m),
      order.empty() ? "-" : order, buffering_string(m), m.unrolling);
}

std::string show(const Cost& c) {
  return c.legal
             ? fmt::format("legal, {} cycles (compute {}, dma {}, overhead {}), {} pJ", c.cycles,
                           c.compute_cycles, c.dma_cycles, c.overhead_cycles, c.energy)
             : fmt::format("illegal ({})", c.reason);
}

// Violations of each property: how many, and the first one in full.
struct Failures {
  std::map<std::string, std::pair<int, std::string>> by_property;
  void add(const std::string& property, const std::string& what) {
    auto& f = by_property[property];
    if (f.first++ == 0) f.second = what;
  }
  std::string summary() const {
    std::string out;
    for (const auto& [p, f] : by_property)
      out += fmt::format("\n{}: {} failures; first: {}", p, f.first, f.second);
    return out;
  }
};

// Counts of what was exercised, so that a property cannot pass vacuously.
struct Tally {
  int pairs = 0, mappings = 0, legal = 0, evaluations = 0, freed_by_memory = 0;
  int faster_strictly = 0, double_strictly = 0;
};

// The SoC variants a property compares against.
struct Target {
  std::string name;
  std::shared_ptr<const hw::Soc> soc, bigger;
  // More bandwidth: the DMA engines, the memory ports, both (the shipped
  // targets' engines are as fast as their memories, so only both is faster).
  std::vector<std::pair<std::string, std::shared_ptr<const hw::Soc>>> faster;
};

std::string bytes_value(double b) {
  return fmt::format("{} B", static_cast<std::int64_t>(b));
}
std::string bandwidth_value(double bw) {
  return fmt::format("{} B/cycle", bw);
}

// Every DMA engine 4x faster; every memory port 4x faster; every memory 4x larger.
Target make_target(std::string name, std::shared_ptr<const hw::Soc> soc) {
  std::map<std::string, std::string> dma, mem, size;
  for (const auto& e : soc->dmas)
    dma["dmas." + e.name + ".bandwidth"] = bandwidth_value(4 * e.bandwidth);
  for (const auto& l : soc->levels) {
    mem["memories." + l.name + ".read_bandwidth"] = bandwidth_value(4 * l.read_bandwidth);
    mem["memories." + l.name + ".write_bandwidth"] = bandwidth_value(4 * l.write_bandwidth);
    size["memories." + l.name + ".size"] =
        bytes_value(static_cast<double>(l.reserved + 4 * l.capacity));
  }
  Target t{std::move(name), soc, hw::apply_overrides(*soc, size), {}};
  auto both = dma;
  both.insert(mem.begin(), mem.end());
  t.faster = {{"DMA", hw::apply_overrides(*soc, dma)},
              {"memory", hw::apply_overrides(*soc, mem)},
              {"DMA and memory", hw::apply_overrides(*soc, both)}};
  return t;
}

// A random tile extent of a dimension of size d: often whole, often the
// largest size for a tile count, sometimes any size (remainders).
std::int64_t random_extent(std::mt19937_64& rng, std::int64_t d) {
  if (d == 1) return 1;
  const int kind = std::uniform_int_distribution<int>(0, 9)(rng);
  if (kind < 3) return d;
  if (kind < 7) {
    const double n = std::exp(std::uniform_real_distribution<double>(0, std::log(d))(rng));
    const auto tiles = std::clamp<std::int64_t>(std::llround(n), 1, d);
    return (d + tiles - 1) / tiles;
  }
  return std::uniform_int_distribution<std::int64_t>(1, d)(rng);
}

std::array<Dim, kNumDims> random_order(std::mt19937_64& rng) {
  auto o = kAllDims;
  std::shuffle(o.begin(), o.end(), rng);
  return o;
}

Mapping random_mapping(std::mt19937_64& rng, const Layer& l, int unit, const hw::UnitModel& m) {
  Mapping x;
  x.unit = unit;
  for (Dim d : {Dim::N, Dim::G, Dim::K, Dim::C, Dim::OY, Dim::OX})
    x.inner().tile[idx(d)] = random_extent(rng, l.dim(d));
  x.inner().tile[idx(Dim::FY)] = l.dim(Dim::FY);
  x.inner().tile[idx(Dim::FX)] = l.dim(Dim::FX);
  // The analog array needs all of C in a tile: keep most of its samples legal.
  if (m.spec().kind == "aimc" && std::uniform_int_distribution<int>(0, 9)(rng) > 0)
    x.inner().tile[idx(Dim::C)] = l.dim(Dim::C);
  x.inner().order = random_order(rng);
  for (auto& b : x.inner().double_buffer)
    b = std::uniform_int_distribution<int>(0, 1)(rng) == 1;
  x.unrolling =
      std::uniform_int_distribution<int>(0, static_cast<int>(m.unrollings().size()) - 1)(rng);
  return x;
}

// The layers a unit is tested on: every zoo layer, and for an analog array
// (which stores ternary weights only) every zoo layer with its weights narrowed
// to the array's cell width.
std::vector<Layer> layers_for(const std::vector<Layer>& zoo, const hw::UnitModel& m) {
  std::vector<Layer> out;
  for (Layer l : zoo) {
    if (m.spec().kind == "aimc" && has_weights(l.op)) {
      l.bits.weight = static_cast<int>(m.spec().params.at("cell_weight_bits"));
    }
    if (m.supports(l, nullptr)) out.push_back(std::move(l));
  }
  return out;
}

const std::vector<Layer>& zoo_layers() {
  static const std::vector<Layer> layers = [] {
    std::vector<Layer> v;
    for (const auto& g : load_models("mlperf-tiny")) {
      for (Layer l : g.layers()) {
        l.name = g.name() + "/" + l.name;
        v.push_back(std::move(l));
      }
    }
    return v;
  }();
  return layers;
}

// Checks that an illegal cost carries a reason and no cost at all.
void check_uncosted(const Cost& c, const std::string& what, Failures& f) {
  const bool zero = c.cycles == 0 && c.energy == 0 && c.compute_cycles == 0 && c.dma_cycles == 0 &&
                    c.overhead_cycles == 0 && c.dma_busy_cycles == 0 && c.compute_energy == 0 &&
                    c.static_energy == 0 && c.dma_energy == 0 && c.tiles == 0 &&
                    c.transfers == std::array<std::int64_t, kNumOperands>{} &&
                    c.bytes_moved == std::array<std::int64_t, kNumOperands>{} &&
                    c.bytes_held == std::array<std::int64_t, kMaxLevels>{} &&
                    c.level_energy == std::array<double, kMaxLevels>{};
  if (c.reason == nullptr || std::strlen(c.reason) == 0) f.add("illegal has a reason", what);
  if (!zero) f.add("illegal is not costed", what + " -> " + show(c));
}

// The checks on one legal or illegal cost by itself.
void check_parts(const sim::Analytical& model, const sim::LayerContext& ctx, const Mapping& m,
                 const Cost& c, const std::string& what, Failures& f) {
  if (!c.legal) {
    check_uncosted(c, what, f);
    return;
  }
  if (std::strlen(c.reason) != 0) f.add("a legal cost has no reason", what);
  const double sum = c.compute_cycles + c.dma_cycles + c.overhead_cycles + c.stall_cycles;
  if (!close(c.cycles, sum)) {
    f.add("cycles = compute + dma + overhead + stall", what + " -> " + show(c));
  }
  if (c.compute_cycles < 0 || c.dma_cycles < 0 || c.overhead_cycles < 0 || c.stall_cycles < 0 ||
      c.dma_busy_cycles < 0 || c.cycles <= 0) {
    f.add("cycle parts >= 0", what + " -> " + show(c));
  }
  double e = c.compute_energy + c.static_energy + c.dma_energy;
  bool negative = c.compute_energy < 0 || c.static_energy < 0 || c.dma_energy < 0;
  for (double v : c.level_energy) {
    e += v;
    negative = negative || v < 0;
  }
  if (!close(c.energy, e)) f.add("energy = sum of its parts", what + " -> " + show(c));
  if (negative) f.add("energy parts >= 0", what + " -> " + show(c));
  // Memory: what each level holds fits it (docs/cost-model.md, "Memory").
  const auto& soc = *ctx.soc;
  for (std::size_t lvl = 0; lvl < soc.levels.size(); ++lvl) {
    if (c.bytes_held[lvl] < 0 || c.bytes_held[lvl] > soc.levels[lvl].capacity) {
      f.add("legal fits every level",
            what + fmt::format(" -> level {} holds {} of {}", lvl, c.bytes_held[lvl],
                               soc.levels[lvl].capacity));
    }
  }
  // The bytes held at the unit's levels are the operand tiles (x2 double
  // buffered) and the unit's extra buffers; at the home levels the tensors.
  DimArray t = m.inner().tile;
  for (std::size_t d = 0; d < kNumDims; ++d)
    t[d] = std::min(t[d], ctx.layer->dims[d]);
  const auto tb = model.tile_bytes(ctx, t);
  std::array<std::int64_t, kMaxLevels> held{};
  for (std::size_t o = 0; o < kNumOperands; ++o) {
    if (!ctx.moved[o]) continue;
    held[static_cast<std::size_t>(ctx.level[o])] +=
        static_cast<std::int64_t>(std::ceil(tb[o])) * (m.inner().double_buffer[o] ? 2 : 1);
  }
  held[static_cast<std::size_t>(ctx.home[kI])] += ctx.layer->input_bytes();
  held[static_cast<std::size_t>(ctx.home[kO])] += ctx.layer->output_bytes();
  if (ctx.present[kW]) held[static_cast<std::size_t>(ctx.home[kW])] += ctx.layer->weight_bytes();
  held[static_cast<std::size_t>(ctx.level[kI])] +=
      ctx.model->extra_bytes(*ctx.layer, t, m.unrolling);
  if (held != c.bytes_held) f.add("bytes held = tiles x buffers + extra + tensors", what);
}

// --- Reference sums over every tile step, from the definitions ------------------
// docs/cost-model.md: the input window, the transfer layouts (HWC feature maps,
// [K][FY][FX][C] weights) and "the sum over all steps is exact for remainder
// tiles". Written independently of sim/analytical.cpp's closed forms.

double ref_rows(const Layer& l, std::int64_t oy) {
  return static_cast<double>(std::min<std::int64_t>(
      l.in_y, (oy - 1) * l.stride_y + (l.dim(Dim::FY) - 1) * l.dilation_y + 1));
}
double ref_cols(const Layer& l, std::int64_t ox) {
  return static_cast<double>(std::min<std::int64_t>(
      l.in_x, (ox - 1) * l.stride_x + (l.dim(Dim::FX) - 1) * l.dilation_x + 1));
}

struct RefTraffic {
  double elems = 0, runs = 0, cmds = 0;
};

// One feature-map tile: n images of rows x cols pixels of `chans` channels.
RefTraffic ref_feature_map(double n, double rows, double cols, double chans, double pieces,
                           bool chan_full, bool x_full, bool y_full, int dims) {
  RefTraffic t;
  t.elems = n * rows * cols * chans;
  if (chan_full && x_full) {  // 1-D: one run per image (one in all when every row is in)
    t.runs = y_full ? 1 : n;
    t.cmds = 1;
  } else if (chan_full) {  // 2-D: one run per row
    t.runs = n * rows;
    t.cmds = dims >= 2 ? n : t.runs;
  } else {  // 3-D: one run per pixel (and group slice)
    t.runs = n * rows * cols * pieces;
    t.cmds = dims >= 3 ? n : dims == 2 ? n * rows : t.runs;
  }
  return t;
}

RefTraffic ref_traffic(const sim::LayerContext& ctx, const DimArray& n, const DimArray& e,
                       std::size_t o) {
  const Layer& l = *ctx.layer;
  auto x = [&](Dim d) { return static_cast<double>(e[idx(d)]); };
  auto tiled = [&](Dim d) { return n[idx(d)] > 1; };
  auto dims = [](const hw::DmaEngine* eng) { return eng ? eng->dims : 3; };
  const bool x_full = !tiled(Dim::OX), y_full = !tiled(Dim::OY) && !tiled(Dim::N);
  if (o == kI) {
    const bool chan_full = !tiled(Dim::G) && !tiled(Dim::C);
    const double pieces = tiled(Dim::C) && tiled(Dim::G) ? x(Dim::G) : 1;
    auto t = ref_feature_map(x(Dim::N), ref_rows(l, e[idx(Dim::OY)]), ref_cols(l, e[idx(Dim::OX)]),
                             x(Dim::G) * x(Dim::C), pieces, chan_full, x_full, y_full,
                             dims(ctx.engine_in[kI]));
    const double k = ctx.input_tensors;
    return {t.elems * k, t.runs * k, t.cmds * k};
  }
  if (o == kO) {
    const bool chan_full = !tiled(Dim::G) && !tiled(Dim::K);
    const double pieces = tiled(Dim::K) && tiled(Dim::G) ? x(Dim::G) : 1;
    return ref_feature_map(x(Dim::N), x(Dim::OY), x(Dim::OX), x(Dim::G) * x(Dim::K), pieces,
                           chan_full, x_full, y_full, dims(ctx.engine_out[kO]));
  }
  RefTraffic t;
  t.elems = x(Dim::G) * x(Dim::K) * x(Dim::C) * x(Dim::FY) * x(Dim::FX);
  const int wd = dims(ctx.engine_in[kW]);
  if (!(l.weights_ck ? tiled(Dim::K) : tiled(Dim::C))) {  // innermost dim whole
    const bool split = tiled(Dim::K) && tiled(Dim::G);
    t.runs = split ? x(Dim::G) : 1;
    t.cmds = split && wd < 2 ? t.runs : 1;
  } else {  // one run per row of the other dims (2-D)
    t.runs = l.weights_ck ? x(Dim::G) * x(Dim::C) : x(Dim::G) * x(Dim::K) * x(Dim::FY) * x(Dim::FX);
    t.cmds = wd >= 2 ? 1 : t.runs;
  }
  return t;
}

// Sums over every tile step of a legal tile: compute, compute energy and the
// traffic of each operand, by enumerating the full / remainder shapes.
struct RefSums {
  double steps = 1, compute = 0, energy = 0;
  std::array<RefTraffic, kNumOperands> traffic{};
};

RefSums ref_sums(const sim::LayerContext& ctx, const DimArray& tile, int unrolling) {
  const Layer& l = *ctx.layer;
  DimArray t{}, n{}, r{};
  for (std::size_t d = 0; d < kNumDims; ++d) {
    t[d] = std::min(tile[d], l.dims[d]);
    n[d] = (l.dims[d] + t[d] - 1) / t[d];
    r[d] = l.dims[d] - (n[d] - 1) * t[d];
  }
  RefSums s;
  for (std::size_t d = 0; d < kNumDims; ++d)
    s.steps *= static_cast<double>(n[d]);
  // Every combination of full (n-1 times) or last (once) extent per dimension.
  for (unsigned mask = 0; mask < (1u << kNumDims); ++mask) {
    DimArray e{};
    double times = 1;
    bool skip = false;
    for (std::size_t d = 0; d < kNumDims && !skip; ++d) {
      const bool last = (mask >> d & 1u) != 0;
      if (!last && n[d] == 1) skip = true;  // a single tile is its last one
      e[d] = last ? r[d] : t[d];
      times *= last ? 1.0 : static_cast<double>(n[d] - 1);
    }
    if (skip) continue;
    s.compute += times * ctx.model->tile_cycles(l, e, unrolling);
    s.energy += times * ctx.model->tile_energy(l, e, unrolling);
    for (std::size_t o = 0; o < kNumOperands; ++o) {
      if (!ctx.present[o]) continue;
      const auto tr = ref_traffic(ctx, n, e, o);
      s.traffic[o].elems += times * tr.elems;
      s.traffic[o].runs += times * tr.runs;
      s.traffic[o].cmds += times * tr.cmds;
    }
  }
  return s;
}

// Fetches of each operand (docs/cost-model.md, "How often each operand
// moves"): the product of the tile counts of the loops down to the innermost
// one that indexes it.
std::array<std::int64_t, kNumOperands> ref_fetches(const Layer& l, const Mapping& m) {
  std::array<std::int64_t, kNumOperands> count{1, 1, 1};
  std::int64_t outer = 1;  // product of the tile counts of the loops so far
  for (Dim d : m.inner().order) {
    const auto t = std::min(m.inner().tile_of(d), l.dim(d));
    const auto nd = (l.dim(d) + t - 1) / t;
    if (nd == 1) continue;  // a loop of one tile is not a loop
    outer *= nd;
    for (std::size_t o = 0; o < kNumOperands; ++o) {
      if (relevant(static_cast<Operand>(o), d)) count[o] = outer;
    }
  }
  return count;
}

// All properties over `samples` random mappings per supported (layer, unit)
// pair of one target. `buffering`: check that double buffering never slows.
void check_target(const Target& tg, std::uint64_t seed, int samples, bool buffering, Failures& f,
                  Tally& tally) {
  std::mt19937_64 rng(seed);
  const hw::Soc& soc = *tg.soc;
  const sim::Analytical base(tg.soc), big(tg.bigger);
  std::vector<sim::Analytical> faster;
  for (const auto& v : tg.faster)
    faster.emplace_back(v.second);
  for (int u = 0; u < static_cast<int>(soc.units.size()); ++u) {
    const hw::UnitModel& um = soc.model(u);
    for (const Layer& l : layers_for(zoo_layers(), um)) {
      const auto ctx = base.prepare(l, u);
      std::vector<sim::LayerContext> ctx_fast;
      for (const auto& v : faster)
        ctx_fast.push_back(v.prepare(l, u));
      const auto ctx_big = big.prepare(l, u);
      if (!ctx.supported) {
        f.add("a supported layer has a context",
              l.name + " on " + soc.units[u].name + ": " + ctx.unsupported_reason);
        continue;
      }
      ++tally.pairs;
      sim::CachedEvaluator cached(base, ctx);
      for (int s = 0; s < samples; ++s) {
        Mapping m = random_mapping(rng, l, u, um);
        const std::string what = describe(l, soc, m);
        ++tally.mappings;
        const Cost c = base.evaluate(ctx, m);
        const auto tt = base.tile_terms(ctx, m.inner().tile, m.unrolling);
        tally.evaluations += 1;

        // evaluate == finish(tile_terms) == CachedEvaluator.
        if (!identical(c, base.finish(ctx, tt, m))) f.add("evaluate == finish(tile_terms)", what);
        if (!identical(c, cached.evaluate(m))) f.add("evaluate == CachedEvaluator", what);
        check_parts(base, ctx, m, c, what, f);
        if (c.legal) ++tally.legal;

        // The tile terms are the sums over every step of the unit model's
        // tile cost and of each operand's traffic; the fetch counts follow
        // from the loop order.
        if (tt.legal) {
          const auto ref = ref_sums(ctx, m.inner().tile, m.unrolling);
          auto sum_fail = [&](const char* term, double got, double want) {
            if (!close(got, want)) {
              f.add(std::string("tile terms: ") + term + " = sum over the steps",
                    what + fmt::format(": {} instead of {}", got, want));
            }
          };
          sum_fail("steps", tt.steps, ref.steps);
          sum_fail("compute", tt.compute, ref.compute);
          sum_fail("compute energy", tt.compute_energy, ref.energy);
          for (std::size_t o = 0; o < kNumOperands; ++o) {
            if (!ctx.present[o]) continue;
            const auto name = std::string(operand_name(static_cast<Operand>(o)));
            sum_fail(("elements of " + name).c_str(), tt.elems[o], ref.traffic[o].elems);
            sum_fail(("runs of " + name).c_str(), tt.runs[o], ref.traffic[o].runs);
            sum_fail(("commands of " + name).c_str(), tt.cmds[o], ref.traffic[o].cmds);
          }
        }
        if (c.legal) {
          const auto fetches = ref_fetches(l, m);
          for (std::size_t o = 0; o < kNumOperands; ++o) {
            const std::int64_t want = ctx.moved[o] ? fetches[o] : 0;
            if (c.transfers[o] != want) {
              f.add("transfers = product of the tile counts down to the innermost relevant loop",
                    what + fmt::format(": operand {} {} instead of {}", o, c.transfers[o], want));
            }
          }
        }

        // More bandwidth is never worse, and keeps legality.
        for (std::size_t v = 0; v < faster.size(); ++v) {
          const Cost q = faster[v].evaluate(ctx_fast[v], m);
          ++tally.evaluations;
          const std::string& which = tg.faster[v].first;
          if (q.legal != c.legal) {
            f.add("more " + which + " bandwidth keeps legality",
                  what + ": " + show(c) + " vs " + show(q));
          } else if (c.legal && !not_above(q.cycles, c.cycles)) {
            f.add("more " + which + " bandwidth is never worse",
                  what + ": " + show(c) + " vs faster " + show(q));
          } else if (c.legal && q.cycles < c.cycles * (1 - 1e-9)) {
            ++tally.faster_strictly;
          }
        }

        // A larger memory: legal stays legal at the same cost; illegal may become legal.
        {
          const Cost q = big.evaluate(ctx_big, m);
          ++tally.evaluations;
          if (c.legal && !(q.legal && same_cost(c, q))) {
            f.add("a larger memory keeps a legal mapping's cost",
                  what + ": " + show(c) + " vs larger " + show(q));
          }
          if (!c.legal && q.legal) ++tally.freed_by_memory;
          if (!q.legal) check_uncosted(q, what + " (larger memories)", f);
        }

        // Every buffering of this order and of two other orders, through the
        // cache (hits now): equal to finish(tile_terms), above the tile's lower
        // bounds. Then double buffering (this order): adding a double-buffered
        // operand never slows when both are legal.
        std::array<Cost, 8> by_db{};
        for (int orders = 0; orders < 3; ++orders) {
          Mapping x = m;
          if (orders > 0) x.inner().order = random_order(rng);
          for (int mask = 0; mask < 8; ++mask) {
            x.inner().double_buffer = {(mask & 1) != 0, (mask & 2) != 0, (mask & 4) != 0};
            const Cost q = cached.evaluate(x);
            ++tally.evaluations;
            if (orders == 0) by_db[static_cast<std::size_t>(mask)] = q;
            if (!identical(q, base.finish(ctx, tt, x))) {
              f.add("evaluate == CachedEvaluator", describe(l, soc, x) + " (cache hit)");
            }
            check_parts(base, ctx, x, q, describe(l, soc, x), f);
            if (!q.legal) continue;
            if (!not_above(tt.min_cycles, q.cycles)) {
              f.add("tile_terms.min_cycles <= cycles",
                    describe(l, soc, x) + fmt::format(": min_cycles {} vs ", tt.min_cycles) +
                        show(q));
            }
            if (!not_above(tt.min_energy, q.energy)) {
              f.add("tile_terms.min_energy <= energy",
                    describe(l, soc, x) + fmt::format(": min_energy {} vs ", tt.min_energy) +
                        show(q));
            }
          }
        }
        if (!buffering) continue;
        // (fewer, more) double-buffered operands: one more at a time, and all at once.
        std::vector<std::pair<int, int>> pairs = {{0, 7}};
        for (int mask = 0; mask < 8; ++mask) {
          for (int o = 0; o < 3; ++o) {
            if ((mask | (1 << o)) != mask) pairs.emplace_back(mask, mask | (1 << o));
          }
        }
        for (const auto& [fewer, more] : pairs) {
          const Cost& a = by_db[static_cast<std::size_t>(fewer)];
          const Cost& b = by_db[static_cast<std::size_t>(more)];
          if (!a.legal || !b.legal) continue;
          if (!not_above(b.cycles, a.cycles)) {
            Mapping x = m;
            x.inner().double_buffer = {(more & 1) != 0, (more & 2) != 0, (more & 4) != 0};
            Mapping y = m;
            y.inner().double_buffer = {(fewer & 1) != 0, (fewer & 2) != 0, (fewer & 4) != 0};
            f.add("double buffering is never slower", describe(l, soc, x) + ": " + show(b) +
                                                          " vs buffering " + buffering_string(y) +
                                                          ": " + show(a));
          } else if (b.cycles < a.cycles * (1 - 1e-9)) {
            ++tally.double_strictly;
          }
        }
      }
    }
  }
}

const std::vector<Target>& shipped_targets() {
  static const std::vector<Target> t = [] {
    std::vector<Target> v;
    for (const char* n : {"gap9", "diana", "cortex-m7"})
      v.push_back(make_target(n, hw::load_soc(n)));
    return v;
  }();
  return t;
}

// The shipped targets with the levels the units read (not the homes) 16x
// smaller, so that many more random mappings sit near the capacity limits.
const std::vector<Target>& small_targets() {
  static const std::vector<Target> t = [] {
    std::vector<Target> v;
    for (const auto& tg : shipped_targets()) {
      const hw::Soc& soc = *tg.soc;
      std::map<std::string, std::string> size;
      for (std::size_t i = 0; i < soc.levels.size(); ++i) {
        const int li = static_cast<int>(i);
        if (li == soc.weights_home || li == soc.activations_home) continue;
        size["memories." + soc.levels[i].name + ".size"] =
            bytes_value(static_cast<double>(soc.levels[i].reserved + soc.levels[i].capacity / 16));
      }
      v.push_back(make_target(tg.name + " (small)", hw::apply_overrides(soc, size)));
    }
    return v;
  }();
  return t;
}

}  // namespace

TEST_CASE("properties of the cost model over random mappings of the zoo on the shipped targets",
          "[analytical][properties]") {
  Failures f;
  Tally tally;
  std::uint64_t seed = 20240601;
  for (const auto& tg : shipped_targets())
    check_target(tg, seed++, 48, true, f, tally);
  for (const auto& tg : small_targets())
    check_target(tg, seed++, 24, true, f, tally);
  INFO(
      fmt::format("{} (layer, unit) pairs, {} mappings ({} legal), {} evaluations; {} made "
                  "legal by larger memories; {} strictly faster with more bandwidth, {} "
                  "strictly faster double-buffered",
                  tally.pairs, tally.mappings, tally.legal, tally.evaluations,
                  tally.freed_by_memory, tally.faster_strictly, tally.double_strictly));
  // Not vacuous: enough pairs and mappings, legal and illegal ones, and the
  // comparisons did see differences.
  CHECK(tally.pairs >= 300);
  CHECK(tally.mappings >= 20000);
  CHECK(tally.legal >= tally.mappings / 5);
  CHECK(tally.freed_by_memory > 0);
  CHECK(tally.faster_strictly > 0);
  CHECK(tally.double_strictly > 0);
  INFO(f.summary());
  CHECK(f.by_property.empty());
}

TEST_CASE("properties on a hand-written SoC with two DMA engines for one unit",
          "[analytical][properties]") {
  // Every property, the buffering one included (it failed with two engines
  // before the step formula took each engine's serialised load after its own
  // overlapped load; see the regression case below).
  Failures f;
  Tally tally;
  check_target(make_target("hand", test::hand_soc()), 7, 24, true, f, tally);
  INFO(fmt::format("{} pairs, {} mappings ({} legal)", tally.pairs, tally.mappings, tally.legal));
  CHECK(tally.pairs >= 100);
  CHECK(tally.legal > 0);
  INFO(f.summary());
  CHECK(f.by_property.empty());
}

TEST_CASE("illegal mappings are reported with a reason and never costed",
          "[analytical][properties]") {
  Failures f;
  int checked = 0;
  for (const auto& tg : shipped_targets()) {
    const hw::Soc& soc = *tg.soc;
    const sim::Analytical model(tg.soc);
    for (int u = 0; u < static_cast<int>(soc.units.size()); ++u) {
      const hw::UnitModel& um = soc.model(u);
      // The unit's input level shrunk to 1 B for tensors: no tile fits (when I moves).
      const auto& in_level = soc.levels[static_cast<std::size_t>(um.spec().operand_level[kI])];
      const sim::Analytical tiny(hw::apply_overrides(
          soc, {{"memories." + in_level.name + ".size", bytes_value(in_level.reserved + 1.0)}}));
      for (const Layer& l : zoo_layers()) {
        const auto ctx = model.prepare(l, u);
        Mapping whole;
        whole.unit = u;
        whole.inner().tile = l.dims;
        auto expect = [&](Mapping m, const char* reason, const std::string& why) {
          ++checked;
          const Cost c = model.evaluate(ctx, m);
          const std::string what = describe(l, soc, m) + " (" + why + ")";
          if (c.legal) {
            f.add("illegal: " + why, what + " -> " + show(c));
            return;
          }
          check_uncosted(c, what, f);
          if (reason && std::string(c.reason) != reason) {
            f.add("illegal: the reason of " + why,
                  what + ": '" + c.reason + "' instead of '" + reason + "'");
          }
        };
        if (!ctx.supported) {
          expect(whole, "the unit does not support this layer", "unsupported layer");
          continue;
        }
        for (Dim d : kAllDims) {
          Mapping m = whole;
          m.inner().tile[idx(d)] = 0;
          expect(m, "a tile size is below 1", fmt::format("tile {} = 0", dim_name(d)));
        }
        if (l.dim(Dim::FY) > 1) {
          Mapping m = whole;
          m.inner().tile[idx(Dim::FY)] = 1;
          expect(m, "the kernel window (FY, FX) must not be tiled", "tiled FY");
        }
        if (l.dim(Dim::FX) > 1) {
          Mapping m = whole;
          m.inner().tile[idx(Dim::FX)] = l.dim(Dim::FX) - 1;
          expect(m, "the kernel window (FY, FX) must not be tiled", "tiled FX");
        }
        for (int bad : {-1, static_cast<int>(um.unrollings().size())}) {
          Mapping m = whole;
          m.unrolling = bad;
          expect(m, "the unit has no spatial unrolling with this index",
                 fmt::format("unrolling {}", bad));
        }
        // Tiles that exceed the unit's memory: all-1 tiles (the smallest) on a
        // 1-byte input level, when the unit's operands move there.
        const auto tctx = tiny.prepare(l, u);
        if (ctx.moved[kI]) {
          Mapping m = whole;
          for (Dim d : {Dim::N, Dim::G, Dim::K, Dim::C, Dim::OY, Dim::OX})
            m.inner().tile[idx(d)] = 1;
          if (um.spec().kind == "aimc") m.inner().tile[idx(Dim::C)] = l.dim(Dim::C);
          ++checked;
          const Cost c = tiny.evaluate(tctx, m);
          const std::string what = describe(l, *tctx.soc, m) + " (1-byte level)";
          if (c.legal) {
            f.add("illegal: tiles exceed the level", what + " -> " + show(c));
          } else {
            check_uncosted(c, what, f);
            const std::string r = c.reason;
            if (r != "the tiles do not fit the unit's memory" &&
                r != "the layer's tensors do not fit their home memory") {
              f.add("illegal: the reason of tiles exceeding the level", what + ": " + r);
            }
          }
        }
      }
    }
  }
  INFO(checked << " illegal mappings checked");
  CHECK(checked > 1000);
  INFO(f.summary());
  CHECK(f.by_property.empty());
}

TEST_CASE("double buffering one operand is slower with two DMA engines (hand count)",
          "[analytical][properties]") {
  // Regression: the step formula once took the largest serialised load of
  // any engine after the largest overlapped load of any engine, so moving one
  // engine's load into the overlapped set could lengthen the step while
  // another engine's serialised load still followed it.
  // Hand SoC with wdma setup 20 cycles; the pe_array conv of
  // test_analytical_kinds.cpp (3x3, K=6, C=4, OY=2, OX=5), tiles C=2 x K=4, C outer.
  const auto soc = hw::apply_overrides(*test::hand_soc(), {{"dmas.wdma.setup", "20 cycles"}});
  const sim::Analytical model(soc);
  Layer l;
  l.name = "pe";
  l.op = OpKind::conv;
  l.dims = {1, 1, 6, 4, 2, 5, 3, 3};
  l.in_y = 4;
  l.in_x = 7;
  Mapping m;
  m.unit = *soc->find_unit("pe");
  m.inner().tile = l.dims;
  m.inner().tile[idx(Dim::C)] = 2;
  m.inner().tile[idx(Dim::K)] = 4;
  m.inner().order = parse_order("C,K");
  const auto ctx = model.prepare(l, m.unit);
  // W tiles over the 1-D wdma: K=4: 36 commands x 20 + 72/8 = 729; K=2: 364.5.
  // Total 2 x 1093.5 = 2187, first 729, average of the other 3: 486.
  // dma (I, O): as in the hand count: serialised loads 380/3 at steps (0,2) and
  // (1,2), 102 + 380/3 at (2,1). Work per step 142. Prologue max(102, 729) = 729.
  // Single buffering: every step but the last: 142 + max(dma, wdma 486) = 628.
  //   30 + 729 + 3 x 628 + 142 + 46 = 2831.
  // W double-buffered: max(142, 486) + dma serial: 486 + 380/3, 486 + 686/3, 486 + 380/3:
  //   30 + 729 + 1458 + 1446/3 + 142 + 46 = 2887 > 2831.
  // Were the engines timed separately (engine e ends at max(c, over_e) + serial_e),
  // the step would be max(486, 142 + dma serial) = 486, 2405 in all.
  Mapping s = m;
  const auto single = model.evaluate(ctx, s);
  m.inner().double_buffer = {false, true, false};
  const auto dbl = model.evaluate(ctx, m);
  REQUIRE(single.legal);
  REQUIRE(dbl.legal);
  CHECK(single.cycles == Approx(2831).epsilon(1e-12));
  CHECK(dbl.cycles <= single.cycles);
}

TEST_CASE("tile_terms.min_energy is the documented lower bound, not zero",
          "[analytical][properties]") {
  // sim/analytical.hpp: "Lower bound on the energy (pJ) of any order and
  // buffering of this tile: every operand tile moved once, the output written
  // once, static power over min_cycles." Regression: tile_terms once left it
  // at 0, so branch and bound on energy or EDP never pruned.
  const auto soc = test::hand_soc();
  const sim::Analytical model(soc);
  Layer l;
  l.name = "cpu";
  l.op = OpKind::conv;
  l.dims = {1, 1, 4, 3, 4, 4, 3, 3};
  l.in_y = 6;
  l.in_x = 6;
  const auto ctx = model.prepare(l, *soc->find_unit("cpu"));
  DimArray tile = l.dims;
  tile[idx(Dim::K)] = 2;
  const auto tt = model.tile_terms(ctx, tile, 0);
  REQUIRE(tt.legal);
  // Static power 0.3 mW at 100 MHz = 3 pJ per cycle.
  CHECK(tt.min_energy >= 3 * tt.min_cycles + tt.compute_energy);
}

TEST_CASE("a fresh CachedEvaluator agrees with evaluate on its first mapping",
          "[analytical][properties]") {
  // Regression: a fresh CachedEvaluator once took a first mapping with an
  // all-zero tile and unrolling -1 for a cache hit and returned the default
  // TileTerms (illegal, empty reason) instead of "a tile size is below 1".
  const auto soc = hw::load_soc("gap9");
  const sim::Analytical model(soc);
  const Layer& l = zoo_layers().at(1);  // resnet8/block1.conv1
  const int u = *soc->find_unit("cluster");
  const auto ctx = model.prepare(l, u);
  Mapping m;
  m.unit = u;
  m.inner().tile = {0, 0, 0, 0, 0, 0, 0, 0};
  m.unrolling = -1;
  sim::CachedEvaluator cached(model, ctx);
  const Cost c = cached.evaluate(m);
  CHECK_FALSE(c.legal);
  CHECK(std::string(c.reason) == model.evaluate(ctx, m).reason);
}
