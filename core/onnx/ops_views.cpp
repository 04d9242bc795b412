// The views and constants: Identity, Dropout, Cast, Flatten and Reshape of an
// activation are views (no layer: a new name, maybe a new shape or type, for
// the same data); of constants they are evaluated. Constant nodes define
// constants. A Cast after a layer folds into its epilogue (or names the
// accumulator type).
#include "core/onnx/attrs.hpp"
#include "core/onnx/epilogue.hpp"
#include "core/onnx/op_table.hpp"
#include "core/onnx/shapes.hpp"
#include "core/onnx/tensors.hpp"

namespace tessel::onnx_import {
namespace {

// The element type of Cast's attribute to.
DataType cast_target(const NodeProto& n) {
  return require_type(static_cast<int>(Attrs(n).i("to", 0)), "attribute to");
}

// ============================================================== views of activations

// Views: no layer, a new name (and maybe shape or type) for the same data.
void op_identity(Importer& im, const NodeProto& n) {
  const Act x = im.activation(n, 0);
  if (n.op_type() == "Dropout" && n.output_size() > 1 && !n.output(1).empty())
    unsupported("the mask output of Dropout is not supported");
  im.alias(n.output(0), x, im.shape(x), x.type, x.quant);
}

void op_cast(Importer& im, const NodeProto& n) {
  const Act x = im.activation(n, 0);
  im.alias(n.output(0), x, im.shape(x), cast_target(n), std::nullopt);
}

void op_flatten(Importer& im, const NodeProto& n) {
  const Act x = im.activation(n, 0);
  im.alias(n.output(0), x, flatten_shape(im.shape(x), Attrs(n).i("axis", 1)), x.type, x.quant);
}

void op_reshape(Importer& im, const NodeProto& n) {
  const Act x = im.activation(n, 0);
  im.alias(n.output(0), x, reshape_shape(im, n, im.shape(x)), x.type, x.quant);
}

// Constant nodes are all evaluated before the node loop: nothing left to do.
void op_constant_done(Importer&, const NodeProto&) {}

// ============================================================== folding

bool fold_cast(Importer&, const NodeProto& n, LayerDraft& d) {
  const auto to = cast_target(n);
  if (d.absorb_cast && !to.is_float && to.bits >= 32) {
    d.accumulator = to.bits;  // the accumulator's own type: no step
  } else {
    d.epilogue.steps.push_back(cast_step(to));
  }
  d.type = to;
  return true;
}

// ============================================================== constant evaluation

void eval_constant(Importer& im, const NodeProto& n) {
  const Attrs a(n);
  Tensor t;
  if (const auto* v = a.find("value")) {
    if (v->type() != onnx::AttributeProto::TENSOR) model_fail("attribute value must be a tensor");
    t = decode_tensor(v->t(), n.output(0));
  } else if (const auto* f = a.find("value_float")) {
    t.type = DataType{32, true, true};
    t.data = {f->f()};
  } else if (const auto* i = a.find("value_int")) {
    t.type = DataType{64, true, false};
    t.data = {static_cast<double>(i->i())};
  } else if (const auto* fs = a.find("value_floats")) {
    t.type = DataType{32, true, true};
    t.data.assign(fs->floats().begin(), fs->floats().end());
    t.shape = {static_cast<std::int64_t>(t.data.size())};
  } else if (const auto* is = a.find("value_ints")) {
    t.type = DataType{64, true, false};
    for (auto v : is->ints())
      t.data.push_back(static_cast<double>(v));
    t.shape = {static_cast<std::int64_t>(t.data.size())};
  } else {
    unsupported("only the value, value_float(s) and value_int(s) forms of Constant are supported");
  }
  define(im, n, std::move(t));
}

void eval_identity(Importer& im, const NodeProto& n) {
  define(im, n, im.constant(n, 0, "input"));
}

void eval_cast(Importer& im, const NodeProto& n) {
  Tensor t = im.constant(n, 0, "input");
  t.type = cast_target(n);
  for (auto& v : t.data)
    v = convert_value(v, t.type);
  define(im, n, std::move(t));
}

void eval_flatten(Importer& im, const NodeProto& n) {
  Tensor t = im.constant(n, 0, "input");
  t.shape = flatten_shape(t.shape, Attrs(n).i("axis", 1));
  define(im, n, std::move(t));
}

void eval_reshape(Importer& im, const NodeProto& n) {
  Tensor t = im.constant(n, 0, "input");
  t.shape = reshape_shape(im, n, t.shape);
  define(im, n, std::move(t));
}

}  // namespace

void register_view_ops(OpTable& table) {
  table.add({"Cast", op_cast, fold_cast, eval_cast});
  table.add({"Constant", op_constant_done, nullptr, eval_constant});
  table.add({"Identity", op_identity, nullptr, eval_identity});
  table.add({"Dropout", op_identity, nullptr, nullptr});
  table.add({"Flatten", op_flatten, nullptr, eval_flatten});
  table.add({"Reshape", op_reshape, nullptr, eval_reshape});
}

}  // namespace tessel::onnx_import
