#include "mappers/network_mapper.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <set>

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include "core/errors.hpp"

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

std::shared_ptr<const LayerResult> LayerCache::find(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = map_.find(key);
  return it == map_.end() ? nullptr : it->second;
}

void LayerCache::put(const std::string& key, std::shared_ptr<const LayerResult> value) {
  std::lock_guard lock(mutex_);
  map_.emplace(key, std::move(value));
}

std::string layer_key(const Layer& l, int unit, std::uint64_t soc_hash, MapperKind mapper,
                      const SearchOptions& s) {
  std::string dims;
  for (auto d : l.dims)
    dims += fmt::format("{},", d);
  return fmt::format(
      "{}|{}|{}x{}|s{}x{}|d{}x{}|p{},{},{},{}|b{},{},{},{}|ck{}|u{}|soc{:016x}|{}|{}|{}|{}|{}|{}|"
      "{}",
      op_name(l.op), dims, l.in_y, l.in_x, l.stride_y, l.stride_x, l.dilation_y, l.dilation_x,
      l.pad_top, l.pad_left, l.pad_bottom, l.pad_right, l.bits.input, l.bits.weight, l.bits.output,
      l.bits.accumulator, l.weights_ck, unit, soc_hash, mapper_name(mapper),
      objective_name(s.objective), strategy_name(s.strategy), s.budget, s.seed, s.exact_pareto,
      s.exhaustive_limit);
}

LayerResult dory_tiling(const sim::Analytical& model, const sim::LayerContext& ctx,
                        Objective objective) {
  LayerResult res;
  res.strategy = Strategy::heuristic;
  if (!ctx.supported) {
    res.reason = ctx.unsupported_reason;
    return res;
  }
  const Layer& l = *ctx.layer;
  const auto& params = ctx.model->spec().params;
  const auto cores_it = params.find("cores");
  const std::int64_t cores =
      cores_it == params.end() ? 1 : std::max<std::int64_t>(1, std::llround(cores_it->second));
  // Channels DORY tiles: output channels, or the groups of a channel-wise op.
  const Dim chan = l.dim(Dim::G) > 1 ? Dim::G : Dim::K;
  std::array<Dim, kNumDims> order = {chan,   Dim::OY, Dim::OX, Dim::N,
                                     Dim::C, Dim::FY, Dim::FX, chan == Dim::G ? Dim::K : Dim::G};
  sim::CachedEvaluator eval(model, ctx);
  // Pass 1: all input channels resident and heights aligned to the core count;
  // pass 2 relaxes the alignment; pass 3 lets C be tiled (DORY itself would fail).
  for (int pass = 1; pass <= 3 && !res.found; ++pass) {
    const auto c_sizes =
        pass == 3 ? tile_sizes(l.dim(Dim::C)) : std::vector<std::int64_t>{l.dim(Dim::C)};
    double best_bytes = -1;
    for (auto ct : c_sizes) {
      for (auto kt : tile_sizes(l.dim(chan))) {
        for (auto yt : tile_sizes(l.dim(Dim::OY))) {
          if (pass == 1 && yt != l.dim(Dim::OY) && yt % cores != 0) continue;
          Mapping m;
          m.unit = ctx.unit;
          m.inner().tile = l.dims;
          m.inner().tile[idx(chan)] = kt;
          m.inner().tile[idx(Dim::OY)] = yt;
          m.inner().tile[idx(Dim::C)] = ct;
          m.inner().order = order;
          for (std::size_t o = 0; o < kNumOperands; ++o)
            m.inner().double_buffer[o] = ctx.moved[o];
          const Cost c = eval.evaluate(m);
          ++res.evaluated;
          if (!c.legal) continue;
          // Largest L1 footprint; ties to the larger channel tile.
          const auto bytes =
              static_cast<double>(c.bytes_held[static_cast<std::size_t>(ctx.level[0])]);
          if (bytes > best_bytes) {
            best_bytes = bytes;
            res.found = true;
            res.best = m;
            res.cost = c;
            res.score = score(objective, c);
          }
        }
      }
      if (res.found) break;
    }
  }
  if (res.found) res.pareto.push_back({res.best, res.cost, 0});
  if (!res.found) res.reason = "no DORY-style tiling fits the unit's memories";
  return res;
}

