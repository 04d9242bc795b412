#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/graph.hpp"
#include "core/schedule.hpp"
#include "sim/analytical.hpp"

namespace tessel::sim {

struct JobGraph;  // event_builder.hpp

// What a job waited for before it could start.
enum class StallCause : std::uint8_t {
  input_fetch,    // compute waited for its input tile
  weight_fetch,   // compute waited for its weight tile
  output_buffer,  // compute waited for its output buffer to be written back / read back
  buffer_busy,    // a transfer waited for its buffer to be consumed
  engine_busy,    // a job waited for its DMA engine or unit (shared resource)
  memory_port,    // a job waited for a port of a memory level
  launch,         // the first transfers waited for the layer launch
  queue_full,     // a program waited to issue a transfer: the engine queue was full
  count_,
};
std::string_view stall_cause_name(StallCause c);

// One job of a replay, as recorded in the trace.
struct SimJob {
  // sync: the synchronisation of the concurrent parts of a step, after all of them.
  enum class Kind : std::uint8_t { launch, fetch, compute, writeback, readback, sync };
  Kind kind = Kind::compute;
  int resource = 0;          // index into SimResult::resources
  std::uint32_t layer = 0;   // index in the schedule
  std::uint32_t step = 0;    // tile step within the layer
  std::uint8_t operand = 0;  // I, W, O for transfers
  double bytes = 0;
  double start = 0, end = 0;  // cycles
};
std::string_view job_kind_name(SimJob::Kind k);

// Busy time of one resource (a DMA engine, a compute unit, a memory level's ports).
struct ResourceUse {
  std::string name;
  std::string kind;  // "dma", "unit", "memory"
  int capacity = 1;  // jobs served at once (ports for a memory level)
  double busy = 0;   // cycles with at least one job (sum over port-jobs / capacity for memories)
  double utilisation = 0;
  std::uint64_t jobs = 0;
};

// The outcome of a replay.
struct SimResult {
  double cycles = 0;
  std::vector<ResourceUse> resources;
  std::array<double, static_cast<std::size_t>(StallCause::count_)> stalls{};  // cycles per cause
  std::vector<double> layer_cycles;  // per layer of the schedule (end - start)
  // Per step of a replayed schedule (end - start over its layers' jobs): the
  // parts of a fused step overlap at their seams (a part's first fetch waits
  // for the write-back tail of the one before), so its layers' cycles do not
  // add up to it.
  std::vector<double> step_cycles;
  std::vector<SimJob> jobs;  // every job, when the options keep them
  std::uint64_t events = 0;  // job starts and ends processed
};

struct EventSimOptions {
  bool keep_jobs = false;  // keep every job (for traces)
};

// A cycle-approximate discrete-event simulator (DESIGN.md, sim/): replays
// mappings as DMA jobs and compute jobs on the SoC's resources. DMA engines
// serve their jobs one at a time in the order they become ready (queue depth:
// the engine's channels); a transfer needs a port of its source and
// destination levels, a compute job a port of each level its unit reads;
// buffers impose fill-before-read (compute waits for the fetch of its tiles)
// and consume-before-overwrite (a fetch into a buffer waits until the
// compute that used the buffer's previous content finished; an output buffer
// is reused only after its write-back). Every tile is replayed with its exact
// extents (remainders included). Layers run one after the other.
class EventSim {
 public:
  EventSim(std::shared_ptr<const hw::Soc> soc, EventSimOptions options = {});

  // Replays one layer mapping.
  SimResult simulate(const LayerContext& ctx, const Mapping& m) const;
  // Replays a network schedule: every layer of `graph` with its chosen unit
  // and mapping, one after the other (layout conversions as unit time).
  SimResult simulate(const Graph& graph, const NetworkSchedule& schedule) const;
  // Replays several layer mappings that start together on their units (e.g.
  // parts of a split layer), contending for shared DMA engines and memory
  // ports. Result layers are in the given order.
  SimResult simulate_concurrent(
      const std::vector<std::pair<const LayerContext*, Mapping>>& parts) const;

 private:
  SimResult run(JobGraph& graph) const;
  std::shared_ptr<const hw::Soc> soc_;
  Analytical model_;
  EventSimOptions options_;
};

// Writes the jobs of a replay as a Chrome / Perfetto trace (JSON object with
// "traceEvents": one complete event per job, one track per resource; times
// in microseconds at the SoC clock). Throws IoError when the file cannot be
// written.
void write_trace(const SimResult& result, const hw::Soc& soc,
                 const std::vector<std::string>& layer_names, const std::string& path);

}  // namespace tessel::sim
