#include "exploration.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <tbb/info.h>
#include <tbb/task_arena.h>

#include "bindings.hpp"
#include "core/errors.hpp"
#include "driver/explore.hpp"
#include "mappers/objective.hpp"

namespace py = pybind11;

namespace tessel::bindings {
namespace {

// The exploration itself is driver::run_exploration, shared with `tessel
// explore`; this only adapts it to the Python result object.
void run_body(const ExploreRequest& rq, mappers::NetworkOptions opt, store::StoreMode mode,
              Exploration& ex) {
  const sim::Analytical model(ex.soc);
  driver::ExplorationOptions eo;
  eo.network = std::move(opt);
  eo.db = rq.db;
  if (ex.soc != rq.soc) {
    eo.unlimited = rq.soc;
    eo.limits = rq.settings.max_memory;
  }
  eo.run = {rq.command, ex.objective, ex.mapper, ex.strategy, ex.threads, mode};
  std::vector<const Graph*> graphs;
  for (const auto& g : ex.graphs)
    graphs.push_back(g.get());
  auto out = driver::run_exploration(graphs, model, std::move(eo));
  ex.results = std::move(out.results);
  ex.wall_seconds = out.wall_seconds;
  ex.evaluated = out.evaluated;
  ex.pruned = out.pruned;
  ex.proven = out.proven;
  ex.database = rq.db;
  ex.run_id = out.run_id;
}

}  // namespace

std::shared_ptr<Exploration> explore(const ExploreRequest& rq) {
  // Every option is checked before any work starts.
  if (!rq.soc) throw ConfigError("explore: no SoC given");
  if (rq.graphs.empty()) throw ConfigError("explore: no model given");
  for (const auto& g : rq.graphs) {
    if (!g) throw ConfigError("explore: a model is None");
  }
  if (rq.threads < 0) throw ConfigError("threads must be 0 or None (all cores) or positive");
  auto opt = driver::network_options(rq.settings, *rq.soc);
  const auto mode = store::parse_store_mode(rq.store);
  const auto limited = driver::limit_memory(rq.soc, rq.settings.max_memory);

  auto ex = std::make_shared<Exploration>();
  ex->soc = limited == rq.soc ? rq.soc : soc_handle(limited);
  ex->graphs = rq.graphs;
  ex->objective = std::string(mappers::objective_name(opt.search.objective));
  ex->mapper = std::string(mappers::mapper_name(opt.mapper));
  ex->strategy = rq.settings.strategy;
  ex->budget = rq.settings.budget;
  ex->units = rq.settings.units;
  ex->threads = rq.threads > 0 ? rq.threads : tbb::info::default_concurrency();

  std::atomic<bool> cancel{false};
  opt.search.cancel = &cancel;
  std::mutex mutex;
  std::condition_variable finished;
  bool done = false;
  std::exception_ptr error;
  std::thread worker([&] {
    try {
      tbb::task_arena arena(ex->threads);
      arena.execute([&] { run_body(rq, opt, mode, *ex); });
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard lock(mutex);
      done = true;
    }
    finished.notify_all();
  });

  bool interrupted = false;
  for (;;) {
    bool over = false;
    {
      py::gil_scoped_release nogil;
      std::unique_lock lock(mutex);
      over = finished.wait_for(lock, std::chrono::milliseconds(50), [&] { return done; });
    }
    if (over) break;
    if (PyErr_CheckSignals() != 0) {  // a handler raised (KeyboardInterrupt)
      interrupted = true;
      cancel.store(true);
      break;
    }
  }
  {
    py::gil_scoped_release nogil;
    worker.join();
  }
  if (interrupted) throw py::error_already_set();
  if (error) std::rethrow_exception(error);
  return ex;
}

py::dict exploration_total(const Exploration& e) {
  const hw::Soc& soc = *e.soc;
  const auto sum = driver::totals(e.results, soc.levels.size());
  const double cycles = sum.cycles, energy = sum.energy;
  const auto& peak = sum.peak_bytes;
  py::dict peak_bytes;
  for (std::size_t l = 0; l < soc.levels.size(); ++l)
    peak_bytes[py::str(soc.levels[l].name)] = peak[l];
  py::dict total;
  total["cycles"] = cycles;
  total["ms"] = cycles / soc.frequency * 1e3;
  total["energy_uj"] = energy * 1e-6;
  total["peak_bytes"] = peak_bytes;
  return total;
}

std::int64_t write_exploration(const Exploration& e, const std::string& path,
                               const std::string& mode_text, const std::string& command) {
  const auto mode = store::parse_store_mode(mode_text);
  if (mode == store::StoreMode::all)
    throw ConfigError(
        "store='all' keeps every evaluated candidate, which exists only during the search: "
        "pass db=PATH, store='all' to tessel.explore instead");
  if (path.empty()) throw ConfigError("to_sqlite: empty database path");
  std::vector<const Graph*> graphs;
  for (const auto& g : e.graphs)
    graphs.push_back(g.get());
  py::gil_scoped_release nogil;
  const auto run =
      driver::write_exploration(path, {command, e.objective, e.mapper, e.strategy, e.threads, mode},
                                graphs, *e.soc, e.results, e.wall_seconds, e.evaluated, e.pruned);
  return run;
}

}  // namespace tessel::bindings
