#include "hwmodels/soc_loader.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <limits>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "core/cost.hpp"
#include "core/errors.hpp"
#include "core/files.hpp"
#include "core/units.hpp"
#include "hwmodels/soc_yaml.hpp"
#include "hwmodels/unit_model.hpp"
#include "hwmodels/yaml_text.hpp"

namespace tessel::hw {
namespace detail {

const std::vector<std::string> kTopKeys = {
    "name",  "description",       "clock",      "memories", "home", "dmas",
    "units", "layout_conversion", "concurrency"};
const std::vector<std::string> kConversionKeys = {"cycles_per_byte", "energy_per_byte"};
const std::vector<std::string> kConcurrencyKeys = {"sync"};
const std::vector<std::string> kMemoryKeys = {
    "name",     "size",    "read_bandwidth", "write_bandwidth", "read_energy", "write_energy",
    "ports",    "latency", "leakage",        "accessible_by",   "holds",       "read_only",
    "reserved", "area"};
const std::vector<std::string> kHomeKeys = {"weights", "activations"};
const std::vector<std::string> kDmaKeys = {"name", "links",    "bandwidth", "setup", "row_cost",
                                           "dims", "channels", "energy",    "area"};
const std::vector<std::string> kUnitKeys = {
    "name",         "kind",        "frequency",       "ops",           "kernels",
    "strides",      "weight_bits", "activation_bits", "reads",         "energy_per_mac",
    "active_power", "idle_power",  "launch",          "tile_overhead", "params",
    "layout",       "area"};
const std::vector<std::string> kOperandKeys = {"I", "W", "O"};

}  // namespace detail

namespace {

using namespace detail;

// How a node looks, for "found ..." in messages.
std::string node_kind(const YAML::Node& n) {
  if (!n.IsDefined()) return "nothing";
  switch (n.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "nothing";
    case YAML::NodeType::Scalar:
      break;
  }
  return fmt::format("'{}'", n.Scalar());
}

// Names of SoCs, memories, DMA engines and units: letters, digits, '_' and
// '-', starting with a letter or '_' (they appear in override keys, tables
// and generated C).
bool valid_name(const std::string& s) {
  if (s.empty()) return false;
  if (!(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

// One entry of a YAML mapping: the key node (for its line) and the value.
struct Entry {
  YAML::Node key;
  YAML::Node value;
};

// Turns a YAML tree into a validated Soc. Every check throws ConfigError
// "<origin>:<line>: <path>: <message>" through fail().
class SocParser {
 public:
  SocParser(std::string origin, const std::vector<OverrideOrigin>* overrides)
      : origin_(std::move(origin)), overrides_(overrides) {}

  std::shared_ptr<const Soc> parse(const YAML::Node& root, std::string_view text);

  [[noreturn]] void fail(const YAML::Node& at, const std::string& path,
                         const std::string& what) const {
    throw ConfigError(fmt::format("{}: {}{}", where(at), path.empty() ? "" : path + ": ", what));
  }

 private:
  // A validated mapping: its node, its path and its entries by key.
  struct MapView {
    YAML::Node node;
    std::string path;
    std::map<std::string, Entry> entries;
    const Entry* get(const std::string& k) const {
      const auto it = entries.find(k);
      return it == entries.end() ? nullptr : &it->second;
    }
  };

  std::string where(const YAML::Node& at) const;
  // "line 12" (or "override 'L1.name'"): where a node is, within the same origin.
  std::string line_of(const YAML::Node& at) const;
  MapView map_view(const YAML::Node& n, const YAML::Node& at, const std::string& path,
                   const std::vector<std::string>& allowed, std::string_view what) const;
  const Entry& require(const MapView& m, const std::string& key, std::string_view what) const;
  std::vector<YAML::Node> list(const Entry& e, const std::string& path, std::string_view what,
                               bool non_empty) const;
  std::string text(const YAML::Node& value, const YAML::Node& at, const std::string& path) const;
  std::string name(const Entry& e, const std::string& path) const;
  double quantity(const YAML::Node& value, const YAML::Node& at, const std::string& path,
                  Quantity q) const;
  double positive(const Entry& e, const std::string& path, Quantity q) const;
  double non_negative(const Entry& e, const std::string& path, Quantity q) const;
  double optional_non_negative(const MapView& m, const std::string& key, Quantity q) const;
  // The item's `area` (mm2), when given.
  std::optional<double> area(const MapView& m) const;
  int count_in(const YAML::Node& value, const YAML::Node& at, const std::string& path, int lo,
               int hi) const;
  int level_ref(const YAML::Node& value, const YAML::Node& at, const std::string& path) const;

  void parse_memories(const Entry& e);
  // The item's required `name`, which must not repeat among `seen` (names
  // of the same section so far, with where they were defined).
  std::string unique_name(const MapView& m, const std::string& path, std::string_view expected,
                          std::string_view what, std::map<std::string, YAML::Node>& seen) const;
  void parse_home(const Entry& e);
  // A memory's `holds` and `read_only`.
  void parse_roles(const MapView& m, const std::string& path, MemoryLevel& l) const;
  // Homes hold their roles; the spill levels (Soc::weights_spill, activations_spill).
  void set_spill();
  void parse_conversion(const Entry& e);
  void parse_concurrency(const Entry& e);
  void parse_dmas(const Entry& e);
  void parse_unit(const YAML::Node& n, std::size_t i);
  void parse_params(const MapView& u, UnitSpec& spec, const UnitKind& kind,
                    const std::string& path);
  void check_reachability(const MapView& u, UnitSpec& spec, const std::string& path);
  void check_accessible_by();

  std::string origin_;
  const std::vector<OverrideOrigin>* overrides_;
  Soc soc_;
  // Per memory level: its accessible_by list (nodes, for errors), if given.
  std::vector<std::optional<std::vector<YAML::Node>>> accessible_nodes_;
  std::vector<std::string> accessible_paths_;
  // Per unit: the node of its `reads` entry (for errors) and its map path.
  std::vector<YAML::Node> reads_nodes_;
  std::vector<std::string> unit_paths_;
};

std::string SocParser::where(const YAML::Node& at) const {
  if (!at.IsDefined()) return origin_;
  if (overrides_ != nullptr) {
    for (const auto& o : *overrides_) {
      for (const auto& n : o.nodes) {
        if (n.is(at)) return fmt::format("{} (override '{}')", origin_, o.key);
      }
    }
  }
  const auto mark = at.Mark();
  if (mark.is_null()) return origin_;
  return fmt::format("{}:{}", origin_, mark.line + 1);
}

std::string SocParser::line_of(const YAML::Node& at) const {
  const std::string w = where(at);
  if (w.rfind(origin_ + ":", 0) == 0) return "line " + w.substr(origin_.size() + 1);
  if (w.rfind(origin_ + " (", 0) == 0)
    return w.substr(origin_.size() + 2, w.size() - origin_.size() - 3);
  return w;
}

SocParser::MapView SocParser::map_view(const YAML::Node& n, const YAML::Node& at,
                                       const std::string& path,
                                       const std::vector<std::string>& allowed,
                                       std::string_view what) const {
  if (!n.IsMap()) {
    fail(n.IsNull() || !n.IsDefined() ? at : n, path,
         fmt::format("expected {} (a mapping with keys {}), found {}", what, join(allowed),
                     node_kind(n)));
  }
  MapView m{n, path, {}};
  for (auto it = n.begin(); it != n.end(); ++it) {
    const YAML::Node key = it->first;  // a copy: it-> is a proxy that dies here
    if (!key.IsScalar()) fail(key, path, "expected a text key, found " + node_kind(key));
    const std::string k = key.Scalar();
    const std::string kpath = path.empty() ? k : path + "." + k;
    if (!contains(allowed, k)) {
      fail(key, kpath,
           fmt::format("unknown key '{}' in {}; expected one of {}", k, what, join(allowed)));
    }
    if (const auto* prev = m.get(k)) {
      fail(key, kpath,
           fmt::format("duplicate key '{}' (first given at {})", k, line_of(prev->key)));
    }
    m.entries.emplace(k, Entry{key, it->second});
  }
  return m;
}

const Entry& SocParser::require(const MapView& m, const std::string& key,
                                std::string_view what) const {
  const Entry* e = m.get(key);
  if (e == nullptr) {
    fail(m.node, m.path, fmt::format("missing required key '{}' ({})", key, what));
  }
  return *e;
}

std::vector<YAML::Node> SocParser::list(const Entry& e, const std::string& path,
                                        std::string_view what, bool non_empty) const {
  if (!e.value.IsSequence()) {
    fail(e.value.IsNull() ? e.key : e.value, path,
         fmt::format("expected a list of {}, found {}", what, node_kind(e.value)));
  }
  std::vector<YAML::Node> out(e.value.begin(), e.value.end());
  if (non_empty && out.empty()) {
    fail(e.value, path, fmt::format("expected a non-empty list of {}, found an empty list", what));
  }
  return out;
}

std::string SocParser::text(const YAML::Node& value, const YAML::Node& at,
                            const std::string& path) const {
  if (!value.IsScalar()) {
    fail(value.IsNull() ? at : value, path,
         fmt::format("expected a text value, found {}", node_kind(value)));
  }
  return value.Scalar();
}

std::string SocParser::name(const Entry& e, const std::string& path) const {
  const std::string s = text(e.value, e.key, path);
  if (!valid_name(s)) {
    fail(e.value, path,
         fmt::format("expected a name of letters, digits, '_' and '-' starting with a letter "
                     "or '_', got '{}'",
                     s));
  }
  return s;
}

double SocParser::quantity(const YAML::Node& value, const YAML::Node& at, const std::string& path,
                           Quantity q) const {
  if (value.IsNull() || !value.IsDefined()) {
    try {
      parse_quantity("", q);
    } catch (const ConfigError& err) {
      std::string msg = err.what();
      const auto pos = msg.rfind("got ''");
      if (pos != std::string::npos) msg = msg.substr(0, pos) + "got nothing";
      fail(at, path, msg);
    }
  }
  if (!value.IsScalar()) {
    fail(value, path,
         fmt::format("expected a single {} value, found {}", quantity_name(q), node_kind(value)));
  }
  try {
    return parse_quantity(value.Scalar(), q);
  } catch (const ConfigError& err) {
    fail(value, path, err.what());
  }
}

double SocParser::positive(const Entry& e, const std::string& path, Quantity q) const {
  const double v = quantity(e.value, e.key, path, q);
  if (!(v > 0.0))
    fail(e.value, path, fmt::format("must be greater than 0, got '{}'", e.value.Scalar()));
  return v;
}

double SocParser::non_negative(const Entry& e, const std::string& path, Quantity q) const {
  const double v = quantity(e.value, e.key, path, q);
  if (v < 0.0) fail(e.value, path, fmt::format("must not be negative, got '{}'", e.value.Scalar()));
  return v;
}

double SocParser::optional_non_negative(const MapView& m, const std::string& key,
                                        Quantity q) const {
  const Entry* e = m.get(key);
  return e == nullptr ? 0.0 : non_negative(*e, m.path + "." + key, q);
}

std::optional<double> SocParser::area(const MapView& m) const {
  const Entry* e = m.get("area");
  if (e == nullptr) return std::nullopt;
  return non_negative(*e, m.path + ".area", Quantity::area);
}

int SocParser::count_in(const YAML::Node& value, const YAML::Node& at, const std::string& path,
                        int lo, int hi) const {
  const double v = quantity(value, at, path, Quantity::count);
  if (v < lo || v > hi) {
    fail(value, path,
         hi == std::numeric_limits<int>::max()
             ? fmt::format("expected a whole number of at least {}, got '{}'", lo, value.Scalar())
             : fmt::format("expected a whole number from {} to {}, got '{}'", lo, hi,
                           value.Scalar()));
  }
  return static_cast<int>(v);
}

int SocParser::level_ref(const YAML::Node& value, const YAML::Node& at,
                         const std::string& path) const {
  const std::string s = text(value, at, path);
  if (const auto i = soc_.find_level(s)) return *i;
  std::vector<std::string> names;
  for (const auto& l : soc_.levels)
    names.push_back(l.name);
  fail(value, path, fmt::format("unknown memory level '{}'; levels: {}", s, join(names)));
}

void SocParser::parse_memories(const Entry& e) {
  const auto items = list(e, "memories", "memory levels", true);
  if (items.size() > kMaxLevels) {
    fail(e.key, "memories",
         fmt::format("{} memory levels given, at most {} are supported", items.size(), kMaxLevels));
  }
  std::map<std::string, YAML::Node> seen;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string path = fmt::format("memories[{}]", i);
    const auto m = map_view(items[i], items[i], path, kMemoryKeys, "a memory level");
    MemoryLevel l;
    l.name = unique_name(m, path, "a unique name such as L1", "memory", seen);
    const double size = positive(require(m, "size", "a byte size such as '128 KiB'"),
                                 path + ".size", Quantity::bytes);
    l.capacity = static_cast<std::int64_t>(size);
    if (const Entry* r = m.get("reserved")) {
      l.reserved = static_cast<std::int64_t>(non_negative(*r, path + ".reserved", Quantity::bytes));
      if (l.reserved >= l.capacity)
        fail(r->value, path + ".reserved",
             fmt::format("must be smaller than the level's size ({} B), got {} B", l.capacity,
                         l.reserved));
      l.capacity -= l.reserved;
    }
    l.read_bandwidth = positive(require(m, "read_bandwidth", "a bandwidth such as '8 B/cycle'"),
                                path + ".read_bandwidth", Quantity::bandwidth);
    l.write_bandwidth = positive(require(m, "write_bandwidth", "a bandwidth such as '8 B/cycle'"),
                                 path + ".write_bandwidth", Quantity::bandwidth);
    l.read_energy = non_negative(require(m, "read_energy", "an energy per byte such as '0.5 pJ/B'"),
                                 path + ".read_energy", Quantity::energy_per_byte);
    l.write_energy =
        non_negative(require(m, "write_energy", "an energy per byte such as '0.5 pJ/B'"),
                     path + ".write_energy", Quantity::energy_per_byte);
    if (const Entry* p = m.get("ports")) {
      l.ports = count_in(p->value, p->key, path + ".ports", 1, std::numeric_limits<int>::max());
    }
    l.latency = optional_non_negative(m, "latency", Quantity::cycles);
    l.leakage = optional_non_negative(m, "leakage", Quantity::power);
    l.area = area(m);
    parse_roles(m, path, l);
    std::optional<std::vector<YAML::Node>> acc;
    if (const Entry* a = m.get("accessible_by")) {
      acc = list(*a, path + ".accessible_by", "unit names", false);
    }
    accessible_nodes_.push_back(std::move(acc));
    accessible_paths_.push_back(path + ".accessible_by");
    soc_.levels.push_back(std::move(l));
  }
}

std::string SocParser::unique_name(const MapView& m, const std::string& path,
                                   std::string_view expected, std::string_view what,
                                   std::map<std::string, YAML::Node>& seen) const {
  const Entry& n = require(m, "name", std::string(expected));
  auto id = name(n, path + ".name");
  if (const auto it = seen.find(id); it != seen.end()) {
    fail(
        n.value, path + ".name",
        fmt::format("duplicate {} name '{}' (first defined at {})", what, id, line_of(it->second)));
  }
  seen.emplace(id, n.value);
  return id;
}

void SocParser::parse_roles(const MapView& m, const std::string& path, MemoryLevel& l) const {
  if (const Entry* h = m.get("holds")) {
    for (const auto& n : list(*h, path + ".holds", "roles: weights, activations", true)) {
      const auto role = text(n, n, path + ".holds");
      if (role == "weights") {
        l.holds_weights = true;
      } else if (role == "activations") {
        l.holds_activations = true;
      } else {
        fail(n, path + ".holds",
             fmt::format("unknown role '{}'; expected weights or activations", role));
      }
    }
  }
  if (const Entry* r = m.get("read_only")) {
    const auto v = text(r->value, r->key, path + ".read_only");
    if (v != "true" && v != "false") fail(r->value, path + ".read_only", "expected true or false");
    l.read_only = v == "true";
  }
  if (l.read_only && l.holds_activations)
    fail(m.node, path, "a read-only memory cannot hold activations");
}

void SocParser::set_spill() {
  const auto w = static_cast<std::size_t>(soc_.weights_home);
  const int a = soc_.activations_home;
  soc_.levels[w].holds_weights = true;
  soc_.levels[static_cast<std::size_t>(a)].holds_activations = true;
  for (std::size_t l = 0; l < soc_.levels.size(); ++l) {
    const auto& lvl = soc_.levels[l];
    const int li = static_cast<int>(l);
    if (li == a || !lvl.holds_activations || lvl.read_only || !soc_.dma_for(li, a) ||
        !soc_.dma_for(a, li))
      continue;
    if (soc_.activations_spill < 0 ||
        lvl.capacity > soc_.levels[static_cast<std::size_t>(soc_.activations_spill)].capacity)
      soc_.activations_spill = li;
  }
  for (std::size_t l = 0; l < soc_.levels.size(); ++l) {
    const auto& lvl = soc_.levels[l];
    if (l == w || !lvl.holds_weights || !soc_.dma_for(static_cast<int>(l), soc_.weights_home))
      continue;
    if (soc_.weights_spill < 0 ||
        lvl.capacity > soc_.levels[static_cast<std::size_t>(soc_.weights_spill)].capacity)
      soc_.weights_spill = static_cast<int>(l);
  }
}

void SocParser::parse_home(const Entry& e) {
  const auto m = map_view(e.value, e.key, "home", kHomeKeys, "the home levels");
  const Entry& w = require(m, "weights", "the memory level where weights live");
  soc_.weights_home = level_ref(w.value, w.key, "home.weights");
  const Entry& a = require(m, "activations", "the memory level where activations live");
  soc_.activations_home = level_ref(a.value, a.key, "home.activations");
  if (soc_.levels[static_cast<std::size_t>(soc_.activations_home)].read_only)
    fail(a.value, "home.activations",
         fmt::format("level '{}' is read-only and cannot hold activations",
                     soc_.levels[static_cast<std::size_t>(soc_.activations_home)].name));
}

void SocParser::parse_conversion(const Entry& e) {
  const auto m = map_view(e.value, e.key, "layout_conversion", kConversionKeys,
                          "the cost of converting activations between unit layouts");
  soc_.conversion_cycles = optional_non_negative(m, "cycles_per_byte", Quantity::real);
  soc_.conversion_energy = optional_non_negative(m, "energy_per_byte", Quantity::energy_per_byte);
}

void SocParser::parse_concurrency(const Entry& e) {
  const auto m = map_view(e.value, e.key, "concurrency", kConcurrencyKeys,
                          "the cost of running units at the same time");
  soc_.sync_cycles = optional_non_negative(m, "sync", Quantity::cycles);
}

void SocParser::parse_dmas(const Entry& e) {
  const auto items = list(e, "dmas", "DMA engines", false);
  std::map<std::string, YAML::Node> seen;
  std::map<std::pair<int, int>, std::string> served;  // link -> DMA name
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string path = fmt::format("dmas[{}]", i);
    const auto m = map_view(items[i], items[i], path, kDmaKeys, "a DMA engine");
    DmaEngine d;
    d.name = unique_name(m, path, "a unique name such as cluster_dma", "DMA", seen);

    const Entry& links = require(m, "links", "a list of [source, destination] level pairs");
    const auto pairs = list(links, path + ".links", "[source, destination] level pairs", true);
    for (std::size_t j = 0; j < pairs.size(); ++j) {
      const std::string lpath = fmt::format("{}.links[{}]", path, j);
      const YAML::Node& p = pairs[j];
      if (!p.IsSequence() || p.size() != 2) {
        fail(p, lpath,
             fmt::format("expected a [source, destination] pair of level names such as [L2, L1], "
                         "found {}",
                         p.IsSequence() ? fmt::format("a list of {}", p.size()) : node_kind(p)));
      }
      const int src = level_ref(p[0], p, lpath + "[0]");
      const int dst = level_ref(p[1], p, lpath + "[1]");
      if (src == dst) {
        fail(p, lpath,
             fmt::format("a link needs two different levels, got [{}, {}]",
                         soc_.levels[static_cast<std::size_t>(src)].name,
                         soc_.levels[static_cast<std::size_t>(dst)].name));
      }
      const auto [it, fresh] = served.emplace(std::pair{src, dst}, d.name);
      if (!fresh) {
        fail(p, lpath,
             fmt::format("link {} -> {} is already served by DMA engine '{}'; give each link "
                         "to one engine",
                         soc_.levels[static_cast<std::size_t>(src)].name,
                         soc_.levels[static_cast<std::size_t>(dst)].name, it->second));
      }
      d.links.emplace_back(src, dst);
    }
    d.bandwidth = positive(require(m, "bandwidth", "a bandwidth such as '8 B/cycle'"),
                           path + ".bandwidth", Quantity::bandwidth);
    d.setup_cycles = optional_non_negative(m, "setup", Quantity::cycles);
    d.row_cycles = optional_non_negative(m, "row_cost", Quantity::cycles);
    if (const Entry* x = m.get("dims")) d.dims = count_in(x->value, x->key, path + ".dims", 1, 3);
    if (const Entry* x = m.get("channels")) {
      d.channels =
          count_in(x->value, x->key, path + ".channels", 1, std::numeric_limits<int>::max());
    }
    d.energy = optional_non_negative(m, "energy", Quantity::energy_per_byte);
    d.area = area(m);
    soc_.dmas.push_back(std::move(d));
  }
}

void SocParser::parse_params(const MapView& u, UnitSpec& spec, const UnitKind& kind,
                             const std::string& path) {
  std::vector<std::string> names;
  for (const auto& p : kind.params)
    names.push_back(p.name);
  const Entry* pe = u.get("params");
  std::map<std::string, Entry> given;
  if (pe != nullptr) {
    if (!pe->value.IsMap() && !(pe->value.IsNull() && kind.params.empty())) {
      fail(pe->value.IsNull() ? pe->key : pe->value, path + ".params",
           fmt::format("expected a mapping of the parameters of kind '{}' ({}), found {}",
                       kind.name, names.empty() ? "none" : join(names), node_kind(pe->value)));
    }
    if (pe->value.IsMap()) {
      for (auto it = pe->value.begin(); it != pe->value.end(); ++it) {
        const YAML::Node key = it->first;  // a copy: it-> is a proxy that dies here
        const std::string k = text(key, key, path + ".params");
        const std::string kpath = path + ".params." + k;
        if (!contains(names, k)) {
          fail(key, kpath,
               names.empty()
                   ? fmt::format("unknown parameter '{}': kind '{}' takes no parameters", k,
                                 kind.name)
                   : fmt::format("unknown parameter '{}' of kind '{}'; valid parameters: {}", k,
                                 kind.name, join(names)));
        }
        if (const auto prev = given.find(k); prev != given.end()) {
          fail(key, kpath,
               fmt::format("duplicate key '{}' (first given at {})", k, line_of(prev->second.key)));
        }
        given.emplace(k, Entry{key, it->second});
      }
    }
  }
  for (const auto& p : kind.params) {
    const auto it = given.find(p.name);
    if (it == given.end()) {
      if (!p.default_value) {
        const std::string unit(quantity_base_unit(p.quantity));
        fail(pe != nullptr && pe->value.IsMap() ? pe->value : u.node, path + ".params",
             fmt::format("missing required parameter '{}' of kind '{}' ({}{}: {})", p.name,
                         kind.name, quantity_name(p.quantity), unit.empty() ? "" : ", " + unit,
                         p.description));
      }
      spec.params[p.name] = *p.default_value;
    } else {
      spec.params[p.name] =
          quantity(it->second.value, it->second.key, path + ".params." + p.name, p.quantity);
    }
  }
}

void SocParser::parse_unit(const YAML::Node& node, std::size_t i) {
  const std::string path = fmt::format("units[{}]", i);
  const auto u = map_view(node, node, path, kUnitKeys, "a compute unit");
  UnitSpec spec;
  const Entry& n = require(u, "name", "a unique name such as cluster");
  spec.name = name(n, path + ".name");
  if (const auto j = soc_.find_unit(spec.name)) {
    fail(n.value, path + ".name",
         fmt::format("duplicate unit name '{}' (first defined as units[{}])", spec.name, *j));
  }

  const Entry& k = require(u, "kind", "the unit kind, see `tessel socs kinds`");
  spec.kind = text(k.value, k.key, path + ".kind");
  const UnitKind* kind = find_unit_kind(spec.kind);
  if (kind == nullptr) {
    std::vector<std::string> known;
    for (const auto& x : unit_kinds())
      known.push_back(x.name);
    fail(k.value, path + ".kind",
         fmt::format("unknown unit kind '{}'; known kinds: {}", spec.kind, join(known)));
  }

  spec.frequency = soc_.frequency;
  if (const Entry* f = u.get("frequency"))
    spec.frequency = positive(*f, path + ".frequency", Quantity::frequency);

  const Entry& ops = require(u, "ops", "a list of op kinds such as [conv, dense]");
  const auto op_items = list(ops, path + ".ops", "op kinds", true);
  for (std::size_t j = 0; j < op_items.size(); ++j) {
    const std::string opath = fmt::format("{}.ops[{}]", path, j);
    const std::string s = text(op_items[j], op_items[j], opath);
    const auto op = parse_op(s);
    if (!op) {
      std::vector<std::string> known;
      for (OpKind o : kAllOpKinds)
        known.emplace_back(op_name(o));
      fail(op_items[j], opath, fmt::format("unknown op kind '{}'; known: {}", s, join(known)));
    }
    if (std::find(spec.ops.begin(), spec.ops.end(), *op) != spec.ops.end()) {
      fail(op_items[j], opath, fmt::format("op kind '{}' is listed twice", s));
    }
    spec.ops.push_back(*op);
  }

  if (const Entry* ks = u.get("kernels")) {
    const auto items = list(*ks, path + ".kernels", "kernel sizes such as 3x3", true);
    for (std::size_t j = 0; j < items.size(); ++j) {
      const std::string kpath = fmt::format("{}.kernels[{}]", path, j);
      const std::string s = text(items[j], items[j], kpath);
      const auto x = s.find('x');
      auto digits = [](std::string_view d) {
        return !d.empty() && d.size() <= 4 && std::all_of(d.begin(), d.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c));
        });
      };
      if (x == std::string::npos || !digits(std::string_view(s).substr(0, x)) ||
          !digits(std::string_view(s).substr(x + 1))) {
        fail(items[j], kpath,
             fmt::format("expected a kernel size FYxFX such as '3x3', got '{}'", s));
      }
      const int fy = std::stoi(s.substr(0, x));
      const int fx = std::stoi(s.substr(x + 1));
      if (fy < 1 || fx < 1) {
        fail(items[j], kpath, fmt::format("kernel sizes must be at least 1x1, got '{}'", s));
      }
      spec.kernels.emplace_back(fy, fx);
    }
  }
  auto int_list = [&](const char* key, int lo, int hi, std::vector<int>& out) {
    if (const Entry* e = u.get(key)) {
      const std::string lpath = path + "." + key;
      const auto items = list(*e, lpath, "whole numbers", true);
      for (std::size_t j = 0; j < items.size(); ++j) {
        out.push_back(count_in(items[j], items[j], fmt::format("{}[{}]", lpath, j), lo, hi));
      }
    }
  };
  int_list("strides", 1, 64, spec.strides);
  int_list("weight_bits", 1, 32, spec.weight_bits);
  int_list("activation_bits", 1, 32, spec.activation_bits);

