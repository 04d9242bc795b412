#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/cost.hpp"
#include "core/mapping.hpp"

// The schedule IR (docs/architecture.md, "Schedule IR"): a network's
// execution on an SoC as a sequence of steps, each running one or more parts
// at the same time; every part is a layer (or a slice of one) on a unit with
// a mapping of one or more loop nests; the tensors and where they live.
namespace tessel {

class Graph;
struct Layer;

// The part of a layer a schedule part runs: the range [begin, end) of one of
// its dimensions (the whole layer when end is kWhole). A split layer's
// slices run on distinct units in one step.
struct LayerSlice {
  static constexpr std::int64_t kWhole = -1;
  Dim dim = Dim::K;
  std::int64_t begin = 0;
  std::int64_t end = kWhole;

  bool whole() const { return end == kWhole; }
  bool operator==(const LayerSlice&) const = default;
};

// The layer a slice of `l` runs: `l` with the slice's dimension cut to
// [begin, end) (itself when the slice is whole). A slice over the reduction
// C is a partial execution (docs/memory.md, "Partial execution"): every
// slice after the first accumulates into the partial sums the earlier ones
// left (Layer::accumulates), and every slice but the last writes raw
// accumulators (its output at accumulator width, no epilogue). Throws
// std::invalid_argument on a range outside the dimension.
// A slice over OY is a band of output rows (a fused group's band, docs/memory.md,
// "Fused layers"): it reads the input rows its window covers (input_rows),
// padded where the window leaves the map.
Layer slice_layer(const Layer& l, const LayerSlice& slice);
// The input rows [begin, end) a slice of `l` reads: the window of a band's
// output rows for a slice over OY, every row otherwise.
std::pair<std::int64_t, std::int64_t> input_rows(const Layer& l, const LayerSlice& slice);

// One part of a step: a layer (or a slice of it) on one unit, its mapping
// and its predicted cost.
struct SchedulePart {
  std::string layer;      // layer name in the graph
  std::size_t index = 0;  // layer index in the graph's order
  LayerSlice slice;
  int unit = 0;
  std::string unit_name;
  // The weight bits the part runs at when below its layer's (a split part
  // on a unit of lower precision, --precision-policy allow-lower); 0: the
  // layer's own.
  int weight_bits = 0;
  Mapping mapping;
  Cost cost;
};

// "K[0:16]" for a slice, "" for a whole layer (tables).
std::string slice_string(const LayerSlice& slice);
// A part's name in per-part tables: its layer, then its slice if it has one,
// then its weight bits when lowered ("block1.expand K[0:16]",
// "block1.pw K[34:64] (2-bit W)").
std::string part_label(const SchedulePart& part);

// The layer a part runs: its graph layer cut to its slice (slice_layer), at
// the part's weight bits.
Layer part_layer(const Graph& graph, const SchedulePart& part);

// One step of a schedule, after the layout conversion its inputs need:
//   single      one part, a layer on its own;
//   concurrent  parts on distinct units at the same time (a split layer's
//               slices): the step lasts as long as its slowest part, plus
//               what sharing DMA engines and memory ports adds to it
//               (contention), plus the synchronisation of the parts;
//   fused       the layers of a fused group, run tile by tile on one unit:
//               the step lasts as long as its parts together.
struct ScheduleStep {
  enum class Kind { single, concurrent, fused };
  Kind kind = Kind::single;
  std::vector<SchedulePart> parts;
  double transition_cycles = 0;   // layout conversion before the step
  double transition_energy = 0;   // pJ
  double sync_cycles = 0;         // synchronisation of concurrent parts
  double contention_cycles = 0;   // concurrent parts sharing engines and ports
  double cycles = 0, energy = 0;  // the step's totals (total_step), transition included
};
std::string_view step_kind_name(ScheduleStep::Kind k);
// The distinct layers a step's parts run, in the order they first run (a
// fused group's layers, a split layer once).
std::vector<std::string> step_layers(const ScheduleStep& step);

// Of part k of a fused group that caches its bands' overlap (docs/memory.md,
// "Fused layers"): the rows of the intermediate it writes that the band
// before computed and the next layer's window still reads, kept in the
// intermediate's buffer and moved to its top before part k runs (from row
// `from` of the buffer), so that part k computes only the rows after them
// and writes them below the kept ones. Zero rows for every other part.
struct KeptRows {
  std::int64_t rows = 0;   // rows kept
  std::int64_t from = 0;   // their first row in the buffer before the move
  std::int64_t bytes = 0;  // the bytes moved
};
KeptRows kept_rows(const Graph& graph, const ScheduleStep& step, std::size_t k);

// A tensor of the schedule and where it lives: its memory level and byte
// offset there (kUnplanned until a memory plan places it), and the steps
// that write it first and read it last, inclusive (its live range; a graph
// input is live from step 0). Roles: an activation; a layer's weights; its
// per-channel epilogue parameters (bias, requantisation scales); a step's
// scratch at one level (its loop nests' tile buffers and the unit's own
// buffers, such as im2col). `alias` names the tensor whose buffer this one
// reuses (in-place execution), empty when it has its own.
struct TensorPlacement {
  enum class Role { activation, weights, params, scratch };
  static constexpr std::int64_t kUnplanned = -1;
  std::string name;
  Role role = Role::activation;
  std::int64_t bytes = 0;
  int level = 0;
  std::int64_t offset = kUnplanned;
  std::size_t first_step = 0, last_step = 0;
  std::string alias;

