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
class CpuModel final : public FormulaModel<CpuModel> {
 public:
  explicit CpuModel(const UnitSpec& s) : FormulaModel(s) {
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

  // Every term is proportional to the output pixels (N, G, OY, OX); K and C
  // interact only through sums of per-dimension terms.
  template <typename X>
  TileCost cost(const Layer& layer, const X& x, int) const {
    const double pixels = x.ext(Dim::N) * x.ext(Dim::G) * x.ext(Dim::OY) * x.ext(Dim::OX);
    const double fyx = x.ext(Dim::FY) * x.ext(Dim::FX);
    const double k = x.ext(Dim::K), c = x.ext(Dim::C);
    const double k1 = x.count(Dim::K), c1 = x.count(Dim::C);
    double per_pixel;
    if (has_weights(layer.op)) {
      const double lanes = simd_lanes(lanes8_, std::max(layer.bits.weight, layer.bits.input));
      const double vectors = x.sum(Dim::C, [&](double e) { return ceil_div(e * fyx, lanes); });
      per_pixel =
          k * vectors * mac_cycles_ + k * c * fyx * load_ + k * c1 * output_ + k1 * c1 * pixel_;
    } else {
      per_pixel = k * (c * fyx * element_ + c1 * output_);
    }
    return {pixels * per_pixel * clock_ratio(), 0.0};
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