  const Entry& r = require(u, "reads", "a memory level name, or a mapping {I: .., W: .., O: ..}");
  if (r.value.IsMap()) {
    const auto rm =
        map_view(r.value, r.key, path + ".reads", kOperandKeys, "the level of each operand");
    for (std::size_t o = 0; o < kNumOperands; ++o) {
      const Entry& oe = require(rm, kOperandKeys[o], "a memory level name");
      spec.operand_level[o] = level_ref(oe.value, oe.key, path + ".reads." + kOperandKeys[o]);
    }
  } else {
    const int l = level_ref(r.value, r.key, path + ".reads");
    spec.operand_level = {l, l, l};
  }

  spec.energy_per_mac = non_negative(require(u, "energy_per_mac", "an energy such as '1.2 pJ'"),
                                     path + ".energy_per_mac", Quantity::energy);
  spec.active_power = optional_non_negative(u, "active_power", Quantity::power);
  spec.idle_power = optional_non_negative(u, "idle_power", Quantity::power);
  spec.launch_cycles = optional_non_negative(u, "launch", Quantity::cycles);
  spec.tile_overhead_cycles = optional_non_negative(u, "tile_overhead", Quantity::cycles);
  if (const Entry* lay = u.get("layout")) spec.layout = name(*lay, path + ".layout");
  spec.area = area(u);

