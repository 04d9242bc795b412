#pragma once

#include <array>
#include <cstdint>

#include "core/layer.hpp"

namespace tessel {

// Upper bound on the memory levels of an SoC (fixed size keeps Cost free of
// allocation on the hot path).
inline constexpr std::size_t kMaxLevels = 8;

// The predicted cost of one mapping (sim::Analytical) or of a replay
// (sim::EventSim). Cycles are SoC clock cycles; energy in picojoules.
//   cycles = compute + dma + overhead + stall, where
//   compute   cycles the unit spends computing tiles (critical path share),
//   dma       transfer cycles not hidden behind compute,
//   overhead  launch and per-tile bookkeeping,
//   stall     waiting on shared resources (memory ports, a shared DMA engine).
struct Cost {
  bool legal = false;
  const char* reason = "";  // why illegal (static text); empty when legal

  double cycles = 0.0;
  double compute_cycles = 0.0;
  double dma_cycles = 0.0;
  double overhead_cycles = 0.0;
  double stall_cycles = 0.0;
  double dma_busy_cycles = 0.0;  // total DMA engine time, hidden or not

  double energy = 0.0;                                 // total pJ
  double compute_energy = 0.0;                         // unit MAC / op energy
  double static_energy = 0.0;                          // idle / leakage power x time
  double dma_energy = 0.0;                             // DMA engine energy
  std::array<double, kMaxLevels> level_energy{};       // access energy per memory level
  std::array<std::int64_t, kMaxLevels> bytes_held{};   // peak bytes held per level
  std::array<std::int64_t, kNumOperands> transfers{};  // tile transfers per operand
  std::array<std::int64_t, kNumOperands>
      bytes_moved{};       // bytes moved per operand (O: written back)
  std::int64_t tiles = 0;  // number of tile steps
  std::int64_t macs = 0;
};

}  // namespace tessel
