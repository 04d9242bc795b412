// _tessel.sim: evaluation of mappings: the analytical cost model and the
// event simulator (sim::EventSim).

#include <memory>
#include <string>

#include <fmt/format.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "core/errors.hpp"
#include "driver/simulate.hpp"
#include "sim/analytical.hpp"
#include "sim/event_sim.hpp"

namespace py = pybind11;

namespace tessel::bindings {
namespace {

// The cost of one explicit mapping, with the checks `tessel cost` makes so
// that bad indices are errors, not undefined behaviour.
Cost evaluate_checked(const sim::Analytical& model, const Layer& layer, const Mapping& m) {
  const hw::Soc& soc = model.soc();
  if (m.unit < 0 || static_cast<std::size_t>(m.unit) >= soc.units.size())
    throw MappingError(fmt::format("mapping unit {}: SoC '{}' has {} unit(s)", m.unit, soc.name,
                                   soc.units.size()));
  const auto& unit = soc.units[static_cast<std::size_t>(m.unit)];
  const auto& unrollings = soc.model(m.unit).unrollings();
  if (m.unrolling < 0 || static_cast<std::size_t>(m.unrolling) >= unrollings.size())
    throw MappingError(fmt::format("mapping unrolling {}: unit '{}' has {} unrolling(s)",
                                   m.unrolling, unit.name, unrollings.size()));
  for (Dim d : kAllDims) {
    if (m.inner().tile[idx(d)] < 1 || m.inner().tile[idx(d)] > layer.dim(d))
      throw MappingError(fmt::format("mapping tile {}={}: layer '{}' has {}={}", dim_name(d),
                                     m.inner().tile[idx(d)], layer.name, dim_name(d),
                                     layer.dim(d)));
  }
  const auto ctx = model.prepare(layer, m);
  // A mapping of several loop nests brings its own route of levels.
  if (!runnable(ctx, m.depth))
    throw MappingError(fmt::format("unit '{}' cannot run layer '{}': {}", unit.name, layer.name,
                                   ctx.unsupported_reason));
  return model.evaluate(ctx, m);
}

// The model together with the handle of its SoC, so Python can read it back.
struct Model {
  explicit Model(std::shared_ptr<hw::Soc> s) : soc(std::move(s)), analytical(soc) {}
  std::shared_ptr<hw::Soc> soc;
  sim::Analytical analytical;
};

// A schedule replayed next to the model (only the steps of `layer` when
// given), with the GIL released; the trace, if any, is written and the jobs
// dropped.
driver::Replay replay_schedule(std::shared_ptr<hw::Soc> soc, const Graph& graph,
                               NetworkSchedule schedule, const std::string& trace,
                               const std::string& layer) {
  if (!soc) throw py::type_error("replaying a schedule needs an Soc");
  if (!layer.empty()) schedule = driver::only_layer(schedule, graph, layer);
  py::gil_scoped_release release;
  sim::EventSimOptions o;
  o.keep_jobs = !trace.empty();
  const sim::EventSim es(soc, o);
  auto rep = driver::replay(es, *soc, graph, schedule, trace);
  rep.result.jobs.clear();
  return rep;
}

}  // namespace

void bind_sim(py::module_& m) {
  py::class_<Model, std::shared_ptr<Model>>(
      m, "Analytical",
      "The analytical cost model of one SoC (docs/cost-model.md). Stateless and thread-safe.")
      .def(py::init([](std::shared_ptr<hw::Soc> soc) {
             if (!soc) throw py::type_error("Analytical needs an Soc");
             return std::make_shared<Model>(std::move(soc));
           }),
           py::arg("soc"))
      .def_readonly("soc", &Model::soc)
      .def(
          "evaluate",
          [](const Model& model, const Layer& layer, const Mapping& mp) {
            return evaluate_checked(model.analytical, layer, mp);
          },
          py::arg("layer"), py::arg("mapping"),
          "The Cost of one mapping of `layer`. An illegal mapping (tiles that do not fit, a "
          "tiled kernel window, a tile the unit cannot run) comes back with legal == False "
          "and a reason; an unknown unit or unrolling index, a tile outside the layer, or a "
          "unit that cannot run the layer raise MappingError.");

  py::class_<sim::ResourceUse>(m, "ResourceUse", "Busy time of one DMA engine, unit or memory.")
      .def_readonly("name", &sim::ResourceUse::name)
      .def_readonly("kind", &sim::ResourceUse::kind, "dma, unit or memory")
      .def_readonly("capacity", &sim::ResourceUse::capacity, "jobs served at once (ports)")
      .def_readonly("busy", &sim::ResourceUse::busy, "cycles with at least one job")
      .def_readonly("utilisation", &sim::ResourceUse::utilisation)
      .def_readonly("jobs", &sim::ResourceUse::jobs);
  py::class_<sim::SimResult>(m, "SimResult", "The outcome of an event-simulation replay.")
      .def_readonly("cycles", &sim::SimResult::cycles)
      .def_readonly("layer_cycles", &sim::SimResult::layer_cycles,
                    "cycles of each replayed layer (first job start to last job end)")
      .def_readonly("step_cycles", &sim::SimResult::step_cycles,
                    "cycles of each replayed schedule step (first job start to last job end)")
      .def_readonly("resources", &sim::SimResult::resources)
      .def_property_readonly(
          "stalls",
          [](const sim::SimResult& r) {
            py::dict d;
            for (std::size_t c = 0; c < r.stalls.size(); ++c)
              d[py::str(std::string(sim::stall_cause_name(static_cast<sim::StallCause>(c))))] =
                  r.stalls[c];
            return d;
          },
          "stall cycles by cause")
      .def_readonly("events", &sim::SimResult::events, "job starts and ends processed");
  py::class_<driver::ReplayRow>(m, "ReplayRow",
                                "One replayed schedule part: analytical cycles (with its step's "
                                "layout conversion) next to the simulated ones.")
      .def_readonly("layer", &driver::ReplayRow::layer)
      .def_readonly("unit", &driver::ReplayRow::unit)
      .def_readonly("analytical", &driver::ReplayRow::analytical)
      .def_readonly("simulated", &driver::ReplayRow::simulated);
  py::class_<driver::ReplayStep>(m, "ReplayStep",
                                 "A step of more than one part (a channel-sliced chain, a split "
                                 "layer) replayed as a whole.")
      .def_readonly("kind", &driver::ReplayStep::kind, "'concurrent' or 'fused'")
      .def_readonly("layers", &driver::ReplayStep::layers, "its distinct layers, in order")
      .def_readonly("step", &driver::ReplayStep::step)
      .def_readonly("first_row", &driver::ReplayStep::first_row)
      .def_readonly("rows", &driver::ReplayStep::rows)
      .def_readonly("analytical", &driver::ReplayStep::analytical)
      .def_readonly("simulated", &driver::ReplayStep::simulated);
  py::class_<driver::Replay>(m, "Replay", "A schedule replayed next to the analytical model.")
      .def_readonly("result", &driver::Replay::result)
      .def_readonly("rows", &driver::Replay::rows, "one per part, in step order")
      .def_readonly("steps", &driver::Replay::steps, "the steps of more than one part")
      .def_readonly("analytical_total", &driver::Replay::analytical_total);
  m.def("replay_schedule", &replay_schedule, py::arg("soc"), py::arg("graph"), py::arg("schedule"),
        py::arg("trace") = "", py::arg("layer") = "",
        "simulate_schedule with the analytical model's cycles of every part beside the "
        "simulator's (what `tessel simulate` prints).");
  m.def(
      "simulate_schedule",
      [](std::shared_ptr<hw::Soc> soc, const Graph& graph, NetworkSchedule schedule,
         const std::string& trace, const std::string& layer) {
        return replay_schedule(std::move(soc), graph, std::move(schedule), trace, layer).result;
      },
      py::arg("soc"), py::arg("graph"), py::arg("schedule"), py::arg("trace") = "",
      py::arg("layer") = "",
      "Replays a network schedule of `graph` in the event simulator, step after step (only "
      "`layer` when given); with `trace`, writes a Chrome / Perfetto trace JSON there. Raises "
      "MappingError when a layer cannot run as scheduled or does not exist, IoError when the "
      "trace cannot be written.");
}

}  // namespace tessel::bindings
