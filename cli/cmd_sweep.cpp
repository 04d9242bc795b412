// `tessel sweep` and `tessel pareto`: hardware parameter sweeps (docs/sweep.md).

#include <chrono>
#include <cmath>
#include <iostream>

#include <fmt/format.h>
#include <tbb/global_control.h>
#include <tbb/info.h>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/table.hpp"
#include "core/errors.hpp"
#include "driver/pareto.hpp"
#include "driver/sweep.hpp"

namespace tessel::cli {
namespace {

struct SweepCliOptions {
  std::string spec;  // file; empty: the defaults with --soc / --model
  std::string soc, sampling, objective;
  std::vector<std::string> models, sets;
  std::uint64_t points = 0, seed = 0;
  std::string db = "tessel.sqlite";
  bool resume = false, json = false, no_reuse = false;
  int threads = 0;
};

// The spec of the file (or the defaults), with the options given on the
// command line replacing its values.
driver::SweepSpec build_spec(const SweepCliOptions& o) {
  auto spec = o.spec.empty() ? driver::default_sweep_spec(o.soc.empty() ? "gap9" : o.soc)
                             : driver::load_sweep_spec(o.spec);
  if (!o.spec.empty() && !o.soc.empty()) {
    const auto other = driver::default_sweep_spec(o.soc);
    spec.soc = other.soc;
    spec.soc_yaml = other.soc_yaml;
  }
  if (!o.models.empty()) spec.models = o.models;
  if (!o.objective.empty()) spec.settings.objective = o.objective;
  if (!o.sampling.empty()) {
    bool known = false;
    for (auto s : {driver::Sampling::grid, driver::Sampling::random, driver::Sampling::lhs}) {
      if (o.sampling == driver::sampling_name(s)) {
        spec.sampling = s;
        known = true;
      }
    }
    if (!known)
      throw ConfigError(fmt::format("--sampling '{}': expected grid, random or lhs", o.sampling));
  }
  if (o.points > 0) spec.points = o.points;
  if (o.seed > 0) spec.seed = o.seed;
  for (const auto& s : o.sets)
    driver::add_set(spec, s);
  if (spec.parameters.empty())
    throw ConfigError(
        "the sweep has no parameters: give a spec file with parameters, or --set "
        "PATH=V1,V2");
  return spec;
}

std::string duration(double s) {
  if (s < 60) return fmt::format("{:.0f}s", s);
  if (s < 3600) return fmt::format("{}m{:02.0f}s", static_cast<int>(s / 60), std::fmod(s, 60));
  return fmt::format("{}h{:02}m", static_cast<int>(s / 3600), static_cast<int>(s / 60) % 60);
}

// A one-line progress bar on stderr, redrawn in place.
class ProgressBar {
 public:
  void operator()(std::size_t done, std::size_t total) {
    const auto now = std::chrono::steady_clock::now();
    if (done_at_start_ == kUnset) {  // the first call: points written before do not count
      done_at_start_ = done;
      start_ = now;
    }
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const auto fresh = done - done_at_start_;
    const double rate = elapsed > 0 ? static_cast<double>(fresh) / elapsed : 0.0;
    const int width = 30;
    const int filled = total ? static_cast<int>(width * done / total) : width;
    const std::string eta = rate > 0 ? duration(static_cast<double>(total - done) / rate) : "?";
    std::cerr << fmt::format("\rsweep [{}{}] {}/{} points, {:.2f} points/s, ETA {}   ",
                             std::string(static_cast<std::size_t>(filled), '#'),
                             std::string(static_cast<std::size_t>(width - filled), '.'), done,
                             total, rate, eta);
    if (done == total) std::cerr << '\n';
    std::cerr.flush();
  }

 private:
  static constexpr std::size_t kUnset = static_cast<std::size_t>(-1);
  std::size_t done_at_start_ = kUnset;
  std::chrono::steady_clock::time_point start_;
};

nlohmann::ordered_json params_json(const store::SweepPointRow& r) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& [k, v] : r.params)
    j[k] = v;
  return j;
}

nlohmann::ordered_json area_json(const std::optional<double>& a) {
  return a ? nlohmann::ordered_json(*a) : nlohmann::ordered_json(nullptr);
}

