#include "driver/sweep_spec.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "core/files.hpp"
#include "hwmodels/soc_loader.hpp"
#include "hwmodels/yaml_text.hpp"

namespace tessel::driver {
namespace {

const std::vector<std::string> kSpecKeys = {
    "soc",   "models", "objective",  "mapper",   "strategy", "budget", "max_memory",
    "split", "fusion", "parameters", "sampling", "points",   "seed"};
constexpr std::uint64_t kMaxPoints = 1000000;  // a grid larger than this is refused

std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// Reads a spec's YAML tree; every error names "<origin>:<line>: <path>".
class SpecReader {
 public:
  explicit SpecReader(std::string origin) : origin_(std::move(origin)) {}

  [[noreturn]] void fail(const YAML::Node& at, const std::string& path,
                         const std::string& what) const {
    throw ConfigError(fmt::format("{}:{}: {}: {}", origin_, at.Mark().line + 1, path, what));
  }
  std::string where(const YAML::Node& at) const {
    return fmt::format("{}:{}", origin_, at.Mark().line + 1);
  }
  std::string scalar(const YAML::Node& n, const std::string& path) const {
    if (!n.IsScalar()) fail(n, path, "expected a single value");
    return n.Scalar();
  }
  std::uint64_t whole(const YAML::Node& n, const std::string& path, std::uint64_t lo) const {
    const std::string s = scalar(n, path);
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || v < lo)
      fail(n, path, fmt::format("expected a whole number of at least {}, got '{}'", lo, s));
    return v;
  }
  bool flag(const YAML::Node& n, const std::string& path) const {
    const std::string s = scalar(n, path);
    if (s == "true") return true;
    if (s == "false") return false;
    fail(n, path, fmt::format("expected true or false, got '{}'", s));
  }
  // A scalar or a non-empty list of scalars.
  std::vector<std::string> scalars(const YAML::Node& n, const std::string& path) const {
    if (n.IsScalar()) return {n.Scalar()};
    if (!n.IsSequence()) fail(n, path, "expected a value or a list of values");
    if (n.size() == 0) fail(n, path, "empty list; give at least one value");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < n.size(); ++i)
      out.push_back(scalar(n[i], fmt::format("{}[{}]", path, i)));
    return out;
  }
  SweepParameter parameter(const std::string& path, const YAML::Node& v) const;
  SweepRange range(const YAML::Node& n, const std::string& path) const;

 private:
  std::string origin_;
};

// "4 B/cycle" -> (4, "B/cycle"); nullopt when it does not start with a number.
std::optional<std::pair<double, std::string>> number_and_unit(std::string_view s) {
  while (!s.empty() && s.front() == ' ')
    s.remove_prefix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || !std::isfinite(v)) return std::nullopt;
  std::string unit(end, s.data() + s.size());
  unit.erase(0, unit.find_first_not_of(' '));
  unit.erase(unit.find_last_not_of(' ') + 1);
  return std::pair{v, unit};
}

// A value of a range as text: whole numbers without decimals, with the unit.
std::string range_value(const SweepRange& r, double v) {
  if (r.whole) v = std::round(v);
  const std::string num = v == std::floor(v) && std::fabs(v) < 1e15
                              ? fmt::format("{}", static_cast<long long>(v))
                              : fmt::format("{:.6g}", v);
  return r.unit.empty() ? num : num + " " + r.unit;
}

// The value at t in [0, 1] of a range (linear or log).
double range_at(const SweepRange& r, double t) {
  if (r.log) return r.lo * std::pow(r.hi / r.lo, t);
  return r.lo + (r.hi - r.lo) * t;
}

std::vector<std::string> grid_values(const SweepRange& r) {
  std::vector<std::string> out;
  for (int i = 0; i < r.steps; ++i) {
    const double t = r.steps == 1 ? 0.0 : static_cast<double>(i) / (r.steps - 1);
    const auto v = range_value(r, range_at(r, t));
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  }
  return out;
}

