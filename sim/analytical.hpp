#pragma once

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/cost.hpp"
#include "core/layer.hpp"
#include "core/mapping.hpp"
#include "hwmodels/soc.hpp"
#include "hwmodels/unit_model.hpp"
#include "sim/context.hpp"
#include "sim/traffic.hpp"

namespace tessel::sim {

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
  double first_rb = 0;  // DMA cycles of the first output tile's read-back (accumulating layer)
  std::array<std::int64_t, kNumOperands> bytes{};  // one buffer of each operand's tile at its level
  std::int64_t extra_bytes = 0;                    // unit scratch at its input level
  // Bytes held per level with every operand single-buffered: the layer's
  // whole tensors at their home levels, one buffer of each moved operand's
  // tile and the unit's scratch (double buffering adds one more tile each).
  std::array<std::int64_t, kMaxLevels> held{};
  // Lower bound on the cycles of any order and buffering of this tile:
  // launch + prologue + T x (compute per step + tile overhead) + epilogue.
  double min_cycles = 0;
  // Lower bound on the energy (pJ) of any order and buffering of this tile:
  // every operand tile moved once, the output written once, static power over
  // min_cycles.
  double min_energy = 0;
};

// The bytes a mapping's DMA transfers move by one engine from one memory
// level to another (Analytical::route_bytes).
struct RouteBytes {
  const hw::DmaEngine* engine = nullptr;
  int from = 0, to = 0;
  double bytes = 0;
};

// The cost of one run of a mapping's innermost nest over a tile of the given
// extents of the nest above (Analytical::outer_bound).
using InnerCosts = std::function<Cost(const DimArray& extents)>;

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
  // The pair of a mapping: its unit, its operands' homes (Mapping::home).
  LayerContext prepare(const Layer& layer, const Mapping& m) const;

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

  // The cost of `m`'s outer nests when every run of its innermost nest costs
  // inner(extents of the run) (cycles: the run's time without a launch;
  // energy: its energy, of which the static part is replaced by the SoC's
  // static power over the whole time). Equals evaluate(ctx, m) when each run
  // of m's innermost nest costs what `inner` says; the outer timeline only
  // grows with the inner times, so with each shape's least cost it bounds
  // every innermost nest from below (a staged search's branch and bound).
  // The innermost nest's tile is used for the capacity check only.
  Cost outer_bound(const LayerContext& ctx, const Mapping& m, const InnerCosts& inner) const;

  // The bytes evaluate() counts m's transfers as moving (Cost::bytes_moved),
  // per DMA engine and pair of levels, every nest's fetches, write-backs and
  // read-backs; empty for an illegal mapping. For reports and for checking
  // emitted code (docs/codegen.md, "Counting DMA bytes"), not the search.
  std::vector<RouteBytes> route_bytes(const LayerContext& ctx, const Mapping& m) const;

  // Bytes of the 32-bit partial sums a mapping keeps at its output's home
  // level beyond the output itself: the whole output at accumulator width
  // when the innermost nest writes partial sums back there (C tiled and
  // looped outside an output loop, or the output not moved by it, with no
  // outer nest moving the output) and the output is narrower than the
  // accumulator, unless the layer accumulates (a channel slice, whose
  // partial sums have their own tensor); 0 otherwise. The memory plan gives
  // them room (scratch).
  std::int64_t home_partial_sum_bytes(const LayerContext& ctx, const Mapping& m) const;

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

// The unit moving `bytes` within memory level `level`: a fused group's kept
// rows to the top of their buffer (core/schedule.hpp, KeptRows). Each byte
// is read and written once, at the slower of the level's read and write
// bandwidths (a copy streams both), and charged both access energies.
struct KeepCost {
  double cycles = 0, energy = 0;
};
KeepCost keep_cost(const hw::Soc& soc, int level, std::int64_t bytes);

}  // namespace tessel::sim
