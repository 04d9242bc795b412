#pragma once

// A small SoC with one unit of every kind, written for counting by hand
// (tests/sim/test_analytical_kinds.cpp) and reused by the property tests for
// its features the shipped targets lack (two DMA engines for one unit, a 1-D
// engine, a unit clock below the SoC clock, static power on every run).

#include <memory>

#include "hwmodels/soc_loader.hpp"

namespace tessel::test {

// Clock 100 MHz, so 1 mW for one cycle is 10 pJ.
//   L2 (home):  read 8 B/cycle, write 2 B/cycle, 2 / 3 pJ/B, 0.2 mW leakage
//   L1:         16 / 16 B/cycle, 0.5 / 0.25 pJ/B
//   WM:         weight memory of the PE array, 64 / 8 B/cycle, 0.25 / 0.5 pJ/B
//   dma:        L2 <-> L1, 4 B/cycle, setup 10, 2 per extra row, 2-D, 0.125 pJ/B
//               effective in (L2 -> L1) min(4, 8, 16) = 4 B/cycle,
//               effective out (L1 -> L2) min(4, 16, 2) = 2 B/cycle
//   wdma:       L2 -> WM, 16 B/cycle, setup 2, 1 per extra row, 1-D, 0.25 pJ/B
//               effective min(16, 8, 8) = 8 B/cycle
// Static power: 0.2 mW (L2) + 0.1 mW (cpu idle) = 0.3 mW = 3 pJ per cycle.
// Every level has two ports, so DMA transfers may overlap the computation.
inline constexpr const char* kHandSoc = R"(
name: hand
clock: 100 MHz
memories:
  - name: L2
    size: 1 MiB
    read_bandwidth: 8 B/cycle
    write_bandwidth: 2 B/cycle
    read_energy: 2 pJ/B
    write_energy: 3 pJ/B
    leakage: 0.2 mW
    ports: 2
  - name: L1
    size: 64 KiB
    read_bandwidth: 16 B/cycle
    write_bandwidth: 16 B/cycle
    read_energy: 0.5 pJ/B
    write_energy: 0.25 pJ/B
    ports: 2
  - name: WM
    size: 16 KiB
    read_bandwidth: 64 B/cycle
    write_bandwidth: 8 B/cycle
    read_energy: 0.25 pJ/B
    write_energy: 0.5 pJ/B
    ports: 2
home:
  weights: L2
  activations: L2
dmas:
  - name: dma
    links: [[L2, L1], [L1, L2]]
    bandwidth: 4 B/cycle
    setup: 10 cycles
    row_cost: 2 cycles
    dims: 2
    energy: 0.125 pJ/B
  - name: wdma
    links: [[L2, WM]]
    bandwidth: 16 B/cycle
    setup: 2 cycles
    row_cost: 1 cycles
    dims: 1
    energy: 0.25 pJ/B
units:
  - name: cpu
    kind: cpu
    frequency: 50 MHz
    ops: [conv, depthwise, pointwise, dense, max_pool, avg_pool, add]
    reads: L1
    energy_per_mac: 1 pJ
    active_power: 0.1 mW
    idle_power: 0.1 mW
    launch: 100 cycles
    tile_overhead: 10 cycles
    params:
      simd_lanes: 2
      mac_cycles: 1
      load_cycles_per_mac: 0.5
      output_cycles: 3
      pixel_cycles: 2
  - name: cluster
    kind: cluster
    ops: [conv, depthwise, pointwise, dense, max_pool, avg_pool, add]
    reads: L1
    energy_per_mac: 0.5 pJ
    launch: 50 cycles
    tile_overhead: 6 cycles
    params:
      cores: 2
      simd_lanes: 4
      block_channels: 2
      block_pixels: 2
      sdotp_cycles: 1
      load_cycles: 1
      scalar_cycles: 2
      block_cycles: 5
      im2col_bytes_per_cycle: 2
      gather_cycles_per_byte: 1
      element_cycles: 1
      barrier_cycles: 4
  - name: ne
    kind: conv_engine
    ops: [conv, depthwise, pointwise]
    reads: L1
    energy_per_mac: 0.25 pJ
    launch: 40 cycles
    tile_overhead: 20 cycles
    params:
      in_channels: 4
      out_channels: 4
      spatial: 2
      stream_bits: 16
      load_cycles: 3
      weight_offset_cycles: 2
      matvec_cycles: 3
      index_cycles: 1
      normquant_cycles: 5
      normquant_cycles_per_channel: 1
      streamout_cycles: 2
  - name: pe
    kind: pe_array
    ops: [conv, depthwise, pointwise, dense, add]
    reads: {I: L1, W: WM, O: L1}
    energy_per_mac: 0.125 pJ
    launch: 30 cycles
    tile_overhead: 8 cycles
    params:
      rows: 4
      cols: 4
      mac_cycles: 1
      window_cycles: 2
      pass_cycles: 3
      fill_cycles: 2
      depthwise_channels: 2
      element_lanes: 4
  - name: analog
    kind: aimc
    ops: [conv, pointwise, dense]
    weight_bits: [2]
    reads: {I: L1, W: L2, O: L1}
    energy_per_mac: 0.0625 pJ
    launch: 60 cycles
    tile_overhead: 5 cycles
    params:
      rows: 32
      cols: 8
      cell_weight_bits: 2
      dac_bits: 4
      adcs: 4
      activation_cycles: 3
      pipeline_cycles: 7
      row_write_cycles: 2
      activation_energy: 10 pJ
)";

// The SoC above, loaded once.
inline std::shared_ptr<const hw::Soc> hand_soc() {
  static const auto soc = hw::load_soc_text(kHandSoc, "hand.yaml");
  return soc;
}

}  // namespace tessel::test