  parse_params(u, spec, *kind, path);
  check_reachability(u, spec, path);

  reads_nodes_.push_back(r.value.IsNull() ? r.key : r.value);
  unit_paths_.push_back(path);
  soc_.units.push_back(std::move(spec));

  // Built here so that errors of the kind's own consistency checks point at the unit:
  // at the first given parameter the message names ("params.cores must be ..."), else
  // at the unit's params key.
  try {
    soc_.models.push_back(make_unit_model(soc_.units.back(), soc_.frequency));
  } catch (const ConfigError& err) {
    const std::string msg = err.what();
    const Entry* pe = u.get("params");
    YAML::Node at = pe != nullptr ? pe->key : node;
    std::string at_path = path;
    if (pe != nullptr && pe->value.IsMap()) {
      std::size_t best = std::string::npos;
      for (auto it = pe->value.begin(); it != pe->value.end(); ++it) {
        const std::string needle = "params." + it->first.Scalar();
        for (auto pos = msg.find(needle); pos != std::string::npos;
             pos = msg.find(needle, pos + 1)) {
          const std::size_t end = pos + needle.size();
          const bool whole =
              end == msg.size() ||
              !(std::isalnum(static_cast<unsigned char>(msg[end])) || msg[end] == '_');
          if (whole && pos < best) {
            best = pos;
            at = it->second;
            at_path = path + "." + needle;
          }
        }
      }
    }
    fail(at, at_path, msg);
  }
}

