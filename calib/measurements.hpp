#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/graph.hpp"

// Measurement files (docs/calibration.md): CSV files of cycles measured on
// real chips, each row naming its source, read into rows that the predictor
// (calib/predict.hpp) can cost on an SoC.
namespace tessel::calib {

// A source a file declares in its provenance header
// (`# source KEY: citation, with the exact place`).
struct Source {
  std::string key;
  std::string citation;
};

// What a row measured: one layer on one unit, or a whole network.
enum class RowKind { layer, network };

// One measured row.
struct Measurement {
  std::string file;  // as given
  int line = 0;      // 1-based line in the file
  std::string source, soc, chip, unit, name, note;
  RowKind kind = RowKind::layer;
  // Layer rows: the layer's shape (input C x IY x IX, K outputs, FY x FX
  // window, strides, padding top/left/bottom/right) and bit widths.
  OpKind op = OpKind::conv;
  std::int64_t c = 1, iy = 1, ix = 1, k = 1;
  int fy = 1, fx = 1, sy = 1, sx = 1;
  int pad[4] = {0, 0, 0, 0};
  int act_bits = 8, weight_bits = 8;
  // Operands already in the memory the unit reads (a kernel benchmark),
  // instead of at their homes (a deployed layer, DMA included).
  bool resident = false;
  // Network rows: a built-in model name or an ONNX path (relative paths
  // from the file's folder).
  std::string network;
  double cycles = 0;  // measured, in the SoC's clock cycles
  // The optional column `fit`: "no" keeps the row out of the least squares
  // (it is still predicted and reported; the note says why).
  bool fit = true;
  // "FILE:LINE" for messages.
  std::string where() const;
};

struct MeasurementSet {
  std::vector<Source> sources;
  std::vector<Measurement> rows;
};

// The columns every file's header names (in any order); `fit` may be added.
const std::vector<std::string>& measurement_columns();

// Contract: reads one measurement file. Throws IoError when it cannot be
// read and ConfigError "FILE:LINE: column 'NAME': what was expected, what was
// found" for a missing column, an undeclared source, an unknown op or scope,
// a non-numeric or non-positive number, a shape that makes no layer.
MeasurementSet read_measurements(const std::string& path);

// The same from the text of a file; `file` names it in messages and rows.
MeasurementSet read_measurements_text(std::string_view text, const std::string& file);

// The rows of several files, with their sources (keys must be unique
// across the files). An empty list is an empty set.
MeasurementSet read_measurements(const std::vector<std::string>& paths);

// The shipped measurements of a built-in target (hwmodels/measurements/
// <soc>.csv, embedded; rows read as "<built-in>/<soc>.csv"), or an empty set
// when it has none.
MeasurementSet builtin_measurements(const std::string& soc);

// The built-in targets with shipped measurements.
std::vector<std::string> builtin_measurement_names();

namespace detail {
// The embedded files as (SoC name, CSV text), sorted by name. Defined in the
// file generated at build time from hwmodels/measurements/*.csv.
const std::vector<std::pair<std::string_view, std::string_view>>& builtin_measurement_table();
}  // namespace detail

// The single-layer graph of a layer row (ConfigError naming the row when its
// shape is not a layer).
Graph measurement_graph(const Measurement& m);

}  // namespace tessel::calib
