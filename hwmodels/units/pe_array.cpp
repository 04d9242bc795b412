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
class PeArrayModel final : public FormulaModel<PeArrayModel> {
 public:
  explicit PeArrayModel(const UnitSpec& s) : FormulaModel(s) {
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

  // Passes are a product of N, G, OY and the ceilings of K and OX (depthwise:
  // of G and OX); the reduction per pass depends on C alone. Depthwise is the
  // weighted formula with C = 1 and its own passes.
  template <typename X>
  TileCost cost(const Layer& layer, const X& x, int) const {
    const double fy = x.ext(Dim::FY), fx = x.ext(Dim::FX);
    const double c = x.ext(Dim::C), c1 = x.count(Dim::C);
    const double columns = x.ext(Dim::N) * x.ext(Dim::OY);
    if (!has_weights(layer.op)) {
      const double cycles =
          columns * x.ext(Dim::G) * x.ext(Dim::K) * c * fy * fx * ceil_sum(x, Dim::OX, lanes_);
      return {cycles * clock_ratio(), ops(x) * spec().energy_per_mac};
    }
    const double channel_blocks = layer.op == OpKind::depthwise
                                      ? ceil_sum(x, Dim::G, dw_) * x.count(Dim::K)
                                      : x.ext(Dim::G) * ceil_sum(x, Dim::K, rows_);
    const double passes = columns * channel_blocks * ceil_sum(x, Dim::OX, cols_);
    return {passes * (c * fy * fx * mac_ + c * fy * window_ + c1 * pass_) * clock_ratio(),
            passes * rows_ * cols_ * c * fy * fx * spec().energy_per_mac};
  }

  double tile_overhead_cycles(const Layer&) const override {
    return spec().tile_overhead_cycles + fill_ * clock_ratio();
  }

  bool energy_is_per_op() const override { return false; }

 private:
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
