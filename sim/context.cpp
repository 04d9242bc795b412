#include "sim/context.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

namespace tessel::sim {
namespace {

constexpr std::size_t kI = idx(Operand::I), kW = idx(Operand::W), kO = idx(Operand::O);

// Effective bandwidth of a move: the slowest of the engine, the source's
// read port and the destination's write port.
double effective_bw(const hw::Soc& soc, const hw::DmaEngine& e, int src, int dst) {
  return std::min({e.bandwidth, soc.levels[static_cast<std::size_t>(src)].read_bandwidth,
                   soc.levels[static_cast<std::size_t>(dst)].write_bandwidth});
}

// The DMA engines of each moved operand and their cycles per byte; marks the
// pair unsupported when a needed engine is missing.
void resolve_engines(const hw::Soc& soc, LayerContext& c) {
  for (std::size_t o = 0; o < kNumOperands; ++o) {
    c.moved[o] = c.present[o] && c.level[o] != c.home[o];
    if (!c.moved[o]) continue;
    c.engine_in[o] = soc.dma_for(c.home[o], c.level[o]);
    c.engine_out[o] = soc.dma_for(c.level[o], c.home[o]);
    const bool needs_in = o != kO;  // O needs an inbound path only to read partial sums back
    if (((needs_in && !c.engine_in[o]) || (o == kO && !c.engine_out[o])) && c.supported) {
      c.supported = false;  // the first reason stays
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
  if (c.engine_in[kI]) c.engine_dims[kI] = c.engine_in[kI]->dims;
  if (c.engine_in[kW]) c.engine_dims[kW] = c.engine_in[kW]->dims;
  if (c.engine_out[kO]) c.engine_dims[kO] = c.engine_out[kO]->dims;
}

// Engine slots: the distinct engines of the pair, numbered.
void number_engines(LayerContext& c) {
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

// Operands whose moves touch a single-ported level the computation holds:
// the levels the unit reads (its operand levels, weights only when it reads
// them per tile).
void mark_port_bound(const hw::Soc& soc, const hw::UnitSpec& spec, LayerContext& c) {
  std::array<bool, kMaxLevels> unit_level{};
  for (std::size_t o = 0; o < kNumOperands; ++o) {
    if (c.present[o] && (o != kW || c.weights_per_tile))
      unit_level[static_cast<std::size_t>(spec.operand_level[o])] = true;
  }
  for (std::size_t o = 0; o < kNumOperands; ++o) {
    if (!c.moved[o]) continue;
    for (int lvl : {c.home[o], c.level[o]}) {
      const auto i = static_cast<std::size_t>(lvl);
      if (unit_level[i] && soc.levels[i].ports < 2) c.port_bound[o] = true;
    }
  }
}

// Energy per byte of each flow, per level and per DMA engine.
void price_flows(const hw::Soc& soc, const hw::UnitSpec& spec, LayerContext& c) {
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
  const auto& at = spec.operand_level;  // the unit's own accesses, at the levels it reads
  flow(Flow::unit_i, at[kI], -1, nullptr);
  if (c.present[kW] && c.weights_per_tile) flow(Flow::unit_w, at[kW], -1, nullptr);
  flow(Flow::unit_o, -1, at[kO], nullptr);
}

}  // namespace

Route unit_route(const hw::Soc& soc, int unit) {
  return home_route(soc, unit, Mapping{}.home);
}

Route home_route(const hw::Soc& soc, int unit, const std::array<std::int8_t, kNumOperands>& home) {
  Route r;
  r.from = {soc.activations_home, soc.weights_home, soc.activations_home};
  for (std::size_t o = 0; o < kNumOperands; ++o) {
    if (home[o] >= 0 && static_cast<std::size_t>(home[o]) < soc.levels.size()) r.from[o] = home[o];
  }
  if (unit >= 0 && static_cast<std::size_t>(unit) < soc.units.size()) {
    const auto& level = soc.model(unit).spec().operand_level;
    for (std::size_t o = 0; o < kNumOperands; ++o)
      r.to[o] = level[o];
  }
  return r;
}

namespace {

// The levels of the shortest chain of DMA links src -> dst, both included;
// empty when there is none.
std::vector<int> dma_chain(const hw::Soc& soc, int src, int dst) {
  const int n = static_cast<int>(soc.levels.size());
  std::vector<int> prev(static_cast<std::size_t>(n), -2);
  std::vector<int> queue = {src};
  prev[static_cast<std::size_t>(src)] = -1;
  for (std::size_t q = 0; q < queue.size(); ++q) {
    const int at = queue[q];
    if (at == dst) break;
    for (const auto& e : soc.dmas) {
      for (const auto& [from, to] : e.links) {
        if (from != at || prev[static_cast<std::size_t>(to)] != -2) continue;
        prev[static_cast<std::size_t>(to)] = at;
        queue.push_back(to);
      }
    }
  }
  if (prev[static_cast<std::size_t>(dst)] == -2) return {};
  std::vector<int> chain;
  for (int at = dst; at != -1; at = prev[static_cast<std::size_t>(at)])
    chain.insert(chain.begin(), at);
  return chain;
}

}  // namespace

Staging staging(const hw::Soc& soc, const Route& route, bool has_weights) {
  Staging s;
  std::array<std::vector<int>, kNumOperands> chain;  // home first, the unit's level last
  for (std::size_t o = 0; o < kNumOperands; ++o) {
    if (o == idx(Operand::W) && !has_weights) {
      chain[o] = {route.to[o]};
      continue;
    }
    const bool out = o == idx(Operand::O);
    chain[o] = out ? dma_chain(soc, route.to[o], route.from[o])
                   : dma_chain(soc, route.from[o], route.to[o]);
    if (chain[o].empty()) {
      s.why = out ? "no chain of DMA links writes the output back to its home"
                  : "no chain of DMA links brings an operand from its home to the unit";
      return s;
    }
    if (out) std::reverse(chain[o].begin(), chain[o].end());
    s.depth = std::max(s.depth, static_cast<int>(chain[o].size()) - 1);
  }
  if (s.depth > kMaxNests) {
    s.why = "an operand's chain of DMA links is longer than the loop nests a mapping has";
    return s;
  }
  for (std::size_t o = 0; o < kNumOperands; ++o) {
    const int hops = static_cast<int>(chain[o].size()) - 1;
    for (int j = 0; j < s.depth; ++j) {
      const int k = j - (s.depth - hops) + 1;  // the chain position nest j moves it to
      const bool moves = k >= 1 && j + 1 < s.depth;
      s.level[static_cast<std::size_t>(j)][o] =
          moves ? static_cast<std::int8_t>(chain[o][static_cast<std::size_t>(k)])
                : LoopNest::kNoMove;
    }
  }
  return s;
}

Route inner_route(const Route& route, const Staging& st) {
  Route r;
  for (std::size_t o = 0; o < kNumOperands; ++o) {
    const auto at = st.level[0][o];
    r.from[o] = at != LoopNest::kNoMove ? at : route.from[o];
    r.to[o] = route.to[o];
  }
  return r;
}

LayerContext make_context(const hw::Soc& soc, const Layer& layer, int unit, const Route& route) {
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
  c.runs_layer = c.model->supports(layer, &c.unsupported_reason);
  c.supported = c.runs_layer;

  c.present = {true, has_weights(layer.op), true};
  c.input_tensors = layer.num_inputs();
  c.elem_bytes[kI] = layer.bits.input / 8.0;
  c.elem_bytes[kW] = layer.bits.weight / 8.0;
  c.elem_bytes[kO] = layer.bits.output / 8.0;
  c.acc_bytes = layer.bits.accumulator / 8.0;
  c.accumulates = layer.accumulates;
  c.home = route.from;
  c.level = route.to;
  resolve_engines(soc, c);
  if (c.runs_layer) {
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
  number_engines(c);
  c.weights_per_tile = c.model->reads_weights_per_tile();
  mark_port_bound(soc, spec, c);
  for (const auto& lvl : soc.levels)
    c.static_power_mw += lvl.leakage;
  for (const auto& u : soc.units)
    c.static_power_mw += u.idle_power;
  c.active_power_mw = spec.active_power;
  c.levels = static_cast<int>(soc.levels.size());
  for (std::size_t lvl = 0; lvl < soc.levels.size(); ++lvl)
    c.capacity[lvl] = soc.levels[lvl].capacity;
  price_flows(soc, spec, c);
  return c;
}

}  // namespace tessel::sim