std::string sweep_json(const driver::SweepOutcome& out) {
  nlohmann::ordered_json points = nlohmann::ordered_json::array();
  for (const auto& r : out.rows) {
    for (const auto& m : r.models) {
      nlohmann::ordered_json peak = nlohmann::ordered_json::object();
      for (const auto& [level, bytes] : m.peak_bytes)
        peak[level] = bytes;
      nlohmann::ordered_json j = {{"point", r.point},
                                  {"index", r.index},
                                  {"params", params_json(r)},
                                  {"model", m.model},
                                  {"cycles", nullptr},
                                  {"energy_uj", nullptr},
                                  {"area_mm2", area_json(r.area_mm2)},
                                  {"peak_bytes", peak}};
      if (m.ok) {
        j["cycles"] = m.cycles;
        j["energy_uj"] = m.energy_uj;
      } else {
        j["error"] = m.message;
      }
      points.push_back(std::move(j));
    }
  }
  return nlohmann::ordered_json{{"sweep", out.sweep_id}, {"points", points}}.dump(2) + "\n";
}

std::string area_text(const std::optional<double>& a) {
  return a ? fmt::format("{:.3f}", *a) : "-";
}

// One row per point: its values and its totals over the networks.
std::string sweep_table(const driver::SweepSpec& spec,
                        const std::vector<store::SweepPointRow>& rows) {
  std::vector<std::string> header = {"point"};
  std::vector<bool> numeric = {true};
  for (const auto& p : spec.parameters) {
    header.push_back(p.path);
    numeric.push_back(false);
  }
  for (const char* h : {"cycles", "energy uJ", "area mm2", "infeasible"}) {
    header.emplace_back(h);
    numeric.push_back(true);
  }
  Table t(header, numeric);
  for (const auto& tot : driver::point_totals(rows)) {
    std::vector<std::string> cells = {std::to_string(tot.row->index)};
    for (const auto& kv : tot.row->params)
      cells.push_back(kv.second);
    std::size_t bad = 0;
    for (const auto& m : tot.row->models)
      bad += m.ok ? 0 : 1;
    cells.push_back(tot.feasible ? thousands(std::llround(tot.cycles)) : "-");
    cells.push_back(tot.feasible ? fmt::format("{:.3f}", tot.energy_uj) : "-");
    cells.push_back(area_text(tot.area_mm2));
    cells.push_back(bad ? std::to_string(bad) : "");
    t.row(cells);
  }
  return t.str();
}

void run_sweep_command(const SweepCliOptions& o) {
  if (o.threads < 0) throw ConfigError("--threads must be 0 (all cores) or positive");
  const auto spec = build_spec(o);
  const driver::SweepPlan plan(spec, !o.no_reuse);
  const int threads = o.threads > 0 ? o.threads : tbb::info::default_concurrency();
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                            static_cast<std::size_t>(threads));
  driver::SweepOptions so;
  so.db = o.db;
  so.resume = o.resume;
  so.command = command_line();
  if (::isatty(STDERR_FILENO) != 0) so.progress = ProgressBar();
  const auto out = driver::run_sweep(plan, so);
  if (o.json) {
    emit(sweep_json(out));
    return;
  }
  const auto ran = out.points - out.skipped;
  emit(sweep_table(spec, out.rows) +
       fmt::format(
           "\n{} points x {} networks; {} run in {:.2f} s on {} threads ({:.2f} points/s){}; "
           "layer searches: {} run, {} reused; stored in {} (sweep {})\n",
           out.points, plan.graphs().size(), ran, out.wall_seconds, threads,
           out.wall_seconds > 0 ? static_cast<double>(ran) / out.wall_seconds : 0.0,
           out.skipped ? fmt::format(", {} written before", out.skipped) : "", plan.searches_run(),
           plan.cache_hits(), o.db, out.sweep_id));
}

struct ParetoCliOptions {
  std::string db = "tessel.sqlite";
  std::int64_t sweep = 0;  // 0: the latest
  std::string x = "cycles", y = "energy_uj", z = "area_mm2", model;
  bool json = false;
};

