#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "core/layer.hpp"

namespace tessel {

// How one layer runs on one compute unit (DESIGN.md, "The mapping of one
// layer onto one unit"). Operands move from their home level to the level the
// unit reads them from in tiles of extents `tile`; the tile loops run in
// `order` (outermost first; dimensions with a single tile are irrelevant);
// each operand is single or double buffered at the unit's level; the unit
// executes the tile with one of its spatial unrollings.
struct Mapping {
  int unit = 0;  // index of the compute unit in the SoC
  DimArray tile = {1, 1, 1, 1, 1, 1, 1, 1};
  std::array<Dim, kNumDims> order = kAllDims;
  std::array<bool, kNumOperands> double_buffer = {false, false, false};
  int unrolling = 0;

  std::int64_t tile_of(Dim d) const { return tile[idx(d)]; }
  bool operator==(const Mapping&) const = default;
};

// Number of tiles along each dimension: ceil(layer dim / tile) (a tile size
// below 1, which no legal mapping has, counts as 1).
DimArray tile_counts(const Layer& layer, const Mapping& m);

// "K=16 C=3 OY=8 OX=32" (tiled dims; full dims omitted unless all are full)
std::string tile_string(const Layer& layer, const Mapping& m);
// "OY>K" (dims with more than one tile, outermost first), "-" when one tile
std::string order_string(const Layer& layer, const Mapping& m);
// "I,W" (double-buffered operands), "-" when none
std::string buffering_string(const Mapping& m);

// Parses "K=16,OY=8" into tile extents starting from the full layer; throws
// ConfigError naming the bad item. Extents above the layer dim are clamped.
DimArray parse_tile(const Layer& layer, const std::string& text);
// Parses "none", "all" or a list of I, W, O ("I,W") into double-buffer flags
// per operand; throws ConfigError naming a bad item.
std::array<bool, kNumOperands> parse_buffering(const std::string& text);
// Parses "OY,K,C" (outermost first) into a full order: listed dims first, in
// the given order, then the rest in canonical order. Throws ConfigError.
std::array<Dim, kNumDims> parse_order(const std::string& text);

}  // namespace tessel
