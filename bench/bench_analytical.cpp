// Single-mapping evaluation throughput of sim::Analytical (the hot path of
// every search): evaluations per second on one core, over a fixed pool of
// legal mappings of every ResNet-8 layer on a unit of a shipped target.

#include <benchmark/benchmark.h>

#include <random>

#include "core/zoo.hpp"
#include "hwmodels/soc_loader.hpp"
#include "sim/analytical.hpp"

namespace {

using namespace tessel;

struct Pool {
  std::shared_ptr<const hw::Soc> soc;
  Graph graph;
  std::vector<sim::LayerContext> ctx;
  std::vector<std::pair<std::size_t, Mapping>> mappings;  // (context index, mapping)
};

// Random tile sizes, orders and buffering; keeps only legal mappings so the
// benchmark measures full evaluations, not early rejections.
Pool make_pool(const std::string& soc_name, const std::string& unit, std::size_t want) {
  Pool p{hw::load_soc(soc_name), zoo_model("resnet8"), {}, {}};
  const sim::Analytical model(p.soc);
  const int u = *p.soc->find_unit(unit);
  for (const auto& l : p.graph.layers())
    p.ctx.push_back(model.prepare(l, u));
  std::mt19937_64 rng(42);
  std::size_t tries = 0;
  while (p.mappings.size() < want && tries++ < want * 1000) {
    const std::size_t li = rng() % p.ctx.size();
    if (!p.ctx[li].supported) continue;
    const Layer& l = *p.ctx[li].layer;
    Mapping m;
    m.unit = u;
    for (Dim d : kAllDims) {
      const auto full = l.dim(d);
      m.inner().tile[idx(d)] =
          (d == Dim::FY || d == Dim::FX)
              ? full
              : 1 + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(full));
    }
    std::shuffle(m.inner().order.begin(), m.inner().order.end(), rng);
    for (auto& b : m.inner().double_buffer)
      b = rng() % 2;
    m.unrolling = static_cast<int>(rng() % p.soc->model(u).unrollings().size());
    if (model.evaluate(p.ctx[li], m).legal) p.mappings.emplace_back(li, m);
  }
  return p;
}

void evaluate_mappings(benchmark::State& state, const std::string& soc, const std::string& unit) {
  static std::map<std::string, Pool> pools;
  auto& pool = pools.try_emplace(soc + "/" + unit, make_pool(soc, unit, 4096)).first->second;
  const sim::Analytical model(pool.soc);
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& [li, m] = pool.mappings[i];
    benchmark::DoNotOptimize(model.evaluate(pool.ctx[li], m));
    if (++i == pool.mappings.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["mappings"] = static_cast<double>(pool.mappings.size());
}

void BM_Evaluate_gap9_cluster(benchmark::State& s) {
  evaluate_mappings(s, "gap9", "cluster");
}
void BM_Evaluate_gap9_ne16(benchmark::State& s) {
  evaluate_mappings(s, "gap9", "ne16");
}
void BM_Evaluate_diana_digital(benchmark::State& s) {
  evaluate_mappings(s, "diana", "digital");
}
BENCHMARK(BM_Evaluate_gap9_cluster);
BENCHMARK(BM_Evaluate_gap9_ne16);
BENCHMARK(BM_Evaluate_diana_digital);

}  // namespace

BENCHMARK_MAIN();
