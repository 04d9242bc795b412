#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

#include "core/layer.hpp"
#include "core/tensor.hpp"

namespace tessel {

// A network: layers connected by tensors, as a Boost.Graph DAG whose vertices
// are layers and whose edges run from the producer of a tensor to each of its
// consumers. Built with add_tensor / add_layer, then finalize(), after which
// layers() is in a topological order that keeps the insertion order wherever
// the dependencies allow it. Immutable in use after finalize().
class Graph {
 public:
  explicit Graph(std::string name = {});

  // Contract: tensor names are unique; throws ModelError on a duplicate.
  void add_tensor(Tensor tensor);
  // Contract: every tensor the layer names must already exist; the layer is
  // validated (Layer::validate). Throws ModelError otherwise.
  void add_layer(Layer layer);
  void set_inputs(std::vector<std::string> names);
  void set_outputs(std::vector<std::string> names);
  // Connects producers to consumers and orders the layers. Throws ModelError
  // on a tensor with two producers, a read of a tensor nobody provides, or a cycle.
  void finalize();

  const std::string& name() const { return name_; }
  // Where the network came from: a built-in model's name or the absolute path
  // of an ONNX file ("" when built by hand); stored with a run so that a
  // schedule can be replayed without naming the model again.
  const std::string& source() const { return source_; }
  void set_source(std::string source) { source_ = std::move(source); }
  // What the importer assumed or changed on the way (a graph input declared
  // with the type of the Cast that reads it, float weights narrowed to int8),
  // one sentence each, for the user to see.
  const std::vector<std::string>& notes() const { return notes_; }
  void add_note(std::string note) { notes_.push_back(std::move(note)); }
  const std::vector<Layer>& layers() const { return layers_; }
  const Layer& layer(std::size_t i) const { return layers_.at(i); }
  std::optional<std::size_t> find_layer(const std::string& name) const;
  bool has_tensor(const std::string& name) const { return tensors_.count(name) != 0; }
  // Throws ModelError naming the tensor when it does not exist.
  const Tensor& tensor(const std::string& name) const;
  const std::map<std::string, Tensor>& tensors() const { return tensors_; }
  const std::vector<std::string>& inputs() const { return inputs_; }
  const std::vector<std::string>& outputs() const { return outputs_; }

  // Layers (by index in layers()) whose outputs this layer reads.
  std::vector<std::size_t> producers(std::size_t layer) const;
  // Layers that read this layer's output.
  std::vector<std::size_t> consumers(std::size_t layer) const;

  std::int64_t total_macs() const;
  std::int64_t total_weight_bytes() const;
  // Largest sum of live activation bytes at any step when the layers run one
  // after the other in layers() order: graph inputs, the outputs of earlier
  // layers still to be read, the layer's own inputs and output.
  std::int64_t peak_activation_bytes() const;

 private:
  using BGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS>;
  std::string name_, source_;
  std::vector<Layer> layers_;
  std::map<std::string, Tensor> tensors_;
  std::vector<std::string> inputs_, outputs_, notes_;
  BGraph dag_;
};

}  // namespace tessel
