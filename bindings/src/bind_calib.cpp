// Bindings of calib/ (docs/calibration.md): what tessel.calibrate() runs. The
// report crosses as the JSON object of `tessel calibrate --json`, which the
// Python side turns into DataFrames.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <tbb/global_control.h>
#include <tbb/info.h>

#include "bindings.hpp"
#include "calib/report.hpp"
#include "core/errors.hpp"

namespace py = pybind11;

namespace tessel::bindings {

void bind_calib(py::module_& m) {
  m.def(
      "calibrate",
      [](std::shared_ptr<hw::Soc> soc, const std::vector<std::string>& measurements,
         const std::vector<std::string>& params, bool cross_validate, const std::string& base,
         int threads) {
        if (!soc) throw py::type_error("calibrate needs an Soc");
        if (threads < 0) throw ConfigError("threads must be 0 (all cores) or positive");
        std::string report, overlay;
        {
          py::gil_scoped_release release;
          const auto n = threads > 0 ? threads : tbb::info::default_concurrency();
          tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                                    static_cast<std::size_t>(n));
          const auto run = calib::calibrate_files(soc, measurements, params, cross_validate);
          report = calib::report_json(run.fit, run.held_out(), "").dump();
          if (!base.empty()) overlay = calib::overlay_yaml(*soc, base, run.fit);
        }
        return py::make_tuple(report, overlay);
      },
      py::arg("soc"), py::arg("measurements"), py::arg("params"), py::arg("cross_validate"),
      py::arg("base"), py::arg("threads") = 0,
      "Fits `params` (all launch and tile overheads of the measured units when empty) to the "
      "rows of `measurements` that measure `soc`: (report JSON text, overlay YAML text on "
      "`base`, empty when `base` is). ConfigError naming file, line and column for bad rows.");
}

}  // namespace tessel::bindings
