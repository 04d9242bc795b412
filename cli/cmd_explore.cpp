// `tessel explore`: map whole networks onto an SoC, store the results.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include <fmt/format.h>
#include <tbb/global_control.h>
#include <tbb/info.h>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/table.hpp"
#include "core/errors.hpp"
#include "core/mapping_json.hpp"
#include "core/memory_plan.hpp"
#include "core/zoo.hpp"
#include "driver/explore.hpp"
#include "hwmodels/soc_loader.hpp"
#include "mappers/network_mapper.hpp"
#include "mappers/search/registry.hpp"
#include "sim/context.hpp"

namespace tessel::cli {
namespace {

struct ExploreOptions {
  std::string soc = "gap9";
  std::string model = "mlperf-tiny";
  driver::ExploreSettings settings;  // objective, mapper, strategy, budget, units
  std::string db = "tessel.sqlite";
  std::string store = "pareto";
  int threads = 0;
  bool json = false;
  std::string command;
};

struct Explored {
  const Graph& graph;
  const mappers::NetworkResult& result;
};

std::string unit_bytes_str(const hw::Soc& soc, const SchedulePart& ls) {
  const auto lvl =
      static_cast<std::size_t>(soc.units[static_cast<std::size_t>(ls.unit)].operand_level[0]);
  return thousands(ls.cost.bytes_held[lvl]);
}

nlohmann::ordered_json layer_json(const hw::Soc& soc, const Graph& g, const NetworkSchedule& s,
                                  const PartRow& row) {
  const SchedulePart& ls = *row.part;
  const Layer l = part_layer(g, ls);
  const auto lvl =
      static_cast<std::size_t>(soc.units[static_cast<std::size_t>(ls.unit)].operand_level[0]);
  const auto& unrollings = soc.model(ls.unit).unrollings();
  const auto route = sim::home_route(soc, ls.unit, ls.mapping.home);
  nlohmann::ordered_json homes = nlohmann::ordered_json::object();
  for (std::size_t o = 0; o < kNumOperands; ++o)
    homes[std::string(operand_name(static_cast<Operand>(o)))] =
        soc.levels[static_cast<std::size_t>(route.from[o])].name;
  return {{"network", g.name()},
          {"step", row.step},
          {"step_kind", step_kind_name(s.steps[row.step].kind)},
          {"layer", ls.layer},
          {"slice", nlohmann::ordered_json::parse(slice_to_json(ls.slice))},
          {"weight_bits", l.bits.weight},  // the part's (lower for an allow-lower part)
          {"op", op_name(l.op)},
          {"unit", ls.unit_name},
          {"tile", tile_string(l, ls.mapping)},
          {"loop_order", order_string(l, ls.mapping)},
          {"double_buffer", buffering_string(ls.mapping)},
          {"unrolling", unrollings[static_cast<std::size_t>(ls.mapping.unrolling)].name},
          {"loop_nests", ls.mapping.depth},
          {"homes", homes},
          {"cycles", ls.cost.cycles + row.transition_cycles},
          {"compute_cycles", ls.cost.compute_cycles},
          {"dma_cycles", ls.cost.dma_cycles},
          {"overhead_cycles", ls.cost.overhead_cycles},
          {"transition_cycles", row.transition_cycles},
          {"energy_uj", (ls.cost.energy + row.transition_energy) * 1e-6},
          {"unit_level", soc.levels[lvl].name},
          {"unit_level_bytes", ls.cost.bytes_held[lvl]}};
}

// The steps of more than one part: kind, layers (a fused group's, in
// order), cycles (contention and synchronisation apart) and per part its
// label, unit and cycles alone.
nlohmann::ordered_json multi_steps_json(const NetworkSchedule& s) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < s.steps.size(); ++i) {
    const auto& st = s.steps[i];
    if (st.parts.size() < 2) continue;
    nlohmann::ordered_json parts = nlohmann::ordered_json::array();
    for (const auto& p : st.parts)
      parts.push_back({{"part", part_label(p)}, {"unit", p.unit_name}, {"cycles", p.cost.cycles}});
    out.push_back({{"step", i},
                   {"kind", step_kind_name(st.kind)},
                   {"layers", step_layers(st)},
                   {"cycles", st.cycles},
                   {"contention_cycles", st.contention_cycles},
                   {"sync_cycles", st.sync_cycles},
                   {"parts", parts}});
  }
  return out;
}

// One line on the memory plan: per level the arena, its lower bound and the
// gap between them, and how the step order was chosen.
std::string memory_line(const NetworkSchedule& s) {
  std::string out = "memory plan:";
  for (const auto& a : s.memory) {
    if (a.arena_bytes == 0) continue;
    out += fmt::format(" {} {} B (bound {} B, +{:.1f} %);",
                       s.level_names[static_cast<std::size_t>(a.level)], thousands(a.arena_bytes),
                       thousands(a.lower_bound_bytes), gap_percent(a));
  }
  return out + fmt::format(" step order {}\n", s.order.method);
}

