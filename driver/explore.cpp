#include "driver/explore.hpp"

#include "mappers/search/registry.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "core/units.hpp"
#include "hwmodels/soc_loader.hpp"

namespace tessel::driver {

using store::Database;
using store::StoreMode;

mappers::NetworkOptions network_options(const ExploreSettings& s, const hw::Soc& soc) {
  mappers::NetworkOptions opt;
  opt.mapper = mappers::parse_mapper(s.mapper);
  opt.search.objective = mappers::parse_objective(s.objective);
  mappers::check_strategy(s.strategy);
  opt.search.strategy = s.strategy;
  opt.search.budget = s.budget;
  opt.search.seed = s.seed;
  opt.units = s.units;
  opt.partial_execution = s.partial_execution;
  opt.split = s.split;
  opt.fusion = s.fusion;
  opt.precision = mappers::parse_precision_policy(s.precision_policy);
  for (const auto& u : s.units) {
    if (soc.find_unit(u)) continue;
    std::string names;
    for (const auto& x : soc.units)
      names += (names.empty() ? "" : ", ") + x.name;
    throw MappingError(fmt::format("SoC '{}' has no unit '{}' (units: {})", soc.name, u, names));
  }
  return opt;
}

std::shared_ptr<const hw::Soc> limit_memory(std::shared_ptr<const hw::Soc> soc,
                                            const std::vector<std::string>& max_memory) {
  std::map<std::string, std::string> sizes;
  for (const auto& item : max_memory) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw ConfigError(
          fmt::format("--max-memory '{}': expected LEVEL=SIZE such as L2=256KiB", item));
    const auto name = item.substr(0, eq);
    const auto level = soc->find_level(name);
    if (!level) {
      std::string names;
      for (const auto& l : soc->levels)
        names += (names.empty() ? "" : ", ") + l.name;
      throw ConfigError(fmt::format("--max-memory '{}': SoC '{}' has no memory level '{}' ({})",
                                    item, soc->name, name, names));
    }
    const auto bytes = parse_quantity(item.substr(eq + 1), Quantity::bytes);
    const auto& lvl = soc->levels[static_cast<std::size_t>(*level)];
    if (bytes < 1)
      throw ConfigError(fmt::format("--max-memory '{}': the size must be positive", item));
    if (bytes > static_cast<double>(lvl.size()))
      throw ConfigError(fmt::format("--max-memory '{}': {} has {} B", item, name, lvl.size()));
    // A size within the level's reserve leaves no tensor byte (1 B, so the
    // loader accepts it): the search fails and refuse_limits reports the
    // smallest size that fits.
    const auto size = std::max(std::llround(bytes), static_cast<long long>(lvl.reserved) + 1);
    if (!sizes.emplace("memories." + name + ".size", fmt::format("{} B", size)).second)
      throw ConfigError(fmt::format("--max-memory: level '{}' given twice", name));
  }
  return sizes.empty() ? soc : hw::apply_overrides(*soc, sizes);
}

namespace {

// The refusal of a network that fits no plan within the memory limits,
// with the smallest limits tessel finds to fit to within a factor of two:
// the limited levels' room for tensors doubled until a plan fits (or they
// reach capacity).
[[noreturn]] void refuse_limits(const Graph& g, const ExplorationOptions& o, const hw::Soc& limited,
                                const MappingError& why) {
  auto opt = o.network;
  opt.on_candidate = nullptr;
  std::string limits;
  for (const auto& l : o.limits)
    limits += (limits.empty() ? "" : " ") + l;
  std::map<std::size_t, std::int64_t> room;  // the limited levels' bytes for tensors
  for (std::size_t l = 0; l < limited.levels.size(); ++l) {
    if (limited.levels[l].capacity < o.unlimited->levels[l].capacity)
      room[l] = limited.levels[l].capacity;
  }
  while (true) {
    std::vector<std::string> tried;
    bool grew = false;
    for (auto& [l, bytes] : room) {
      const auto& full = o.unlimited->levels[l];
      grew = grew || bytes < full.capacity;
      bytes = std::min(bytes * 2, full.capacity);
      tried.push_back(fmt::format("{}={}B", full.name, bytes + full.reserved));
    }
    if (!grew) throw why;
    std::string reached;
    try {
      const sim::Analytical model(limit_memory(o.unlimited, tried));
      const auto r = mappers::map_network(g, model, opt);
      for (const auto& [l, bytes] : room) {
        const auto& full = o.unlimited->levels[l];
        reached += fmt::format("{}{} = {} B (its plan: {} B{})", reached.empty() ? "" : ", ",
                               full.name, bytes + full.reserved, r.schedule.memory[l].arena_bytes,
                               full.reserved == 0
                                   ? ""
                                   : fmt::format(", besides the {} B the SoC reserves for code, "
                                                 "stacks and runtime",
                                                 full.reserved));
      }
    } catch (const MappingError&) {
      continue;  // still too small: double again
    }
    throw MappingError(fmt::format(
        "network '{}' fits no memory plan within --max-memory {} ({}); the smallest limits "
        "tessel finds to fit, doubling them: {}",
        g.name(), limits, why.what(), reached));
  }
}

}  // namespace

