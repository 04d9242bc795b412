#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.hpp"

// Pareto analysis of sweeps (`tessel pareto`, tessel.pareto() in Python).
namespace tessel::driver {

// A sweep point's totals over its networks (or over one of them).
struct PointTotal {
  const store::SweepPointRow* row = nullptr;
  bool feasible = true;  // every network mapped
  double cycles = 0, energy_uj = 0;
  std::optional<double> area_mm2;
};

// Contract: per point, the sums over its networks' rows (only `model`'s when
// given; ConfigError naming it, with the networks there are, when no point
// has it).
std::vector<PointTotal> point_totals(const std::vector<store::SweepPointRow>& rows,
                                     const std::string& model = {});

// The axes a front can use: cycles, energy_uj, area_mm2.
const std::vector<std::string>& pareto_axes();
// A total's value on an axis (nullopt: unknown, such as a missing area).
// Throws ConfigError naming an unknown axis with the known ones.
std::optional<double> axis_value(const PointTotal& t, std::string_view axis);

// Contract: the indices (ascending) of the rows of `values` (each a vector
// of the same length, to be minimised) that no other row dominates (no
// worse on every axis and better on one). Equal rows are all kept.
std::vector<std::size_t> pareto_front(const std::vector<std::vector<double>>& values);

}  // namespace tessel::driver
