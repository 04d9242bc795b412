#include <catch2/catch.hpp>

#include "test_units_common.hpp"

using namespace tessel;
using namespace tessel::test;

// NE16-like engine with the kind's defaults: 16 input channels, 32 output
// channels, 3x3 output sub-tiles, 256-bit streamer, 6-cycle load / weight
// offset / matvec overheads, 2 index cycles, normquant 9 + 1 per channel,
// streamout 4 + 1 per 256 bits per pixel.
namespace {

std::shared_ptr<const hw::UnitModel> engine(double energy = 0.0) {
  auto s = make_spec("conv_engine");
  s.energy_per_mac = energy;
  return hw::make_unit_model(s, 3.7e8);
}

}  // namespace

TEST_CASE("conv_engine: a 3x3 conv counted by hand", "[units][conv_engine]") {
  const auto m = engine();
  // K=32, C=16, OY=OX=3, 3x3, 8-bit: one sub-tile, one C block, one K block.
  //   load      = 6 + 5*5 patch pixels * ceil(16*8/256) = 31
  //   pass      = 31 + 6 weight offset + (6 + 32 ch * 8 bits) + 2 index = 301
  //   normquant = 9 + 32 = 41; streamout = 4 + 9 px * ceil(32*8/256) = 13
  const Layer l = conv(32, 16, 3, 3, 3);
  CHECK(m->tile_cycles(l, full(l), 0) == Approx(355));
  REQUIRE(m->unrollings().size() == 1);
  CHECK(m->unrollings()[0].name == "C16xOY3xOX3");
  CHECK(m->extra_bytes(l, full(l), 0) == 0);
}

TEST_CASE("conv_engine: remainders cost full blocks", "[units][conv_engine]") {
  const auto m = engine(0.5);
  // C = 17 takes two 16-channel blocks, exactly like C = 32: 2 * 301 + 54 = 656.
  const Layer c17 = conv(32, 17, 3, 3, 3), c32 = conv(32, 32, 3, 3, 3);
  CHECK(m->tile_cycles(c17, full(c17), 0) == Approx(656));
  CHECK(m->tile_cycles(c32, full(c32), 0) == Approx(656));
  // Energy per MAC slot: 3x3 outputs * 9 taps * 32 K * 32 padded C * 0.5 pJ.
  CHECK(m->tile_energy(c17, full(c17), 0) == Approx(9 * 9 * 32 * 32 * 0.5));
  // A 4x4 output needs 2x2 sub-tiles: 4 * 355.
  const Layer s4 = conv(32, 16, 4, 4, 3);
  CHECK(m->tile_cycles(s4, full(s4), 0) == Approx(4 * 355));
  // K = 33: a full 32-channel block (355) and a 1-channel block whose
  // per-channel work is small but whose fixed costs are not:
  //   pass = 31 + 6 + (6 + 1*8) + 2 = 53; normquant 9 + 1; streamout 4 + 9*ceil(8/256) = 13
  const Layer k33 = conv(33, 16, 3, 3, 3);
  CHECK(m->tile_cycles(k33, full(k33), 0) == Approx(355 + 53 + 10 + 13));
}

TEST_CASE("conv_engine: bit-serial weights and modes", "[units][conv_engine]") {
  const auto m = engine();
  // 4-bit weights: matvec 6 + 32*4 = 134 -> pass 173, + 54 = 227.
  Layer w4 = conv(32, 16, 3, 3, 3);
  w4.bits.weight = 4;
  CHECK(m->tile_cycles(w4, full(w4), 0) == Approx(227));
  // 1x1 mode: patch 3x3 -> load 6 + 9 = 15; weight bits spread over the 9
  // columns: matvec 6 + 32 * ceil(8/9) = 38; pass 15 + 6 + 38 + 2 = 61; + 54.
  const Layer pw = conv(32, 16, 3, 3, 1);
  CHECK(m->tile_cycles(pw, full(pw), 0) == Approx(115));
  // Depthwise, 16 channels, 3x3 outputs:
  //   31 load + (6 + 16) weight offset + (6 + 16*8) matvec + 2 index
  //   + (9 + 16) normquant + (4 + 9 * ceil(16*8/256)) streamout = 227
  const Layer dw = depthwise(16, 3, 3, 3);
  CHECK(m->tile_cycles(dw, full(dw), 0) == Approx(227));
  // 32-bit outputs skip normquant and stream 4 beats per pixel:
  // 301 + 4 + 9 * 4 = 341.
  Layer o32 = conv(32, 16, 3, 3, 3);
  o32.bits.output = 32;
  CHECK(m->tile_cycles(o32, full(o32), 0) == Approx(341));
}

