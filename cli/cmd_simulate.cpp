// `tessel simulate` (replay schedules in the event simulator, next to the
// analytical model) and `tessel validate` (model-vs-simulation error over
// random candidates).

#include <algorithm>
#include <cmath>
#include <random>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/table.hpp"
#include "core/errors.hpp"
#include "core/zoo.hpp"
#include "hwmodels/soc_loader.hpp"
#include "mappers/network_mapper.hpp"
#include "mappers/search/random.hpp"
#include "sim/event_sim.hpp"
#include "store/database.hpp"

namespace tessel::cli {
namespace {

struct SimulateOptions {
  std::string soc = "gap9";
  std::string model = "mlperf-tiny";
  std::string layer;
  std::string mapper = "tessel";
  std::string objective = "latency";
  std::string trace;
  std::string db;
  std::int64_t schedule = 0;
  bool json = false;
};

double percent(double analytical, double simulated) {
  return simulated > 0 ? (analytical - simulated) / simulated * 100 : 0;
}

void run_simulate(const SimulateOptions& o) {
  const auto soc = hw::load_soc(o.soc);
  const sim::Analytical model(soc);
  sim::EventSimOptions eo;
  eo.keep_jobs = !o.trace.empty();
  const sim::EventSim es(soc, eo);
  auto graphs = load_models(o.model);
  if (!o.trace.empty() && graphs.size() != 1)
    throw ConfigError(
        fmt::format("--trace needs one network; '{}' names {}", o.model, graphs.size()));
  if (o.db.empty() != (o.schedule == 0))
    throw ConfigError("--db and --schedule go together: the file and the schedule id to replay");
  mappers::NetworkOptions opt;
  opt.mapper = mappers::parse_mapper(o.mapper);
  opt.search.objective = mappers::parse_objective(o.objective);

  nlohmann::ordered_json networks = nlohmann::ordered_json::array();
  nlohmann::ordered_json all_layers = nlohmann::ordered_json::array();
  std::string text;
  for (const auto& g : graphs) {
    NetworkSchedule schedule;
    if (!o.db.empty()) {
      store::Database db(o.db);
      schedule = db.load_schedule(o.schedule);
      if (schedule.network != g.name())
        throw MappingError(fmt::format("schedule {} of '{}' maps network '{}', not '{}'",
                                       o.schedule, o.db, schedule.network, g.name()));
      if (schedule.soc_hash != soc->hash)
        throw MappingError(fmt::format(
            "schedule {} of '{}' was made for another description of SoC '{}' (hash {:016x})",
            o.schedule, o.db, schedule.soc, schedule.soc_hash));
      for (auto& ls : schedule.layers) {
        const auto u = soc->find_unit(ls.unit_name);
        if (!u)
          throw MappingError(fmt::format("SoC '{}' has no unit '{}'", soc->name, ls.unit_name));
        ls.unit = *u;
        ls.mapping.unit = *u;
      }
    } else {
      schedule = mappers::map_network(g, model, opt).schedule;
    }
    if (!o.layer.empty()) {
      std::erase_if(schedule.layers, [&](const LayerSchedule& ls) { return ls.layer != o.layer; });
      if (schedule.layers.empty())
        throw MappingError(fmt::format("model '{}' has no layer '{}'", g.name(), o.layer));
    }
    const auto r = es.simulate(g, schedule);
    if (!o.trace.empty()) {
      std::vector<std::string> names;
      for (const auto& ls : schedule.layers)
        names.push_back(ls.layer);
      sim::write_trace(r, *soc, names, o.trace);
    }
    Table t({"layer", "unit", "analytical", "simulated", "diff %"},
            {false, false, true, true, true});
    nlohmann::ordered_json layers = nlohmann::ordered_json::array();
    double analytical_total = 0;
    for (std::size_t i = 0; i < schedule.layers.size(); ++i) {
      const auto& ls = schedule.layers[i];
      const double a = ls.cost.cycles + ls.transition_cycles;
      const double s = r.layer_cycles[i];
      analytical_total += a;
      t.row({ls.layer, ls.unit_name, thousands(std::llround(a)), thousands(std::llround(s)),
             fmt::format("{:+.2f}", percent(a, s))});
      layers.push_back({{"network", g.name()},
                        {"layer", ls.layer},
                        {"unit", ls.unit_name},
                        {"analytical_cycles", a},
                        {"simulated_cycles", s},
                        {"difference_percent", percent(a, s)}});
      all_layers.push_back(layers.back());
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
    text += fmt::format("{} on {}\n", g.name(), soc->name) + t.str() +
            fmt::format("total: analytical {} cycles, simulated {} cycles ({:+.2f}%), {} events\n",
                        thousands(std::llround(analytical_total)),
                        thousands(std::llround(r.cycles)), percent(analytical_total, r.cycles),
                        thousands(static_cast<long long>(r.events))) +
            res.str() +
            fmt::format("stalls (cycles): {}\n\n", stall_text.empty() ? "none" : stall_text);
    networks.push_back({{"network", g.name()},
                        {"layers", layers},
                        {"total",
                         {{"analytical_cycles", analytical_total},
                          {"simulated_cycles", r.cycles},
                          {"difference_percent", percent(analytical_total, r.cycles)}}},
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
  for (const auto& g : load_models(o.model)) {
    std::vector<sim::LayerContext> ctx;
    for (std::size_t i = 0; i < g.layers().size(); ++i) {
      for (int u = 0; u < static_cast<int>(soc->units.size()); ++u) {
        auto c = model.prepare(g.layer(i), u);
        if (c.supported) ctx.push_back(std::move(c));
      }
    }
    std::vector<std::unique_ptr<mappers::LayerMapSpace>> spaces;
    for (const auto& c : ctx)
      spaces.push_back(std::make_unique<mappers::LayerMapSpace>(c));
    std::mt19937_64 rng(o.seed);
    std::vector<double> abs_err;
    double sum = 0;
    std::uint64_t tries = 0;
    while (abs_err.size() < o.samples && tries++ < o.samples * 1000) {
      const auto k = rng() % ctx.size();
      const auto m = mappers::random_candidate(*spaces[k], rng);
      const auto c = model.evaluate(ctx[k], m);
      if (!c.legal || c.tiles > o.max_tiles) continue;
      const double e = percent(c.cycles, es.simulate(ctx[k], m).cycles);
      abs_err.push_back(std::abs(e));
      sum += e;
    }
    if (abs_err.empty())
      throw MappingError(
          fmt::format("no legal candidate found for '{}' on '{}'", g.name(), soc->name));
    std::sort(abs_err.begin(), abs_err.end());
    const auto at = [&](double q) {
      return abs_err[std::min(abs_err.size() - 1,
                              static_cast<std::size_t>(q * static_cast<double>(abs_err.size())))];
    };
    const double mean = sum / static_cast<double>(abs_err.size());
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
  cmd->add_option("--model", o->model, "Built-in model, alias, or ONNX file")
      ->capture_default_str();
  cmd->add_option("--layer", o->layer, "Only this layer");
  cmd->add_option("--mapper", o->mapper, "tessel | dory | divisor")->capture_default_str();
  cmd->add_option("--objective", o->objective, "latency | energy | edp")->capture_default_str();
  cmd->add_option("--trace", o->trace, "Write a Chrome / Perfetto trace JSON (one network)");
  cmd->add_option("--db", o->db,
                  "Replay a stored schedule from this SQLite file (with --schedule)");
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
