#include "hwmodels/units/common.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/errors.hpp"

namespace tessel::hw::units {

double param_value(const UnitSpec& spec, const std::vector<ParamSpec>& params,
                   std::string_view name) {
  const auto decl = std::find_if(params.begin(), params.end(),
                                 [&](const ParamSpec& p) { return p.name == name; });
  if (decl == params.end()) {
    throw std::logic_error(
        fmt::format("unit kind '{}' reads undeclared parameter '{}'", spec.kind, name));
  }
  const auto it = spec.params.find(decl->name);
  if (it != spec.params.end()) return it->second;
  if (decl->default_value) return *decl->default_value;
  throw ConfigError(fmt::format("unit '{}' ({}): missing required parameter 'params.{}' ({})",
                                spec.name, spec.kind, name, decl->description));
}

void require(bool ok, const UnitSpec& spec, std::string_view what) {
  if (!ok) throw ConfigError(fmt::format("unit '{}' ({}): {}", spec.name, spec.kind, what));
}

Unrolling make_unrolling(std::string name, std::initializer_list<std::pair<Dim, std::int64_t>> f) {
  Unrolling u;
  u.name = std::move(name);
  for (const auto& [d, n] : f)
    u.factors[idx(d)] = n;
  return u;
}

}  // namespace tessel::hw::units
