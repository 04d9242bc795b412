// The ONNX importer: protobuf model -> tessel::Graph through GraphBuilder.
// Layout of this file:
//   1. failures, element types, tensor decoding, attribute access
//   2. the Importer (values, node order, epilogue folding, graph assembly)
//   3. the operator handlers and the operator table (one entry per op_type)
//   4. the public entry points
#include "core/onnx_import.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <queue>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include "core/builder.hpp"
#include "core/errors.hpp"

namespace tessel {
namespace {

using onnx::NodeProto;
using onnx::TensorProto;

// ============================================================== failures

// A failure while importing one node. The node loop turns it into ModelError
// or UnsupportedError with the file, the node's name and its op type. `node`
// is set when the failing node is not the one being imported (a folded node).
struct NodeFailure : std::runtime_error {
  NodeFailure(bool unsupported_, std::string what)
      : std::runtime_error(std::move(what)), unsupported(unsupported_) {}
  bool unsupported = false;
  const NodeProto* node = nullptr;
};

[[noreturn]] void model_fail(std::string what) {
  throw NodeFailure(false, std::move(what));
}
[[noreturn]] void unsupported(std::string what) {
  throw NodeFailure(true, std::move(what));
}

// ============================================================== element types

// The tessel type of an ONNX element type. Floats are reported signed.
std::optional<DataType> element_type(int onnx_type) {
  switch (onnx_type) {
    case TensorProto::FLOAT:
      return DataType{32, true, true};
    case TensorProto::DOUBLE:
      return DataType{64, true, true};
    case TensorProto::FLOAT16:
    case TensorProto::BFLOAT16:
      return DataType{16, true, true};
    case TensorProto::UINT8:
    case TensorProto::BOOL:
      return DataType{8, false, false};
    case TensorProto::INT8:
      return DataType{8, true, false};
    case TensorProto::UINT16:
      return DataType{16, false, false};
    case TensorProto::INT16:
      return DataType{16, true, false};
    case TensorProto::UINT32:
      return DataType{32, false, false};
    case TensorProto::INT32:
      return DataType{32, true, false};
    case TensorProto::UINT64:
      return DataType{64, false, false};
    case TensorProto::INT64:
      return DataType{64, true, false};
    default:
      return std::nullopt;
  }
}

std::string element_type_name(int onnx_type) {
  if (TensorProto::DataType_IsValid(onnx_type))
    return TensorProto::DataType_Name(static_cast<TensorProto::DataType>(onnx_type));
  return fmt::format("#{}", onnx_type);
}

DataType require_type(int onnx_type, const std::string& what) {
  auto t = element_type(onnx_type);
  if (!t) unsupported(fmt::format("{} has element type {}", what, element_type_name(onnx_type)));
  return *t;
}

// Smallest and largest value of an integer type.
std::pair<double, double> integer_range(const DataType& t) {
  if (t.is_signed) return {-std::ldexp(1.0, t.bits - 1), std::ldexp(1.0, t.bits - 1) - 1};
  return {0.0, std::ldexp(1.0, t.bits) - 1};
}

// A value converted to an element type as ONNX Cast does for in-range values.
double convert_value(double v, const DataType& t) {
  if (t.is_float) return t.bits == 32 ? static_cast<double>(static_cast<float>(v)) : v;
  return std::trunc(v);
}

// Whether a Cast from `from` to `to` keeps every value (u8 -> i32, i8 -> float).
bool widening(const DataType& from, const DataType& to) {
  if (to.is_float) return !from.is_float || to.bits >= from.bits;
  if (from.is_float) return false;
  if (to.bits < from.bits) return false;
  if (from.is_signed && !to.is_signed) return false;
  if (!from.is_signed && to.is_signed) return to.bits > from.bits;
  return true;
}

// ============================================================== tensors

// Reads one little-endian element of `size` bytes and converts it to double.
double raw_element(const unsigned char* p, std::size_t size, int onnx_type) {
  std::uint64_t u = 0;
  for (std::size_t b = 0; b < size; ++b)
    u |= static_cast<std::uint64_t>(p[b]) << (8 * b);
  switch (onnx_type) {
    case TensorProto::FLOAT:
      return std::bit_cast<float>(static_cast<std::uint32_t>(u));
    case TensorProto::DOUBLE:
      return std::bit_cast<double>(u);
    case TensorProto::INT8:
      return static_cast<std::int8_t>(u);
    case TensorProto::INT16:
      return static_cast<std::int16_t>(u);
    case TensorProto::INT32:
      return static_cast<std::int32_t>(u);
    case TensorProto::INT64:
      return static_cast<double>(static_cast<std::int64_t>(u));
    default:  // unsigned types and bool
      return static_cast<double>(u);
  }
}

std::size_t element_size(int onnx_type) {
  switch (onnx_type) {
    case TensorProto::UINT8:
    case TensorProto::INT8:
    case TensorProto::BOOL:
      return 1;
    case TensorProto::UINT16:
    case TensorProto::INT16:
      return 2;
    case TensorProto::UINT32:
    case TensorProto::INT32:
    case TensorProto::FLOAT:
      return 4;
    case TensorProto::UINT64:
    case TensorProto::INT64:
    case TensorProto::DOUBLE:
      return 8;
    default:
      return 0;
  }
}

// Decodes an ONNX tensor (raw_data or the typed fields) into a constant Tensor
// named `name`, keeping every value.
Tensor decode_tensor(const TensorProto& t, const std::string& name) {
  Tensor out;
  out.name = name;
  out.constant = true;
  for (auto d : t.dims()) {
    if (d < 0) model_fail(fmt::format("tensor '{}' has a negative dimension {}", name, d));
    out.shape.push_back(d);
  }
  const int type = t.data_type();
  out.type = require_type(type, fmt::format("tensor '{}'", name));
  if (t.data_location() == TensorProto::EXTERNAL)
    unsupported(fmt::format("tensor '{}' keeps its values in external data files", name));
  const auto count = static_cast<std::size_t>(out.elems());
  const std::size_t size = element_size(type);
  if (size == 0)
    unsupported(fmt::format("tensor '{}' of element type {} cannot be read", name,
                            element_type_name(type)));
  std::size_t found = 0;
  if (t.has_raw_data()) {
    const auto& raw = t.raw_data();
    found = raw.size() / size;
    if (raw.size() % size == 0 && found == count) {
      out.data.reserve(count);
      const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
      for (std::size_t i = 0; i < count; ++i)
        out.data.push_back(raw_element(p + i * size, size, type));
    }
  } else if (type == TensorProto::FLOAT) {
    found = static_cast<std::size_t>(t.float_data_size());
    if (found == count) out.data.assign(t.float_data().begin(), t.float_data().end());
  } else if (type == TensorProto::DOUBLE) {
    found = static_cast<std::size_t>(t.double_data_size());
    if (found == count) out.data.assign(t.double_data().begin(), t.double_data().end());
  } else if (type == TensorProto::INT64) {
    found = static_cast<std::size_t>(t.int64_data_size());
    if (found == count)
      for (auto v : t.int64_data())
        out.data.push_back(static_cast<double>(v));
  } else if (type == TensorProto::UINT32 || type == TensorProto::UINT64) {
    found = static_cast<std::size_t>(t.uint64_data_size());
    if (found == count)
      for (auto v : t.uint64_data())
        out.data.push_back(static_cast<double>(v));
  } else {
    found = static_cast<std::size_t>(t.int32_data_size());
    if (found == count) out.data.assign(t.int32_data().begin(), t.int32_data().end());
  }
  if (found != count)
    model_fail(fmt::format("tensor '{}' of shape {} holds {} values, expected {}", name,
                           shape_string(out.shape), found, count));
  return out;
}

// ============================================================== attributes

// Typed access to a node's attributes with defaults; a wrong attribute type
// is a ModelError naming the attribute.
class Attrs {
 public:
  explicit Attrs(const NodeProto& n) : n_(n) {}

  const onnx::AttributeProto* find(std::string_view name) const {
    for (const auto& a : n_.attribute())
      if (a.name() == name) return &a;
    return nullptr;
  }
  bool has(std::string_view name) const { return find(name) != nullptr; }

