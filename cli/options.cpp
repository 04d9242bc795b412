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
  add_step_options(cmd, settings.split, settings.fusion, settings.precision_policy);
}

void add_step_options(CLI::App* cmd, bool& split, bool& fusion, std::string& precision_policy) {
  cmd->add_flag("!--no-split", split,
                "Never split a layer's output channels across units running at once");
  cmd->add_flag("!--no-fusion", fusion,
                "Never run a chain of layers fused, band by band of rows with its "
                "intermediates at the unit's level");
  cmd->add_option("--precision-policy", precision_policy,
                  "strict (a split layer's parts only on units of the layer's bit widths) | "
                  "allow-lower (also on units of lower weight precision; each part reports "
                  "its bits)")
      ->capture_default_str();
}

CLI::Validator non_empty_path() {
  return CLI::Validator(
      [](std::string& value) {
        return value.empty() ? std::string("needs a file name, not an empty one") : std::string();
      },
      "PATH");
}

}  // namespace tessel::cli
