// The reference interpreter: loading, tensors, the node loop (reference.hpp).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "reference/interpreter/ops.hpp"

namespace tessel::reference {

ElemType elem_type(int code) {
  using T = onnx::TensorProto;
  switch (code) {
    case T::UINT8:
      return {code, 8, false, false};
    case T::INT8:
      return {code, 8, true, false};
    case T::UINT16:
      return {code, 16, false, false};
    case T::INT16:
      return {code, 16, true, false};
    case T::INT32:
      return {code, 32, true, false};
    case T::UINT32:
      return {code, 32, false, false};
    case T::INT64:
      return {code, 64, true, false};
    case T::FLOAT:
      return {code, 32, true, true};
    case T::DOUBLE:
      return {code, 64, true, true};
    case T::BOOL:
      return {code, 8, false, false};
    default:
      throw ReferenceError(fmt::format("unsupported ONNX element type {}", code));
  }
}

std::int64_t Value::elems() const {
  return product(shape);
}

std::int64_t product(const std::vector<std::int64_t>& shape) {
  std::int64_t n = 1;
  for (auto d : shape)
    n *= d;
  return n;
}

std::vector<std::int64_t> strides_of(const std::vector<std::int64_t>& shape) {
  std::vector<std::int64_t> s(shape.size(), 1);
  for (std::size_t i = shape.size(); i-- > 1;)
    s[i - 1] = s[i] * shape[i];
  return s;
}

ElemType int32_type() {
  return elem_type(onnx::TensorProto::INT32);
}

double wrap_integer(double x, const ElemType& t) {
  if (t.is_float || t.bits >= 64) return x;
  const auto span = static_cast<double>(std::int64_t{1} << t.bits);
  double r = std::fmod(x, span);
  if (r < 0) r += span;
  if (t.is_signed && r >= span / 2) r -= span;
  return r;
}

// --- nodes ------------------------------------------------------------------

std::string NodeView::where() const {
  return fmt::format("node '{}' ({})", node_.name().empty() ? node_.output(0) : node_.name(),
                     node_.op_type());
}

void NodeView::fail(const std::string& what) const {
  throw ReferenceError(fmt::format("{}: {}", where(), what));
}

const onnx::AttributeProto* NodeView::attr(std::string_view name) const {
  for (const auto& a : node_.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

std::int64_t NodeView::attr_int(std::string_view name, std::int64_t fallback) const {
  const auto* a = attr(name);
  return a ? a->i() : fallback;
}

double NodeView::attr_float(std::string_view name, double fallback) const {
  const auto* a = attr(name);
  return a ? a->f() : fallback;
}

std::string NodeView::attr_string(std::string_view name, const std::string& fallback) const {
  const auto* a = attr(name);
  return a ? a->s() : fallback;
}

std::vector<std::int64_t> NodeView::attr_ints(std::string_view name,
                                              std::vector<std::int64_t> fallback) const {
  const auto* a = attr(name);
  if (!a) return fallback;
  return {a->ints().begin(), a->ints().end()};
}

const Value& required(const NodeView& n, const Inputs& in, std::size_t i) {
  if (i >= in.size() || in[i] == nullptr) n.fail(fmt::format("input {} is missing", i));
  return *in[i];
}

// --- tensors ----------------------------------------------------------------

namespace {

template <typename T>
void append_raw(const std::string& raw, std::vector<double>& out) {
  const std::size_t n = raw.size() / sizeof(T);
  for (std::size_t i = 0; i < n; ++i) {
    T x;
    std::memcpy(&x, raw.data() + i * sizeof(T), sizeof(T));
    out.push_back(static_cast<double>(x));
  }
}

// Calls f(T{}) with the C++ type T of an ONNX element type code (doubles for
// any other code; elem_type refuses the unsupported ones first).
template <typename F>
void with_c_type(int onnx_code, F&& f) {
  using T = onnx::TensorProto;
  switch (onnx_code) {
    case T::UINT8:
    case T::BOOL:
      return f(std::uint8_t{});
    case T::INT8:
      return f(std::int8_t{});
    case T::UINT16:
      return f(std::uint16_t{});
    case T::INT16:
      return f(std::int16_t{});
    case T::INT32:
      return f(std::int32_t{});
    case T::UINT32:
      return f(std::uint32_t{});
    case T::INT64:
      return f(std::int64_t{});
    case T::FLOAT:
      return f(float{});
    default:
      return f(double{});
  }
}

void decode_raw(const ElemType& t, const std::string& raw, std::vector<double>& out) {
  with_c_type(t.onnx, [&](auto tag) { append_raw<decltype(tag)>(raw, out); });
}

template <typename T>
void put(double x, std::vector<std::uint8_t>& out) {
  const T v = static_cast<T>(x);
  const auto* p = reinterpret_cast<const std::uint8_t*>(&v);
  out.insert(out.end(), p, p + sizeof(T));
}

}  // namespace

Value tensor_value(const onnx::TensorProto& t) {
  Value v;
  v.type = elem_type(t.data_type());
  v.shape.assign(t.dims().begin(), t.dims().end());
  if (t.has_raw_data()) {
    decode_raw(v.type, t.raw_data(), v.data);
  } else {
    for (auto x : t.int32_data())
      v.data.push_back(x);
    for (auto x : t.int64_data())
      v.data.push_back(static_cast<double>(x));
    for (auto x : t.float_data())
      v.data.push_back(x);
    for (auto x : t.double_data())
      v.data.push_back(x);
    for (auto x : t.uint64_data())
      v.data.push_back(static_cast<double>(x));
  }
  if (static_cast<std::int64_t>(v.data.size()) != v.elems())
    throw ReferenceError(
        fmt::format("tensor '{}': {} values for {} elements", t.name(), v.data.size(), v.elems()));
  if (v.type.onnx == onnx::TensorProto::INT8 && !t.has_raw_data())
    for (auto& x : v.data)
      x = wrap_integer(x, v.type);
  return v;
}

Value read_tensor_file(const std::filesystem::path& pb_file) {
  std::ifstream in(pb_file, std::ios::binary);
  onnx::TensorProto t;
  if (!in || !t.ParseFromIstream(&in))
    throw ReferenceError(fmt::format("{}: not a readable TensorProto", pb_file.string()));
  return tensor_value(t);
}

std::vector<std::uint8_t> to_bytes(const Value& v) {
  std::vector<std::uint8_t> out;
  with_c_type(v.type.onnx, [&](auto tag) {
    for (double x : v.data)
      put<decltype(tag)>(x, out);
  });
  return out;
}

Value from_bytes(const ElemType& type, const std::vector<std::int64_t>& shape,
                 const std::vector<std::uint8_t>& bytes) {
  Value v{type, shape, {}};
  const std::string raw(bytes.begin(), bytes.end());
  decode_raw(type, raw, v.data);
  if (static_cast<std::int64_t>(v.data.size()) != v.elems() ||
      static_cast<std::int64_t>(bytes.size()) != v.elems() * (type.bits / 8))
    throw ReferenceError(fmt::format("{} bytes do not hold {} elements of {} bits", bytes.size(),
                                     v.elems(), type.bits));
  return v;
}

// --- operators --------------------------------------------------------------

OpFn find_op(std::string_view op_type) {
  static const auto table = [] {
    std::vector<std::pair<std::string_view, OpFn>> ops;
    register_linear_ops(ops);
    register_elementwise_ops(ops);
    register_shape_pool_ops(ops);
    return ops;
  }();
  for (const auto& [name, fn] : table)
    if (name == op_type) return fn;
  return nullptr;
}

// --- the model --------------------------------------------------------------

struct Model::Impl {
  onnx::ModelProto proto;
  std::int64_t opset = 1;
  std::map<std::string, Value> initialisers;
  std::vector<std::string> inputs, outputs;
};

Model::Model(const std::filesystem::path& onnx_file) : impl_(new Impl) {
  std::ifstream in(onnx_file, std::ios::binary);
  if (!in || !impl_->proto.ParseFromIstream(&in)) {
    delete impl_;
    throw ReferenceError(fmt::format("{}: not a readable ONNX model", onnx_file.string()));
  }
  for (const auto& o : impl_->proto.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") impl_->opset = o.version();
  const auto& g = impl_->proto.graph();
  for (const auto& t : g.initializer())
    impl_->initialisers.emplace(t.name(), tensor_value(t));
  for (const auto& i : g.input())
    if (!impl_->initialisers.count(i.name())) impl_->inputs.push_back(i.name());
  for (const auto& o : g.output())
    impl_->outputs.push_back(o.name());
}

Model::~Model() {
  delete impl_;
}
Model::Model(Model&& o) noexcept : impl_(o.impl_) {
  o.impl_ = nullptr;
}
Model& Model::operator=(Model&& o) noexcept {
  std::swap(impl_, o.impl_);
  return *this;
}

const std::vector<std::string>& Model::input_names() const {
  return impl_->inputs;
}
const std::vector<std::string>& Model::output_names() const {
  return impl_->outputs;
}

Value Model::input_template(const std::string& name) const {
  for (const auto& i : impl_->proto.graph().input()) {
    if (i.name() != name) continue;
    const auto& tt = i.type().tensor_type();
    Value v;
    v.type = elem_type(tt.elem_type());
    for (const auto& d : tt.shape().dim())
      v.shape.push_back(d.has_dim_value() ? d.dim_value() : 1);
    v.data.assign(static_cast<std::size_t>(v.elems()), 0.0);
    return v;
  }
  throw ReferenceError(fmt::format("the model has no input '{}'", name));
}

Value Model::random_input(const std::string& name, std::mt19937& rng) const {
  auto x = input_template(name);
  std::uniform_int_distribution<int> value(0, x.type.is_float    ? 1023
                                              : x.type.is_signed ? 127
                                                                 : 255);
  for (auto& v : x.data)
    v = value(rng);
  return x;
}

std::vector<Value> Model::run(const std::map<std::string, Value>& inputs) const {
  std::map<std::string, Value> values = impl_->initialisers;
  for (const auto& name : impl_->inputs) {
    const auto it = inputs.find(name);
    if (it == inputs.end()) throw ReferenceError(fmt::format("input '{}' not given", name));
    const auto want = input_template(name);
    if (it->second.shape != want.shape || it->second.type.onnx != want.type.onnx ||
        static_cast<std::int64_t>(it->second.data.size()) != it->second.elems())
      throw ReferenceError(fmt::format("input '{}': wrong type or shape", name));
    values[name] = it->second;
  }
  for (const auto& node : impl_->proto.graph().node()) {
    const NodeView n(node, impl_->opset);
    const OpFn fn = find_op(node.op_type());
    if (!fn) n.fail("operator not supported by the reference interpreter");
    Inputs in;
    for (const auto& name : node.input()) {
      if (name.empty()) {
        in.push_back(nullptr);
        continue;
      }
      const auto it = values.find(name);
      if (it == values.end()) n.fail(fmt::format("input '{}' is not computed yet", name));
      in.push_back(&it->second);
    }
    auto out = fn(n, in);
    for (int i = 0; i < node.output_size() && i < static_cast<int>(out.size()); ++i)
      values[node.output(i)] = std::move(out[static_cast<std::size_t>(i)]);
  }
  std::vector<Value> result;
  for (const auto& name : impl_->outputs) {
    const auto it = values.find(name);
    if (it == values.end()) throw ReferenceError(fmt::format("output '{}' never computed", name));
    result.push_back(it->second);
  }
  return result;
}

}  // namespace tessel::reference
