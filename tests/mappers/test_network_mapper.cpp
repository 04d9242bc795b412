#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "core/builder.hpp"
#include "core/errors.hpp"
#include "core/zoo.hpp"
#include "hwmodels/soc_loader.hpp"
#include "mappers/network_mapper.hpp"

using namespace tessel;

namespace {

// Two CPUs working in place in one memory: `a` (HWC) runs any conv slowly,
// `b` (CHW) runs pointwise convs four times faster. Converting an activation
// between their layouts costs `cycles` per byte.
std::string two_unit_soc(double cycles) {
  return fmt::format(R"(
name: pair
clock: 100 MHz
memories:
  - name: M
    size: 1 MiB
    read_bandwidth: 8 B/cycle
    write_bandwidth: 8 B/cycle
    read_energy: 1 pJ/B
    write_energy: 1 pJ/B
home: {{weights: M, activations: M}}
layout_conversion: {{cycles_per_byte: {}, energy_per_byte: 0.5 pJ/B}}
units:
  - name: a
    kind: cpu
    ops: [conv, pointwise]
    reads: M
    energy_per_mac: 1 pJ
    params: {{mac_cycles: 4}}
  - name: b
    kind: cpu
    layout: chw
    ops: [pointwise]
    reads: M
    energy_per_mac: 1 pJ
    params: {{mac_cycles: 1}}
)",
                     cycles);
}

// conv 3x3 (only `a` runs it) then a pointwise conv (both can).
Graph two_layers() {
  GraphBuilder b("two");
  auto x = b.input("x", {1, 8, 8, 8});
  ConvParams c;
  c.out_channels = 8;
  c.kernel_y = c.kernel_x = 3;
  c.pad_top = c.pad_left = c.pad_bottom = c.pad_right = 1;
  x = b.conv("conv", x, c);
  ConvParams p;
  p.out_channels = 8;
  return b.finish({b.conv("pw", x, p)});
}

}  // namespace

TEST_CASE("unit assignment charges layout conversions between units", "[network]") {
  const auto g = two_layers();
  SECTION("cheap conversion: the pointwise layer moves to the faster unit") {
    const auto soc = hw::load_soc_text(two_unit_soc(0.01), "pair.yaml");
    const sim::Analytical model(soc);
    const auto r = mappers::map_network(g, model, {});
    const auto& steps = r.schedule.steps;
    REQUIRE(steps.size() == 2);
    REQUIRE(steps[0].parts.size() == 1);
    CHECK(steps[0].parts[0].unit_name == "a");
    CHECK(steps[1].parts[0].unit_name == "b");
    // The conv output (8 x 8 x 8 bytes) is converted once: 512 x 0.01 cycles.
    CHECK(steps[1].transition_cycles == Approx(512 * 0.01));
    CHECK(steps[1].transition_energy == Approx(512 * 0.5));
    CHECK(r.schedule.cycles ==
          Approx(steps[0].parts[0].cost.cycles + steps[1].parts[0].cost.cycles + 5.12));
  }
  SECTION("costly conversion: both layers stay on one unit") {
    const auto soc = hw::load_soc_text(two_unit_soc(1000), "pair.yaml");
    const sim::Analytical model(soc);
    const auto r = mappers::map_network(g, model, {});
    CHECK(r.schedule.steps[1].parts[0].unit_name == "a");
    CHECK(r.schedule.steps[1].transition_cycles == 0);
  }
}

TEST_CASE("a layer no unit can run is reported by name", "[network]") {
  const auto soc = hw::load_soc_text(two_unit_soc(0), "pair.yaml");
  const sim::Analytical model(soc);
  GraphBuilder b("pool");
  auto x = b.input("x", {1, 4, 4, 4});
  PoolParams p{OpKind::max_pool, 2, 2, 2, 2};
  const auto g = b.finish({b.pool("mp", x, p)});
  CHECK_THROWS_AS(mappers::map_network(g, model, {}), MappingError);
  CHECK_THROWS_WITH(mappers::map_network(g, model, {}),
                    Catch::Contains("layer 'mp'") && Catch::Contains("does not run max_pool"));
  mappers::NetworkOptions only;
  only.units = {"nosuch"};
  CHECK_THROWS_WITH(mappers::map_network(two_layers(), model, only), Catch::Contains("nosuch"));
}

TEST_CASE("identical layers are searched once", "[network]") {
  const auto soc = hw::load_soc("gap9");
  const sim::Analytical model(soc);
  const auto g = load_models("dscnn").front();
  mappers::LayerCache cache;
  const auto first = mappers::map_network(g, model, {}, &cache);
  // DS-CNN repeats its depthwise and pointwise blocks four times.
  CHECK(first.cache_hits > 0);
  const auto again = mappers::map_network(g, model, {}, &cache);
  CHECK(again.searches_run == 0);
  CHECK(again.evaluated == 0);
  CHECK(again.schedule.cycles == first.schedule.cycles);
}
