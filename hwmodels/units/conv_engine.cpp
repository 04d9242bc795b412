#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "hwmodels/units/common.hpp"
#include "hwmodels/units/kinds.hpp"

namespace tessel::hw::units {

namespace {

const std::vector<ParamSpec>& conv_engine_params() {
  static const std::vector<ParamSpec> p = {
      {"in_channels", Quantity::count, 16.0,
       "input channels processed in parallel (a partial input-channel block costs a full one)"},
      {"out_channels", Quantity::count, 32.0,
       "output channels accumulated per pass (one accumulator bank each)"},
      {"spatial", Quantity::count, 3.0,
       "side of the output sub-tile computed at once (3: 3x3 outputs; partial sub-tiles cost "
       "full ones)"},
      {"stream_bits", Quantity::count, 256.0,
       "bits per cycle the streamer moves between the engine and its memory"},
      {"load_cycles", Quantity::cycles, 6.0,
       "fixed unit cycles per input-patch load (FIFO latency), beside one cycle per "
       "stream_bits of patch"},
      {"weight_offset_cycles", Quantity::cycles, 6.0,
       "unit cycles per pass for the weight-offset term (plus one per channel in depthwise)"},
      {"matvec_cycles", Quantity::cycles, 6.0,
       "fixed unit cycles per matrix-vector pass, beside the per-output-channel cycles"},
      {"index_cycles", Quantity::cycles, 2.0, "unit cycles per pass to update the address indices"},
      {"normquant_cycles", Quantity::cycles, 9.0,
       "fixed unit cycles of normalisation / requantisation per output-channel block "
       "(skipped for 32-bit outputs)"},
      {"normquant_cycles_per_channel", Quantity::real, 1.0,
       "unit cycles of normalisation / requantisation per output channel"},
      {"streamout_cycles", Quantity::cycles, 4.0,
       "fixed unit cycles to stream out one output block, beside one cycle per stream_bits"},
      {"strided_job_cycles", Quantity::cycles, 0.0,
       "unit cycles per sub-tile in the strided 2x2 mode, where every sub-tile is its own job "
       "(the part of programming it that the engine's job queue does not hide)"},
  };
  return p;
}

// A convolution engine in the style of GAP9's NE16: a fixed datapath for
// 3x3 convolutions, 1x1 convolutions (also used for dense) and 3x3
// depthwise, with bit-serial weights, and a strided 2x2 mode for the 3x3
// ones (when the unit lists stride 2): the engine computes its s x s output
// sub-tile at stride 1 and keeps the outputs at even positions, so a
// sub-tile yields ceil(s/2) x ceil(s/2) outputs (2x2 of 3x3) for the cost of
// a full one, and each sub-tile is a job of its own (strided_job_cycles).
// Per tile, in unit cycles:
//
//   sub-tiles  S = N*G * ceil(OY/o) * ceil(OX/o)   (o = s = spatial at stride 1,
//                                                   ceil(s/2) in the strided mode;
//                                                   partial sub-tiles cost full)
//   C blocks   nc = ceil(C / in_channels)          (a partial block costs a full one)
//   K blocks   of k <= out_channels channels: floor(K/kb) full ones and one remainder block
//
//   conv (3x3 or 1x1 mode), per sub-tile and K block of k channels:
//     nc * (load + weight_offset_cycles + matvec(k) + index_cycles) + normquant(k) + streamout(k)
//   depthwise (3x3), per sub-tile and block of k <= in_channels channels (G):
//     load + weight_offset_cycles + k + matvec(k) + index_cycles + normquant(k) + streamout(k)
//
//   load        = load_cycles + window pixels * ceil(in_channels * input bits / stream_bits),
//                 window = (s + FY - 1) x (s + FX - 1) for 3x3, s x s for 1x1
//   matvec(k)   = matvec_cycles + k * weight bits        (3x3 and depthwise: bit-serial weights)
//               = matvec_cycles + k * ceil(weight bits / s^2)   (1x1: weight bits spread over
//                                                                the s^2 columns)
//   normquant(k)= normquant_cycles + k * normquant_cycles_per_channel   (0 for 32-bit outputs)
//   streamout(k)= streamout_cycles + o^2 * ceil(k * output bits / stream_bits)
//   strided mode: + strided_job_cycles per sub-tile
//
// times the clock ratio. The per-job programming by a cluster core is the
// spec's tile_overhead; per-layer setup is the spec's launch. Energy is
// charged per MAC slot of the padded datapath (partial blocks and sub-tiles
// included): the datapath toggles whether a lane is useful or not.
class ConvEngineModel final : public FormulaModel<ConvEngineModel> {
 public:
  explicit ConvEngineModel(const UnitSpec& s) : FormulaModel(s) {
    const auto& p = conv_engine_params();
    cb_ = param_value(s, p, "in_channels");
    kb_ = param_value(s, p, "out_channels");
    sp_ = param_value(s, p, "spatial");
    stream_ = param_value(s, p, "stream_bits");
    load_ = param_value(s, p, "load_cycles");
    woff_ = param_value(s, p, "weight_offset_cycles");
    matvec_ = param_value(s, p, "matvec_cycles");
    index_ = param_value(s, p, "index_cycles");
    nq_ = param_value(s, p, "normquant_cycles");
    nq_ch_ = param_value(s, p, "normquant_cycles_per_channel");
    sout_ = param_value(s, p, "streamout_cycles");
    job_ = param_value(s, p, "strided_job_cycles");
    require(cb_ >= 1.0 && kb_ >= 1.0 && sp_ >= 1.0 && stream_ >= 1.0, s,
            "params.in_channels, out_channels, spatial and stream_bits must be at least 1");
    require(load_ >= 0.0 && woff_ >= 0.0 && matvec_ >= 0.0 && index_ >= 0.0 && nq_ >= 0.0 &&
                nq_ch_ >= 0.0 && sout_ >= 0.0 && job_ >= 0.0,
            s, "the cycle parameters must not be negative");
    const auto sp = static_cast<std::int64_t>(sp_);
    const auto cb = static_cast<std::int64_t>(cb_);
    unrollings_ = {make_unrolling(fmt::format("C{}xOY{}xOX{}", cb, sp, sp),
                                  {{Dim::C, cb}, {Dim::OY, sp}, {Dim::OX, sp}})};
  }

