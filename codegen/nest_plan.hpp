#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "core/cost.hpp"
#include "core/layer.hpp"
#include "core/mapping.hpp"
#include "sim/analytical.hpp"

// How a part's mapping runs as the runtime's generic loop nest
// (docs/codegen.md, "The loop nest"): per nest, which operands it moves from
// which level to which, by which DMA engine, and where its buffers sit in the
// part's scratch at each level. Shared by every backend.
namespace tessel::codegen {

struct NestPlan {
  DimArray tile{};  // clamped to the extents of the nest above
  std::array<Dim, kNumDims> order = kAllDims;
  std::array<bool, kNumOperands> move{}, double_buffer{};
  std::array<int, kNumOperands> from{}, level{};
  // Byte offsets of each moved operand's buffers (two when double buffered)
  // from the start of the part's scratch at `level`.
  std::array<std::array<std::int64_t, 2>, kNumOperands> buffer{};
  // Indices into Soc::dmas of the engines of each move (-1: none): inbound
  // for I and W and O's partial sums read back, outbound for O's write-back.
  std::array<int, kNumOperands> engine_in{-1, -1, -1};
  int engine_out = -1;
};

struct PartPlan {
  std::vector<NestPlan> nests;                           // outermost first
  std::array<int, kNumOperands> home{};                  // levels of the whole tensors
  std::array<std::int64_t, kMaxLevels> scratch_bytes{};  // the buffers' bytes per level
  // Offset in the part's scratch at the output's home of the 32-bit partial
  // sums written back there (Analytical::home_partial_sum_bytes), or -1.
  std::int64_t partial_sums = -1;
};

// The plan of layer `l` (a schedule part's layer, cut to its slice) under
// mapping `m`. Throws UnsupportedError naming the layer for what the runtime
// cannot run: partial sums that would leave the innermost nest's output
// buffer (C tiled outside an output loop, or no output buffer at the unit)
// into an outer nest's buffer for an output narrower than them.
PartPlan plan_part(const sim::Analytical& model, const Layer& l, const Mapping& m);

}  // namespace tessel::codegen