void SocParser::check_reachability(const MapView& u, UnitSpec& spec, const std::string& path) {
  // Levels reachable through chains of DMA links, from `from` (forward) or to it.
  auto reach = [&](int from, bool forward) {
    std::vector<bool> seen(soc_.levels.size(), false);
    std::vector<int> todo = {from};
    seen[static_cast<std::size_t>(from)] = true;
    while (!todo.empty()) {
      const int l = todo.back();
      todo.pop_back();
      for (const auto& d : soc_.dmas) {
        for (const auto& [s, t] : d.links) {
          const int a = forward ? s : t, b = forward ? t : s;
          if (a == l && !seen[static_cast<std::size_t>(b)]) {
            seen[static_cast<std::size_t>(b)] = true;
            todo.push_back(b);
          }
        }
      }
    }
    return seen;
  };
  const Entry& r = *u.get("reads");
  auto at = [&](std::size_t o) -> std::pair<YAML::Node, std::string> {
    if (r.value.IsMap()) return {r.value[kOperandKeys[o]], path + ".reads." + kOperandKeys[o]};
    return {r.value, path + ".reads"};
  };
  auto name_of = [&](int l) { return soc_.levels[static_cast<std::size_t>(l)].name; };
  const bool weighted = std::any_of(spec.ops.begin(), spec.ops.end(), has_weights);
  const auto from_act = reach(soc_.activations_home, true);
  const auto to_act = reach(soc_.activations_home, false);
  const auto from_w = reach(soc_.weights_home, true);
  for (std::size_t o = 0; o < kNumOperands; ++o) {
    const int l = spec.operand_level[o];
    const auto li = static_cast<std::size_t>(l);
    const auto [node, opath] = at(o);
    const auto op = static_cast<Operand>(o);
    if (op == Operand::I && !from_act[li]) {
      fail(node, opath,
           fmt::format("level '{}' is not reachable from the activations home '{}': no chain of "
                       "DMA links {} -> {} to bring inputs in",
                       name_of(l), name_of(soc_.activations_home), name_of(soc_.activations_home),
                       name_of(l)));
    }
    if (op == Operand::O && !to_act[li]) {
      fail(node, opath,
           fmt::format("outputs written to level '{}' cannot reach the activations home '{}': "
                       "no chain of DMA links {} -> {}",
                       name_of(l), name_of(soc_.activations_home), name_of(l),
                       name_of(soc_.activations_home)));
    }
    if (op == Operand::W && weighted && !from_w[li]) {
      fail(node, opath,
           fmt::format("level '{}' is not reachable from the weights home '{}': no chain of DMA "
                       "links {} -> {} to bring weights in",
                       name_of(l), name_of(soc_.weights_home), name_of(soc_.weights_home),
                       name_of(l)));
    }
  }
}

