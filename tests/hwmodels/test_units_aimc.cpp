#include <catch2/catch.hpp>

#include "core/errors.hpp"
#include "test_units_common.hpp"

using namespace tessel;
using namespace tessel::test;

// DIANA-like analog array: 1152 rows x 512 columns, ternary (2-bit) cells,
// 7-bit DACs, one ADC per column, 10 cycles per activation, 5 cycles of
// pipeline fill per tile, 8 cycles per programmed row, 100 pJ per activation.
namespace {

hw::UnitSpec aimc_spec() {
  auto s = make_spec("aimc", {{"rows", 1152},
                              {"cols", 512},
                              {"activation_cycles", 10},
                              {"pipeline_cycles", 5},
                              {"row_write_cycles", 8},
                              {"activation_energy", 100}});
  s.launch_cycles = 100;
  s.energy_per_mac = 0.01;
  return s;
}

Layer ternary_conv(std::int64_t k, std::int64_t c, std::int64_t oy, std::int64_t ox,
                   std::int64_t f) {
  Layer l = conv(k, c, oy, ox, f);
  l.bits.weight = 2;
  return l;
}

}  // namespace

TEST_CASE("aimc: conv counted by hand", "[units][aimc]") {
  const auto m = hw::make_unit_model(aimc_spec(), 1e8);
  // K=64, C=32, OY=OX=4, 3x3: 288 rows used. 8-bit inputs on 7-bit DACs take
  // 2 passes: 16 pixels * 2 = 32 activations * 10 cycles.
  const Layer l = ternary_conv(64, 32, 4, 4, 3);
  CHECK(m->tile_cycles(l, full(l), 0) == Approx(320));
  // Programming: 100 (spec) + 288 rows * 8.
  CHECK(m->launch_cycles(l) == Approx(2404));
  CHECK(m->tile_overhead_cycles(l) == Approx(5));
  // 32 activations * 100 pJ + 16*64*288 MACs * 0.01 pJ.
  CHECK(m->tile_energy(l, full(l), 0) == Approx(3200 + 16 * 64 * 288 * 0.01));
  // 7-bit inputs: one pass.
  Layer a7 = l;
  a7.bits.input = 7;
  CHECK(m->tile_cycles(a7, full(a7), 0) == Approx(160));
  // Tiling K does not change the time of an activation (all columns at once).
  CHECK(m->tile_cycles(l, tile(l, {{Dim::K, 1}}), 0) == Approx(320));
}

TEST_CASE("aimc: legality of tiles and layers", "[units][aimc]") {
  const auto m = hw::make_unit_model(aimc_spec(), 1e8);
  const Layer l = ternary_conv(64, 32, 4, 4, 3);
  const char* why = nullptr;
  CHECK(m->tile_legal(l, tile(l, {{Dim::OY, 1}, {Dim::K, 16}}), 0, &why));
  CHECK_FALSE(m->tile_legal(l, tile(l, {{Dim::C, 16}}), 0, &why));
  CHECK_THAT(std::string(why), Catch::Contains("all of C"));

  std::string reason;
  CHECK(m->supports(l, &reason));
  CHECK(m->supports(ternary_conv(512, 128, 4, 4, 3), &reason));  // 1152 rows, 512 columns exactly
  CHECK_FALSE(m->supports(conv(64, 32, 4, 4, 3), &reason));      // 8-bit weights
  CHECK_THAT(reason, Catch::Contains("8-bit weights"));
  CHECK_FALSE(m->supports(ternary_conv(64, 129, 4, 4, 3), &reason));  // 1161 rows
  CHECK_THAT(reason, Catch::Contains("C*FY*FX = 1161"));
  CHECK_FALSE(m->supports(ternary_conv(513, 32, 4, 4, 3), &reason));
  CHECK_THAT(reason, Catch::Contains("K = 513"));
  Layer dw = depthwise(16, 4, 4, 3);
  dw.bits.weight = 2;
  CHECK_FALSE(m->supports(dw, &reason));
  CHECK_THAT(reason, Catch::Contains("depthwise"));
}

TEST_CASE("aimc: shared ADCs and a slower clock", "[units][aimc]") {
  auto s = aimc_spec();
  s.params["adcs"] = 128;
  s.frequency = 5e7;  // half the SoC clock: 2 SoC cycles per unit cycle
  const auto m = hw::make_unit_model(s, 1e8);
  const Layer l = ternary_conv(512, 32, 4, 4, 3);
  // 32 activations * ceil(512/128) conversions * 10 cycles * 2.
  CHECK(m->tile_cycles(l, full(l), 0) == Approx(2560));
  CHECK(m->launch_cycles(l) == Approx(100 + 288 * 8 * 2));
  auto bad = aimc_spec();
  bad.params["adcs"] = 1024;
  CHECK_THROWS_AS(hw::make_unit_model(bad, 1e8), ConfigError);
}
