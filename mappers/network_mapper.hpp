#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/graph.hpp"
#include "core/schedule.hpp"
#include "mappers/layer_search.hpp"
#include "sim/analytical.hpp"

namespace tessel::mappers {

// The per-layer tilers a network mapping can use (`--mapper`).
enum class MapperKind {
  tessel,   // tessel's search: any tile sizes, all orders, bufferings, unrollings
  dory,     // DORY-style heuristic: largest L1 tiles with all input channels
            // resident, tile heights aligned to the core count, fixed loop order
  divisor,  // tessel's exhaustive search restricted to divisor tile sizes and
            // the unit's first spatial unrolling (as LOMA-based tools)
};
std::string_view mapper_name(MapperKind k);
MapperKind parse_mapper(std::string_view text);

// Which units may take a part of a split layer (`--precision-policy`):
// only units that run the layer at its own bit widths, or also units of
// lower weight precision, each part reporting the bits it runs at.
enum class PrecisionPolicy { strict, allow_lower };
std::string_view precision_policy_name(PrecisionPolicy p);
// Throws ConfigError naming the choices.
PrecisionPolicy parse_precision_policy(std::string_view text);

// Options of a network mapping.
struct NetworkOptions {
  MapperKind mapper = MapperKind::tessel;
  SearchOptions search;
  std::vector<std::string> units;  // restrict to these units (empty: every unit)
  // Every layer's weights live at the SoC's spill level and stream in
  // (Soc::weights_spill), as when the plan needs it for all of them.
  bool stream_weights = false;
  // The memory fit may run chains in channel slices (docs/memory.md,
  // "Partial execution").
  bool partial_execution = true;
  // A layer's output channels may be split across units that run the parts
  // at the same time (docs/memory.md, "Split layers"); `precision` says
  // which units may take a part.
  bool split = true;
  PrecisionPolicy precision = PrecisionPolicy::strict;
  // Chains of layers may run depth-first, band by band of rows with their
  // intermediates at the unit's level (docs/memory.md, "Fused layers").
  bool fusion = true;
  // Called with every evaluated legal candidate of every search, with the
  // index of the (first) layer it was searched for; from worker threads, one
  // call at a time. For `--store all`.
  std::function<void(std::size_t layer, const Mapping&, const Cost&)> on_candidate;
};

// The result of one layer on one unit.
struct UnitSearch {
  int unit = 0;
  std::shared_ptr<const LayerResult> result;
  bool cached = false;  // reused from an identical layer
};

// A network mapped onto an SoC: the schedule, every layer-unit search, and
// what the searches cost.
struct NetworkResult {
  NetworkSchedule schedule;
  std::vector<std::vector<UnitSearch>> searches;  // per layer, per candidate unit
  std::uint64_t evaluated = 0;
  std::uint64_t pruned = 0;
  std::size_t searches_run = 0;  // distinct layer-unit searches
  std::size_t cache_hits = 0;    // layer-unit pairs answered from the cache
  bool proven = true;            // every layer's chosen mapping is optimal on its unit
  double wall_seconds = 0;
};

// Layer results keyed by (layer shape, unit, what the unit's search reads of
// the SoC, mapper, objective), so repeated layers are searched once, also
// across networks and across the SoC variants of a sweep. Thread-safe.
class LayerCache {
 public:
  std::shared_ptr<const LayerResult> find(const std::string& key) const;
  void put(const std::string& key, std::shared_ptr<const LayerResult> value);

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const LayerResult>> map_;
};

// The cache key of a layer on a unit: everything the search depends on;
// `context_hash` is the SoC's Soc::unit_context_hash(unit).
std::string layer_key(const Layer& layer, int unit, std::uint64_t context_hash, MapperKind mapper,
                      const SearchOptions& search);

// Maps every layer of `graph` by running the network passes
// (mappers/passes/): searches each (layer, unit) pair the units support,
// chooses the unit of every layer minimising the network objective including
// layout conversions between units (exact dynamic programming over the
// graph's live frontier for latency and energy; for EDP, repeated
// weighted-sum passes), and builds the schedule. Throws MappingError naming
// the layer when no unit can run a layer.
NetworkResult map_network(const Graph& graph, const sim::Analytical& model,
                          const NetworkOptions& options, LayerCache* cache = nullptr);

}  // namespace tessel::mappers