  std::int64_t i(std::string_view name, std::int64_t dflt) const {
    const auto* a = typed(name, onnx::AttributeProto::INT, "an integer");
    return a ? a->i() : dflt;
  }
  double f(std::string_view name, double dflt) const {
    const auto* a = find(name);
    if (!a) return dflt;
    if (a->type() == onnx::AttributeProto::INT) return static_cast<double>(a->i());
    return typed(name, onnx::AttributeProto::FLOAT, "a float")->f();
  }
  std::string s(std::string_view name, std::string dflt) const {
    const auto* a = typed(name, onnx::AttributeProto::STRING, "a string");
    return a ? a->s() : dflt;
  }
  std::vector<std::int64_t> ints(std::string_view name, std::vector<std::int64_t> dflt) const {
    const auto* a = typed(name, onnx::AttributeProto::INTS, "a list of integers");
    return a ? std::vector<std::int64_t>(a->ints().begin(), a->ints().end()) : dflt;
  }

 private:
  const onnx::AttributeProto* typed(std::string_view name, int type, const char* what) const {
    const auto* a = find(name);
    if (a && a->type() != type) model_fail(fmt::format("attribute '{}' must be {}", name, what));
    return a;
  }
  const NodeProto& n_;
};

[[noreturn]] void bad_attribute(std::string_view attr, const std::string& value,
                                std::string_view expected) {
  unsupported(
      fmt::format("attribute {} = {} is not supported (expected {})", attr, value, expected));
}

int to_int(std::int64_t v, std::string_view what) {
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
    model_fail(fmt::format("{} = {} is out of range", what, v));
  return static_cast<int>(v);
}

// Product of v[from, to) (to clamped to the size).
std::int64_t product(const std::vector<std::int64_t>& v, std::size_t from = 0,
                     std::size_t to = std::numeric_limits<std::size_t>::max()) {
  const auto end = static_cast<std::ptrdiff_t>(std::min(to, v.size()));
  const auto begin = std::min(static_cast<std::ptrdiff_t>(from), end);
  return std::accumulate(v.begin() + begin, v.begin() + end, std::int64_t{1}, std::multiplies<>());
}

// ============================================================== the importer

// Quantisation parameters a value carries after DequantizeLinear / QuantizeLinear.
struct QuantParams {
  std::string scale;       // constant value with the scale(s)
  std::string zero_point;  // constant value with the zero point(s); empty when absent
  std::int64_t axis = 1;   // axis of per-axis parameters
  std::string integer;     // dequantized constants: the constant with the integer values
};

// An activation value: the name GraphBuilder knows it by (graph tensor or view)
// and its ONNX element type, which may differ from the tensor's after a Cast alias.
struct Act {
  std::string ref;
  DataType type;
  std::optional<QuantParams> quant;
};

// A layer being assembled: the handler fills geometry-independent parts, the
// folding of the following nodes extends the epilogue, then it is built.
struct LayerDraft {
  std::string name;
  std::int64_t channels = 1;  // output channels: per-channel constants have this many values
  std::size_t rank = 4;       // rank of the layer's output
  std::optional<Tensor> weights;
  bool weights_ck = false;
  bool weights_foldable = false;  // BatchNormalization may still go into the weights
  std::string bias;               // constant of the bias step, when the bias is steps[0]
  bool absorb_cast = true;        // a leading wide integer Cast names the accumulator
  DataType type;                  // element type at the current end of the chain
  int accumulator = 32;
  bool relu_seen = false;
  Epilogue epilogue;
  std::set<std::string> used_constants;         // importer constants the steps name
  std::map<std::string, Tensor> new_constants;  // constants made by the importer
  std::string output;                           // the ONNX value the layer writes
};

class Importer;
using ImportFn = void (*)(Importer&, const NodeProto&);
using FoldFn = bool (*)(Importer&, const NodeProto&, LayerDraft&);

// One operator: how a node of this type is imported on its own (a layer, a
// view, nothing), how it folds into the epilogue of the layer before it, and
// how it is evaluated when all its inputs are constants. Absent = not possible.
struct OpEntry {
  std::string_view op_type;
  ImportFn import = nullptr;
  FoldFn fold = nullptr;
  ImportFn evaluate = nullptr;
};
const OpEntry* find_op(std::string_view op_type);
std::string supported_ops();

// Drives one import: owns the value tables, the node order and the builder.
class Importer {
 public:
  Importer(const onnx::ModelProto& model, std::string origin, const OnnxImportOptions& options);
  Graph run();

  GraphBuilder builder;

  // ---- values
  bool has_input(const NodeProto& n, int i) const {
    return i >= 0 && i < n.input_size() && !n.input(i).empty();
  }
  // A graph input read only by a QuantizeLinear, declared with the quantised type.
  bool is_quantised_input(const std::string& value) const {
    return quantised_inputs_.count(value) != 0;
  }
  bool is_constant(const std::string& value) const { return constants_.count(value) != 0; }
  const Tensor* find_constant(const NodeProto& n, int i) const {
    if (!has_input(n, i)) return nullptr;
    auto it = constants_.find(n.input(i));
    return it == constants_.end() ? nullptr : &it->second;
  }
  // Input i as a constant; UnsupportedError when it is an activation.
  const Tensor& constant(const NodeProto& n, int i, std::string_view role) const {
    if (!has_input(n, i)) model_fail(fmt::format("the {} input is missing", role));
    const Tensor* t = find_constant(n, i);
    if (!t)
      unsupported(fmt::format("the {} input '{}' must be a constant (initializer or Constant)",
                              role, n.input(i)));
    return *t;
  }
  const Tensor& constant_value(const std::string& name) const { return constants_.at(name); }
  const QuantParams* constant_quant(const std::string& value) const {
    auto it = const_quant_.find(value);
    return it == const_quant_.end() ? nullptr : &it->second;
  }
  // Input i as an activation; UnsupportedError when it is a constant.
  const Act& activation(const NodeProto& n, int i) const {
    if (!has_input(n, i)) model_fail(fmt::format("input {} is missing", i));
    auto it = acts_.find(n.input(i));
    if (it == acts_.end()) {
      if (is_constant(n.input(i)))
        unsupported(fmt::format("input '{}' is a constant; an activation is expected", n.input(i)));
      model_fail(fmt::format("input '{}' is not defined", n.input(i)));
    }
    return it->second;
  }
  const std::vector<std::int64_t>& shape(const Act& a) const { return builder.shape(a.ref); }
  void set_constant(Tensor t, std::optional<QuantParams> q = {}) {
    if (q) const_quant_[t.name] = *q;
    auto name = t.name;
    constants_[name] = std::move(t);
  }
  // Adds an importer constant to the graph (once) and returns its tensor name.
  const std::string& use_constant(const std::string& value);

  // ---- names and folding
  std::string label(const NodeProto& n) const;
  std::string layer_name(const NodeProto& n);
  // Why the node's activation input `value` has no layer to fold into.
  std::string no_layer_reason(const std::string& value) const;
  // Folds the nodes after `n` into `d`, then builds the layer with `build`
  // (which receives the layer name and extras and returns the output tensor).
  void emit(const NodeProto& n, LayerDraft d,
            const std::function<std::string(const std::string&, LayerExtras)>& build);
  // A view `out` of `a` with another shape and / or ONNX type.
  void alias(const std::string& out, const Act& a, std::vector<std::int64_t> shape, DataType type,
             std::optional<QuantParams> quant);

 private:
  void order_nodes();
  void declare_inputs();
  void evaluate_constants();
  void run_guarded(const NodeProto& n, const std::function<void()>& body);
  bool fold_node(const OpEntry& e, const NodeProto& n, LayerDraft& d);
  std::vector<std::size_t> fold_chain(LayerDraft& d);
  [[noreturn]] void rethrow(const NodeProto& n, bool unsupported, const std::string& what) const;