void SocParser::check_accessible_by() {
  for (std::size_t li = 0; li < soc_.levels.size(); ++li) {
    auto& level = soc_.levels[li];
    const auto& nodes = accessible_nodes_[li];
    if (!nodes) {
      // Not given: the units that read the level.
      for (const auto& u : soc_.units) {
        const auto& ol = u.operand_level;
        if (std::find(ol.begin(), ol.end(), static_cast<int>(li)) != ol.end()) {
          level.accessible_by.push_back(u.name);
        }
      }
      continue;
    }
    for (std::size_t j = 0; j < nodes->size(); ++j) {
      const YAML::Node& n = (*nodes)[j];
      const std::string apath = fmt::format("{}[{}]", accessible_paths_[li], j);
      const std::string s = text(n, n, apath);
      if (!soc_.find_unit(s)) {
        std::vector<std::string> names;
        for (const auto& u : soc_.units)
          names.push_back(u.name);
        fail(n, apath, fmt::format("unknown unit '{}'; units: {}", s, join(names)));
      }
      if (contains(level.accessible_by, s)) {
        fail(n, apath, fmt::format("unit '{}' is listed twice", s));
      }
      level.accessible_by.push_back(s);
    }
  }
  for (std::size_t ui = 0; ui < soc_.units.size(); ++ui) {
    const auto& u = soc_.units[ui];
    for (int l : u.operand_level) {
      const auto& level = soc_.levels[static_cast<std::size_t>(l)];
      if (!contains(level.accessible_by, u.name)) {
        fail(reads_nodes_[ui], unit_paths_[ui] + ".reads",
             fmt::format("unit '{}' reads level '{}', but that level's accessible_by ({}) does "
                         "not list it",
                         u.name, level.name, join(level.accessible_by)));
      }
    }
  }
}