SweepRange SpecReader::range(const YAML::Node& n, const std::string& path) const {
  SweepRange r;
  const YAML::Node ends = n["range"];
  if (!ends.IsSequence() || ends.size() != 2)
    fail(n, path + ".range", "expected [low, high], such as [4 B/cycle, 16 B/cycle]");
  std::array<std::pair<double, std::string>, 2> e;
  for (std::size_t i = 0; i < 2; ++i) {
    const auto p = fmt::format("{}.range[{}]", path, i);
    const auto v = number_and_unit(scalar(ends[i], p));
    if (!v)
      fail(ends[i], p, fmt::format("expected a number with its unit, got '{}'", ends[i].Scalar()));
    e[i] = *v;
  }
  if (e[0].second != e[1].second)
    fail(ends, path + ".range",
         fmt::format("both ends need the same unit, got '{}' and '{}'", e[0].second, e[1].second));
  r.lo = e[0].first;
  r.hi = e[1].first;
  r.unit = e[0].second;
  if (r.hi < r.lo) fail(ends, path + ".range", "the low end is above the high end");
  r.whole = r.lo == std::floor(r.lo) && r.hi == std::floor(r.hi);
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string k = it->first.Scalar();
    if (k == "range") continue;
    if (k == "steps") {
      r.steps =
          static_cast<int>(std::min<std::uint64_t>(whole(it->second, path + ".steps", 1), 1000000));
    } else if (k == "scale") {
      const auto s = scalar(it->second, path + ".scale");
      if (s != "linear" && s != "log")
        fail(it->second, path + ".scale", fmt::format("expected linear or log, got '{}'", s));
      r.log = s == "log";
    } else {
      fail(it->first, path + "." + k, "unknown key; a range takes range, steps and scale");
    }
  }
  if (r.log && r.lo <= 0) fail(ends, path + ".range", "a log scale needs a positive low end");
  return r;
}

SweepParameter SpecReader::parameter(const std::string& path, const YAML::Node& v) const {
  SweepParameter p;
  p.path = path;
  p.where = where(v);
  const std::string at = "parameters." + path;
  if (v.IsMap()) {
    if (!v["range"].IsDefined())
      fail(v, at, "expected a list of values or {range: [low, high], steps: N}");
    p.range = range(v, at);
    if (p.range->steps > 0) p.values = grid_values(*p.range);
  } else {
    p.values = scalars(v, at);
  }
  return p;
}

Sampling parse_sampling(const SpecReader& r, const YAML::Node& n) {
  const std::string s = r.scalar(n, "sampling");
  for (auto m : {Sampling::grid, Sampling::random, Sampling::lhs}) {
    if (s == sampling_name(m)) return m;
  }
  r.fail(n, "sampling", fmt::format("unknown sampling '{}'; expected grid, random or lhs", s));
}

// The base SoC's text: a built-in target's, or the file's.
std::string soc_text(const std::string& soc) {
  if (const auto t = hw::builtin_soc_text(soc)) return std::string(*t);
  return std::string(hw::load_soc(soc)->yaml_text);  // errors name the unknown SoC or file
}

// Checks that the grid / sampling settings fit together.
void check_sampling(const SweepSpec& s) {
  for (const auto& p : s.parameters) {
    if (s.sampling == Sampling::grid && p.range && p.range->steps == 0)
      throw ConfigError(
          fmt::format("{}: parameters.{}: a grid needs the range's steps", p.where, p.path));
  }
  if (s.sampling != Sampling::grid && s.points == 0)
    throw ConfigError(
        fmt::format("{}: sampling {} needs points: N", s.origin, sampling_name(s.sampling)));
}

}  // namespace

std::string_view sampling_name(Sampling s) {
  switch (s) {
    case Sampling::grid:
      return "grid";
    case Sampling::random:
      return "random";
    case Sampling::lhs:
      return "lhs";
  }
  return "?";
}

SweepSpec default_sweep_spec(const std::string& soc) {
  SweepSpec s;
  s.origin = "command line";
  s.soc = soc;
  s.soc_yaml = soc_text(soc);
  return s;
}

