#include "calib/fidelity.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "calib/cross_validate.hpp"
#include "core/errors.hpp"

namespace tessel::calib {
namespace {

using nlohmann::json;

// A recorded error agrees with the model's error now when both figures are
// equal to 0.05 percentage points (what the record prints to).
constexpr double kSameError = 5e-4;

ErrorStats stats_of(const json& j, const std::string& where) {
  ErrorStats s;
  if (j.is_null()) return s;
  if (!j.is_object() || !j.contains("rows") || !j.contains("median") || !j.contains("worst"))
    throw ConfigError(fmt::format("{}: expected {{rows, median, worst}} or null", where));
  s.rows = j.at("rows").get<std::size_t>();
  s.median = j.at("median").get<double>();
  s.worst = j.at("worst").get<double>();
  return s;
}

bool same(const ErrorStats& a, const ErrorStats& b) {
  return a.rows == b.rows && std::abs(a.median - b.median) <= kSameError &&
         std::abs(a.worst - b.worst) <= kSameError;
}

}  // namespace

HeldOutRecord parse_held_out(const json& j, const std::string& where) {
  try {
    HeldOutRecord r;
    r.command = j.at("command").get<std::string>();
    r.date = j.at("date").get<std::string>();
    r.params = j.at("params").get<std::vector<std::string>>();
    for (const auto& g : j.at("groups")) {
      const auto name = g.at("name").get<std::string>();
      const auto at = fmt::format("{}: groups.{}", where, name);
      r.groups.push_back(
          {name, stats_of(g.at("before"), at + ".before"), stats_of(g.at("held_out"), at)});
    }
    return r;
  } catch (const json::exception& e) {
    throw ConfigError(fmt::format("{}: not a held-out record: {}", where, e.what()));
  }
}

std::optional<HeldOutRecord> builtin_held_out(const std::string& soc) {
  for (const auto& [name, text] : detail::builtin_held_out_table()) {
    if (name != soc) continue;
    const auto where = fmt::format("<built-in>/held-out/{}.json", soc);
    const auto j = json::parse(text, nullptr, false);
    if (j.is_discarded()) throw ConfigError(fmt::format("{}: not valid JSON", where));
    return parse_held_out(j, where);
  }
  return std::nullopt;
}

Fidelity fidelity(std::shared_ptr<const hw::Soc> soc, const MeasurementSet& set,
                  std::optional<HeldOutRecord> record) {
  Fidelity f;
  f.rows = rows_for(*soc, set);
  f.predicted = predict(soc, f.rows);
  const auto groups = by_group(f.rows);
  auto add = [&](const std::string& unit) {
    UnitFidelity u;
    u.unit = unit;
    const auto g =
        std::find_if(groups.begin(), groups.end(), [&](const auto& x) { return x.first == unit; });
    if (g != groups.end()) u.rows = g->second;
    std::set<std::string> sources;
    for (auto i : u.rows)
      sources.insert(f.rows[i].source);
    u.sources.assign(sources.begin(), sources.end());
    u.now = error_stats(f.predicted, f.rows, u.rows);
    f.units.push_back(std::move(u));
  };
  for (const auto& u : soc->units)
    add(u.name);
  if (std::any_of(groups.begin(), groups.end(), [](const auto& g) { return g.first == "network"; }))
    add("network");
  f.record = std::move(record);
  if (!f.record) return f;
  // The record's group of each measured unit, when its `before` error is the error now.
  auto recorded = [&](const UnitFidelity& u) -> const RecordedGroup* {
    const auto& groups = f.record->groups;
    const auto r = std::find_if(groups.begin(), groups.end(),
                                [&](const RecordedGroup& g) { return g.name == u.unit; });
    return r != groups.end() && same(r->before, u.now) ? &*r : nullptr;
  };
  f.record_matches = std::all_of(f.units.begin(), f.units.end(), [&](const UnitFidelity& u) {
    return u.rows.empty() || recorded(u);
  });
  if (!f.record_matches) return f;
  for (auto& u : f.units) {
    if (!u.rows.empty()) u.recorded = *recorded(u);
  }
  return f;
}

}  // namespace tessel::calib
