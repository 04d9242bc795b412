#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "driver/explore.hpp"
#include "hwmodels/soc.hpp"

// Sweep definitions (docs/sweep.md): which SoC variants to explore on which
// networks. A spec is read from YAML (or built from `tessel sweep` options and
// `--set`), checked as a whole, and expanded into points before any work.
namespace tessel::driver {

// A parameter's values given as `{range: [lo, hi], steps: N, scale: linear |
// log}`: `lo` and `hi` are numbers in `unit` (the text after the number,
// "B/cycle"); values are whole numbers when both ends are.
struct SweepRange {
  double lo = 0, hi = 0;
  std::string unit;
  int steps = 0;  // grid points; 0: not given (random and lhs sampling draw from [lo, hi])
  bool whole = false;
  bool log = false;
};

// One swept parameter: an SoC path as hw::apply_overrides takes it
// ("memories.L1.size", "units.ne16" = present | absent) and its values.
struct SweepParameter {
  std::string path;
  std::vector<std::string> values;  // the listed values; a range's grid values
  std::optional<SweepRange> range;  // when given as a range
  std::string where;                // "<file>:<line>" or "--set", for messages
};

enum class Sampling { grid, random, lhs };
std::string_view sampling_name(Sampling s);

struct SweepSpec {
  std::string origin = "<sweep>";  // the file (or "command line") it came from
  std::string soc = "gap9";        // built-in name or file, as given
  std::string soc_yaml;            // the base SoC's text (a file is read once)
  std::vector<std::string> models = {"mlperf-tiny"};
  ExploreSettings settings;  // objective, mapper, strategy, budget, max_memory
  std::vector<SweepParameter> parameters;
  Sampling sampling = Sampling::grid;
  std::uint64_t points = 0;  // random and lhs: how many to draw
  std::uint64_t seed = 1;    // random and lhs
};

// Contract: parses a sweep spec from YAML text. Throws ConfigError
// "<origin>:<line>: <path>: <message>" for an unknown key, a wrong type, an
// empty list, a malformed range or an unknown sampling; the SoC text is
// loaded (IoError / MappingError for an unknown name or a missing file).
SweepSpec parse_sweep_spec(std::string_view yaml, const std::string& origin);
// The same from a file (IoError when it cannot be read).
SweepSpec load_sweep_spec(const std::string& path);
// A spec of the built-in defaults on `soc` (for `tessel sweep` without a file).
SweepSpec default_sweep_spec(const std::string& soc);

// Contract: `--set PATH=V1,V2,...` or `--set PATH=range(LO,HI,STEPS)` adds
// the parameter, or replaces the one of the same path. Throws ConfigError
// naming the item when it is malformed.
void add_set(SweepSpec& spec, const std::string& item);

// One SoC variant of a sweep.
struct SweepPoint {
  std::size_t index = 0;
  // 16 hex digits: a hash of the base SoC, the parameter values and the
  // exploration settings (what the point's rows depend on).
  std::string id;
  std::vector<std::pair<std::string, std::string>> params;  // path, value
  std::shared_ptr<const hw::Soc> soc;                       // the variant, memory limits applied
};

// Contract: every point of the spec, each SoC variant loaded and validated,
// duplicates dropped (random sampling of lists may repeat a point). Throws
// ConfigError naming the parameter path (and the point's values) for a value
// the SoC rejects (unknown path, wrong unit, a level of size 0), MappingError
// for unknown models, and ConfigError for bad settings.
std::vector<SweepPoint> sweep_points(const SweepSpec& spec);

// The spec as canonical JSON text (the base SoC's YAML inline): what the
// database records and what Dask workers receive; spec_from_json reads it.
std::string spec_to_json(const SweepSpec& spec);
SweepSpec spec_from_json(const std::string& text);
// A hash of spec_to_json: the sweep's identity in the database.
std::string spec_hash(const SweepSpec& spec);

}  // namespace tessel::driver
