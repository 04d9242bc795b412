#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "core/errors.hpp"
#include "core/parallel.hpp"
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
  std::size_t report = PairSearch::kNoReport;  // graph layer its candidates are reported for
  const sim::LayerContext* ctx = nullptr;
  Homes home{};
  int depth = 1;         // loop nests the operands' homes need (sim::staging)
  SearchOptions search;  // the network's, with the pair's cutoff
  std::shared_ptr<const LayerResult> result;
  bool from_cache = false;  // answered by the caller's cache
};

LayerResult run_search(const sim::Analytical& model, const Job& job, const NetworkOptions& opt) {
  const auto& ctx = *job.ctx;
  if (job.depth > 1) {
    // Staged through an outer level: the staged search, restricted as the
    // mapper restricts its tiles (DORY keeps the input channels whole).
    SearchOptions s = job.search;
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
  SearchOptions s = job.search;
  if (opt.mapper == MapperKind::divisor) {
    s.space.divisors_only = true;
    s.space.first_unrolling_only = true;
  }
  if (opt.on_candidate && job.report != PairSearch::kNoReport) {
    s.on_candidate = [&opt, layer = job.report](const Mapping& m, const Cost& c) {
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
    if (st.homes.empty()) st.homes.assign(layers.size(), Mapping{}.home);
    // Every (layer, unit) pair of the layers to search, layer by layer.
    std::vector<PairSearch> pairs;
    std::vector<std::size_t> first(layers.size() + 1,
                                   0);  // layer i's pairs: [first[i], first[i+1])
    for (std::size_t i = 0; i < layers.size(); ++i) {
      first[i] = pairs.size();
      if (!st.searched.empty() && !st.searched[i]) continue;
      for (int u : st.units)
        pairs.push_back({layers[i], u, st.homes[i], i, PairSearch::kNoCutoff, {}, nullptr, false});
    }
    first[layers.size()] = pairs.size();
    search_pairs(st, pairs);
    // Layers no unit can run with their tensors where they are: their
    // weights stream from the spill level or, once streamed, their larger
    // activation moves to the activations' spill level; those layers (and
    // the ones sharing a moved tensor) are searched again.
    std::vector<bool> again(layers.size(), false);
    for (std::size_t i = 0; i < layers.size(); ++i) {
      bool any = first[i] == first[i + 1];  // not searched now
      for (auto k = first[i]; k < first[i + 1]; ++k)
        any = any || pairs[k].result->found;
      if (!any) relocate(st, i, again);
    }
    keep_runnable(st, pairs, first, again);
    if (std::none_of(again.begin(), again.end(), [](bool b) { return b; })) return;
    const auto mask = st.searched;
    st.searched = again;
    run(st);
    st.searched = mask;
  }

 private:
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
  static void keep_runnable(NetworkState& st, const std::vector<PairSearch>& pairs,
                            const std::vector<std::size_t>& first, const std::vector<bool>& skip) {
    const auto& layers = st.graph.layers();
    const hw::Soc& soc = st.model.soc();
    auto& out = st.result;
    out.searches.resize(layers.size());
    for (std::size_t i = 0; i < layers.size(); ++i) {
      if (first[i] == first[i + 1] || skip[i]) continue;
      out.searches[i].clear();
      std::string why;
      for (auto k = first[i]; k < first[i + 1]; ++k) {
        const auto& p = pairs[k];
        out.cache_hits += p.cached;
        if (p.result->found) {
          out.searches[i].push_back({p.unit, p.result, p.cached});
        } else {
          auto reason = p.result->reason;
          while (!reason.empty() && reason.back() == '.')
            reason.pop_back();
          why += fmt::format("; {}: {}", soc.units[static_cast<std::size_t>(p.unit)].name, reason);
        }
      }
      if (out.searches[i].empty())
        throw MappingError(fmt::format("no unit of SoC '{}' can run layer '{}' of '{}'{}", soc.name,
                                       layers[i].name, st.graph.name(), why));
    }
  }
};

}  // namespace

void search_pairs(NetworkState& st, std::vector<PairSearch>& pairs) {
  const hw::Soc& soc = st.model.soc();
  std::vector<sim::LayerContext> ctx;
  ctx.reserve(pairs.size());  // jobs keep pointers into it
  std::map<std::string, std::size_t> job_of;
  std::vector<Job> jobs;
  std::vector<std::size_t> job(pairs.size());
  LayerCache local;
  LayerCache& store = st.cache ? *st.cache : local;
  for (std::size_t k = 0; k < pairs.size(); ++k) {
    auto& p = pairs[k];
    Mapping m;
    m.unit = p.unit;
    m.home = p.home;
    ctx.push_back(st.model.prepare(p.layer, m));
    const sim::Route route{ctx.back().home, ctx.back().level};  // the pair's own route
    const auto depth = sim::staging(soc, route, has_weights(p.layer.op)).depth;
    SearchOptions search = st.options.search;
    search.cutoff = p.cutoff;
    p.key = fmt::format(
        "{}|h{},{},{}",
        layer_key(p.layer, p.unit, soc.unit_context_hash(p.unit), st.options.mapper, search),
        p.home[0], p.home[1], p.home[2]);
    const auto [it, fresh] = job_of.try_emplace(p.key, jobs.size());
    job[k] = it->second;
    p.cached = !fresh;  // an identical pair before it
    if (!fresh) continue;
    auto hit = store.find(p.key);
    p.cached = hit != nullptr;
    jobs.push_back({p.key, p.report, &ctx.back(), p.home, depth, search, hit, hit != nullptr});
  }
  parallel_for_index(jobs.size(), [&](std::size_t j) {
    if (jobs[j].result) return;
    jobs[j].result = std::make_shared<const LayerResult>(run_search(st.model, jobs[j], st.options));
  });
  for (auto& j : jobs) {
    if (j.from_cache) continue;
    store.put(j.key, j.result);
    st.result.searches_run += 1;
    st.result.evaluated += j.result->evaluated;
    st.result.pruned += j.result->pruned;
  }
  for (std::size_t k = 0; k < pairs.size(); ++k)
    pairs[k].result = jobs[job[k]].result;
}

std::unique_ptr<NetworkPass> search_layers_pass() {
  return std::make_unique<SearchLayers>();
}

}  // namespace tessel::mappers
