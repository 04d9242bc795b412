// _tessel.mappers: layer search results, network mapping results, and the
// exploration run of the Python API (tessel.explore).

#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "core/memory_plan.hpp"
#include "exploration.hpp"
#include "mappers/layer_search.hpp"
#include "mappers/network_mapper.hpp"
#include "mappers/search/registry.hpp"

namespace py = pybind11;

namespace tessel::bindings {

void bind_mappers(py::module_& m) {
  m.attr("objectives") = py::make_tuple("latency", "energy", "edp");
  m.attr("mappers") = py::make_tuple("tessel", "dory", "divisor");
  {
    // The registered strategies (mappers/search/), after "auto".
    py::list names;
    names.append(std::string(mappers::kAutoStrategy));
    for (const auto& s : mappers::strategies().all())
      names.append(s.name);
    m.attr("strategies") = py::tuple(names);
  }
  m.def(
      "strategy_help",
      [] {
        py::dict help;
        help[py::str(std::string(mappers::kAutoStrategy))] = std::string(mappers::kAutoHelp);
        for (const auto& s : mappers::strategies().all())
          help[py::str(s.name)] = s.help;
        return help;
      },
      "{name: one-line help} of every search strategy");

  py::class_<mappers::ParetoPoint>(m, "ParetoPoint",
                                   "One point of a layer-unit Pareto front over (cycles, "
                                   "energy, bytes at the unit's level) (read-only).")
      .def_readonly("mapping", &mappers::ParetoPoint::mapping)
      .def_readonly("cost", &mappers::ParetoPoint::cost)
      .def_readonly("unit_bytes", &mappers::ParetoPoint::unit_bytes,
                    "Bytes held at the unit's level");

  py::class_<mappers::LayerResult>(m, "LayerResult",
                                   "The outcome of one layer search on one unit (read-only).")
      .def_readonly("found", &mappers::LayerResult::found, "A legal mapping exists")
      .def_readonly("best", &mappers::LayerResult::best)
      .def_readonly("cost", &mappers::LayerResult::cost)
      .def_readonly("score", &mappers::LayerResult::score, "The objective's value of the best")
      .def_readonly("pareto", &mappers::LayerResult::pareto,
                    "Pareto front of the evaluated candidates, by cycles")
      .def_readonly("evaluated", &mappers::LayerResult::evaluated)
      .def_readonly("pruned", &mappers::LayerResult::pruned)
      .def_readonly("space_size", &mappers::LayerResult::space_size, "Candidates in the mapspace")
      .def_readonly("proven", &mappers::LayerResult::proven,
                    "The best is optimal over the whole space")
      .def_readonly("strategy", &mappers::LayerResult::strategy,
                    "The strategy that ran (the DORY tiler: 'heuristic')")
      .def_readonly("reason", &mappers::LayerResult::reason, "When not found: why");

  py::class_<mappers::UnitSearch>(m, "UnitSearch", "The result of one layer on one unit.")
      .def_readonly("unit", &mappers::UnitSearch::unit, "Unit index in the SoC")
      .def_property_readonly(
          "result",
          [](const mappers::UnitSearch& s) -> const mappers::LayerResult& { return *s.result; },
          py::return_value_policy::reference_internal)
      .def_readonly("cached", &mappers::UnitSearch::cached, "Reused from an identical layer");

  py::class_<mappers::NetworkResult>(m, "NetworkResult",
                                     "A network mapped onto an SoC: the schedule, every "
                                     "layer-unit search and what they cost (read-only).")
      .def_readonly("schedule", &mappers::NetworkResult::schedule)
      .def_readonly("searches", &mappers::NetworkResult::searches,
                    "Per layer, the searches of the units that can run it")
      .def_readonly("evaluated", &mappers::NetworkResult::evaluated)
      .def_readonly("pruned", &mappers::NetworkResult::pruned)
      .def_readonly("searches_run", &mappers::NetworkResult::searches_run,
                    "Distinct layer-unit searches")
      .def_readonly("cache_hits", &mappers::NetworkResult::cache_hits)
      .def_readonly("proven", &mappers::NetworkResult::proven)
      .def_readonly("wall_seconds", &mappers::NetworkResult::wall_seconds);

  py::class_<Exploration, std::shared_ptr<Exploration>>(
      m, "Exploration", "The outcome of explore(): networks, results and run figures (read-only).")
      .def_readonly("soc", &Exploration::soc)
      .def_readonly("graphs", &Exploration::graphs)
      .def_readonly("results", &Exploration::results, "One NetworkResult per graph")
      .def_readonly("objective", &Exploration::objective)
      .def_readonly("mapper", &Exploration::mapper)
      .def_readonly("strategy", &Exploration::strategy)
      .def_readonly("budget", &Exploration::budget)
      .def_readonly("units", &Exploration::units)
      .def_readonly("threads", &Exploration::threads)
      .def_readonly("wall_seconds", &Exploration::wall_seconds)
      .def_readonly("evaluated", &Exploration::evaluated)
      .def_readonly("pruned", &Exploration::pruned)
      .def_readonly("proven", &Exploration::proven)
      .def_readonly("database", &Exploration::database,
                    "Database written during the run ('' if none)")
      .def_readonly("run_id", &Exploration::run_id, "Its run id there (0 if none)")
      .def("total", &exploration_total,
           "{'cycles', 'ms', 'energy_uj', 'peak_bytes': {level: bytes}} as `tessel explore "
           "--json` prints under 'total'")
      .def(
          "memory_plan",
          [](const Exploration& e) {
            std::vector<const NetworkSchedule*> s;
            for (const auto& r : e.results)
              s.push_back(&r.schedule);
            return py::module_::import("json").attr("loads")(memory_plan_json(s).dump());
          },
          "The memory plan of every network as `tessel explore --json` prints it under "
          "'memory_plan'")
      .def("__repr__", [](const Exploration& e) {
        return fmt::format("<Exploration {} network(s) on {}, {} mapper, {} objective>",
                           e.graphs.size(), e.soc->name, e.mapper, e.objective);
      });

  m.def(
      "explore",
      [](std::vector<std::shared_ptr<Graph>> graphs, std::shared_ptr<hw::Soc> soc,
         const std::string& objective, const std::string& mapper, const std::string& strategy,
         std::uint64_t budget, std::uint64_t seed, std::vector<std::string> units, int threads,
         const std::string& db, const std::string& store, const std::string& command,
         std::vector<std::string> max_memory, bool partial_execution, bool split,
         const std::string& precision_policy, bool fusion) {
        ExploreRequest rq;
        rq.graphs = std::move(graphs);
        rq.soc = std::move(soc);
        rq.settings = {objective,
                       mapper,
                       strategy,
                       budget,
                       seed,
                       std::move(units),
                       std::move(max_memory),
                       partial_execution,
                       split,
                       precision_policy,
                       fusion};
        rq.threads = threads;
        rq.db = db;
        rq.store = store;
        rq.command = command;
        return explore(rq);
      },
      py::arg("graphs"), py::arg("soc"), py::arg("objective") = "latency",
      py::arg("mapper") = "tessel", py::arg("strategy") = "auto", py::arg("budget") = 200000,
      py::arg("seed") = 1, py::arg("units") = std::vector<std::string>{}, py::arg("threads") = 0,
      py::arg("db") = "", py::arg("store") = "pareto", py::arg("command") = "",
      py::arg("max_memory") = std::vector<std::string>{}, py::arg("partial_execution") = true,
      py::arg("split") = true, py::arg("precision_policy") = "strict", py::arg("fusion") = true,
      "Maps every graph onto the SoC as `tessel explore` does and returns an Exploration. "
      "Runs without the GIL; Ctrl-C cancels the search and raises KeyboardInterrupt. With "
      "`db`, the run is written there during the search (store: best | pareto | all). "
      "`max_memory`: limits 'LEVEL=SIZE' as `tessel explore --max-memory`; "
      "`partial_execution`: False as `--no-partial-execution`; `split`: False as "
      "`--no-split`; `precision_policy`: as `--precision-policy`; `fusion`: False as "
      "`--no-fusion`.");
}

}  // namespace tessel::bindings
