#pragma once

#include <memory>
#include <string>

#include "hwmodels/soc_loader.hpp"

// The SoC the calibration tests fit: small.yaml's 4-core cluster with its
// block cost written out, so that it can be fitted.
inline std::shared_ptr<const tessel::hw::Soc> cluster_soc() {
  static const auto soc = tessel::hw::apply_overrides(
      *tessel::hw::load_soc_file(std::string(TESSEL_SOURCE_DIR) + "/tests/data/soc/small.yaml"),
      {{"cluster.params.block_cycles", "15"}});
  return soc;
}
