#include "core/mapping.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

#include <fmt/format.h>

#include "core/errors.hpp"

namespace tessel {

bool Mapping::operator==(const Mapping& o) const {
  if (unit != o.unit || unrolling != o.unrolling || depth != o.depth || home != o.home)
    return false;
  for (int i = 0; i < depth; ++i) {
    if (!(nest(i) == o.nest(i))) return false;
  }
  return true;
}

DimArray tile_counts(const DimArray& extents, const LoopNest& nest) {
  DimArray n{};
  for (std::size_t i = 0; i < kNumDims; ++i) {
    const auto t = std::max<std::int64_t>(1, nest.tile[i]);  // a size below 1 is illegal anyway
    n[i] = (extents[i] + t - 1) / t;
  }
  return n;
}

DimArray tile_counts(const Layer& layer, const Mapping& m) {
  return tile_counts(layer.dims, m.inner());
}

namespace {

// The extents nest i tiles: the layer's for the outermost nest, the tile of
// the nest above (clamped to the layer) otherwise.
DimArray enclosing(const Layer& layer, const Mapping& m, int i) {
  DimArray e = layer.dims;
  for (int k = 0; k < i; ++k) {
    for (std::size_t d = 0; d < kNumDims; ++d)
      e[d] = std::min(e[d], m.nest(k).tile[d]);
  }
  return e;
}

// One string per nest, outermost first, joined by " | ".
template <typename F>
std::string per_nest(const Mapping& m, F&& describe) {
  std::string out;
  for (int i = 0; i < m.depth; ++i) {
    if (i > 0) out += " | ";
    out += describe(i);
  }
  return out;
}

}  // namespace

std::string tile_string(const Layer& layer, const Mapping& m) {
  return per_nest(m, [&](int i) {
    const auto e = enclosing(layer, m, i);
    std::string out;
    for (Dim d : kAllDims) {
      if (m.nest(i).tile_of(d) >= e[idx(d)]) continue;
      if (!out.empty()) out += ' ';
      out += fmt::format("{}={}", dim_name(d), m.nest(i).tile_of(d));
    }
    return out.empty() ? std::string("full") : out;
  });
}

std::string order_string(const Layer& layer, const Mapping& m) {
  return per_nest(m, [&](int i) {
    const auto n = tile_counts(enclosing(layer, m, i), m.nest(i));
    std::string out;
    for (Dim d : m.nest(i).order) {
      if (n[idx(d)] <= 1) continue;
      if (!out.empty()) out += '>';
      out += dim_name(d);
    }
    return out.empty() ? std::string("-") : out;
  });
}

std::string buffering_string(const Mapping& m) {
  return per_nest(m, [&](int i) {
    std::string out;
    for (std::size_t o = 0; o < kNumOperands; ++o) {
      if (!m.nest(i).double_buffer[o]) continue;
      if (!out.empty()) out += ',';
      out += operand_name(static_cast<Operand>(o));
    }
    return out.empty() ? std::string("-") : out;
  });
}

namespace {

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, sep)) {
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

DimArray parse_tile(const Layer& layer, const std::string& text) {
  DimArray tile = layer.dims;
  for (const auto& item : split(text, ',')) {
    const auto eq = item.find('=');
    if (eq == std::string::npos)
      throw ConfigError(fmt::format("tile '{}': expected DIM=SIZE, e.g. K=16", item));
    const auto d = parse_dim(item.substr(0, eq));
    if (!d)
      throw ConfigError(
          fmt::format("tile '{}': unknown dimension '{}' (N, G, K, C, OY, OX, FY, FX)", item,
                      item.substr(0, eq)));
    const auto value = item.substr(eq + 1);
    std::int64_t size = 0;
    try {
      std::size_t used = 0;
      size = std::stoll(value, &used);
      if (used != value.size()) throw std::invalid_argument(value);
    } catch (const std::logic_error&) {
      throw ConfigError(fmt::format("tile '{}': size '{}' is not an integer", item, value));
    }
    if (size < 1) throw ConfigError(fmt::format("tile '{}': size must be at least 1", item));
    tile[idx(*d)] = std::min(size, layer.dim(*d));
  }
  return tile;
}

std::array<bool, kNumOperands> parse_buffering(const std::string& text) {
  std::array<bool, kNumOperands> db{};
  if (text.empty() || text == "none") return db;
  if (text == "all") return {true, true, true};
  for (const auto& item : split(text, ',')) {
    bool known = false;
    for (std::size_t o = 0; o < kNumOperands; ++o) {
      const auto name = operand_name(static_cast<Operand>(o));
      if (item.size() == 1 && std::toupper(static_cast<unsigned char>(item[0])) == name[0]) {
        db[o] = true;
        known = true;
      }
    }
    if (!known)
      throw ConfigError(fmt::format(
          "double buffering: unknown operand '{}' (expected all, none, or a list of I, W, O)",
          item));
  }
  return db;
}

std::array<Dim, kNumDims> parse_order(const std::string& text) {
  std::array<Dim, kNumDims> order{};
  std::array<bool, kNumDims> used{};
  std::size_t n = 0;
  for (const auto& item : split(text, ',')) {
    const auto d = parse_dim(item);
    if (!d)
      throw ConfigError(
          fmt::format("order: unknown dimension '{}' (N, G, K, C, OY, OX, FY, FX)", item));
    if (used[idx(*d)]) throw ConfigError(fmt::format("order: dimension '{}' given twice", item));
    used[idx(*d)] = true;
    order[n++] = *d;
  }
  for (Dim d : kAllDims) {
    if (!used[idx(d)]) order[n++] = d;
  }
  return order;
}

}  // namespace tessel