SweepSpec parse_sweep_spec(std::string_view yaml, const std::string& origin) {
  const auto docs = hw::load_yaml_documents(yaml, origin);
  const YAML::Node root = docs.empty() ? YAML::Node() : docs.front();
  const SpecReader r(origin);
  if (!root.IsMap())
    throw ConfigError(
        fmt::format("{}:1: expected a mapping with soc, models and parameters", origin));
  SweepSpec s;
  s.origin = origin;
  std::set<std::string> seen;
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string k = it->first.Scalar();
    const YAML::Node v = it->second;
    if (std::find(kSpecKeys.begin(), kSpecKeys.end(), k) == kSpecKeys.end())
      r.fail(it->first, k,
             "unknown key; expected one of soc, models, objective, mapper, "
             "strategy, budget, max_memory, split, fusion, parameters, sampling, points, seed");
    if (k == "soc") s.soc = r.scalar(v, k);
    if (k == "models") s.models = r.scalars(v, k);
    if (k == "objective") s.settings.objective = r.scalar(v, k);
    if (k == "mapper") s.settings.mapper = r.scalar(v, k);
    if (k == "strategy") s.settings.strategy = r.scalar(v, k);
    if (k == "budget") s.settings.budget = r.whole(v, k, 1);
    if (k == "max_memory") s.settings.max_memory = r.scalars(v, k);
    if (k == "split") s.settings.split = r.flag(v, k);
    if (k == "fusion") s.settings.fusion = r.flag(v, k);
    if (k == "sampling") s.sampling = parse_sampling(r, v);
    if (k == "points") s.points = r.whole(v, k, 1);
    if (k == "seed") s.seed = r.whole(v, k, 0);
    if (k == "parameters") {
      if (!v.IsMap() || v.size() == 0)
        r.fail(v, k,
               "expected a mapping of SoC paths to values, such as memories.L1.size: "
               "[64 KiB, 128 KiB]");
      for (auto p = v.begin(); p != v.end(); ++p) {
        const std::string path = p->first.Scalar();
        if (!seen.insert(path).second) r.fail(p->first, "parameters." + path, "given twice");
        s.parameters.push_back(r.parameter(path, p->second));
      }
    }
  }
  s.soc_yaml = soc_text(s.soc);
  check_sampling(s);
  return s;
}

SweepSpec load_sweep_spec(const std::string& path) {
  return parse_sweep_spec(read_input_file(path, "sweep spec"), path);
}

void add_set(SweepSpec& spec, const std::string& item) {
  const auto eq = item.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError(
        fmt::format("--set '{}': expected PATH=V1,V2,... or PATH=range(LO,HI,STEPS), such as "
                    "memories.L1.size=64KiB,128KiB",
                    item));
  SweepParameter p;
  p.path = item.substr(0, eq);
  p.where = "--set";
  const std::string rest = item.substr(eq + 1);
  if (rest.starts_with("range(") && rest.ends_with(")")) {
    std::vector<std::string> args;
    std::istringstream in(rest.substr(6, rest.size() - 7));
    for (std::string a; std::getline(in, a, ',');)
      args.push_back(a);
    const auto lo = args.size() == 3 ? number_and_unit(args[0]) : std::nullopt;
    const auto hi = args.size() == 3 ? number_and_unit(args[1]) : std::nullopt;
    const auto steps = args.size() == 3 ? number_and_unit(args[2]) : std::nullopt;
    if (!lo || !hi || !steps || lo->second != hi->second || !steps->second.empty() ||
        steps->first < 1 || steps->first != std::floor(steps->first) || hi->first < lo->first)
      throw ConfigError(fmt::format(
          "--set '{}': expected range(LO,HI,STEPS) with LO <= HI in one unit and a whole number "
          "of steps, such as range(4 B/cycle,16 B/cycle,3)",
          item));
    p.range = SweepRange{lo->first,
                         hi->first,
                         lo->second,
                         static_cast<int>(steps->first),
                         lo->first == std::floor(lo->first) && hi->first == std::floor(hi->first),
                         false};
    p.values = grid_values(*p.range);
  } else {
    std::istringstream in(rest);
    for (std::string v; std::getline(in, v, ',');) {
      if (v.empty()) throw ConfigError(fmt::format("--set '{}': empty value", item));
      p.values.push_back(v);
    }
    if (p.values.empty()) throw ConfigError(fmt::format("--set '{}': no values", item));
  }
  const auto same = std::find_if(spec.parameters.begin(), spec.parameters.end(),
                                 [&](const SweepParameter& q) { return q.path == p.path; });
  if (same != spec.parameters.end()) {
    *same = std::move(p);
  } else {
    spec.parameters.push_back(std::move(p));
  }
}

