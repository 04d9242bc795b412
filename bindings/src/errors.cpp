// tessel::Error and its subclasses as Python exceptions. Each Python class
// derives from tessel.Error and from the built-in exception a Python user
// would expect for that kind of problem, so both `except tessel.ConfigError`
// and `except ValueError` work:
//   Error(Exception)
//   ConfigError, ModelError, UnsupportedError, MappingError (Error, ValueError)
//   IoError (Error, OSError)
//   StoreError (Error, RuntimeError)

#include <exception>

#include <pybind11/pybind11.h>

#include "bindings.hpp"
#include "core/errors.hpp"

namespace py = pybind11;

namespace tessel::bindings {
namespace {

// The Python classes, owned by the module (kept alive by its attributes).
struct ErrorTypes {
  PyObject* error = nullptr;
  PyObject* config = nullptr;
  PyObject* model = nullptr;
  PyObject* unsupported = nullptr;
  PyObject* mapping = nullptr;
  PyObject* io = nullptr;
  PyObject* store = nullptr;
};
ErrorTypes types;

PyObject* make_type(py::module_& m, const char* name, const char* doc, py::tuple bases) {
  const std::string qualified = std::string("tessel.") + name;
  PyObject* t = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), nullptr);
  if (t == nullptr) throw py::error_already_set();
  m.add_object(name, py::reinterpret_borrow<py::object>(t));
  return t;
}

}  // namespace

void bind_errors(py::module_& m) {
  const auto base = [](PyObject* a) { return py::make_tuple(py::handle(a)); };
  const auto pair = [](PyObject* a, PyObject* b) {
    return py::make_tuple(py::handle(a), py::handle(b));
  };
  types.error = make_type(m, "Error",
                          "Base of every error tessel reports about its input. The message "
                          "names the file, key, layer or node concerned and what was expected.",
                          base(PyExc_Exception));
  types.config = make_type(m, "ConfigError",
                           "A configuration (SoC YAML, override, option value) is malformed or "
                           "inconsistent.",
                           pair(types.error, PyExc_ValueError));
  types.model = make_type(m, "ModelError",
                          "A network (ONNX file, zoo name) cannot be read or is inconsistent.",
                          pair(types.error, PyExc_ValueError));
  types.unsupported = make_type(m, "UnsupportedError",
                                "The input is well-formed but uses something tessel does not "
                                "support (an ONNX operator, an attribute value, an op on a unit).",
                                pair(types.error, PyExc_ValueError));
  types.mapping = make_type(m, "MappingError",
                            "A request cannot be satisfied: unknown name, illegal mapping, a "
                            "layer that fits no memory, contradictory constraints.",
                            pair(types.error, PyExc_ValueError));
  types.io = make_type(m, "IoError", "A file cannot be opened, read or written.",
                       pair(types.error, PyExc_OSError));
  types.store =
      make_type(m, "StoreError", "A results database is unreadable or of an unknown schema.",
                pair(types.error, PyExc_RuntimeError));

  py::register_exception_translator([](std::exception_ptr p) {
    if (!p) return;
    try {
      std::rethrow_exception(p);
    } catch (const ConfigError& e) {
      PyErr_SetString(types.config, e.what());
    } catch (const ModelError& e) {
      PyErr_SetString(types.model, e.what());
    } catch (const UnsupportedError& e) {
      PyErr_SetString(types.unsupported, e.what());
    } catch (const MappingError& e) {
      PyErr_SetString(types.mapping, e.what());
    } catch (const IoError& e) {
      PyErr_SetString(types.io, e.what());
    } catch (const StoreError& e) {
      PyErr_SetString(types.store, e.what());
    } catch (const Error& e) {
      PyErr_SetString(types.error, e.what());
    }
  });
}

}  // namespace tessel::bindings
