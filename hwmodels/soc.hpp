#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/layer.hpp"

namespace tessel::hw {

class UnitModel;

// One memory level of the SoC (L1 scratchpad, L2, external L3, a PE array's
// activation or weight memory). Bandwidths are in bytes per SoC clock cycle.
struct MemoryLevel {
  std::string name;
  // Bytes for the network's tensors: the YAML `size` less `reserved`.
  std::int64_t capacity = 0;
  double read_bandwidth = 0.0;             // B/cycle
  double write_bandwidth = 0.0;            // B/cycle
  double read_energy = 0.0;                // pJ per byte read
  double write_energy = 0.0;               // pJ per byte written
  int ports = 1;                           // concurrent accessors served at full bandwidth
  double latency = 0.0;                    // cycles from request to first byte
  double leakage = 0.0;                    // mW of static power while the SoC runs
  std::vector<std::string> accessible_by;  // compute units that address it directly
  // Whose whole tensors the level may hold (YAML `holds`; a home level holds
  // its role's), and whether the network may write it (YAML `read_only`:
  // flash holds weights only).
  bool holds_weights = false, holds_activations = false;
  bool read_only = false;
  // Bytes the level keeps for what is not a tensor (YAML `reserved`: code,
  // stacks, the runtime's data).
  std::int64_t reserved = 0;
  std::optional<double> area{};  // mm2 of silicon (YAML `area`), when given

  std::int64_t size() const { return capacity + reserved; }  // the YAML `size`: the whole level
};

// A DMA engine: moves bytes between pairs of levels. A transfer costs
// setup + bytes / bandwidth cycles, plus row_cycles per extra row of a strided
// (2-D / 3-D) transfer; transfers of more dimensions than `dims` are split.
struct DmaEngine {
  std::string name;
  std::vector<std::pair<int, int>> links;  // (source level, destination level) indices
  double bandwidth = 0.0;                  // B/cycle
  double setup_cycles = 0.0;               // per transfer (descriptor programming, latency)
  double row_cycles = 0.0;                 // per row beyond the first of a strided transfer
  int dims = 1;                            // 1, 2 or 3 dimensional transfers
  int channels = 8;                        // queue depth: transfers issued and not finished
  double energy = 0.0;                     // pJ per byte moved by the engine itself
  std::optional<double> area{};            // mm2 of silicon (YAML `area`), when given
};

// A spatial unrolling a unit offers: how many iterations of each loop
// dimension it executes in parallel in one step.
struct Unrolling {
  std::string name;  // e.g. "K16xOX16"
  DimArray factors = {1, 1, 1, 1, 1, 1, 1, 1};
};

// Parameters every compute unit has, whatever its kind.
struct UnitSpec {
  std::string name;
  std::string kind;                          // cpu, cluster, conv_engine, pe_array, aimc
  double frequency = 0.0;                    // Hz; cycles are converted to SoC clock cycles
  std::vector<OpKind> ops;                   // op kinds it runs
  std::vector<std::pair<int, int>> kernels;  // allowed FY x FX; empty = any
  std::vector<int> strides;                  // allowed strides; empty = any
  std::vector<int> weight_bits;              // supported weight widths; empty = any
  std::vector<int> activation_bits;          // supported input/output widths; empty = any
  // Level the unit reads each operand from (index into Soc::levels), by Operand.
  std::array<int, kNumOperands> operand_level = {0, 0, 0};
  double energy_per_mac = 0.0;           // pJ per MAC (or per nest op for pools / adds)
  double active_power = 0.0;             // mW while computing, beyond the per-MAC energy
  double idle_power = 0.0;               // mW while the layer runs elsewhere or waits
  double launch_cycles = 0.0;            // per layer: fork, programming, configuration
  double tile_overhead_cycles = 0.0;     // per tile: bookkeeping, kernel call, sync
  std::map<std::string, double> params;  // kind-specific numeric parameters, resolved
  // Activation layout the unit reads and writes ("hwc" by default). Consecutive
  // layers on units with different layouts pay a conversion (Soc::conversion_*).
  std::string layout = "hwc";
  std::optional<double> area{};  // mm2 of silicon (YAML `area`), when given
};

// A whole SoC, parsed once from YAML and immutable afterwards; shared across
// threads as std::shared_ptr<const Soc>. Cycles everywhere are cycles of
// `frequency` (the SoC clock).
struct Soc {
  std::string name;
  std::string description;
  std::string source;      // file path, or "<built-in>/<name>.yaml"
  std::string yaml_text;   // the full text it was parsed from
  std::uint64_t hash = 0;  // content hash of yaml_text (FNV-1a 64)
  double frequency = 0.0;  // Hz
  std::vector<MemoryLevel> levels;
  std::vector<DmaEngine> dmas;
  std::vector<UnitSpec> units;
  std::vector<std::shared_ptr<const UnitModel>> models;  // one per unit, same order
  int weights_home = 0;                                  // level index where weights reside
  int activations_home = 0;  // level index where activations reside between layers
  // The level where weights that do not fit their home live, streamed in by
  // DMA (docs/memory.md): one that holds weights and has a DMA link to the
  // weights home, the largest if several; -1 when there is none.
  int weights_spill = -1;
  // The same for activations that do not fit theirs: a writable level that
  // holds activations, linked both ways to the activations home.
  int activations_spill = -1;
  // Cost of converting an activation tensor between unit layouts, per byte.
  double conversion_cycles = 0.0;  // cycles per byte
  double conversion_energy = 0.0;  // pJ per byte
  // Cycles to synchronise the parts of a concurrent step (a split layer's
  // slices on several units) once all have finished (YAML concurrency.sync).
  double sync_cycles = 0.0;

  std::optional<int> find_level(const std::string& name) const;
  std::optional<int> find_unit(const std::string& name) const;
  // The DMA engine that links src -> dst, if any.
  const DmaEngine* dma_for(int src, int dst) const;
  const UnitModel& model(int unit) const { return *models.at(static_cast<std::size_t>(unit)); }

  // Contract: a hash of everything the search of a layer on `unit` reads:
  // the clock, every memory level and DMA engine (with whether the level
  // lists this unit), the homes and spill levels, the unit's own description
  // and index, and the static power of the other units. Two SoCs that differ
  // only elsewhere (another unit's parameters, names, areas, layout
  // conversions) give the same hash, so a sweep reuses the layer results
  // (mappers::layer_key).
  std::uint64_t unit_context_hash(int unit) const;
};

// The silicon area of an SoC: the sum of the `area` figures of its memories,
// DMA engines and units, and the items that give none.
struct SocArea {
  double mm2 = 0.0;
  std::vector<std::string> missing;  // names of the items without an area
};
SocArea soc_area(const Soc& soc);

}  // namespace tessel::hw
