#include <array>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "core/errors.hpp"
#include "hwmodels/soc_loader.hpp"
#include "hwmodels/soc_yaml.hpp"
#include "hwmodels/yaml_text.hpp"

// SoC variants: apply_overrides (hwmodels/soc_loader.hpp) edits the YAML tree
// of a description and validates the result as a whole.
namespace tessel::hw {
namespace {

using namespace detail;

// Whether a node exists and is of type `t` (a missing key's node throws on
// Type(), so IsDefined() comes first).
bool defined_as(const YAML::Node& n, YAML::NodeType::value t) {
  return n.IsDefined() && n.Type() == t;
}

// The scalar `name` of each item of the section `key` ("units").
std::vector<std::string> item_names(const YAML::Node& root, const char* key) {
  std::vector<std::string> names;
  const YAML::Node seq = root[key];
  if (!seq.IsDefined() || !seq.IsSequence()) return names;
  for (const auto& item : seq) {
    const YAML::Node n = item.IsMap() ? item["name"] : YAML::Node();
    names.push_back(n.IsDefined() && n.IsScalar() ? n.Scalar() : "");
  }
  return names;
}

// Checks `units.<unit> = present | absent`: the unit exists, the value is one
// of the two.
template <class Fail>
void check_presence(const YAML::Node& root, const std::string& unit, const std::string& value,
                    const Fail& fail) {
  const auto names = item_names(root, "units");
  if (!contains(names, unit)) fail(fmt::format("no unit named '{}'; units: {}", unit, join(names)));
  if (value != "present" && value != "absent")
    fail(fmt::format("expected present or absent, got '{}'", value));
}

// The names of the levels a unit reads (its `reads`, a level or {I, W, O}).
std::set<std::string> levels_read(const YAML::Node& unit) {
  std::set<std::string> out;
  const YAML::Node r = unit["reads"];
  if (!r.IsDefined()) return out;
  if (r.IsScalar()) out.insert(r.Scalar());
  if (r.IsMap()) {
    for (auto it = r.begin(); it != r.end(); ++it) {
      if (it->second.IsScalar()) out.insert(it->second.Scalar());
    }
  }
  return out;
}

// A copy of a sequence without the items `drop` says to drop.
template <class Drop>
YAML::Node without(const YAML::Node& seq, const Drop& drop) {
  YAML::Node out(YAML::NodeType::Sequence);
  for (const auto& item : seq) {
    if (!drop(item)) out.push_back(item);
  }
  return out;
}

bool named(const YAML::Node& item, const std::set<std::string>& names) {
  const YAML::Node n = item.IsMap() ? item["name"] : YAML::Node();
  return n.IsDefined() && n.IsScalar() && names.count(n.Scalar()) > 0;
}

// Removes the `absent` units from the tree, with the memory levels only they
// could reach (their private memories: listed in no other unit's `reads` or
// `accessible_by`, no home and holding no role) and the DMA links to and
// from those levels (an engine left without links goes too). The other
// levels' accessible_by lists lose the units' names.
void remove_units(YAML::Node& root, const std::vector<std::string>& absent) {
  if (absent.empty()) return;
  const std::set<std::string> gone(absent.begin(), absent.end());
  const YAML::Node& croot = root;
  std::map<std::string, std::set<std::string>> users;  // level -> units that reach it
  for (const auto& u : croot["units"]) {
    const YAML::Node n = u.IsMap() ? u["name"] : YAML::Node();
    if (!n.IsDefined() || !n.IsScalar()) continue;
    for (const auto& l : levels_read(u))
      users[l].insert(n.Scalar());
  }
  std::set<std::string> homes;
  if (defined_as(croot["home"], YAML::NodeType::Map)) {
    for (auto it = croot["home"].begin(); it != croot["home"].end(); ++it) {
      if (it->second.IsScalar()) homes.insert(it->second.Scalar());
    }
  }
  std::set<std::string> private_levels;
  for (auto level : croot["memories"]) {
    const YAML::Node& cl = level;  // reads through a const view: operator[] would insert keys
    if (!cl.IsMap() || !defined_as(cl["name"], YAML::NodeType::Scalar)) continue;
    const std::string name = cl["name"].Scalar();
    std::set<std::string> by = users[name];
    const YAML::Node acc = cl["accessible_by"];
    if (defined_as(acc, YAML::NodeType::Sequence)) {
      for (const auto& a : acc) {
        if (a.IsScalar()) by.insert(a.Scalar());
      }
      level["accessible_by"] =
          without(acc, [&](const YAML::Node& a) { return a.IsScalar() && gone.count(a.Scalar()); });
    }
    const bool only_gone = !by.empty() && std::all_of(by.begin(), by.end(), [&](const auto& u) {
      return gone.count(u) > 0;
    });
    if (only_gone && !homes.count(name) && !cl["holds"].IsDefined()) private_levels.insert(name);
  }
  root["units"] = without(croot["units"], [&](const YAML::Node& u) { return named(u, gone); });
  if (private_levels.empty()) return;
  root["memories"] =
      without(croot["memories"], [&](const YAML::Node& l) { return named(l, private_levels); });
  if (!defined_as(croot["dmas"], YAML::NodeType::Sequence)) return;
  for (auto dma : croot["dmas"]) {
    const YAML::Node& cd = dma;
    if (!cd.IsMap() || !defined_as(cd["links"], YAML::NodeType::Sequence)) continue;
    dma["links"] = without(cd["links"], [&](const YAML::Node& link) {
      if (!link.IsSequence()) return false;
      for (const auto& end : link) {
        if (end.IsScalar() && private_levels.count(end.Scalar())) return true;
      }
      return false;
    });
  }
  root["dmas"] = without(croot["dmas"], [](const YAML::Node& d) {
    return d.IsMap() && defined_as(d["links"], YAML::NodeType::Sequence) && d["links"].size() == 0;
  });
}

// Collects a node and all nodes under it.
void collect(const YAML::Node& n, std::vector<YAML::Node>& out) {
  out.push_back(n);
  if (n.IsSequence()) {
    for (const auto& c : n)
      collect(c, out);
  } else if (n.IsMap()) {
    for (auto it = n.begin(); it != n.end(); ++it) {
      out.push_back(it->first);
      collect(it->second, out);
    }
  }
}

// Sets `map[key] = value` and records every node involved for error messages.
void set_value(YAML::Node map, const std::string& key, const YAML::Node& value,
               OverrideOrigin& origin) {
  map[key] = value;
  collect(value, origin.nodes);
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) origin.nodes.push_back(it->first);
  }
}