  bool lives_at(std::size_t step) const { return first_step <= step && step <= last_step; }
};
std::string_view role_name(TensorPlacement::Role r);
// Throws std::invalid_argument on an unknown name.
TensorPlacement::Role parse_role(std::string_view name);

// One memory level of a schedule's memory plan: the arena the plan needs
// there and the lower bound of any plan with the same live ranges (the
// largest sum of bytes live at one step).
struct LevelArena {
  int level = 0;
  std::int64_t arena_bytes = 0;
  std::int64_t lower_bound_bytes = 0;
  bool operator==(const LevelArena&) const = default;
};

// How the order of a schedule's steps was chosen (docs/memory.md,
// "Execution order"): to minimise the peak of live bytes at `level`, by
// `method` "exact" (the optimum) or "greedy" (with `lower_bound` below every
// order's peak); "graph" when nothing chose it.
struct StepOrder {
  std::string method = "graph";
  int level = -1;
  std::int64_t peak = 0, lower_bound = 0;
  bool operator==(const StepOrder&) const = default;
};

// A whole network's schedule on one SoC.
struct NetworkSchedule {
  std::string network;
  std::string soc;
  std::uint64_t soc_hash = 0;
  std::string objective;
  std::string mapper;
  std::vector<ScheduleStep> steps;
  std::vector<TensorPlacement> tensors;
  // The memory plan, per level (empty until planned): the tensors' offsets
  // are then placed and peak_bytes are the arenas.
  std::vector<LevelArena> memory;
  StepOrder order;
  double cycles = 0;     // the steps' totals, one after the other
  double energy = 0;     // pJ
  double frequency = 0;  // Hz of the SoC clock
  std::vector<std::string> level_names;
  // Per memory level: the memory plan's arena, or before planning the
  // largest bytes any part holds.
  std::vector<std::int64_t> peak_bytes;

  // Every part, in step order.
  std::vector<const SchedulePart*> parts() const;
};

// A part with its step's figures, for per-part reports (tables, JSON,
// DataFrames): the step index and the layout conversion before the step, on
// the step's first part only (so that with one part per step the rows sum to
// the schedule's totals).
struct PartRow {
  std::size_t step = 0;
  const SchedulePart* part = nullptr;
  double transition_cycles = 0, transition_energy = 0;
};
std::vector<PartRow> part_rows(const NetworkSchedule& s);

// Sets a step's totals from its parts (see ScheduleStep). For concurrent
// parts the static energy is charged once over the step's time, not once per
// part.
void total_step(ScheduleStep& step);
// Sets the schedule's totals from its steps: cycles and energy summed, and
// per level the largest bytes any part holds.
void total_schedule(NetworkSchedule& s);
// The tensors of a graph for a schedule whose steps run its layers (one
// placement per activation and weight tensor, at the given home levels or
// where a part's mapping says its weights live (Mapping::home),
// unplanned offsets, live ranges from the steps; weights, which nothing
// loads or frees, live over every step).
std::vector<TensorPlacement> schedule_tensors(const Graph& graph, const NetworkSchedule& s,
                                              int activations_home, int weights_home);

}  // namespace tessel
