// The state one ONNX import shares between the graph walk, the operator
// handlers and the epilogue folding: the values a handler reads (activations
// with their ONNX type and quantisation, constants with their values), the
// LayerDraft a handler fills and the folding extends, and the Importer that owns
// the node order, the value tables and the GraphBuilder. The Importer's methods
// are defined in importer.cpp (values, names), graph_walk.cpp (node order, graph
// inputs, constant evaluation, the node loop) and folding.cpp (epilogue folding).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/builder.hpp"
#include "core/onnx/failure.hpp"
#include "core/onnx_import.hpp"

namespace tessel::onnx_import {

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

struct OpEntry;  // op_table.hpp

// Builds the layer of a draft: receives the layer name and extras and returns
// the output tensor.
using BuildFn = std::function<std::string(const std::string&, LayerExtras)>;

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
  const Tensor* find_constant(const NodeProto& n, int i) const;
  // Input i as a constant; UnsupportedError when it is an activation.
  const Tensor& constant(const NodeProto& n, int i, std::string_view role) const;
  const Tensor& constant_value(const std::string& name) const { return constants_.at(name); }
  const QuantParams* constant_quant(const std::string& value) const;
  // Input i as an activation; UnsupportedError when it is a constant.
  const Act& activation(const NodeProto& n, int i) const;
  const std::vector<std::int64_t>& shape(const Act& a) const { return builder.shape(a.ref); }
  void set_constant(Tensor t, std::optional<QuantParams> q = {});
  // Adds an importer constant to the graph (once) and returns its tensor name.
  const std::string& use_constant(const std::string& value);

  // ---- names and folding
  std::string label(const NodeProto& n) const;
  std::string layer_name(const NodeProto& n);
  // Why the node's activation input `value` has no layer to fold into.
  std::string no_layer_reason(const std::string& value) const;
  // Folds the nodes after `n` into `d`, then builds the layer with `build`
  // (which receives the layer name and extras and returns the output tensor).
  void emit(const NodeProto& n, LayerDraft d, const BuildFn& build);
  // A view `out` of `a` with another shape and / or ONNX type.
  void alias(const std::string& out, const Act& a, std::vector<std::int64_t> shape, DataType type,
             std::optional<QuantParams> quant);
  // Records a note for the user (Graph::notes), prefixed with the node's name.
  void note(const NodeProto& n, const std::string& text);

 private:
  // ---- the graph walk (graph_walk.cpp)
  void read_graph();
  std::map<std::string, std::size_t> producers(const std::set<std::string>& available) const;
  void order_nodes();
  void declare_inputs();
  struct FedType {
    DataType type;
    bool quantised = false;  // read by a QuantizeLinear (not a Cast)
  };
  std::optional<FedType> fed_type(const std::string& input, const DataType& declared) const;
  void evaluate_constants();
  void import_nodes();
  std::vector<std::string> output_tensors() const;
  // The table entry of a node of the standard domain; null for any other node.
  const OpEntry* entry(const NodeProto& n) const;
  void run_guarded(const NodeProto& n, const std::function<void()>& body);
  [[noreturn]] void rethrow(const NodeProto& n, bool unsupported, const std::string& what) const;

  // ---- epilogue folding (folding.cpp)
  bool fold_node(const OpEntry& e, const NodeProto& n, LayerDraft& d);
  std::vector<std::size_t> fold_chain(LayerDraft& d);
  // The failure of a node that can only be folded into the layer before it.
  [[noreturn]] void needs_layer(const NodeProto& n) const;

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
  std::vector<std::string> notes_;
};

// A fresh draft for node n writing `channels` channels in an output of `rank`.
LayerDraft draft(Importer& im, const NodeProto& n, std::int64_t channels, std::size_t rank,
                 const DataType& type);

// Registers the node's single output as the constant `t` (renamed).
void define(Importer& im, const NodeProto& n, Tensor t, std::optional<QuantParams> q = {});

}  // namespace tessel::onnx_import
