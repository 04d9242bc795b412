#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "calib/calibrate.hpp"
#include "calib/cross_validate.hpp"

// What a calibration reports (the tables of `tessel calibrate`, its --json
// object and tessel.calibrate's frames share these figures).
namespace tessel::calib {

// A calibration with its cross-validation, as `tessel calibrate` and
// tessel.calibrate run it.
struct CalibrationRun {
  Calibration fit;
  std::optional<CrossValidation> cv;
  const CrossValidation* held_out() const { return cv ? &*cv : nullptr; }
};

// Contract: the shipped measurements of the SoC's name (builtin_measurements);
// ConfigError listing the SoCs that have some when it has none.
MeasurementSet shipped_measurements(const hw::Soc& soc);

// Contract: reads the measurement files (none: shipped_measurements), keeps the rows that measure
// `soc`, fits the parameters `names` (default_parameters when empty) and, when asked,
// cross-validates them. Throws ConfigError when no row measures the SoC, and what
// read_measurements, parameters, calibrate and cross_validate throw.
CalibrationRun calibrate_files(std::shared_ptr<const hw::Soc> soc,
                               const std::vector<std::string>& paths,
                               const std::vector<std::string>& names, bool cross_validate);

// The errors of some rows: on the model as it was, as fitted to all rows,
// and held out (rows.size() == 0 there when not cross-validated).
struct GroupErrors {
  std::string name;
  ErrorStats before, after, held_out;
};

// One entry per group of `groups` (by_source or by_group of fit.rows), then
// "all". `cv` may be null.
std::vector<GroupErrors> group_errors(const Calibration& fit, const CrossValidation* cv,
                                      const RowGroups& groups);

// A row's label: its name, or the network of a network row.
std::string row_label(const Measurement& row);

// The tables' figures: a relative error as a signed percentage ("+12.3%"),
// one field of ErrorStats as a percentage ("12.3%", "-" when no rows), and
// ErrorStats as {rows, median, worst} (null when no rows).
std::string signed_percent(double relative);
std::string stat_percent(const ErrorStats& s, double ErrorStats::*field);
nlohmann::ordered_json stats_json(const ErrorStats& s);

// Contract: the whole report as one JSON object: "rows" (file, line, source,
// unit, group, name, kind, fit, measured, before, after, held_out or null),
// "sources" and "groups" (rows, median and worst |error| before, after and
// held out), "params" (path, before, fitted, lo, hi), "folds" (source,
// fitted, values), "iterations", "converged", "out" (the overlay's path or
// null). Field names are stable (docs/calibration.md).
nlohmann::ordered_json report_json(const Calibration& fit, const CrossValidation* cv,
                                   const std::string& out);

}  // namespace tessel::calib