// Deletes a failed run, keeping the error that ended it: when the deletion
// fails too (the file locked for too long), the run stays incomplete and
// invisible, and the next writer to open the file removes it.
void discard_quietly(Database& db, std::int64_t run) {
  try {
    db.discard_run(run);
  } catch (const std::exception&) {
  }
}

Totals totals(const std::vector<mappers::NetworkResult>& results, std::size_t levels) {
  Totals t;
  t.peak_bytes.assign(levels, 0);
  for (const auto& r : results) {
    const auto& s = r.schedule;
    t.cycles += s.cycles;
    t.energy += s.energy;
    for (std::size_t l = 0; l < levels && l < s.peak_bytes.size(); ++l)
      t.peak_bytes[l] = std::max(t.peak_bytes[l], s.peak_bytes[l]);
  }
  return t;
}

Exploration run_exploration(const std::vector<const Graph*>& graphs, const sim::Analytical& model,
                            ExplorationOptions o) {
  const hw::Soc& soc = model.soc();
  const auto mode = o.run.mode;
  std::unique_ptr<Database> db;
  Exploration ex;
  if (!o.db.empty()) {
    db = std::make_unique<Database>(o.db);
    ex.run_id = db->begin_run(o.run);
  }
  const auto* cancel = o.network.search.cancel;
  mappers::LayerCache cache;
  const auto start = std::chrono::steady_clock::now();
  try {
    for (const Graph* g : graphs) {
      if (o.before_network) o.before_network(*g);
      std::int64_t network = 0;
      if (db && mode == StoreMode::all) {
        network = db->put_network(ex.run_id, *g);
        db->begin_candidate_stream(ex.run_id, soc);
        std::vector<std::int64_t> ids;
        for (std::size_t i = 0; i < g->layers().size(); ++i)
          ids.push_back(db->layer_id(network, i));
        o.network.on_candidate = [&db, ids](std::size_t layer, const Mapping& m, const Cost& c) {
          db->stream_candidate(ids[layer], m, c);
        };
      }
      mappers::NetworkResult result;
      try {
        result = mappers::map_network(*g, model, o.network, &cache);
      } catch (const MappingError& e) {
        if (!o.unlimited) throw;
        refuse_limits(*g, o, soc, e);
      }
      if (cancel && cancel->load()) throw Cancelled("the exploration was cancelled");
      if (db) {
        if (mode != StoreMode::all) network = db->put_network(ex.run_id, *g);
        db->flush_candidates();
        db->put_result(ex.run_id, network, db->put_soc(soc), *g, soc, result, mode);
      }
      ex.results.push_back(std::move(result));
    }
  } catch (...) {
    if (db) discard_quietly(*db, ex.run_id);
    throw;
  }
  ex.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const auto& r : ex.results) {
    ex.evaluated += r.evaluated;
    ex.pruned += r.pruned;
    ex.proven = ex.proven && r.proven;
  }
  if (db) db->end_run(ex.run_id, ex.wall_seconds, ex.evaluated, ex.pruned);
  return ex;
}

Exploration explore_unstored(const std::vector<Graph>& graphs, std::shared_ptr<const hw::Soc> full,
                             const ExploreSettings& settings) {
  const auto soc = limit_memory(full, settings.max_memory);
  const sim::Analytical model(soc);
  ExplorationOptions eo;
  eo.network = network_options(settings, *soc);
  if (soc != full) {
    eo.unlimited = full;
    eo.limits = settings.max_memory;
  }
  std::vector<const Graph*> inputs;
  for (const auto& g : graphs)
    inputs.push_back(&g);
  return run_exploration(inputs, model, eo);
}

}  // namespace tessel::driver

namespace tessel::driver {

std::int64_t write_exploration(const std::string& path, const store::RunInfo& info,
                               const std::vector<const Graph*>& graphs, const hw::Soc& soc,
                               const std::vector<mappers::NetworkResult>& results,
                               double wall_seconds, std::uint64_t evaluated, std::uint64_t pruned) {
  if (info.mode == StoreMode::all)
    throw ConfigError(
        "store 'all' keeps every evaluated candidate, which exists only during the search: "
        "store it while exploring instead");
  if (path.empty()) throw ConfigError("empty database path");
  std::unique_ptr<Database> db;
  std::int64_t run = 0;
  try {
    db = std::make_unique<Database>(path);
    run = db->begin_run(info);
    try {
      for (std::size_t i = 0; i < graphs.size(); ++i) {
        const Graph& g = *graphs[i];
        const auto network = db->put_network(run, g);
        db->put_result(run, network, db->put_soc(soc), g, soc, results[i], info.mode);
      }
      db->end_run(run, wall_seconds, evaluated, pruned);
    } catch (...) {
      discard_quietly(*db, run);
      throw;
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& x) {
    throw StoreError(fmt::format("database '{}': {}", path, x.what()));
  }
  return run;
}

}  // namespace tessel::driver
