// ONNX element types and tensors as the importer sees them: the tessel DataType
// of an ONNX element type, integer ranges and Cast conversions, the decoding of
// a TensorProto (raw_data or the typed fields) into a constant Tensor, and the
// element-count product of a shape.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/onnx/failure.hpp"
#include "core/tensor.hpp"

namespace tessel::onnx_import {

// The tessel type of an ONNX element type. Floats are reported signed.
std::optional<DataType> element_type(int onnx_type);

std::string element_type_name(int onnx_type);

// The tessel type of an ONNX element type; UnsupportedError naming `what` otherwise.
DataType require_type(int onnx_type, const std::string& what);

// Smallest and largest value of an integer type.
std::pair<double, double> integer_range(const DataType& t);

// A value converted to an element type as ONNX Cast does for in-range values.
double convert_value(double v, const DataType& t);

// Whether a Cast from `from` to `to` keeps every value (u8 -> i32, i8 -> float).
bool widening(const DataType& from, const DataType& to);

// Decodes an ONNX tensor (raw_data or the typed fields) into a constant Tensor
// named `name`, keeping every value.
Tensor decode_tensor(const TensorProto& t, const std::string& name);

// Fails (ModelError naming `what`) for a negative dimension or a shape of more
// than kMaxTensorElems elements (Tensor::elems would overflow, and no target
// holds such a tensor).
void check_shape(const std::vector<std::int64_t>& shape, const std::string& what);

// Product of v[from, to) (to clamped to the size).
std::int64_t product(const std::vector<std::int64_t>& v, std::size_t from = 0,
                     std::size_t to = std::numeric_limits<std::size_t>::max());

}  // namespace tessel::onnx_import
