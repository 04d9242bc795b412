#include <catch2/catch.hpp>

#include "core/memory_plan.hpp"
#include "core/zoo.hpp"
#include "hwmodels/soc_loader.hpp"
#include "mappers/network_mapper.hpp"
#include "mappers/passes/pass.hpp"
#include "sim/event_sim.hpp"

using namespace tessel;

namespace {
// The memory plans of one-unit-per-layer schedules (splits: test_split.cpp;
// fused groups: the last case here).
const mappers::NetworkOptions kNoSplit = [] {
  mappers::NetworkOptions o;
  o.split = false;
  o.fusion = false;
  return o;
}();
}  // namespace

namespace {

// The checks every network's memory plan must pass: every tensor placed
// within its arena with no two live tensors overlapping, arenas between
// their lower bounds and the levels' capacities, equal to the peak bytes;
// the steps in an order the dependencies allow.
void check_plan(const Graph& g, const hw::Soc& soc, const NetworkSchedule& s) {
  INFO(s.network << " on " << soc.name);
  REQUIRE(s.memory.size() == soc.levels.size());
  const auto violation = plan_violation(s.tensors, s.memory);
  CHECK_FALSE(violation);
  if (violation) WARN(*violation);
  for (const auto& a : s.memory) {
    const auto l = static_cast<std::size_t>(a.level);
    INFO(soc.levels[l].name);
    CHECK(a.lower_bound_bytes <= a.arena_bytes);
    CHECK(a.arena_bytes <= soc.levels[l].capacity);
    CHECK(s.peak_bytes[l] == a.arena_bytes);
  }
  std::vector<std::size_t> step_of(g.layers().size());
  for (std::size_t i = 0; i < s.steps.size(); ++i) {
    for (const auto& p : s.steps[i].parts)
      step_of[p.index] = i;
  }
  // Producers run first: in an earlier step, or before in the same fused step.
  for (std::size_t j = 0; j < g.layers().size(); ++j) {
    for (auto u : g.producers(j)) {
      const bool fused = s.steps[step_of[j]].kind == ScheduleStep::Kind::fused;
      CHECK((step_of[u] < step_of[j] || (fused && step_of[u] == step_of[j] && u < j)));
    }
  }
  CHECK(s.order.method != "graph");
  CHECK(s.order.lower_bound <= s.order.peak);
}

}  // namespace

TEST_CASE("every plan of the MLPerf Tiny networks is sound on every shipped SoC", "[plan][slow]") {
  const auto graphs = load_models("mlperf-tiny");
  for (const char* name : {"gap9", "diana", "cortex-m7"}) {
    const sim::Analytical model(hw::load_soc(name));
    for (auto mapper : {mappers::MapperKind::tessel, mappers::MapperKind::dory}) {
      mappers::NetworkOptions opt;
      opt.mapper = mapper;
      mappers::LayerCache cache;
      for (const auto& g : graphs)
        check_plan(g, model.soc(), mappers::map_network(g, model, opt, &cache).schedule);
    }
  }
}

TEST_CASE("ResNet8's adds run in place", "[plan]") {
  const auto g = zoo_model("resnet8");
  const sim::Analytical model(hw::load_soc("gap9"));
  const auto s = mappers::map_network(g, model, {}).schedule;
  int in_place = 0;
  for (const auto& t : s.tensors) {
    if (t.alias.empty()) continue;
    ++in_place;
    for (const auto& u : s.tensors) {
      if (u.name == t.alias) CHECK(u.offset == t.offset);
    }
  }
  CHECK(in_place == 3);
}

