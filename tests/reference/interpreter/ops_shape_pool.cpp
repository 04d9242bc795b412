// Pooling and shape operators of the reference interpreter (reference.hpp).
#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "reference/interpreter/ops.hpp"

namespace tessel::reference {
namespace {

// One spatial axis of a pooling window: output extent and padding.
struct PoolAxis {
  std::int64_t in = 0, kernel = 1, stride = 1, dilation = 1, pad_begin = 0, pad_end = 0, out = 0;
};

PoolAxis pool_axis(const NodeView& n, std::size_t axis, std::int64_t in) {
  const auto kernel = n.attr_ints("kernel_shape", {});
  if (kernel.size() != 2) n.fail("only 2-D pooling (kernel_shape of two values) is supported");
  const auto strides = n.attr_ints("strides", {1, 1});
  const auto dil = n.attr_ints("dilations", {1, 1});
  const auto pads = n.attr_ints("pads", {0, 0, 0, 0});
  const auto auto_pad = n.attr_string("auto_pad", "NOTSET");
  const bool ceil_mode = n.attr_int("ceil_mode", 0) != 0;
  PoolAxis a{in, kernel[axis], strides.at(axis), dil.at(axis), pads.at(axis), pads.at(axis + 2), 0};
  const std::int64_t span = (a.kernel - 1) * a.dilation + 1;
  if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    a.out = (in + a.stride - 1) / a.stride;
    const std::int64_t total = std::max<std::int64_t>(0, (a.out - 1) * a.stride + span - in);
    a.pad_begin = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
    a.pad_end = total - a.pad_begin;
    return a;
  }
  if (auto_pad == "VALID")
    a.pad_begin = a.pad_end = 0;
  else if (auto_pad != "NOTSET")
    n.fail(fmt::format("unknown auto_pad '{}'", auto_pad));
  const std::int64_t room = in + a.pad_begin + a.pad_end - span;
  a.out = (ceil_mode ? (room + a.stride - 1) / a.stride : room / a.stride) + 1;
  // A last window that would start in the end padding is dropped.
  if (ceil_mode && (a.out - 1) * a.stride >= in + a.pad_begin) --a.out;
  return a;
}

enum class PoolKind { max, average };

std::vector<Value> pool(const NodeView& n, const Inputs& in, PoolKind kind) {
  const Value& x = required(n, in, 0);
  if (x.shape.size() != 4) n.fail("only NCHW inputs are supported");
  const PoolAxis ay = pool_axis(n, 0, x.shape[2]), ax = pool_axis(n, 1, x.shape[3]);
  const bool include_pad = n.attr_int("count_include_pad", 0) != 0;
  const std::int64_t NC = x.shape[0] * x.shape[1], H = x.shape[2], W = x.shape[3];
  Value y{x.type, {x.shape[0], x.shape[1], ay.out, ax.out}, {}};
  y.data.reserve(static_cast<std::size_t>(y.elems()));
  for (std::int64_t p = 0; p < NC; ++p)
    for (std::int64_t oy = 0; oy < ay.out; ++oy)
      for (std::int64_t ox = 0; ox < ax.out; ++ox) {
        double best = -std::numeric_limits<double>::infinity(), sum = 0;
        std::int64_t inside = 0, padded = 0;
        for (std::int64_t ky = 0; ky < ay.kernel; ++ky)
          for (std::int64_t kx = 0; kx < ax.kernel; ++kx) {
            const std::int64_t iy = oy * ay.stride - ay.pad_begin + ky * ay.dilation;
            const std::int64_t ix = ox * ax.stride - ax.pad_begin + kx * ax.dilation;
            if (iy < H + ay.pad_end && ix < W + ax.pad_end) ++padded;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            const double v = x.data[static_cast<std::size_t>((p * H + iy) * W + ix)];
            best = std::max(best, v);
            sum += v;
            ++inside;
          }
        if (kind == PoolKind::max) {
          y.data.push_back(best);
          continue;
        }
        const auto count = static_cast<double>(include_pad ? padded : inside);
        y.data.push_back(x.type.is_float ? sum / count : std::floor(sum / count));
      }
  return {y};
}

std::vector<Value> max_pool(const NodeView& n, const Inputs& in) {
  if (n.proto().output_size() > 1) n.fail("the Indices output is not supported");
  return pool(n, in, PoolKind::max);
}

std::vector<Value> average_pool(const NodeView& n, const Inputs& in) {
  return pool(n, in, PoolKind::average);
}

// A global pool over every axis after the first two.
std::vector<Value> global_pool(const NodeView& n, const Inputs& in, PoolKind kind) {
  const Value& x = required(n, in, 0);
  if (x.shape.size() < 3) n.fail("expects N, C and spatial axes");
  const std::int64_t NC = x.shape[0] * x.shape[1], S = x.elems() / std::max<std::int64_t>(NC, 1);
  Value y{x.type, {x.shape[0], x.shape[1]}, {}};
  y.shape.resize(x.shape.size(), 1);
  for (std::int64_t p = 0; p < NC; ++p) {
    double best = -std::numeric_limits<double>::infinity(), sum = 0;
    for (std::int64_t s = 0; s < S; ++s) {
      const double v = x.data[static_cast<std::size_t>(p * S + s)];
      best = std::max(best, v);
      sum += v;
    }
    const double mean = sum / static_cast<double>(S);
    y.data.push_back(kind == PoolKind::max ? best : x.type.is_float ? mean : std::floor(mean));
  }
  return {y};
}

std::vector<Value> global_average_pool(const NodeView& n, const Inputs& in) {
  return global_pool(n, in, PoolKind::average);
}

std::vector<Value> global_max_pool(const NodeView& n, const Inputs& in) {
  return global_pool(n, in, PoolKind::max);
}

std::vector<Value> flatten(const NodeView& n, const Inputs& in) {
  Value y = required(n, in, 0);
  const auto rank = static_cast<std::int64_t>(y.shape.size());
  std::int64_t axis = n.attr_int("axis", 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis > rank) n.fail(fmt::format("axis {} out of range", axis));
  std::int64_t outer = 1;
  for (std::int64_t i = 0; i < axis; ++i)
    outer *= y.shape[static_cast<std::size_t>(i)];
  y.shape = {outer, y.elems() / std::max<std::int64_t>(outer, 1)};
  if (outer == 0) y.shape[1] = 0;
  return {y};
}

// Reshape: 0 copies the input's dimension (unless allowzero), -1 is inferred.
std::vector<Value> reshape(const NodeView& n, const Inputs& in) {
  Value y = required(n, in, 0);
  const Value& spec = required(n, in, 1);
  const bool allow_zero = n.attr_int("allowzero", 0) != 0;
  std::vector<std::int64_t> shape;
  std::int64_t known = 1;
  int infer = -1;
  for (std::size_t i = 0; i < spec.data.size(); ++i) {
    auto d = static_cast<std::int64_t>(spec.data[i]);
    if (d == 0 && !allow_zero) d = y.shape.at(i);
    if (d == -1) {
      if (infer >= 0) n.fail("more than one -1 in the shape");
      infer = static_cast<int>(i);
    } else {
      known *= d;
    }
    shape.push_back(d);
  }
  if (infer >= 0) shape[static_cast<std::size_t>(infer)] = known == 0 ? 0 : y.elems() / known;
  if (product(shape) != y.elems())
    n.fail(fmt::format("cannot reshape {} elements to {}", y.elems(), fmt::join(shape, "x")));
  y.shape = shape;
  return {y};
}

}  // namespace

void register_shape_pool_ops(std::vector<std::pair<std::string_view, OpFn>>& ops) {
  ops.emplace_back("MaxPool", max_pool);
  ops.emplace_back("AveragePool", average_pool);
  ops.emplace_back("GlobalAveragePool", global_average_pool);
  ops.emplace_back("GlobalMaxPool", global_max_pool);
  ops.emplace_back("Flatten", flatten);
  ops.emplace_back("Reshape", reshape);
}

}  // namespace tessel::reference
