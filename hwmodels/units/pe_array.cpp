#include <cmath>

#include <fmt/format.h>

#include "hwmodels/units/common.hpp"
#include "hwmodels/units/kinds.hpp"

namespace tessel::hw::units {

namespace {

const std::vector<ParamSpec>& pe_array_params() {
  static const std::vector<ParamSpec> p = {
      {"rows", Quantity::count, 16.0, "PE rows; each row computes one output channel (K)"},
      {"cols", Quantity::count, 16.0, "PE columns; each column computes one output column (OX)"},
      {"mac_cycles", Quantity::cycles, 1.0,
       "unit cycles per reduction step (one C, FY, FX element for all PEs)"},
      {"window_cycles", Quantity::cycles, 2.0,
       "unit cycles per input channel and kernel row to shift a new input row segment into "
       "the activation FIFO"},
      {"pass_cycles", Quantity::cycles, 23.0,
       "unit cycles per pass (one block of rows x cols outputs) to start it, drain, "
       "requantise and write back its outputs"},
      {"fill_cycles", Quantity::cycles, 0.0, "unit cycles per tile to fill the pipeline"},
      {"depthwise_channels", Quantity::count, 4.0,
       "channels of a depthwise layer processed per pass (rows used; the others idle)"},
      {"element_lanes", Quantity::count, 16.0,
       "elements per unit cycle for pools and element-wise adds (along OX)"},
  };
  return p;
}

// A digital rows x cols PE array (DIANA's 16x16 digital core): output
// stationary, rows unroll output channels K, columns unroll output columns
// OX (unrolling "K<rows>xOX<cols>"); C, FY, FX run in time. Per tile, in
// unit cycles:
//   passes    = N*G*OY * ceil(K / rows) * ceil(OX / cols)     (partial blocks cost full)
//   conv      = passes * (C*FY*FX * mac_cycles + C*FY * window_cycles + pass_cycles)
//   depthwise = N * ceil(G / depthwise_channels) * OY * ceil(OX / cols)
//               * (FY*FX * mac_cycles + FY * window_cycles + pass_cycles)
//   pools, adds = N*G*K*C*FY*FX*OY * ceil(OX / element_lanes)
// times the clock ratio; fill_cycles is added per tile. Energy of weighted ops
// is charged per PE slot of each pass (rows x cols x reduction length, idle
// PEs included); of pools and adds per nest op.
class PeArrayModel final : public UnitModel {
 public:
  explicit PeArrayModel(const UnitSpec& s) : UnitModel(s) {
    const auto& p = pe_array_params();
    rows_ = param_value(s, p, "rows");
    cols_ = param_value(s, p, "cols");
    mac_ = param_value(s, p, "mac_cycles");
    window_ = param_value(s, p, "window_cycles");
    pass_ = param_value(s, p, "pass_cycles");
    fill_ = param_value(s, p, "fill_cycles");
    dw_ = param_value(s, p, "depthwise_channels");
    lanes_ = param_value(s, p, "element_lanes");
    require(rows_ >= 1.0 && cols_ >= 1.0, s, "params.rows and cols must be at least 1");
    require(dw_ >= 1.0 && dw_ <= rows_, s, "params.depthwise_channels must be in 1..rows");
    require(lanes_ >= 1.0, s, "params.element_lanes must be at least 1");
    require(mac_ > 0.0, s, "params.mac_cycles must be positive");
    require(window_ >= 0.0 && pass_ >= 0.0 && fill_ >= 0.0, s,
            "params.window_cycles, pass_cycles and fill_cycles must not be negative");
    const auto r = static_cast<std::int64_t>(rows_);
    const auto c = static_cast<std::int64_t>(cols_);
    unrollings_ = {make_unrolling(fmt::format("K{}xOX{}", r, c), {{Dim::K, r}, {Dim::OX, c}})};
  }

  double tile_cycles(const Layer& layer, const DimArray& t, int u) const override {
    return tile_cost(layer, t, u).cycles;
  }

  double tile_energy(const Layer& layer, const DimArray& t, int u) const override {
    return tile_cost(layer, t, u).energy;
  }

  // Depthwise is the weighted formula with C = 1 and its own passes.
  TileCost tile_cost(const Layer& layer, const DimArray& t, int) const override {
    const double fy = ext(t, Dim::FY), fx = ext(t, Dim::FX), c = ext(t, Dim::C);
    if (!has_weights(layer.op)) {
      const double cycles = ext(t, Dim::N) * ext(t, Dim::G) * ext(t, Dim::K) * c * fy * fx *
                            ext(t, Dim::OY) * ceil_div(ext(t, Dim::OX), lanes_);
      return {cycles * clock_ratio(), tile_ops(t) * spec().energy_per_mac};
    }
    const double p = passes(layer, t);
    return {p * (c * fy * fx * mac_ + c * fy * window_ + pass_) * clock_ratio(),
            p * rows_ * cols_ * c * fy * fx * spec().energy_per_mac};
  }

  double tile_overhead_cycles(const Layer&) const override {
    return spec().tile_overhead_cycles + fill_ * clock_ratio();
  }

  // Passes are a product of N, G, OY and the ceilings of K and OX (depthwise:
  // of G and OX); the reduction per pass depends on C alone. Pools and adds
  // are a product of all extents but the ceiling of OX. The energy has the
  // same factors.
  CostStructure cost_structure(const Layer& layer, int) const override {
    CostStructure s;
    if (!has_weights(layer.op)) {
      s.linear = kAllDimBits & ~dim_bit(Dim::OX);
    } else if (layer.op == OpKind::depthwise) {
      s.linear = dim_bit(Dim::N) | dim_bit(Dim::OY);
      s.groups = {dim_bit(Dim::G), dim_bit(Dim::OX)};
    } else {
      s.linear = dim_bit(Dim::N) | dim_bit(Dim::G) | dim_bit(Dim::OY);
      s.groups = {dim_bit(Dim::K), dim_bit(Dim::OX), dim_bit(Dim::C)};
    }
    return s;
  }

  bool energy_is_per_op() const override { return false; }

 private:
  // Passes of a weighted tile (blocks of rows x cols outputs).
  double passes(const Layer& layer, const DimArray& t) const {
    const double channel_blocks = layer.op == OpKind::depthwise
                                      ? ceil_div(ext(t, Dim::G), dw_)
                                      : ext(t, Dim::G) * ceil_div(ext(t, Dim::K), rows_);
    return ext(t, Dim::N) * channel_blocks * ext(t, Dim::OY) * ceil_div(ext(t, Dim::OX), cols_);
  }

  double rows_, cols_, mac_, window_, pass_, fill_, dw_, lanes_;
};

}  // namespace

UnitKind pe_array_kind() {
  return {"pe_array",
          "a digital output-stationary PE array unrolling K on rows and OX on columns (DIANA "
          "digital core)",
          pe_array_params(), [](const UnitSpec& s) { return std::make_unique<PeArrayModel>(s); }};
}

}  // namespace tessel::hw::units
