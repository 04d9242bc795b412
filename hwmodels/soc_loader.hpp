#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hwmodels/soc.hpp"

// Reading SoC descriptions (docs/soc-yaml.md): YAML text -> validated,
// immutable hw::Soc with one UnitModel per compute unit. Every function here
// throws tessel::Error subclasses on bad input and never exits.
namespace tessel::hw {

// Contract: parses and validates an SoC description. `origin` names the text
// in error messages and becomes Soc::source ("gap9.yaml", "<built-in>/gap9.yaml").
// Throws ConfigError "<origin>:<line>: <key path>: <expected, found>" on the
// first problem (syntax, unknown or missing key, wrong unit, bad value,
// dangling reference, unreachable level, bad unit parameter).
std::shared_ptr<const Soc> load_soc_text(std::string_view text, const std::string& origin);

// Contract: reads and loads a YAML file. Throws IoError when it cannot be read,
// ConfigError when its content is invalid (errors name `path`).
std::shared_ptr<const Soc> load_soc_file(const std::string& path);

// Contract: a built-in target name (see builtin_soc_names()) loads the YAML
// embedded in the binary; anything else that ends in .yaml / .yml or names an
// existing file is loaded as a file. Otherwise throws MappingError listing the
// built-in names.
std::shared_ptr<const Soc> load_soc(const std::string& name_or_path);

// The names of the built-in targets (hwmodels/targets/*.yaml at build time),
// sorted.
std::vector<std::string> builtin_soc_names();

// The embedded YAML text of a built-in target, if `name` is one.
std::optional<std::string_view> builtin_soc_text(std::string_view name);

// Contract: a copy of `soc` with the given values replaced, re-validated as a
// whole. Keys address one YAML value:
//   clock | name | description | home.weights | home.activations
//   <memory>.<key>          e.g. L1.size = "64 KiB"
//   <dma>.<key>             e.g. cluster_dma.bandwidth = "16 B/cycle"
//   <unit>.<key>            e.g. ne16.launch = "100 cycles"
//   <unit>.params.<param>   e.g. cluster.params.cores = "4"
// A name may be qualified as memories.<name>, dmas.<name> or units.<name>
// (required when it names items of two kinds). Values are YAML ("[1x1, 3x3]"
// gives a list). Throws ConfigError naming the key for an unknown key or
// name, and for any value that fails validation. The result's yaml_text is
// the whole modified description, so its hash identifies the variant.
std::shared_ptr<const Soc> apply_overrides(const Soc& soc,
                                           const std::map<std::string, std::string>& params);

namespace detail {
// The embedded targets as (name, YAML text), sorted by name. Defined in the
// file generated at build time from hwmodels/targets/*.yaml.
const std::vector<std::pair<std::string_view, std::string_view>>& builtin_soc_table();
}  // namespace detail

}  // namespace tessel::hw
