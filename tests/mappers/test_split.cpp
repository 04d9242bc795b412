#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "core/builder.hpp"
#include "core/zoo.hpp"
#include "hwmodels/soc_loader.hpp"
#include "mappers/network_mapper.hpp"
#include "sim/concurrent.hpp"
#include "sim/event_sim.hpp"

// Layers split across units running at once (docs/memory.md, "Split layers").
using namespace tessel;

namespace {

// One layer: a pointwise convolution of `k` output channels, or a 3x3
// depthwise one of `k` channels.
Graph one_layer(bool depthwise, std::int64_t k) {
  GraphBuilder b(depthwise ? "dw" : "pw");
  auto x = b.input("x", {1, depthwise ? k : 16, 12, 12});
  ConvParams c;
  c.out_channels = k;
  if (depthwise) {
    c.kernel_y = c.kernel_x = 3;
    c.pad_top = c.pad_left = c.pad_bottom = c.pad_right = 1;
    c.groups = k;
  }
  return b.finish({b.conv("l", x, c)});
}

// The best step over every split of `l`'s channels (dimension `dim`) into
// one range per unit of every set of two or three of `units`, each range
// searched on its own, next to the best single unit: what the split search
// must find, by brute force.
double brute_force(const sim::Analytical& model, const Layer& l, Dim dim,
                   const std::vector<int>& units) {
  const hw::Soc& soc = model.soc();
  const std::int64_t n = l.dim(dim);
  mappers::SearchOptions opt;
  struct Part {
    Cost cost;
    sim::PartDemand demand;
    bool found = false;
  };
  auto part = [&](int unit, std::int64_t k) {
    const Layer s = slice_layer(l, {dim, 0, k});
    const auto ctx = model.prepare(s, unit);
    const auto r = mappers::search_layer(model, ctx, opt);
    Part p;
    p.found = r.found;
    if (!r.found) return p;
    p.cost = r.cost;
    const auto c = model.prepare(s, r.best);
    p.demand = sim::part_demand(model, c, r.best, r.cost);
    return p;
  };
  double best = std::numeric_limits<double>::infinity();
  for (int u : units) {
    const auto p = part(u, n);
    if (p.found) best = std::min(best, p.cost.cycles);
  }
  auto step_cycles = [&](const std::vector<Part>& parts) {
    ScheduleStep st;
    st.kind = ScheduleStep::Kind::concurrent;
    st.sync_cycles = soc.sync_cycles;
    std::vector<const sim::PartDemand*> d;
    for (const auto& p : parts) {
      if (!p.found) return std::numeric_limits<double>::infinity();
      SchedulePart sp;
      sp.cost = p.cost;
      st.parts.push_back(sp);
      d.push_back(&p.demand);
    }
    st.contention_cycles = sim::contention_cycles(soc, d);
    total_step(st);
    return st.cycles;
  };
  for (std::size_t a = 0; a < units.size(); ++a) {
    for (std::size_t b = a + 1; b < units.size(); ++b) {
      for (std::int64_t k = 1; k < n; ++k)  // every boundary
        best = std::min(best, step_cycles({part(units[a], k), part(units[b], n - k)}));
      for (std::size_t c = b + 1; c < units.size(); ++c) {
        for (std::int64_t i = 1; i < n; ++i) {
          for (std::int64_t j = 1; i + j < n; ++j)
            best = std::min(best, step_cycles({part(units[a], i), part(units[b], j),
                                               part(units[c], n - i - j)}));
        }
      }
    }
  }
  return best;
}

}  // namespace

TEST_CASE("the split search equals a brute force over every channel boundary", "[split]") {
  const auto soc = hw::load_soc("gap9");
  const sim::Analytical model(soc);
  for (const bool depthwise : {false, true}) {
    const Graph g = one_layer(depthwise, 12);
    INFO(g.name());
    const Layer& l = g.layer(0);
    const auto r = mappers::map_network(g, model, {});
    REQUIRE(r.schedule.steps.size() == 1);
    const auto& step = r.schedule.steps[0];
    const Dim dim = depthwise ? Dim::G : Dim::K;
    CHECK(step.cycles == Approx(brute_force(model, l, dim, {0, 1, 2})).epsilon(1e-12));
    if (step.kind != ScheduleStep::Kind::concurrent) continue;
    // The parts cover the channels once, in order, each on its own unit.
    std::int64_t next = 0;
    for (const auto& p : step.parts) {
      CHECK(p.slice.dim == dim);
      CHECK(p.slice.begin == next);
      next = p.slice.end;
    }
    CHECK(next == l.dim(dim));
    CHECK(step.sync_cycles == soc->sync_cycles);
  }
}

TEST_CASE("splitting never loses and the simulator replays split steps within 3 %",
          "[split][sim][slow]") {
  for (const char* name : {"gap9", "diana"}) {
    const auto soc = hw::load_soc(name);
    const sim::Analytical model(soc);
    const sim::EventSim es(soc);
    for (const auto& net : {"resnet8", "dscnn", "mobilenetv1", "autoencoder"}) {
      INFO(name << " " << net);
      const Graph g = zoo_model(net);
      mappers::LayerCache cache;
      mappers::NetworkOptions off;
      off.split = false;
      const auto without = mappers::map_network(g, model, off, &cache);
      for (const auto& st : without.schedule.steps)
        CHECK(st.kind != ScheduleStep::Kind::concurrent);
      for (const auto policy :
           {mappers::PrecisionPolicy::strict, mappers::PrecisionPolicy::allow_lower}) {
        mappers::NetworkOptions on;
        on.precision = policy;
        const auto with = mappers::map_network(g, model, on, &cache);
        if (policy == mappers::PrecisionPolicy::strict)
          CHECK(with.schedule.cycles <= without.schedule.cycles);
        const auto sim = es.simulate(g, with.schedule);
        std::size_t split = 0;
        for (std::size_t i = 0; i < with.schedule.steps.size(); ++i) {
          const auto& st = with.schedule.steps[i];
          if (st.kind != ScheduleStep::Kind::concurrent) continue;
          ++split;
          INFO("step " << i << " " << st.parts[0].layer << " policy "
                       << mappers::precision_policy_name(policy));
          CHECK(std::abs(st.cycles - sim.step_cycles[i]) <= 0.03 * sim.step_cycles[i]);
          for (const auto& p : st.parts) {
            // Strict parts run at the layer's bits; lowered ones below them.
            if (policy == mappers::PrecisionPolicy::strict) CHECK(p.weight_bits == 0);
            if (p.weight_bits > 0) CHECK(p.weight_bits < g.layer(p.index).bits.weight);
          }
        }
        CHECK(std::abs(with.schedule.cycles - sim.cycles) <= 0.03 * sim.cycles);
        if (policy == mappers::PrecisionPolicy::strict && std::string(name) == "gap9")
          CHECK(split > 0);  // GAP9's NE16 and cluster share every MLPerf Tiny network
      }
    }
  }
}
