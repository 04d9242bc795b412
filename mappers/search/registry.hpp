#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mappers/mapspace.hpp"
#include "mappers/search/strategy.hpp"

// The search strategies, by name (docs/architecture.md, "Search
// strategies"). A strategy is one file in mappers/search/ that defines its
// registration with TESSEL_STRATEGY(name) { registry.add({...}); }; the
// build finds every such file and calls each registration from a generated
// table (mappers/CMakeLists.txt), so nothing else names it.
namespace tessel::mappers {

// What one strategy instance gets: its share of the space of one layer on
// one unit.
struct StrategyArgs {
  const LayerMapSpace& space;
  std::uint64_t seed = 1;        // distinct per instance
  std::uint64_t budget = 0;      // candidates to propose (sampling strategies)
  std::uint64_t begin = 0;       // tile combinations [begin, end) of the space
  std::uint64_t end = 0;         // (strategies that split the space)
  TileOracle* oracle = nullptr;  // the driver's answers about whole tiles
};

struct StrategyInfo {
  std::string name;
  std::string help;  // one line, for --help and Python
  // Splits the space into fixed chunks of tile combinations and proposes
  // every candidate it cannot rule out (it proves the optimum); otherwise it
  // samples, and each instance gets a share of the budget.
  bool exhaustive = false;
  std::function<std::unique_ptr<SearchStrategy>(const StrategyArgs&)> make;
};

class StrategyRegistry {
 public:
  void add(StrategyInfo info);
  // By name; nullptr when unknown.
  const StrategyInfo* find(std::string_view name) const;
  // Sorted by name.
  const std::vector<StrategyInfo>& all() const { return list_; }

 private:
  std::vector<StrategyInfo> list_;
};

// The registry of every strategy the build found (made on first use).
const StrategyRegistry& strategies();

// The name that picks a strategy by the size of the space (see
// SearchOptions::exhaustive_limit): `exhaustive` up to the limit, `annealing` above.
inline constexpr std::string_view kAutoStrategy = "auto";
inline constexpr std::string_view kAutoHelp =
    "exhaustive when the space is small enough (proving the optimum), annealing otherwise";

// Checks a strategy name ("auto" or a registered one); throws ConfigError
// listing the valid names.
void check_strategy(std::string_view name);
// "auto, annealing, exhaustive, ...": every name check_strategy accepts.
std::string strategy_names();

}  // namespace tessel::mappers

// Defines the registration of a strategy; its body calls registry.add.
#define TESSEL_STRATEGY(ident) \
  void tessel_register_strategy_##ident(::tessel::mappers::StrategyRegistry& registry)
