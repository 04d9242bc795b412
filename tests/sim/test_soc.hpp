#pragma once

#include <memory>

#include "hwmodels/soc.hpp"
#include "hwmodels/unit_model.hpp"

// A unit whose timing is easy to count by hand: `macs_per_cycle` nest ops per
// cycle, energy_per_mac pJ per op, the spec's launch and per-tile overheads.
class CountingUnit : public tessel::hw::UnitModel {
 public:
  CountingUnit(tessel::hw::UnitSpec spec, double macs_per_cycle)
      : UnitModel(std::move(spec)), rate_(macs_per_cycle) {
    tessel::hw::Unrolling u;
    u.name = "none";
    unrollings_ = {u};
  }
  double tile_cycles(const tessel::Layer&, const tessel::DimArray& tile, int) const override {
    double ops = 1;
    for (auto e : tile)
      ops *= static_cast<double>(e);
    return ops / rate_;
  }

 private:
  double rate_;
};

// Options of the hand-countable SoC.
struct TestSocOptions {
  double dma_bandwidth = 4;  // B/cycle
  std::int64_t l1_size = 4096;
  double l2_leakage = 0;  // mW
  int l1_ports = 2;       // DMA and unit access L1 at once
};

// L2 (home, 1 MiB, 8 B/cycle, 2 pJ/B) <-> DMA (4 B/cycle, 10 cycles setup,
// 2 cycles per extra row, 2-D, 0.1 pJ/B) <-> L1 (4 KiB, 16 B/cycle, 0.5 pJ/B)
// (2 ports) read by one CountingUnit "u" at 2 ops/cycle, 1 pJ/op, launch 100,
// 5 per tile.
// Clock 100 MHz.
inline std::shared_ptr<const tessel::hw::Soc> make_test_soc(const TestSocOptions& o = {}) {
  using namespace tessel::hw;
  auto soc = std::make_shared<Soc>();
  soc->name = "test";
  soc->frequency = 100e6;
  MemoryLevel l2{"L2", 1 << 20, 8, 8, 2.0, 2.0, 1, 0, o.l2_leakage, {}};
  MemoryLevel l1{"L1", o.l1_size, 16, 16, 0.5, 0.5, o.l1_ports, 0, 0, {"u"}};
  soc->levels = {l2, l1};
  DmaEngine dma;
  dma.name = "dma";
  dma.links = {{0, 1}, {1, 0}};
  dma.bandwidth = o.dma_bandwidth;
  dma.setup_cycles = 10;
  dma.row_cycles = 2;
  dma.dims = 2;
  dma.energy = 0.1;
  soc->dmas = {dma};
  UnitSpec u;
  u.name = "u";
  u.kind = "counting";
  u.ops = {tessel::OpKind::conv,  tessel::OpKind::pointwise, tessel::OpKind::depthwise,
           tessel::OpKind::dense, tessel::OpKind::add,       tessel::OpKind::max_pool};
  u.operand_level = {1, 1, 1};
  u.energy_per_mac = 1.0;
  u.launch_cycles = 100;
  u.tile_overhead_cycles = 5;
  soc->units = {u};
  soc->models = {std::make_shared<CountingUnit>(u, 2.0)};
  soc->weights_home = 0;
  soc->activations_home = 0;
  return soc;
}
