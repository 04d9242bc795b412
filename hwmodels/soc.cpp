#include "hwmodels/soc.hpp"

namespace tessel::hw {

std::optional<int> Soc::find_level(const std::string& level_name) const {
  for (std::size_t i = 0; i < levels.size(); ++i) {
    if (levels[i].name == level_name) return static_cast<int>(i);
  }
  return std::nullopt;
}

std::optional<int> Soc::find_unit(const std::string& unit_name) const {
  for (std::size_t i = 0; i < units.size(); ++i) {
    if (units[i].name == unit_name) return static_cast<int>(i);
  }
  return std::nullopt;
}

const DmaEngine* Soc::dma_for(int src, int dst) const {
  for (const auto& d : dmas) {
    for (const auto& [s, t] : d.links) {
      if (s == src && t == dst) return &d;
    }
  }
  return nullptr;
}

}  // namespace tessel::hw
