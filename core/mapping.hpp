#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "core/layer.hpp"

namespace tessel {

// One tiling level of a mapping (docs/architecture.md, "Schedule IR"): a
// loop nest over tiles of extents `tile`, run in `order` (outermost first;
// dimensions with a single tile are irrelevant), that moves each operand's
// tile from where the nest above left it (its home level for the outermost
// nest) into a buffer at `level`, single or double buffered. An operand
// whose level is kNoMove at an outer nest is not moved by that nest (it is
// read in place); at the innermost nest kNoMove means the level the unit
// reads it from.
struct LoopNest {
  static constexpr std::int8_t kNoMove = -1;
  DimArray tile = {1, 1, 1, 1, 1, 1, 1, 1};
  std::array<Dim, kNumDims> order = kAllDims;
  std::array<bool, kNumOperands> double_buffer = {false, false, false};
  std::array<std::int8_t, kNumOperands> level = {kNoMove, kNoMove, kNoMove};

  std::int64_t tile_of(Dim d) const { return tile[idx(d)]; }
  bool operator==(const LoopNest&) const = default;
};

// Loop nests a mapping can have: L3 -> L2 -> L1 staging, with one more for a
// unit-local level.
inline constexpr int kMaxNests = 3;

// How one layer runs on one compute unit (DESIGN.md, "The mapping of one
// layer onto one unit"): `depth` loop nests, outermost first; the innermost
// one moves tiles into the level the unit reads, and the unit executes each
// of its tiles with one of its spatial unrollings. Each nest tiles the tile
// of the nest above (extents never larger). One nest is today's single level
// of tiling; more stage operands through intermediate levels (L3 -> L2 -> L1).
struct Mapping {
  int unit = 0;  // index of the compute unit in the SoC
  int unrolling = 0;
  int depth = 1;  // nests in use: nests[0 .. depth-1]
  std::array<LoopNest, kMaxNests> nests{};
  // Per operand, the memory level its whole tensor lives at (kSocHome: the
  // SoC's home for its role); the outermost nest moves tiles from there.
  static constexpr std::int8_t kSocHome = -1;
  std::array<std::int8_t, kNumOperands> home = {kSocHome, kSocHome, kSocHome};

  LoopNest& inner() { return nests[static_cast<std::size_t>(depth - 1)]; }
  const LoopNest& inner() const { return nests[static_cast<std::size_t>(depth - 1)]; }
  LoopNest& nest(int i) { return nests[static_cast<std::size_t>(i)]; }
  const LoopNest& nest(int i) const { return nests[static_cast<std::size_t>(i)]; }
  // Equal unit, unrolling and nests in use (unused nests do not count).
  bool operator==(const Mapping& o) const;
};

// Number of tiles of a nest along each dimension: ceil(extent / tile) over
// the given extents (a tile size below 1, which no legal mapping has, counts
// as 1).
DimArray tile_counts(const DimArray& extents, const LoopNest& nest);
// The same for the innermost nest of a one-level mapping over the layer.
DimArray tile_counts(const Layer& layer, const Mapping& m);

// The strings below describe the innermost nest; with more than one nest, the
// outer nests' come first, separated by " | " (outermost first).
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