  bool supports(const Layer& layer, std::string* why) const override {
    if (!UnitModel::supports(layer, why)) return false;
    const char* reason = nullptr;
    const auto fy = layer.dim(Dim::FY), fx = layer.dim(Dim::FX);
    const bool k3 = fy == 3 && fx == 3, k1 = fy == 1 && fx == 1;
    switch (layer.op) {
      case OpKind::conv:
        if (!k3 && !k1) reason = "has only 3x3 and 1x1 convolution modes";
        break;
      case OpKind::depthwise:
        if (!k3) reason = "has only a 3x3 depthwise mode";
        break;
      case OpKind::pointwise:
      case OpKind::dense:
        break;
      default:
        reason = "has no datapath for pools and element-wise adds";
    }
    if (!reason && (layer.dilation_y != 1 || layer.dilation_x != 1)) {
      reason = "does not support dilated kernels";
    }
    if (!reason && strided(layer) && (layer.stride_y != 2 || layer.stride_x != 2 || !k3)) {
      reason = "has a strided mode only for 3x3 kernels at stride 2x2";
    }
    if (!reason && has_weights(layer.op) && (layer.bits.weight < 1 || layer.bits.weight > 8)) {
      reason = "streams weights bit-serially from 1 to 8 bits";
    }
    if (reason) {
      if (why) *why = fmt::format("unit '{}' (conv_engine) {}.", spec().name, reason);
      return false;
    }
    return true;
  }

