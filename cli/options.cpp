#include "cli/options.hpp"

namespace tessel::cli {

void add_schedule_options(CLI::App* cmd, driver::ExploreSettings& settings) {
  cmd->add_option("--objective", settings.objective, "latency | energy | edp")
      ->capture_default_str();
  cmd->add_option("--mapper", settings.mapper, "tessel | dory | divisor")->capture_default_str();
  cmd->add_option("--max-memory", settings.max_memory,
                  "Memory limit LEVEL=SIZE (e.g. L2=256KiB), repeatable, as for explore");
  cmd->add_flag("!--no-partial-execution", settings.partial_execution,
                "Never run chains in channel slices to fit memory, as for explore");
  cmd->add_flag("!--no-split", settings.split,
                "Never split a layer across units running at once, as for explore");
  cmd->add_option("--precision-policy", settings.precision_policy,
                  "strict | allow-lower: the units a split layer's parts may run on, as for "
                  "explore")
      ->capture_default_str();
}

}  // namespace tessel::cli
