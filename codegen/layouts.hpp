#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/graph.hpp"
#include "core/schedule.hpp"

// The tensors as the emitted code sees them (docs/codegen.md, "Layouts"):
// the weights in the units' layout and the runtime's views (tessel_view) as
// C initialisers, cut to a part's slice.
namespace tessel::codegen {

// A view's initialiser: base, origin, extent, stride, type.
std::string view_text(const std::string& base, const std::array<std::int64_t, 5>& extent,
                      const std::array<std::int64_t, 5>& stride, const std::string& type);

// Row-major strides of a box (innermost coordinate last).
std::array<std::int64_t, 5> packed_strides(const std::array<std::int64_t, 5>& e);

// Throws UnsupportedError unless constant `t` carries its values.
void require_values(const Tensor& t);

// A layer's weights in the layout its views read: [G][K][FY][FX][C] from
// ONNX's [G*K][C][FY][FX]; a MatMul's [C][K] as stored; dense features in
// the HWC order of the map they were flattened from.
std::vector<double> unit_weights(const Graph& g, const Layer& l);

// The view dimension a slice over `d` cuts in the view of operand `o`
// (input (n, y, x, g, c), weights (g, k, fy, fx, c), output (n, oy, ox, g,
// k)), or -1 when the slice does not cut it. A band of output rows (OY)
// cuts the input's rows too: at the rows its window reads (input_rows).
int cut_dim(Operand o, Dim d);

// A tensor as a view: its base, whole extents and strides, element bytes and type code.
struct Box {
  std::string base;
  std::array<std::int64_t, 5> extent{}, stride{};
  std::int64_t elem_bytes = 1;
  std::string type;

  std::int64_t bytes() const {
    std::int64_t b = elem_bytes;
    for (auto e : extent)
      b *= e;
    return b;
  }
};

// The view of `box` that a part over `slice` reads or writes, cutting view
// dimension `dim` (-1: the whole tensor): packed over the slice when the
// memory plan holds the tensor one slice at a time (`held` bytes), else the
// whole tensor's strides from the slice's first channel.
std::string cut_view(Box box, int dim, const LayerSlice& slice, std::int64_t held);

}  // namespace tessel::codegen
