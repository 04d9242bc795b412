#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/graph.hpp"
#include "core/schedule.hpp"
#include "sim/event_sim.hpp"

// Workflows that replay schedules in the event simulator next to the
// analytical model, shared by `tessel simulate` / `tessel validate` and the
// Python package (docs/architecture.md, "Driver").
namespace tessel::driver {

// The schedule with only the steps that run `layer`; throws MappingError
// when the graph has no such layer.
NetworkSchedule only_layer(const NetworkSchedule& schedule, const Graph& graph,
                           const std::string& layer);

// A stored schedule of `graph` on `soc`, read from the results database at
// `path`, its units resolved by name. Throws MappingError when it maps
// another network, was made for another description of the SoC, or names a
// unit the SoC lacks; StoreError when it cannot be read.
NetworkSchedule load_schedule(const std::string& path, std::int64_t id, const Graph& graph,
                              const hw::Soc& soc);

// The network a stored schedule maps, loaded from where its run read it
// (the built-in model's name, or the ONNX file's path). Throws StoreError when
// the schedule does not exist or the run did not record a source, IoError when
// the ONNX file is gone, MappingError when the source now gives another
// network.
Graph stored_network(const std::string& path, std::int64_t id);

// One replayed part: the analytical cycles (with its step's layout
// conversion) next to the simulated ones (for a concurrent part, its own
// time alone next to its time beside the other parts).
struct ReplayRow {
  std::string layer, unit;
  double analytical = 0, simulated = 0;
};

// A step of more than one part as a whole (the step's cycles, layout
// conversion, contention and synchronisation included): the parts of a
// fused step (a channel-sliced chain) overlap at their seams in the
// simulator, those of a concurrent step (a split layer) wait for each
// other's transfers, so only the step's total compares like for like.
struct ReplayStep {
  std::string kind;                               // step_kind_name
  std::vector<std::string> layers;                // its distinct layers, in order
  std::size_t step = 0, first_row = 0, rows = 0;  // rows [first_row, first_row + rows)
  double analytical = 0, simulated = 0;
};

struct Replay {
  sim::SimResult result;
  std::vector<ReplayRow> rows;    // one per part, in step order
  std::vector<ReplayStep> steps;  // the steps of more than one part
  double analytical_total = 0;
};

// Replays a schedule of `graph` and sets the model's figures beside the
// simulator's; with `trace`, writes a Chrome / Perfetto trace there (the
// simulator must keep its jobs).
Replay replay(const sim::EventSim& es, const hw::Soc& soc, const Graph& graph,
              const NetworkSchedule& schedule, const std::string& trace = "");

// (analytical - simulated) / simulated, in percent (0 when nothing was simulated).
double percent_error(double analytical, double simulated);

// The model's error against the simulator over random legal candidates of
// every (layer, unit) pair of a graph: |error| percent sorted, and the mean
// signed error.
struct Validation {
  std::vector<double> abs_errors;
  double mean_error = 0;
};
Validation validate(const sim::Analytical& model, const sim::EventSim& es, const Graph& graph,
                    std::size_t samples, std::uint64_t seed, std::int64_t max_tiles);

}  // namespace tessel::driver