// The `--json` output of an exploration (docs/cli.md).
std::string explore_json(const ExploreOptions& o, const hw::Soc& soc,
                         const std::vector<Explored>& done, const driver::Exploration& ex,
                         int threads) {
  const double wall = ex.wall_seconds;
  const auto evaluated = ex.evaluated, pruned = ex.pruned;
  const double eps = wall > 0 ? static_cast<double>(evaluated) / wall : 0.0;
  const bool proven = ex.proven;
  const auto run = ex.run_id;
  nlohmann::ordered_json networks = nlohmann::ordered_json::array();
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  const auto sum = driver::totals(ex.results, soc.levels.size());
  std::vector<const NetworkSchedule*> schedules;
  for (const auto& r : ex.results)
    schedules.push_back(&r.schedule);
  for (const auto& e : done) {
    const auto& s = e.result.schedule;
    nlohmann::ordered_json peak_j = nlohmann::ordered_json::object(),
                           lj = nlohmann::ordered_json::array();
    for (std::size_t l = 0; l < soc.levels.size(); ++l)
      peak_j[soc.levels[l].name] = s.peak_bytes[l];
    for (const auto& row : part_rows(s)) {
      lj.push_back(layer_json(soc, e.graph, s, row));
      layers.push_back(lj.back());
    }
    networks.push_back({{"network", s.network},
                        {"total",
                         {{"cycles", s.cycles},
                          {"ms", s.cycles / soc.frequency * 1e3},
                          {"energy_uj", s.energy * 1e-6},
                          {"peak_bytes", peak_j}}},
                        {"layers", lj},
                        {"steps", multi_steps_json(s)},
                        {"memory_plan", memory_plan_json({&s})},
                        {"search",
                         {{"evaluated", e.result.evaluated},
                          {"pruned", e.result.pruned},
                          {"searches", e.result.searches_run},
                          {"cache_hits", e.result.cache_hits},
                          {"proven", e.result.proven},
                          {"wall_s", e.result.wall_seconds}}}});
  }
  nlohmann::ordered_json peak_j = nlohmann::ordered_json::object();
  for (std::size_t l = 0; l < soc.levels.size(); ++l)
    peak_j[soc.levels[l].name] = sum.peak_bytes[l];
  nlohmann::ordered_json j = {
      {"soc", soc.name},
      {"objective", o.settings.objective},
      {"mapper", o.settings.mapper},
      {"total",
       {{"cycles", sum.cycles},
        {"ms", sum.cycles / soc.frequency * 1e3},
        {"energy_uj", sum.energy * 1e-6},
        {"peak_bytes", peak_j}}},
      {"layers", layers},
      {"memory_plan", memory_plan_json(schedules)},
      {"search",
       {{"evaluated", evaluated},
        {"pruned", pruned},
        {"proven", proven},
        {"wall_s", wall},
        {"evaluations_per_second", eps},
        {"threads", threads}}},
      {"networks", networks},
      {"database", o.db.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(o.db)},
      {"run_id", run},
  };
  return j.dump(2) + "\n";
}

// The text output of an exploration: per network its table and totals.
std::string explore_text(const ExploreOptions& o, const hw::Soc& soc,
                         const std::vector<Explored>& done, const driver::Exploration& ex,
                         int threads) {
  const double wall = ex.wall_seconds;
  const auto evaluated = ex.evaluated, pruned = ex.pruned;
  const double eps = wall > 0 ? static_cast<double>(evaluated) / wall : 0.0;
  const auto run = ex.run_id;
  std::string out;
  for (const auto& e : done) {
    const auto& s = e.result.schedule;
    Table t({"layer", "op", "unit", "tile", "order", "cycles", "compute", "dma", "overhead",
             "energy uJ", "unit mem B"},
            {false, false, false, false, false, true, true, true, true, true, true});
    for (const auto& row : part_rows(s)) {
      const SchedulePart& ls = *row.part;
      const Layer l = part_layer(e.graph, ls);
      t.row({part_label(ls), std::string(op_name(l.op)), ls.unit_name, tile_string(l, ls.mapping),
             order_string(l, ls.mapping),
             thousands(std::llround(ls.cost.cycles + row.transition_cycles)),
             thousands(std::llround(ls.cost.compute_cycles)),
             thousands(std::llround(ls.cost.dma_cycles)),
             thousands(std::llround(ls.cost.overhead_cycles)),
             fmt::format("{:.3f}", (ls.cost.energy + row.transition_energy) * 1e-6),
             unit_bytes_str(soc, ls)});
    }
    std::string peaks;
    for (std::size_t l = 0; l < soc.levels.size(); ++l)
      peaks +=
          fmt::format("{}{} {}", l ? ", " : "", soc.levels[l].name, thousands(s.peak_bytes[l]));
    out +=
        fmt::format("{} on {} ({} mapper, {} objective)\n", s.network, soc.name, o.settings.mapper,
                    o.settings.objective) +
        t.str() +
        fmt::format("total: {} cycles, {:.3f} ms at {}, {:.3f} uJ; peak bytes: {}\n",
                    thousands(std::llround(s.cycles)), s.cycles / soc.frequency * 1e3,
                    format_quantity(soc.frequency, Quantity::frequency), s.energy * 1e-6, peaks) +
        memory_line(s) +
        fmt::format("search: {} evaluated, {} pruned, {} searches ({} cached), optimum {}\n\n",
                    thousands(static_cast<long long>(e.result.evaluated)),
                    thousands(static_cast<long long>(e.result.pruned)), e.result.searches_run,
                    e.result.cache_hits, e.result.proven ? "proven" : "not proven");
  }
  out += fmt::format(
      "{} candidates evaluated, {} pruned in {:.2f} s on {} threads ({:.2f} M evaluations/s){}\n",
      thousands(static_cast<long long>(evaluated)), thousands(static_cast<long long>(pruned)), wall,
      threads, eps * 1e-6, o.db.empty() ? "" : fmt::format("; stored in {} (run {})", o.db, run));
  return out;
}

