// Event simulation throughput: job starts and ends processed per second on
// one core, replaying the ResNet-8 schedule tessel chooses on gap9, and a
// many-tile layer mapping (small tiles: thousands of jobs).

#include <benchmark/benchmark.h>

#include "core/zoo.hpp"
#include "hwmodels/soc_loader.hpp"
#include "mappers/network_mapper.hpp"
#include "sim/event_sim.hpp"

namespace {

using namespace tessel;

// Runs `simulate` per iteration and reports events per second and per run.
template <typename Simulate>
void run(benchmark::State& state, Simulate simulate) {
  std::uint64_t events = 0;
  for (auto _ : state) {
    const auto r = simulate();
    events += r.events;
    benchmark::DoNotOptimize(r.cycles);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(events));
  state.counters["events_per_run"] =
      static_cast<double>(events) / static_cast<double>(state.iterations());
}

void BM_EventSim_resnet8_schedule_gap9(benchmark::State& state) {
  const auto soc = hw::load_soc("gap9");
  const sim::Analytical model(soc);
  const auto g = zoo_model("resnet8");
  const auto schedule = mappers::map_network(g, model, {}).schedule;
  const sim::EventSim es(soc);
  run(state, [&] { return es.simulate(g, schedule); });
}
BENCHMARK(BM_EventSim_resnet8_schedule_gap9);

void BM_EventSim_small_tiles_gap9_cluster(benchmark::State& state) {
  const auto soc = hw::load_soc("gap9");
  const sim::Analytical model(soc);
  const auto g = zoo_model("resnet8");
  const auto& l = g.layer(*g.find_layer("block1.conv1"));
  const auto ctx = model.prepare(l, *soc->find_unit("cluster"));
  Mapping m;
  m.unit = ctx.unit;
  m.inner().tile = l.dims;
  m.inner().tile[idx(Dim::OY)] = 2;
  m.inner().tile[idx(Dim::OX)] = 4;
  m.inner().tile[idx(Dim::K)] = 8;
  m.inner().order = parse_order("K,OY,OX");
  m.inner().double_buffer = {true, true, true};
  const sim::EventSim es(soc);
  run(state, [&] { return es.simulate(ctx, m); });
}
BENCHMARK(BM_EventSim_small_tiles_gap9_cluster);

}  // namespace

BENCHMARK_MAIN();
