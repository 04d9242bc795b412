#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "calib/calibrate.hpp"

// How far to trust an SoC's numbers (`tessel socs show S --fidelity`): per
// unit, the measurement rows behind it, the model's error on them now, and
// the held-out error of the cross-validation recorded for the shipped target
// (hwmodels/measurements/held-out/<soc>.json, written by
// scripts/validation.py).
namespace tessel::calib {

// The figures of one group (a unit, or "network") recorded by a
// cross-validation: the error of the model the record was made on, and
// the held-out error.
struct RecordedGroup {
  std::string name;
  ErrorStats before, held_out;
};

// A cross-validation record of a built-in target.
struct HeldOutRecord {
  std::string command;  // what reproduces it
  std::string date;
  std::vector<std::string> params;
  std::vector<RecordedGroup> groups;
};

// The record shipped for a built-in target, if any. Throws ConfigError
// naming the record for a malformed one.
std::optional<HeldOutRecord> builtin_held_out(const std::string& soc);

// A record as the JSON object scripts/validation.py writes (ConfigError
// naming `where` when malformed).
HeldOutRecord parse_held_out(const nlohmann::json& j, const std::string& where);

struct UnitFidelity {
  std::string unit;               // a unit of the SoC, or "network"
  std::vector<std::size_t> rows;  // indices into Fidelity::rows
  std::vector<std::string> sources;
  ErrorStats now;  // the model's error on the rows now
  // The recorded group, when the record's `before` error matches `now`
  // (the record was made on this model).
  std::optional<RecordedGroup> recorded;
};

struct Fidelity {
  std::vector<Measurement> rows;
  std::vector<double> predicted;
  std::vector<UnitFidelity> units;  // every unit of the SoC, then "network" when measured
  std::optional<HeldOutRecord> record;
  bool record_matches = false;  // every measured group's `before` equals `now`
};

// Contract: predicts the rows of `set` that measure `soc` and groups them
// per unit; attaches `record` where it matches. Throws what predict throws.
Fidelity fidelity(std::shared_ptr<const hw::Soc> soc, const MeasurementSet& set,
                  std::optional<HeldOutRecord> record);

namespace detail {
// The embedded records as (SoC name, JSON text), sorted by name. Defined in
// the file generated from hwmodels/measurements/held-out/*.json.
const std::vector<std::pair<std::string_view, std::string_view>>& builtin_held_out_table();
}  // namespace detail

}  // namespace tessel::calib
