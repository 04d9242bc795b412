// `tessel simulate` (replay schedules in the event simulator, next to the
// analytical model) and `tessel validate` (model-vs-simulation error over
// random candidates).

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/table.hpp"
#include "core/errors.hpp"
#include "core/zoo.hpp"
#include "driver/simulate.hpp"
#include "hwmodels/soc_loader.hpp"
#include "mappers/network_mapper.hpp"
#include "sim/event_sim.hpp"

namespace tessel::cli {
namespace {

struct SimulateOptions {
  std::string soc = "gap9";
  std::string model;  // "": the stored schedule's network, or mlperf-tiny
  std::string layer;
  std::string mapper = "tessel";
  std::string objective = "latency";
  bool split = true;
  bool fusion = true;
  std::string precision_policy = "strict";
  std::string trace;
  std::string db;
  std::int64_t schedule = 0;
  bool json = false;
};

using driver::percent_error;

void run_simulate(const SimulateOptions& o) {
  const auto soc = hw::load_soc(o.soc);
  const sim::Analytical model(soc);
  sim::EventSimOptions eo;
  eo.keep_jobs = !o.trace.empty();
  const sim::EventSim es(soc, eo);
  if (o.db.empty() != (o.schedule == 0))
    throw ConfigError("--db and --schedule go together: the file and the schedule id to replay");
  std::vector<Graph> graphs;
  if (!o.model.empty())
    graphs = load_networks(o.model);
  else if (!o.db.empty())
    graphs.push_back(driver::stored_network(o.db, o.schedule));
  else
    graphs = load_networks("mlperf-tiny");
  if (!o.trace.empty() && graphs.size() != 1)
    throw ConfigError(
        fmt::format("--trace needs one network; '{}' names {}", o.model, graphs.size()));
  mappers::NetworkOptions opt;
  opt.mapper = mappers::parse_mapper(o.mapper);
  opt.search.objective = mappers::parse_objective(o.objective);
  opt.split = o.split;
  opt.fusion = o.fusion;
  opt.precision = mappers::parse_precision_policy(o.precision_policy);

  nlohmann::ordered_json networks = nlohmann::ordered_json::array();
  nlohmann::ordered_json all_layers = nlohmann::ordered_json::array();
  std::string text;
  for (const auto& g : graphs) {
    auto schedule = o.db.empty() ? mappers::map_network(g, model, opt).schedule
                                 : driver::load_schedule(o.db, o.schedule, g, *soc);
    if (!o.layer.empty()) schedule = driver::only_layer(schedule, g, o.layer);
    const auto rep = driver::replay(es, *soc, g, schedule, o.trace);
    const auto& r = rep.result;
    Table t({"layer", "unit", "analytical", "simulated", "diff %"},
            {false, false, true, true, true});
    nlohmann::ordered_json layers = nlohmann::ordered_json::array();
    const double analytical_total = rep.analytical_total;
    for (const auto& row : rep.rows) {
      const double a = row.analytical, s = row.simulated;
      t.row({row.layer, row.unit, thousands(std::llround(a)), thousands(std::llround(s)),
             percent_text(percent_error(a, s))});
      layers.push_back({{"network", g.name()},
                        {"layer", row.layer},
                        {"unit", row.unit},
                        {"analytical_cycles", a},
                        {"simulated_cycles", s},
                        {"difference_percent", percent_error(a, s)}});
      all_layers.push_back(layers.back());
    }
    // Steps of several parts compare whole (driver::ReplayStep).
    Table fused({"step", "kind", "parts", "analytical", "simulated", "diff %"},
                {false, false, true, true, true, true});
    nlohmann::ordered_json multi_steps = nlohmann::ordered_json::array();
    for (const auto& f : rep.steps) {
      nlohmann::ordered_json parts = nlohmann::ordered_json::array();
      for (std::size_t i = f.first_row; i < f.first_row + f.rows; ++i)
        parts.push_back(rep.rows[i].layer);
      fused.row({fmt::format("{}", fmt::join(f.layers, " -> ")), f.kind, std::to_string(f.rows),
                 thousands(std::llround(f.analytical)), thousands(std::llround(f.simulated)),
                 percent_text(percent_error(f.analytical, f.simulated))});
      multi_steps.push_back({{"step", f.step},
                             {"kind", f.kind},
                             {"layers", f.layers},
                             {"parts", parts},
                             {"analytical_cycles", f.analytical},
                             {"simulated_cycles", f.simulated},
                             {"difference_percent", percent_error(f.analytical, f.simulated)}});
    }
    Table res({"resource", "kind", "busy cycles", "utilisation", "jobs"},
              {false, false, true, true, true});
    nlohmann::ordered_json resources = nlohmann::ordered_json::array();
    for (const auto& u : r.resources) {
      if (u.jobs == 0 && u.busy == 0) continue;
      res.row({u.name, u.kind, thousands(std::llround(u.busy)),
               fmt::format("{:.1f}%", u.utilisation * 100),
               thousands(static_cast<long long>(u.jobs))});
      resources.push_back({{"name", u.name},
                           {"kind", u.kind},
                           {"busy_cycles", u.busy},
                           {"utilisation", u.utilisation},
                           {"jobs", u.jobs}});
    }
    nlohmann::ordered_json stalls = nlohmann::ordered_json::object();
    std::string stall_text;
    for (std::size_t c = 0; c < r.stalls.size(); ++c) {
      const auto name = std::string(sim::stall_cause_name(static_cast<sim::StallCause>(c)));
      stalls[name] = r.stalls[c];
      if (r.stalls[c] > 0)
        stall_text += fmt::format("{}{} {}", stall_text.empty() ? "" : ", ", name,
                                  thousands(std::llround(r.stalls[c])));
    }
    text +=
        fmt::format("{} on {}\n", g.name(), soc->name) + t.str() +
        (rep.steps.empty() ? "" : fused.str()) +
        fmt::format("total: analytical {} cycles, simulated {} cycles ({}%), {} events\n",
                    thousands(std::llround(analytical_total)), thousands(std::llround(r.cycles)),
                    percent_text(percent_error(analytical_total, r.cycles)),
                    thousands(static_cast<long long>(r.events))) +
        res.str() +
        fmt::format("stalls (cycles): {}\n\n", stall_text.empty() ? "none" : stall_text);
    networks.push_back({{"network", g.name()},
                        {"layers", layers},
                        {"total",
                         {{"analytical_cycles", analytical_total},
                          {"simulated_cycles", r.cycles},
                          {"difference_percent", percent_error(analytical_total, r.cycles)}}},
                        {"steps", multi_steps},
                        {"resources", resources},
                        {"stalls", stalls},
                        {"events", r.events}});
  }
  if (o.json) {
    nlohmann::ordered_json j = {{"soc", soc->name}, {"layers", all_layers}, {"networks", networks}};
    if (!o.trace.empty()) j["trace"] = o.trace;
    emit(j.dump(2) + "\n");
  } else {
    emit(text + (o.trace.empty() ? "" : fmt::format("trace written to {}\n", o.trace)));
  }
}

struct ValidateOptions {
  std::string soc = "gap9";
  std::string model = "mlperf-tiny";
  std::size_t samples = 10000;
  std::uint64_t seed = 1;
  std::int64_t max_tiles = 4096;
  bool json = false;
};

void run_validate(const ValidateOptions& o) {
  if (o.samples == 0) throw ConfigError("--samples must be positive");
  const auto soc = hw::load_soc(o.soc);
  const sim::Analytical model(soc);
  const sim::EventSim es(soc);
  Table t({"network", "samples", "median |err| %", "p95 |err| %", "worst |err| %", "mean err %"},
          {false, true, true, true, true, true});
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& g : load_networks(o.model)) {
    const auto v = driver::validate(model, es, g, o.samples, o.seed, o.max_tiles);
    const auto& abs_err = v.abs_errors;
    const double mean = v.mean_error;
    const auto at = [&](double q) {
      return abs_err[std::min(abs_err.size() - 1,
                              static_cast<std::size_t>(q * static_cast<double>(abs_err.size())))];
    };
    t.row({g.name(), thousands(static_cast<long long>(abs_err.size())),
           fmt::format("{:.3f}", at(0.5)), fmt::format("{:.3f}", at(0.95)),
           fmt::format("{:.3f}", abs_err.back()), fmt::format("{:+.3f}", mean)});
    out.push_back({{"network", g.name()},
                   {"samples", abs_err.size()},
                   {"median_abs_error_percent", at(0.5)},
                   {"p95_abs_error_percent", at(0.95)},
                   {"worst_abs_error_percent", abs_err.back()},
                   {"mean_error_percent", mean}});
  }
  if (o.json) {
    emit(nlohmann::ordered_json({{"soc", soc->name}, {"seed", o.seed}, {"networks", out}}).dump(2) +
         "\n");
  } else {
    emit(fmt::format("analytical vs simulated cycles of random legal candidates on {} (error = "
                     "(analytical - simulated) / simulated)\n",
                     soc->name) +
         t.str());
  }
}

}  // namespace

