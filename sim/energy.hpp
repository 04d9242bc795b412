#pragma once

#include <array>

#include "core/cost.hpp"
#include "sim/context.hpp"

// The energy stage of costing a mapping (docs/cost-model.md, "Energy").
namespace tessel::sim {

inline constexpr double kPjPerMwSecond = 1e9;  // 1 mW for 1 s = 1e-3 J = 1e9 pJ

// Bytes of each flow of a mapping (Flow order): moved by DMA (I and W
// fetched, O written back, partial sums read back) and accessed by the unit
// at its levels (its input and weight tiles read, its output tile written,
// once per step).
using FlowBytes = std::array<double, kFlows>;

// Adds the memory-access energy of the flows to cost.level_energy and the
// DMA engines' energy to cost.dma_energy: each flow's bytes at the per-byte
// energies the context resolved.
inline void charge_flows(const LayerContext& ctx, const FlowBytes& bytes, Cost& cost) {
  for (std::size_t lvl = 0; lvl < static_cast<std::size_t>(ctx.levels); ++lvl) {
    double e = 0;
    for (std::size_t f = 0; f < kFlows; ++f)
      e += bytes[f] * ctx.flow_level_pj[f][lvl];
    cost.level_energy[lvl] += e;
  }
  for (std::size_t f = 0; f < kFlows; ++f)
    cost.dma_energy += bytes[f] * ctx.flow_dma_pj[f];
}

// Completes the energy of `cost` (cycles set, flows charged): the unit's
// compute energy plus its active power over its compute time, the static
// power of the SoC over the whole time, and the total.
inline void charge_time(const LayerContext& ctx, double compute_cycles, double compute_energy,
                        Cost& cost) {
  const double seconds_per_cycle = 1.0 / ctx.soc->frequency;
  cost.compute_energy =
      compute_energy + compute_cycles * seconds_per_cycle * ctx.active_power_mw * kPjPerMwSecond;
  cost.static_energy = cost.cycles * seconds_per_cycle * ctx.static_power_mw * kPjPerMwSecond;
  double levels_energy = 0;
  for (std::size_t lvl = 0; lvl < static_cast<std::size_t>(ctx.levels); ++lvl)
    levels_energy += cost.level_energy[lvl];
  cost.energy = levels_energy + cost.compute_energy + cost.static_energy + cost.dma_energy;
}

}  // namespace tessel::sim
