#include "cli/socs_fidelity.hpp"

#include <fmt/format.h>

#include "calib/report.hpp"
#include "cli/table.hpp"

namespace tessel::cli {
namespace {

using nlohmann::ordered_json;

// Why there is no held-out figure, or how the one shown was made.
std::string record_note(const hw::Soc& soc, const calib::Fidelity& f) {
  if (!f.record)
    return fmt::format(
        "held out: no cross-validation is recorded for '{}' (run tessel calibrate "
        "--cross-validate)\n",
        soc.name);
  if (!f.record_matches)
    return fmt::format(
        "held out: the record for '{}' ({}) was made on a model whose error differs from "
        "this one's; not shown (scripts/validation.py remakes it)\n",
        soc.name, f.record->date);
  return fmt::format("held out: leave-one-source-out, recorded {} by: {}\n", f.record->date,
                     f.record->command);
}

}  // namespace

std::string fidelity_text(const hw::Soc& soc, const calib::Fidelity& f) {
  using S = calib::ErrorStats;
  Table units(
      {"unit", "rows", "sources", "median |error|", "worst", "median held out", "worst held out"},
      {false, true, false, true, true, true, true});
  for (const auto& u : f.units) {
    const S held = u.recorded ? u.recorded->held_out : S{};
    units.row({u.unit, std::to_string(u.rows.size()),
               u.sources.empty() ? "no layer rows" : fmt::format("{}", fmt::join(u.sources, ", ")),
               calib::stat_percent(u.now, &S::median), calib::stat_percent(u.now, &S::worst),
               calib::stat_percent(held, &S::median), calib::stat_percent(held, &S::worst)});
  }
  Table rows({"unit", "row", "source", "name", "measured", "predicted", "error"},
             {false, false, false, false, true, true, true});
  for (const auto& u : f.units) {
    for (auto i : u.rows) {
      const auto& r = f.rows[i];
      rows.row({u.unit, r.where(), r.source, calib::row_label(r), fmt::format("{:.0f}", r.cycles),
                fmt::format("{:.0f}", f.predicted[i]),
                calib::signed_percent(calib::relative_error(f.predicted[i], r.cycles))});
    }
  }
  return fmt::format("Fidelity of SoC '{}' against measured cycles (docs/calibration.md)\n",
                     soc.name) +
         units.str() + record_note(soc, f) + (f.rows.empty() ? "" : "\n" + rows.str());
}

ordered_json fidelity_json(const hw::Soc& soc, const calib::Fidelity& f) {
  ordered_json j;
  j["soc"] = soc.name;
  j["units"] = ordered_json::array();
  for (const auto& u : f.units) {
    ordered_json rows = ordered_json::array();
    for (auto i : u.rows) {
      const auto& r = f.rows[i];
      rows.push_back({{"file", r.file},
                      {"line", r.line},
                      {"source", r.source},
                      {"name", calib::row_label(r)},
                      {"measured", r.cycles},
                      {"predicted", f.predicted[i]}});
    }
    j["units"].push_back(
        {{"unit", u.unit},
         {"sources", u.sources},
         {"now", calib::stats_json(u.now)},
         {"held_out", u.recorded ? calib::stats_json(u.recorded->held_out) : nullptr},
         {"rows", rows}});
  }
  if (f.record)
    j["record"] = {{"command", f.record->command},
                   {"date", f.record->date},
                   {"params", f.record->params},
                   {"matches", f.record_matches}};
  else
    j["record"] = nullptr;
  return j;
}

}  // namespace tessel::cli
