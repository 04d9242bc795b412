// The Importer's value tables and names: constants and activations as the
// operator handlers read them, layer names, views (alias), and the two helpers
// every handler uses to start a layer (draft) or define a constant (define).
#include "core/onnx/importer.hpp"

namespace tessel::onnx_import {

Importer::Importer(const onnx::ModelProto& model, std::string origin,
                   const OnnxImportOptions& options)
    : builder(options.name), g_(model.graph()), origin_(std::move(origin)), options_(options) {}

// ============================================================== values

const Tensor* Importer::find_constant(const NodeProto& n, int i) const {
  if (!has_input(n, i)) return nullptr;
  auto it = constants_.find(n.input(i));
  return it == constants_.end() ? nullptr : &it->second;
}

const Tensor& Importer::constant(const NodeProto& n, int i, std::string_view role) const {
  if (!has_input(n, i)) model_fail(fmt::format("the {} input is missing", role));
  const Tensor* t = find_constant(n, i);
  if (!t)
    unsupported(fmt::format("the {} input '{}' must be a constant (initializer or Constant)", role,
                            n.input(i)));
  return *t;
}

const QuantParams* Importer::constant_quant(const std::string& value) const {
  auto it = const_quant_.find(value);
  return it == const_quant_.end() ? nullptr : &it->second;
}

const Act& Importer::activation(const NodeProto& n, int i) const {
  if (!has_input(n, i)) model_fail(fmt::format("input {} is missing", i));
  auto it = acts_.find(n.input(i));
  if (it == acts_.end()) {
    if (is_constant(n.input(i)))
      unsupported(fmt::format("input '{}' is a constant; an activation is expected", n.input(i)));
    model_fail(fmt::format("input '{}' is not defined", n.input(i)));
  }
  return it->second;
}

void Importer::set_constant(Tensor t, std::optional<QuantParams> q) {
  if (q) const_quant_[t.name] = *q;
  auto name = t.name;
  constants_[name] = std::move(t);
}

const std::string& Importer::use_constant(const std::string& value) {
  const auto& t = constants_.at(value);
  if (!builder.graph().has_tensor(t.name)) builder.constant(t);
  return t.name;
}

void Importer::alias(const std::string& out, const Act& a, std::vector<std::int64_t> shape,
                     DataType type, std::optional<QuantParams> quant) {
  builder.reshape(a.ref, out, std::move(shape));
  acts_[out] = Act{out, type, std::move(quant)};
}

void define(Importer& im, const NodeProto& n, Tensor t, std::optional<QuantParams> q) {
  t.name = n.output(0);
  t.constant = true;
  im.set_constant(std::move(t), std::move(q));
}

void Importer::note(const NodeProto& n, const std::string& text) {
  notes_.push_back(fmt::format("node '{}' (op {}): {}", label(n), n.op_type(), text));
}

// ============================================================== names

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

LayerDraft draft(Importer& im, const NodeProto& n, std::int64_t channels, std::size_t rank,
                 const DataType& type) {
  LayerDraft d;
  d.name = im.layer_name(n);
  d.channels = channels;
  d.rank = rank;
  d.type = type;
  return d;
}

}  // namespace tessel::onnx_import
