// The operator table of the ONNX importer: one OpEntry per ONNX op_type, saying
// how a node of that type is imported, folded into the layer before it, or
// evaluated on constants. Each operator family's handler file (ops_*.cpp)
// registers its entries in a register_*_ops function; op_table() calls every one
// of them, once, and is the only list of families.
//
// Adding an operator: write its handlers in the file of its family and add its
// OpEntry to that file's register function; a new family is a new ops_*.cpp
// with its register function, declared below and called from op_table.cpp.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/onnx/importer.hpp"

namespace tessel::onnx_import {

using ImportFn = void (*)(Importer&, const NodeProto&);
using FoldFn = bool (*)(Importer&, const NodeProto&, LayerDraft&);

// One operator: how a node of this type is imported on its own (a layer, a
// view, nothing), how it folds into the epilogue of the layer before it, and
// how it is evaluated when all its inputs are constants. Absent = not possible;
// an operator with a fold and no import can only follow a layer (its node is an
// UnsupportedError saying why there is no layer to fold into).
struct OpEntry {
  std::string_view op_type;
  ImportFn import = nullptr;
  FoldFn fold = nullptr;
  ImportFn evaluate = nullptr;
};

// The entries by op_type.
class OpTable {
 public:
  // Contract: one entry per op_type; a second one is a std::logic_error.
  void add(const OpEntry& entry);
  const OpEntry* find(std::string_view op_type) const;
  // The op types, sorted, separated by ", ".
  std::string names() const;

 private:
  std::map<std::string_view, OpEntry> entries_;
};

// The table of every supported operator, built on first use.
const OpTable& op_table();

// The registration of each operator family, one per handler file.
void register_linear_ops(OpTable& table);       // ops_linear.cpp: Conv, Gemm, MatMul, QLinear*
void register_pool_ops(OpTable& table);         // ops_pool.cpp: MaxPool, AveragePool, Global*
void register_elementwise_ops(OpTable& table);  // ops_elementwise.cpp: Add, Mul, Div, Relu, ...
void register_batch_norm_ops(OpTable& table);   // ops_batch_norm.cpp: BatchNormalization
void register_view_ops(OpTable& table);         // ops_views.cpp: Reshape, Flatten, Cast, ...
void register_quant_ops(OpTable& table);        // ops_quant.cpp: QuantizeLinear, DequantizeLinear

}  // namespace tessel::onnx_import
