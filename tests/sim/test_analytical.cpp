#include <catch2/catch.hpp>

#include "core/builder.hpp"
#include "sim/analytical.hpp"
#include "test_soc.hpp"

using namespace tessel;

namespace {

// Pointwise conv, 8-bit: K=8, C=4, OY=OX=4. I = 64 B, W = 32 B, O = 128 B, 512 MACs.
Layer small_pointwise() {
  GraphBuilder b("t");
  auto x = b.input("x", {1, 4, 4, 4});
  ConvParams p;
  p.out_channels = 8;
  b.conv("pw", x, p);
  return b.graph().layer(0);
}

Mapping whole(const Layer& l) {
  Mapping m;
  m.inner().tile = l.dims;
  return m;
}

}  // namespace

TEST_CASE("one tile: prologue, compute, epilogue and energy counted by hand", "[analytical]") {
  const sim::Analytical model(make_test_soc());
  const auto l = small_pointwise();
  const auto c = model.evaluate(l, whole(l));
  REQUIRE(c.legal);
  // Prologue: I 10 + 64/4 = 26, W 10 + 32/4 = 18 (one engine: 44).
  // Compute 512 / 2 = 256, tile overhead 5, launch 100; epilogue O 10 + 128/4 = 42.
  CHECK(c.cycles == Approx(100 + 44 + 256 + 5 + 42));
  CHECK(c.compute_cycles == Approx(256));
  CHECK(c.overhead_cycles == Approx(105));
  CHECK(c.dma_cycles == Approx(86));
  CHECK(c.dma_busy_cycles == Approx(86));
  CHECK(c.tiles == 1);
  CHECK(c.transfers[0] == 1);
  CHECK(c.bytes_moved[0] == 64);
  CHECK(c.bytes_moved[1] == 32);
  CHECK(c.bytes_moved[2] == 128);
  // Bytes held: L1 = tiles 64 + 32 + 128; L2 = the whole tensors.
  CHECK(c.bytes_held[1] == 224);
  CHECK(c.bytes_held[0] == 224);
  // Energy: L2 reads 96 B x 2 + writes 128 B x 2 = 448; L1 DMA writes 96 x 0.5,
  // reads 128 x 0.5, unit reads 96 x 0.5, writes 128 x 0.5 = 224; DMA 224 B x 0.1;
  // compute 512 x 1 pJ; no static power.
  CHECK(c.level_energy[0] == Approx(448));
  CHECK(c.level_energy[1] == Approx(224));
  CHECK(c.dma_energy == Approx(22.4));
  CHECK(c.compute_energy == Approx(512));
  CHECK(c.static_energy == Approx(0));
  CHECK(c.energy == Approx(448 + 224 + 22.4 + 512));
}

TEST_CASE("two row tiles: single buffering adds up, double buffering overlaps", "[analytical]") {
  const sim::Analytical model(make_test_soc());
  const auto l = small_pointwise();
  Mapping m = whole(l);
  m.inner().tile[idx(Dim::OY)] = 2;
  // I tile: 2 rows x 4 cols x 4 ch = 32 B, one contiguous run: 10 + 8 = 18.
  // W once: 18. O tile 64 B: 10 + 16 = 26. Compute per tile 128 + 5.
  const auto single = model.evaluate(l, m);
  REQUIRE(single.legal);
  CHECK(single.transfers[0] == 2);
  CHECK(single.transfers[1] == 1);
  CHECK(single.transfers[2] == 2);
  // launch 100 + prologue 36 + (133 + fetch I 18 + write-back 26) + 133 + epilogue 26.
  CHECK(single.cycles == Approx(100 + 36 + 177 + 133 + 26));
  m.inner().double_buffer = {true, true, true};
  const auto dbl = model.evaluate(l, m);
  REQUIRE(dbl.legal);
  // The fetch and the write-back hide behind the 133-cycle steps.
  CHECK(dbl.cycles == Approx(100 + 36 + 133 + 133 + 26));
  CHECK(dbl.bytes_held[1] == 2 * (32 + 32 + 64));
  CHECK(dbl.energy == Approx(single.energy));  // same traffic; no static power here
}

