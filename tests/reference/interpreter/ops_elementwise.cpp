// Element-wise operators of the reference interpreter (reference.hpp):
// arithmetic with numpy broadcasting, Floor, Clip, Relu, Cast, Constant and
// the identities.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include <fmt/format.h>

#include "reference/interpreter/ops.hpp"

namespace tessel::reference {
namespace {

// The broadcast shape of two operands (numpy rules).
std::vector<std::int64_t> broadcast_shape(const NodeView& n, const std::vector<std::int64_t>& a,
                                          const std::vector<std::int64_t>& b) {
  const std::size_t rank = std::max(a.size(), b.size());
  std::vector<std::int64_t> s(rank, 1);
  for (std::size_t i = 0; i < rank; ++i) {
    const std::int64_t da = i + a.size() >= rank ? a[i + a.size() - rank] : 1;
    const std::int64_t db = i + b.size() >= rank ? b[i + b.size() - rank] : 1;
    if (da != db && da != 1 && db != 1)
      n.fail(
          fmt::format("shapes {} and {} do not broadcast", fmt::join(a, "x"), fmt::join(b, "x")));
    s[i] = std::max(da, db);
  }
  return s;
}

// The flat index into an operand of shape `own` for the flat index `flat` of
// the broadcast shape `out`.
std::int64_t broadcast_index(const std::vector<std::int64_t>& own,
                             const std::vector<std::int64_t>& out, std::int64_t flat) {
  std::int64_t idx = 0, mul = 1;
  for (std::size_t i = out.size(); i-- > 0;) {
    const std::int64_t pos = flat % out[i];
    flat /= out[i];
    if (i + own.size() >= out.size()) {
      const std::int64_t d = own[i + own.size() - out.size()];
      idx += (d == 1 ? 0 : pos) * mul;
      mul *= d;
    }
  }
  return idx;
}

// A binary operator; integer results wrap to the first operand's type as
// ONNX's typed arithmetic does.
std::vector<Value> binary(const NodeView& n, const Inputs& in,
                          const std::function<double(double, double, bool)>& f) {
  const Value& a = required(n, in, 0);
  const Value& b = required(n, in, 1);
  Value y{a.type, broadcast_shape(n, a.shape, b.shape), {}};
  y.data.resize(static_cast<std::size_t>(y.elems()));
  const bool integer = !a.type.is_float;
  for (std::int64_t i = 0; i < y.elems(); ++i) {
    const double r =
        f(a.data[static_cast<std::size_t>(broadcast_index(a.shape, y.shape, i))],
          b.data[static_cast<std::size_t>(broadcast_index(b.shape, y.shape, i))], integer);
    y.data[static_cast<std::size_t>(i)] = integer ? wrap_integer(r, a.type) : r;
  }
  return {y};
}

std::vector<Value> add(const NodeView& n, const Inputs& in) {
  return binary(n, in, [](double x, double y, bool) { return x + y; });
}
std::vector<Value> sub(const NodeView& n, const Inputs& in) {
  return binary(n, in, [](double x, double y, bool) { return x - y; });
}
std::vector<Value> mul(const NodeView& n, const Inputs& in) {
  return binary(n, in, [](double x, double y, bool) { return x * y; });
}

// Integer division is floor division (the requantisation chain's meaning);
// exact in doubles for operands below 2^53.
std::vector<Value> div(const NodeView& n, const Inputs& in) {
  return binary(n, in, [&n](double x, double y, bool integer) {
    if (!integer) return x / y;
    if (y == 0) n.fail("integer division by zero");
    return std::floor(x / y);
  });
}

std::vector<Value> unary(const Inputs& in, const NodeView& n, double (*f)(double)) {
  Value y = required(n, in, 0);
  for (auto& x : y.data)
    x = f(x);
  return {y};
}

std::vector<Value> floor_op(const NodeView& n, const Inputs& in) {
  return unary(in, n, [](double x) { return std::floor(x); });  // identity on integers
}

std::vector<Value> relu(const NodeView& n, const Inputs& in) {
  return unary(in, n, [](double x) { return x < 0 ? 0.0 : x; });
}

// Clip: bounds from the attributes before opset 11, from inputs 1 and 2 after.
std::vector<Value> clip(const NodeView& n, const Inputs& in) {
  Value y = required(n, in, 0);
  double lo = -std::numeric_limits<double>::infinity(), hi = -lo;
  if (n.opset() < 11) {
    lo = n.attr_float("min", lo);
    hi = n.attr_float("max", hi);
  } else {
    if (in.size() > 1 && in[1]) lo = in[1]->data.at(0);
    if (in.size() > 2 && in[2]) hi = in[2]->data.at(0);
  }
  for (auto& x : y.data)
    x = std::min(std::max(x, lo), hi);
  return {y};
}

// Cast: a float to an integer type truncates toward zero, then every integer
// wraps modulo 2^bits; a value cast to float32 is rounded to float.
std::vector<Value> cast(const NodeView& n, const Inputs& in) {
  Value y = required(n, in, 0);
  const auto to = n.attr("to");
  if (!to) n.fail("missing attribute 'to'");
  const ElemType from = y.type;
  y.type = elem_type(static_cast<int>(to->i()));
  for (auto& x : y.data) {
    if (y.type.is_float) {
      if (y.type.bits == 32) x = static_cast<float>(x);
      continue;
    }
    if (from.is_float) x = std::trunc(x);
    x = wrap_integer(x, y.type);
  }
  return {y};
}

std::vector<Value> constant(const NodeView& n, const Inputs&) {
  if (const auto* a = n.attr("value")) return {tensor_value(a->t())};
  if (const auto* a = n.attr("value_int"))
    return {Value{elem_type(onnx::TensorProto::INT64), {}, {static_cast<double>(a->i())}}};
  if (const auto* a = n.attr("value_float"))
    return {Value{elem_type(onnx::TensorProto::FLOAT), {}, {a->f()}}};
  if (const auto* a = n.attr("value_ints")) {
    Value v{elem_type(onnx::TensorProto::INT64), {a->ints_size()}, {}};
    for (auto x : a->ints())
      v.data.push_back(static_cast<double>(x));
    return {v};
  }
  if (const auto* a = n.attr("value_floats")) {
    Value v{elem_type(onnx::TensorProto::FLOAT), {a->floats_size()}, {}};
    for (auto x : a->floats())
      v.data.push_back(x);
    return {v};
  }
  n.fail("no supported value attribute");
}

std::vector<Value> identity(const NodeView& n, const Inputs& in) {
  return {required(n, in, 0)};
}

}  // namespace

void register_elementwise_ops(std::vector<std::pair<std::string_view, OpFn>>& ops) {
  ops.emplace_back("Add", add);
  ops.emplace_back("Sub", sub);
  ops.emplace_back("Mul", mul);
  ops.emplace_back("Div", div);
  ops.emplace_back("Floor", floor_op);
  ops.emplace_back("Relu", relu);
  ops.emplace_back("Clip", clip);
  ops.emplace_back("Cast", cast);
  ops.emplace_back("Constant", constant);
  ops.emplace_back("Identity", identity);
  ops.emplace_back("Dropout", identity);  // inference: the input unchanged
}

}  // namespace tessel::reference
