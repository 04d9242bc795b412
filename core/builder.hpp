#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/graph.hpp"

namespace tessel {

// Geometry of a convolution (conv, grouped, depthwise, pointwise).
struct ConvParams {
  std::int64_t out_channels = 1;
  int kernel_y = 1, kernel_x = 1;
  int stride_y = 1, stride_x = 1;
  int dilation_y = 1, dilation_x = 1;
  int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  std::int64_t groups = 1;
};

// Geometry of a pooling window (max or average). With ceil_mode the output
// extent is rounded up (a last, partial window is kept when it starts inside
// the input or the begin padding); the rows / columns it reads beyond the
// input are recorded as extra bottom / right padding of the layer.
struct PoolParams {
  OpKind op = OpKind::max_pool;
  int kernel_y = 1, kernel_x = 1;
  int stride_y = 1, stride_x = 1;
  int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  bool ceil_mode = false;
};

// What a layer carries besides its geometry.
struct LayerExtras {
  Precision bits;
  Epilogue epilogue;
  std::string output;             // name of the output tensor; "<layer>.out" when empty
  std::optional<Tensor> weights;  // the weight tensor (with data) when known; a shape-only
                                  // tensor "<layer>.weight" is made otherwise
  // Element type of the output tensor when it is not the integer type given by
  // bits.output / bits.output_signed (a float output, for example).
  std::optional<DataType> output_type;
};

// Builds a Graph layer by layer from tensor shapes, deriving every loop bound,
// the op kind and the output shape. Shared by the model zoo and the ONNX
// importer so both produce layers the same way. Feature maps are NCHW,
// vectors [N, features]. Each call returns the name of the output tensor.
class GraphBuilder {
 public:
  explicit GraphBuilder(std::string name) : graph_(std::move(name)) {}

  std::string input(const std::string& name, std::vector<std::int64_t> shape,
                    DataType type = {8, false, false});
  // A conv is classified as depthwise when groups == in channels == out
  // channels, pointwise when it is 1x1 with one group, conv otherwise.
  std::string conv(const std::string& name, const std::string& in, const ConvParams& p,
                   LayerExtras extras = {});
  // Fully connected: [N, C] -> [N, out]; a 4-D input must have H = W = 1.
  std::string dense(const std::string& name, const std::string& in, std::int64_t out_features,
                    LayerExtras extras = {}, bool weights_ck = false);
  std::string pool(const std::string& name, const std::string& in, const PoolParams& p,
                   LayerExtras extras = {});
  // Global average pooling: the window is the whole feature map.
  std::string global_avg_pool(const std::string& name, const std::string& in,
                              LayerExtras extras = {});
  std::string add(const std::string& name, const std::string& a, const std::string& b,
                  LayerExtras extras = {});
  // A new name for the same data with another shape (Flatten, Reshape): no layer
  // and no graph tensor; layers that read `out` read `in` with the new shape.
  // The element counts must agree.
  std::string reshape(const std::string& in, const std::string& out,
                      std::vector<std::int64_t> shape);
  // Adds a constant tensor (requantisation parameters, biases).
  void constant(Tensor t);

  const Graph& graph() const { return graph_; }
  // Shape of a tensor or of a reshaped view of one.
  const std::vector<std::int64_t>& shape(const std::string& name) const;
  // Finalizes and returns the graph with the given outputs.
  Graph finish(std::vector<std::string> outputs);

 private:
  std::string add_output(const std::string& layer_name, const LayerExtras& extras,
                         std::vector<std::int64_t> shape, DataType type);
  struct View {
    std::string source;
    std::vector<std::int64_t> shape;
  };
  // The graph tensor behind a name that may be a reshaped view.
  const std::string& resolve(const std::string& name) const;
  std::vector<std::string> inputs_;
  std::map<std::string, View> views_;
  Graph graph_;
};

// Convenience: a fresh DataType of `bits` unsigned integer bits.
inline DataType uint_type(int bits) {
  return {bits, false, false};
}

}  // namespace tessel
