#pragma once

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/layer.hpp"
#include "core/units.hpp"
#include "hwmodels/soc.hpp"

namespace tessel::hw {

// Documentation and validation rule of one kind-specific unit parameter (SST
// style: the docs, `tessel socs show` and the YAML validation come from here).
struct ParamSpec {
  std::string name;
  Quantity quantity = Quantity::count;
  std::optional<double> default_value;  // nullopt: required
  std::string description;
};

// The tiles of a layer along each dimension: count[d] - 1 tiles of extent
// tile[d] and a last one of extent last[d] (equal to tile[d] when it divides
// the dimension). The tile steps are every combination across dimensions.
struct TileGrid {
  DimArray tile{}, count{}, last{};
};

// The timing, legality and buffer model of one compute-unit kind. One
// implementation per kind in hwmodels/units/, registered by name. Instances
// are immutable and shared across threads. The cost model calls these once
// per distinct tile shape of a mapping, never per loop iteration; they must
// not allocate.
class UnitModel {
 public:
  explicit UnitModel(UnitSpec spec) : spec_(std::move(spec)) {}
  virtual ~UnitModel() = default;
  UnitModel(const UnitModel&) = delete;
  UnitModel& operator=(const UnitModel&) = delete;

  const UnitSpec& spec() const { return spec_; }

  // Contract: true when the unit can run the layer at all (op kind, kernel,
  // stride, precision, kind-specific limits); otherwise false with `why` set
  // to a sentence naming what is unsupported. The base checks the UnitSpec
  // lists; kinds add their own limits and call it.
  virtual bool supports(const Layer& layer, std::string* why) const;

  // Contract: whether the unit can write its raw accumulators as the output
  // (a layer whose output width equals its accumulator width, such as
  // classifier logits). Default true; an analog array's ADC cannot.
  virtual bool writes_accumulators() const { return true; }

  // Contract: whether the unit reads its weights from its weight level on
  // every tile (default), or holds them itself after the launch (an analog
  // array programmed once per layer): then the weight level is neither
  // accessed nor held during the computation.
  virtual bool reads_weights_per_tile() const { return true; }

  // Contract: the cores that share the work of each tile (a cluster's; 1
  // for the other kinds). DORY-style tilers align tile heights to it.
  virtual int cores() const { return 1; }

  // Contract: the spatial unrollings the unit allows (at least one). A
  // mapping chooses one by index.
  const std::vector<Unrolling>& unrollings() const { return unrollings_; }

  // Contract: whether a tile of extents `tile` can run on the unit with
  // unrolling `u` (e.g. an analog array needs the tile's C*FY*FX to fit its
  // rows). On false, `why` points to a static string. Pure, no allocation.
  virtual bool tile_legal(const Layer& layer, const DimArray& tile, int u, const char** why) const;

  // Contract: SoC clock cycles to compute one tile of extents `tile` whose
  // operands are already in the unit's memories, including remainder effects
  // (partially used lanes / cores) but excluding per-tile and launch
  // overheads. Pure, no allocation.
  virtual double tile_cycles(const Layer& layer, const DimArray& tile, int u) const = 0;

  // Contract: bytes the unit needs at its input level beside the operand
  // tiles (im2col buffers, accumulator scratch) for a tile. Default none.
  virtual std::int64_t extra_bytes(const Layer& layer, const DimArray& tile, int u) const;

  // Contract: fixed SoC clock cycles per layer (fork, accelerator programming,
  // analog weight programming). Default: the spec's launch_cycles.
  virtual double launch_cycles(const Layer& layer) const;

  // Contract: SoC clock cycles of bookkeeping per tile. Default: the spec's
  // tile_overhead_cycles.
  virtual double tile_overhead_cycles(const Layer& layer) const;

  // Contract: true when tile_energy is the default (nest ops x
  // energy_per_mac), so the cost model may sum it in closed form without a
  // call per tile shape. Kinds that override tile_energy return false.
  virtual bool energy_is_per_op() const { return true; }

  // Contract: energy in pJ to compute a tile (MACs or nest ops times the
  // per-op energy, plus kind-specific terms). Default: nest ops of the tile
  // times spec().energy_per_mac.
  virtual double tile_energy(const Layer& layer, const DimArray& tile, int u) const;

  // Contract: tile_cycles and tile_energy of one tile in one call (the
  // default sum_cost asks this per tile shape; kinds whose two formulas share
  // work override it).
  // `energy` is 0 when energy_is_per_op(): the cost model sums that in
  // closed form. Pure, no allocation.
  struct TileCost {
    double cycles = 0, energy = 0;
  };
  virtual TileCost tile_cost(const Layer& layer, const DimArray& tile, int u) const {
    return {tile_cycles(layer, tile, u), energy_is_per_op() ? 0.0 : tile_energy(layer, tile, u)};
  }

  // Contract: tile_cost summed over every tile step of `grid` (the cost
  // model asks for this once per evaluated tile shape, never per step).
  // The default asks tile_cost for each distinct combination of full and
  // last extents: 2^k calls for k dimensions whose last tile is smaller.
  // Kinds that write their cost as a per-dimension formula
  // (units::FormulaModel) sum it in closed form instead. Pure, no allocation.
  virtual TileCost sum_cost(const Layer& layer, const TileGrid& grid, int u) const;

 protected:
  // SoC cycles per unit cycle (SoC frequency / unit frequency).
  double clock_ratio() const { return clock_ratio_; }
  std::vector<Unrolling> unrollings_;
  double clock_ratio_ = 1.0;

 private:
  friend std::shared_ptr<const UnitModel> make_unit_model(const UnitSpec&, double);
  UnitSpec spec_;
};

// Registry of unit kinds: name -> parameters and factory.
struct UnitKind {
  std::string name;
  std::string description;
  std::vector<ParamSpec> params;  // kind-specific parameters under the unit's `params:` key
  // Builds the model from a spec whose `params` are already validated and
  // resolved (defaults filled). May throw ConfigError for inconsistent values.
  std::function<std::unique_ptr<UnitModel>(const UnitSpec&)> make;
};

// All registered kinds in name order.
const std::vector<UnitKind>& unit_kinds();
const UnitKind* find_unit_kind(const std::string& name);

// Builds the model of a unit; `soc_frequency` sets its clock ratio.
std::shared_ptr<const UnitModel> make_unit_model(const UnitSpec& spec, double soc_frequency);

}  // namespace tessel::hw
