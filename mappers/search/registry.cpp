#include "mappers/search/registry.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/errors.hpp"

// Written by the build: one call per TESSEL_STRATEGY found in mappers/search/.
void tessel_register_all_strategies(tessel::mappers::StrategyRegistry& registry);

namespace tessel::mappers {

void StrategyRegistry::add(StrategyInfo info) {
  if (find(info.name) || info.name == kAutoStrategy)
    throw ConfigError(fmt::format("search strategy '{}' is registered twice", info.name));
  list_.push_back(std::move(info));
  std::sort(list_.begin(), list_.end(),
            [](const StrategyInfo& a, const StrategyInfo& b) { return a.name < b.name; });
}

const StrategyInfo* StrategyRegistry::find(std::string_view name) const {
  for (const auto& s : list_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const StrategyRegistry& strategies() {
  static const StrategyRegistry registry = [] {
    StrategyRegistry r;
    tessel_register_all_strategies(r);
    return r;
  }();
  return registry;
}

std::string strategy_names() {
  std::string names(kAutoStrategy);
  for (const auto& s : strategies().all())
    names += ", " + s.name;
  return names;
}

void check_strategy(std::string_view name) {
  if (name != kAutoStrategy && !strategies().find(name))
    throw ConfigError(fmt::format("unknown search strategy '{}' ({})", name, strategy_names()));
}

}  // namespace tessel::mappers