  const onnx::GraphProto& g_;
  std::string origin_;
  OnnxImportOptions options_;
  std::vector<const NodeProto*> nodes_;  // in a topological order
  std::vector<bool> consumed_;
  std::map<std::string, std::vector<std::size_t>> consumers_;  // value -> reading nodes
  std::set<std::string> graph_outputs_;
  std::set<std::string> graph_inputs_;
  std::set<std::string> quantised_inputs_;
  std::map<std::string, Tensor> constants_;
  std::map<std::string, QuantParams> const_quant_;
  std::map<std::string, Act> acts_;
  std::set<std::string> layer_names_;
};

Importer::Importer(const onnx::ModelProto& model, std::string origin,
                   const OnnxImportOptions& options)
    : builder(options.name), g_(model.graph()), origin_(std::move(origin)), options_(options) {}

std::string Importer::label(const NodeProto& n) const {
  if (!n.name().empty()) return n.name();
  return fmt::format("{}_{}", n.op_type(), n.output_size() ? n.output(0) : std::string("?"));
}

std::string Importer::layer_name(const NodeProto& n) {
  const auto base = label(n);
  auto name = base;
  for (int k = 2; layer_names_.count(name); ++k)
    name = fmt::format("{}_{}", base, k);
  layer_names_.insert(name);
  return name;
}

const std::string& Importer::use_constant(const std::string& value) {
  const auto& t = constants_.at(value);
  if (!builder.graph().has_tensor(t.name)) builder.constant(t);
  return t.name;
}

std::string Importer::no_layer_reason(const std::string& value) const {
  if (graph_inputs_.count(value)) return fmt::format("'{}' is a graph input", value);
  auto it = consumers_.find(value);
  if (it != consumers_.end() && it->second.size() > 1)
    return fmt::format("'{}' is read by several nodes", value);
  if (graph_outputs_.count(value)) return fmt::format("'{}' is also a graph output", value);
  return fmt::format("'{}' is not the output of a layer (conv, dense, pool or add)", value);
}

void Importer::alias(const std::string& out, const Act& a, std::vector<std::int64_t> shape,
                     DataType type, std::optional<QuantParams> quant) {
  builder.reshape(a.ref, out, std::move(shape));
  acts_[out] = Act{out, type, std::move(quant)};
}

[[noreturn]] void Importer::rethrow(const NodeProto& n, bool is_unsupported,
                                    const std::string& what) const {
  auto msg = fmt::format("{}: node '{}' (op {}): {}", origin_, label(n), n.op_type(), what);
  if (is_unsupported) throw UnsupportedError(msg);
  throw ModelError(msg);
}

// Runs `body` for node n, turning every failure into a typed error naming the
// file, the node and its op type.
void Importer::run_guarded(const NodeProto& n, const std::function<void()>& body) {
  try {
    body();
  } catch (const NodeFailure& f) {
    rethrow(f.node ? *f.node : n, f.unsupported, f.what());
  } catch (const UnsupportedError& e) {
    rethrow(n, true, e.what());
  } catch (const Error& e) {
    rethrow(n, false, e.what());
  }
}

// Orders the nodes topologically (file order where possible) and records who
// reads each value.
void Importer::order_nodes() {
  std::set<std::string> available(graph_inputs_);
  for (const auto& t : g_.initializer())
    available.insert(t.name());
  for (const auto& in : g_.input())
    available.insert(in.name());
  std::map<std::string, std::size_t> producer;
  const auto count = static_cast<std::size_t>(g_.node_size());
  for (std::size_t i = 0; i < count; ++i) {
    const auto& n = g_.node(static_cast<int>(i));
    if (n.output_size() == 0 || n.output(0).empty())
      throw ModelError(
          fmt::format("{}: node '{}' (op {}) has no output", origin_, label(n), n.op_type()));
    for (const auto& o : n.output()) {
      if (o.empty()) continue;
      if (!producer.emplace(o, i).second || available.count(o))
        throw ModelError(fmt::format("{}: value '{}' is defined twice", origin_, o));
    }
  }
  std::vector<std::vector<std::size_t>> next(count);
  std::vector<std::size_t> pending(count, 0);
  for (std::size_t i = 0; i < count; ++i) {
    const auto& n = g_.node(static_cast<int>(i));
    for (const auto& in : n.input()) {
      if (in.empty() || available.count(in)) continue;
      auto it = producer.find(in);
      if (it == producer.end())
        throw ModelError(fmt::format(
            "{}: node '{}' (op {}): reads '{}', which no node, initializer or graph input provides",
            origin_, label(n), n.op_type(), in));
      next[it->second].push_back(i);
      ++pending[i];
    }
  }
  std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;
  for (std::size_t i = 0; i < count; ++i)
    if (pending[i] == 0) ready.push(i);
  while (!ready.empty()) {
    auto i = ready.top();
    ready.pop();
    nodes_.push_back(&g_.node(static_cast<int>(i)));
    for (auto j : next[i])
      if (--pending[j] == 0) ready.push(j);
  }
  if (nodes_.size() != count) {
    for (std::size_t i = 0; i < count; ++i)
      if (pending[i] != 0)
        throw ModelError(fmt::format("{}: node '{}' (op {}) is part of a cycle", origin_,
                                     label(g_.node(static_cast<int>(i))),
                                     g_.node(static_cast<int>(i)).op_type()));
  }
  consumed_.assign(nodes_.size(), false);
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    for (const auto& in : nodes_[i]->input())
      if (!in.empty()) consumers_[in].push_back(i);
}

// Declares the graph inputs (those without an initializer) with their shapes.
void Importer::declare_inputs() {
  for (const auto& in : g_.input()) {
    if (is_constant(in.name())) continue;
    const auto where = fmt::format("{}: graph input '{}'", origin_, in.name());
    if (!in.type().has_tensor_type())
      throw UnsupportedError(fmt::format("{}: only tensor inputs are supported", where));
    const auto& tt = in.type().tensor_type();
    auto type = element_type(tt.elem_type());
    if (!type)
      throw UnsupportedError(
          fmt::format("{} has element type {}", where, element_type_name(tt.elem_type())));
    if (!tt.has_shape())
      throw ModelError(fmt::format("{} has no shape; tessel needs static shapes", where));
    std::vector<std::int64_t> shape;
    for (int i = 0; i < tt.shape().dim_size(); ++i) {
      const auto& d = tt.shape().dim(i);
      if (d.has_dim_value() && d.dim_value() > 0) {
        shape.push_back(d.dim_value());
      } else if (i == 0) {
        shape.push_back(options_.batch);
      } else {
        throw ModelError(
            fmt::format("{} has an unknown dimension {} ('{}'); tessel needs static shapes", where,
                        i, d.dim_param()));
      }
    }
    // An input read only by QuantizeLinear is fed already quantised.
    DataType declared = *type;
    auto it = consumers_.find(in.name());
    if (it != consumers_.end() && it->second.size() == 1) {
      const auto& q = *nodes_[it->second.front()];
      if (q.op_type() == "QuantizeLinear" && q.input(0) == in.name()) {
        const Tensor* zp = find_constant(q, 2);
        declared = zp ? zp->type : DataType{8, false, false};
        quantised_inputs_.insert(in.name());
      }
    }
    builder.input(in.name(), shape, declared);
    acts_[in.name()] = Act{in.name(), *type, std::nullopt};
  }
}

// Evaluates, in order, every node whose inputs are all constants and whose
// operator can be evaluated (Constant, Cast, DequantizeLinear of weights, ...).
void Importer::evaluate_constants() {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    const auto& n = *nodes_[i];
    const OpEntry* e = find_op(n.op_type());
    if (!e || !e->evaluate || !(n.domain().empty() || n.domain() == "ai.onnx")) continue;
    bool all_constant = true;
    for (const auto& in : n.input())
      all_constant = all_constant && (in.empty() || is_constant(in));
    if (!all_constant) continue;
    run_guarded(n, [&] { e->evaluate(*this, n); });
    consumed_[i] = true;
  }
}

bool Importer::fold_node(const OpEntry& e, const NodeProto& n, LayerDraft& d) {
  try {
    LayerDraft trial = d;
    if (!e.fold(*this, n, trial)) return false;
    d = std::move(trial);
    return true;
  } catch (NodeFailure& f) {
    if (!f.node) f.node = &n;
    throw;
  } catch (const UnsupportedError& err) {
    NodeFailure f(true, err.what());
    f.node = &n;
    throw f;
  } catch (const Error& err) {
    NodeFailure f(false, err.what());
    f.node = &n;
    throw f;
  }
}

// Folds the single-reader chain after d.output into d; returns the folded nodes.
std::vector<std::size_t> Importer::fold_chain(LayerDraft& d) {
  const LayerDraft start = d;
  std::vector<std::size_t> folded;
  std::vector<std::pair<DataType, DataType>> types;  // before / after each folded node
  auto step = [&](std::size_t idx) {
    const auto& n = *nodes_[idx];
    const DataType before = d.type;
    if (!fold_node(*find_op(n.op_type()), n, d)) return false;
    folded.push_back(idx);
    types.emplace_back(before, d.type);
    d.output = n.output(0);
    d.absorb_cast = false;
    d.weights_foldable = false;
    return true;
  };
  for (;;) {
    if (graph_outputs_.count(d.output)) break;
    auto it = consumers_.find(d.output);
    if (it == consumers_.end() || it->second.size() != 1) break;
    const auto idx = it->second.front();
    const auto& n = *nodes_[idx];
    const OpEntry* e = find_op(n.op_type());
    if (consumed_[idx] || !e || !e->fold || !(n.domain().empty() || n.domain() == "ai.onnx")) break;
    int outputs = 0;
    for (const auto& o : n.output())
      outputs += !o.empty();
    if (outputs != 1 || n.output(0).empty()) break;
    if (!step(idx)) break;
  }
  // Trailing widening Casts are dtype conversions for the consumer: left out.
  std::size_t keep = folded.size();
  while (keep > 1 && nodes_[folded[keep - 1]]->op_type() == "Cast" &&
         widening(types[keep - 1].first, types[keep - 1].second))
    --keep;
  if (keep < folded.size()) {
    const auto chain = folded;
    d = start;
    folded.clear();
    types.clear();
    for (std::size_t k = 0; k < keep; ++k)
      step(chain[k]);
  }
  return folded;
}

void Importer::emit(const NodeProto& n, LayerDraft d,
                    const std::function<std::string(const std::string&, LayerExtras)>& build) {
  d.output = n.output(0);
  const auto folded = fold_chain(d);
  for (const auto& c : d.used_constants)
    use_constant(c);
  for (auto& [name, t] : d.new_constants)
    if (!builder.graph().has_tensor(name)) builder.constant(t);
  LayerExtras x;
  x.bits.accumulator = d.accumulator;
  x.bits.output = d.type.bits;
  x.bits.output_signed = d.type.is_signed;
  if (d.type.is_float) x.output_type = d.type;
  x.epilogue = std::move(d.epilogue);
  x.output = d.output;
  x.weights = std::move(d.weights);
  const auto out = build(d.name, std::move(x));
  acts_[d.output] = Act{out, d.type, std::nullopt};
  for (auto idx : folded)
    consumed_[idx] = true;
}

Graph Importer::run() {
  if (g_.node_size() == 0) throw ModelError(fmt::format("{}: the graph has no nodes", origin_));
  for (const auto& t : g_.initializer()) {
    try {
      set_constant(decode_tensor(t, t.name()));
    } catch (const NodeFailure& f) {
      auto msg = fmt::format("{}: initializer '{}': {}", origin_, t.name(), f.what());
      if (f.unsupported) throw UnsupportedError(msg);
      throw ModelError(msg);
    }
  }
  for (const auto& in : g_.input())
    if (!is_constant(in.name())) graph_inputs_.insert(in.name());
  if (graph_inputs_.empty())
    throw ModelError(fmt::format("{}: the graph has no inputs (besides initializers)", origin_));
  for (const auto& o : g_.output())
    graph_outputs_.insert(o.name());
  if (graph_outputs_.empty())
    throw ModelError(fmt::format("{}: the graph has no outputs", origin_));
  order_nodes();
  declare_inputs();
  evaluate_constants();

  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (consumed_[i]) continue;
    const auto& n = *nodes_[i];
    run_guarded(n, [&] {
      const bool standard = n.domain().empty() || n.domain() == "ai.onnx";
      const OpEntry* e = standard ? find_op(n.op_type()) : nullptr;
      if (!e || !e->import) {
        unsupported(fmt::format("unsupported operator{} (supported: {})",
                                standard ? "" : fmt::format(" of domain '{}'", n.domain()),
                                supported_ops()));
      }
      e->import(*this, n);
    });
    consumed_[i] = true;
  }