void run_explore(const ExploreOptions& o) {
  const auto& settings = o.settings;
  const auto mode = store::parse_store_mode(o.store);
  if (o.threads < 0) throw ConfigError("--threads must be 0 (all cores) or positive");
  const auto full = hw::load_soc(o.soc);
  const auto soc = driver::limit_memory(full, settings.max_memory);
  auto graphs = load_networks(o.model);
  const int threads = o.threads > 0 ? o.threads : tbb::info::default_concurrency();
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                            static_cast<std::size_t>(threads));
  const sim::Analytical model(soc);
  const auto opt = driver::network_options(settings, *soc);
  const bool progress = ::isatty(STDERR_FILENO) != 0;

  driver::ExplorationOptions eo;
  eo.network = opt;
  eo.db = o.db;
  if (soc != full) {
    eo.unlimited = full;
    eo.limits = settings.max_memory;
  }
  eo.run = {o.command, o.settings.objective, o.settings.mapper, o.settings.strategy, threads, mode};
  if (progress) {
    eo.before_network = [&soc](const Graph& g) {
      std::cerr << fmt::format("\rexploring {} on {} ...", g.name(), soc->name);
    };
  }
  std::vector<const Graph*> inputs;
  for (const auto& g : graphs)
    inputs.push_back(&g);
  driver::Exploration ex;
  try {
    ex = driver::run_exploration(inputs, model, eo);
  } catch (...) {
    if (progress) std::cerr << "\r\033[K";
    throw;
  }
  if (progress) std::cerr << "\r\033[K";
  std::vector<Explored> done;
  for (std::size_t i = 0; i < graphs.size(); ++i)
    done.push_back({graphs[i], ex.results[i]});
  emit(o.json ? explore_json(o, *soc, done, ex, threads)
              : explore_text(o, *soc, done, ex, threads));
}

}  // namespace

void add_explore_command(CLI::App& app, Action& action) {
  auto o = std::make_shared<ExploreOptions>();
  auto* cmd = app.add_subcommand(
      "explore", "Map networks onto an SoC: best unit and mapping per layer, stored in SQLite");
  cmd->add_option("--soc", o->soc, "Built-in SoC name or YAML file")->capture_default_str();
  cmd->add_option("--model", o->model, "Built-in model, alias, or ONNX file")
      ->capture_default_str();
  cmd->add_option("--objective", o->settings.objective, "latency | energy | edp")
      ->capture_default_str();
  cmd->add_option("--mapper", o->settings.mapper,
                  "tessel (full search) | dory (DORY-style heuristic) | divisor (divisor tiles, "
                  "one unrolling)")
      ->capture_default_str();
  std::string strategies = fmt::format("{} ({})", mappers::kAutoStrategy, mappers::kAutoHelp);
  for (const auto& s : mappers::strategies().all())
    strategies += fmt::format(" | {} ({})", s.name, s.help);
  cmd->add_option("--strategy", o->settings.strategy, strategies)->capture_default_str();
  cmd->add_option("--budget", o->settings.budget,
                  "Evaluations per layer-unit for the sampling strategies (all but exhaustive)")
      ->capture_default_str();
  cmd->add_option("--max-memory", o->settings.max_memory,
                  "Memory limit LEVEL=SIZE (e.g. L2=256KiB), repeatable: the fastest schedule "
                  "whose memory plan fits (default: the levels' capacities)");
  cmd->add_flag(
      "!--no-partial-execution", o->settings.partial_execution,
      "Never run chains (expand -> depthwise -> project) in channel slices to fit memory");
  add_step_options(cmd, o->settings.split, o->settings.fusion, o->settings.precision_policy);
  cmd->add_option("--units", o->settings.units, "Only these compute units (default: all)")
      ->delimiter(',');
  cmd->add_option("--db", o->db, "SQLite file for the results (empty: do not store)")
      ->capture_default_str();
  cmd->add_option("--store", o->store,
                  "best (schedule) | pareto (+ layer-unit Pareto fronts) | all (+ every "
                  "evaluated candidate)")
      ->capture_default_str();
  cmd->add_option("--threads", o->threads, "Worker threads (0: all cores)")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print JSON (see docs/cli.md)");
  cmd->callback([&action, o] {
    o->command = command_line();
    action = [o] { run_explore(*o); };
  });
}

}  // namespace tessel::cli
