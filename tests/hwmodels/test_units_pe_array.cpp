#include <catch2/catch.hpp>

#include "test_units_common.hpp"

using namespace tessel;
using namespace tessel::test;

// DIANA-like 16x16 digital array: 1 cycle per reduction step, 2 cycles per
// input channel and kernel row for the window, 23 cycles per pass, a 40-cycle
// pipeline fill per tile, 4 channels per depthwise pass, 16 lanes for adds.
namespace {

std::shared_ptr<const hw::UnitModel> array() {
  auto s = make_spec("pe_array", {{"fill_cycles", 40}});
  s.energy_per_mac = 0.25;
  return hw::make_unit_model(s, 2.6e8);
}

}  // namespace

TEST_CASE("pe_array: conv counted by hand", "[units][pe_array]") {
  const auto m = array();
  REQUIRE(m->unrollings().size() == 1);
  CHECK(m->unrollings()[0].name == "K16xOX16");
  CHECK(m->unrollings()[0].factors[idx(Dim::K)] == 16);
  CHECK(m->unrollings()[0].factors[idx(Dim::OX)] == 16);
  // K=16, C=8, OY=2, OX=16, 3x3: passes = 2 rows * 1 K block * 1 OX block;
  // per pass 8*9 reduction steps + 8*3 window rows * 2 + 23 = 143.
  const Layer l = conv(16, 8, 2, 16, 3);
  CHECK(m->tile_cycles(l, full(l), 0) == Approx(286));
  CHECK(m->tile_overhead_cycles(l) == Approx(40));
  CHECK(m->tile_energy(l, full(l), 0) == Approx(2 * 256 * 72 * 0.25));
}

TEST_CASE("pe_array: a 17-channel tile costs like 32", "[units][pe_array]") {
  const auto m = array();
  const Layer l = conv(32, 8, 2, 16, 3);
  const double k16 = m->tile_cycles(l, tile(l, {{Dim::K, 16}}), 0);
  const double k17 = m->tile_cycles(l, tile(l, {{Dim::K, 17}}), 0);
  const double k32 = m->tile_cycles(l, full(l), 0);
  CHECK(k16 == Approx(286));
  CHECK(k17 == Approx(572));
  CHECK(k32 == Approx(572));
  // Same on the columns: OX = 17 needs two column blocks.
  const Layer ox17 = conv(16, 8, 2, 17, 3);
  CHECK(m->tile_cycles(ox17, full(ox17), 0) == Approx(572));
  // Energy follows the padded slots too.
  CHECK(m->tile_energy(l, tile(l, {{Dim::K, 17}}), 0) == Approx(4 * 256 * 72 * 0.25));
}

TEST_CASE("pe_array: depthwise, pools and adds", "[units][pe_array]") {
  const auto m = array();
  // Depthwise G=8, OY=2, OX=16, 3x3: ceil(8/4) * 2 rows * 1 col block = 4
  // passes of 9 + 3*2 + 23 = 38.
  const Layer dw = depthwise(8, 2, 16, 3);
  CHECK(m->tile_cycles(dw, full(dw), 0) == Approx(152));
  // Add of 16 channels, 2 x 20: 16 * 2 * ceil(20/16) = 64.
  const Layer add = make_layer(OpKind::add, 16, 1, 1, 2, 20, 1, 1);
  CHECK(m->tile_cycles(add, full(add), 0) == Approx(64));
  CHECK(m->tile_energy(add, full(add), 0) == Approx(16 * 2 * 20 * 0.25));
}