void run_pareto(const ParetoCliOptions& o) {
  std::vector<std::string> axes = {o.x, o.y};
  if (o.z != "none") axes.push_back(o.z);
  driver::PointTotal probe;
  for (const auto& a : axes)
    driver::axis_value(probe, a);  // names an unknown axis
  store::Database db(o.db, store::Access::read);
  const auto id = o.sweep > 0 ? std::optional<std::int64_t>(o.sweep) : db.latest_sweep();
  if (!id) throw ConfigError(fmt::format("database '{}' holds no sweep", o.db));
  const auto rows = db.read_sweep(*id);
  if (rows.empty())
    throw ConfigError(fmt::format("database '{}' has no points of sweep {}", o.db, *id));
  const auto totals = driver::point_totals(rows, o.model);
  std::vector<std::vector<double>> values;
  std::vector<const driver::PointTotal*> used;
  for (const auto& t : totals) {
    if (!t.feasible) continue;
    std::vector<double> v;
    for (const auto& a : axes) {
      if (const auto x = driver::axis_value(t, a)) v.push_back(*x);
    }
    if (v.size() != axes.size()) continue;  // an unknown area
    values.push_back(std::move(v));
    used.push_back(&t);
  }
  const auto front = driver::pareto_front(values);
  if (o.json) {
    nlohmann::ordered_json f = nlohmann::ordered_json::array();
    for (auto i : front) {
      const auto& t = *used[i];
      f.push_back({{"point", t.row->point},
                   {"index", t.row->index},
                   {"params", params_json(*t.row)},
                   {"cycles", t.cycles},
                   {"energy_uj", t.energy_uj},
                   {"area_mm2", area_json(t.area_mm2)}});
    }
    emit(nlohmann::ordered_json{
             {"sweep", *id}, {"axes", axes}, {"points", used.size()}, {"front", f}}
             .dump(2) +
         "\n");
    return;
  }
  std::vector<std::string> header = {"point"};
  for (const auto& kv : rows.front().params)
    header.push_back(kv.first);
  for (const char* h : {"cycles", "energy uJ", "area mm2"})
    header.emplace_back(h);
  std::vector<bool> numeric(header.size(), false);
  numeric[0] = true;
  for (std::size_t k = header.size() - 3; k < header.size(); ++k)
    numeric[k] = true;
  Table t(header, numeric);
  for (auto i : front) {
    const auto& p = *used[i];
    std::vector<std::string> cells = {std::to_string(p.row->index)};
    for (const auto& kv : p.row->params)
      cells.push_back(kv.second);
    cells.push_back(thousands(std::llround(p.cycles)));
    cells.push_back(fmt::format("{:.3f}", p.energy_uj));
    cells.push_back(area_text(p.area_mm2));
    t.row(cells);
  }
  std::string over;
  for (const auto& a : axes)
    over += (over.empty() ? "" : ", ") + a;
  emit(t.str() + fmt::format("\n{} of {} feasible points are non-dominated in ({}){}; sweep {} "
                             "of {}\n",
                             front.size(), used.size(), over,
                             o.model.empty() ? "" : fmt::format(" on {}", o.model), *id, o.db));
}

}  // namespace

void add_sweep_command(CLI::App& app, Action& action) {
  auto o = std::make_shared<SweepCliOptions>();
  auto* cmd = app.add_subcommand(
      "sweep", "Explore SoC variants (a grid or a sample of hardware parameters) on networks");
  cmd->add_option("spec", o->spec, "Sweep spec YAML file (docs/sweep.md); optional with --set");
  cmd->add_option("--soc", o->soc,
                  "Base SoC: built-in name or YAML file (default: the spec's, "
                  "else gap9)");
  cmd->add_option("--model", o->models,
                  "Networks, as for explore, repeatable (default: the spec's, else mlperf-tiny)");
  cmd->add_option("--set", o->sets,
                  "Parameter PATH=V1,V2,... or PATH=range(LO,HI,STEPS), repeatable; replaces the "
                  "spec's parameter of the same path");
  cmd->add_option("--objective", o->objective, "latency | energy | edp (default: the spec's)");
  cmd->add_option("--sampling", o->sampling, "grid | random | lhs (default: the spec's)");
  cmd->add_option("--points", o->points, "Points to draw with random or lhs sampling");
  cmd->add_option("--seed", o->seed, "Seed of random or lhs sampling");
  cmd->add_option("--db", o->db, "SQLite file for the results")->capture_default_str();
  cmd->add_flag("--resume", o->resume,
                "Continue the same sweep in --db: run only the points not written yet");
  cmd->add_option("--threads", o->threads, "Worker threads (0: all cores)")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print every (point, network) row as JSON");
  cmd->add_flag("--no-reuse", o->no_reuse,
                "Search every layer again at every point (to measure what reuse saves)");
  cmd->callback([&action, o] { action = [o] { run_sweep_command(*o); }; });

  auto p = std::make_shared<ParetoCliOptions>();
  auto* pc = app.add_subcommand("pareto", "The non-dominated points of a stored sweep");
  pc->add_option("--db", p->db, "SQLite file with the sweep")->capture_default_str();
  pc->add_option("--sweep", p->sweep, "Sweep id (default: the latest)");
  pc->add_option("--x", p->x, "First axis: cycles | energy_uj | area_mm2")->capture_default_str();
  pc->add_option("--y", p->y, "Second axis")->capture_default_str();
  pc->add_option("--z", p->z, "Third axis, or none")->capture_default_str();
  pc->add_option("--model", p->model, "Only this network's figures (default: sums over all)");
  pc->add_flag("--json", p->json, "Print the front as JSON");
  pc->callback([&action, p] { action = [p] { run_pareto(*p); }; });
}

}  // namespace tessel::cli
