#pragma once

// Internal interface of the pybind11 extension `tessel._tessel`: one init
// function per submodule (each in its own bind_<module>.cpp) and the helpers
// they share. Nothing here is part of the C++ libraries' API.

#include <memory>
#include <string>

#include <pybind11/pybind11.h>

#include "hwmodels/soc.hpp"

namespace tessel::bindings {

// Creates the exception classes of the package on `m` and registers the
// translator from tessel::Error subclasses to them.
void bind_errors(pybind11::module_& m);

void bind_core(pybind11::module_& m);
void bind_schedule(pybind11::module_& m);  // into core, by bind_core
void bind_hwmodels(pybind11::module_& m);
void bind_sim(pybind11::module_& m);
void bind_mappers(pybind11::module_& m);
void bind_sweep(pybind11::module_& m);
void bind_codegen(pybind11::module_& m);
void bind_store(pybind11::module_& m);
void bind_calib(pybind11::module_& m);

// The SoC is immutable once loaded, but pybind11 holders cannot be
// shared_ptr<const T>: the bindings register hw::Soc with a shared_ptr<Soc>
// holder and expose only read-only members, so casting the constness away is
// never used to mutate.
inline std::shared_ptr<hw::Soc> soc_handle(std::shared_ptr<const hw::Soc> soc) {
  return std::const_pointer_cast<hw::Soc>(std::move(soc));
}

}  // namespace tessel::bindings