  // Constant nodes are graph tensors even when nothing names them.
  for (const auto* n : nodes_)
    if (n->op_type() == "Constant" && n->output_size() && is_constant(n->output(0)))
      use_constant(n->output(0));

  std::vector<std::string> outputs;
  for (const auto& o : g_.output()) {
    auto it = acts_.find(o.name());
    if (it == acts_.end()) {
      throw ModelError(fmt::format(
          "{}: graph output '{}' is {}", origin_, o.name(),
          is_constant(o.name()) ? "a constant, not computed by a layer" : "produced by no node"));
    }
    outputs.push_back(it->second.ref);
  }
  try {
    return builder.finish(std::move(outputs));
  } catch (const Error& e) {
    throw ModelError(fmt::format("{}: {}", origin_, e.what()));
  }
}

// ============================================================== folding helpers

// How a constant operand broadcasts over a layer output of rank `rank` whose
// channel axis is 1.
enum class Broadcast { scalar, per_channel, other };

Broadcast classify(const Tensor& c, std::size_t rank, std::int64_t channels) {
  if (c.elems() == 1) return Broadcast::scalar;
  if (c.shape.size() > rank || c.elems() != channels) return Broadcast::other;
  for (std::size_t i = 0; i < c.shape.size(); ++i) {
    const std::size_t axis = rank - c.shape.size() + i;
    if (c.shape[i] != 1 && axis != 1) return Broadcast::other;
  }
  return Broadcast::per_channel;
}

// A step whose operand is the constant `c` (scalar or per channel).
EpilogueStep operand_step(EpilogueStep::Kind kind, const Tensor& c, const LayerDraft& d,
                          Broadcast b) {
  if (b == Broadcast::other)
    unsupported(fmt::format(
        "constant '{}' of shape {} is neither a scalar nor one value per output channel ({} "
        "channels)",
        c.name, shape_string(c.shape), d.channels));
  EpilogueStep s;
  s.kind = kind;
  s.constant = c.name;
  s.per_channel = b == Broadcast::per_channel;
  if (b == Broadcast::scalar) s.scalar = c.data.at(0);
  return s;
}

EpilogueStep operand_step(EpilogueStep::Kind kind, const Tensor& c, const LayerDraft& d) {
  return operand_step(kind, c, d, classify(c, d.rank, d.channels));
}

// Broadcast of a quantisation parameter (scalar, or 1-D along `axis`).
Broadcast classify_quant(const Tensor& c, std::int64_t axis, const LayerDraft& d) {
  if (c.elems() == 1) return Broadcast::scalar;
  if (axis < 0) axis += static_cast<std::int64_t>(d.rank);
  if (c.shape.size() == 1 && c.elems() == d.channels && axis == 1) return Broadcast::per_channel;
  return classify(c, d.rank, d.channels);
}

// Records a clamp in the activation summary (see onnx_import.hpp).
void note_clamp(LayerDraft& d, bool relu, double lo, double hi) {
  auto& e = d.epilogue;
  if (relu) {
    if (e.activation == Epilogue::Activation::clip)
      e.clip_lo = std::max(e.clip_lo, 0.0);
    else
      e.activation = Epilogue::Activation::relu;
    d.relu_seen = true;
    return;
  }
  e.activation = Epilogue::Activation::clip;
  e.clip_lo = d.relu_seen ? std::max(lo, 0.0) : lo;
  e.clip_hi = hi;
}

EpilogueStep cast_step(const DataType& t) {
  EpilogueStep s;
  s.kind = EpilogueStep::Kind::cast;
  s.bits = t.bits;
  s.is_signed = t.is_signed;
  s.is_float = t.is_float;
  return s;
}