namespace {

// A uniform draw in [0, 1) from the generator (the same on every platform).
double unit_draw(std::mt19937_64& g) {
  return static_cast<double>(g() >> 11) * 0x1.0p-53;
}

// The value of a parameter at the fraction t in [0, 1) of its range or list.
std::string value_at(const SweepParameter& p, double t) {
  if (p.range) return range_value(*p.range, range_at(*p.range, t));
  const auto n = p.values.size();
  return p.values[std::min(n - 1, static_cast<std::size_t>(t * static_cast<double>(n)))];
}

using Values = std::vector<std::string>;  // one value per parameter, in spec order

std::vector<Values> grid(const SweepSpec& s) {
  std::uint64_t count = 1;
  for (const auto& p : s.parameters) {
    count *= p.values.size();
    if (count > kMaxPoints)
      throw ConfigError(
          fmt::format("{}: the grid has more than {} points; sample it instead "
                      "(sampling: random or lhs, points: N)",
                      s.origin, kMaxPoints));
  }
  std::vector<Values> out;
  for (std::uint64_t i = 0; i < count; ++i) {
    Values v(s.parameters.size());
    std::uint64_t rest = i;  // the last parameter varies fastest
    for (std::size_t k = s.parameters.size(); k-- > 0;) {
      const auto n = s.parameters[k].values.size();
      v[k] = s.parameters[k].values[rest % n];
      rest /= n;
    }
    out.push_back(std::move(v));
  }
  return out;
}

// Random sampling draws each parameter independently; Latin hypercube
// sampling cuts each parameter's range into `points` strata and uses each
// stratum once, in a random order per parameter.
std::vector<Values> sampled(const SweepSpec& s) {
  if (s.points > kMaxPoints)
    throw ConfigError(fmt::format("{}: points: at most {}", s.origin, kMaxPoints));
  std::mt19937_64 gen(s.seed);
  const auto n = static_cast<std::size_t>(s.points);
  std::vector<Values> out(n, Values(s.parameters.size()));
  for (std::size_t k = 0; k < s.parameters.size(); ++k) {
    std::vector<std::size_t> stratum(n);
    for (std::size_t i = 0; i < n; ++i)
      stratum[i] = i;
    if (s.sampling == Sampling::lhs) {
      for (std::size_t i = n; i > 1; --i)  // Fisher-Yates with our own draws
        std::swap(stratum[i - 1], stratum[static_cast<std::size_t>(unit_draw(gen) * i)]);
    }
    for (std::size_t i = 0; i < n; ++i) {
      const double u = unit_draw(gen);
      const double t = s.sampling == Sampling::lhs ? (stratum[i] + u) / static_cast<double>(n) : u;
      out[i][k] = value_at(s.parameters[k], t);
    }
  }
  return out;
}

std::string settings_text(const SweepSpec& s) {
  std::string t = fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|", s.settings.objective,
                              s.settings.mapper, s.settings.strategy, s.settings.budget,
                              s.settings.seed, s.settings.partial_execution, s.settings.split,
                              s.settings.precision_policy, s.settings.fusion);
  for (const auto& m : s.settings.max_memory)
    t += m + ",";
  for (const auto& m : s.models)
    t += "|" + m;
  return t;
}

std::string base_origin(const SweepSpec& s) {
  return hw::builtin_soc_text(s.soc) ? fmt::format("<built-in>/{}.yaml", s.soc) : s.soc;
}

// Every listed value (a range's ends) on the base SoC alone, so that a bad
// value is named with its parameter before the points are built.
void check_values(const SweepSpec& s, const hw::Soc& base) {
  for (const auto& p : s.parameters) {
    Values values = p.values;
    if (p.range && p.range->steps == 0)
      values = {range_value(*p.range, p.range->lo), range_value(*p.range, p.range->hi)};
    for (const auto& v : values) {
      try {
        hw::apply_overrides(base, {{p.path, v}});
      } catch (const ConfigError& e) {
        throw ConfigError(
            fmt::format("{}: parameters.{}: value '{}': {}", p.where, p.path, v, e.what()));
      }
    }
  }
}

}  // namespace

