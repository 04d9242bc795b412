#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include "core/errors.hpp"
#include "mappers/dory_tiler.hpp"
#include "mappers/passes/pass.hpp"
#include "mappers/staged_search.hpp"

// The first network pass: the search of every (layer, unit) pair the units
// can run, on all threads, each distinct search once (also across networks,
// through the layer cache).
namespace tessel::mappers {
namespace {

// A (layer, unit) search to run.
struct Job {
  std::string key;
  std::size_t layer = 0;  // the first layer with this key
  const sim::LayerContext* ctx = nullptr;
  Homes home{};
  int depth = 1;  // loop nests the operands' homes need (sim::staging)
  std::shared_ptr<const LayerResult> result;
  bool from_cache = false;  // answered by the caller's cache
};

LayerResult run_search(const sim::Analytical& model, const Job& job, const NetworkOptions& opt) {
  const auto& ctx = *job.ctx;
  if (job.depth > 1) {
    // Staged through an outer level: the staged search, restricted as the
    // mapper restricts its tiles (DORY keeps the input channels whole).
    SearchOptions s = opt.search;
    s.space.divisors_only = opt.mapper == MapperKind::divisor;
    s.space.first_unrolling_only = opt.mapper == MapperKind::divisor;
    s.space.whole[idx(Dim::C)] = opt.mapper == MapperKind::dory;
    return search_staged(model, *ctx.layer, ctx.unit, job.home, s);
  }
  if (opt.mapper == MapperKind::dory) {
    auto r = dory_tiling(model, ctx, opt.search.objective);
    r.best.home = job.home;
    return r;
  }
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
  auto r = search_layer(model, ctx, s);
  r.best.home = job.home;
  for (auto& p : r.pareto)
    p.mapping.home = job.home;
  return r;
}

class SearchLayers final : public NetworkPass {
 public:
  std::string_view name() const override { return "search-layers"; }
  void run(NetworkState& st) const override {
    const auto& layers = st.graph.layers();
    const hw::Soc& soc = st.model.soc();
    auto& out = st.result;
    if (st.homes.empty()) st.homes.assign(layers.size(), Mapping{}.home);
    // Contexts of every (layer, unit) pair; distinct searches by key.
    std::vector<std::vector<sim::LayerContext>> ctx(layers.size());
    std::vector<std::vector<std::string>> keys(layers.size());
    std::map<std::string, std::size_t> job_of;
    std::vector<Job> jobs;
    LayerCache local;
    LayerCache& store = st.cache ? *st.cache : local;
    for (std::size_t i = 0; i < layers.size(); ++i) {
      if (!st.searched.empty() && !st.searched[i]) continue;
      ctx[i].reserve(st.units.size());  // jobs keep pointers into it
      const Homes home = st.homes.empty() ? Mapping{}.home : st.homes[i];
      for (int u : st.units) {
        Mapping m;
        m.unit = u;
        m.home = home;
        ctx[i].push_back(st.model.prepare(layers[i], m));
        const sim::Route route{ctx[i].back().home, ctx[i].back().level};  // the pair's own route
        const auto depth = sim::staging(soc, route, has_weights(layers[i].op)).depth;
        keys[i].push_back(fmt::format(
            "{}|h{},{},{}", layer_key(layers[i], u, soc.hash, st.options.mapper, st.options.search),
            home[0], home[1], home[2]));
        const auto& key = keys[i].back();
        if (job_of.count(key)) continue;
        job_of[key] = jobs.size();
        auto hit = store.find(key);
        jobs.push_back({key, i, &ctx[i].back(), home, depth, hit, hit != nullptr});
      }
    }
    tbb::parallel_for(std::size_t{0}, jobs.size(), [&](std::size_t j) {
      if (jobs[j].result) return;
      jobs[j].result =
          std::make_shared<const LayerResult>(run_search(st.model, jobs[j], st.options));
    });
    for (auto& job : jobs) {
      if (job.from_cache) continue;
      store.put(job.key, job.result);
      out.searches_run += 1;
      out.evaluated += job.result->evaluated;
      out.pruned += job.result->pruned;
    }
    // Layers no unit can run with their tensors where they are: their
    // weights stream from the spill level or, once streamed, their larger
    // activation moves to the activations' spill level; those layers (and
    // the ones sharing a moved tensor) are searched again.
    std::vector<bool> again(layers.size(), false);
    for (auto i : stuck_layers(st, keys, job_of, jobs))
      relocate(st, i, again);
    std::vector<std::size_t> skip;
    for (std::size_t i = 0; i < layers.size(); ++i) {
      if (again[i]) skip.push_back(i);
    }
    keep_runnable(st, keys, job_of, jobs, skip);
    if (skip.empty()) return;
    const auto mask = st.searched;
    st.searched = again;
    run(st);
    st.searched = mask;
  }

