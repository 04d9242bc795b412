#pragma once

#include <vector>

#include "core/cost.hpp"
#include "core/mapping.hpp"
#include "hwmodels/soc.hpp"
#include "sim/analytical.hpp"

// Parts of one concurrent step (a split layer's slices on several units)
// share the SoC's DMA engines and memory ports (docs/cost-model.md,
// "Concurrent parts"): what each part asks of them, and the cycles sharing
// adds to the slowest part.
namespace tessel::sim {

// One transfer a part issues when its launch ends, before its first
// computation: the prologue's first fetches (which the computation waits
// for) and the double-buffered fetches of the next step issued in their
// shadow.
struct BurstTransfer {
  int engine = 0;  // index into Soc::dmas
  double cycles = 0;
  bool awaited = false;  // the first computation waits for it
};

// What one part asks of the shared resources over its run.
struct PartDemand {
  double cycles = 0;                 // the part's own time, alone on the SoC
  double launch = 0;                 // its launch, before its first transfer
  double steps = 1;                  // tile steps of its innermost nest
  double work = 0;                   // the unit's time per step (compute and tile overhead)
  bool pipelined = false;            // some input double-buffered: its fetches overlap the work
  std::vector<BurstTransfer> burst;  // in the order the part issues them
  std::vector<double> engine;        // per DMA engine: cycles it moves the part's bytes
  std::vector<double> port;          // per memory level: cycles x ports its jobs hold there
  std::vector<double> moved;         // per memory level: cycles of its transfers touching it
  std::vector<bool> held;            // per memory level: its computation holds a port there
  double unit_busy = 0;              // cycles its unit computes (tile overheads included)
  double hidden = 0;                 // share of its DMA time hidden behind its computation
};

// The demand of a part running `m` (with cost `c`, evaluated alone): each
// engine's share of the mapping's DMA busy time (Cost::dma_busy_cycles split
// over the engines in proportion to bytes / bandwidth of their routes), a
// port of both levels of every transfer, and the unit's computation holding
// a port of each level it reads for its compute and per-tile time.
PartDemand part_demand(const Analytical& model, const LayerContext& ctx, const Mapping& m,
                       const Cost& c);

// The cycles concurrent parts take beyond the slowest of them. All start
// together; a shared engine serves the bursts the parts issue at the end
// of their launches first come, first served (earlier launch first, then
// the parts' order), so a part whose prologue waits behind another's burst
// starts computing late by that wait. Over the whole step, each shared
// engine serves every part's transfers one after another (the sum of their
// busy times) and each level serves `ports` jobs at a time (the sum of the
// port time over the ports); the step lasts at least as long as the most
// loaded of these, and at least as long as each part delayed by its wait
// and by the ports the other parts' computations hold (a transfer into a
// level whose every port is held by computations waits for one to end).
// 0 when nothing is shared.
double contention_cycles(const hw::Soc& soc, const std::vector<const PartDemand*>& parts);

}  // namespace tessel::sim