// The rounding and saturation of a quantisation to `qtype` with zero point
// `zp` (may be null): add(0.5), floor, add(zp) when non-zero, clip, cast.
void quantize_tail(LayerDraft& d, const Tensor* zp, std::int64_t axis, const DataType& qtype) {
  using K = EpilogueStep::Kind;
  EpilogueStep half;
  half.kind = K::add;
  half.scalar = 0.5;
  d.epilogue.steps.push_back(half);
  EpilogueStep floor_step;
  floor_step.kind = K::floor;
  d.epilogue.steps.push_back(floor_step);
  if (zp && std::any_of(zp->data.begin(), zp->data.end(), [](double v) { return v != 0; })) {
    d.epilogue.steps.push_back(operand_step(K::add, *zp, d, classify_quant(*zp, axis, d)));
    d.used_constants.insert(zp->name);
  }
  const auto [lo, hi] = integer_range(qtype);
  EpilogueStep clip;
  clip.kind = K::clip;
  clip.lo = lo;
  clip.hi = hi;
  d.epilogue.steps.push_back(clip);
  note_clamp(d, false, lo, hi);
  d.epilogue.steps.push_back(cast_step(qtype));
  d.type = qtype;
  d.epilogue.requant = true;
}

DataType quant_type(const Tensor* zp) {
  return zp ? zp->type : DataType{8, false, false};
}

// ============================================================== geometry helpers

// Stride, dilation and padding of a conv / pool window from the attributes
// strides, dilations, pads and auto_pad.
struct Window {
  int stride_y = 1, stride_x = 1, dilation_y = 1, dilation_x = 1;
  int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
};

std::vector<std::int64_t> pair_attr(const Attrs& a, std::string_view name) {
  auto v = a.ints(name, {1, 1});
  if (v.size() != 2)
    model_fail(
        fmt::format("attribute {} has {} values, expected 2 (a 2-D window)", name, v.size()));
  for (auto x : v)
    if (x < 1) model_fail(fmt::format("attribute {} must be at least 1, got {}", name, x));
  return v;
}

Window window(const Attrs& a, std::int64_t in_y, std::int64_t in_x, int kernel_y, int kernel_x,
              bool dilation) {
  Window w;
  const auto s = pair_attr(a, "strides");
  w.stride_y = to_int(s[0], "stride");
  w.stride_x = to_int(s[1], "stride");
  if (dilation) {
    const auto dl = pair_attr(a, "dilations");
    w.dilation_y = to_int(dl[0], "dilation");
    w.dilation_x = to_int(dl[1], "dilation");
  } else if (a.has("dilations")) {
    const auto dl = a.ints("dilations", {});
    if (std::any_of(dl.begin(), dl.end(), [](std::int64_t v) { return v != 1; }))
      bad_attribute("dilations", shape_string(dl), "1, 1");
  }
  const auto mode = a.s("auto_pad", "NOTSET");
  if (mode == "NOTSET") {
    const auto p = a.ints("pads", {0, 0, 0, 0});
    if (p.size() != 4)
      model_fail(fmt::format("attribute pads has {} values, expected 4", p.size()));
    for (auto v : p)
      if (v < 0) model_fail(fmt::format("attribute pads has a negative value {}", v));
    w.pad_top = to_int(p[0], "pad");
    w.pad_left = to_int(p[1], "pad");
    w.pad_bottom = to_int(p[2], "pad");
    w.pad_right = to_int(p[3], "pad");
  } else if (mode == "SAME_UPPER" || mode == "SAME_LOWER") {
    auto same = [&](std::int64_t in, int k, int stride, int dil, int& begin, int& end) {
      const std::int64_t out = (in + stride - 1) / stride;
      const std::int64_t total = std::max<std::int64_t>(
          0, (out - 1) * stride + (static_cast<std::int64_t>(k) - 1) * dil + 1 - in);
      const std::int64_t small = total / 2;
      begin = to_int(mode == "SAME_UPPER" ? small : total - small, "pad");
      end = to_int(total - begin, "pad");
    };
    same(in_y, kernel_y, w.stride_y, w.dilation_y, w.pad_top, w.pad_bottom);
    same(in_x, kernel_x, w.stride_x, w.dilation_x, w.pad_left, w.pad_right);
  } else if (mode != "VALID") {
    bad_attribute("auto_pad", "'" + mode + "'", "NOTSET, SAME_UPPER, SAME_LOWER or VALID");
  }
  return w;
}

// The 4-D NCHW shape of a feature-map input.
const std::vector<std::int64_t>& feature_map(const Importer& im, const Act& x,
                                             std::string_view what) {
  const auto& s = im.shape(x);
  if (s.size() != 4)
    unsupported(fmt::format("only {} on 4-D NCHW inputs are supported; input '{}' has shape {}",
                            what, x.ref, shape_string(s)));
  return s;
}

// A fresh draft for node n writing `channels` channels in an output of `rank`.
LayerDraft draft(Importer& im, const NodeProto& n, std::int64_t channels, std::size_t rank,
                 const DataType& type) {
  LayerDraft d;
  d.name = im.layer_name(n);
  d.channels = channels;
  d.rank = rank;
  d.type = type;
  return d;
}

// Adds the bias step: a bias input holds one value, or one per output channel
// whatever its shape (Conv B is [M], Gemm C [N] or [1, N]).
void push_bias(LayerDraft& d, const Tensor& b) {
  const auto bc = b.elems() == 1            ? Broadcast::scalar
                  : b.elems() == d.channels ? Broadcast::per_channel
                                            : Broadcast::other;
  d.epilogue.steps.push_back(operand_step(EpilogueStep::Kind::add, b, d, bc));
  d.epilogue.bias = true;
}

// The weights, bias and dequantisation scale of a conv / dense node: input
// `wi` the weights, `bi` the optional bias. Integer (dequantised) weights and
// biases are used as such; the scales become one mul step "<layer>.scale".
void attach_weights(Importer& im, const NodeProto& n, const Act& x, int wi, int bi, LayerDraft& d,
                    double alpha = 1.0, double beta = 1.0) {
  const Tensor& w = im.constant(n, wi, "weight");
  const QuantParams* wq = im.constant_quant(n.input(wi));
  d.weights = wq ? im.constant_value(wq->integer) : w;
  // Scale of the integer accumulator: x_scale * w_scale * alpha.
  std::vector<double> scale{alpha};
  auto times = [&](const Tensor& s, std::string_view what) {
    if (s.elems() != 1 && s.elems() != d.channels)
      unsupported(fmt::format("{} scale '{}' has {} values; expected 1 or {} (one per channel)",
                              what, s.name, s.elems(), d.channels));
    std::vector<double> out(static_cast<std::size_t>(
        std::max<std::int64_t>(static_cast<std::int64_t>(scale.size()), s.elems())));
    for (std::size_t k = 0; k < out.size(); ++k)
      out[k] = scale[scale.size() == 1 ? 0 : k] * s.data[s.data.size() == 1 ? 0 : k];
    scale = std::move(out);
  };
  bool quantized = false;
  if (x.quant) {
    times(im.constant_value(x.quant->scale), "input");
    quantized = true;
  }
  if (wq) {
    times(im.constant_value(wq->scale), "weight");
    quantized = true;
  }
  const Tensor* b = im.find_constant(n, bi);
  if (im.has_input(n, bi) && !b)
    unsupported(fmt::format("the bias input '{}' must be a constant", n.input(bi)));
  const QuantParams* bq = b ? im.constant_quant(n.input(bi)) : nullptr;
  auto add_bias = [&](const Tensor& t) {
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
  };
  if (b && bq) add_bias(im.constant_value(bq->integer));  // integer bias: on the accumulator
  if (quantized || alpha != 1.0) {
    EpilogueStep s;
    s.kind = EpilogueStep::Kind::mul;
    if (quantized) {
      Tensor t;
      t.name = d.name + ".scale";
      t.shape = {static_cast<std::int64_t>(scale.size())};
      t.type = DataType{32, true, true};
      t.constant = true;
      t.data = scale;
      s.constant = t.name;
      d.new_constants[t.name] = t;
    }
    s.per_channel = scale.size() > 1;
    if (scale.size() == 1) s.scalar = scale[0];
    d.epilogue.steps.push_back(s);
    d.epilogue.requant = true;
  }
  if (b && !bq) add_bias(*b);
  d.weights_foldable = d.weights->type.is_float && !quantized && alpha == 1.0;
}

