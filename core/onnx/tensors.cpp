// ONNX element types and the decoding of TensorProto values (see tensors.hpp).
#include "core/onnx/tensors.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>

namespace tessel::onnx_import {

// ============================================================== element types

std::optional<DataType> element_type(int onnx_type) {
  switch (onnx_type) {
    case TensorProto::FLOAT:
      return DataType{32, true, true};
    case TensorProto::DOUBLE:
      return DataType{64, true, true};
    case TensorProto::FLOAT16:
    case TensorProto::BFLOAT16:
      return DataType{16, true, true};
    case TensorProto::UINT8:
    case TensorProto::BOOL:
      return DataType{8, false, false};
    case TensorProto::INT8:
      return DataType{8, true, false};
    case TensorProto::UINT16:
      return DataType{16, false, false};
    case TensorProto::INT16:
      return DataType{16, true, false};
    case TensorProto::UINT32:
      return DataType{32, false, false};
    case TensorProto::INT32:
      return DataType{32, true, false};
    case TensorProto::UINT64:
      return DataType{64, false, false};
    case TensorProto::INT64:
      return DataType{64, true, false};
    default:
      return std::nullopt;
  }
}

std::string element_type_name(int onnx_type) {
  if (TensorProto::DataType_IsValid(onnx_type))
    return TensorProto::DataType_Name(static_cast<TensorProto::DataType>(onnx_type));
  return fmt::format("#{}", onnx_type);
}

// The element types tessel reads, for messages.
constexpr const char* kSupportedTypes =
    "FLOAT, DOUBLE, FLOAT16, BFLOAT16, INT8, UINT8, INT16, UINT16, INT32, UINT32, INT64, UINT64 "
    "and BOOL";

DataType require_type(int onnx_type, const std::string& what) {
  auto t = element_type(onnx_type);
  if (!t)
    unsupported(fmt::format("{} has element type {}, which tessel does not support (supported: {})",
                            what, element_type_name(onnx_type), kSupportedTypes));
  return *t;
}

std::pair<double, double> integer_range(const DataType& t) {
  if (t.is_signed) return {-std::ldexp(1.0, t.bits - 1), std::ldexp(1.0, t.bits - 1) - 1};
  return {0.0, std::ldexp(1.0, t.bits) - 1};
}

double convert_value(double v, const DataType& t) {
  if (t.is_float) return t.bits == 32 ? static_cast<double>(static_cast<float>(v)) : v;
  return std::trunc(v);
}

bool widening(const DataType& from, const DataType& to) {
  if (to.is_float) return !from.is_float || to.bits >= from.bits;
  if (from.is_float) return false;
  if (to.bits < from.bits) return false;
  if (from.is_signed && !to.is_signed) return false;
  if (!from.is_signed && to.is_signed) return to.bits > from.bits;
  return true;
}

// ============================================================== tensors

namespace {

// An IEEE 754 binary16 value from its bits.
double half_to_double(std::uint16_t h) {
  const int exponent = (h >> 10) & 0x1F;
  const int fraction = h & 0x3FF;
  double v = 0;
  if (exponent == 0)
    v = std::ldexp(fraction, -24);  // zero and subnormals: fraction * 2^-24
  else if (exponent == 31)
    v = fraction ? std::numeric_limits<double>::quiet_NaN()
                 : std::numeric_limits<double>::infinity();
  else
    v = std::ldexp(fraction + 1024, exponent - 25);  // (1 + fraction / 2^10) * 2^(exponent - 15)
  return (h & 0x8000) ? -v : v;
}

// An element of `onnx_type` from its bit pattern (the low bits of u) as a double.
double element_from_bits(std::uint64_t u, int onnx_type) {
  switch (onnx_type) {
    case TensorProto::FLOAT16:
      return half_to_double(static_cast<std::uint16_t>(u));
    case TensorProto::BFLOAT16:  // the upper half of a binary32
      return std::bit_cast<float>(static_cast<std::uint32_t>(u & 0xFFFF) << 16);
    case TensorProto::FLOAT:
      return std::bit_cast<float>(static_cast<std::uint32_t>(u));
    case TensorProto::DOUBLE:
      return std::bit_cast<double>(u);
    case TensorProto::INT8:
      return static_cast<std::int8_t>(u);
    case TensorProto::INT16:
      return static_cast<std::int16_t>(u);
    case TensorProto::INT32:
      return static_cast<std::int32_t>(u);
    case TensorProto::INT64:
      return static_cast<double>(static_cast<std::int64_t>(u));
    default:  // unsigned types and bool
      return static_cast<double>(u);
  }
}

// Reads one little-endian element of `size` bytes and converts it to double.
double raw_element(const unsigned char* p, std::size_t size, int onnx_type) {
  std::uint64_t u = 0;
  for (std::size_t b = 0; b < size; ++b)
    u |= static_cast<std::uint64_t>(p[b]) << (8 * b);
  return element_from_bits(u, onnx_type);
}

std::size_t element_size(int onnx_type) {
  switch (onnx_type) {
    case TensorProto::UINT8:
    case TensorProto::INT8:
    case TensorProto::BOOL:
      return 1;
    case TensorProto::UINT16:
    case TensorProto::INT16:
    case TensorProto::FLOAT16:
    case TensorProto::BFLOAT16:
      return 2;
    case TensorProto::UINT32:
    case TensorProto::INT32:
    case TensorProto::FLOAT:
      return 4;
    case TensorProto::UINT64:
    case TensorProto::INT64:
    case TensorProto::DOUBLE:
      return 8;
    default:
      return 0;
  }
}

// Reads the values of `t` into out.data when it holds out.elems() of them (of
// `size` bytes each in raw_data); returns how many it holds.
std::size_t read_values(const TensorProto& t, std::size_t size, Tensor& out) {
  const int type = t.data_type();
  const auto count = static_cast<std::size_t>(out.elems());
  std::size_t found = 0;
  if (t.has_raw_data()) {
    const auto& raw = t.raw_data();
    found = raw.size() / size;
    if (raw.size() % size == 0 && found == count) {
      out.data.reserve(count);
      const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
      for (std::size_t i = 0; i < count; ++i)
        out.data.push_back(raw_element(p + i * size, size, type));
    }
  } else if (type == TensorProto::FLOAT) {
    found = static_cast<std::size_t>(t.float_data_size());
    if (found == count) out.data.assign(t.float_data().begin(), t.float_data().end());
  } else if (type == TensorProto::DOUBLE) {
    found = static_cast<std::size_t>(t.double_data_size());
    if (found == count) out.data.assign(t.double_data().begin(), t.double_data().end());
  } else if (type == TensorProto::INT64) {
    found = static_cast<std::size_t>(t.int64_data_size());
    if (found == count)
      for (auto v : t.int64_data())
        out.data.push_back(static_cast<double>(v));
  } else if (type == TensorProto::UINT32 || type == TensorProto::UINT64) {
    found = static_cast<std::size_t>(t.uint64_data_size());
    if (found == count)
      for (auto v : t.uint64_data())
        out.data.push_back(static_cast<double>(v));
  } else if (type == TensorProto::FLOAT16 || type == TensorProto::BFLOAT16) {
    found = static_cast<std::size_t>(t.int32_data_size());  // the bit patterns, one per int32
    if (found == count)
      for (auto v : t.int32_data())
        out.data.push_back(element_from_bits(static_cast<std::uint32_t>(v), type));
  } else {
    found = static_cast<std::size_t>(t.int32_data_size());
    if (found == count) out.data.assign(t.int32_data().begin(), t.int32_data().end());
  }
  return found;
}

}  // namespace

Tensor decode_tensor(const TensorProto& t, const std::string& name) {
  Tensor out;
  out.name = name;
  out.constant = true;
  out.shape.assign(t.dims().begin(), t.dims().end());
  check_shape(out.shape, fmt::format("tensor '{}'", name));
  const int type = t.data_type();
  out.type = require_type(type, fmt::format("tensor '{}'", name));
  if (t.data_location() == TensorProto::EXTERNAL)
    unsupported(fmt::format("tensor '{}' keeps its values in external data files", name));
  const std::size_t size = element_size(type);
  if (size == 0)
    unsupported(
        fmt::format("tensor '{}' has element type {}, whose values tessel cannot read "
                    "(supported: {})",
                    name, element_type_name(type), kSupportedTypes));
  const std::size_t found = read_values(t, size, out);
  const auto count = static_cast<std::size_t>(out.elems());
  if (found != count)
    model_fail(fmt::format("tensor '{}' of shape {} holds {} values, expected {}", name,
                           shape_string(out.shape), found, count));
  return out;
}

void check_shape(const std::vector<std::int64_t>& shape, const std::string& what) {
  double elems = 1;
  for (auto d : shape) {
    if (d < 0) model_fail(fmt::format("{} has a negative dimension {}", what, d));
    elems *= static_cast<double>(d);
  }
  if (elems > static_cast<double>(kMaxTensorElems))
    model_fail(fmt::format("{} of shape {} has {:.3g} elements, above tessel's limit of {}", what,
                           shape_string(shape), elems, kMaxTensorElems));
}

std::int64_t product(const std::vector<std::int64_t>& v, std::size_t from, std::size_t to) {
  const auto end = static_cast<std::ptrdiff_t>(std::min(to, v.size()));
  const auto begin = std::min(static_cast<std::ptrdiff_t>(from), end);
  return std::accumulate(v.begin() + begin, v.begin() + end, std::int64_t{1}, std::multiplies<>());
}

}  // namespace tessel::onnx_import
