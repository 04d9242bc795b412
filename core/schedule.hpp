#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/cost.hpp"
#include "core/mapping.hpp"

namespace tessel {

// The chosen execution of one layer: its unit, mapping and predicted cost,
// plus what running it after its producers costs (layout conversions).
struct LayerSchedule {
  std::string layer;      // layer name in the graph
  std::size_t index = 0;  // layer index in the graph's order
  int unit = 0;
  std::string unit_name;
  Mapping mapping;
  Cost cost;
  double transition_cycles = 0;  // layout conversion before this layer
  double transition_energy = 0;  // pJ
};

// A whole network's schedule on one SoC: one entry per layer in execution
// order and the totals of a sequential execution.
struct NetworkSchedule {
  std::string network;
  std::string soc;
  std::uint64_t soc_hash = 0;
  std::string objective;
  std::string mapper;
  std::vector<LayerSchedule> layers;
  double cycles = 0;     // sum of layer cycles and transitions
  double energy = 0;     // pJ
  double frequency = 0;  // Hz of the SoC clock
  std::vector<std::string> level_names;
  std::vector<std::int64_t> peak_bytes;  // per memory level, the largest over layers
};

}  // namespace tessel
