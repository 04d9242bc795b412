#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "hwmodels/soc.hpp"

// Internals shared by the SoC loader (soc_loader.cpp) and the overrides
// (soc_overrides.cpp): the schema's keys and the YAML tree -> Soc step.
namespace tessel::hw::detail {

// The keys each section of the schema accepts (docs/soc-yaml.md), in
// documentation order; used for validation and for override keys.
extern const std::vector<std::string> kTopKeys, kConversionKeys, kMemoryKeys, kHomeKeys, kDmaKeys,
    kUnitKeys, kOperandKeys;

inline std::string join(const std::vector<std::string>& items, std::string_view sep = ", ") {
  std::string out;
  for (const auto& s : items)
    out += (out.empty() ? "" : std::string(sep)) + s;
  return out;
}

inline bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// One value given in an override, with every YAML node it brought in, so that
// errors about those nodes name the override instead of a line of the file.
struct OverrideOrigin {
  std::string key;
  std::vector<YAML::Node> nodes;
};

// Parses YAML text into one document node; syntax errors become ConfigError.
YAML::Node parse_yaml(std::string_view text, const std::string& origin);
// An overlay description (`base: SOC` and `set: {KEY: VALUE}`, keys as
// apply_overrides takes them): the base SoC with those values replaced.
std::shared_ptr<const Soc> load_overlay(const YAML::Node& root, const std::string& origin);

// Validates a YAML tree into a Soc whose yaml_text is `text`; errors about
// nodes an override brought in name the override.
std::shared_ptr<const Soc> load_tree(const YAML::Node& root, std::string_view text,
                                     const std::string& origin,
                                     const std::vector<OverrideOrigin>* overrides);

}  // namespace tessel::hw::detail