std::shared_ptr<const Soc> SocParser::parse(const YAML::Node& root, std::string_view text) {
  const auto top = map_view(root, root, "", kTopKeys, "an SoC description");
  const Entry& n = require(top, "name", "the SoC name");
  soc_.name = name(n, "name");
  if (const Entry* d = top.get("description"))
    soc_.description = this->text(d->value, d->key, "description");
  soc_.frequency = positive(require(top, "clock", "a frequency such as '370 MHz'"), "clock",
                            Quantity::frequency);
  parse_memories(require(top, "memories", "a list of memory levels"));
  parse_home(require(top, "home", "a mapping {weights: <level>, activations: <level>}"));
  if (const Entry* d = top.get("dmas")) parse_dmas(*d);
  if (const Entry* c = top.get("layout_conversion")) parse_conversion(*c);
  if (const Entry* c = top.get("concurrency")) parse_concurrency(*c);
  set_spill();
  const Entry& units = require(top, "units", "a list of compute units");
  const auto items = list(units, "units", "compute units", true);
  for (std::size_t i = 0; i < items.size(); ++i)
    parse_unit(items[i], i);
  check_accessible_by();

  soc_.source = origin_;
  soc_.yaml_text = std::string(text);
  std::uint64_t h = 14695981039346656037ull;  // FNV-1a 64
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  soc_.hash = h;
  return std::make_shared<const Soc>(std::move(soc_));
}

}  // namespace

