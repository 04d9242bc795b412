#include "driver/pareto.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "core/errors.hpp"

namespace tessel::driver {

std::vector<PointTotal> point_totals(const std::vector<store::SweepPointRow>& rows,
                                     const std::string& model) {
  std::vector<PointTotal> out;
  bool found = model.empty();
  std::vector<std::string> names;
  for (const auto& r : rows) {
    PointTotal t;
    t.row = &r;
    t.area_mm2 = r.area_mm2;
    for (const auto& m : r.models) {
      if (std::find(names.begin(), names.end(), m.model) == names.end()) names.push_back(m.model);
      if (!model.empty() && m.model != model) continue;
      found = true;
      t.feasible = t.feasible && m.ok;
      t.cycles += m.cycles;
      t.energy_uj += m.energy_uj;
    }
    out.push_back(t);
  }
  if (!found) {
    std::string list;
    for (const auto& n : names)
      list += (list.empty() ? "" : ", ") + n;
    throw ConfigError(fmt::format("the sweep has no network '{}' (networks: {})", model,
                                  list.empty() ? "none" : list));
  }
  return out;
}

const std::vector<std::string>& pareto_axes() {
  static const std::vector<std::string> axes = {"cycles", "energy_uj", "area_mm2"};
  return axes;
}

std::optional<double> axis_value(const PointTotal& t, std::string_view axis) {
  if (axis == "cycles") return t.cycles;
  if (axis == "energy_uj") return t.energy_uj;
  if (axis == "area_mm2") return t.area_mm2;
  throw ConfigError(fmt::format("unknown axis '{}'; axes: cycles, energy_uj, area_mm2", axis));
}

std::vector<std::size_t> pareto_front(const std::vector<std::vector<double>>& v) {
  // Sorted by the first axis (then the others), a row can only be dominated
  // by rows before it: one pass against the front found so far.
  std::vector<std::size_t> order(v.size());
  for (std::size_t i = 0; i < v.size(); ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return v[a] != v[b] ? v[a] < v[b] : a < b; });
  auto dominates = [&](std::size_t a, std::size_t b) {
    bool better = false;
    for (std::size_t k = 0; k < v[a].size(); ++k) {
      if (v[a][k] > v[b][k]) return false;
      better = better || v[a][k] < v[b][k];
    }
    return better;
  };
  std::vector<std::size_t> front;
  for (std::size_t i : order) {
    if (std::none_of(front.begin(), front.end(), [&](std::size_t f) { return dominates(f, i); }))
      front.push_back(i);
  }
  std::sort(front.begin(), front.end());
  return front;
}

}  // namespace tessel::driver
