#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "calib/fidelity.hpp"

// The output of `tessel socs show S --fidelity` (docs/calibration.md).
namespace tessel::cli {

std::string fidelity_text(const hw::Soc& soc, const calib::Fidelity& f);
nlohmann::ordered_json fidelity_json(const hw::Soc& soc, const calib::Fidelity& f);

}  // namespace tessel::cli
