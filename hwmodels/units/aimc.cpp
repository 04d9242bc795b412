#include <cmath>

#include <fmt/format.h>

#include "hwmodels/units/common.hpp"
#include "hwmodels/units/kinds.hpp"

namespace tessel::hw::units {

namespace {

const std::vector<ParamSpec>& aimc_params() {
  static const std::vector<ParamSpec> p = {
      {"rows", Quantity::count, std::nullopt,
       "array rows (word lines): a layer's C*FY*FX must fit them"},
      {"cols", Quantity::count, std::nullopt,
       "array columns (bit lines): a layer's K output channels must fit them"},
      {"cell_weight_bits", Quantity::count, 2.0,
       "weight width the cells store (2: ternary); layers with other weight widths are "
       "not supported"},
      {"dac_bits", Quantity::count, 7.0,
       "input bits the row DACs apply per activation; wider inputs take "
       "ceil(input bits / dac_bits) passes"},
      {"adcs", Quantity::count, 0.0,
       "column ADCs (0: one per column); K columns are converted in ceil(K / adcs) rounds"},
      {"activation_cycles", Quantity::cycles, std::nullopt,
       "unit cycles per array activation (one matrix-vector product: DAC, settle, ADC), "
       "pipelined with the input loading and the digital post-processing"},
      {"pipeline_cycles", Quantity::cycles, 0.0,
       "unit cycles per tile to fill and drain the load / compute / post-process pipeline"},
      {"row_write_cycles", Quantity::cycles, std::nullopt,
       "unit cycles to program the weights of one array row"},
      {"activation_energy", Quantity::energy, 0.0,
       "energy of one array activation (DACs, array, ADCs), beside energy_per_mac per MAC"},
  };
  return p;
}

// An analog in-memory-compute array (DIANA's 1152 x 512 AIMC core): weight
// stationary, the whole layer's weights programmed into the cells once per
// layer; each activation applies one input vector (C*FY*FX values on the
// rows) and yields K outputs (one per column). Per tile, in unit cycles:
//   passes      = ceil(input bits / dac_bits)
//   activations = N * OY * OX * passes
//   cycles      = activations * ceil(K / adcs) * activation_cycles
// times the clock ratio; pipeline_cycles per tile. Per layer (launch),
// programming: C*FY*FX rows * row_write_cycles (times the clock ratio), plus
// the spec's launch. Energy: activations * activation_energy + MACs *
// energy_per_mac. Limits: conv, pointwise and dense with one group, weights of
// cell_weight_bits bits, C*FY*FX <= rows and K <= cols (supports); the
// array cannot add partial sums of separate activations, so a tile holds
// all of C (tile_legal).
class AimcModel final : public FormulaModel<AimcModel> {
 public:
  explicit AimcModel(const UnitSpec& s) : FormulaModel(s) {
    const auto& p = aimc_params();
    rows_ = param_value(s, p, "rows");
    cols_ = param_value(s, p, "cols");
    cell_bits_ = static_cast<int>(param_value(s, p, "cell_weight_bits"));
    dac_ = param_value(s, p, "dac_bits");
    adcs_ = param_value(s, p, "adcs");
    act_ = param_value(s, p, "activation_cycles");
    pipe_ = param_value(s, p, "pipeline_cycles");
    row_write_ = param_value(s, p, "row_write_cycles");
    act_energy_ = param_value(s, p, "activation_energy");
    require(rows_ >= 1.0 && cols_ >= 1.0, s, "params.rows and cols must be at least 1");
    require(cell_bits_ >= 1 && dac_ >= 1.0, s,
            "params.cell_weight_bits and dac_bits must be at least 1");
    if (adcs_ == 0.0) adcs_ = cols_;
    require(adcs_ >= 1.0 && adcs_ <= cols_, s, "params.adcs must be in 0..cols");
    require(act_ > 0.0, s, "params.activation_cycles must be positive");
    require(pipe_ >= 0.0 && row_write_ >= 0.0 && act_energy_ >= 0.0, s,
            "params.pipeline_cycles, row_write_cycles and activation_energy must not be negative");
    const auto c = static_cast<std::int64_t>(cols_);
    unrollings_ = {make_unrolling(fmt::format("K{}xCFYFX{}", c, static_cast<std::int64_t>(rows_)),
                                  {{Dim::K, c}})};
  }

