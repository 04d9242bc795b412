#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tessel {

// Element type of a tensor, as far as tessel cares: width, signedness, float or not.
struct DataType {
  int bits = 8;
  bool is_signed = false;
  bool is_float = false;
  bool operator==(const DataType&) const = default;
};
// "uint8", "int8", "int32", "float32", ...
std::string data_type_name(const DataType& t);

// The most elements a tensor may have (2^32): no target holds more, and
// element and byte counts stay far from overflowing.
inline constexpr std::int64_t kMaxTensorElems = std::int64_t{1} << 32;

// A named tensor of a graph: an activation (produced by a layer or fed as a
// graph input) or a constant (weights, biases, requantisation parameters).
// Constants keep their values so that code emission can write them out.
struct Tensor {
  std::string name;
  std::vector<std::int64_t> shape;  // NCHW for feature maps, [N, features] for vectors
  DataType type;
  bool constant = false;
  std::vector<double> data;  // values of a constant, row-major; empty for activations

  std::int64_t elems() const;
  std::int64_t bytes() const;
  bool operator==(const Tensor&) const = default;
};

// "1x16x32x32"
std::string shape_string(const std::vector<std::int64_t>& shape);

}  // namespace tessel