// Applies one override `key = value` to the tree of an SoC description.
void apply_override(YAML::Node& root, const std::string& key, const std::string& value,
                    OverrideOrigin& origin, std::vector<std::string>& absent) {
  auto fail = [&](const std::string& what) {
    throw ConfigError(fmt::format("override '{}': {}", key, what));
  };
  std::vector<std::string> parts;
  {
    std::string part;
    std::istringstream in(key);
    while (std::getline(in, part, '.'))
      parts.push_back(part);
    if (!key.empty() && key.back() == '.') parts.emplace_back();
  }
  if (parts.empty() ||
      std::any_of(parts.begin(), parts.end(), [](const std::string& p) { return p.empty(); })) {
    fail("expected a key such as 'L1.size', 'clock' or 'cluster.params.cores'");
  }
  YAML::Node parsed;
  try {
    check_yaml_hazards(value, "--set");
    parsed = YAML::Load(value);
  } catch (const YAML::Exception& e) {
    fail(fmt::format("invalid value '{}': {}", value, e.msg));
  } catch (const ConfigError&) {
    fail(fmt::format("invalid value '{}': a YAML value cannot start with ','", value));
  }

  if (!root.IsMap()) fail("the SoC description is not a mapping");
  // Lookups go through a const view: yaml-cpp's non-const operator[] inserts keys.
  const YAML::Node& croot = root;
  if (parts.size() == 1) {
    if (parts[0] == "name" || parts[0] == "description" || parts[0] == "clock") {
      set_value(root, parts[0], parsed, origin);
      return;
    }
    fail(
        fmt::format("unknown key '{}'; expected clock, name, description, home.weights, "
                    "home.activations, <memory>.<key>, <dma>.<key>, <unit>.<key> or "
                    "<unit>.params.<param>",
                    parts[0]));
  }
  if (parts[0] == "home") {
    if (parts.size() != 2 || !contains(kHomeKeys, parts[1])) {
      fail(fmt::format("unknown key; expected home.weights or home.activations"));
    }
    const YAML::Node home = croot["home"];
    if (!home.IsDefined() || !home.IsMap()) fail("the SoC description has no home mapping");
    set_value(home, parts[1], parsed, origin);
    return;
  }

  // Find the named memory, DMA engine or unit. A Section is one list of named
  // items of the schema, with the keys its items accept.
  struct Section {
    const char* key;
    const char* what;
    const std::vector<std::string>* keys;
  };
  const std::array<Section, 3> sections = {{{"memories", "memory", &kMemoryKeys},
                                            {"dmas", "DMA engine", &kDmaKeys},
                                            {"units", "unit", &kUnitKeys}}};
  std::size_t first = 0;
  std::vector<const Section*> wanted;
  for (const auto& s : sections) {
    if (parts[0] == s.key) {
      wanted = {&s};
      first = 1;
    }
  }
  if (wanted.empty()) {
    for (const auto& s : sections)
      wanted.push_back(&s);
  }
  if (parts.size() == 2 && parts[0] == "units") {
    check_presence(croot, parts[1], value, fail);
    if (value == "absent") absent.push_back(parts[1]);
    return;
  }
  if (parts.size() < first + 2) {
    fail(
        "expected <name>.<key> after the section, e.g. memories.L1.size, or units.<unit> = "
        "present | absent");
  }
  const std::string& item_name = parts[first];
  std::vector<std::pair<const Section*, YAML::Node>> matches;
  std::vector<std::string> names;
  for (const Section* s : wanted) {
    const YAML::Node seq = croot[s->key];
    if (!seq.IsDefined() || !seq.IsSequence()) continue;
    for (const auto& item : seq) {
      if (!item.IsMap()) continue;
      const YAML::Node item_name_node = item["name"];
      if (!item_name_node.IsDefined() || !item_name_node.IsScalar()) continue;
      const std::string n = item_name_node.Scalar();
      names.push_back(n);
      if (n == item_name) matches.emplace_back(s, item);
    }
  }
  if (matches.empty()) {
    fail(fmt::format("no {} named '{}'; names: {}",
                     wanted.size() == 1 ? wanted[0]->what : "memory, DMA engine or unit", item_name,
                     join(names)));
  }
  if (matches.size() > 1) {
    fail(fmt::format("'{}' names both a {} and a {}; write {}.{}... or {}.{}...", item_name,
                     matches[0].first->what, matches[1].first->what, matches[0].first->key,
                     item_name, matches[1].first->key, item_name));
  }
  const Section& section = *matches[0].first;
  YAML::Node item = matches[0].second;
  const std::vector<std::string> rest(parts.begin() + static_cast<long>(first) + 1, parts.end());
  if (!contains(*section.keys, rest[0])) {
    fail(fmt::format("unknown key '{}' of {} '{}'; expected one of {}", rest[0], section.what,
                     item_name, join(*section.keys)));
  }
  if (rest.size() == 1) {
    set_value(item, rest[0], parsed, origin);
    return;
  }
  if (rest.size() == 2 && rest[0] == "params") {
    const YAML::Node& citem = item;
    const YAML::Node old = citem["params"];
    if (!old.IsDefined() || !old.IsMap()) {
      set_value(item, "params", YAML::Node(YAML::NodeType::Map), origin);
    }
    set_value(citem["params"], rest[1], parsed, origin);
    return;
  }
  fail(fmt::format("'{}' of {} '{}' takes no sub-key", rest[0], section.what, item_name));
}

}  // namespace

