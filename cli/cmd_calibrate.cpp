// `tessel calibrate`: fits SoC parameters to measured cycles and writes an
// overlay SoC file (docs/calibration.md).

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "calib/calibrate.hpp"
#include "calib/cross_validate.hpp"
#include "calib/report.hpp"
#include "cli/commands.hpp"
#include "cli/table.hpp"
#include "core/errors.hpp"
#include "hwmodels/soc_loader.hpp"

namespace tessel::cli {
namespace {

struct CalibrateOptions {
  std::string soc = "gap9";
  std::vector<std::string> measurements;
  std::vector<std::string> params;
  std::string out;
  bool json = false;
  bool cross_validate = false;
};

// Median and worst |error| per group, before, after and (cross-validated)
// held out.
std::string errors_table(const std::string& what, const std::vector<calib::GroupErrors>& groups,
                         bool held_out) {
  std::vector<std::string> head = {what,           "rows",         "median |error| before",
                                   "worst before", "median after", "worst after"};
  if (held_out) {
    head.push_back("median held out");
    head.push_back("worst held out");
  }
  std::vector<bool> right(head.size(), true);
  right[0] = false;
  Table t(head, right);
  using S = calib::ErrorStats;
  for (const auto& g : groups) {
    std::vector<std::string> row = {g.name,
                                    std::to_string(g.before.rows),
                                    calib::stat_percent(g.before, &S::median),
                                    calib::stat_percent(g.before, &S::worst),
                                    calib::stat_percent(g.after, &S::median),
                                    calib::stat_percent(g.after, &S::worst)};
    if (held_out) {
      row.push_back(calib::stat_percent(g.held_out, &S::median));
      row.push_back(calib::stat_percent(g.held_out, &S::worst));
    }
    t.row(row);
  }
  return t.str();
}

std::string report_text(const calib::Calibration& fit, const calib::CrossValidation* cv) {
  std::vector<std::string> head = {"row",      "source", "unit",  "name",  "fit",
                                   "measured", "before", "error", "after", "error"};
  if (cv) {
    head.push_back("held out");
    head.push_back("error");
  }
  std::vector<bool> right(head.size(), true);
  right[0] = right[1] = right[2] = right[3] = right[4] = false;
  Table rows(head, right);
  for (std::size_t i = 0; i < fit.rows.size(); ++i) {
    const auto& r = fit.rows[i];
    std::vector<std::string> row = {
        r.where(),
        r.source,
        r.unit,
        calib::row_label(r),
        r.fit ? "yes" : "no",
        fmt::format("{:.0f}", r.cycles),
        fmt::format("{:.0f}", fit.before[i]),
        calib::signed_percent(calib::relative_error(fit.before[i], r.cycles)),
        fmt::format("{:.0f}", fit.after[i]),
        calib::signed_percent(calib::relative_error(fit.after[i], r.cycles))};
    if (cv) {
      const double h = cv->held_out[i];
      const bool held = !std::isnan(h);
      row.push_back(held ? fmt::format("{:.0f}", h) : "-");
      row.push_back(held ? calib::signed_percent(calib::relative_error(h, r.cycles)) : "-");
    }
    rows.row(row);
  }
  Table params({"parameter", "before", "fitted", "bounds"}, {false, true, true, false});
  for (std::size_t j = 0; j < fit.params.size(); ++j) {
    const auto& p = fit.params[j];
    params.row({p.path, fmt::format("{:.6g}", p.initial), fmt::format("{:.6g}", fit.values[j]),
                fmt::format("[{:.6g}, {:.6g}]", p.lo, p.hi)});
  }
  std::string folds;
  if (cv) {
    for (const auto& f : cv->folds) {
      if (!f.fitted)
        folds += fmt::format(
            "source {} not held out: the other rows are fewer than the {} "
            "parameters\n",
            f.source, fit.params.size());
    }
  }
  const bool held = cv != nullptr;
  return rows.str() + "\n" +
         errors_table("source", calib::group_errors(fit, cv, calib::by_source(fit.rows)), held) +
         "\n" +
         errors_table("unit", calib::group_errors(fit, cv, calib::by_group(fit.rows)), held) +
         "\n" + params.str() + folds +
         fmt::format("{} after {} iterations\n",
                     fit.converged ? "converged" : "stopped without converging", fit.iterations);
}

// Writes `text` to `path` whole or not at all (a temporary file renamed).
void write_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw IoError(fmt::format("cannot write '{}'", path));
    f << text;
    f.flush();
    if (!f) throw IoError(fmt::format("cannot write '{}'", path));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw IoError(fmt::format("cannot write '{}'", path));
  }
}

void run_calibrate(const CalibrateOptions& o) {
  const auto soc = hw::load_soc(o.soc);
  const auto run = calib::calibrate_files(soc, o.measurements, o.params, o.cross_validate);
  const auto& fit = run.fit;
  const calib::CrossValidation* held = run.held_out();
  // A built-in base by name, a file by its absolute path.
  const std::string base = hw::builtin_soc_text(o.soc)
                               ? o.soc
                               : std::filesystem::absolute(o.soc).lexically_normal().string();
  if (!o.out.empty()) {
    const auto text = calib::overlay_yaml(*soc, base, fit);
    (void)hw::load_soc_text(text, o.out);  // it loads as it is written
    write_atomically(o.out, text);
  }
  emit(o.json ? calib::report_json(fit, held, o.out).dump(2) + "\n"
              : report_text(fit, held) + (o.out.empty() ? "" : fmt::format("wrote {}\n", o.out)));
}

}  // namespace

void add_calibrate_command(CLI::App& app, Action& action) {
  auto o = std::make_shared<CalibrateOptions>();
  auto* c = app.add_subcommand(
      "calibrate",
      "Fit SoC parameters to measured cycles (least squares on relative error, within bounds) "
      "and write the fitted values as an overlay SoC file");
  c->add_option("--soc", o->soc, "Built-in target name, or path to a .yaml file")
      ->capture_default_str();
  c->add_option("--measurements", o->measurements,
                "Measurement CSV files (docs/calibration.md); default: the shipped measurements "
                "of the SoC's name (hwmodels/measurements/<name>.csv)")
      ->expected(1, -1);
  c->add_option("--params", o->params,
                "Parameters to fit, comma-separated: UNIT.KEY, UNIT.params.NAME, DMA.KEY, "
                "MEMORY.KEY, each optionally =LO:HI (default bounds: 1/10 to 10 times the value; "
                "default parameters: launch and tile_overhead of the measured units)")
      ->delimiter(',');
  c->add_option("--out", o->out,
                "Write the overlay SoC file here (base: the SoC, set: the fitted values); "
                "usable as --soc");
  c->add_flag("--cross-validate", o->cross_validate,
              "Also fit once per source without its rows and report the error on the rows "
              "held out (leave-one-source-out), per row, source and unit");
  c->add_flag("--json", o->json, "Print one JSON object instead of the tables");
  c->callback([&action, o] { action = [o] { run_calibrate(*o); }; });
}

}  // namespace tessel::cli
