// The linear operators: Conv, Gemm and MatMul (float, or integer weights that
// went through DequantizeLinear) and QLinearConv / QLinearMatMul. Each becomes
// a conv or dense layer whose epilogue starts with the bias and the
// dequantisation scale of the integer accumulator.
#include <algorithm>
#include <cmath>
#include <optional>

#include "core/onnx/attrs.hpp"
#include "core/onnx/epilogue.hpp"
#include "core/onnx/op_table.hpp"
#include "core/onnx/shapes.hpp"

namespace tessel::onnx_import {
namespace {

// ============================================================== weights, bias and scale

// Multiplies the accumulator scale by the quantisation scale `s` of the input
// or the weights (`what`): one value, or one per output channel.
void times(std::vector<double>& scale, const Tensor& s, std::string_view what,
           const LayerDraft& d) {
  if (s.elems() != 1 && s.elems() != d.channels)
    unsupported(fmt::format("{} scale '{}' has {} values; expected 1 or {} (one per channel)", what,
                            s.name, s.elems(), d.channels));
  std::vector<double> out(static_cast<std::size_t>(
      std::max<std::int64_t>(static_cast<std::int64_t>(scale.size()), s.elems())));
  for (std::size_t k = 0; k < out.size(); ++k)
    out[k] = scale[scale.size() == 1 ? 0 : k] * s.data[s.data.size() == 1 ? 0 : k];
  scale = std::move(out);
}

// The bias step of constant `t`; with Gemm's beta != 1 the scaled values are a
// new float constant "<layer>.bias".
void add_bias(LayerDraft& d, const Tensor& t, double beta) {
  if (beta != 1.0) {
    Tensor scaled = t;
    scaled.name = d.name + ".bias";
    for (auto& v : scaled.data)
      v *= beta;
    scaled.type = DataType{32, true, true};
    push_bias(d, scaled);
    d.new_constants[scaled.name] = scaled;
  } else {
    push_bias(d, t);
    d.used_constants.insert(t.name);
  }
  d.bias = d.epilogue.steps.back().constant;
}

// The mul step of a dequantisation scale, a new constant "<layer>.scale" of one
// value or one per output channel.
void push_scale(LayerDraft& d, std::vector<double> scale) {
  auto t = float_vector(d.name + ".scale", std::move(scale));
  const auto b = t.elems() == 1 ? Broadcast::scalar : Broadcast::per_channel;
  d.epilogue.steps.push_back(operand_step(EpilogueStep::Kind::mul, t, d, b));
  d.new_constants[t.name] = std::move(t);
}

// Float weights that hold only whole numbers of the 8-bit range are integers
// exported as float. On an integer input they become int8 (uint8 when some
// value needs it), with a note saying so; on a float input they stay float,
// with a note saying why (the layer then computes in float).
void narrow_integer_weights(Importer& im, const NodeProto& n, const Act& x, Tensor& w) {
  if (!w.type.is_float || w.data.empty()) return;
  const auto whole = [](double v) { return std::isfinite(v) && v == std::floor(v); };
  if (!std::all_of(w.data.begin(), w.data.end(), whole)) return;
  const auto [lo, hi] = std::minmax_element(w.data.begin(), w.data.end());
  std::optional<DataType> narrow;
  if (*lo >= -128 && *hi <= 127)
    narrow = DataType{8, true, false};
  else if (*lo >= 0 && *hi <= 255)
    narrow = DataType{8, false, false};
  if (!narrow) return;
  const auto what = fmt::format("the {}-bit float weights '{}' hold only whole numbers in [{}, {}]",
                                w.type.bits, w.name, *lo, *hi);
  const char* narrow_name = narrow->is_signed ? "int8" : "uint8";
  if (x.type.is_float) {
    im.note(n, fmt::format("{}, but the input '{}' is float: they stay float (give the input an "
                           "integer type, or a Cast to one, to read them as {})",
                           what, x.ref, narrow_name));
    return;
  }
  im.note(n, fmt::format("{} and the input is an integer: they are read as {}", what, narrow_name));
  w.type = *narrow;
}

// The weights, bias and dequantisation scale of a conv / dense node: input
// `wi` the weights, `bi` the optional bias. Integer (dequantised) weights and
// biases are used as such; the scales become one mul step "<layer>.scale".
void attach_weights(Importer& im, const NodeProto& n, const Act& x, int wi, int bi, LayerDraft& d,
                    double alpha = 1.0, double beta = 1.0) {
  const Tensor& w = im.constant(n, wi, "weight");
  const QuantParams* wq = im.constant_quant(n.input(wi));
  d.weights = wq ? im.constant_value(wq->integer) : w;
  if (!wq && !x.quant && alpha == 1.0) narrow_integer_weights(im, n, x, *d.weights);
  // Scale of the integer accumulator: x_scale * w_scale * alpha.
  std::vector<double> scale{alpha};
  if (x.quant) times(scale, im.constant_value(x.quant->scale), "input", d);
  if (wq) times(scale, im.constant_value(wq->scale), "weight", d);
  const bool quantized = x.quant || wq;
  const Tensor* b = im.find_constant(n, bi);
  if (im.has_input(n, bi) && !b)
    unsupported(fmt::format("the bias input '{}' must be a constant", n.input(bi)));
  const QuantParams* bq = b ? im.constant_quant(n.input(bi)) : nullptr;
  if (b && bq)  // integer bias: on the accumulator
    add_bias(d, im.constant_value(bq->integer), beta);
  if (quantized) {
    push_scale(d, std::move(scale));
  } else if (alpha != 1.0) {
    EpilogueStep s = plain_step(EpilogueStep::Kind::mul);
    s.scalar = alpha;
    d.epilogue.steps.push_back(s);
  }
  if (quantized || alpha != 1.0) d.epilogue.requant = true;
  if (b && !bq) add_bias(d, *b, beta);
  d.weights_foldable = d.weights->type.is_float && !quantized && alpha == 1.0;
}

// The weight input wi: the integer tensor when it went through DequantizeLinear.
const Tensor& integer_weights(const Importer& im, const NodeProto& n, int wi) {
  const Tensor& w = im.constant(n, wi, "weight");
  const QuantParams* q = im.constant_quant(n.input(wi));
  return q ? im.constant_value(q->integer) : w;
}

// ============================================================== convolutions

// Conv: geometry from the weight shape and the window attributes.
ConvParams conv_params(const Importer& im, const NodeProto& n, const Act& x, const Tensor& w) {
  const auto& xs = feature_map(im, x, "2-D convolutions");
  if (w.shape.size() != 4)
    model_fail(fmt::format("weights '{}' have shape {}, expected 4-D [M, C/group, kH, kW]", w.name,
                           shape_string(w.shape)));
  const Attrs a(n);
  const auto group = a.i("group", 1);
  if (group < 1) model_fail(fmt::format("attribute group = {} must be at least 1", group));
  if (w.shape[1] * group != xs[1])
    model_fail(fmt::format(
        "weights '{}' of shape {} expect {} input channels ({} per group x {} groups), but "
        "input '{}' has {} (shape {})",
        w.name, shape_string(w.shape), w.shape[1] * group, w.shape[1], group, x.ref, xs[1],
        shape_string(xs)));
  if (w.shape[0] % group != 0)
    model_fail(fmt::format("{} output channels are not divisible by {} groups", w.shape[0], group));
  const auto k = a.ints("kernel_shape", {w.shape[2], w.shape[3]});
  if (k.size() != 2 || k[0] != w.shape[2] || k[1] != w.shape[3])
    model_fail(fmt::format("attribute kernel_shape {} does not match weights '{}' of shape {}",
                           shape_string(k), w.name, shape_string(w.shape)));
  ConvParams p;
  p.out_channels = w.shape[0];
  p.groups = group;
  p.kernel_y = to_int(w.shape[2], "kernel height");
  p.kernel_x = to_int(w.shape[3], "kernel width");
  apply_window(window(a, xs[2], xs[3], p.kernel_y, p.kernel_x, true), p);
  return p;
}

void emit_conv(Importer& im, const NodeProto& n, LayerDraft d, const Act& x, const ConvParams& p) {
  im.emit(n, std::move(d), [&](const std::string& name, LayerExtras e) {
    return im.builder.conv(name, x.ref, p, std::move(e));
  });
}

void op_conv(Importer& im, const NodeProto& n) {
  const Act x = im.activation(n, 0);
  const auto p = conv_params(im, n, x, integer_weights(im, n, 1));
  auto d = draft(im, n, p.out_channels, 4, x.type);
  attach_weights(im, n, x, 1, 2, d);
  emit_conv(im, n, std::move(d), x, p);
}

// ============================================================== Gemm and MatMul

// The dense input [N, C] and the weight geometry of Gemm / MatMul.
std::int64_t dense_features(const Importer& im, const Act& a, std::string_view op) {
  const auto& s = im.shape(a);
  if (s.size() != 2)
    unsupported(
        fmt::format("only 2-D inputs [N, features] are supported for {}; input '{}' has "
                    "shape {}",
                    op, a.ref, shape_string(s)));
  return s[1];
}

[[noreturn]] void inner_mismatch(const Importer& im, const Act& x, const Tensor& w) {
  model_fail(fmt::format("inner dimensions differ: input '{}' is {}, weights '{}' are {}", x.ref,
                         shape_string(im.shape(x)), w.name, shape_string(w.shape)));
}

void emit_dense(Importer& im, const NodeProto& n, LayerDraft d, const Act& x, std::int64_t out,
                bool weights_ck) {
  im.emit(n, std::move(d), [&](const std::string& name, LayerExtras e) {
    return im.builder.dense(name, x.ref, out, std::move(e), weights_ck);
  });
}

void op_gemm(Importer& im, const NodeProto& n) {
  const Attrs a(n);
  if (a.i("transA", 0) != 0) bad_attribute("transA", std::to_string(a.i("transA", 0)), "0");
  const auto trans_b = a.i("transB", 0);
  if (trans_b != 0 && trans_b != 1) bad_attribute("transB", std::to_string(trans_b), "0 or 1");
  const Act x = im.activation(n, 0);
  const auto features = dense_features(im, x, "Gemm");
  const Tensor& w = integer_weights(im, n, 1);
  if (w.shape.size() != 2)
    model_fail(
        fmt::format("weights '{}' have shape {}, expected 2-D", w.name, shape_string(w.shape)));
  const auto inner = trans_b ? w.shape[1] : w.shape[0];
  const auto out = trans_b ? w.shape[0] : w.shape[1];
  if (inner != features)
    model_fail(
        fmt::format("inner dimensions differ: input '{}' has {} features, weights '{}' "
                    "of shape {} (transB = {}) expect {}",
                    x.ref, features, w.name, shape_string(w.shape), trans_b, inner));
  auto d = draft(im, n, out, 2, x.type);
  d.weights_ck = trans_b == 0;
  attach_weights(im, n, x, 1, 2, d, a.f("alpha", 1.0), a.f("beta", 1.0));
  emit_dense(im, n, std::move(d), x, out, trans_b == 0);
}

void op_matmul(Importer& im, const NodeProto& n) {
  require_inputs(n, 2);
  const Act x = im.activation(n, 0);
  if (!im.find_constant(n, 1))
    unsupported(
        fmt::format("multiplies two activations ('{}' x '{}'); the second operand must "
                    "be constant weights",
                    n.input(0), n.input(1)));
  const auto features = dense_features(im, x, "MatMul");
  const Tensor& w = integer_weights(im, n, 1);
  if (w.shape.size() != 2)
    unsupported(fmt::format("weights '{}' have shape {}; only 2-D weights are supported", w.name,
                            shape_string(w.shape)));
  if (w.shape[0] != features) inner_mismatch(im, x, w);
  const auto out = w.shape[1];
  auto d = draft(im, n, out, 2, x.type);
  d.weights_ck = true;
  attach_weights(im, n, x, 1, -1, d);
  emit_dense(im, n, std::move(d), x, out, true);
}

// ============================================================== QLinearConv and QLinearMatMul

// QLinearConv / QLinearMatMul: integer ops with their requantisation.
// Inputs: x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp[, bias].
void qlinear_epilogue(Importer& im, const NodeProto& n, LayerDraft& d) {
  const Tensor& xs = im.constant(n, 1, "x_scale");
  const Tensor& ws = im.constant(n, 4, "w_scale");
  const Tensor& ys = im.constant(n, 6, "y_scale");
  const Tensor* yzp = im.find_constant(n, 7);
  // The layer computes sum(x * w): zero points of the operands would need
  // subtracting first, which tessel's layer does not model.
  for (const auto& [index, what] : {std::pair{2, "x_zero_point"}, std::pair{5, "w_zero_point"}}) {
    const Tensor* zp = im.find_constant(n, index);
    if (zp && std::any_of(zp->data.begin(), zp->data.end(), [](double v) { return v != 0; }))
      unsupported(
          fmt::format("{} is not 0; only symmetric operands (zero points 0) are "
                      "supported",
                      what));
  }
  if (xs.elems() != 1 || ys.elems() != 1)
    unsupported("x_scale and y_scale must be single values (per-tensor quantisation)");
  if (ws.elems() != 1 && ws.elems() != d.channels)
    unsupported(fmt::format("w_scale has {} values; expected 1 or {} (one per output channel)",
                            ws.elems(), d.channels));
  if (im.has_input(n, 8)) add_bias(d, im.constant(n, 8, "bias"), 1.0);
  std::vector<double> scale;
  for (std::int64_t k = 0; k < ws.elems(); ++k)
    scale.push_back(xs.data[0] * ws.data[static_cast<std::size_t>(k)] / ys.data[0]);
  push_scale(d, std::move(scale));
  quantize_tail(d, yzp, 1, quant_type(yzp));
  d.absorb_cast = false;
}

void op_qlinear_conv(Importer& im, const NodeProto& n) {
  const Act x = im.activation(n, 0);
  const Tensor& w = im.constant(n, 3, "weight");
  const auto p = conv_params(im, n, x, w);
  auto d = draft(im, n, p.out_channels, 4, x.type);
  d.weights = w;
  qlinear_epilogue(im, n, d);
  emit_conv(im, n, std::move(d), x, p);
}

void op_qlinear_matmul(Importer& im, const NodeProto& n) {
  const Act x = im.activation(n, 0);
  const auto features = dense_features(im, x, "QLinearMatMul");
  const Tensor& w = im.constant(n, 3, "weight");
  if (w.shape.size() != 2 || w.shape[0] != features) inner_mismatch(im, x, w);
  const auto out = w.shape[1];
  auto d = draft(im, n, out, 2, x.type);
  d.weights = w;
  d.weights_ck = true;
  qlinear_epilogue(im, n, d);
  emit_dense(im, n, std::move(d), x, out, true);
}

}  // namespace

void register_linear_ops(OpTable& table) {
  table.add({"Conv", op_conv, nullptr, nullptr});
  table.add({"QLinearConv", op_qlinear_conv, nullptr, nullptr});
  table.add({"Gemm", op_gemm, nullptr, nullptr});
  table.add({"MatMul", op_matmul, nullptr, nullptr});
  table.add({"QLinearMatMul", op_qlinear_matmul, nullptr, nullptr});
}

}  // namespace tessel::onnx_import
