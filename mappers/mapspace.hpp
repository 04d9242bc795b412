#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/mapping.hpp"
#include "sim/analytical.hpp"

namespace tessel::mappers {

// Restrictions of a layer mapspace; the defaults give tessel's full space.
struct MapSpaceOptions {
  // Tile sizes that divide the dimension only (as LOMA-based tools use).
  bool divisors_only = false;
  // Every size 1..D instead of one size per tile count (for small layers and
  // for checking that the reduction loses little).
  bool all_sizes = false;
  // Only the unit's first spatial unrolling.
  bool first_unrolling_only = false;
  // One loop order for every tile (dims with one tile are dropped from it).
  std::optional<std::array<Dim, kNumDims>> fixed_order;
  // One buffering for every tile (operands that do not move stay single).
  std::optional<std::array<bool, kNumOperands>> fixed_buffering;
  // Dims kept whole (never tiled), e.g. C for a DORY-style tiler.
  std::array<bool, kNumDims> whole{};
};

// The candidates of one layer on one unit (DESIGN.md, "Search"): the tile
// size of every dimension at the unit's level, the loop order of the tiled
// dimensions, single or double buffering of each operand that moves, and the
// unit's spatial unrolling.
//
// Tile sizes: any size, not only divisors, but sizes giving the same tile
// count differ only in how the last tile is cut, so one size per tile count
// is kept: the balanced one, ceil(D / k) for k = 1..D (about 2 sqrt(D)
// values). It is the smallest size of its count, so every divisor of D is in
// the set and the space contains the divisor-only space. (Keeping the largest
// size of each count, as DESIGN.md first said, would drop divisors such as 16
// of 32, whose count 2 would be represented by 31.)
// FY and FX are never tiled (the kernel window stays whole in a tile).
//
// The tile combinations are numbered 0..tile_combos()-1 (mixed radix over
// the dims, largest sizes first), so the space splits into index ranges
// across threads; orders, bufferings and unrollings are enumerated per tile.
class LayerMapSpace {
 public:
  LayerMapSpace(const sim::LayerContext& ctx, MapSpaceOptions options = {});

  const sim::LayerContext& context() const { return *ctx_; }
  const MapSpaceOptions& options() const { return options_; }
  // Candidate tile sizes of a dimension, descending (the first is the whole dim).
  const std::vector<std::int64_t>& sizes(Dim d) const { return sizes_[idx(d)]; }
  // Number of tile combinations.
  std::uint64_t tile_combos() const { return combos_; }
  // The tile of combination `index`.
  DimArray tile_at(std::uint64_t index) const;
  // Unrollings to try (indices into the unit's list).
  int unrollings() const { return unrollings_; }
  // Bufferings to try for the operands that move (at most 8).
  const std::vector<std::array<bool, kNumOperands>>& bufferings() const { return bufferings_; }
  // The orders to try for a tile: permutations of its tiled dims (one order
  // when fixed); each full order lists the tiled dims first.
  void orders(const DimArray& tile, std::vector<std::array<Dim, kNumDims>>& out) const;
  // How many orders `orders` gives for a tile, without listing them.
  std::size_t order_count(const DimArray& tile) const;
  // Total number of candidates: sum over tiles of orders x bufferings x unrollings.
  double size() const;

 private:
  const sim::LayerContext* ctx_;
  MapSpaceOptions options_;
  std::array<std::vector<std::int64_t>, kNumDims> sizes_;
  std::uint64_t combos_ = 1;
  int unrollings_ = 1;
  std::vector<std::array<bool, kNumOperands>> bufferings_;
};

// Tile sizes of one dimension, descending: one per tile count ({ceil(D / k)}),
// the divisors of D, or every size.
enum class SizeRule { per_count, divisors, all };
std::vector<std::int64_t> tile_sizes(std::int64_t extent, SizeRule rule = SizeRule::per_count);

// Canonical comparison of two mappings (tile extents, then order of the tiled
// dims, buffering, unrolling); breaks ties between equal costs so that the
// chosen mapping never depends on the thread count.
bool canonical_less(const Layer& layer, const Mapping& a, const Mapping& b);

}  // namespace tessel::mappers
