#pragma once

#include <CLI/CLI.hpp>

#include "driver/explore.hpp"

namespace tessel::cli {

// The options of the commands that explore to show one result (plan, emit):
// --objective, --mapper, --max-memory, --no-partial-execution and the split
// and fusion options, as for explore.
void add_schedule_options(CLI::App* cmd, driver::ExploreSettings& settings);

// --no-split, --no-fusion and --precision-policy (explore, simulate, plan,
// emit).
void add_step_options(CLI::App* cmd, bool& split, bool& fusion, std::string& precision_policy);

// A check for options naming a file or directory: an empty value is refused
// (exit 2) instead of meaning "no file".
CLI::Validator non_empty_path();

}  // namespace tessel::cli