void add_simulate_command(CLI::App& app, Action& action) {
  auto o = std::make_shared<SimulateOptions>();
  auto* cmd = app.add_subcommand(
      "simulate",
      "Replay the chosen schedule in the event simulator: analytical vs simulated cycles");
  cmd->add_option("--soc", o->soc, "Built-in SoC name or YAML file")->capture_default_str();
  cmd->add_option("--model", o->model,
                  "Built-in model, alias, or ONNX file (default: with --db, the network the "
                  "stored schedule maps; else mlperf-tiny)");
  cmd->add_option("--layer", o->layer, "Only this layer");
  cmd->add_option("--mapper", o->mapper, "tessel | dory | divisor")->capture_default_str();
  cmd->add_option("--objective", o->objective, "latency | energy | edp")->capture_default_str();
  add_step_options(cmd, o->split, o->fusion, o->precision_policy);
  cmd->add_option("--trace", o->trace, "Write a Chrome / Perfetto trace JSON (one network)")
      ->check(non_empty_path());
  cmd->add_option("--db", o->db,
                  "Replay a stored schedule from this SQLite file (with --schedule; the file "
                  "must exist)")
      ->check(non_empty_path());
  cmd->add_option("--schedule", o->schedule, "Id of the stored schedule (schedules.id)");
  cmd->add_flag("--json", o->json, "Print JSON (see docs/cli.md)");
  cmd->callback([&action, o] { action = [o] { run_simulate(*o); }; });

  auto v = std::make_shared<ValidateOptions>();
  auto* val = app.add_subcommand(
      "validate",
      "Error distribution of the analytical model against the event simulator over random "
      "legal candidates");
  val->add_option("--soc", v->soc, "Built-in SoC name or YAML file")->capture_default_str();
  val->add_option("--model", v->model, "Built-in model, alias, or ONNX file")
      ->capture_default_str();
  val->add_option("--samples", v->samples, "Legal candidates per network")->capture_default_str();
  val->add_option("--seed", v->seed, "Random seed")->capture_default_str();
  val->add_option("--max-tiles", v->max_tiles, "Skip candidates with more tile steps")
      ->capture_default_str();
  val->add_flag("--json", v->json, "Print JSON");
  val->callback([&action, v] { action = [v] { run_validate(*v); }; });
}

}  // namespace tessel::cli
