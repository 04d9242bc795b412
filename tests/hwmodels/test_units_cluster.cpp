#include <catch2/catch.hpp>

#include "core/errors.hpp"
#include "test_units_common.hpp"

using namespace tessel;
using namespace tessel::test;

// GAP9-like cluster with the kind's defaults: 8 cores, 4 x 8-bit sdotp, a 4x2
// register block, 1-cycle sdotp and loads, 2-cycle scalar leftovers, 15 cycles
// per block, im2col at 2 B/cycle, 1 cycle per gathered byte, 1 cycle per
// pool/add element; plus a 50-cycle fork/barrier per tile.
namespace {

std::shared_ptr<const hw::UnitModel> cluster() {
  auto s = make_spec("cluster", {{"barrier_cycles", 50}});
  s.tile_overhead_cycles = 10;
  s.energy_per_mac = 2.0;
  return hw::make_unit_model(s, 3.7e8);
}

constexpr int kOY = 0;  // unrolling indices
constexpr int kK = 1;

}  // namespace

TEST_CASE("cluster: unrollings over OY and K", "[units][cluster]") {
  const auto m = cluster();
  REQUIRE(m->unrollings().size() == 2);
  CHECK(m->unrollings()[kOY].name == "OY");
  CHECK(m->unrollings()[kOY].factors[idx(Dim::OY)] == 8);
  CHECK(m->unrollings()[kK].name == "K");
  CHECK(m->unrollings()[kK].factors[idx(Dim::K)] == 8);
}

TEST_CASE("cluster: 3x3 conv counted by hand", "[units][cluster]") {
  const auto m = cluster();
  // K=8, C=4, OY=8, OX=3, 3x3: vector L = 36 = 9 sdotp steps, no leftover.
  //   block(4 ch, 2 px) = 15 + 9 * (4*2 sdotp + (4+2) loads) = 141
  //   block(4 ch, 1 px) = 15 + 9 * (4 + 5)                   =  96
  //   block(1 ch, 2 px) = 15 + 9 * (2 + 3)                   =  60
  //   block(1 ch, 1 px) = 15 + 9 * (1 + 2)                   =  42
  //   im2col per pixel  = 36 B / 2 B/cycle                   =  18
  const Layer l = conv(8, 4, 8, 3, 3);
  // OY: 1 row per core, 8 channels = 2 blocks of 4. The row has OX = 3 =
  // one 2-pixel block (2*18 + 2*141 = 318) and one 1-pixel block (18 + 2*96 = 210).
  CHECK(m->tile_cycles(l, full(l), kOY) == Approx(528));
  // K: 1 channel per core (a leftover channel), 8 rows of
  // (2*18 + 60) + (18 + 42) = 156 -> 1248.
  CHECK(m->tile_cycles(l, full(l), kK) == Approx(1248));
  // im2col: 8 cores * 2 pixels * 36 B.
  CHECK(m->extra_bytes(l, full(l), kOY) == 576);
  CHECK(m->tile_overhead_cycles(l) == Approx(60));
  CHECK(m->tile_energy(l, full(l), kOY) == Approx(8 * 4 * 8 * 3 * 9 * 2.0));
}

TEST_CASE("cluster: remainders leave cores idle", "[units][cluster]") {
  const auto m = cluster();
  // OY = 9 on 8 cores: one core computes 2 rows, so the tile costs twice OY = 8.
  const Layer l = conv(8, 4, 9, 3, 3);
  CHECK(m->tile_cycles(l, full(l), kOY) == Approx(2 * 528));
  // Dense K=16, C=64 (vector 16 sdotp steps, 1-pixel blocks):
  //   K: 2 channels per core, both leftover channels: 2 * (15 + 16 * (1 + 2)) = 126
  //   OY: OY = 1, one core does all 16 channels: 4 * (15 + 16 * (4 + 5)) = 636
  const Layer d = dense(16, 64);
  CHECK(m->tile_cycles(d, full(d), kK) == Approx(126));
  CHECK(m->tile_cycles(d, full(d), kOY) == Approx(636));
  CHECK(m->extra_bytes(d, full(d), kK) == 0);
}

TEST_CASE("cluster: the vector leftover runs in the scalar loop", "[units][cluster]") {
  const auto m = cluster();
  // Pointwise, K=4, OY=8, OX=2: one 4x2 block per core, no im2col.
  //   C=8: 15 + 2 * 14                      = 43
  //   C=5: 15 + 1 * 14 + 1 * (8 + 6) * 2    = 57 (more than C=8)
  //   C=4: 15 + 1 * 14                      = 29
  const Layer c8 = conv(4, 8, 8, 2, 1), c5 = conv(4, 5, 8, 2, 1), c4 = conv(4, 4, 8, 2, 1);
  CHECK(m->tile_cycles(c8, full(c8), kOY) == Approx(43));
  CHECK(m->tile_cycles(c5, full(c5), kOY) == Approx(57));
  CHECK(m->tile_cycles(c4, full(c4), kOY) == Approx(29));
  CHECK(m->extra_bytes(c5, full(c5), kOY) == 0);  // pointwise with stride 1 reads in place
  Layer strided = c8;
  strided.stride_y = strided.stride_x = 2;
  CHECK(m->extra_bytes(strided, full(strided), kOY) == 8 * 2 * 8);
}

TEST_CASE("cluster: depthwise has no channel reuse", "[units][cluster]") {
  const auto m = cluster();
  // G=8, OY=OX=4, 3x3: per output 15 + 2 * (1 + 2) + 1 * 3 * 2 = 27.
  const Layer l = depthwise(8, 4, 4, 3);
  // K (over channels): 1 channel per core: 16 outputs * 27 + gather of its
  // 6x6 window (36 B * 1 cycle) = 468.
  CHECK(m->tile_cycles(l, full(l), kK) == Approx(468));
  CHECK(m->extra_bytes(l, full(l), kK) == 8 * 36);
  // OY: 1 row per core, all 8 channels: 8 * (4 * 27 + 3x6 window 18) = 1008.
  CHECK(m->tile_cycles(l, full(l), kOY) == Approx(1008));
  CHECK(m->extra_bytes(l, full(l), kOY) == 8 * 18);
}

TEST_CASE("cluster: pools and adds split over channels or rows", "[units][cluster]") {
  const auto m = cluster();
  const Layer add = make_layer(OpKind::add, 16, 1, 1, 4, 4, 1, 1);
  CHECK(m->tile_cycles(add, full(add), kK) == Approx(2 * 16));   // 2 channels of 4x4 per core
  CHECK(m->tile_cycles(add, full(add), kOY) == Approx(16 * 4));  // 1 row of 16 channels x 4
  const Layer pool = make_layer(OpKind::max_pool, 8, 1, 1, 2, 2, 2, 2);
  CHECK(m->tile_cycles(pool, full(pool), kK) == Approx(2 * 2 * 4));
}

TEST_CASE("cluster: inconsistent parameters are errors", "[units][cluster]") {
  CHECK_THROWS_AS(hw::make_unit_model(make_spec("cluster", {{"cores", 0}}), 1e8), ConfigError);
  CHECK_THROWS_AS(hw::make_unit_model(make_spec("cluster", {{"im2col_bytes_per_cycle", 0}}), 1e8),
                  ConfigError);
}
