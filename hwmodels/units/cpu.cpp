#include <algorithm>

#include "hwmodels/units/common.hpp"
#include "hwmodels/units/kinds.hpp"

namespace tessel::hw::units {

namespace {

const std::vector<ParamSpec>& cpu_params() {
  static const std::vector<ParamSpec> p = {
      {"simd_lanes", Quantity::count, 1.0,
       "8-bit MACs one MAC instruction performs (1: scalar; 4: a 4x8-bit dot product); "
       "16-bit operands get half, 32-bit a quarter, never fewer than 1"},
      {"mac_cycles", Quantity::cycles, 1.0, "unit cycles per MAC instruction in the inner loop"},
      {"load_cycles_per_mac", Quantity::real, 0.0,
       "unit cycles of operand loads, unpacking and sign extension per MAC"},
      {"output_cycles", Quantity::cycles, 0.0,
       "unit cycles per output element: bias, requantisation, clamp and store"},
      {"pixel_cycles", Quantity::cycles, 0.0,
       "unit cycles of loop and address bookkeeping per output pixel (per group)"},
      {"element_cycles", Quantity::cycles, 1.0,
       "unit cycles per nest op of pools and adds (load, compare or add)"},
  };
  return p;
}

// A scalar or SIMD core (Cortex-M, a RISC-V fabric controller) running a
// CMSIS-NN-like kernel library. A tile costs, in unit cycles:
//   weighted ops:  outputs * ceil(C*FY*FX / lanes) * mac_cycles   (SIMD MACs, last vector partial)
//                + MACs * load_cycles_per_mac                     (operand loads, unpacking)
//                + outputs * output_cycles                        (requantise, store)
//                + pixels * pixel_cycles                          (loop bookkeeping)
//   pools, adds:   nest ops * element_cycles + outputs * output_cycles
// times the clock ratio; where outputs = N*G*K*OY*OX, pixels = N*G*OY*OX.
class CpuModel final : public UnitModel {
 public:
  explicit CpuModel(const UnitSpec& s) : UnitModel(s) {
    const auto& p = cpu_params();
    lanes8_ = param_value(s, p, "simd_lanes");
    mac_cycles_ = param_value(s, p, "mac_cycles");
    load_ = param_value(s, p, "load_cycles_per_mac");
    output_ = param_value(s, p, "output_cycles");
    pixel_ = param_value(s, p, "pixel_cycles");
    element_ = param_value(s, p, "element_cycles");
    require(lanes8_ >= 1.0, s, "params.simd_lanes must be at least 1");
    require(mac_cycles_ > 0.0, s, "params.mac_cycles must be positive");
    require(load_ >= 0.0 && output_ >= 0.0 && pixel_ >= 0.0, s,
            "params.load_cycles_per_mac, output_cycles and pixel_cycles must not be negative");
    require(element_ > 0.0, s, "params.element_cycles must be positive");
    unrollings_ = {make_unrolling("none", {})};
  }

  double tile_cycles(const Layer& layer, const DimArray& t, int) const override {
    const double outputs = tile_outputs(t);
    double cycles;
    if (has_weights(layer.op)) {
      const double lanes = simd_lanes(lanes8_, std::max(layer.bits.weight, layer.bits.input));
      const double vec = ext(t, Dim::C) * ext(t, Dim::FY) * ext(t, Dim::FX);
      const double pixels = ext(t, Dim::N) * ext(t, Dim::G) * ext(t, Dim::OY) * ext(t, Dim::OX);
      cycles = outputs * ceil_div(vec, lanes) * mac_cycles_ + tile_ops(t) * load_ +
               outputs * output_ + pixels * pixel_;
    } else {
      cycles = tile_ops(t) * element_ + outputs * output_;
    }
    return cycles * clock_ratio();
  }

  // Every term is proportional to the output pixels (N, G, OY, OX); K and C
  // interact through the vector ceiling (weighted ops) or the per-output
  // cost (pools and adds, where K is proportional too).
  CostStructure cost_structure(const Layer& layer, int) const override {
    CostStructure s;
    s.linear = dim_bit(Dim::N) | dim_bit(Dim::G) | dim_bit(Dim::OY) | dim_bit(Dim::OX) |
               (has_weights(layer.op) ? 0u : dim_bit(Dim::K));
    return s;
  }

 private:
  double lanes8_, mac_cycles_, load_, output_, pixel_, element_;
};

}  // namespace

UnitKind cpu_kind() {
  return {"cpu", "a scalar or SIMD core running a CMSIS-NN-like kernel library", cpu_params(),
          [](const UnitSpec& s) { return std::make_unique<CpuModel>(s); }};
}

}  // namespace tessel::hw::units
