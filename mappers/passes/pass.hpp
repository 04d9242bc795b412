#pragma once

#include <limits>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "core/graph.hpp"
#include "mappers/network_mapper.hpp"

// Network passes (docs/architecture.md, "Network passes"): map_network runs
// a pipeline of passes over one NetworkState. Each pass reads what earlier
// passes left and adds its own part: the layer searches, the unit of every
// layer, the schedule; later ones order, split, fuse and plan memory.
namespace tessel::mappers {

// Per operand (I, W, O), the level of a layer's whole tensor (Mapping::home).
using Homes = std::array<std::int8_t, kNumOperands>;

// A chain whose intermediates can be held one channel slice at a time
// (docs/memory.md, "Partial execution"): a producer convolution, the
// depthwise layers after it and a consumer convolution contracting the
// channels, each intermediate read by the next layer only.
struct Chain {
  std::vector<std::size_t> layers;  // graph layer indices, in order
  std::int64_t channels = 0;        // of every intermediate
};
// A chain the memory fit runs in `slices` equal channel slices, one fused
// step; set by slice_chain: its parts, slice by slice (each slice's layers
// in chain order), and whether every part's mapping is proven optimal.
struct SlicedChain {
  Chain chain;
  std::int64_t slices = 1;
  std::vector<SchedulePart> parts;
  bool proven = true;
};

// A layer split across units (split_layers.cpp; docs/memory.md, "Split
// layers"): its output channels in ranges, one per unit, run at the same
// time as one concurrent step (its parts, sync and contention set, totalled);
// whether every part's mapping is proven optimal.
struct SplitOption {
  ScheduleStep step;
  bool proven = true;
};

// A depth-first fused group (fuse_layers.cpp; docs/memory.md, "Fused
// layers"): consecutive layers run on one unit band by band of the last
// layer's output rows, each band's layers one after another with the
// intermediates at the unit's level; its fused step (parts band after band,
// totalled), and whether every part's mapping is proven optimal.
struct FusedOption {
  std::vector<std::size_t> layers;  // graph layer indices, in order
  int unit = 0;
  std::int64_t bands = 1;
  bool cached = false;  // the bands' overlap is kept (KeptRows), not recomputed
  ScheduleStep step;
  bool proven = true;
};
// A layer's place in a fused option: the option (NetworkState::fused) and
// the layer's position in its group.
struct FusedMember {
  std::size_t option = 0;
  std::size_t position = 0;
};

// What the passes of one network mapping share.
struct NetworkState {
  const Graph& graph;
  const sim::Analytical& model;
  const NetworkOptions& options;
  LayerCache* cache = nullptr;      // across networks; nullptr: a local one
  std::vector<int> units;           // the units layers may run on
  NetworkResult& result;            // searches, counters, and the schedule
  std::vector<std::size_t> choice;  // per layer, its entry in result.searches (unit assignment)
  // Per layer, where its operands live (empty: the SoC's homes); set by the
  // memory fit when weights must stream from an outer level.
  std::vector<Homes> homes;
  // Per layer, whether search-layers searches it (empty: every layer); the
  // memory fit searches the layers whose homes it changed.
  std::vector<bool> searched;
  // The chains run in channel slices (chosen by the memory fit).
  std::vector<SlicedChain> sliced;
  // Per layer, its splits across units (empty: none, or not searched).
  std::vector<std::vector<SplitOption>> splits;
  // The fused groups searched (fuse-layers), and per layer its places in them.
  std::vector<FusedOption> fused;
  std::vector<std::vector<FusedMember>> members;
};

// A layer's choices in the unit assignment: its unit searches
// (NetworkResult::searches), then its splits (NetworkState::splits), then
// its places in fused groups (NetworkState::members).
std::size_t choice_count(const NetworkState& st, std::size_t layer);
// The split a choice is, or nullptr for a unit search or a fused place.
const SplitOption* split_of(const NetworkState& st, std::size_t layer, std::size_t choice);
// The fused place a choice is, or nullptr.
const FusedMember* member_of(const NetworkState& st, std::size_t layer, std::size_t choice);
// The unit whose layout a choice writes the layer's output in (a split's
// units share one), and the choice's cycles and energy (a fused group's
// whole step at its last layer, nothing at the others).
int choice_unit(const NetworkState& st, std::size_t layer, std::size_t choice);
std::pair<double, double> choice_cost(const NetworkState& st, std::size_t layer,
                                      std::size_t choice);

// A search of one layer (a graph layer or a slice of one) on one unit with
// its operands' homes (search_pairs). `report`: the graph layer whose
// candidates it reports to NetworkOptions::on_candidate (kNoReport: none).
struct PairSearch {
  static constexpr std::size_t kNoReport = static_cast<std::size_t>(-1);
  static constexpr double kNoCutoff = std::numeric_limits<double>::infinity();
  Layer layer;
  int unit = 0;
  Homes home{};
  std::size_t report = kNoReport;
  // Only mappings scoring below this are wanted (SearchOptions::cutoff).
  double cutoff = kNoCutoff;
  // Set by search_pairs: the cache key, the result, and whether it was
  // answered without a search (from the cache, or by an identical pair
  // before it).
  std::string key;
  std::shared_ptr<const LayerResult> result;
  bool cached = false;
};
// Runs the searches of `pairs` on all threads, each distinct one once and
// through the layer cache; counts the searches run in the state's result
// (search_layers.cpp).
void search_pairs(NetworkState& st, std::vector<PairSearch>& pairs);

class NetworkPass {
 public:
  virtual ~NetworkPass() = default;
  virtual std::string_view name() const = 0;
  // Contract: transforms the state; throws MappingError naming the layer
  // when the network cannot be mapped.
  virtual void run(NetworkState& state) const = 0;
};

// The passes of map_network, in order.
std::unique_ptr<NetworkPass> search_layers_pass();   // search_layers.cpp
std::unique_ptr<NetworkPass> assign_units_pass();    // assign_units.cpp
std::unique_ptr<NetworkPass> slice_chains_pass();    // slice_chains.cpp
std::unique_ptr<NetworkPass> split_layers_pass();    // split_layers.cpp
std::unique_ptr<NetworkPass> fuse_layers_pass();     // fuse_layers.cpp
std::unique_ptr<NetworkPass> build_schedule_pass();  // build_schedule.cpp
std::unique_ptr<NetworkPass> order_steps_pass();     // order_steps.cpp
std::unique_ptr<NetworkPass> plan_memory_pass();     // plan_memory.cpp

// The one layer reading layer i's output, when exactly one does and the
// output is not a graph output (slice_chains.cpp).
std::optional<std::size_t> only_reader(const Graph& graph, std::size_t i);
// The output rows every layer of a fused group computes for each band of
// `height` rows of the last layer's output (per band, per position; the
// last band may be shorter) (fuse_layers.cpp): each layer's band is the
// input window of the next one's, or with `cached` overlap the rows of that
// window it has not computed for an earlier band (empty when some band then
// has nothing new to compute).
std::vector<std::vector<LayerSlice>> band_rows(const Graph& graph,
                                               const std::vector<std::size_t>& group,
                                               std::int64_t height, bool cached = false);
// The bytes a group's intermediates take at the unit's level, one band at a
// time: per intermediate the largest window the next layer reads of it.
std::int64_t held_bytes(const Graph& graph, const std::vector<std::size_t>& group,
                        const std::vector<std::vector<LayerSlice>>& bands);
// The chains of a graph, and the slice counts tried for one: its
// divisors that leave at least 8 channels per slice (half the channels for
// narrower chains), ascending (slice_chains.cpp).
std::vector<Chain> find_chains(const Graph& graph);
std::vector<std::int64_t> slice_counts(const Chain& chain);
// Searches every slice of a chain on every unit, through the layer cache,
// and sets its parts (per layer the unit that runs all its slices best).
// False when no unit runs every slice of some layer (an analog array cannot
// write raw partial sums, for one).
bool slice_chain(NetworkState& state, SlicedChain& chain);

// The schedule of a unit assignment: one step per layer in graph order, with
// the layout conversions from its producers' units, the tensors and the
// totals (build_schedule.cpp; the assignment pass compares schedules too).
NetworkSchedule build_schedule(const NetworkState& state, const std::vector<std::size_t>& choice);

// The static memory plan of a schedule (plan_memory.cpp): adds the epilogue
// parameters and each step's scratch to its tensors, marks in-place outputs,
// places every tensor and sets the arenas as the schedule's memory and peak
// bytes (fit_memory checks them against the levels).
void plan_memory(const sim::Analytical& model, const Graph& graph, NetworkSchedule& schedule);
// Makes the memory plan fit every level (fit_memory.cpp; docs/memory.md,
// "Fitting"): when the weights' home overflows, streams the weights of the
// layers that lose least per byte from the SoC's spill level, re-running
// the passes, until the plan fits. Throws MappingError naming the level and
// the smallest arena reached when nothing fits.
void fit_memory(NetworkState& state);
// Moves activation `tensor` to `level` (fit_memory.cpp): its producer writes
// it there and its readers read it there (both inputs of an add live at one
// level, so the other input moves too); marks those layers in `touched`.
void move_activation(NetworkState& state, const std::string& tensor, std::int8_t level,
                     std::vector<bool>& touched);

// The bytes a part's mapping holds per level beyond the whole tensors of
// its layer `l` at their home levels: its loop nests' buffers and the
// unit's own (plan_memory.cpp).
std::array<std::int64_t, kMaxLevels> part_scratch(const sim::Analytical& model, const Layer& l,
                                                  const SchedulePart& p);
// The bytes a step's parts hold per level beyond their layers' whole tensors
// at their home levels: the loop nests' buffers and the units' own
// (plan_memory.cpp).
std::array<std::int64_t, kMaxLevels> step_scratch(const sim::Analytical& model, const Graph& graph,
                                                  const ScheduleStep& step);

// Adds to (cycles, energy) the layout conversion of producer's output when
// it moves from unit `from` to unit `to` of different layouts.
void layout_conversion(const hw::Soc& soc, const Layer& producer, int from, int to, double& cycles,
                       double& energy);

}  // namespace tessel::mappers