// ============================================================== operator handlers

// Checks a node's input count for handlers that read their inputs by position.
void require_inputs(const NodeProto& n, int count) {
  if (n.input_size() != count)
    model_fail(fmt::format("expects {} inputs, has {}", count, n.input_size()));
}

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
  const auto win = window(a, xs[2], xs[3], p.kernel_y, p.kernel_x, true);
  p.stride_y = win.stride_y;
  p.stride_x = win.stride_x;
  p.dilation_y = win.dilation_y;
  p.dilation_x = win.dilation_x;
  p.pad_top = win.pad_top;
  p.pad_left = win.pad_left;
  p.pad_bottom = win.pad_bottom;
  p.pad_right = win.pad_right;
  return p;
}

// The weight input wi: the integer tensor when it went through DequantizeLinear.
const Tensor& integer_weights(const Importer& im, const NodeProto& n, int wi) {
  const Tensor& w = im.constant(n, wi, "weight");
  const QuantParams* q = im.constant_quant(n.input(wi));
  return q ? im.constant_value(q->integer) : w;
}

void op_conv(Importer& im, const NodeProto& n) {
  const Act x = im.activation(n, 0);
  const auto p = conv_params(im, n, x, integer_weights(im, n, 1));
  auto d = draft(im, n, p.out_channels, 4, x.type);
  attach_weights(im, n, x, 1, 2, d);
  im.emit(n, std::move(d), [&](const std::string& name, LayerExtras e) {
    return im.builder.conv(name, x.ref, p, std::move(e));
  });
}

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
  im.emit(n, std::move(d), [&](const std::string& name, LayerExtras e) {
    return im.builder.dense(name, x.ref, out, std::move(e), trans_b == 0);
  });
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
  if (w.shape[0] != features)
    model_fail(fmt::format("inner dimensions differ: input '{}' is {}, weights '{}' are {}", x.ref,
                           shape_string(im.shape(x)), w.name, shape_string(w.shape)));
  const auto out = w.shape[1];
  auto d = draft(im, n, out, 2, x.type);
  d.weights_ck = true;
  attach_weights(im, n, x, 1, -1, d);
  im.emit(n, std::move(d), [&](const std::string& name, LayerExtras e) {
    return im.builder.dense(name, x.ref, out, std::move(e), true);
  });
}

// QLinearConv / QLinearMatMul: integer ops with their requantisation.
// Inputs: x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp[, bias].
void qlinear_epilogue(Importer& im, const NodeProto& n, LayerDraft& d) {
  const Tensor& xs = im.constant(n, 1, "x_scale");
  const Tensor& ws = im.constant(n, 4, "w_scale");
  const Tensor& ys = im.constant(n, 6, "y_scale");
  const Tensor* yzp = im.find_constant(n, 7);
  if (xs.elems() != 1 || ys.elems() != 1)
    unsupported("x_scale and y_scale must be single values (per-tensor quantisation)");
  if (ws.elems() != 1 && ws.elems() != d.channels)
    unsupported(fmt::format("w_scale has {} values; expected 1 or {} (one per output channel)",
                            ws.elems(), d.channels));
  if (im.has_input(n, 8)) {
    const Tensor& b = im.constant(n, 8, "bias");
    push_bias(d, b);
    d.used_constants.insert(b.name);
    d.bias = b.name;
  }
  Tensor scale;
  scale.name = d.name + ".scale";
  scale.type = DataType{32, true, true};
  scale.constant = true;
  for (std::int64_t k = 0; k < ws.elems(); ++k)
    scale.data.push_back(xs.data[0] * ws.data[static_cast<std::size_t>(k)] / ys.data[0]);
  scale.shape = {ws.elems()};
  EpilogueStep s = operand_step(EpilogueStep::Kind::mul, scale, d,
                                ws.elems() == 1 ? Broadcast::scalar : Broadcast::per_channel);
  d.epilogue.steps.push_back(s);
  d.new_constants[scale.name] = scale;
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
  im.emit(n, std::move(d), [&](const std::string& name, LayerExtras e) {
    return im.builder.conv(name, x.ref, p, std::move(e));
  });
}

void op_qlinear_matmul(Importer& im, const NodeProto& n) {
  const Act x = im.activation(n, 0);
  const auto features = dense_features(im, x, "QLinearMatMul");
  const Tensor& w = im.constant(n, 3, "weight");
  if (w.shape.size() != 2 || w.shape[0] != features)
    model_fail(fmt::format("inner dimensions differ: input '{}' is {}, weights '{}' are {}", x.ref,
                           shape_string(im.shape(x)), w.name, shape_string(w.shape)));
  const auto out = w.shape[1];
  auto d = draft(im, n, out, 2, x.type);
  d.weights = w;
  d.weights_ck = true;
  qlinear_epilogue(im, n, d);
  im.emit(n, std::move(d), [&](const std::string& name, LayerExtras e) {
    return im.builder.dense(name, x.ref, out, std::move(e), true);
  });
}

// MaxPool / AveragePool / global pools.
void pool(Importer& im, const NodeProto& n, OpKind op) {
  const Act x = im.activation(n, 0);
  const auto& xs = feature_map(im, x, "2-D pooling");
  const Attrs a(n);
  if (n.output_size() > 1 && !n.output(1).empty())
    unsupported("the Indices output of MaxPool is not supported");
  if (a.i("storage_order", 0) != 0)
    bad_attribute("storage_order", std::to_string(a.i("storage_order", 0)), "0");
  const auto ceil_mode = a.i("ceil_mode", 0);
  if (ceil_mode != 0 && ceil_mode != 1)
    bad_attribute("ceil_mode", std::to_string(ceil_mode), "0 or 1");
  const auto cip = a.i("count_include_pad", 0);
  if (cip != 0 && cip != 1) bad_attribute("count_include_pad", std::to_string(cip), "0 or 1");
  const auto k = a.ints("kernel_shape", {});
  if (k.size() != 2)
    model_fail(
        fmt::format("attribute kernel_shape must give a 2-D window, got [{}]", fmt::join(k, ", ")));
  PoolParams p;
  p.op = op;
  p.kernel_y = to_int(k[0], "kernel height");
  p.kernel_x = to_int(k[1], "kernel width");
  const auto w = window(a, xs[2], xs[3], p.kernel_y, p.kernel_x, false);
  p.stride_y = w.stride_y;
  p.stride_x = w.stride_x;
  p.pad_top = w.pad_top;
  p.pad_left = w.pad_left;
  p.pad_bottom = w.pad_bottom;
  p.pad_right = w.pad_right;
  p.ceil_mode = ceil_mode == 1;
  auto d = draft(im, n, xs[1], 4, x.type);
  im.emit(n, std::move(d), [&](const std::string& name, LayerExtras e) {
    return im.builder.pool(name, x.ref, p, std::move(e));
  });
}

void op_max_pool(Importer& im, const NodeProto& n) {
  pool(im, n, OpKind::max_pool);
}
void op_avg_pool(Importer& im, const NodeProto& n) {
  pool(im, n, OpKind::avg_pool);
}

void op_global_avg_pool(Importer& im, const NodeProto& n) {
  const Act x = im.activation(n, 0);
  const auto& xs = feature_map(im, x, "2-D pooling");
  auto d = draft(im, n, xs[1], 4, x.type);
  im.emit(n, std::move(d), [&](const std::string& name, LayerExtras e) {
    return im.builder.global_avg_pool(name, x.ref, std::move(e));
  });
}

void op_global_max_pool(Importer& im, const NodeProto& n) {
  const Act x = im.activation(n, 0);
  const auto& xs = feature_map(im, x, "2-D pooling");
  PoolParams p;
  p.op = OpKind::max_pool;
  p.kernel_y = p.stride_y = to_int(xs[2], "height");
  p.kernel_x = p.stride_x = to_int(xs[3], "width");
  auto d = draft(im, n, xs[1], 4, x.type);
  im.emit(n, std::move(d), [&](const std::string& name, LayerExtras e) {
    return im.builder.pool(name, x.ref, p, std::move(e));
  });
}

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

