#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

// Reading YAML text (SoC files, overrides, sweep specs) with yaml-cpp, safely.
namespace tessel::hw {

// Contract: the documents of `text`. Throws ConfigError "<origin>:<line>:
// invalid YAML: <message>" for text yaml-cpp rejects, and for the inputs that
// make yaml-cpp 0.7 loop forever (see check_yaml_hazards).
std::vector<YAML::Node> load_yaml_documents(std::string_view text, const std::string& origin);

// Contract: throws ConfigError "<origin>:<line>: invalid YAML: ..." when a
// document of `text` starts with ',' (invalid YAML: a flow indicator outside
// a flow collection), on which yaml-cpp 0.7 never returns when a ']' follows
// (found by the fuzzer, tests/data/fuzz/soc/). Nothing otherwise.
void check_yaml_hazards(std::string_view text, const std::string& origin);

}  // namespace tessel::hw
