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
// line starts with ',' outside a flow collection (invalid YAML: a flow
// indicator in block context), on which yaml-cpp 0.7 can loop forever
// (found by the fuzzers, tests/data/fuzz/soc/). Quotes and comments are
// skipped; block scalars are not recognised (such a line in one is refused
// too). Also refuses anchors (&), aliases (*) and tags (!), on which yaml-cpp
// 0.7 loops forever too (found by fuzz_sweep) and which tessel's files do not
// need, and control characters other than tab, CR and LF (not allowed in YAML;
// a NUL hid a ',' from the check above). Nothing otherwise.
void check_yaml_hazards(std::string_view text, const std::string& origin);

}  // namespace tessel::hw
