#pragma once

#include <array>
#include <memory>
#include <string>

#include "core/cost.hpp"
#include "core/layer.hpp"
#include "core/mapping.hpp"
#include "hwmodels/soc.hpp"
#include "hwmodels/unit_model.hpp"

namespace tessel::sim {

// The flows of bytes a mapping's energy is charged for (LayerContext).
enum class Flow : std::uint8_t { i_in, w_in, o_out, o_back, unit_i, unit_w, unit_o };
inline constexpr std::size_t kFlows = 7;

// Everything about one (layer, unit) pair that does not depend on the
// mapping, resolved once so that evaluate() touches no strings, maps or
// allocations. Holds pointers into the Soc and the layer: both must outlive it.
struct LayerContext {
  const Layer* layer = nullptr;
  const hw::Soc* soc = nullptr;
  const hw::UnitModel* model = nullptr;
  int unit = 0;
  bool supported = false;
  std::string unsupported_reason;  // why the unit cannot run the layer

  // Per operand (I, W, O): present in the layer, level the unit reads it
  // from, home level, whether it moves by DMA, and the engine and cycles per
  // byte (1 / effective bandwidth) of the moves (home -> unit level for I and
  // W and O read-back, unit level -> home for O write-back).
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
  int input_tensors = 1;                          // 2 for an element-wise add

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
};

// Data moved for one tile of one operand: elements, contiguous runs, and DMA
// commands (a transfer of more dimensions than the engine supports is split).
struct TileTraffic {
  double elems = 0, runs = 0, cmds = 0;
  TileTraffic operator*(double f) const { return {elems * f, runs * f, cmds * f}; }
};

// The part of an evaluation that depends only on the tile extents and the
// unrolling, shared by every loop order and buffering of that tile (the search
// evaluates many candidates per tile shape). Plain data; cheap to copy.
struct TileTerms {
  bool legal = false;
  const char* reason = "";
  hw::TileGrid grid{};                       // extents t, tiles per dim n, last extents r
  double steps = 1;                          // tile steps T = prod n
  double compute = 0;                        // sum of tile cycles over all steps
  double compute_energy = 0;                 // sum of tile energy over all steps (pJ)
  std::array<double, kNumOperands> elems{};  // per operand: elements summed over all steps
  std::array<double, kNumOperands> runs{};   // contiguous runs summed over all steps
  std::array<double, kNumOperands> cmds{};   // DMA commands summed over all steps
  double first_in = 0;  // DMA cycles of the first fetch of I and W (prologue), per engine sum
  double first_i = 0, first_w = 0;  // the same per operand
  double last_wb = 0;               // DMA cycles of the last output write-back (epilogue)
  std::array<std::int64_t, kNumOperands> bytes{};  // one buffer of each operand's tile at its level
  std::int64_t extra_bytes = 0;                    // unit scratch at its input level
  // Lower bound on the cycles of any order and buffering of this tile:
  // launch + prologue + T x (compute per step + tile overhead) + epilogue.
  double min_cycles = 0;
  // Lower bound on the energy (pJ) of any order and buffering of this tile:
  // every operand tile moved once, the output written once, static power over
  // min_cycles.
  double min_energy = 0;
};

// The analytical cost model (DESIGN.md, "The analytical cost model";
// formulas in docs/cost-model.md). Stateless after construction and safe to
// share across threads.
class Analytical {
 public:
  explicit Analytical(std::shared_ptr<const hw::Soc> soc);

  const hw::Soc& soc() const { return *soc_; }

  // Resolves the (layer, unit) pair. Never throws for an unsupported pair:
  // the context says so and evaluate() reports every mapping illegal.
  LayerContext prepare(const Layer& layer, int unit) const;

  // Contract: the cost of one mapping. Illegal mappings (capacity, unit tile
  // limits, tiled kernel window, unsupported pair) come back with
  // legal == false and a static reason, and no cost. Allocation-free and
  // without virtual calls per tile step: the unit model is asked once per
  // distinct tile shape.
  Cost evaluate(const LayerContext& ctx, const Mapping& m) const;

  // The two halves of evaluate(): the tile-dependent terms (unit model calls,
  // traffic sums, lower bound) and the order- and buffering-dependent rest.
  // evaluate(ctx, m) == finish(ctx, tile_terms(ctx, m.inner().tile, m.unrolling), m).
  // `energy_bound`: also compute TileTerms::min_energy (for branch and bound;
  // a one-off evaluation does not need it).
  TileTerms tile_terms(const LayerContext& ctx, const DimArray& tile, int unrolling,
                       bool energy_bound = true) const;
  Cost finish(const LayerContext& ctx, const TileTerms& terms, const Mapping& m) const;

  // Convenience for one-off use (CLI, tests): prepare + evaluate.
  Cost evaluate(const Layer& layer, const Mapping& m) const;

  // Bytes each operand's tile of extents `tile` takes at the unit's level
  // (one buffer), as TileTerms::bytes holds it.
  std::array<double, kNumOperands> tile_bytes(const LayerContext& ctx, const DimArray& tile) const;

 private:
  // evaluate() of a mapping with more than one loop nest.
  Cost nested(const LayerContext& ctx, const Mapping& m) const;
  std::shared_ptr<const hw::Soc> soc_;
};

// The traffic of one tile of extents `e` of operand `o`, in a mapping with
// `n` tiles per dimension (which decides the layout of the transfer; see
// docs/cost-model.md). Shared by the analytical model and the event simulator.
TileTraffic tile_traffic(const LayerContext& ctx, const DimArray& n, const DimArray& e, Operand o);
// DMA cycles of one transfer: commands x setup + bytes x cycles per byte (1 /
// bandwidth) + extra rows x row cost (0 without an engine).
double transfer_cycles(const hw::DmaEngine* engine, double byte_cycles, double bytes,
                       const TileTraffic& t);

// Evaluates mappings of one (layer, unit) pair, reusing the tile terms when
// consecutive mappings share tile and unrolling (as a search's candidates
// mostly do). One per thread; results equal Analytical::evaluate.
class CachedEvaluator {
 public:
  CachedEvaluator(const Analytical& model, const LayerContext& ctx) : model_(model), ctx_(ctx) {}
  Cost evaluate(const Mapping& m);
  // The tile terms of m's tile and unrolling (computed or cached).
  const TileTerms& terms(const DimArray& tile, int unrolling);

 private:
  const Analytical& model_;
  const LayerContext& ctx_;
  TileTerms last_;
  int last_unrolling_ = 0;
  bool cached_ = false;  // last_ holds the terms of (last_.grid.tile, last_unrolling_)
};

}  // namespace tessel::sim
