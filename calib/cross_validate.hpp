#pragma once

#include <memory>
#include <string>
#include <vector>

#include "calib/calibrate.hpp"

// Leave-one-source-out cross-validation of a calibration
// (docs/calibration.md): how far the fitted model is off on measurements it
// was not fitted to.
namespace tessel::calib {

// The group a row's errors are reported under: the unit of a layer row,
// "network" for a network row (it measures every unit it maps to).
std::string row_group(const Measurement& row);

// Row indices per key, in the order the keys first appear.
using RowGroups = std::vector<std::pair<std::string, std::vector<std::size_t>>>;
RowGroups by_source(const std::vector<Measurement>& rows);
RowGroups by_group(const std::vector<Measurement>& rows);

// One fold: the rows of one source held out, the parameters fitted to the
// others.
struct Fold {
  std::string source;
  bool fitted = false;         // false: the other rows to fit are fewer than the parameters
  std::vector<double> values;  // fitted without the source's rows (empty when not fitted)
};

struct CrossValidation {
  std::vector<Fold> folds;       // one per source, in the order of by_source
  std::vector<double> held_out;  // per row: predicted with its fold's values (NaN: not fitted)
};

// Contract: for each source of `rows`, fits `params` to the rows of the
// other sources (as calibrate does: those with `fit`) and predicts all of
// the source's rows with the fitted values. Throws ConfigError when the rows name fewer than two
// sources, and what calibrate throws.
CrossValidation cross_validate(std::shared_ptr<const hw::Soc> soc,
                               const std::vector<Measurement>& rows,
                               const std::vector<Parameter>& params);

// The rows of `which` that a fold predicted (held_out is not NaN).
std::vector<std::size_t> held_out_rows(const CrossValidation& cv,
                                       const std::vector<std::size_t>& which);

}  // namespace tessel::calib
