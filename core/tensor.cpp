#include "core/tensor.hpp"

#include <fmt/format.h>

#include "core/layer.hpp"

namespace tessel {

std::string data_type_name(const DataType& t) {
  if (t.is_float) return fmt::format("float{}", t.bits);
  return fmt::format("{}int{}", t.is_signed ? "" : "u", t.bits);
}

std::int64_t Tensor::elems() const {
  std::int64_t n = 1;
  for (auto s : shape)
    n *= s;
  return n;
}

std::int64_t Tensor::bytes() const {
  return bytes_of(elems(), type.bits);
}

std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::string out;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) out += 'x';
    out += std::to_string(shape[i]);
  }
  return out;
}

}  // namespace tessel
