#include <catch2/catch.hpp>

#include <algorithm>

#include "core/errors.hpp"
#include "test_units_common.hpp"

using namespace tessel;
using namespace tessel::test;

namespace {

hw::UnitSpec cpu_spec() {
  auto s = make_spec("cpu", {{"simd_lanes", 2},
                             {"mac_cycles", 1},
                             {"load_cycles_per_mac", 0.5},
                             {"output_cycles", 3},
                             {"pixel_cycles", 4},
                             {"element_cycles", 2}});
  s.energy_per_mac = 1.5;
  s.launch_cycles = 100;
  s.tile_overhead_cycles = 7;
  return s;
}

}  // namespace

TEST_CASE("unit kinds are registered by name", "[units][registry]") {
  std::vector<std::string> names;
  for (const auto& k : hw::unit_kinds())
    names.push_back(k.name);
  CHECK(names == std::vector<std::string>{"aimc", "cluster", "conv_engine", "cpu", "pe_array"});
  REQUIRE(hw::find_unit_kind("cpu") != nullptr);
  CHECK(hw::find_unit_kind("cpu")->params.size() == 6);
  CHECK(hw::find_unit_kind("gpu") == nullptr);
  for (const auto& k : hw::unit_kinds()) {
    CHECK(!k.description.empty());
    for (const auto& p : k.params)
      CHECK(!p.description.empty());
  }
}

TEST_CASE("make_unit_model rejects bad kinds and parameters", "[units][registry]") {
  auto s = make_spec("gpu");
  CHECK_THROWS_AS(hw::make_unit_model(s, 1e8), ConfigError);
  CHECK_THROWS_WITH(hw::make_unit_model(s, 1e8), Catch::Contains("unknown kind 'gpu'"));
  auto unknown = make_spec("cpu", {{"lanes", 4}});
  CHECK_THROWS_WITH(hw::make_unit_model(unknown, 1e8),
                    Catch::Contains("unknown parameter 'params.lanes'"));
  auto bad = make_spec("cpu", {{"mac_cycles", 0}});
  CHECK_THROWS_WITH(hw::make_unit_model(bad, 1e8), Catch::Contains("mac_cycles"));
  auto missing = make_spec("aimc");  // rows, cols, ... are required
  CHECK_THROWS_WITH(hw::make_unit_model(missing, 1e8),
                    Catch::Contains("missing required parameter"));
  auto fast = make_spec("cpu");
  fast.frequency = 1e8;
  CHECK_THROWS_AS(hw::make_unit_model(fast, 0.0), ConfigError);
}

TEST_CASE("cpu: conv tile cycles counted by hand", "[units][cpu]") {
  const auto m = hw::make_unit_model(cpu_spec(), 2e8);
  // K=2, C=3, OY=OX=2, 3x3: outputs = 2*2*2 = 8, vector C*FY*FX = 27,
  // 8-bit lanes = 2 -> ceil(27/2) = 14 MAC instructions per output.
  const Layer l = conv(2, 3, 2, 2, 3);
  //   8 outputs * 14 * 1      = 112   SIMD MACs
  // + 216 MACs * 0.5          = 108   loads
  // + 8 outputs * 3           =  24   requantise + store
  // + 4 pixels * 4            =  16   loop bookkeeping
  CHECK(m->tile_cycles(l, full(l), 0) == Approx(260));
  CHECK(m->tile_energy(l, full(l), 0) == Approx(216 * 1.5));
  CHECK(m->launch_cycles(l) == 100);
  CHECK(m->tile_overhead_cycles(l) == 7);
  CHECK(m->extra_bytes(l, full(l), 0) == 0);
  const char* why = nullptr;
  CHECK(m->tile_legal(l, full(l), 0, &why));
  REQUIRE(m->unrollings().size() == 1);
  CHECK(m->unrollings()[0].factors == DimArray{1, 1, 1, 1, 1, 1, 1, 1});

  // 16-bit weights: lanes = floor(2 * 8 / 16) = 1 -> 27 MACs per output:
  // 8 * 27 + 108 + 24 + 16 = 364.
  Layer wide = l;
  wide.bits.weight = 16;
  CHECK(m->tile_cycles(wide, full(wide), 0) == Approx(364));

  // A tile of one output channel: 4 outputs * 14 + 108 MACs * 0.5 + 4 * 3
  // + 4 pixels * 4 (the pixel loop still runs over all 4 pixels) = 138.
  CHECK(m->tile_cycles(l, tile(l, {{Dim::K, 1}}), 0) == Approx(138));
}

