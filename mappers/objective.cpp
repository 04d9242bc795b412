#include "mappers/objective.hpp"

#include <fmt/format.h>

#include "core/errors.hpp"

namespace tessel::mappers {

std::string_view objective_name(Objective o) {
  switch (o) {
    case Objective::latency:
      return "latency";
    case Objective::energy:
      return "energy";
    case Objective::edp:
      return "edp";
  }
  return "?";
}

Objective parse_objective(std::string_view text) {
  for (auto o : {Objective::latency, Objective::energy, Objective::edp}) {
    if (text == objective_name(o)) return o;
  }
  throw ConfigError(fmt::format("unknown objective '{}' (latency, energy, edp)", text));
}

}  // namespace tessel::mappers
