#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "sim/event_sim.hpp"
#include "sim/nests.hpp"

// The job graph of an event-simulation replay (event_sim.cpp runs it):
// DMA jobs and compute jobs with their dependencies, built nest by nest from
// a schedule's mappings.
namespace tessel::sim {

inline constexpr int kNoJob = -1;

// A job while it is being simulated.
struct EventJob {
  SimJob info;
  double duration = 0;
  std::array<int, 3> ports{kNoJob, kNoJob, kNoJob};  // memory-level resources it also holds
  int waiting = 0;                                   // unfinished dependencies
  double ready = 0;                                  // when the last dependency finished
  StallCause cause = StallCause::engine_busy;        // what it waited for last
  std::uint32_t first_succ = 0, succs = 0;           // successor range in the edge list
  std::uint32_t program = 0;                         // the program (unit control flow) issuing it
  double issued = 0;                                 // when its program issued it
};

// What a nest's run hands the nest above it (docs/cost-model.md, "Several
// loop nests"): per operand, the last job reading the source buffer it was
// given (a fetch of I or W, a read-back of O), the last write-back into the
// source's output buffer, and the last computation.
struct NestRun {
  std::array<int, kNumOperands> last_read{kNoJob, kNoJob, kNoJob};
  int last_writeback = kNoJob;
  int last_compute = kNoJob;
};

// What the nest above tells a nest's run: per operand, the job after which
// its source buffer holds the tile (kNoJob: the home level, always ready),
// the job after which the source's output buffer may be written, and the job
// after which the run may start at all (a single-buffered output of the nest
// above is written back before the next run begins: its step is the run).
struct NestSources {
  std::array<int, kNumOperands> ready{kNoJob, kNoJob, kNoJob};
  int output_free = kNoJob;
  int start = kNoJob;
};

struct JobGraph {
  const hw::Soc& soc;
  std::vector<EventJob> jobs;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> edges;  // (from, to)
  std::vector<ResourceUse> resources;
  int engine_base = 0, unit_base = 0, level_base = 0;
  std::vector<std::uint32_t> layer_first;  // first job of each layer
  std::vector<std::uint32_t> step_first;   // first layer of each schedule step
  std::vector<int> after;                  // the jobs the next layer's launch waits for
  int last_compute = kNoJob;               // the last computation of the last layer built
  std::uint32_t program = 0;               // program of the jobs being added
  std::uint32_t programs = 1;

  explicit JobGraph(const hw::Soc& s);
  int engine_resource(const hw::DmaEngine* e) const;
  int add(SimJob info, double duration, std::array<int, 3> ports, std::initializer_list<int> deps);
  void depend(int job, int on);

  // Replays one layer mapping (its nests resolved in `chain`) as jobs, in the
  // order the unit's program issues them.
  void layer(NestChain& chain, const Mapping& m, std::uint32_t layer_index, double before_cycles);
  // The synchronisation of a concurrent step's parts (on its first part's
  // unit), after all of them; what follows waits for it.
  void sync(const ScheduleStep& step, std::uint32_t layer_index);

 private:
  struct NestReplay;
};

}  // namespace tessel::sim