  // Sub-tiles are a product of N and the ceilings of OY and OX; per sub-tile,
  // the passes are the C blocks times the K blocks, and the per-block tail
  // depends on K alone (depthwise: every block term on G alone). The energy's
  // padded slots are a product of the same factors.
  template <typename X>
  TileCost cost(const Layer& layer, const X& x, int) const {
    const double fy = x.ext(Dim::FY), fx = x.ext(Dim::FX);
    const double o = outputs_per_side(layer);
    const double sub = x.ext(Dim::N) * ceil_sum(x, Dim::OY, o) * ceil_sum(x, Dim::OX, o);
    const double wbits = layer.bits.weight;
    const double beats = ceil_div(cb_ * layer.bits.input, stream_);
    const bool one_by_one = fy == 1.0 && fx == 1.0;
    const double window = one_by_one ? sp_ * sp_ : (sp_ + fy - 1.0) * (sp_ + fx - 1.0);
    // Cycles of a pass beside its per-channel ones: patch load, weight
    // offset, matrix-vector setup, index update.
    const double pass = load_ + window * beats + woff_ + matvec_ + index_;
    double per_sub, slots;
    if (layer.op == OpKind::depthwise) {
      // Per block of k channels: one pass, k weight-offset cycles, k
      // bit-serial weights, and the tail.
      const double blocks = ceil_sum(x, Dim::G, cb_);
      const double other = x.count(Dim::K) * x.count(Dim::C);
      per_sub =
          other * (pass * blocks + x.ext(Dim::G) * (1.0 + wbits) + tails(layer, x, Dim::G, cb_, o));
      slots = other * blocks * cb_;
    } else {
      // Per block of k output channels: a pass of k weights per C block, and
      // the tail.
      const double nc = ceil_sum(x, Dim::C, cb_);
      const double per_k = one_by_one ? ceil_div(wbits, sp_ * sp_) : wbits;
      per_sub = x.ext(Dim::G) * (nc * (pass * ceil_sum(x, Dim::K, kb_) + per_k * x.ext(Dim::K)) +
                                 x.count(Dim::C) * tails(layer, x, Dim::K, kb_, o));
      slots = x.ext(Dim::G) * x.ext(Dim::K) * nc * cb_;
    }
    if (strided(layer)) per_sub += x.count(Dim::K) * x.count(Dim::C) * x.count(Dim::G) * job_;
    return {sub * per_sub * clock_ratio(),
            sub * slots * sp_ * sp_ * fy * fx * spec().energy_per_mac};
  }

  bool energy_is_per_op() const override { return false; }

 private:
  // The strided 2x2 mode runs layers of stride above 1 (supports() admits
  // 3x3 at 2x2 only).
  static bool strided(const Layer& layer) { return layer.stride_y > 1 || layer.stride_x > 1; }

  // Outputs per side of a sub-tile: s at stride 1, the even positions of s
  // (ceil(s/2)) in the strided mode.
  double outputs_per_side(const Layer& layer) const {
    return strided(layer) ? std::ceil(sp_ / 2.0) : sp_;
  }

  // Sum over the tiles of the cycles after the passes of each block of at
  // most `width` channels covering the extent of d: normalisation /
  // requantisation (skipped for 32-bit outputs) and streamout of the o x o
  // outputs of a sub-tile.
  template <typename X>
  double tails(const Layer& layer, const X& x, Dim d, double width, double o) const {
    const double obits = layer.bits.output;
    const double fixed = (obits < 32.0 ? nq_ : 0.0) + sout_;
    const double per_channel = obits < 32.0 ? nq_ch_ : 0.0;
    auto tail = [&](double k) {
      return fixed + k * per_channel + o * o * ceil_div(k * obits, stream_);
    };
    return x.sum(d, [&](double e) {
      const auto [full, rem] = div_mod(e, width);
      return full * tail(width) + static_cast<double>(rem > 0.0) * tail(rem);  // no branch
    });
  }

  double cb_, kb_, sp_, stream_, load_, woff_, matvec_, index_, nq_, nq_ch_, sout_, job_;
};

}  // namespace

UnitKind conv_engine_kind() {
  return {"conv_engine",
          "a fixed-function convolution engine with bit-serial weights (NE16-like: 3x3, 1x1 and "
          "3x3 depthwise modes)",
          conv_engine_params(),
          [](const UnitSpec& s) { return std::make_unique<ConvEngineModel>(s); }};
}

}  // namespace tessel::hw::units
