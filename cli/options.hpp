#pragma once

#include <CLI/CLI.hpp>

#include "driver/explore.hpp"

namespace tessel::cli {

// The options of the commands that explore to show one result (plan, emit):
// --objective, --mapper, --max-memory, --no-partial-execution and the split
// options, as for explore.
void add_schedule_options(CLI::App* cmd, driver::ExploreSettings& settings);

// --no-split and --precision-policy (explore, simulate, plan, emit).
void add_split_options(CLI::App* cmd, bool& split, std::string& precision_policy);

}  // namespace tessel::cli
