// The loop nests of a part as the runtime runs them (nest_plan.hpp).
#include "codegen/nest_plan.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/errors.hpp"
#include "sim/nests.hpp"

namespace tessel::codegen {
namespace {

constexpr std::size_t kO = idx(Operand::O);

int engine_index(const hw::Soc& soc, int from, int to) {
  const hw::DmaEngine* e = soc.dma_for(from, to);
  return e ? static_cast<int>(e - soc.dmas.data()) : -1;
}

// Whether the innermost nest keeps every partial sum in its output buffer:
// C, when tiled, is looped inside every loop over an output dimension.
bool partial_sums_stay(const Layer& l, const NestPlan& inner, const DimArray& outer) {
  if (inner.tile[idx(Dim::C)] >= l.dim(Dim::C)) return true;
  return inner.move[kO] && !sim::revisits_output(inner.order, inner.tile, outer);
}

}  // namespace

PartPlan plan_part(const sim::Analytical& model, const Layer& l, const Mapping& m) {
  const auto ctx = model.prepare(l, m);
  if (!ctx.runs_layer)
    throw UnsupportedError(fmt::format("layer '{}': {}", l.name, ctx.unsupported_reason));
  const hw::Soc& soc = model.soc();
  PartPlan p;
  p.home = ctx.home;
  std::array<int, kNumOperands> at = ctx.home;
  DimArray outer = l.dims;
  for (int j = 0; j < m.depth; ++j) {
    const bool innermost = j + 1 == m.depth;
    const LoopNest& ln = m.nest(j);
    NestPlan n;
    for (std::size_t d = 0; d < kNumDims; ++d)
      n.tile[d] = std::max<std::int64_t>(1, std::min(ln.tile[d], outer[d]));
    n.order = ln.order;
    n.double_buffer = ln.double_buffer;
    const auto bytes = model.tile_bytes(ctx, n.tile);
    for (std::size_t o = 0; o < kNumOperands; ++o) {
      const int lvl = ln.level[o];
      const int to = lvl == LoopNest::kNoMove ? (innermost ? ctx.level[o] : at[o]) : lvl;
      n.from[o] = at[o];
      n.level[o] = to;
      n.move[o] = ctx.present[o] && to != at[o];
      at[o] = to;
      if (!n.move[o]) continue;
      n.engine_in[o] = engine_index(soc, n.from[o], to);  // for O: reading partial sums back
      if (o == kO) n.engine_out = engine_index(soc, to, n.from[o]);
      if ((o == kO ? n.engine_out : n.engine_in[o]) < 0)
        throw UnsupportedError(
            fmt::format("layer '{}': no DMA engine moves operand {} between '{}' and '{}'", l.name,
                        operand_name(static_cast<Operand>(o)), soc.levels.at(n.from[o]).name,
                        soc.levels.at(to).name));
      const auto b = static_cast<std::int64_t>(std::ceil(bytes[o]));
      auto& used = p.scratch_bytes[static_cast<std::size_t>(to)];
      n.buffer[o][0] = used;
      used += b;
      n.buffer[o][1] = n.double_buffer[o] ? used : n.buffer[o][0];
      if (n.double_buffer[o]) used += b;
    }
    // Partial sums that leave the unit's buffer live in the output's
    // buffers above, which hold them only at accumulator width.
    // (An accumulating slice has them: its own partial-sum tensor, and
    // buffers at accumulator width.)
    if (innermost && !l.accumulates && !partial_sums_stay(l, n, outer) &&
        l.bits.output < l.bits.accumulator && model.home_partial_sum_bytes(ctx, m) == 0)
      throw UnsupportedError(fmt::format(
          "layer '{}': its mapping writes {}-bit partial sums back into an outer loop nest's "
          "buffer of its {}-bit output (C tiled outside an output loop), which holds no room "
          "for them",
          l.name, l.bits.accumulator, l.bits.output));
    outer = n.tile;
    p.nests.push_back(n);
  }
  if (const auto bytes = model.home_partial_sum_bytes(ctx, m); bytes > 0) {
    auto& used = p.scratch_bytes[static_cast<std::size_t>(ctx.home[kO])];
    p.partial_sums = used;
    used += bytes;
  }
  return p;
}

}  // namespace tessel::codegen
