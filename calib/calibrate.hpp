#pragma once

#include <memory>
#include <string>
#include <vector>

#include "calib/measurements.hpp"
#include "hwmodels/soc.hpp"

// Calibration (docs/calibration.md): fits SoC parameters to measured cycles
// by least squares on the relative error (a bounded Levenberg-Marquardt loop
// over Eigen's solvers) and writes the fitted values as an overlay of the SoC.
namespace tessel::calib {

// One parameter to fit: a value of the SoC description, as
// hw::apply_overrides addresses it ("cluster.tile_overhead",
// "cluster.params.block_cycles", "cluster_dma.setup"), kept within [lo, hi].
struct Parameter {
  std::string path;
  double initial = 0;
  double lo = 0, hi = 0;
  std::string suffix;  // the value's unit as written ("cycles", "B/cycle"); may be empty
};

// Contract: the parameters `specs` name ("PATH" or "PATH=LO:HI"; without
// bounds: 1/10 to 10 times the SoC's value, at least 0). Throws ConfigError
// naming a path the SoC does not have, a value that is not a number, or
// bounds that do not hold the value.
std::vector<Parameter> parameters(const hw::Soc& soc, const std::vector<std::string>& specs);

// The parameters fitted when none are named: the launch and per-tile
// overhead of every unit the rows measure.
std::vector<std::string> default_parameters(const hw::Soc& soc, const MeasurementSet& rows);

// The SoC with the parameters at `values` (ConfigError from the loader when a
// value is not valid for its key).
std::shared_ptr<const hw::Soc> with_values(const hw::Soc& soc, const std::vector<Parameter>& params,
                                           const std::vector<double>& values);

// Contract: the cycles tessel predicts for each row on `soc`: a layer row's
// best mapping on its unit (operands at their homes, or at the levels the
// unit reads when resident), a network row's best schedule layer by layer
// (no split or fused layers: the flows that measured them run one layer at
// a time). Throws ConfigError "FILE:LINE: column 'unit' / 'network': ..."
// for a unit the SoC lacks, a layer the unit cannot run, a network that
// cannot be read or mapped.
std::vector<double> predict(std::shared_ptr<const hw::Soc> soc,
                            const std::vector<Measurement>& rows);

// The rows of `set` that measure `soc` (their `soc` column is its name).
std::vector<Measurement> rows_for(const hw::Soc& soc, const MeasurementSet& set);

// The outcome of a fit.
struct Calibration {
  std::vector<Parameter> params;
  std::vector<double> values;         // fitted, in params' order
  std::vector<Measurement> rows;      // the rows fitted
  std::vector<double> before, after;  // predicted cycles per row
  int iterations = 0;
  bool converged = false;
};

// Contract: fits `params` to `rows` (at least as many rows to fit as
// parameters): minimises the sum over the rows with `fit` of
// (predicted / measured - 1)^2 within the bounds; predicts every row before
// and after. Deterministic. Throws ConfigError for too few rows, and what
// predict throws.
Calibration calibrate(std::shared_ptr<const hw::Soc> soc, const std::vector<Measurement>& rows,
                      const std::vector<Parameter>& params);

// The rows of `rows` that a fit uses (the `fit` column not "no").
std::vector<Measurement> rows_to_fit(const std::vector<Measurement>& rows);

// Relative error of a prediction, (predicted - measured) / measured.
double relative_error(double predicted, double measured);

// The median and the worst absolute relative error of some rows.
struct ErrorStats {
  std::size_t rows = 0;
  double median = 0, worst = 0;
};
ErrorStats error_stats(const std::vector<double>& predicted, const std::vector<Measurement>& rows,
                       const std::vector<std::size_t>& which);

// The overlay file of a fit: `base:` the SoC it was fitted on, `set:` every
// fitted value with a comment (fitted, rows, sources, value before).
std::string overlay_yaml(const hw::Soc& soc, const std::string& base, const Calibration& fit);

}  // namespace tessel::calib
