#pragma once

#include <array>
#include <cstdint>

#include "sim/context.hpp"

// The first stage of costing a mapping's loop nest (docs/cost-model.md, "How
// often each operand moves"): which tile loops run, and how often each
// operand is fetched.
namespace tessel::sim {

// The tile loops of one nest with more than one tile, outermost first
// (1-based positions 1..loops), and per operand the position p of its
// innermost relevant loop (0: none) and its fetch count
//   count_X = prod_{i <= p_X} n_i
// (an irrelevant loop inside p_X is reuse, one outside it a reload).
struct LoopLevels {
  int loops = 0;
  std::array<double, kNumDims> n{};          // tile counts of the loops, outermost first
  std::array<int, kNumOperands> p{};         // innermost relevant loop per operand
  std::array<double, kNumOperands> count{};  // fetches per operand
  double distinct_o = 1;                     // distinct output tiles

  // Branch-free, because whether a dimension is tiled varies between
  // candidates: the positions of the three operands are packed in the bytes
  // of one word, and a tiled dimension's position replaces the bytes of the
  // operands it indexes.
  LoopLevels(const LayerContext& ctx, const DimArray& counts,
             const std::array<Dim, kNumDims>& order) {
    std::array<double, kNumDims + 1> prefix{1};  // product of the tile counts of loops 1..L
    double outer = 1;
    std::uint32_t at = 0;
    for (Dim d : order) {
      const auto nd = static_cast<double>(counts[idx(d)]);
      const auto tiled = static_cast<std::uint32_t>(nd != 1);
      outer *= nd;
      n[static_cast<std::size_t>(loops)] = nd;  // kept only when tiled
      loops += static_cast<int>(tiled);
      prefix[static_cast<std::size_t>(loops)] = outer;
      const std::uint32_t mask = ctx.operand_bytes[idx(d)] & (0u - tiled);
      at = (at & ~mask) | (static_cast<std::uint32_t>(loops) * 0x010101u & mask);
    }
    for (std::size_t o = 0; o < kNumOperands; ++o) {
      p[o] = static_cast<int>(at >> (8 * o) & 0xFFu);
      count[o] = prefix[static_cast<std::size_t>(p[o])];
    }
    distinct_o =
        static_cast<double>(counts[idx(Dim::N)] * counts[idx(Dim::G)] * counts[idx(Dim::K)] *
                            counts[idx(Dim::OY)] * counts[idx(Dim::OX)]);
  }
};

}  // namespace tessel::sim
