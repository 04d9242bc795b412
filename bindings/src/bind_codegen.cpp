// Bindings of codegen/: the C project of a schedule (docs/codegen.md).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "bindings.hpp"
#include "codegen/backends.hpp"
#include "codegen/emit.hpp"

namespace py = pybind11;

namespace tessel::bindings {

void bind_codegen(py::module_& m) {
  py::class_<codegen::EmitResult>(m, "EmitResult", "What an emission wrote")
      .def_property_readonly("files",
                             [](const codegen::EmitResult& r) {
                               std::vector<std::string> files;
                               for (const auto& f : r.files)
                                 files.push_back(f.generic_string());
                               return files;
                             })
      .def_readonly("constant_bytes", &codegen::EmitResult::constant_bytes)
      .def_readonly("arena_bytes", &codegen::EmitResult::arena_bytes, "per level of the schedule");
  m.def("backends", &codegen::backend_names, "The emitter's backends.");
  m.def(
      "emit",
      [](std::shared_ptr<hw::Soc> soc, const Graph& graph, const NetworkSchedule& schedule,
         const std::string& backend, const std::filesystem::path& out_dir, bool force) {
        if (!soc) throw py::type_error("emit needs an Soc");
        const sim::Analytical model(soc);
        py::gil_scoped_release release;
        return codegen::emit(graph, schedule, model, backend, out_dir, force);
      },
      py::arg("soc"), py::arg("graph"), py::arg("schedule"), py::arg("backend"), py::arg("out_dir"),
      py::arg("force") = false,
      "Writes the C project of `schedule` for `backend` into `out_dir` (created; a non-empty "
      "one is refused with ConfigError unless `force`). UnsupportedError for what the "
      "emitter does not run.");
}

}  // namespace tessel::bindings