TEST_CASE("MobileNetV2 streams its weights from L3 and every plan is sound",
          "[plan][staged][slow]") {
  // On diana, MobileNetV2 1.0's activations do not fit L2 either: some move to
  // L3 and their layers are staged over rows, where the outer tiles' remainder
  // shapes have different inner optima, so those searches are not proven.
  struct Case {
    const char* soc;
    const char* model;
    bool proven;
  };
  for (const auto& c :
       {Case{"gap9", "mobilenetv2-0.35", true}, Case{"diana", "mobilenetv2-0.35", true},
        Case{"gap9", "mobilenetv2", true}, Case{"diana", "mobilenetv2", false}}) {
    INFO(c.model << " on " << c.soc);
    const auto soc = hw::load_soc(c.soc);
    const sim::Analytical model(soc);
    const auto g = zoo_model(c.model);
    const auto r = mappers::map_network(g, model, kNoSplit);
    check_plan(g, model.soc(), r.schedule);
    const auto l3 = *model.soc().find_level("L3");
    // More weights than their home holds: at least the excess lives in L3 and streams.
    const auto home = model.soc().levels[static_cast<std::size_t>(model.soc().weights_home)];
    REQUIRE(g.total_weight_bytes() > home.capacity);
    CHECK(r.schedule.memory[static_cast<std::size_t>(l3)].arena_bytes >=
          g.total_weight_bytes() - home.capacity);
    int staged = 0;
    for (const auto* p : r.schedule.parts())
      staged += p->mapping.home[idx(Operand::W)] == l3 ? 1 : 0;
    CHECK(staged > 0);
    CHECK(r.proven == c.proven);
    // The event simulator replays the staged schedule within 3 % of the model,
    // per layer and in total.
    const sim::EventSim es(soc);
    const auto sim = es.simulate(g, r.schedule);
    CHECK(sim.cycles == Approx(r.schedule.cycles).epsilon(0.03));
    // A fused step (a chain run in channel slices) is compared as a whole.
    REQUIRE(sim.step_cycles.size() == r.schedule.steps.size());
    std::size_t i = 0;
    for (std::size_t k = 0; k < r.schedule.steps.size(); ++k) {
      const auto& step = r.schedule.steps[k];
      INFO(step.parts.front().layer << " (" << step.parts.size() << " parts)");
      if (step.parts.size() == 1) {
        CHECK(sim.layer_cycles[i] == Approx(step.parts[0].cost.cycles).epsilon(0.03));
      } else {
        CHECK(sim.step_cycles[k] == Approx(step.cycles).epsilon(0.03));
      }
      i += step.parts.size();
    }
  }
}

TEST_CASE("MobileNetV2's inverted residual blocks are the chains partial execution slices",
          "[plan][partial]") {
  const auto g = zoo_model("mobilenetv2-0.35");
  const auto chains = mappers::find_chains(g);
  auto named = [&](const mappers::Chain& c) {
    std::vector<std::string> names;
    for (auto j : c.layers)
      names.push_back(g.layer(j).name);
    return names;
  };
  int blocks = 0;
  for (const auto& c : chains) {
    const auto names = named(c);
    if (names.size() == 3 && names[1].ends_with(".dw")) ++blocks;
    // Every intermediate has the chain's channels and one reader.
    for (std::size_t pos = 0; pos + 1 < c.layers.size(); ++pos)
      CHECK(g.consumers(c.layers[pos]).size() == 1);
  }
  CHECK(blocks == 17);  // conv1 -> block0.dw -> block0.project, and 16 expand -> dw -> project
  const auto block1 = std::find_if(chains.begin(), chains.end(),
                                   [&](const auto& c) { return named(c)[0] == "block1.expand"; });
  REQUIRE(block1 != chains.end());
  CHECK(named(*block1) == std::vector<std::string>{"block1.expand", "block1.dw", "block1.project"});
  CHECK(block1->channels == 48);
  CHECK(mappers::slice_counts(*block1) == std::vector<std::int64_t>{2, 3, 4, 6});
}