TEST_CASE("channel tiles: strided transfers, reload by loop order, partial sums", "[analytical]") {
  const sim::Analytical model(make_test_soc());
  const auto l = small_pointwise();
  Mapping m = whole(l);
  m.inner().tile[idx(Dim::C)] = 2;
  m.inner().tile[idx(Dim::OY)] = 2;
  m.inner().order = parse_order("C,OY");
  const auto c = model.evaluate(l, m);
  REQUIRE(c.legal);
  // I tile (2 ch of 4, 2 rows): 8 pixel runs of 2 B, 3-D on a 2-D engine -> 2
  // commands: 2 x 10 + 16/4 + 6 x 2 = 36, fetched 4 times.
  // W tile (C half): 8 rows of 2 B, one 2-D command: 10 + 4 + 7 x 2 = 28, fetched
  // twice (OY is inner and irrelevant to W: reuse).
  // O: 4 visits of 64 elements, 2 distinct: two partial write-backs at 4 B
  // (10 + 64 each), two final at 1 B (10 + 16), two read-backs of partials (10 + 64).
  CHECK(c.transfers[0] == 4);
  CHECK(c.transfers[1] == 2);
  CHECK(c.transfers[2] == 4);
  CHECK(c.bytes_moved[0] == 64);
  CHECK(c.bytes_moved[1] == 32);
  CHECK(c.bytes_moved[2] == 2 * 256 + 2 * 64 + 2 * 256);
  CHECK(c.dma_busy_cycles == Approx(4 * 36 + 2 * 28 + 2 * 74 + 2 * 26 + 2 * 74));
  // All single-buffered: everything serialises: 100 + DMA 548 + 4 x (64 + 5).
  CHECK(c.cycles == Approx(100 + 548 + 4 * 69));
  // The output tile holds 32-bit partial sums: 64 x 4 B.
  CHECK(c.bytes_held[1] == 16 + 16 + 256);

  // OY outer, C inner: the output tile stays while C accumulates (no partial
  // traffic), but weights reload for every OY tile.
  m.inner().order = parse_order("OY,C");
  const auto c2 = model.evaluate(l, m);
  REQUIRE(c2.legal);
  CHECK(c2.transfers[1] == 4);
  CHECK(c2.transfers[2] == 2);
  CHECK(c2.bytes_moved[2] == 128);
}

TEST_CASE("illegal mappings are reported with their reason and not costed", "[analytical]") {
  const sim::Analytical model(make_test_soc({4, 200, 0}));
  const auto l = small_pointwise();
  const auto c = model.evaluate(l, whole(l));
  CHECK_FALSE(c.legal);
  CHECK(std::string(c.reason) == "the tiles do not fit the unit's memory");
  CHECK(c.cycles == 0);
  CHECK(c.energy == 0);

  GraphBuilder b("t");
  auto x = b.input("x", {1, 4, 8, 8});
  ConvParams p;
  p.out_channels = 4;
  p.kernel_y = p.kernel_x = 3;
  b.conv("c", x, p);
  const auto conv = b.graph().layer(0);
  Mapping m = whole(conv);
  m.inner().tile[idx(Dim::FY)] = 1;
  const auto k = sim::Analytical(make_test_soc()).evaluate(conv, m);
  CHECK_FALSE(k.legal);
  CHECK(std::string(k.reason) == "the kernel window (FY, FX) must not be tiled");
}

TEST_CASE("static power is charged for the whole run", "[analytical]") {
  const sim::Analytical model(make_test_soc({4, 4096, 10}));  // 10 mW leakage on L2
  const auto l = small_pointwise();
  const auto c = model.evaluate(l, whole(l));
  REQUIRE(c.legal);
  // 447 cycles at 100 MHz = 4.47 us; 10 mW x 4.47 us = 44.7 nJ = 44700 pJ.
  CHECK(c.static_energy == Approx(44700));
}
