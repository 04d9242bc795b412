// Shape inference of the ONNX importer, for what GraphBuilder does not derive
// itself: the stride, dilation and padding of a conv / pool window from its
// attributes (auto_pad included), the NCHW check of feature-map inputs, and the
// output shapes of Flatten and Reshape. Layer output shapes come from
// GraphBuilder (builder.hpp) once the handler has the layer's parameters.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/onnx/attrs.hpp"
#include "core/onnx/importer.hpp"

namespace tessel::onnx_import {

// Stride, dilation and padding of a conv / pool window from the attributes
// strides, dilations, pads and auto_pad.
struct Window {
  int stride_y = 1, stride_x = 1, dilation_y = 1, dilation_x = 1;
  int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
};

// The window of a kernel_y x kernel_x kernel over an in_y x in_x input. Without
// `dilation` (pools), a dilations attribute other than 1, 1 is unsupported.
// Fails (naming the attribute) when the dilated kernel is larger than the
// padded input, or, for a pool, when a pad is not smaller than the kernel.
Window window(const Attrs& a, std::int64_t in_y, std::int64_t in_x, int kernel_y, int kernel_x,
              bool dilation);

// Copies the window into ConvParams or PoolParams (those have no dilation).
template <class Params>
void apply_window(const Window& w, Params& p) {
  p.stride_y = w.stride_y;
  p.stride_x = w.stride_x;
  if constexpr (requires { p.dilation_y; }) {
    p.dilation_y = w.dilation_y;
    p.dilation_x = w.dilation_x;
  }
  p.pad_top = w.pad_top;
  p.pad_left = w.pad_left;
  p.pad_bottom = w.pad_bottom;
  p.pad_right = w.pad_right;
}

// The 4-D NCHW shape of a feature-map input.
const std::vector<std::int64_t>& feature_map(const Importer& im, const Act& x,
                                             std::string_view what);

// The 2-D shape of Flatten with attribute `axis`.
std::vector<std::int64_t> flatten_shape(const std::vector<std::int64_t>& s, std::int64_t axis);

// Target shape of Reshape: 0 copies the input dimension (unless allowzero), -1
// is inferred from the element count.
std::vector<std::int64_t> reshape_shape(const Importer& im, const NodeProto& n,
                                        const std::vector<std::int64_t>& from);

}  // namespace tessel::onnx_import