std::vector<SweepPoint> sweep_points(const SweepSpec& s) {
  check_sampling(s);
  const auto base = hw::load_soc_text(s.soc_yaml, base_origin(s));
  network_options(s.settings, *base);  // names a bad objective, mapper or strategy
  limit_memory(base, s.settings.max_memory);
  check_values(s, *base);
  const auto all = s.sampling == Sampling::grid ? grid(s) : sampled(s);
  const std::string common = fmt::format("{:016x}|{}", base->hash, settings_text(s));
  std::vector<SweepPoint> out;
  std::set<std::string> ids;
  for (const auto& values : all) {
    SweepPoint p;
    std::map<std::string, std::string> overrides;
    std::string key = common, shown;
    for (std::size_t k = 0; k < values.size(); ++k) {
      p.params.emplace_back(s.parameters[k].path, values[k]);
      overrides[s.parameters[k].path] = values[k];
      key += fmt::format("|{}={}", s.parameters[k].path, values[k]);
      shown += fmt::format("{}{}={}", shown.empty() ? "" : ", ", s.parameters[k].path, values[k]);
    }
    p.id = fmt::format("{:016x}", fnv1a(key));
    if (!ids.insert(p.id).second) continue;
    p.index = out.size();
    try {
      p.soc = limit_memory(hw::apply_overrides(*base, overrides), s.settings.max_memory);
    } catch (const ConfigError& e) {
      throw ConfigError(
          fmt::format("{}: sweep point {} ({}): {}", s.origin, p.index, shown, e.what()));
    }
    out.push_back(std::move(p));
  }
  return out;
}

std::string spec_to_json(const SweepSpec& s) {
  nlohmann::ordered_json params = nlohmann::ordered_json::array();
  for (const auto& p : s.parameters) {
    nlohmann::ordered_json j = {{"path", p.path}, {"values", p.values}};
    if (p.range)
      j["range"] = {{"lo", p.range->lo},       {"hi", p.range->hi},       {"unit", p.range->unit},
                    {"steps", p.range->steps}, {"whole", p.range->whole}, {"log", p.range->log}};
    params.push_back(std::move(j));
  }
  const nlohmann::ordered_json j = {{"soc", s.soc},
                                    {"soc_yaml", s.soc_yaml},
                                    {"models", s.models},
                                    {"objective", s.settings.objective},
                                    {"mapper", s.settings.mapper},
                                    {"strategy", s.settings.strategy},
                                    {"budget", s.settings.budget},
                                    {"search_seed", s.settings.seed},
                                    {"max_memory", s.settings.max_memory},
                                    {"partial_execution", s.settings.partial_execution},
                                    {"split", s.settings.split},
                                    {"precision_policy", s.settings.precision_policy},
                                    {"fusion", s.settings.fusion},
                                    {"parameters", params},
                                    {"sampling", sampling_name(s.sampling)},
                                    {"points", s.points},
                                    {"seed", s.seed}};
  return j.dump();
}

SweepSpec spec_from_json(const std::string& text) {
  SweepSpec s;
  try {
    const auto j = nlohmann::json::parse(text);
    s.origin = "sweep spec (JSON)";
    s.soc = j.at("soc").get<std::string>();
    s.soc_yaml = j.at("soc_yaml").get<std::string>();
    s.models = j.at("models").get<std::vector<std::string>>();
    s.settings.objective = j.at("objective").get<std::string>();
    s.settings.mapper = j.at("mapper").get<std::string>();
    s.settings.strategy = j.at("strategy").get<std::string>();
    s.settings.budget = j.at("budget").get<std::uint64_t>();
    s.settings.seed = j.at("search_seed").get<std::uint64_t>();
    s.settings.max_memory = j.at("max_memory").get<std::vector<std::string>>();
    s.settings.partial_execution = j.at("partial_execution").get<bool>();
    s.settings.split = j.value("split", true);
    s.settings.precision_policy = j.value("precision_policy", std::string("strict"));
    s.settings.fusion = j.value("fusion", true);
    for (const auto& p : j.at("parameters")) {
      SweepParameter q;
      q.path = p.at("path").get<std::string>();
      q.values = p.at("values").get<std::vector<std::string>>();
      q.where = s.origin;
      if (p.contains("range")) {
        const auto& r = p.at("range");
        q.range = SweepRange{r.at("lo").get<double>(),        r.at("hi").get<double>(),
                             r.at("unit").get<std::string>(), r.at("steps").get<int>(),
                             r.at("whole").get<bool>(),       r.at("log").get<bool>()};
      }
      s.parameters.push_back(std::move(q));
    }
    const auto sampling = j.at("sampling").get<std::string>();
    s.sampling = sampling == "random" ? Sampling::random
                 : sampling == "lhs"  ? Sampling::lhs
                                      : Sampling::grid;
    s.points = j.at("points").get<std::uint64_t>();
    s.seed = j.at("seed").get<std::uint64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(fmt::format("sweep spec (JSON): {}", e.what()));
  }
  return s;
}

std::string spec_hash(const SweepSpec& s) {
  return fmt::format("{:016x}", fnv1a(spec_to_json(s)));
}

}  // namespace tessel::driver
