// Window geometry and the shapes of views (see shapes.hpp).
#include "core/onnx/shapes.hpp"

#include <algorithm>
#include <optional>

#include "core/onnx/tensors.hpp"

namespace tessel::onnx_import {
namespace {

std::vector<std::int64_t> pair_attr(const Attrs& a, std::string_view name) {
  auto v = a.ints(name, {1, 1});
  if (v.size() != 2)
    model_fail(
        fmt::format("attribute {} has {} values, expected 2 (a 2-D window)", name, v.size()));
  for (auto x : v)
    if (x < 1) model_fail(fmt::format("attribute {} must be at least 1, got {}", name, x));
  return v;
}

// The explicit pads attribute: [top, left, bottom, right].
void explicit_pads(const Attrs& a, Window& w) {
  const auto p = a.ints("pads", {0, 0, 0, 0});
  if (p.size() != 4) model_fail(fmt::format("attribute pads has {} values, expected 4", p.size()));
  for (auto v : p)
    if (v < 0) model_fail(fmt::format("attribute pads has a negative value {}", v));
  w.pad_top = to_int(p[0], "pad");
  w.pad_left = to_int(p[1], "pad");
  w.pad_bottom = to_int(p[2], "pad");
  w.pad_right = to_int(p[3], "pad");
}

// SAME_UPPER / SAME_LOWER: the padding that keeps ceil(in / stride) outputs,
// split in two, the odd one at the end (UPPER) or the beginning (LOWER).
void same_pad(bool upper, std::int64_t in, int k, int stride, int dil, int& begin, int& end) {
  const std::int64_t out = (in + stride - 1) / stride;
  const std::int64_t total = std::max<std::int64_t>(
      0, (out - 1) * stride + (static_cast<std::int64_t>(k) - 1) * dil + 1 - in);
  const std::int64_t small = total / 2;
  begin = to_int(upper ? small : total - small, "pad");
  end = to_int(total - begin, "pad");
}

// Refuses a window that does not fit its input: the (dilated) kernel must fit
// the padded input, and the kernel of a pool must reach past its padding
// (ONNX: pads smaller than the kernel), so that no window sees only padding.
void check_window(const Window& w, std::int64_t in_y, std::int64_t in_x, int kernel_y, int kernel_x,
                  bool pool) {
  const auto extent = [](int k, int dil) { return (static_cast<std::int64_t>(k) - 1) * dil + 1; };
  const std::int64_t padded_y = in_y + w.pad_top + w.pad_bottom;
  const std::int64_t padded_x = in_x + w.pad_left + w.pad_right;
  if (extent(kernel_y, w.dilation_y) > padded_y || extent(kernel_x, w.dilation_x) > padded_x)
    model_fail(fmt::format(
        "attribute kernel_shape: the {}x{} window{} is larger than the {}x{} input with pads "
        "[{}, {}, {}, {}]",
        kernel_y, kernel_x,
        w.dilation_y * w.dilation_x > 1
            ? fmt::format(" (dilated {}x{})", extent(kernel_y, w.dilation_y),
                          extent(kernel_x, w.dilation_x))
            : std::string(),
        in_y, in_x, w.pad_top, w.pad_left, w.pad_bottom, w.pad_right));
  if (pool && (std::max(w.pad_top, w.pad_bottom) >= kernel_y ||
               std::max(w.pad_left, w.pad_right) >= kernel_x))
    model_fail(fmt::format(
        "attribute pads [{}, {}, {}, {}] must be smaller than the {}x{} kernel_shape of a pool",
        w.pad_top, w.pad_left, w.pad_bottom, w.pad_right, kernel_y, kernel_x));
}

}  // namespace

Window window(const Attrs& a, std::int64_t in_y, std::int64_t in_x, int kernel_y, int kernel_x,
              bool dilation) {
  Window w;
  const auto s = pair_attr(a, "strides");
  w.stride_y = to_int(s[0], "stride");
  w.stride_x = to_int(s[1], "stride");
  if (dilation) {
    const auto dl = pair_attr(a, "dilations");
    w.dilation_y = to_int(dl[0], "dilation");
    w.dilation_x = to_int(dl[1], "dilation");
  } else if (a.has("dilations")) {
    const auto dl = a.ints("dilations", {});
    if (std::any_of(dl.begin(), dl.end(), [](std::int64_t v) { return v != 1; }))
      bad_attribute("dilations", shape_string(dl), "1, 1");
  }
  const auto mode = a.s("auto_pad", "NOTSET");
  if (mode == "NOTSET") {
    explicit_pads(a, w);
  } else if (mode == "SAME_UPPER" || mode == "SAME_LOWER") {
    const bool upper = mode == "SAME_UPPER";
    same_pad(upper, in_y, kernel_y, w.stride_y, w.dilation_y, w.pad_top, w.pad_bottom);
    same_pad(upper, in_x, kernel_x, w.stride_x, w.dilation_x, w.pad_left, w.pad_right);
  } else if (mode != "VALID") {
    bad_attribute("auto_pad", "'" + mode + "'", "NOTSET, SAME_UPPER, SAME_LOWER or VALID");
  }
  check_window(w, in_y, in_x, kernel_y, kernel_x, !dilation);
  return w;
}

const std::vector<std::int64_t>& feature_map(const Importer& im, const Act& x,
                                             std::string_view what) {
  const auto& s = im.shape(x);
  if (s.size() != 4)
    unsupported(fmt::format("only {} on 4-D NCHW inputs are supported; input '{}' has shape {}",
                            what, x.ref, shape_string(s)));
  return s;
}

std::vector<std::int64_t> flatten_shape(const std::vector<std::int64_t>& s, std::int64_t axis) {
  const auto rank = static_cast<std::int64_t>(s.size());
  if (axis < 0) axis += rank;
  if (axis < 0 || axis > rank)
    model_fail(fmt::format("attribute axis is out of range for a rank-{} input", rank));
  const auto split = static_cast<std::size_t>(axis);
  return {product(s, 0, split), product(s, split)};
}

namespace {

// The shape input (or, before opset 5, the shape attribute) of Reshape.
std::vector<std::int64_t> reshape_spec(const Importer& im, const NodeProto& n, const Attrs& a) {
  std::vector<std::int64_t> spec;
  if (im.has_input(n, 1)) {
    const Tensor& t = im.constant(n, 1, "shape");
    for (double v : t.data)
      spec.push_back(static_cast<std::int64_t>(v));
  } else if (a.has("shape")) {
    spec = a.ints("shape", {});
  } else {
    model_fail("the shape input is missing");
  }
  return spec;
}

}  // namespace

std::vector<std::int64_t> reshape_shape(const Importer& im, const NodeProto& n,
                                        const std::vector<std::int64_t>& from) {
  const Attrs a(n);
  const auto spec = reshape_spec(im, n, a);
  const bool allowzero = a.i("allowzero", 0) != 0;
  std::vector<std::int64_t> out;
  std::optional<std::size_t> infer;
  std::int64_t known = 1;
  for (std::size_t i = 0; i < spec.size(); ++i) {
    auto v = spec[i];
    if (v == 0 && !allowzero) {
      if (i >= from.size())
        model_fail(fmt::format("shape {} copies dimension {} of a rank-{} input",
                               shape_string(spec), i, from.size()));
      v = from[i];
    }
    if (v == -1) {
      if (infer) model_fail(fmt::format("shape {} has more than one -1", shape_string(spec)));
      infer = i;
      out.push_back(1);
      continue;
    }
    if (v < 0) model_fail(fmt::format("shape {} has a negative dimension", shape_string(spec)));
    out.push_back(v);
    known *= v;
  }
  const auto total = product(from);
  if (infer) {
    if (known == 0 || total % known != 0)
      model_fail(fmt::format("cannot reshape {} ({} elements) to {}", shape_string(from), total,
                             shape_string(spec)));
    out[*infer] = total / known;
  }
  if (product(out) != total)
    model_fail(fmt::format("cannot reshape {} ({} elements) to {} ({} elements)",
                           shape_string(from), total, shape_string(out), product(out)));
  return out;
}

}  // namespace tessel::onnx_import
