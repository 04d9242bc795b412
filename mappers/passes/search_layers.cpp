#include <map>
#include <set>

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include "core/errors.hpp"
#include "mappers/dory_tiler.hpp"
#include "mappers/passes/pass.hpp"

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

class SearchLayers final : public NetworkPass {
 public:
  std::string_view name() const override { return "search-layers"; }
  void run(NetworkState& st) const override {
    const auto& layers = st.graph.layers();
    const hw::Soc& soc = st.model.soc();
    auto& out = st.result;
    // Contexts of every (layer, unit) pair; distinct searches by key.
    std::vector<std::vector<sim::LayerContext>> ctx(layers.size());
    std::vector<std::vector<std::string>> keys(layers.size());
    std::map<std::string, std::size_t> job_of;
    std::vector<Job> jobs;
    LayerCache local;
    LayerCache& store = st.cache ? *st.cache : local;
    for (std::size_t i = 0; i < layers.size(); ++i) {
      ctx[i].reserve(st.units.size());  // jobs keep pointers into it
      for (int u : st.units) {
        ctx[i].push_back(st.model.prepare(layers[i], u));
        keys[i].push_back(layer_key(layers[i], u, soc.hash, st.options.mapper, st.options.search));
        const auto& key = keys[i].back();
        if (job_of.count(key)) continue;
        job_of[key] = jobs.size();
        auto hit = store.find(key);
        jobs.push_back({key, i, &ctx[i].back(), hit, hit != nullptr});
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
    keep_runnable(st, keys, job_of, jobs);
  }

 private:
  // Per layer, the units that can run it; a layer no unit runs is an error
  // naming every unit's reason.
  static void keep_runnable(NetworkState& st, const std::vector<std::vector<std::string>>& keys,
                            std::map<std::string, std::size_t>& job_of,
                            const std::vector<Job>& jobs) {
    const auto& layers = st.graph.layers();
    const hw::Soc& soc = st.model.soc();
    auto& out = st.result;
    std::set<std::string> counted;
    out.searches.resize(layers.size());
    for (std::size_t i = 0; i < layers.size(); ++i) {
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
