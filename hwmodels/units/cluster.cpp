#include <algorithm>
#include <cmath>

#include "hwmodels/units/common.hpp"
#include "hwmodels/units/kinds.hpp"

namespace tessel::hw::units {

namespace {

const std::vector<ParamSpec>& cluster_params() {
  static const std::vector<ParamSpec> p = {
      {"cores", Quantity::count, 8.0, "worker cores that share each tile"},
      {"simd_lanes", Quantity::count, 4.0,
       "8-bit MACs per SIMD dot-product instruction (sdotp); 16-bit operands get half"},
      {"block_channels", Quantity::count, 4.0,
       "output channels of the register-blocked inner kernel (e.g. 4 in a 4x2 kernel)"},
      {"block_pixels", Quantity::count, 2.0,
       "output pixels of the register-blocked inner kernel (e.g. 2 in a 4x2 kernel)"},
      {"sdotp_cycles", Quantity::cycles, 1.0, "unit cycles per SIMD dot product"},
      {"load_cycles", Quantity::cycles, 1.0, "unit cycles per vector load in the inner loop"},
      {"scalar_cycles", Quantity::cycles, 2.0,
       "unit cycles per scalar load or MAC in the leftover loop over the C*FY*FX elements "
       "beyond a multiple of simd_lanes"},
      {"block_cycles", Quantity::cycles, 15.0,
       "unit cycles per register block outside its inner loop: pointer setup, "
       "requantisation and store of the block's outputs"},
      {"im2col_bytes_per_cycle", Quantity::real, 2.0,
       "bytes per unit cycle a core copies into its im2col buffer"},
      {"gather_cycles_per_byte", Quantity::real, 1.0,
       "unit cycles per byte to gather one channel's input window of a depthwise layer "
       "into the core's buffer (HWC to CHW)"},
      {"element_cycles", Quantity::cycles, 1.0,
       "unit cycles per nest op of pools and adds on one core"},
      {"barrier_cycles", Quantity::cycles, 0.0,
       "unit cycles per tile to dispatch the work to the cores and join them at a barrier"},
  };
  return p;
}

// A cluster of `cores` cores with SIMD dot products (GAP9's 8 RISC-V cores
// with 4x8-bit sdotp) running a PULP-NN-like library on tiles in its L1.
//
// Parallelism (the two unrollings): "OY" gives each core ceil(OY/cores)
// output rows, "K" gives each core ceil(K/cores) output channels (the groups G
// for depthwise, pools and adds, where K = 1). A tile costs its slowest core:
// remainders leave cores idle.
//
// Convolutions, pointwise and dense (per core, in unit cycles): the output is
// computed in register blocks of bk channels x bp pixels (dense: bp = 1). A
// block runs a vector loop over L = C*FY*FX:
//   block(bk, bp) = block_cycles
//                 + floor(L / lanes) * (bk*bp*sdotp_cycles + (bk+bp)*load_cycles)
//                 + (L mod lanes)    * (bk*bp + bk + bp) * scalar_cycles
// channels beyond a multiple of bk run as 1-channel blocks, pixels beyond a
// multiple of bp (per output row) as a narrower block. Each pixel block first
// copies its bp input windows into the core's im2col buffer
// (bp * L * input bytes / im2col_bytes_per_cycle), except for pointwise with
// stride 1 and dense, which read the input in place.
//
// Depthwise (no reuse across channels): one output per block,
//   per output = block_cycles + floor(FY*FX / lanes) * (sdotp + 2 load)
//              + (FY*FX mod lanes) * 3 * scalar_cycles,
// plus, per channel, a gather of its input window into the core's buffer.
//
// Pools and adds: nest ops of the core's share x element_cycles.
//
// All of it times the clock ratio. barrier_cycles is added per tile (with the
// spec's tile_overhead); extra_bytes is the im2col / gather buffers of all cores.
class ClusterModel final : public FormulaModel<ClusterModel> {
 public:
  explicit ClusterModel(const UnitSpec& s) : FormulaModel(s) {
    const auto& p = cluster_params();
    cores_ = param_value(s, p, "cores");
    lanes8_ = param_value(s, p, "simd_lanes");
    bk_ = param_value(s, p, "block_channels");
    bp_ = param_value(s, p, "block_pixels");
    sdotp_ = param_value(s, p, "sdotp_cycles");
    load_ = param_value(s, p, "load_cycles");
    scalar_ = param_value(s, p, "scalar_cycles");
    block_ = param_value(s, p, "block_cycles");
    im2col_bpc_ = param_value(s, p, "im2col_bytes_per_cycle");
    gather_ = param_value(s, p, "gather_cycles_per_byte");
    element_ = param_value(s, p, "element_cycles");
    barrier_ = param_value(s, p, "barrier_cycles");
    require(cores_ >= 1.0, s, "params.cores must be at least 1");
    require(lanes8_ >= 1.0 && bk_ >= 1.0 && bp_ >= 1.0, s,
            "params.simd_lanes, block_channels and block_pixels must be at least 1");
    require(sdotp_ > 0.0 && load_ >= 0.0 && scalar_ > 0.0 && block_ >= 0.0, s,
            "params.sdotp_cycles and scalar_cycles must be positive, load_cycles and "
            "block_cycles not negative");
    require(im2col_bpc_ > 0.0, s, "params.im2col_bytes_per_cycle must be positive");
    require(gather_ >= 0.0 && barrier_ >= 0.0, s,
            "params.gather_cycles_per_byte and barrier_cycles must not be negative");
    require(element_ > 0.0, s, "params.element_cycles must be positive");
    const auto n = static_cast<std::int64_t>(cores_);
    unrollings_ = {make_unrolling("OY", {{Dim::OY, n}}), make_unrolling("K", {{Dim::K, n}})};
  }

