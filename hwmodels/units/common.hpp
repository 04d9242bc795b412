#pragma once

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "core/layer.hpp"
#include "hwmodels/soc.hpp"
#include "hwmodels/unit_model.hpp"

// Helpers shared by the unit-kind models in hwmodels/units/. Used at model
// construction (parameter reading, consistency checks) and on the hot path
// (integer ceilings, tile extents); the hot-path helpers are inline and do
// not allocate.
namespace tessel::hw::units {

// Value of the kind parameter `name`: spec.params[name] when present, else the
// default declared in `params`. Throws ConfigError naming the unit when the
// parameter is required and absent, or when `name` is not declared.
double param_value(const UnitSpec& spec, const std::vector<ParamSpec>& params,
                   std::string_view name);

// Throws ConfigError "unit '<name>' (<kind>): <what>" unless `ok`.
void require(bool ok, const UnitSpec& spec, std::string_view what);

// The tile extent of one dimension, as a double (formulas work in doubles).
inline double ext(const DimArray& tile, Dim d) {
  return static_cast<double>(tile[idx(d)]);
}

// Quotient and remainder of a / b for non-negative integral a and positive
// integral b held in doubles, below 2^52. The rounded double quotient
// truncates to the exact floor there (an integer quotient is exact, and one
// below an integer m is at least 1/b below it, more than half an ulp of m), and
// a double division plus a truncation is several times cheaper than a 64-bit
// integer division or a call to std::floor / std::ceil on the hot path.
struct DivMod {
  double quot, rem;
};
inline DivMod div_mod(double a, double b) {
  const auto q = static_cast<double>(static_cast<std::int64_t>(a / b));
  return {q, a - q * b};
}

// ceil(a / b) for positive a and b in doubles: exact for integral a and b
// below 2^52, and the true ceiling of the rounded quotient otherwise.
inline double ceil_div(double a, double b) {
  const double q = a / b;
  const auto t = static_cast<double>(static_cast<std::int64_t>(q));
  return t + static_cast<double>(t < q);  // no branch: the comparison is data-dependent
}

// Input extent a window of `out` outputs reads along one axis:
// (out - 1) * stride + (kernel - 1) * dilation + 1.
inline double in_extent(double out, double kernel, int stride, int dilation) {
  return (out - 1.0) * stride + (kernel - 1.0) * dilation + 1.0;
}

// SIMD lanes for operands of `bits` bits on a datapath with `lanes8` 8-bit
// lanes: 16-bit operands get half, 32-bit a quarter, never fewer than one;
// sub-byte operands are unpacked to 8 bits (no extra lanes).
inline double simd_lanes(double lanes8, int bits) {
  const int b = bits < 8 ? 8 : bits;
  const double l = div_mod(lanes8 * 8.0, b).quot;
  return l < 1.0 ? 1.0 : l;
}

// A kind's cost written once as a per-dimension formula, seen either for one
// tile (OneTile) or summed over every tile step of a grid (AllTiles):
//   x.ext(d)      the extent of d (summed: the whole dimension),
//   x.sum(d, f)   f of the extent of d (summed: over the tiles along d),
//   x.count(d)    1 (summed: the number of tiles along d).
// The sum over all steps of a product of per-dimension factors is the product
// of their per-dimension sums, so one formula serves both views when each of
// its products holds exactly one factor per dimension: the dimension's ext or
// sum, or its count where the product does not depend on it. FY and FX are
// never tiled (count 1) and may be read freely. A product that misses a count
// gives a wrong sum; the cost model's property tests compare the sums with an
// enumeration of the steps.
struct OneTile {
  const DimArray& t;
  double ext(Dim d) const { return static_cast<double>(t[idx(d)]); }
  template <typename F>
  double sum(Dim d, F&& f) const {
    return f(ext(d));
  }
  double count(Dim) const { return 1.0; }
};

struct AllTiles {
  const TileGrid& g;
  double ext(Dim d) const {
    const auto i = idx(d);
    return static_cast<double>((g.count[i] - 1) * g.tile[i] + g.last[i]);
  }
  template <typename F>
  double sum(Dim d, F&& f) const {
    const auto i = idx(d);
    // No shortcut for a last tile equal to the full one: a data-dependent
    // branch costs more than the second call of f.
    return static_cast<double>(g.count[i] - 1) * f(static_cast<double>(g.tile[i])) +
           f(static_cast<double>(g.last[i]));
  }
  double count(Dim d) const { return static_cast<double>(g.count[idx(d)]); }
};

// Sum over the tiles of ceil(extent of d / width), in either view (blocks of
// a hardware width, where a partial block costs a full one).
template <typename X>
double ceil_sum(const X& x, Dim d, double width) {
  return x.sum(d, [width](double e) { return ceil_div(e, width); });
}

// Product of the extents of every dimension (nest ops), in either view.
template <typename X>
double ops(const X& x) {
  double p = 1.0;
  for (Dim d : kAllDims)
    p *= x.ext(d);
  return p;
}

// Base of the kinds whose cost is such a formula: `Kind` defines
//   template <typename X> TileCost cost(const Layer&, const X& x, int u) const
// (energy 0 when energy_is_per_op()), and gets tile_cycles, tile_energy,
// tile_cost and sum_cost from it.
template <typename Kind>
class FormulaModel : public UnitModel {
 public:
  using UnitModel::UnitModel;
  double tile_cycles(const Layer& layer, const DimArray& t, int u) const final {
    return tile_cost(layer, t, u).cycles;
  }
  double tile_energy(const Layer& layer, const DimArray& t, int u) const final {
    return energy_is_per_op() ? UnitModel::tile_energy(layer, t, u) : tile_cost(layer, t, u).energy;
  }
  TileCost tile_cost(const Layer& layer, const DimArray& t, int u) const final {
    return static_cast<const Kind&>(*this).cost(layer, OneTile{t}, u);
  }
  TileCost sum_cost(const Layer& layer, const TileGrid& g, int u) const final {
    return static_cast<const Kind&>(*this).cost(layer, AllTiles{g}, u);
  }
};

// An unrolling with the given factors (unlisted dimensions 1).
Unrolling make_unrolling(std::string name, std::initializer_list<std::pair<Dim, std::int64_t>> f);

}  // namespace tessel::hw::units
