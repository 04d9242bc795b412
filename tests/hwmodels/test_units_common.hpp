#pragma once

// Hand-built layers and unit specs for the unit-model tests (no YAML loader).

#include <map>
#include <string>
#include <utility>

#include "core/layer.hpp"
#include "hwmodels/soc.hpp"
#include "hwmodels/unit_model.hpp"

namespace tessel::test {

// A layer of the given op and loop bounds, 8-bit operands, stride 1, no padding.
inline Layer make_layer(OpKind op, std::int64_t g, std::int64_t k, std::int64_t c, std::int64_t oy,
                        std::int64_t ox, std::int64_t fy, std::int64_t fx) {
  Layer l;
  l.name = "test";
  l.op = op;
  l.dims = {1, g, k, c, oy, ox, fy, fx};
  l.in_y = oy + fy - 1;
  l.in_x = ox + fx - 1;
  return l;
}

inline Layer conv(std::int64_t k, std::int64_t c, std::int64_t oy, std::int64_t ox,
                  std::int64_t f) {
  return make_layer(f == 1 ? OpKind::pointwise : OpKind::conv, 1, k, c, oy, ox, f, f);
}

inline Layer depthwise(std::int64_t g, std::int64_t oy, std::int64_t ox, std::int64_t f) {
  return make_layer(OpKind::depthwise, g, 1, 1, oy, ox, f, f);
}

inline Layer dense(std::int64_t k, std::int64_t c) {
  return make_layer(OpKind::dense, 1, k, c, 1, 1, 1, 1);
}

// A unit spec of `kind` running every op, at the SoC clock, with `params`.
inline hw::UnitSpec make_spec(const std::string& kind, std::map<std::string, double> params = {}) {
  hw::UnitSpec s;
  // (Move-assigned: assigning a literal trips a false -Wrestrict in GCC 12 at -O3.)
  s.name = std::string("u");
  s.kind = kind;
  s.ops = {kAllOpKinds.begin(), kAllOpKinds.end()};
  s.params = std::move(params);
  return s;
}

// The full-layer tile.
inline DimArray full(const Layer& l) {
  return l.dims;
}

// The layer's full tile with some extents replaced.
inline DimArray tile(const Layer& l, std::initializer_list<std::pair<Dim, std::int64_t>> t) {
  DimArray a = l.dims;
  for (const auto& [d, n] : t)
    a[idx(d)] = n;
  return a;
}

}  // namespace tessel::test
