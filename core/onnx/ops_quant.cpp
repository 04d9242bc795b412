// The quantisation operators: QuantizeLinear (folded after a layer into
// div(scale) and the rounding and saturation; on a graph input it declares the
// input quantised; on constants it is evaluated) and DequantizeLinear (of an
// activation an alias that carries its scale; of a constant the dequantised
// values, which remember their integer tensor for weights and biases).
#include <algorithm>
#include <cmath>

#include "core/onnx/attrs.hpp"
#include "core/onnx/epilogue.hpp"
#include "core/onnx/op_table.hpp"
#include "core/onnx/tensors.hpp"

namespace tessel::onnx_import {
namespace {

// The quantisation parameters of a QuantizeLinear / DequantizeLinear node.
QuantParams quant_params(const Tensor& scale, const Tensor* zp, std::int64_t axis) {
  QuantParams q;
  q.scale = scale.name;
  if (zp) q.zero_point = zp->name;
  q.axis = axis;
  return q;
}

// ============================================================== activations

// QuantizeLinear of an activation with no layer before it: only a graph
// input read by this node alone, which is then declared quantised.
void op_quantize(Importer& im, const NodeProto& n) {
  const Act x = im.activation(n, 0);
  if (!im.is_quantised_input(n.input(0)))
    unsupported(fmt::format("quantises an activation with no layer to fold into: {}",
                            im.no_layer_reason(n.input(0))));
  const Tensor* zp = im.find_constant(n, 2);
  const auto qtype = quant_type(zp);
  im.constant(n, 1, "scale");
  // The quantised value carries no scale: a following DequantizeLinear gives it one.
  im.alias(n.output(0), x, im.shape(x), qtype, std::nullopt);
}

// DequantizeLinear of an activation: an alias; the value stays quantised and
// carries its scale for the layer that reads it.
void op_dequantize(Importer& im, const NodeProto& n) {
  const Act x = im.activation(n, 0);
  const Tensor& scale = im.constant(n, 1, "scale");
  if (scale.elems() != 1) unsupported("per-axis dequantisation of an activation is not supported");
  const Tensor* zp = im.find_constant(n, 2);
  im.alias(n.output(0), x, im.shape(x), DataType{32, true, true},
           quant_params(scale, zp, Attrs(n).i("axis", 1)));
}

// QuantizeLinear after a layer: div(scale) and the rounding and saturation.
bool fold_quantize(Importer& im, const NodeProto& n, LayerDraft& d) {
  const Tensor& scale = im.constant(n, 1, "scale");
  const Tensor* zp = im.find_constant(n, 2);
  const auto axis = Attrs(n).i("axis", 1);
  d.epilogue.steps.push_back(
      operand_step(EpilogueStep::Kind::div, scale, d, classify_quant(scale, axis, d)));
  d.used_constants.insert(scale.name);
  quantize_tail(d, zp, axis, quant_type(zp));
  return true;
}

// ============================================================== constants

// The scale and zero point of each element of a constant `t`, per tensor or
// per axis.
class QuantOf {
 public:
  QuantOf(const Tensor& t, const Tensor& scale, const Tensor* zp, std::int64_t axis)
      : t_(t), scale_(scale), zp_(zp), axis_(axis) {}
  double zero_point(std::size_t i) const { return zp_ ? zp_->data[index(*zp_, i)] : 0.0; }
  double scale(std::size_t i) const { return scale_.data[index(scale_, i)]; }

 private:
  // Index of the quantisation parameter for element i of `t` along `axis`.
  std::size_t index(const Tensor& param, std::size_t i) const {
    if (param.elems() == 1) return 0;
    const auto rank = static_cast<std::int64_t>(t_.shape.size());
    auto axis = axis_;
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank || param.elems() != t_.shape[static_cast<std::size_t>(axis)])
      model_fail(
          fmt::format("quantisation parameter '{}' has {} values, which does not match axis "
                      "{} of '{}' (shape {})",
                      param.name, param.elems(), axis, t_.name, shape_string(t_.shape)));
    const auto inner =
        static_cast<std::size_t>(product(t_.shape, static_cast<std::size_t>(axis) + 1));
    return (i / inner) % static_cast<std::size_t>(param.elems());
  }
  const Tensor& t_;
  const Tensor& scale_;
  const Tensor* zp_;
  std::int64_t axis_;
};

void eval_dequantize(Importer& im, const NodeProto& n) {
  const Tensor& q = im.constant(n, 0, "input");
  const Tensor& scale = im.constant(n, 1, "scale");
  const Tensor* zp = im.find_constant(n, 2);
  const auto axis = Attrs(n).i("axis", 1);
  const QuantOf of(q, scale, zp, axis);
  Tensor t = q;
  t.type = DataType{32, true, true};
  for (std::size_t i = 0; i < t.data.size(); ++i) {
    const double z = of.zero_point(i);
    t.data[i] = (q.data[i] - z) * of.scale(i);
  }
  QuantParams p = quant_params(scale, zp, axis);
  p.integer = q.name;
  define(im, n, std::move(t), p);
}

void eval_quantize(Importer& im, const NodeProto& n) {
  const Tensor& x = im.constant(n, 0, "input");
  const Tensor& scale = im.constant(n, 1, "scale");
  const Tensor* zp = im.find_constant(n, 2);
  const QuantOf of(x, scale, zp, Attrs(n).i("axis", 1));
  Tensor t = x;
  t.type = quant_type(zp);
  const auto [lo, hi] = integer_range(t.type);
  for (std::size_t i = 0; i < t.data.size(); ++i) {
    const double z = of.zero_point(i);
    const double v = std::nearbyint(x.data[i] / of.scale(i)) + z;
    t.data[i] = std::clamp(v, lo, hi);
  }
  define(im, n, std::move(t));
}

}  // namespace

void register_quant_ops(OpTable& table) {
  table.add({"QuantizeLinear", op_quantize, fold_quantize, eval_quantize});
  table.add({"DequantizeLinear", op_dequantize, nullptr, eval_dequantize});
}

}  // namespace tessel::onnx_import