// Element-wise ops reached with no layer before them to fold into.
void op_needs_layer(Importer& im, const NodeProto& n) {
  std::string act;
  for (int i = 0; i < n.input_size() && act.empty(); ++i)
    if (im.has_input(n, i) && !im.is_constant(n.input(i))) act = n.input(i);
  if ((n.op_type() == "Mul" || n.op_type() == "Div") && !im.find_constant(n, 0) &&
      !im.find_constant(n, 1))
    unsupported(fmt::format("an element-wise {} of two activations is not supported", n.op_type()));
  unsupported(fmt::format(
      "cannot be folded into a layer: {}",
      act.empty() ? std::string("it has no activation input") : im.no_layer_reason(act)));
}

// Views: no layer, a new name (and maybe shape or type) for the same data.
void op_identity(Importer& im, const NodeProto& n) {
  const Act x = im.activation(n, 0);
  if (n.op_type() == "Dropout" && n.output_size() > 1 && !n.output(1).empty())
    unsupported("the mask output of Dropout is not supported");
  im.alias(n.output(0), x, im.shape(x), x.type, x.quant);
}

void op_cast(Importer& im, const NodeProto& n) {
  const Act x = im.activation(n, 0);
  const auto to = Attrs(n).i("to", 0);
  im.alias(n.output(0), x, im.shape(x), require_type(static_cast<int>(to), "attribute to"),
           std::nullopt);
}

std::vector<std::int64_t> flatten_shape(const std::vector<std::int64_t>& s, std::int64_t axis) {
  const auto rank = static_cast<std::int64_t>(s.size());
  if (axis < 0) axis += rank;
  if (axis < 0 || axis > rank)
    model_fail(fmt::format("attribute axis is out of range for a rank-{} input", rank));
  const auto split = static_cast<std::size_t>(axis);
  return {product(s, 0, split), product(s, split)};
}

void op_flatten(Importer& im, const NodeProto& n) {
  const Act x = im.activation(n, 0);
  im.alias(n.output(0), x, flatten_shape(im.shape(x), Attrs(n).i("axis", 1)), x.type, x.quant);
}

// Target shape of Reshape: 0 copies the input dimension (unless allowzero), -1
// is inferred from the element count.
std::vector<std::int64_t> reshape_shape(const Importer& im, const NodeProto& n,
                                        const std::vector<std::int64_t>& from) {
  const Attrs a(n);
  std::vector<std::int64_t> spec;
  if (im.has_input(n, 1)) {
    const Tensor& t = im.constant(n, 1, "shape");
    for (double v : t.data)
      spec.push_back(static_cast<std::int64_t>(v));
  } else if (a.has("shape")) {
    spec = a.ints("shape", {});
  } else {
    model_fail("the shape input is missing");
  }
  const bool allowzero = a.i("allowzero", 0) != 0;
  std::vector<std::int64_t> out;
  std::optional<std::size_t> infer;
  std::int64_t known = 1;
  for (std::size_t i = 0; i < spec.size(); ++i) {
    auto v = spec[i];
    if (v == 0 && !allowzero) {
      if (i >= from.size())
        model_fail(fmt::format("shape {} copies dimension {} of a rank-{} input",
                               shape_string(spec), i, from.size()));
      v = from[i];
    }
    if (v == -1) {
      if (infer) model_fail(fmt::format("shape {} has more than one -1", shape_string(spec)));
      infer = i;
      out.push_back(1);
      continue;
    }
    if (v < 0) model_fail(fmt::format("shape {} has a negative dimension", shape_string(spec)));
    out.push_back(v);
    known *= v;
  }
  const auto total = product(from);
  if (infer) {
    if (known == 0 || total % known != 0)
      model_fail(fmt::format("cannot reshape {} ({} elements) to {}", shape_string(from), total,
                             shape_string(spec)));
    out[*infer] = total / known;
  }
  if (product(out) != total)
    model_fail(fmt::format("cannot reshape {} ({} elements) to {} ({} elements)",
                           shape_string(from), total, shape_string(out), product(out)));
  return out;
}

void op_reshape(Importer& im, const NodeProto& n) {
  const Act x = im.activation(n, 0);
  im.alias(n.output(0), x, reshape_shape(im, n, im.shape(x)), x.type, x.quant);
}

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
  QuantParams q;
  q.scale = scale.name;
  if (const Tensor* zp = im.find_constant(n, 2)) q.zero_point = zp->name;
  q.axis = Attrs(n).i("axis", 1);
  im.alias(n.output(0), x, im.shape(x), DataType{32, true, true}, q);
}

void op_constant_done(Importer&, const NodeProto&) {}

// ============================================================== epilogue folding

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
  EpilogueStep s;
  s.kind = EpilogueStep::Kind::floor;
  d.epilogue.steps.push_back(s);
  return true;
}

bool fold_relu(Importer&, const NodeProto&, LayerDraft& d) {
  EpilogueStep s;
  s.kind = EpilogueStep::Kind::relu;
  d.epilogue.steps.push_back(s);
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
  EpilogueStep s;
  s.kind = EpilogueStep::Kind::clip;
  s.lo = lo;
  s.hi = hi;
  d.epilogue.steps.push_back(s);
  note_clamp(d, false, lo, hi);
  return true;
}

bool fold_cast(Importer&, const NodeProto& n, LayerDraft& d) {
  const auto to = require_type(static_cast<int>(Attrs(n).i("to", 0)), "attribute to");
  if (d.absorb_cast && !to.is_float && to.bits >= 32) {
    d.accumulator = to.bits;  // the accumulator's own type: no step
  } else {
    d.epilogue.steps.push_back(cast_step(to));
  }
  d.type = to;
  return true;
}