TEST_CASE("conv_engine: supports its three modes only", "[units][conv_engine]") {
  const auto m = engine();
  std::string why;
  CHECK(m->supports(conv(32, 16, 3, 3, 3), &why));
  CHECK(m->supports(conv(32, 16, 3, 3, 1), &why));
  CHECK(m->supports(depthwise(16, 3, 3, 3), &why));
  CHECK_FALSE(m->supports(conv(32, 16, 3, 3, 5), &why));
  CHECK_THAT(why, Catch::Contains("3x3 and 1x1"));
  CHECK_FALSE(m->supports(depthwise(16, 3, 3, 5), &why));
  CHECK_THAT(why, Catch::Contains("3x3 depthwise"));
  CHECK_FALSE(m->supports(make_layer(OpKind::max_pool, 8, 1, 1, 2, 2, 2, 2), &why));
  CHECK_THAT(why, Catch::Contains("pools"));
  Layer dil = conv(32, 16, 3, 3, 3);
  dil.dilation_y = 2;
  CHECK_FALSE(m->supports(dil, &why));
  Layer w16 = conv(32, 16, 3, 3, 3);
  w16.bits.weight = 16;
  CHECK_FALSE(m->supports(w16, &why));
  CHECK_THAT(why, Catch::Contains("bit-serially"));
}

TEST_CASE("conv_engine: the strided 2x2 mode keeps 2x2 of a 3x3 sub-tile", "[units][conv_engine]") {
  const auto m = hw::make_unit_model(make_spec("conv_engine", {{"strided_job_cycles", 20}}), 3.7e8);
  auto strided = [](Layer l) {
    l.stride_y = l.stride_x = 2;
    return l;
  };
  // K=32, C=16, 2x2 outputs at stride 2: one full sub-tile pass over the same
  // 5x5 window (301) and normquant (41), streamout of 4 pixels (4 + 4 * 1),
  // and the sub-tile's own job (20).
  const Layer s2 = strided(conv(32, 16, 2, 2, 3));
  CHECK(m->tile_cycles(s2, full(s2), 0) == Approx(301 + 41 + 8 + 20));
  // 4x4 outputs: 2x2 sub-tiles, where stride 1 covers 4x4 with 2x2 sub-tiles of 3x3.
  const Layer s4 = strided(conv(32, 16, 4, 4, 3));
  CHECK(m->tile_cycles(s4, full(s4), 0) == Approx(4 * 370));
  // Depthwise at stride 2: 227 with 4 instead of 9 pixels streamed, and the job.
  const Layer dw = strided(depthwise(16, 2, 2, 3));
  CHECK(m->tile_cycles(dw, full(dw), 0) == Approx(227 - 5 + 20));
  // The cost per output is about 2.25 times that of stride 1 (9 outputs / 4).
  const Layer s1 = conv(32, 16, 6, 6, 3);
  const Layer s2big = strided(conv(32, 16, 6, 6, 3));
  CHECK(m->tile_cycles(s2big, full(s2big), 0) / m->tile_cycles(s1, full(s1), 0) ==
        Approx(9.0 * 370 / (4 * 355)));
  std::string why;
  CHECK(m->supports(s2, &why));
  CHECK(m->supports(dw, &why));
  CHECK_FALSE(m->supports(strided(conv(32, 16, 2, 2, 1)), &why));
  CHECK_THAT(why, Catch::Contains("strided mode only for 3x3 kernels at stride 2x2"));
  Layer s21 = conv(32, 16, 2, 2, 3);
  s21.stride_y = 2;
  CHECK_FALSE(m->supports(s21, &why));
  Layer s3 = conv(32, 16, 2, 2, 3);
  s3.stride_y = s3.stride_x = 3;
  CHECK_FALSE(m->supports(s3, &why));
}
