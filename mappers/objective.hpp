#pragma once

#include <string>
#include <string_view>

#include "core/cost.hpp"

namespace tessel::mappers {

// What a search minimises.
enum class Objective { latency, energy, edp };

std::string_view objective_name(Objective o);
// Parses "latency", "energy", "edp"; throws ConfigError otherwise.
Objective parse_objective(std::string_view text);

// The scalar a search minimises for a cost (cycles, pJ, or cycles x pJ).
inline double score(Objective o, const Cost& c) {
  switch (o) {
    case Objective::latency:
      return c.cycles;
    case Objective::energy:
      return c.energy;
    case Objective::edp:
      return c.cycles * c.energy;
  }
  return c.cycles;
}

// The same from lower bounds of cycles and energy (valid bound: every
// objective is monotone in both).
inline double score_bound(Objective o, double cycles, double energy) {
  switch (o) {
    case Objective::latency:
      return cycles;
    case Objective::energy:
      return energy;
    case Objective::edp:
      return cycles * energy;
  }
  return cycles;
}

}  // namespace tessel::mappers