  int cores() const override { return static_cast<int>(std::llround(cores_)); }

  // The dimension the unrolling splits among the cores costs its per-core
  // ceiling. Convolutions: a row's pixel blocks cost OX x A + ceil(OX / bp) x B
  // (conv_row). Depthwise: the outputs and the window gathers. Pools and adds:
  // a product of all extents.
  template <typename X>
  TileCost cost(const Layer& layer, const X& x, int u) const {
    const Dim split = split_dim(layer, u);
    // The slowest core's share of a dimension (summed like every term).
    auto share = [&](Dim d) { return x.sum(d, [&](double e) { return core_share(d, split, e); }); };
    const double fy = x.ext(Dim::FY), fx = x.ext(Dim::FX);
    const double images = x.ext(Dim::N) * share(Dim::G);
    double cycles;
    if (layer.op == OpKind::depthwise) {
      const double lanes = simd_lanes(lanes8_, std::max(layer.bits.weight, layer.bits.input));
      const auto [vec, rem] = div_mod(fy * fx, lanes);
      const double per_out = block_ + vec * (sdotp_ + 2.0 * load_) + rem * 3.0 * scalar_;
      // Per channel, each core gathers the input window of its rows.
      const double rows_in =
          x.sum(Dim::OY, [&](double oy) { return window_rows(layer, split, oy); });
      const double cols_in = x.sum(Dim::OX, [&](double ox) { return window_cols(layer, ox); });
      const double gather = rows_in * cols_in * layer.bits.input / 8.0 * gather_;
      cycles = images * x.count(Dim::K) * x.count(Dim::C) *
               (share(Dim::OY) * x.ext(Dim::OX) * per_out + gather);
    } else if (has_weights(layer.op)) {
      cycles = images * share(Dim::OY) * conv_row(layer, x, split);
    } else {
      cycles = images * share(Dim::K) * share(Dim::OY) * x.ext(Dim::OX) * x.ext(Dim::C) * fy * fx *
               element_;
    }
    return {cycles * clock_ratio(), 0.0};
  }

  std::int64_t extra_bytes(const Layer& layer, const DimArray& t, int u) const override {
    double per_core = 0.0;
    if (layer.op == OpKind::depthwise) {
      per_core = window_rows(layer, split_dim(layer, u), ext(t, Dim::OY)) *
                 window_cols(layer, ext(t, Dim::OX)) * layer.bits.input / 8.0;
    } else if (has_weights(layer.op) && uses_im2col(layer)) {
      per_core = bp_ * ext(t, Dim::C) * ext(t, Dim::FY) * ext(t, Dim::FX) * layer.bits.input / 8.0;
    }
    return static_cast<std::int64_t>(std::ceil(cores_ * per_core));
  }

  double tile_overhead_cycles(const Layer&) const override {
    return spec().tile_overhead_cycles + barrier_ * clock_ratio();
  }

 private:
  // The dimension the unrolling splits among the cores: output rows, or
  // output channels (the groups for depthwise, pools and adds, where K = 1).
  static Dim split_dim(const Layer& layer, int u) {
    return u == 0 ? Dim::OY : (mixes_channels(layer.op) ? Dim::K : Dim::G);
  }

