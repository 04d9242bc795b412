// Requantisation-chain folding: after a layer (conv, dense, pool, add), the
// chain of single-reader nodes that follows it (Mul, Add, Div, Floor, Clip,
// Relu, Cast, BatchNormalization, QuantizeLinear, ...) is folded into the
// layer's epilogue by each operator's fold handler; then the layer is built and
// writes the last value of the chain. The folding rules are listed in
// onnx_import.hpp.
#include "core/onnx/op_table.hpp"
#include "core/onnx/tensors.hpp"

namespace tessel::onnx_import {

std::string Importer::no_layer_reason(const std::string& value) const {
  if (graph_inputs_.count(value)) return fmt::format("'{}' is a graph input", value);
  auto it = consumers_.find(value);
  if (it != consumers_.end() && it->second.size() > 1)
    return fmt::format("'{}' is read by several nodes", value);
  if (graph_outputs_.count(value)) return fmt::format("'{}' is also a graph output", value);
  return fmt::format("'{}' is not the output of a layer (conv, dense, pool or add)", value);
}

// Element-wise ops reached with no layer before them to fold into.
[[noreturn]] void Importer::needs_layer(const NodeProto& n) const {
  std::string act;
  for (int i = 0; i < n.input_size() && act.empty(); ++i)
    if (has_input(n, i) && !is_constant(n.input(i))) act = n.input(i);
  if ((n.op_type() == "Mul" || n.op_type() == "Div") && !find_constant(n, 0) &&
      !find_constant(n, 1))
    unsupported(fmt::format("an element-wise {} of two activations is not supported", n.op_type()));
  unsupported(
      fmt::format("cannot be folded into a layer: {}",
                  act.empty() ? std::string("it has no activation input") : no_layer_reason(act)));
}

bool Importer::fold_node(const OpEntry& e, const NodeProto& n, LayerDraft& d) {
  bool folded = false;
  locate_failures(n, [&] {
    LayerDraft trial = d;
    if (!e.fold(*this, n, trial)) return;
    d = std::move(trial);
    folded = true;
  });
  return folded;
}

// Folds the single-reader chain after d.output into d; returns the folded nodes.
std::vector<std::size_t> Importer::fold_chain(LayerDraft& d) {
  const LayerDraft start = d;
  std::vector<std::size_t> folded;
  std::vector<std::pair<DataType, DataType>> types;  // before / after each folded node
  auto step = [&](std::size_t idx) {
    const auto& n = *nodes_[idx];
    const DataType before = d.type;
    if (!fold_node(*entry(n), n, d)) return false;
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
    const OpEntry* e = entry(n);
    if (consumed_[idx] || !e || !e->fold) break;
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

void Importer::emit(const NodeProto& n, LayerDraft d, const BuildFn& build) {
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

}  // namespace tessel::onnx_import