TEST_CASE("a memory limit runs a chain in channel slices: faster than spilling, sound, replayed",
          "[plan][partial][slow]") {
  // GAP9 with the weights in L3: L2 holds the activations, and at 100 KiB for
  // tensors (164 KiB less the 64 KiB reserve) block1's expand output (110 KiB)
  // fits only a slice at a time.
  const auto full = hw::load_soc(TESSEL_SOURCE_DIR "/tests/data/soc/gap9_weights_l3.yaml");
  const auto soc = hw::apply_overrides(*full, {{"memories.L2.size", "164 KiB"}});
  const sim::Analytical model(soc);
  const auto g = zoo_model("mobilenetv2-0.35");
  const auto sliced = mappers::map_network(g, model, kNoSplit);
  check_plan(g, *soc, sliced.schedule);
  std::vector<const ScheduleStep*> fused;
  for (const auto& s : sliced.schedule.steps) {
    if (s.kind == ScheduleStep::Kind::fused) fused.push_back(&s);
  }
  REQUIRE(fused.size() == 1);
  const auto& parts = fused[0]->parts;
  REQUIRE(parts.size() % 3 == 0);
  const auto n = static_cast<std::int64_t>(parts.size() / 3);
  CHECK(parts[0].layer == "block1.expand");
  CHECK(parts[0].slice == LayerSlice{Dim::K, 0, 48 / n});
  CHECK(parts.back().slice == LayerSlice{Dim::C, 48 - 48 / n, 48});
  // One slice of the intermediates and the partial sums (24 x 24 x 8 x 4 B) are held.
  for (const auto& t : sliced.schedule.tensors) {
    if (t.name == "block1.expand.out") CHECK(t.bytes == 48 * 48 * 48 / n);
    if (t.name == "block1.project.out.partial_sums") CHECK(t.bytes == 24 * 24 * 8 * 4);
  }
  // Without partial execution the same limit spills activations to L3, slower.
  mappers::NetworkOptions no = kNoSplit;
  no.partial_execution = false;
  const auto spilled = mappers::map_network(g, model, no);
  check_plan(g, *soc, spilled.schedule);
  for (const auto& s : spilled.schedule.steps)
    CHECK(s.kind != ScheduleStep::Kind::fused);
  CHECK(sliced.schedule.cycles < spilled.schedule.cycles);
  // Unconstrained it is faster still, and nothing is sliced.
  const auto free = mappers::map_network(g, sim::Analytical(full), kNoSplit);
  CHECK(free.schedule.cycles < sliced.schedule.cycles);
  for (const auto& s : free.schedule.steps)
    CHECK(s.kind != ScheduleStep::Kind::fused);
  // The event simulator replays the fused step within 3 %.
  const sim::EventSim es(soc);
  const auto r = es.simulate(g, sliced.schedule);
  CHECK(r.cycles == Approx(sliced.schedule.cycles).epsilon(0.03));
  for (std::size_t k = 0; k < sliced.schedule.steps.size(); ++k) {
    if (sliced.schedule.steps[k].kind == ScheduleStep::Kind::fused)
      CHECK(r.step_cycles[k] == Approx(sliced.schedule.steps[k].cycles).epsilon(0.03));
  }
}

TEST_CASE("the plans of fused schedules are sound and hold one band of each intermediate",
          "[plan][fusion][slow]") {
  const auto slow = hw::load_soc(TESSEL_SOURCE_DIR "/tests/data/soc/slow_dma.yaml");
  mappers::NetworkOptions no_split;
  no_split.split = false;
  for (const auto& soc : {hw::load_soc("gap9"), slow}) {
    const sim::Analytical model(soc);
    for (const char* net : {"mobilenetv1", "dscnn"}) {
      INFO(soc->name << " " << net);
      const auto g = zoo_model(net);
      const auto r = mappers::map_network(g, model, no_split);
      check_plan(g, *soc, r.schedule);
      const auto l1 = *soc->find_level("L1");
      std::size_t fused = 0;
      for (const auto& st : r.schedule.steps) {
        if (st.kind != ScheduleStep::Kind::fused) continue;
        ++fused;
        // Each intermediate lives at L1 with its largest band's bytes.
        for (const auto& p : st.parts) {
          const auto& out = g.layer(p.index).output;
          for (const auto& t : r.schedule.tensors) {
            if (t.name != out || t.level != l1) continue;
            CHECK(t.bytes >= part_layer(g, p).output_bytes());
            CHECK(t.bytes <= g.layer(p.index).output_bytes());
          }
        }
      }
      CHECK(fused > 0);
    }
  }
}