namespace detail {

YAML::Node parse_yaml(std::string_view text, const std::string& origin) {
  const std::vector<YAML::Node> docs = load_yaml_documents(text, origin);
  if (docs.empty() || docs.front().IsNull()) {
    throw ConfigError(fmt::format(
        "{}:1: empty SoC description; expected a mapping with keys name, clock, memories, home, "
        "units",
        origin));
  }
  if (docs.size() > 1) {
    throw ConfigError(fmt::format("{}:{}: more than one YAML document; an SoC file holds one",
                                  origin, docs[1].Mark().line + 1));
  }
  return docs.front();
}

std::shared_ptr<const Soc> load_tree(const YAML::Node& root, std::string_view text,
                                     const std::string& origin,
                                     const std::vector<OverrideOrigin>* overrides) {
  try {
    return SocParser(origin, overrides).parse(root, text);
  } catch (const YAML::Exception& e) {
    // Defensive: the parser only reads nodes it has type-checked.
    throw ConfigError(fmt::format("{}: invalid SoC description: {}", origin, e.msg));
  }
}

}  // namespace detail

std::shared_ptr<const Soc> load_soc_text(std::string_view text, const std::string& origin) {
  const YAML::Node root = detail::parse_yaml(text, origin);
  if (root.IsMap() && root["base"].IsDefined()) return detail::load_overlay(root, origin);
  return detail::load_tree(root, text, origin, nullptr);
}