TEST_CASE("cpu: unit clock slower than the SoC clock scales cycles", "[units][cpu]") {
  auto s = cpu_spec();
  s.frequency = 1e8;  // the SoC runs at 200 MHz: 2 SoC cycles per unit cycle
  const auto m = hw::make_unit_model(s, 2e8);
  const Layer l = conv(2, 3, 2, 2, 3);
  CHECK(m->tile_cycles(l, full(l), 0) == Approx(520));
  CHECK(m->launch_cycles(l) == 100);  // spec cycles are SoC cycles already
}

TEST_CASE("cpu: pools and adds cost per element", "[units][cpu]") {
  const auto m = hw::make_unit_model(cpu_spec(), 2e8);
  // Max pool G=4, OY=OX=2, 2x2 window: 64 comparisons * 2 + 16 outputs * 3 = 176.
  const Layer pool = make_layer(OpKind::max_pool, 4, 1, 1, 2, 2, 2, 2);
  CHECK(m->tile_cycles(pool, full(pool), 0) == Approx(176));
  // Add of 8 channels of 2x2: 32 additions * 2 + 32 outputs * 3 = 160.
  const Layer add = make_layer(OpKind::add, 8, 1, 1, 2, 2, 1, 1);
  CHECK(m->tile_cycles(add, full(add), 0) == Approx(160));
  CHECK(m->tile_energy(add, full(add), 0) == Approx(32 * 1.5));
}

TEST_CASE("supports checks the spec's lists with a reason", "[units][supports]") {
  auto s = cpu_spec();
  s.ops = {OpKind::conv, OpKind::dense, OpKind::pointwise};
  s.kernels = {{3, 3}, {1, 1}};
  s.strides = {1};
  s.weight_bits = {8};
  s.activation_bits = {8};
  const auto m = hw::make_unit_model(s, 2e8);
  std::string why;
  CHECK(m->supports(conv(4, 4, 4, 4, 3), &why));
  CHECK(why.empty());
  CHECK(m->supports(dense(10, 64), nullptr));  // dense has no kernel or stride to check

  CHECK_FALSE(m->supports(depthwise(8, 4, 4, 3), &why));
  CHECK_THAT(why, Catch::Contains("does not run depthwise layers") &&
                      Catch::Contains("conv, dense, pointwise"));
  CHECK_FALSE(m->supports(conv(4, 4, 4, 4, 5), &why));
  CHECK_THAT(why, Catch::Contains("5x5 kernel"));
  Layer strided = conv(4, 4, 4, 4, 3);
  strided.stride_x = 2;
  CHECK_FALSE(m->supports(strided, &why));
  CHECK_THAT(why, Catch::Contains("stride 1x2"));
  Layer w4 = conv(4, 4, 4, 4, 3);
  w4.bits.weight = 4;
  CHECK_FALSE(m->supports(w4, &why));
  CHECK_THAT(why, Catch::Contains("4-bit weights"));
  Layer a16 = conv(4, 4, 4, 4, 3);
  a16.bits.output = 16;
  CHECK_FALSE(m->supports(a16, &why));
  CHECK_THAT(why, Catch::Contains("16-bit activations"));
  CHECK_FALSE(m->supports(a16, nullptr));  // why is optional
}
