// `tessel calibrate`: fits SoC parameters to measured cycles and writes an
// overlay SoC file (docs/calibration.md).

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "calib/calibrate.hpp"
#include "cli/commands.hpp"
#include "cli/table.hpp"
#include "core/errors.hpp"
#include "hwmodels/soc_loader.hpp"

namespace tessel::cli {
namespace {

using nlohmann::ordered_json;

struct CalibrateOptions {
  std::string soc = "gap9";
  std::vector<std::string> measurements;
  std::vector<std::string> params;
  std::string out;
  bool json = false;
};

std::string percent(double e) {
  return fmt::format("{:+.1f}%", 100 * e);
}

// Row indices per source, in the order sources first appear.
std::vector<std::pair<std::string, std::vector<std::size_t>>> by_source(
    const std::vector<calib::Measurement>& rows) {
  std::vector<std::pair<std::string, std::vector<std::size_t>>> out;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const auto& s) { return s.first == rows[i].source; });
    if (it == out.end()) it = out.insert(out.end(), {rows[i].source, {}});
    it->second.push_back(i);
  }
  return out;
}

std::string label(const calib::Measurement& r) {
  return r.kind == calib::RowKind::network ? r.network : r.name;
}

std::string report_text(const calib::Calibration& fit) {
  Table rows({"row", "source", "unit", "name", "measured", "before", "error", "after", "error"},
             {false, false, false, false, true, true, true, true, true});
  for (std::size_t i = 0; i < fit.rows.size(); ++i) {
    const auto& r = fit.rows[i];
    rows.row({r.where(), r.source, r.unit, label(r), fmt::format("{:.0f}", r.cycles),
              fmt::format("{:.0f}", fit.before[i]),
              percent(calib::relative_error(fit.before[i], r.cycles)),
              fmt::format("{:.0f}", fit.after[i]),
              percent(calib::relative_error(fit.after[i], r.cycles))});
  }
  Table sources(
      {"source", "rows", "median |error| before", "worst before", "median after", "worst after"},
      {false, true, true, true, true, true});
  std::vector<std::size_t> all(fit.rows.size());
  for (std::size_t i = 0; i < all.size(); ++i)
    all[i] = i;
  auto add = [&](const std::string& name, const std::vector<std::size_t>& which) {
    const auto b = calib::error_stats(fit.before, fit.rows, which);
    const auto a = calib::error_stats(fit.after, fit.rows, which);
    sources.row({name, std::to_string(b.rows), fmt::format("{:.1f}%", 100 * b.median),
                 fmt::format("{:.1f}%", 100 * b.worst), fmt::format("{:.1f}%", 100 * a.median),
                 fmt::format("{:.1f}%", 100 * a.worst)});
  };
  for (const auto& [name, which] : by_source(fit.rows))
    add(name, which);
  add("all", all);
  Table params({"parameter", "before", "fitted", "bounds"}, {false, true, true, false});
  for (std::size_t j = 0; j < fit.params.size(); ++j) {
    const auto& p = fit.params[j];
    params.row({p.path, fmt::format("{:.6g}", p.initial), fmt::format("{:.6g}", fit.values[j]),
                fmt::format("[{:.6g}, {:.6g}]", p.lo, p.hi)});
  }
  return rows.str() + "\n" + sources.str() + "\n" + params.str() +
         fmt::format("{} after {} iterations\n",
                     fit.converged ? "converged" : "stopped without converging", fit.iterations);
}

ordered_json report_json(const calib::Calibration& fit, const std::string& out) {
  ordered_json j;
  j["rows"] = ordered_json::array();
  for (std::size_t i = 0; i < fit.rows.size(); ++i) {
    const auto& r = fit.rows[i];
    j["rows"].push_back({{"file", r.file},
                         {"line", r.line},
                         {"source", r.source},
                         {"unit", r.unit},
                         {"name", label(r)},
                         {"kind", r.kind == calib::RowKind::network ? "network" : "layer"},
                         {"measured", r.cycles},
                         {"before", fit.before[i]},
                         {"after", fit.after[i]}});
  }
  j["params"] = ordered_json::array();
  for (std::size_t p = 0; p < fit.params.size(); ++p) {
    const auto& x = fit.params[p];
    j["params"].push_back({{"path", x.path},
                           {"before", x.initial},
                           {"fitted", fit.values[p]},
                           {"lo", x.lo},
                           {"hi", x.hi}});
  }
  j["iterations"] = fit.iterations;
  j["converged"] = fit.converged;
  j["out"] = out.empty() ? ordered_json(nullptr) : ordered_json(out);
  return j;
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
  const auto set = calib::read_measurements(o.measurements);
  const auto rows = calib::rows_for(*soc, set);
  if (rows.empty())
    throw ConfigError(fmt::format("no row of the measurement files measures SoC '{}'", soc->name));
  const auto names = o.params.empty() ? calib::default_parameters(*soc, set) : o.params;
  const auto fit = calib::calibrate(soc, rows, calib::parameters(*soc, names));
  // A built-in base by name, a file by its absolute path.
  const std::string base = hw::builtin_soc_text(o.soc)
                               ? o.soc
                               : std::filesystem::absolute(o.soc).lexically_normal().string();
  if (!o.out.empty()) {
    const auto text = calib::overlay_yaml(*soc, base, fit);
    (void)hw::load_soc_text(text, o.out);  // it loads as it is written
    write_atomically(o.out, text);
  }
  emit(o.json ? report_json(fit, o.out).dump(2) + "\n"
              : report_text(fit) + (o.out.empty() ? "" : fmt::format("wrote {}\n", o.out)));
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
                "Measurement CSV files (hwmodels/measurements/*.csv, docs/calibration.md)")
      ->required()
      ->expected(1, -1);
  c->add_option("--params", o->params,
                "Parameters to fit, comma-separated: UNIT.KEY, UNIT.params.NAME, DMA.KEY, "
                "MEMORY.KEY, each optionally =LO:HI (default bounds: 1/10 to 10 times the value; "
                "default parameters: launch and tile_overhead of the measured units)")
      ->delimiter(',');
  c->add_option("--out", o->out,
                "Write the overlay SoC file here (base: the SoC, set: the fitted values); "
                "usable as --soc");
  c->add_flag("--json", o->json, "Print one JSON object instead of the tables");
  c->callback([&action, o] { action = [o] { run_calibrate(*o); }; });
}

}  // namespace tessel::cli