  // The ADCs produce activation-width outputs only.
  bool writes_accumulators() const override { return false; }

  // The weights are programmed into the array at launch (launch_cycles).
  bool reads_weights_per_tile() const override { return false; }

  bool supports(const Layer& layer, std::string* why) const override {
    if (!UnitModel::supports(layer, why)) return false;
    std::string reason;
    const auto reduction = layer.dim(Dim::C) * layer.dim(Dim::FY) * layer.dim(Dim::FX);
    if (!mixes_channels(layer.op)) {
      reason =
          fmt::format("holds one dense weight matrix and cannot run {} layers", op_name(layer.op));
    } else if (layer.dim(Dim::G) != 1) {
      reason = fmt::format("cannot run grouped convolutions (G = {})", layer.dim(Dim::G));
    } else if (layer.bits.weight != cell_bits_) {
      reason = fmt::format("stores {}-bit (ternary for 2) weights; the layer has {}-bit weights",
                           cell_bits_, layer.bits.weight);
    } else if (static_cast<double>(reduction) > rows_) {
      reason = fmt::format("has {} rows; the layer needs C*FY*FX = {}", rows_, reduction);
    } else if (static_cast<double>(layer.dim(Dim::K)) > cols_) {
      reason = fmt::format("has {} columns; the layer needs K = {} (split its output channels)",
                           cols_, layer.dim(Dim::K));
    }
    if (!reason.empty()) {
      if (why) *why = fmt::format("unit '{}' (aimc) {}.", spec().name, reason);
      return false;
    }
    return true;
  }

  bool tile_legal(const Layer& layer, const DimArray& t, int, const char** why) const override {
    if (t[idx(Dim::C)] != layer.dim(Dim::C) || t[idx(Dim::FY)] != layer.dim(Dim::FY) ||
        t[idx(Dim::FX)] != layer.dim(Dim::FX)) {
      if (why) *why = "the analog array cannot accumulate across tiles: a tile must hold all of C";
      return false;
    }
    if (ext(t, Dim::C) * ext(t, Dim::FY) * ext(t, Dim::FX) > rows_ || ext(t, Dim::K) > cols_) {
      if (why) *why = "the tile's C*FY*FX or K exceeds the analog array's rows or columns";
      return false;
    }
    if (why) *why = "";
    return true;
  }

  // Activations are proportional to N, OY and OX; K adds ADC rounds (C, FY
  // and FX are never tiled; G is 1).
  template <typename X>
  TileCost cost(const Layer& layer, const X& x, int) const {
    const double passes = ceil_div(layer.bits.input, dac_);
    const double activations = x.ext(Dim::N) * x.ext(Dim::OY) * x.ext(Dim::OX) * passes *
                               x.count(Dim::G) * x.count(Dim::C);
    const double rounds = ceil_sum(x, Dim::K, adcs_);
    return {activations * rounds * act_ * clock_ratio(),
            activations * x.count(Dim::K) * act_energy_ + ops(x) * spec().energy_per_mac};
  }

  double launch_cycles(const Layer& layer) const override {
    const double rows_written =
        static_cast<double>(layer.dim(Dim::C) * layer.dim(Dim::FY) * layer.dim(Dim::FX));
    return spec().launch_cycles + rows_written * row_write_ * clock_ratio();
  }

  double tile_overhead_cycles(const Layer&) const override {
    return spec().tile_overhead_cycles + pipe_ * clock_ratio();
  }

  bool energy_is_per_op() const override { return false; }

 private:
  double rows_, cols_;
  int cell_bits_;
  double dac_, adcs_, act_, pipe_, row_write_, act_energy_;
};

}  // namespace

UnitKind aimc_kind() {
  return {"aimc", "an analog in-memory-compute array holding one layer's weights (DIANA AIMC core)",
          aimc_params(), [](const UnitSpec& s) { return std::make_unique<AimcModel>(s); }};
}

}  // namespace tessel::hw::units
