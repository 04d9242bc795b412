#include <catch2/catch.hpp>

#include <cmath>

#include "core/zoo.hpp"
#include "hwmodels/soc_loader.hpp"
#include "mappers/network_mapper.hpp"
#include "sim/event_sim.hpp"

using namespace tessel;

// The analytical model and the event simulator agree within 3% on the
// mapping tessel chooses for every layer of the four MLPerf Tiny networks,
// on every unit that can run it, on GAP9 and DIANA.
TEST_CASE("best mappings agree with the event simulation within 3%", "[agreement][slow]") {
  for (const char* soc_name : {"gap9", "diana"}) {
    const auto soc = hw::load_soc(soc_name);
    const sim::Analytical model(soc);
    const sim::EventSim es(soc);
    std::size_t checked = 0;
    for (const auto& g : load_models("mlperf-tiny")) {
      const auto r = mappers::map_network(g, model, {});
      for (std::size_t i = 0; i < r.searches.size(); ++i) {
        for (const auto& us : r.searches[i]) {
          const auto ctx = model.prepare(g.layer(i), us.unit);
          const double analytical = us.result->cost.cycles;
          const double simulated = es.simulate(ctx, us.result->best).cycles;
          INFO(soc_name << " " << g.name() << " " << g.layer(i).name << " on "
                        << soc->units[static_cast<std::size_t>(us.unit)].name << ": analytical "
                        << analytical << ", simulated " << simulated);
          CHECK(std::abs(analytical - simulated) <= 0.03 * simulated);
          ++checked;
        }
      }
      // The whole schedule replayed layer after layer: the sum of the layers.
      const auto whole = es.simulate(g, r.schedule);
      CHECK(std::abs(whole.cycles - r.schedule.cycles) <= 0.03 * whole.cycles);
    }
    CHECK(checked > 50);
  }
}
