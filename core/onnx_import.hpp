#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/graph.hpp"

namespace tessel {

// Options of the ONNX importer.
struct OnnxImportOptions {
  // Name of the resulting graph; the file's stem when empty (the graph's own
  // name, then the origin, for import_onnx_bytes).
  std::string name;
  // Value given to a symbolic or unknown first (batch) dimension of a graph
  // input. Any other unknown dimension is an error: tessel needs static shapes.
  std::int64_t batch = 1;
};

// Reads an ONNX model file into a Graph: Conv (grouped, depthwise, strided,
// dilated, padded, auto_pad), Gemm, MatMul, MaxPool, AveragePool,
// GlobalAveragePool, Add, Relu, Clip, BatchNormalization (folded), Flatten,
// Reshape, QuantizeLinear / DequantizeLinear / QLinearConv / QLinearMatMul, and
// integer requantisation chains (Mul, Add, Div, Floor, Clip, Cast, Constant)
// folded into the epilogue of the layer they follow. Shapes are propagated by
// the importer itself. Weights and constants keep their values.
//
// Folding rules (what becomes a layer and what does not):
//  - a node right after a layer (conv, dense, pool, add) is folded into that
//    layer's Epilogue::steps, in order, while the layer's current output is read
//    by that node alone (not by a second node, not a graph output). The layer
//    then writes the last tensor of the chain, with that tensor's element type;
//  - a Cast that is the first node after a layer and goes to an integer type of
//    at least 32 bits names the accumulator type: it sets Precision::accumulator
//    and adds no step. Trailing widening Casts (u8 -> i32, ...) are left out of
//    the chain: they belong to the consumer (the residual Add) as dtype aliases;
//  - summary flags: bias = an Add of a constant (or a bias input), requant = a
//    Mul or Div (or a quantisation scale), activation = the last clamp (Relu,
//    Clip, saturation of QuantizeLinear / QLinear*), its lower bound raised to 0
//    when a Relu came before;
//  - BatchNormalization right after a conv / dense with float weights is folded
//    into the weights and the bias (tensors "<layer>.weight", "<layer>.bias");
//    otherwise (integer weights, or after other steps) it becomes the steps
//    mul("<bn output>.scale") and add("<bn output>.shift"), one value per channel;
//  - QuantizeLinear after a layer becomes div(scale), add(0.5), floor,
//    add(zero point) when non-zero, clip(type range), cast; rounding is therefore
//    half-up where ONNX rounds half to even. DequantizeLinear of an activation is
//    an alias (the value stays quantised); of a constant it yields the integer
//    tensor for weights and biases (scale applied as a "<layer>.scale" mul step)
//    and the dequantised values elsewhere. A graph input read only by a
//    QuantizeLinear is declared with the quantised type;
//  - QLinearConv / QLinearMatMul take their precisions from the zero-point types
//    and get the steps add(bias), mul("<layer>.scale" = x_scale * w_scale /
//    y_scale), then the QuantizeLinear rounding and saturation;
//  - pools: ceil_mode = 1 is supported (the extra rows / columns the last
//    window reads become end padding); count_include_pad only changes the
//    divisor, not the loop nest, and is accepted either way;
//  - Cast, Identity, Dropout, Flatten and Reshape of an activation are views (no
//    layer); any other element-wise node with no layer to fold into is an
//    UnsupportedError;
//  - constants referenced by layers or steps, and every Constant node's tensor,
//    are graph tensors with their values.
//
// Input rules (what is checked, converted or said, in Graph::notes):
//  - names (graph, nodes, values, initializers, op types) that are not valid
//    UTF-8 are rewritten with every invalid byte as the four characters \xHH;
//  - a (dilated) kernel larger than its padded input, and a pool pad not
//    smaller than the kernel, are ModelErrors naming node and attribute;
//  - a float graph input that reaches its first layer only through views and a
//    Cast to an integer type is declared with that type (fed already cast; a
//    note says so), as one read only by a QuantizeLinear is declared quantised;
//  - float weights of a conv / dense layer on an integer input that hold only
//    whole numbers of the int8 (or uint8) range are read as int8 (uint8), with
//    a note; float biases stay float;
//  - FLOAT16 and BFLOAT16 tensors are read (16-bit float types); a tensor of
//    another unsupported type is an UnsupportedError listing the supported ones.
//
// Throws IoError (missing / unreadable file), ModelError (not ONNX, truncated,
// inconsistent shapes) or UnsupportedError (operator or attribute, naming the
// node and op type). Every message names the file.
Graph import_onnx(const std::filesystem::path& path, const OnnxImportOptions& options = {});

// The same from an in-memory serialized ModelProto; `origin` names it in errors.
Graph import_onnx_bytes(const std::string& bytes, const std::string& origin,
                        const OnnxImportOptions& options = {});

}  // namespace tessel
