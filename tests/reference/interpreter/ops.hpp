// The reference interpreter's operators (reference.hpp): one function per
// ONNX op_type, over values held as doubles.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <onnx/onnx_pb.h>

#include "reference/interpreter/reference.hpp"

namespace tessel::reference {

// A node with its attributes, and where it is for messages.
class NodeView {
 public:
  NodeView(const onnx::NodeProto& node, std::int64_t opset) : node_(node), opset_(opset) {}
  const onnx::NodeProto& proto() const { return node_; }
  std::int64_t opset() const { return opset_; }
  const std::string& op() const { return node_.op_type(); }
  std::string where() const;  // "node 'conv1' (Conv)"

  const onnx::AttributeProto* attr(std::string_view name) const;
  std::int64_t attr_int(std::string_view name, std::int64_t fallback) const;
  double attr_float(std::string_view name, double fallback) const;
  std::string attr_string(std::string_view name, const std::string& fallback) const;
  std::vector<std::int64_t> attr_ints(std::string_view name,
                                      std::vector<std::int64_t> fallback) const;
  [[noreturn]] void fail(const std::string& what) const;

 private:
  const onnx::NodeProto& node_;
  std::int64_t opset_;
};

// The inputs of a node (nullptr for an omitted optional input).
using Inputs = std::vector<const Value*>;
using OpFn = std::vector<Value> (*)(const NodeView&, const Inputs&);

// The operator for op_type, or nullptr.
OpFn find_op(std::string_view op_type);

// The value of a TensorProto (initialiser, Constant attribute, .pb file).
Value tensor_value(const onnx::TensorProto& t);

// Shared helpers.
const Value& required(const NodeView& n, const Inputs& in, std::size_t i);
ElemType int32_type();
// The integer `x` in the range of `t`, wrapped modulo 2^bits.
double wrap_integer(double x, const ElemType& t);
// Strides of a row-major shape.
std::vector<std::int64_t> strides_of(const std::vector<std::int64_t>& shape);
std::int64_t product(const std::vector<std::int64_t>& shape);

void register_linear_ops(std::vector<std::pair<std::string_view, OpFn>>& ops);
void register_elementwise_ops(std::vector<std::pair<std::string_view, OpFn>>& ops);
void register_shape_pool_ops(std::vector<std::pair<std::string_view, OpFn>>& ops);

}  // namespace tessel::reference
