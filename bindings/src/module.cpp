// The extension module `tessel._tessel`: the C++ libraries of tessel, one
// submodule per library folder. The Python package `tessel` wraps it; users
// are not meant to import it directly.

#include <pybind11/pybind11.h>

#include "bindings.hpp"
#include "core/version.hpp"

namespace py = pybind11;

PYBIND11_MODULE(_tessel, m) {
  m.doc() =
      "Native core of the tessel Python package (pybind11). Submodules mirror the C++ "
      "libraries: core (layers, graphs, zoo, ONNX import, mappings, costs, schedules), "
      "hwmodels (SoC descriptions), sim (analytical cost model), mappers (search and "
      "exploration), store (SQLite results), codegen (C projects), sweep (hardware sweeps), calib "
      "(calibration). Use the `tessel` package "
      "instead.";
  m.attr("__version__") = tessel::kVersion;
  tessel::bindings::bind_errors(m);
  auto core = m.def_submodule("core",
                              "Workload IR: layers, tensors, graphs, model zoo, ONNX "
                              "import, mappings, costs and schedules");
  tessel::bindings::bind_core(core);
  auto hw = m.def_submodule("hwmodels",
                            "SoC descriptions: memories, DMA engines, compute units, "
                            "YAML loading and overrides");
  tessel::bindings::bind_hwmodels(hw);
  auto sim = m.def_submodule("sim", "Evaluation: the analytical cost model");
  tessel::bindings::bind_sim(sim);
  auto mappers =
      m.def_submodule("mappers", "Search: layer searches, network mapping and exploration runs");
  tessel::bindings::bind_mappers(mappers);
  auto store = m.def_submodule("store", "The SQLite results database");
  tessel::bindings::bind_store(store);
  auto codegen = m.def_submodule("codegen", "C code of a schedule for a backend");
  tessel::bindings::bind_codegen(codegen);
  auto sweep = m.def_submodule("sweep", "Hardware parameter sweeps (docs/sweep.md)");
  tessel::bindings::bind_sweep(sweep);
  auto calib =
      m.def_submodule("calib", "Calibration against measured cycles (docs/calibration.md)");
  tessel::bindings::bind_calib(calib);
}
