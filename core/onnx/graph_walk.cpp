// The graph walk of an ONNX import: reading the GraphProto (initializers, graph
// inputs and outputs), ordering the nodes topologically, declaring the graph
// inputs with their static shapes, evaluating the nodes whose inputs are all
// constants, then importing every remaining node through the operator table.
// Shapes past the graph inputs are propagated by the handlers and GraphBuilder
// (shapes.hpp, builder.hpp); every failure is reported with the file, the node
// and its op type.
#include <functional>
#include <queue>

#include "core/onnx/attrs.hpp"
#include "core/onnx/op_table.hpp"
#include "core/onnx/tensors.hpp"

namespace tessel::onnx_import {
namespace {

// Whether the node's operator is of the standard ONNX domain.
bool standard_domain(const NodeProto& n) {
  return n.domain().empty() || n.domain() == "ai.onnx";
}

}  // namespace

Graph Importer::run() {
  if (g_.node_size() == 0) throw ModelError(fmt::format("{}: the graph has no nodes", origin_));
  read_graph();
  order_nodes();
  declare_inputs();
  evaluate_constants();
  import_nodes();

  // Constant nodes are graph tensors even when nothing names them.
  for (const auto* n : nodes_)
    if (n->op_type() == "Constant" && n->output_size() && is_constant(n->output(0)))
      use_constant(n->output(0));

  auto outputs = output_tensors();
  try {
    Graph g = builder.finish(std::move(outputs));
    for (auto& n : notes_)
      g.add_note(std::move(n));
    return g;
  } catch (const Error& e) {
    throw ModelError(fmt::format("{}: {}", origin_, e.what()));
  }
}

// Decodes the initializers and records the graph inputs and outputs.
void Importer::read_graph() {
  for (const auto& t : g_.initializer()) {
    try {
      set_constant(decode_tensor(t, t.name()));
    } catch (const NodeFailure& f) {
      throw_error(f.unsupported,
                  fmt::format("{}: initializer '{}': {}", origin_, t.name(), f.what()));
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
}

const OpEntry* Importer::entry(const NodeProto& n) const {
  return standard_domain(n) ? op_table().find(n.op_type()) : nullptr;
}

[[noreturn]] void Importer::rethrow(const NodeProto& n, bool is_unsupported,
                                    const std::string& what) const {
  throw_error(is_unsupported,
              fmt::format("{}: node '{}' (op {}): {}", origin_, label(n), n.op_type(), what));
}

// Runs `body` for node n, turning every failure into a typed error naming the
// file, the node and its op type.
void Importer::run_guarded(const NodeProto& n, const std::function<void()>& body) {
  try {
    locate_failures(n, body);
  } catch (const NodeFailure& f) {
    rethrow(*f.node, f.unsupported, f.what());
  }
}

// The node producing each value; ModelError on a node without output or a
// value defined twice (by two nodes, or by a node and an initializer or input).
std::map<std::string, std::size_t> Importer::producers(
    const std::set<std::string>& available) const {
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
  return producer;
}

// Orders the nodes topologically (file order where possible) and records who
// reads each value.
void Importer::order_nodes() {
  std::set<std::string> available(graph_inputs_);
  for (const auto& t : g_.initializer())
    available.insert(t.name());
  for (const auto& in : g_.input())
    available.insert(in.name());
  const auto producer = producers(available);
  const auto count = static_cast<std::size_t>(g_.node_size());
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
    try {
      check_shape(shape, fmt::format("graph input '{}'", in.name()));
    } catch (const NodeFailure& f) {
      throw ModelError(fmt::format("{}: {}", origin_, f.what()));
    }
    DataType declared = *type;
    if (const auto fed = fed_type(in.name(), *type)) {
      if (fed->quantised)
        quantised_inputs_.insert(in.name());
      else
        notes_.push_back(fmt::format(
            "graph input '{}' ({}-bit float) is declared {}{}: it reaches its first layer "
            "through a Cast to that type, so it is fed already cast",
            in.name(), type->bits, fed->type.is_signed ? "int" : "uint", fed->type.bits));
      declared = fed->type;
    }
    builder.input(in.name(), shape, declared);
    acts_[in.name()] = Act{in.name(), *type, std::nullopt};
  }
}

// The type a float graph input is fed with when it is converted before any
// layer: read only by a QuantizeLinear (the quantised type; the input is then a
// quantised input), or only through views (Flatten, Reshape, Identity) by a
// Cast to an integer type (that type). Nothing otherwise, and for inputs that
// are not float.
std::optional<Importer::FedType> Importer::fed_type(const std::string& input,
                                                    const DataType& declared) const {
  if (!declared.is_float) return std::nullopt;
  std::string value = input;
  for (;;) {
    auto it = consumers_.find(value);
    if (it == consumers_.end() || it->second.size() != 1 || graph_outputs_.count(value))
      return std::nullopt;
    const auto& q = *nodes_[it->second.front()];
    if (q.input_size() == 0 || q.input(0) != value || q.output_size() == 0) return std::nullopt;
    const auto& op = q.op_type();
    if (op == "QuantizeLinear" && value == input) {
      const Tensor* zp = find_constant(q, 2);
      return FedType{zp ? zp->type : DataType{8, false, false}, true};
    }
    if (op == "Cast") {
      const auto to = element_type(static_cast<int>(Attrs(q).i("to", 0)));
      if (to && !to->is_float) return FedType{*to, false};
      return std::nullopt;
    }
    if (op != "Flatten" && op != "Reshape" && op != "Identity") return std::nullopt;
    value = q.output(0);
  }
}

// Evaluates, in order, every node whose inputs are all constants and whose
// operator can be evaluated (Constant, Cast, DequantizeLinear of weights, ...).
void Importer::evaluate_constants() {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    const auto& n = *nodes_[i];
    const OpEntry* e = entry(n);
    if (!e || !e->evaluate) continue;
    bool all_constant = true;
    for (const auto& in : n.input())
      all_constant = all_constant && (in.empty() || is_constant(in));
    if (!all_constant) continue;
    run_guarded(n, [&] { e->evaluate(*this, n); });
    consumed_[i] = true;
  }
}

// Imports every node not yet consumed (evaluated or folded) with its handler.
void Importer::import_nodes() {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (consumed_[i]) continue;
    const auto& n = *nodes_[i];
    run_guarded(n, [&] {
      const OpEntry* e = entry(n);
      if (e && !e->import && e->fold) needs_layer(n);
      if (!e || !e->import) {
        unsupported(
            fmt::format("unsupported operator{} (supported: {})",
                        standard_domain(n) ? "" : fmt::format(" of domain '{}'", n.domain()),
                        op_table().names()));
      }
      e->import(*this, n);
    });
    consumed_[i] = true;
  }
}

// The graph tensors behind the graph outputs.
std::vector<std::string> Importer::output_tensors() const {
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
  return outputs;
}

}  // namespace tessel::onnx_import
