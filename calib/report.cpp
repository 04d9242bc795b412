#include "calib/report.hpp"

#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "core/errors.hpp"

namespace tessel::calib {
namespace {

using nlohmann::ordered_json;

ordered_json groups_json(const std::vector<GroupErrors>& groups) {
  ordered_json out = ordered_json::array();
  for (const auto& g : groups) {
    out.push_back({{"name", g.name},
                   {"rows", g.before.rows},
                   {"before", stats_json(g.before)},
                   {"after", stats_json(g.after)},
                   {"held_out", stats_json(g.held_out)}});
  }
  return out;
}

}  // namespace

MeasurementSet shipped_measurements(const hw::Soc& soc) {
  auto set = builtin_measurements(soc.name);
  if (set.rows.empty())
    throw ConfigError(fmt::format(
        "SoC '{}' has no shipped measurements (built-in measurement files: {}); name the "
        "measurement files",
        soc.name, fmt::join(builtin_measurement_names(), ", ")));
  return set;
}

CalibrationRun calibrate_files(std::shared_ptr<const hw::Soc> soc,
                               const std::vector<std::string>& paths,
                               const std::vector<std::string>& names, bool cross_validate) {
  const auto set = paths.empty() ? shipped_measurements(*soc) : read_measurements(paths);
  const auto rows = rows_for(*soc, set);
  if (rows.empty())
    throw ConfigError(fmt::format("no row of the measurement files measures SoC '{}'", soc->name));
  const auto params = parameters(*soc, names.empty() ? default_parameters(*soc, set) : names);
  CalibrationRun run{calibrate(soc, rows, params), std::nullopt};
  if (cross_validate) run.cv = calib::cross_validate(soc, rows, params);
  return run;
}

std::vector<GroupErrors> group_errors(const Calibration& fit, const CrossValidation* cv,
                                      const RowGroups& groups) {
  std::vector<GroupErrors> out;
  auto add = [&](const std::string& name, const std::vector<std::size_t>& which) {
    GroupErrors g;
    g.name = name;
    g.before = error_stats(fit.before, fit.rows, which);
    g.after = error_stats(fit.after, fit.rows, which);
    if (cv) g.held_out = error_stats(cv->held_out, fit.rows, held_out_rows(*cv, which));
    out.push_back(std::move(g));
  };
  for (const auto& [name, which] : groups)
    add(name, which);
  std::vector<std::size_t> all(fit.rows.size());  // the groups partition the rows
  std::iota(all.begin(), all.end(), std::size_t{0});
  add("all", all);
  return out;
}

std::string signed_percent(double relative) {
  if (!(std::abs(100 * relative) >= 0.05)) return "0.0%";  // never "-0.0%"
  return fmt::format("{:+.1f}%", 100 * relative);
}

std::string stat_percent(const ErrorStats& s, double ErrorStats::*field) {
  return s.rows ? fmt::format("{:.1f}%", 100 * (s.*field)) : "-";
}

ordered_json stats_json(const ErrorStats& s) {
  if (s.rows == 0) return nullptr;
  return {{"rows", s.rows}, {"median", s.median}, {"worst", s.worst}};
}

std::string row_label(const Measurement& row) {
  return row.kind == RowKind::network ? row.network : row.name;
}

ordered_json report_json(const Calibration& fit, const CrossValidation* cv,
                         const std::string& out) {
  ordered_json j;
  j["rows"] = ordered_json::array();
  for (std::size_t i = 0; i < fit.rows.size(); ++i) {
    const auto& r = fit.rows[i];
    const bool held = cv && !std::isnan(cv->held_out[i]);
    j["rows"].push_back({{"file", r.file},
                         {"line", r.line},
                         {"source", r.source},
                         {"unit", r.unit},
                         {"group", row_group(r)},
                         {"name", row_label(r)},
                         {"kind", r.kind == RowKind::network ? "network" : "layer"},
                         {"fit", r.fit},
                         {"measured", r.cycles},
                         {"before", fit.before[i]},
                         {"after", fit.after[i]},
                         {"held_out", held ? ordered_json(cv->held_out[i]) : ordered_json()}});
  }
  j["sources"] = groups_json(group_errors(fit, cv, by_source(fit.rows)));
  j["groups"] = groups_json(group_errors(fit, cv, by_group(fit.rows)));
  j["params"] = ordered_json::array();
  for (std::size_t p = 0; p < fit.params.size(); ++p) {
    const auto& x = fit.params[p];
    j["params"].push_back({{"path", x.path},
                           {"before", x.initial},
                           {"fitted", fit.values[p]},
                           {"lo", x.lo},
                           {"hi", x.hi}});
  }
  j["folds"] = ordered_json::array();
  if (cv) {
    for (const auto& f : cv->folds)
      j["folds"].push_back({{"source", f.source}, {"fitted", f.fitted}, {"values", f.values}});
  }
  j["iterations"] = fit.iterations;
  j["converged"] = fit.converged;
  j["out"] = out.empty() ? ordered_json(nullptr) : ordered_json(out);
  return j;
}

}  // namespace tessel::calib
