// Bindings of the sweeps (driver/sweep.hpp, docs/sweep.md): what tessel.sweep()
// runs locally and on Dask workers. Specs and rows cross as JSON text, so
// that they pickle.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <tbb/global_control.h>
#include <tbb/info.h>

#include "bindings.hpp"
#include "driver/pareto.hpp"
#include "driver/sweep.hpp"
#include "driver/sweep_spec.hpp"

namespace py = pybind11;

namespace tessel::bindings {

void bind_sweep(py::module_& m) {
  m.def(
      "spec_json",
      [](const std::string& spec, bool is_file, const std::vector<std::string>& sets) {
        auto s = is_file ? driver::load_sweep_spec(spec) : driver::parse_sweep_spec(spec, "<spec>");
        for (const auto& item : sets)
          driver::add_set(s, item);
        return driver::spec_to_json(s);
      },
      py::arg("spec"), py::arg("is_file"), py::arg("sets") = std::vector<std::string>{},
      "The canonical JSON of a sweep spec (a YAML file, or YAML text) with `--set` items "
      "applied. ConfigError naming the path for a bad spec.");
  py::class_<driver::SweepPlan>(m, "SweepPlan", "A checked sweep: its points and networks")
      .def(py::init([](const std::string& spec_json, bool reuse) {
             return std::make_unique<driver::SweepPlan>(driver::spec_from_json(spec_json), reuse);
           }),
           py::arg("spec_json"), py::arg("reuse") = true)
      .def_property_readonly("hash", &driver::SweepPlan::hash)
      .def_property_readonly(
          "points",
          [](const driver::SweepPlan& p) {
            py::list out;
            for (const auto& x : p.points())
              out.append(py::dict(py::arg("index") = x.index, py::arg("point") = x.id,
                                  py::arg("params") = x.params));
            return out;
          })
      .def(
          "run",
          [](const driver::SweepPlan& p, std::size_t index) {
            py::gil_scoped_release release;
            return driver::point_row_to_json(p.run(index));
          },
          py::arg("index"), "Explores point `index` on every network: its row as JSON text.")
      .def_property_readonly("searches_run", &driver::SweepPlan::searches_run)
      .def_property_readonly("cache_hits", &driver::SweepPlan::cache_hits);
  py::class_<driver::SweepStore>(m, "SweepStore", "The sweep's rows in a results database")
      .def(py::init<const std::string&, const driver::SweepPlan&, bool, const std::string&>(),
           py::arg("db"), py::arg("plan"), py::arg("resume"), py::arg("command"),
           py::keep_alive<1, 3>())
      .def_property_readonly("sweep_id", &driver::SweepStore::sweep_id)
      .def("pending", &driver::SweepStore::pending)
      .def(
          "put",
          [](driver::SweepStore& s, const std::string& row_json) {
            s.put(driver::point_row_from_json(row_json));
          },
          py::arg("row_json"), "Writes one point's row (one transaction).");
  m.def(
      "run_sweep",
      [](const driver::SweepPlan& plan, const std::string& db, bool resume,
         const std::string& command, int threads) {
        const auto n = threads > 0 ? threads : tbb::info::default_concurrency();
        py::gil_scoped_release release;
        tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                                  static_cast<std::size_t>(n));
        return driver::run_sweep(plan, {db, resume, command, {}}).sweep_id;
      },
      py::arg("plan"), py::arg("db"), py::arg("resume"), py::arg("command"), py::arg("threads"),
      "Runs the plan's pending points on this machine; returns the sweep id.");
  m.def("pareto_front", &driver::pareto_front, py::arg("values"),
        "Indices of the rows no other row dominates (every column minimised).");
}

}  // namespace tessel::bindings
