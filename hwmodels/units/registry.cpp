#include <algorithm>

#include "hwmodels/units/kinds.hpp"

namespace tessel::hw {

const std::vector<UnitKind>& unit_kinds() {
  // The one list of kinds: add a kind here and in kinds.hpp.
  static const std::vector<UnitKind> kinds = [] {
    std::vector<UnitKind> k = {units::aimc_kind(), units::cluster_kind(), units::conv_engine_kind(),
                               units::cpu_kind(), units::pe_array_kind()};
    std::sort(k.begin(), k.end(),
              [](const UnitKind& a, const UnitKind& b) { return a.name < b.name; });
    return k;
  }();
  return kinds;
}

const UnitKind* find_unit_kind(const std::string& name) {
  for (const auto& k : unit_kinds()) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

}  // namespace tessel::hw