  // The slowest core's share of an extent `e` of d: its per-core ceiling when
  // the cores split d.
  double core_share(Dim d, Dim split, double e) const {
    return d == split ? ceil_div(e, cores_) : e;
  }

  // Input rows of the window of the slowest core's share of `oy` output rows,
  // and input columns of the window of `ox` output columns.
  double window_rows(const Layer& layer, Dim split, double oy) const {
    return in_extent(core_share(Dim::OY, split, oy), static_cast<double>(layer.dim(Dim::FY)),
                     layer.stride_y, layer.dilation_y);
  }
  static double window_cols(const Layer& layer, double ox) {
    return in_extent(ox, static_cast<double>(layer.dim(Dim::FX)), layer.stride_x, layer.dilation_x);
  }

  // Pointwise with stride 1 and dense read their input vectors in place.
  static bool uses_im2col(const Layer& layer) {
    if (layer.op == OpKind::dense) return false;
    const bool one_by_one = layer.dim(Dim::FY) == 1 && layer.dim(Dim::FX) == 1;
    return !(one_by_one && layer.stride_y == 1 && layer.stride_x == 1);
  }

  // One output row of one group of a conv, pointwise or dense tile on the
  // slowest core. The output is computed in register blocks of b channels x
  // p pixels, each a vector loop over L = C*FY*FX:
  //   block(b, p) = beta(b) + p * alpha(b)
  //   alpha(b)    = floor(L / lanes) * (b * sdotp + load) + (L mod lanes) * (b + 1) * scalar
  //   beta(b)     = block_cycles + floor(L / lanes) * b * load + (L mod lanes) * b * scalar
  // with b = bk for the full channel blocks and b = 1 for the channels beyond
  // a multiple of bk; each pixel first copies its window into the im2col
  // buffer. Over a row's pixel blocks (full ones of bp pixels and a narrower
  // last one) the p terms add up to OX and the block count to ceil(OX / bp):
  //   row = OX * A + ceil(OX / bp) * B,
  //   A = im2col + k_full * alpha(bk) + k_rem * alpha(1),  B = k_full * beta(bk) + k_rem * beta(1).
  // Every product holds one C term and one K term.
  template <typename X>
  double conv_row(const Layer& layer, const X& x, Dim split) const {
    const double lanes = simd_lanes(lanes8_, std::max(layer.bits.weight, layer.bits.input));
    const double fyx = x.ext(Dim::FY) * x.ext(Dim::FX);
    const double vec = x.sum(Dim::C, [&](double c) { return div_mod(c * fyx, lanes).quot; });
    const double rem = x.sum(Dim::C, [&](double c) { return div_mod(c * fyx, lanes).rem; });
    const double c1 = x.count(Dim::C);
    const double im2col =
        uses_im2col(layer) ? x.ext(Dim::C) * fyx * layer.bits.input / 8.0 / im2col_bpc_ : 0.0;
    auto k_blocks = [&](double k) { return div_mod(core_share(Dim::K, split, k), bk_); };
    const double k_full = x.sum(Dim::K, [&](double k) { return k_blocks(k).quot; });
    const double k_rem = x.sum(Dim::K, [&](double k) { return k_blocks(k).rem; });
    auto alpha = [&](double b) { return vec * (b * sdotp_ + load_) + rem * (b + 1.0) * scalar_; };
    auto beta = [&](double b) { return c1 * block_ + vec * b * load_ + rem * b * scalar_; };
    const double a = im2col * x.count(Dim::K) + k_full * alpha(bk_) + k_rem * alpha(1.0);
    const double b = k_full * beta(bk_) + k_rem * beta(1.0);
    const double bp = layer.op == OpKind::dense ? 1.0 : bp_;
    return a * x.ext(Dim::OX) + b * x.sum(Dim::OX, [&](double ox) { return ceil_div(ox, bp); });
  }

  double cores_, lanes8_, bk_, bp_, sdotp_, load_, scalar_, block_, im2col_bpc_, gather_, element_,
      barrier_;
};

}  // namespace

UnitKind cluster_kind() {
  return {"cluster",
          "N cores with SIMD dot products sharing an L1 (PULP cluster, PULP-NN-like kernels)",
          cluster_params(), [](const UnitSpec& s) { return std::make_unique<ClusterModel>(s); }};
}

}  // namespace tessel::hw::units