namespace {

// A (layer, unit) search to run.
struct Job {
  std::string key;
  std::size_t layer = 0;  // the first layer with this key
  const sim::LayerContext* ctx = nullptr;
  std::shared_ptr<const LayerResult> result;
  bool from_cache = false;  // answered by the caller's cache
};

LayerResult run_search(const sim::Analytical& model, const Job& job, const NetworkOptions& opt) {
  const auto& ctx = *job.ctx;
  if (opt.mapper == MapperKind::dory) return dory_tiling(model, ctx, opt.search.objective);
  SearchOptions s = opt.search;
  if (opt.mapper == MapperKind::divisor) {
    s.space.divisors_only = true;
    s.space.first_unrolling_only = true;
  }
  if (opt.on_candidate) {
    s.on_candidate = [&opt, layer = job.layer](const Mapping& m, const Cost& c) {
      opt.on_candidate(layer, m, c);
    };
  }
  return search_layer(model, ctx, s);
}

// The cost of one choice in the assignment: what the objective adds up.
struct Weights {
  double cycles = 1, energy = 0;
};

}  // namespace

NetworkResult map_network(const Graph& graph, const sim::Analytical& model,
                          const NetworkOptions& opt, LayerCache* cache) {
  const auto start = std::chrono::steady_clock::now();
  const hw::Soc& soc = model.soc();
  NetworkResult out;
  std::vector<int> units;
  if (opt.units.empty()) {
    for (int u = 0; u < static_cast<int>(soc.units.size()); ++u)
      units.push_back(u);
  } else {
    for (const auto& name : opt.units) {
      const auto u = soc.find_unit(name);
      if (!u) throw MappingError(fmt::format("SoC '{}' has no unit '{}'", soc.name, name));
      units.push_back(*u);
    }
  }

  // Contexts of every (layer, unit) pair; distinct searches by key.
  const auto& layers = graph.layers();
  std::vector<std::vector<sim::LayerContext>> ctx(layers.size());
  std::vector<std::vector<std::string>> keys(layers.size());
  std::map<std::string, std::size_t> job_of;
  std::vector<Job> jobs;
  LayerCache local;
  LayerCache& store = cache ? *cache : local;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    ctx[i].reserve(units.size());  // jobs keep pointers into it
    for (int u : units) {
      ctx[i].push_back(model.prepare(layers[i], u));
      keys[i].push_back(layer_key(layers[i], u, soc.hash, opt.mapper, opt.search));
      const auto& key = keys[i].back();
      if (job_of.count(key)) continue;
      job_of[key] = jobs.size();
      auto hit = store.find(key);
      jobs.push_back({key, i, &ctx[i].back(), hit, hit != nullptr});
    }
  }
  tbb::parallel_for(std::size_t{0}, jobs.size(), [&](std::size_t j) {
    if (jobs[j].result) return;
    jobs[j].result = std::make_shared<const LayerResult>(run_search(model, jobs[j], opt));
  });
  std::set<std::string> counted;
  for (auto& job : jobs) {
    if (job.from_cache) continue;
    store.put(job.key, job.result);
    out.searches_run += 1;
    out.evaluated += job.result->evaluated;
    out.pruned += job.result->pruned;
  }

  // Per layer, the units that can run it.
  out.searches.resize(layers.size());
  for (std::size_t i = 0; i < layers.size(); ++i) {
    std::string why;
    for (std::size_t k = 0; k < units.size(); ++k) {
      const auto& key = keys[i][k];
      const auto& job = jobs[job_of[key]];
      UnitSearch us{units[k], job.result, job.from_cache || !counted.insert(key).second};
      out.cache_hits += us.cached;
      if (us.result->found) {
        out.searches[i].push_back(us);
      } else {
        auto reason = us.result->reason;
        while (!reason.empty() && reason.back() == '.')
          reason.pop_back();
        why += fmt::format("; {}: {}", soc.units[static_cast<std::size_t>(units[k])].name, reason);
      }
    }
    if (out.searches[i].empty())
      throw MappingError(fmt::format("no unit of SoC '{}' can run layer '{}' of '{}'{}", soc.name,
                                     layers[i].name, graph.name(), why));
  }

  // --- unit assignment: DP over the live frontier -------------------------
  std::vector<std::size_t> last_use(layers.size());
  for (std::size_t i = 0; i < layers.size(); ++i) {
    last_use[i] = i;
    for (auto c : graph.consumers(i))
      last_use[i] = std::max(last_use[i], c);
  }
  auto conversion = [&](std::size_t producer, int from, int to, double& cycles, double& energy) {
    if (soc.units[static_cast<std::size_t>(from)].layout ==
        soc.units[static_cast<std::size_t>(to)].layout)
      return;
    const auto bytes = static_cast<double>(layers[producer].output_bytes());
    cycles += bytes * soc.conversion_cycles;
    energy += bytes * soc.conversion_energy;
  };
  // Runs the DP for weights on (cycles, energy); returns the choice per layer.
  auto assign = [&](const Weights& w) {
    struct Entry {
      double cost;
      std::size_t prev;  // state index at the previous step
      std::size_t choice;
    };
    using State = std::vector<std::size_t>;  // choices of the frontier layers
    std::vector<std::size_t> frontier;       // layers live after the current step
    std::vector<std::map<State, std::size_t>> index(layers.size() + 1);
    std::vector<std::vector<Entry>> table(layers.size() + 1);
    index[0][State{}] = 0;
    table[0].push_back({0, 0, 0});
    for (std::size_t j = 0; j < layers.size(); ++j) {
      std::vector<std::size_t> next;
      for (auto f : frontier) {
        if (last_use[f] > j) next.push_back(f);
      }
      if (last_use[j] > j) next.push_back(j);
      const auto producers = graph.producers(j);
      for (const auto& [state, si] : index[j]) {
        const double base = table[j][si].cost;
        for (std::size_t k = 0; k < out.searches[j].size(); ++k) {
          const auto& us = out.searches[j][k];
          double cyc = us.result->cost.cycles, en = us.result->cost.energy;
          for (auto p : producers) {
            const auto pos = std::find(frontier.begin(), frontier.end(), p) - frontier.begin();
            const auto& pu = out.searches[p][state[static_cast<std::size_t>(pos)]];
            conversion(p, pu.unit, us.unit, cyc, en);
          }
          const double cost = base + w.cycles * cyc + w.energy * en;
          State ns;
          for (auto f : next) {
            if (f == j) {
              ns.push_back(k);
            } else {
              const auto pos = std::find(frontier.begin(), frontier.end(), f) - frontier.begin();
              ns.push_back(state[static_cast<std::size_t>(pos)]);
            }
          }
          auto [it, fresh] = index[j + 1].try_emplace(ns, table[j + 1].size());
          if (fresh) {
            table[j + 1].push_back({cost, si, k});
          } else if (cost < table[j + 1][it->second].cost) {
            table[j + 1][it->second] = {cost, si, k};
          }
        }
      }
      frontier = next;
    }
    std::size_t best = 0;
    for (std::size_t s = 1; s < table[layers.size()].size(); ++s) {
      if (table[layers.size()][s].cost < table[layers.size()][best].cost) best = s;
    }
    std::vector<std::size_t> choice(layers.size());
    for (std::size_t j = layers.size(); j-- > 0;) {
      choice[j] = table[j + 1][best].choice;
      best = table[j + 1][best].prev;
    }
    return choice;
  };
  auto build = [&](const std::vector<std::size_t>& choice) {
    NetworkSchedule s;
    s.network = graph.name();
    s.soc = soc.name;
    s.soc_hash = soc.hash;
    s.objective = std::string(objective_name(opt.search.objective));
    s.mapper = std::string(mapper_name(opt.mapper));
    s.frequency = soc.frequency;
    s.peak_bytes.assign(soc.levels.size(), 0);
    for (const auto& lvl : soc.levels)
      s.level_names.push_back(lvl.name);
    for (std::size_t j = 0; j < layers.size(); ++j) {
      const auto& us = out.searches[j][choice[j]];
      LayerSchedule ls;
      ls.layer = layers[j].name;
      ls.index = j;
      ls.unit = us.unit;
      ls.unit_name = soc.units[static_cast<std::size_t>(us.unit)].name;
      ls.mapping = us.result->best;
      ls.cost = us.result->cost;
      for (auto p : graph.producers(j)) {
        conversion(p, out.searches[p][choice[p]].unit, us.unit, ls.transition_cycles,
                   ls.transition_energy);
      }
      s.cycles += ls.cost.cycles + ls.transition_cycles;
      s.energy += ls.cost.energy + ls.transition_energy;
      for (std::size_t lvl = 0; lvl < soc.levels.size(); ++lvl)
        s.peak_bytes[lvl] = std::max(s.peak_bytes[lvl], ls.cost.bytes_held[lvl]);
      s.layers.push_back(std::move(ls));
    }
    return s;
  };

  switch (opt.search.objective) {
    case Objective::latency:
      out.schedule = build(assign({1, 0}));
      break;
    case Objective::energy:
      out.schedule = build(assign({0, 1}));
      break;
    case Objective::edp: {
      // Network EDP is not additive: minimise the first-order expansion
      // E x cycles + C x energy around the current totals, a few times.
      out.schedule = build(assign({1, 0}));
      for (int pass = 0; pass < 4; ++pass) {
        auto next = build(assign({out.schedule.energy, out.schedule.cycles}));
        if (next.cycles * next.energy >= out.schedule.cycles * out.schedule.energy) break;
        out.schedule = std::move(next);
      }
      break;
    }
  }
  for (const auto& ls : out.schedule.layers) {
    for (const auto& us : out.searches[ls.index]) {
      if (us.unit == ls.unit) out.proven = out.proven && us.result->proven;
    }
  }
  out.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace tessel::mappers
