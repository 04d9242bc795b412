// Throughput inside the exhaustive search and the wall time of the default
// exploration.
//
// BM_ExhaustiveSearch_*: every candidate of one layer's mapspace on one unit,
// with branch and bound switched off (no pruning by bounds; tiles that do not
// fit are still dropped), on ONE thread: candidates evaluated per second per
// core, as the search really evaluates them (tile terms shared by the orders
// and bufferings of a tile).
//
// BM_ExploreMlperfTiny_gap9: `tessel explore` on its defaults (all four MLPerf
// Tiny networks on gap9, tessel mapper, latency) on all cores, proven optimum.

#include <benchmark/benchmark.h>

#include <tbb/global_control.h>

#include "core/zoo.hpp"
#include "hwmodels/soc_loader.hpp"
#include "mappers/network_mapper.hpp"
#include "mappers/search/exhaustive.hpp"

namespace {

using namespace tessel;

// The tile oracle without bounds: it skips only the tiles the cost model finds
// illegal, so that the search walks the whole space.
class LegalTiles final : public mappers::TileOracle {
 public:
  explicit LegalTiles(sim::CachedEvaluator& eval) : eval_(eval) {}
  bool skip(const DimArray& tile, int unrolling) override {
    return !eval_.terms(tile, unrolling).legal;
  }

 private:
  sim::CachedEvaluator& eval_;
};

void exhaustive(benchmark::State& state, const char* soc_name, const char* model, const char* layer,
                const char* unit) {
  tbb::global_control one(tbb::global_control::max_allowed_parallelism, 1);
  const auto soc = hw::load_soc(soc_name);
  const sim::Analytical analytical(soc);
  const auto g = zoo_model(model);
  const auto ctx = analytical.prepare(g.layer(*g.find_layer(layer)), *soc->find_unit(unit));
  const mappers::LayerMapSpace space(ctx);
  std::uint64_t evaluated = 0;
  for (auto _ : state) {
    sim::CachedEvaluator eval(analytical, ctx);
    LegalTiles legal(eval);
    mappers::ExhaustiveSearch search(space, legal, 0, space.tile_combos());
    Mapping m;
    while (search.ask(m)) {
      benchmark::DoNotOptimize(eval.evaluate(m));
      ++evaluated;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(evaluated));
  state.counters["space"] = space.size();
}

void BM_ExhaustiveSearch_gap9_cluster_resnet8_block2_conv2(benchmark::State& s) {
  exhaustive(s, "gap9", "resnet8", "block2.conv2", "cluster");
}
void BM_ExhaustiveSearch_gap9_ne16_mobilenetv1_block6_pw(benchmark::State& s) {
  exhaustive(s, "gap9", "mobilenetv1", "block6.pw", "ne16");
}
void BM_ExhaustiveSearch_diana_digital_dscnn_block1_pw(benchmark::State& s) {
  exhaustive(s, "diana", "dscnn", "block1.pw", "digital");
}
BENCHMARK(BM_ExhaustiveSearch_gap9_cluster_resnet8_block2_conv2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ExhaustiveSearch_gap9_ne16_mobilenetv1_block6_pw)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ExhaustiveSearch_diana_digital_dscnn_block1_pw)->Unit(benchmark::kMillisecond);

void BM_ExploreMlperfTiny_gap9(benchmark::State& state) {
  const auto soc = hw::load_soc("gap9");
  const sim::Analytical analytical(soc);
  const auto graphs = load_models("mlperf-tiny");
  std::uint64_t evaluated = 0;
  bool proven = true;
  for (auto _ : state) {
    mappers::LayerCache cache;  // fresh per iteration, as one `tessel explore` run
    for (const auto& g : graphs) {
      const auto r = mappers::map_network(g, analytical, {}, &cache);
      evaluated += r.evaluated;
      proven = proven && r.proven;
    }
  }
  state.counters["evaluated_per_run"] =
      static_cast<double>(evaluated) / static_cast<double>(state.iterations());
  state.counters["proven"] = proven ? 1 : 0;
}
BENCHMARK(BM_ExploreMlperfTiny_gap9)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
