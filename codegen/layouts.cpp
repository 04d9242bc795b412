// The tensors' layouts and views (layouts.hpp).
#include "codegen/layouts.hpp"

#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/errors.hpp"

namespace tessel::codegen {
namespace {

// The channels and pixels of a feature map whose features a dense layer
// reads flattened (ONNX flattens NCHW; tessel stores HWC), or {0, 0} when
// the order does not differ (one pixel).
std::pair<std::int64_t, std::int64_t> flattened_map(const Graph& g, const std::string& tensor) {
  for (const auto& l : g.layers()) {
    if (l.output == tensor)
      return l.dim(Dim::OY) * l.dim(Dim::OX) > 1
                 ? std::pair{l.dim(Dim::G) * l.dim(Dim::K), l.dim(Dim::OY) * l.dim(Dim::OX)}
                 : std::pair<std::int64_t, std::int64_t>{0, 0};
  }
  const auto& shape = g.tensor(tensor).shape;
  if (shape.size() == 4 && shape[2] * shape[3] > 1) return {shape[1], shape[2] * shape[3]};
  return {0, 0};
}

}  // namespace

// A view's initialiser: base, origin, extent, stride, type.
std::string view_text(const std::string& base, const std::array<std::int64_t, 5>& extent,
                      const std::array<std::int64_t, 5>& stride, const std::string& type) {
  return fmt::format("{{{}, {{0, 0, 0, 0, 0}}, {{{}}}, {{{}}}, {}}}", base, fmt::join(extent, ", "),
                     fmt::join(stride, ", "), type);
}

// Row-major strides of a box (innermost coordinate last).
std::array<std::int64_t, 5> packed_strides(const std::array<std::int64_t, 5>& e) {
  std::array<std::int64_t, 5> s{};
  std::int64_t step = 1;
  for (int i = 4; i >= 0; --i) {
    s[static_cast<std::size_t>(i)] = step;
    step *= e[static_cast<std::size_t>(i)];
  }
  return s;
}

// Throws unless constant `t` carries its values.
void require_values(const Tensor& t) {
  if (!t.constant || static_cast<std::int64_t>(t.data.size()) != t.elems())
    throw UnsupportedError(
        fmt::format("constant '{}' has no values (a zoo model without weights "
                    "cannot be emitted; import an ONNX file)",
                    t.name));
}

// A layer's weights in the layout its views read: [G][K][FY][FX][C] from
// ONNX's [G*K][C][FY][FX]; a MatMul's [C][K] as stored; dense features in
// the HWC order of the map they were flattened from.
std::vector<double> unit_weights(const Graph& g, const Layer& l) {
  const Tensor& t = g.tensor(l.weights);
  require_values(t);
  const auto& d = l.dims;
  const std::int64_t G = d[idx(Dim::G)], K = d[idx(Dim::K)], C = d[idx(Dim::C)],
                     FY = d[idx(Dim::FY)], FX = d[idx(Dim::FX)];
  std::vector<double> out(t.data.size());
  if (l.op == OpKind::dense) {
    const auto [ch, px] = flattened_map(g, l.inputs.at(0));
    for (std::int64_t k = 0; k < K; ++k)
      for (std::int64_t c = 0; c < C; ++c) {
        const std::int64_t hwc = px > 0 ? (c % px) * ch + c / px : c;  // ONNX feature c
        const auto src = static_cast<std::size_t>(l.weights_ck ? c * K + k : k * C + c);
        const auto dst = static_cast<std::size_t>(l.weights_ck ? hwc * K + k : k * C + hwc);
        out[dst] = t.data[src];
      }
    return out;
  }
  for (std::int64_t gk = 0; gk < G * K; ++gk)
    for (std::int64_t c = 0; c < C; ++c)
      for (std::int64_t fy = 0; fy < FY; ++fy)
        for (std::int64_t fx = 0; fx < FX; ++fx)
          out[static_cast<std::size_t>(((gk * FY + fy) * FX + fx) * C + c)] =
              t.data[static_cast<std::size_t>(((gk * C + c) * FY + fy) * FX + fx)];
  return out;
}

// The view dimension a slice over `d` cuts in the view of operand `o`
// (input (n, y, x, g, c), weights (g, k, fy, fx, c), output (n, oy, ox, g,
// k)), or -1 when the slice does not cut it.
int cut_dim(Operand o, Dim d) {
  switch (o) {
    case Operand::I:
      return d == Dim::OY ? 1 : d == Dim::G ? 3 : d == Dim::C ? 4 : -1;
    case Operand::W:
      return d == Dim::G ? 0 : d == Dim::K ? 1 : d == Dim::C ? 4 : -1;
    case Operand::O:
      break;
  }
  return d == Dim::OY ? 1 : d == Dim::G ? 3 : d == Dim::K ? 4 : -1;
}

// The view of `box` that a part over `slice` reads or writes, cutting view
// dimension `dim` (-1: the whole tensor): packed over the slice when the
// memory plan holds the tensor one slice at a time (`held` bytes), else the
// whole tensor's strides from the slice's first channel.
std::string cut_view(Box box, int dim, const LayerSlice& slice, std::int64_t held) {
  if (dim >= 0 && !slice.whole()) {
    const auto d = static_cast<std::size_t>(dim);
    const bool one_slice = held < box.bytes();
    if (!one_slice)
      box.base = fmt::format("({} + {})", box.base, slice.begin * box.stride[d] * box.elem_bytes);
    box.extent[d] = slice.end - slice.begin;
    if (one_slice) box.stride = packed_strides(box.extent);
  }
  return view_text(box.base, box.extent, box.stride, box.type);
}

}  // namespace tessel::codegen
