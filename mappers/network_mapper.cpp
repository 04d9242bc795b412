#include "mappers/network_mapper.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "core/errors.hpp"
#include "mappers/passes/pass.hpp"

namespace tessel::mappers {

std::string_view mapper_name(MapperKind k) {
  switch (k) {
    case MapperKind::tessel:
      return "tessel";
    case MapperKind::dory:
      return "dory";
    case MapperKind::divisor:
      return "divisor";
  }
  return "?";
}

MapperKind parse_mapper(std::string_view text) {
  for (auto k : {MapperKind::tessel, MapperKind::dory, MapperKind::divisor}) {
    if (text == mapper_name(k)) return k;
  }
  throw ConfigError(fmt::format("unknown mapper '{}' (tessel, dory, divisor)", text));
}

std::string_view precision_policy_name(PrecisionPolicy p) {
  return p == PrecisionPolicy::strict ? "strict" : "allow-lower";
}

PrecisionPolicy parse_precision_policy(std::string_view text) {
  for (auto p : {PrecisionPolicy::strict, PrecisionPolicy::allow_lower}) {
    if (text == precision_policy_name(p)) return p;
  }
  throw ConfigError(fmt::format("unknown precision policy '{}' (strict, allow-lower)", text));
}

std::shared_ptr<const LayerResult> LayerCache::find(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = map_.find(key);
  return it == map_.end() ? nullptr : it->second;
}

void LayerCache::put(const std::string& key, std::shared_ptr<const LayerResult> value) {
  std::lock_guard lock(mutex_);
  map_.emplace(key, std::move(value));
}

std::string layer_key(const Layer& l, int unit, std::uint64_t context_hash, MapperKind mapper,
                      const SearchOptions& s) {
  std::string dims;
  for (auto d : l.dims)
    dims += fmt::format("{},", d);
  return fmt::format(
      "{}|{}|{}x{}|s{}x{}|d{}x{}|p{},{},{},{}|b{},{},{},{}|ck{}|a{}|u{}|soc{:016x}|{}|{}|{}|{}|{}|"
      "{}|{}|c{}",
      op_name(l.op), dims, l.in_y, l.in_x, l.stride_y, l.stride_x, l.dilation_y, l.dilation_x,
      l.pad_top, l.pad_left, l.pad_bottom, l.pad_right, l.bits.input, l.bits.weight, l.bits.output,
      l.bits.accumulator, l.weights_ck, l.accumulates, unit, context_hash, mapper_name(mapper),
      objective_name(s.objective), s.strategy, s.budget, s.seed, s.exact_pareto, s.exhaustive_limit,
      s.cutoff);
}

NetworkResult map_network(const Graph& graph, const sim::Analytical& model,
                          const NetworkOptions& opt, LayerCache* cache) {
  const auto start = std::chrono::steady_clock::now();
  const hw::Soc& soc = model.soc();
  NetworkResult out;
  LayerCache local;  // the slices the memory fit tries are searched again on every refit
  NetworkState state{graph, model, opt, cache ? cache : &local, {}, out, {}, {}, {}, {},
                     {},    {},    {}};
  if (opt.units.empty()) {
    for (int u = 0; u < static_cast<int>(soc.units.size()); ++u)
      state.units.push_back(u);
  } else {
    for (const auto& name : opt.units) {
      const auto u = soc.find_unit(name);
      if (!u) throw MappingError(fmt::format("SoC '{}' has no unit '{}'", soc.name, name));
      state.units.push_back(*u);
    }
  }
  if (opt.stream_weights && soc.weights_spill >= 0) {
    state.homes.assign(graph.layers().size(), Mapping{}.home);
    for (std::size_t i = 0; i < graph.layers().size(); ++i) {
      if (has_weights(graph.layer(i).op))
        state.homes[i][idx(Operand::W)] = static_cast<std::int8_t>(soc.weights_spill);
    }
  }
  for (const auto& pass :
       {search_layers_pass(), slice_chains_pass(), split_layers_pass(), fuse_layers_pass(),
        assign_units_pass(), build_schedule_pass(), order_steps_pass(), plan_memory_pass()})
    pass->run(state);
  fit_memory(state);
  out.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace tessel::mappers