// BatchNormalization: into float weights and bias when it directly follows
// the layer, else per-channel mul("<out>.scale") and add("<out>.shift").
bool fold_batch_norm(Importer& im, const NodeProto& n, LayerDraft& d) {
  const Attrs a(n);
  if (a.i("training_mode", 0) != 0) bad_attribute("training_mode", "1", "0 (inference)");
  const double eps = a.f("epsilon", 1e-5);
  const char* roles[] = {"scale", "B", "mean", "var"};
  std::vector<const Tensor*> p;
  for (int i = 1; i <= 4; ++i) {
    const Tensor& t = im.constant(n, i, roles[i - 1]);
    if (t.elems() != d.channels)
      model_fail(fmt::format("{} '{}' has {} values, the layer has {} channels", roles[i - 1],
                             t.name, t.elems(), d.channels));
    p.push_back(&t);
  }
  const auto c = static_cast<std::size_t>(d.channels);
  std::vector<double> scale(c), shift(c);
  for (std::size_t k = 0; k < c; ++k) {
    scale[k] = p[0]->data[k] / std::sqrt(p[3]->data[k] + eps);
    shift[k] = p[1]->data[k] - p[2]->data[k] * scale[k];
  }
  auto make = [&](std::string name, std::vector<double> values) {
    Tensor t;
    t.name = std::move(name);
    t.shape = {d.channels};
    t.type = DataType{32, true, true};
    t.constant = true;
    t.data = std::move(values);
    return t;
  };
  const bool only_bias =
      d.epilogue.steps.empty() || (d.epilogue.steps.size() == 1 && !d.bias.empty());
  if (d.weights && d.weights_foldable && only_bias) {
    // W'[k] = W[k] * scale[k];  b' = b * scale + shift.
    auto& w = *d.weights;
    const auto inner = static_cast<std::size_t>(w.elems()) / c;
    for (std::size_t i = 0; i < w.data.size(); ++i)
      w.data[i] *= scale[d.weights_ck ? i % c : i / inner];
    w.name = d.name + ".weight";
    std::vector<double> bias(c, 0.0);
    if (!d.bias.empty()) {
      auto it = d.new_constants.find(d.bias);
      const Tensor& old = it != d.new_constants.end() ? it->second : im.constant_value(d.bias);
      for (std::size_t k = 0; k < c; ++k)
        bias[k] = old.data[old.data.size() == 1 ? 0 : k];
      d.used_constants.erase(d.bias);
      d.new_constants.erase(d.bias);
    }
    for (std::size_t k = 0; k < c; ++k)
      bias[k] = bias[k] * scale[k] + shift[k];
    auto t = make(d.name + ".bias", std::move(bias));
    d.epilogue.steps.clear();
    push_bias(d, t);
    d.bias = t.name;
    d.new_constants[t.name] = std::move(t);
    return true;
  }
  auto s = make(n.output(0) + ".scale", std::move(scale));
  auto h = make(n.output(0) + ".shift", std::move(shift));
  d.epilogue.steps.push_back(operand_step(EpilogueStep::Kind::mul, s, d, Broadcast::per_channel));
  d.epilogue.steps.push_back(operand_step(EpilogueStep::Kind::add, h, d, Broadcast::per_channel));
  d.epilogue.requant = true;
  d.epilogue.bias = true;
  d.new_constants[s.name] = std::move(s);
  d.new_constants[h.name] = std::move(h);
  return true;
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

// ============================================================== constant evaluation

// Registers the node's single output as the constant `t` (renamed).
void define(Importer& im, const NodeProto& n, Tensor t, std::optional<QuantParams> q = {}) {
  t.name = n.output(0);
  t.constant = true;
  im.set_constant(std::move(t), std::move(q));
}

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
  t.type = require_type(static_cast<int>(Attrs(n).i("to", 0)), "attribute to");
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

// Index of the quantisation parameter for element i of `t` along `axis`.
std::size_t quant_index(const Tensor& t, const Tensor& param, std::int64_t axis, std::size_t i) {
  if (param.elems() == 1) return 0;
  const auto rank = static_cast<std::int64_t>(t.shape.size());
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank || param.elems() != t.shape[static_cast<std::size_t>(axis)])
    model_fail(
        fmt::format("quantisation parameter '{}' has {} values, which does not match axis "
                    "{} of '{}' (shape {})",
                    param.name, param.elems(), axis, t.name, shape_string(t.shape)));
  const auto inner = static_cast<std::size_t>(product(t.shape, static_cast<std::size_t>(axis) + 1));
  return (i / inner) % static_cast<std::size_t>(param.elems());
}

void eval_dequantize(Importer& im, const NodeProto& n) {
  const Tensor& q = im.constant(n, 0, "input");
  const Tensor& scale = im.constant(n, 1, "scale");
  const Tensor* zp = im.find_constant(n, 2);
  const auto axis = Attrs(n).i("axis", 1);
  Tensor t = q;
  t.type = DataType{32, true, true};
  for (std::size_t i = 0; i < t.data.size(); ++i) {
    const double z = zp ? zp->data[quant_index(q, *zp, axis, i)] : 0.0;
    t.data[i] = (q.data[i] - z) * scale.data[quant_index(q, scale, axis, i)];
  }
  QuantParams p;
  p.scale = scale.name;
  if (zp) p.zero_point = zp->name;
  p.axis = axis;
  p.integer = q.name;
  define(im, n, std::move(t), p);
}

void eval_quantize(Importer& im, const NodeProto& n) {
  const Tensor& x = im.constant(n, 0, "input");
  const Tensor& scale = im.constant(n, 1, "scale");
  const Tensor* zp = im.find_constant(n, 2);
  const auto axis = Attrs(n).i("axis", 1);
  Tensor t = x;
  t.type = quant_type(zp);
  const auto [lo, hi] = integer_range(t.type);
  for (std::size_t i = 0; i < t.data.size(); ++i) {
    const double z = zp ? zp->data[quant_index(x, *zp, axis, i)] : 0.0;
    const double v = std::nearbyint(x.data[i] / scale.data[quant_index(x, scale, axis, i)]) + z;
    t.data[i] = std::clamp(v, lo, hi);
  }
  define(im, n, std::move(t));
}

// ============================================================== the operator table

// One entry per ONNX operator (DESIGN.md, "Extending"): import on its own,
// fold into the layer before it, evaluate on constants.
const std::vector<OpEntry>& op_table() {
  static const std::vector<OpEntry> table = {
      {"Conv", op_conv, nullptr, nullptr},
      {"QLinearConv", op_qlinear_conv, nullptr, nullptr},
      {"Gemm", op_gemm, nullptr, nullptr},
      {"MatMul", op_matmul, nullptr, nullptr},
      {"QLinearMatMul", op_qlinear_matmul, nullptr, nullptr},
      {"MaxPool", op_max_pool, nullptr, nullptr},
      {"AveragePool", op_avg_pool, nullptr, nullptr},
      {"GlobalAveragePool", op_global_avg_pool, nullptr, nullptr},
      {"GlobalMaxPool", op_global_max_pool, nullptr, nullptr},
      {"Add", op_add, fold_add, nullptr},
      {"Mul", op_needs_layer, fold_mul, nullptr},
      {"Div", op_needs_layer, fold_div, nullptr},
      {"Floor", op_needs_layer, fold_floor, nullptr},
      {"Relu", op_needs_layer, fold_relu, nullptr},
      {"Clip", op_needs_layer, fold_clip, nullptr},
      {"BatchNormalization", op_needs_layer, fold_batch_norm, nullptr},
      {"Cast", op_cast, fold_cast, eval_cast},
      {"QuantizeLinear", op_quantize, fold_quantize, eval_quantize},
      {"DequantizeLinear", op_dequantize, nullptr, eval_dequantize},
      {"Constant", op_constant_done, nullptr, eval_constant},
      {"Identity", op_identity, nullptr, eval_identity},
      {"Dropout", op_identity, nullptr, nullptr},
      {"Flatten", op_flatten, nullptr, eval_flatten},
      {"Reshape", op_reshape, nullptr, eval_reshape},
  };
  return table;
}

const OpEntry* find_op(std::string_view op_type) {
  for (const auto& e : op_table())
    if (e.op_type == op_type) return &e;
  return nullptr;
}

std::string supported_ops() {
  std::vector<std::string> names;
  for (const auto& e : op_table())
    names.emplace_back(e.op_type);
  std::sort(names.begin(), names.end());
  return fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace

// ============================================================== entry points

Graph import_onnx_bytes(const std::string& bytes, const std::string& origin,
                        const OnnxImportOptions& options) {
  onnx::ModelProto model;
  if (bytes.empty())
    throw ModelError(fmt::format("{} is not a valid ONNX model: the file is empty", origin));
  if (!model.ParseFromString(bytes))
    throw ModelError(fmt::format(
        "{} is not a valid ONNX model: the protobuf data cannot be parsed (truncated or not an "
        "ONNX file)",
        origin));
  if (!model.has_graph() || model.ir_version() <= 0)
    throw ModelError(fmt::format("{} is not a valid ONNX model: {}", origin,
                                 model.has_graph() ? "no IR version" : "it has no graph"));
  OnnxImportOptions opts = options;
  if (opts.name.empty()) opts.name = model.graph().name().empty() ? origin : model.graph().name();
  Importer importer(model, origin, opts);
  try {
    return importer.run();
  } catch (const NodeFailure& f) {  // defensive: every node failure is normally located
    auto msg = fmt::format("{}: {}", origin, f.what());
    if (f.unsupported) throw UnsupportedError(msg);
    throw ModelError(msg);
  }
}

Graph import_onnx(const std::filesystem::path& path, const OnnxImportOptions& options) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw IoError(fmt::format("cannot open ONNX model '{}': no such file", path.string()));
  if (std::filesystem::is_directory(path, ec))
    throw IoError(fmt::format("cannot open ONNX model '{}': it is a directory", path.string()));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(fmt::format("cannot open ONNX model '{}'", path.string()));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw IoError(fmt::format("cannot read ONNX model '{}'", path.string()));
  OnnxImportOptions opts = options;
  if (opts.name.empty()) opts.name = path.stem().string();
  return import_onnx_bytes(buffer.str(), path.string(), opts);
}

}  // namespace tessel