std::shared_ptr<const Soc> load_soc_file(const std::string& path) {
  return load_soc_text(read_input_file(path, "SoC file"), path);
}

std::vector<std::string> builtin_soc_names() {
  std::vector<std::string> names;
  for (const auto& [name, text] : detail::builtin_soc_table())
    names.emplace_back(name);
  return names;
}

std::optional<std::string_view> builtin_soc_text(std::string_view name) {
  for (const auto& [n, text] : detail::builtin_soc_table()) {
    if (n == name) return text;
  }
  return std::nullopt;
}

std::shared_ptr<const Soc> load_soc(const std::string& name_or_path) {
  if (const auto text = builtin_soc_text(name_or_path)) {
    return load_soc_text(*text, fmt::format("<built-in>/{}.yaml", name_or_path));
  }
  const std::filesystem::path p(name_or_path);
  std::error_code ec;
  if (p.extension() == ".yaml" || p.extension() == ".yml" || std::filesystem::exists(p, ec)) {
    return load_soc_file(name_or_path);
  }
  const auto names = builtin_soc_names();
  throw MappingError(
      fmt::format("unknown SoC '{}'; built-in targets: {}; or give the path of a .yaml file",
                  name_or_path, names.empty() ? std::string("none") : join(names)));
}

}  // namespace tessel::hw
