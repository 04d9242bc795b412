#pragma once

#include <CLI/CLI.hpp>

#include "driver/explore.hpp"

namespace tessel::cli {

// The options of the commands that explore to show one result (plan, emit):
// --objective, --mapper, --max-memory and --no-partial-execution, as for
// explore.
void add_schedule_options(CLI::App* cmd, driver::ExploreSettings& settings);

}  // namespace tessel::cli
