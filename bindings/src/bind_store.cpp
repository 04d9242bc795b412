// _tessel.store: the SQLite results database (writing an exploration, reading
// schedules back). Tables are read from Python with sqlite3 + pandas
// (tessel.read_db); this module only does what needs the C++ side.

#include <memory>
#include <string>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "exploration.hpp"
#include "store/database.hpp"

namespace py = pybind11;

namespace tessel::bindings {

void bind_store(py::module_& m) {
  m.attr("store_modes") = py::make_tuple("best", "pareto", "all");

  py::class_<store::Database>(m, "Database",
                              "A tessel results database (opened or created, schema checked; "
                              "StoreError otherwise).")
      .def(py::init([](const std::string& path, bool read_only) {
             return std::make_unique<store::Database>(
                 path, read_only ? store::Access::read : store::Access::write);
           }),
           py::arg("path"), py::arg("read_only") = false,
           "read_only: the file must exist; nothing is created or cleaned up")
      .def_property_readonly("path", &store::Database::path)
      .def("load_schedule", &store::Database::load_schedule, py::arg("schedule_id"),
           "A stored schedule read back as a NetworkSchedule; StoreError when it does not exist")
      .def("schedules_of_run", &store::Database::schedules_of_run, py::arg("run_id"),
           "The schedule ids of a run, in the order they were written");

  m.def("write_exploration", &write_exploration, py::arg("exploration"), py::arg("path"),
        py::arg("store") = "pareto", py::arg("command") = "",
        "Writes an Exploration into the database at `path` as one run, as `tessel explore "
        "--db PATH --store STORE` does (store: best | pareto). Returns the run id.");
}

}  // namespace tessel::bindings
