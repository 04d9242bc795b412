#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "core/cost.hpp"
#include "core/layer.hpp"
#include "core/mapping.hpp"
#include "hwmodels/soc.hpp"
#include "hwmodels/unit_model.hpp"

// What the cost model knows about one (layer, unit) pair before it sees a
// mapping: the stage of the evaluation that runs once per pair
// (docs/cost-model.md, "Stages").
namespace tessel::sim {

// The flows of bytes a mapping's energy is charged for (LayerContext).
enum class Flow : std::uint8_t { i_in, w_in, o_out, o_back, unit_i, unit_w, unit_o };
inline constexpr std::size_t kFlows = 7;

// Where each operand's tiles come from and where they go for one loop nest:
// from[o] is the level they are read from (the home level for a one-level
// mapping), to[o] the level of the nest's buffer (the unit's level for the
// innermost nest). An operand with from == to is not moved by the nest.
struct Route {
  std::array<int, kNumOperands> from{}, to{};
};

// The route of a one-level mapping: every operand from its home level to the
// level the unit reads it from.
Route unit_route(const hw::Soc& soc, int unit);
// The same from the given homes (Mapping::home: kSocHome for the SoC's).
Route home_route(const hw::Soc& soc, int unit, const std::array<std::int8_t, kNumOperands>& home);

// The loop nests that bring every operand of a route from its home to the
// level the unit reads, through the SoC's DMA links (the shortest chain of
// links per operand; O along its write-back chain): `depth` nests, and per
// nest and operand the level of the nest's buffer (LoopNest::level:
// kNoMove where the nest leaves it in place). An operand whose chain is
// shorter than the deepest one is moved by the inner nests only. `why` says
// why no staging exists (nullptr when it does).
struct Staging {
  int depth = 1;
  std::array<std::array<std::int8_t, kNumOperands>, kMaxNests> level{};
  const char* why = nullptr;
};
Staging staging(const hw::Soc& soc, const Route& route, bool has_weights);
// The route of the second nest of a staging: each operand from where the
// first nest leaves it (where it was when that nest does not move it).
Route inner_route(const Route& route, const Staging& st);

// Everything about one (layer, unit) pair that does not depend on the
// mapping, resolved once so that evaluate() touches no strings, maps or
// allocations. Holds pointers into the Soc and the layer: both must outlive it.
struct LayerContext {
  const Layer* layer = nullptr;
  const hw::Soc* soc = nullptr;
  const hw::UnitModel* model = nullptr;
  int unit = 0;
  bool supported =
      false;  // a one-level mapping can run: runs_layer and every route has a DMA engine
  bool runs_layer = false;         // the unit supports the layer (its op, kernel, precision)
  std::string unsupported_reason;  // why the unit cannot run the layer

  // Per operand (I, W, O): present in the layer, level its tiles are held at
  // (the unit's level for a one-level mapping), level they come from (home),
  // whether it moves by DMA, and the engine and cycles per byte (1 /
  // effective bandwidth) of the moves (home -> level for I and W and O
  // read-back, level -> home for O write-back).
  std::array<bool, kNumOperands> present{};
  std::array<int, kNumOperands> level{};
  std::array<int, kNumOperands> home{};
  std::array<bool, kNumOperands> moved{};
  std::array<const hw::DmaEngine*, kNumOperands> engine_in{};
  std::array<const hw::DmaEngine*, kNumOperands> engine_out{};
  std::array<double, kNumOperands> byte_cycles_in{};  // 1 / effective bandwidth (cycles per byte)
  std::array<double, kNumOperands> byte_cycles_out{};
  std::array<double, kNumOperands> elem_bytes{};  // bytes per element (bits / 8)
  double acc_bytes = 4.0;                         // bytes per partial-sum element
  bool accumulates = false;  // every output tile is read back first (Layer::accumulates)
  int input_tensors = 1;     // 2 for an element-wise add

  double launch_cycles = 0.0;
  double tile_overhead = 0.0;
  // Bytes of the layer's whole tensors at their home levels, per level.
  std::array<std::int64_t, kMaxLevels> home_bytes{};
  // Per operand, a bit per Dim that indexes it (relevance).
  std::array<unsigned, kNumOperands> relevant_dims{};
  // The same per Dim: a byte of 0xFF at byte o for each operand o it indexes.
  std::array<std::uint32_t, kNumDims> operand_bytes{};
  // Per operand, whether its transfers (in, and out for O) touch a memory
  // level that the unit's computation also holds and that has a single
  // port: such a transfer cannot overlap the computation, even when the
  // operand is double-buffered.
  std::array<bool, kNumOperands> port_bound{};
  // The unit reads its weight level on every tile (false for a unit that
  // holds its weights after the launch).
  bool weights_per_tile = true;
  // Distinct DMA engines of the pair (at most kEngineSlots) and the slot of
  // each operand's inbound and outbound engine (kEngineSlots: none), so the
  // step timeline works on small arrays instead of engine pointers.
  static constexpr int kEngineSlots = 4;
  int engine_slots = 0;
  std::array<int, kNumOperands> slot_in{kEngineSlots, kEngineSlots, kEngineSlots};
  std::array<int, kNumOperands> slot_out{kEngineSlots, kEngineSlots, kEngineSlots};
  // The unit's energy is nest ops x energy_per_mac (no per-tile call needed).
  bool energy_per_op = false;
  double static_power_mw = 0.0;  // SoC leakage and idle power of all units
  double active_power_mw = 0.0;  // extra power of the unit while computing

  // Resolved copies of the SoC's numbers the hot path reads, so that it walks
  // small arrays instead of the Soc's level and engine records.
  int levels = 0;                                   // memory levels of the SoC
  std::array<std::int64_t, kMaxLevels> capacity{};  // per level, bytes
  // Per operand, dimensions of its DMA engine (I, W: inbound; O: outbound;
  // 3 without one).
  std::array<int, kNumOperands> engine_dims{3, 3, 3};
  // Energy per byte of each flow of bytes, per memory level and for the DMA
  // engines (pJ/B): the flows are the DMA moves (I in, W in, O out, O read
  // back) and the unit's own accesses (reads of I and W, writes of O).
  std::array<std::array<double, kMaxLevels>, kFlows> flow_level_pj{};
  std::array<double, kFlows> flow_dma_pj{};

  // For the inner nest of a staged mapping searched on its own (the layer is
  // then a tile of the outer nest): per operand, the outer nest's tile counts
  // of an operand it does not move, which cut that operand's transfer layout
  // too (sim/nests.hpp, Cuts). All 1 (and outer_cuts false) otherwise.
  bool outer_cuts = false;
  std::array<DimArray, kNumOperands> cuts{};
};

// Whether a mapping of `depth` loop nests of the pair can be costed at all:
// the unit runs the layer and, for one nest, every operand's route from its
// home to the unit has a DMA engine (deeper mappings bring their own routes).
inline bool runnable(const LayerContext& ctx, int depth) {
  return ctx.runs_layer && (depth != 1 || ctx.supported);
}

// Resolves a (layer, unit) pair whose operands move along `route`. Never
// throws for an unsupported pair: the context says so.
LayerContext make_context(const hw::Soc& soc, const Layer& layer, int unit, const Route& route);

}  // namespace tessel::sim