 private:
  // The searched layers with no unit that can run them.
  static std::vector<std::size_t> stuck_layers(NetworkState& st,
                                               const std::vector<std::vector<std::string>>& keys,
                                               std::map<std::string, std::size_t>& job_of,
                                               const std::vector<Job>& jobs) {
    std::vector<std::size_t> stuck;
    for (std::size_t i = 0; i < st.graph.layers().size(); ++i) {
      if (!st.searched.empty() && !st.searched[i]) continue;
      bool any = false;
      for (const auto& key : keys[i])
        any = any || jobs[job_of[key]].result->found;
      if (!any) stuck.push_back(i);
    }
    return stuck;
  }

  // Moves a stuck layer's weights, else its larger activation still at
  // home, to the SoC's spill level (nothing when there is none).
  static void relocate(NetworkState& st, std::size_t i, std::vector<bool>& again) {
    const hw::Soc& soc = st.model.soc();
    const Layer& l = st.graph.layer(i);
    auto& h = st.homes[i];
    if (has_weights(l.op) && h[idx(Operand::W)] == Mapping::kSocHome && soc.weights_spill >= 0) {
      h[idx(Operand::W)] = static_cast<std::int8_t>(soc.weights_spill);
      again[i] = true;
      return;
    }
    const bool out_home = h[idx(Operand::O)] == Mapping::kSocHome;
    const bool in_home = h[idx(Operand::I)] == Mapping::kSocHome;
    if (soc.activations_spill < 0 || (!out_home && !in_home)) return;
    const bool out_first = out_home && (!in_home || l.output_bytes() >= l.input_bytes());
    move_activation(st, out_first ? l.output : l.inputs[0],
                    static_cast<std::int8_t>(soc.activations_spill), again);
  }

  // Per layer, the units that can run it; a layer no unit runs is an error
  // naming every unit's reason (the `skip` layers are searched again).
  static void keep_runnable(NetworkState& st, const std::vector<std::vector<std::string>>& keys,
                            std::map<std::string, std::size_t>& job_of,
                            const std::vector<Job>& jobs, const std::vector<std::size_t>& skip) {
    const auto& layers = st.graph.layers();
    const hw::Soc& soc = st.model.soc();
    auto& out = st.result;
    std::set<std::string> counted;
    out.searches.resize(layers.size());
    for (std::size_t i = 0; i < layers.size(); ++i) {
      if (!st.searched.empty() && !st.searched[i]) continue;
      if (std::find(skip.begin(), skip.end(), i) != skip.end()) continue;
      out.searches[i].clear();
      std::string why;
      for (std::size_t k = 0; k < st.units.size(); ++k) {
        const auto& key = keys[i][k];
        const auto& job = jobs[job_of[key]];
        UnitSearch us{st.units[k], job.result, job.from_cache || !counted.insert(key).second};
        out.cache_hits += us.cached;
        if (us.result->found) {
          out.searches[i].push_back(us);
        } else {
          auto reason = us.result->reason;
          while (!reason.empty() && reason.back() == '.')
            reason.pop_back();
          why += fmt::format("; {}: {}", soc.units[static_cast<std::size_t>(st.units[k])].name,
                             reason);
        }
      }
      if (out.searches[i].empty())
        throw MappingError(fmt::format("no unit of SoC '{}' can run layer '{}' of '{}'{}", soc.name,
                                       layers[i].name, st.graph.name(), why));
    }
  }
};

}  // namespace

std::unique_ptr<NetworkPass> search_layers_pass() {
  return std::make_unique<SearchLayers>();
}

}  // namespace tessel::mappers
