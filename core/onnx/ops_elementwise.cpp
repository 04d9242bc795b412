// The element-wise operators: Add (a layer of two activations, or a bias step
// folded into the layer before it), and Mul, Div, Floor, Relu and Clip, which
// only fold into the epilogue of the layer they follow.
#include <limits>

#include "core/onnx/attrs.hpp"
#include "core/onnx/epilogue.hpp"
#include "core/onnx/op_table.hpp"

namespace tessel::onnx_import {
namespace {

// Add of two activations: an add layer. With a constant operand it can only
// be folded into the layer before it (fold_add).
void op_add(Importer& im, const NodeProto& n) {
  require_inputs(n, 2);
  const bool c0 = im.find_constant(n, 0) != nullptr;
  const bool c1 = im.find_constant(n, 1) != nullptr;
  if (c0 || c1) {
    const auto& act = n.input(c0 ? 1 : 0);
    unsupported(fmt::format("adds a constant to an activation with no layer to fold into: {}",
                            im.no_layer_reason(act)));
  }
  const Act a = im.activation(n, 0);
  const Act b = im.activation(n, 1);
  const auto& sa = im.shape(a);
  const auto& sb = im.shape(b);
  if (sa != sb)
    model_fail(
        fmt::format("adds tensors of different shapes: '{}' is {}, '{}' is {} "
                    "(broadcasting is not supported)",
                    n.input(0), shape_string(sa), n.input(1), shape_string(sb)));
  if (sa.size() != 2 && sa.size() != 4)
    unsupported(fmt::format("adds {}-D tensors; only 2-D and 4-D are supported", sa.size()));
  auto d = draft(im, n, sa[1], sa.size(), a.type);
  im.emit(n, std::move(d), [&](const std::string& name, LayerExtras e) {
    return im.builder.add(name, a.ref, b.ref, std::move(e));
  });
}

// Mul / Add / Div with one constant operand (Div: the divisor).
bool fold_binary(Importer& im, const NodeProto& n, LayerDraft& d, EpilogueStep::Kind kind) {
  if (n.input_size() != 2) return false;
  const int ci = n.input(1) == d.output ? 0 : 1;
  if (n.input(1 - ci) != d.output) return false;
  if (kind == EpilogueStep::Kind::div && ci != 1) return false;
  const Tensor* c = im.find_constant(n, ci);
  if (!c) return false;
  d.epilogue.steps.push_back(operand_step(kind, *c, d));
  d.used_constants.insert(c->name);
  if (kind == EpilogueStep::Kind::add)
    d.epilogue.bias = true;
  else
    d.epilogue.requant = true;
  return true;
}

bool fold_mul(Importer& im, const NodeProto& n, LayerDraft& d) {
  return fold_binary(im, n, d, EpilogueStep::Kind::mul);
}
bool fold_add(Importer& im, const NodeProto& n, LayerDraft& d) {
  return fold_binary(im, n, d, EpilogueStep::Kind::add);
}
bool fold_div(Importer& im, const NodeProto& n, LayerDraft& d) {
  return fold_binary(im, n, d, EpilogueStep::Kind::div);
}

bool fold_floor(Importer&, const NodeProto&, LayerDraft& d) {
  d.epilogue.steps.push_back(plain_step(EpilogueStep::Kind::floor));
  return true;
}

bool fold_relu(Importer&, const NodeProto&, LayerDraft& d) {
  d.epilogue.steps.push_back(plain_step(EpilogueStep::Kind::relu));
  note_clamp(d, true, 0, 0);
  return true;
}

// Clip: bounds from the attributes min / max (opset < 11) or the constant
// inputs 1 and 2 (opset >= 11); an absent bound is infinite.
bool fold_clip(Importer& im, const NodeProto& n, LayerDraft& d) {
  const Attrs a(n);
  double lo = a.f("min", -std::numeric_limits<double>::infinity());
  double hi = a.f("max", std::numeric_limits<double>::infinity());
  auto bound = [&](int i, double& v) {
    if (!im.has_input(n, i)) return;
    const Tensor& t = im.constant(n, i, i == 1 ? "min" : "max");
    if (t.elems() != 1) model_fail(fmt::format("clip bound '{}' is not a single value", t.name));
    v = t.data[0];
  };
  bound(1, lo);
  bound(2, hi);
  EpilogueStep s = plain_step(EpilogueStep::Kind::clip);
  s.lo = lo;
  s.hi = hi;
  d.epilogue.steps.push_back(s);
  note_clamp(d, false, lo, hi);
  return true;
}

}  // namespace

// Mul, Div, Floor, Relu and Clip have no import of their own: they can only
// follow a layer (OpEntry).
void register_elementwise_ops(OpTable& table) {
  table.add({"Add", op_add, fold_add, nullptr});
  table.add({"Mul", nullptr, fold_mul, nullptr});
  table.add({"Div", nullptr, fold_div, nullptr});
  table.add({"Floor", nullptr, fold_floor, nullptr});
  table.add({"Relu", nullptr, fold_relu, nullptr});
  table.add({"Clip", nullptr, fold_clip, nullptr});
}

}  // namespace tessel::onnx_import
