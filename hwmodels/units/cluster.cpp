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
class ClusterModel final : public UnitModel {
 public:
  explicit ClusterModel(const UnitSpec& s) : UnitModel(s) {
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

  double tile_cycles(const Layer& layer, const DimArray& t, int u) const override {
    const Share w = share(layer, t, u);
    double cycles;
    if (layer.op == OpKind::depthwise) {
      const double lanes = simd_lanes(lanes8_, std::max(layer.bits.weight, layer.bits.input));
      const double l = ext(t, Dim::FY) * ext(t, Dim::FX);
      const auto [vec, rem] = div_mod(l, lanes);
      const double per_out = block_ + vec * (sdotp_ + 2.0 * load_) + rem * 3.0 * scalar_;
      const double channels = ext(t, Dim::N) * w.g;
      const double gather = window_bytes(layer, t, w) * gather_;
      cycles = channels * (w.rows * ext(t, Dim::OX) * per_out + gather);
    } else if (has_weights(layer.op)) {
      cycles = ext(t, Dim::N) * w.g * conv_core(layer, t, w);
    } else {
      cycles = ext(t, Dim::N) * w.g * w.k * w.rows * ext(t, Dim::OX) * ext(t, Dim::C) *
               ext(t, Dim::FY) * ext(t, Dim::FX) * element_;
    }
    return cycles * clock_ratio();
  }

  // The dimension the unrolling splits among the cores costs its per-core
  // ceiling: a factor of its own. Convolutions are linear in N and G, and in
  // OY when the cores split K; their C, K and OX interact in the register
  // blocks. Depthwise couples OY and OX in the window gather. Pools and adds
  // are a product of all extents.
  CostStructure cost_structure(const Layer& layer, int u) const override {
    const Dim split = u == 0 ? Dim::OY : (mixes_channels(layer.op) ? Dim::K : Dim::G);
    CostStructure s;
    if (layer.op == OpKind::depthwise) {
      s.linear = dim_bit(Dim::N) | (split == Dim::G ? 0u : dim_bit(Dim::G));
      if (split == Dim::G) s.groups[0] = dim_bit(Dim::G);
    } else if (mixes_channels(layer.op)) {
      s.linear = dim_bit(Dim::N) | dim_bit(Dim::G) | (split == Dim::OY ? 0u : dim_bit(Dim::OY));
      if (split == Dim::OY) s.groups[0] = dim_bit(Dim::OY);
    } else {
      s.linear = kAllDimBits & ~dim_bit(split);
      s.groups[0] = dim_bit(split);
    }
    return s;
  }

  std::int64_t extra_bytes(const Layer& layer, const DimArray& t, int u) const override {
    double per_core = 0.0;
    if (layer.op == OpKind::depthwise) {
      per_core = window_bytes(layer, t, share(layer, t, u));
    } else if (has_weights(layer.op) && uses_im2col(layer)) {
      per_core = bp_ * ext(t, Dim::C) * ext(t, Dim::FY) * ext(t, Dim::FX) * layer.bits.input / 8.0;
    }
    return static_cast<std::int64_t>(std::ceil(cores_ * per_core));
  }

  double tile_overhead_cycles(const Layer&) const override {
    return spec().tile_overhead_cycles + barrier_ * clock_ratio();
  }

 private:
  // The part of a tile the slowest core computes.
  struct Share {
    double rows, k, g;  // output rows, output channels, groups
  };

  Share share(const Layer& layer, const DimArray& t, int u) const {
    Share w{ext(t, Dim::OY), ext(t, Dim::K), ext(t, Dim::G)};
    if (u == 0) {
      w.rows = ceil_div(w.rows, cores_);
    } else if (mixes_channels(layer.op)) {
      w.k = ceil_div(w.k, cores_);
    } else {
      w.g = ceil_div(w.g, cores_);  // depthwise, pools, adds: K = 1, channels are groups
    }
    return w;
  }

  // Pointwise with stride 1 and dense read their input vectors in place.
  static bool uses_im2col(const Layer& layer) {
    if (layer.op == OpKind::dense) return false;
    const bool one_by_one = layer.dim(Dim::FY) == 1 && layer.dim(Dim::FX) == 1;
    return !(one_by_one && layer.stride_y == 1 && layer.stride_x == 1);
  }

  // Bytes of one channel's input window for the rows a core computes.
  static double window_bytes(const Layer& layer, const DimArray& t, const Share& w) {
    const double h = in_extent(w.rows, ext(t, Dim::FY), layer.stride_y, layer.dilation_y);
    const double x = in_extent(ext(t, Dim::OX), ext(t, Dim::FX), layer.stride_x, layer.dilation_x);
    return h * x * layer.bits.input / 8.0;
  }

  // Cycles of one register block of bk x bp outputs over a vector of length l.
  double block(double bk, double bp, double vec, double rem) const {
    return block_ + vec * (bk * bp * sdotp_ + (bk + bp) * load_) +
           rem * (bk * bp + bk + bp) * scalar_;
  }

  // One core's cycles for one group of a conv, pointwise or dense tile.
  double conv_core(const Layer& layer, const DimArray& t, const Share& w) const {
    const double lanes = simd_lanes(lanes8_, std::max(layer.bits.weight, layer.bits.input));
    const double l = ext(t, Dim::C) * ext(t, Dim::FY) * ext(t, Dim::FX);
    const auto [vec, rem] = div_mod(l, lanes);
    const bool dense = layer.op == OpKind::dense;
    const double bp = dense ? 1.0 : bp_;
    const double im2col = uses_im2col(layer) ? l * layer.bits.input / 8.0 / im2col_bpc_ : 0.0;
    const auto [k_full, k_rem] = div_mod(w.k, bk_);
    auto pixel_block = [&](double pixels) {
      return pixels * im2col + k_full * block(bk_, pixels, vec, rem) +
             k_rem * block(1.0, pixels, vec, rem);
    };
    const double ox = ext(t, Dim::OX);
    const auto [px_full, px_rem] = div_mod(ox, bp);
    const double per_row = px_full * pixel_block(bp) + (px_rem > 0.0 ? pixel_block(px_rem) : 0.0);
    return w.rows * per_row;
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