std::shared_ptr<const Soc> apply_overrides(const Soc& soc,
                                           const std::map<std::string, std::string>& params) {
  if (params.empty()) return std::make_shared<const Soc>(soc);
  YAML::Node root = detail::parse_yaml(soc.yaml_text, soc.source);
  std::vector<OverrideOrigin> origins;
  origins.reserve(params.size());
  std::string summary;
  std::vector<std::string> absent;  // units to remove, after every value is set
  for (const auto& [key, value] : params) {
    origins.push_back(OverrideOrigin{key, {}});
    apply_override(root, key, value, origins.back(), absent);
    summary += fmt::format("{}{}={}", summary.empty() ? "" : ", ", key, value);
  }
  remove_units(root, absent);
  std::replace(summary.begin(), summary.end(), '\n', ' ');  // the summary is one comment line
  YAML::Emitter out;
  out << root;
  if (!out.good()) {
    throw ConfigError(fmt::format("{}: cannot write the overridden description: {}", soc.source,
                                  out.GetLastError()));
  }
  // The text records where the variant came from; it reloads on its own.
  std::string text = fmt::format("# {} with overrides: {}\n", soc.source, summary);
  text += out.c_str();
  text += '\n';
  return detail::load_tree(root, text, soc.source, &origins);
}

namespace detail {

std::shared_ptr<const Soc> load_overlay(const YAML::Node& root, const std::string& origin) {
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string key = it->first.Scalar();
    if (key != "base" && key != "set")
      throw ConfigError(
          fmt::format("{}: {}: an overlay has only the keys base and set", origin, key));
  }
  const YAML::Node base = root["base"];
  if (!base.IsScalar() || base.Scalar().empty())
    throw ConfigError(fmt::format("{}: base: expected the name or path of an SoC", origin));
  // A relative path is read from the overlay's folder.
  std::string name = base.Scalar();
  const std::filesystem::path p(name);
  if (!builtin_soc_text(name) && p.is_relative() &&
      (p.extension() == ".yaml" || p.extension() == ".yml"))
    name = (std::filesystem::path(origin).parent_path() / p).string();
  const auto soc = load_soc(name);
  std::map<std::string, std::string> values;
  const YAML::Node set = root["set"];
  if (set.IsDefined() && !set.IsMap())
    throw ConfigError(fmt::format("{}: set: expected a map of KEY: VALUE", origin));
  if (set.IsDefined()) {
    for (auto it = set.begin(); it != set.end(); ++it) {
      if (!it->second.IsScalar())
        throw ConfigError(
            fmt::format("{}: set.{}: expected a single value", origin, it->first.Scalar()));
      values[it->first.Scalar()] = it->second.Scalar();
    }
  }
  try {
    return apply_overrides(*soc, values);
  } catch (const ConfigError& e) {
    throw ConfigError(fmt::format("{}: set: {}", origin, e.what()));
  }
}

}  // namespace detail

}  // namespace tessel::hw
