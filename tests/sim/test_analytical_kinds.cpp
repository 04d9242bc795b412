// End-to-end hand counts of sim::Analytical on every unit kind (docs/cost-model.md,
// docs/units.md): one small layer per kind, tiled into at least two tiles, on a
// hand-written SoC with the real unit models. Every expected number is worked
// out in the comments from the documented formulas; nothing is taken from the
// model itself.

#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "core/mapping.hpp"
#include "sim/analytical.hpp"
#include "test_hand_soc.hpp"

using namespace tessel;
using tessel::test::hand_soc;

namespace {

constexpr std::size_t kL2 = 0, kL1 = 1, kWM = 2;
constexpr std::size_t kI = idx(Operand::I), kW = idx(Operand::W), kO = idx(Operand::O);

int unit_index(const hw::Soc& soc, const std::string& name) {
  const auto u = soc.find_unit(name);
  REQUIRE(u.has_value());
  return *u;
}

// Tight comparison: the hand numbers are exact binary fractions or thirds.
Approx near(double v) {
  return Approx(v).epsilon(1e-12).margin(1e-9);
}

// A layer of the given op with stride 1 and no padding, 8-bit operands.
Layer make_layer(OpKind op, std::int64_t k, std::int64_t c, std::int64_t oy, std::int64_t ox,
                 std::int64_t f) {
  Layer l;
  l.name = "hand";
  l.op = op;
  l.dims = {1, 1, k, c, oy, ox, f, f};
  l.in_y = oy + f - 1;
  l.in_x = ox + f - 1;
  return l;
}

Mapping mapping(const Layer& l, int unit, std::initializer_list<std::pair<Dim, std::int64_t>> t) {
  Mapping m;
  m.unit = unit;
  m.inner().tile = l.dims;
  for (const auto& [d, n] : t)
    m.inner().tile[idx(d)] = n;
  return m;
}

}  // namespace

TEST_CASE("cpu: 3x3 conv in two K tiles, counted by hand", "[analytical][kinds][cpu]") {
  const auto soc = hand_soc();
  const sim::Analytical model(soc);
  const int u = unit_index(*soc, "cpu");
  // conv 3x3, K=4, C=3, OY=OX=4 (input 6x6), 8 bit: 1728 MACs; I 108 B, W 108 B, O 64 B.
  const Layer l = make_layer(OpKind::conv, 4, 3, 4, 4, 3);
  const auto ctx = model.prepare(l, u);
  REQUIRE(ctx.supported);
  CHECK(1.0 / ctx.byte_cycles_in[kI] == near(4));   // min(dma 4, L2 read 8, L1 write 16)
  CHECK(1.0 / ctx.byte_cycles_out[kO] == near(2));  // min(dma 4, L1 read 16, L2 write 2)

  Mapping m = mapping(l, u, {{Dim::K, 2}});
  const auto tt = model.tile_terms(ctx, m.inner().tile, 0);
  REQUIRE(tt.legal);
  // Compute of a K=2 tile (docs/units.md, cpu), in unit cycles:
  //   outputs 2*4*4 = 32; lanes floor(2*8/8) = 2; ceil(C*FY*FX 27 / 2) = 14
  //   32*14*1 (MACs) + 864*0.5 (loads) + 32*3 (outputs) + 16*2 (pixels) = 1008
  // times the clock ratio 100/50 = 2: 2016 SoC cycles; two tiles: 4032.
  CHECK(tt.compute == near(4032));
  CHECK(tt.steps == 2);
  // First I fetch: the whole input, one contiguous run: 10 + 108/4 = 37.
  CHECK(tt.first_i == near(37));
  // First W fetch: K=2 of [K][FY][FX][C] with C whole is one run: 10 + 54/4 = 23.5.
  CHECK(tt.first_w == near(23.5));
  // Last O write-back: 2 of 4 channels is a 3-D transfer, one run per pixel (16),
  // split into one 2-D command per row (4): 4*10 + 32/2 + (16-4)*2 = 80.
  CHECK(tt.last_wb == near(80));
  CHECK(tt.runs[kO] == near(2 * 16));
  CHECK(tt.cmds[kO] == near(2 * 4));
  CHECK(tt.min_cycles == near(100 + 60.5 + 4032 + 2 * 10 + 80));

  // Single buffering. I is fetched once (K is irrelevant to I), W and O twice.
  // launch 100 + prologue (37 + 23.5 on one engine) 60.5
  // + step 1: work 2016 + 10, then W 23.5 and the write-back 80 serialised
  // + step 2: 2026 + epilogue 80.
  const auto c = model.evaluate(ctx, m);
  REQUIRE(c.legal);
  CHECK(c.tiles == 2);
  CHECK(c.macs == 1728);
  CHECK(c.transfers[kI] == 1);
  CHECK(c.transfers[kW] == 2);
  CHECK(c.transfers[kO] == 2);
  CHECK(c.bytes_moved[kI] == 108);
  CHECK(c.bytes_moved[kW] == 108);
  CHECK(c.bytes_moved[kO] == 64);
  CHECK(c.compute_cycles == near(4032));
  CHECK(c.overhead_cycles == near(120));
  CHECK(c.cycles == near(100 + 60.5 + (2026 + 103.5) + 2026 + 80));
  CHECK(c.dma_cycles == near(60.5 + 103.5 + 80));
  CHECK(c.stall_cycles == 0);
  CHECK(c.dma_busy_cycles == near(37 + 2 * 23.5 + 2 * 80));
  // Bytes held: L1 = one buffer each of I 108 + W 54 + O 32; L2 = 108 + 108 + 64.
  CHECK(c.bytes_held[kL1] == 194);
  CHECK(c.bytes_held[kL2] == 280);
  CHECK(c.bytes_held[kWM] == 0);
  // Energy.
  //   L2: DMA reads of I and W 216 B x 2 = 432, write-backs 64 B x 3 = 192 -> 624
  //   L1: DMA writes 216 x 0.25 = 54, DMA reads 64 x 0.5 = 32; the unit reads
  //       its I tile twice (216 B) and W tiles (108 B) x 0.5 = 162 and writes
  //       64 B x 0.25 = 16 -> 264
  //   DMA: 280 B x 0.125 = 35
  //   compute: 1728 MACs x 1 pJ + active 0.1 mW x 4032 cycles (1 pJ/cycle) = 5760
  //   static: 3 pJ/cycle x 4396 cycles = 13188
  CHECK(c.level_energy[kL2] == near(624));
  CHECK(c.level_energy[kL1] == near(264));
  CHECK(c.level_energy[kWM] == near(0));
  CHECK(c.dma_energy == near(35));
  CHECK(c.compute_energy == near(5760));
  CHECK(c.static_energy == near(3 * 4396));
  CHECK(c.energy == near(624 + 264 + 35 + 5760 + 13188));

  // Double buffering: the W prefetch (23.5) hides behind step 1 and the first
  // write-back (80) behind step 2: 100 + 60.5 + 2026 + 2026 + 80.
  m.inner().double_buffer = {true, true, true};
  const auto d = model.evaluate(ctx, m);
  REQUIRE(d.legal);
  CHECK(d.cycles == near(4292.5));
  CHECK(d.dma_cycles == near(60.5 + 80));
  CHECK(d.bytes_held[kL1] == 2 * 194);
  // Same traffic; only the static energy follows the shorter run.
  CHECK(d.static_energy == near(3 * 4292.5));
  CHECK(d.energy - d.static_energy == near(c.energy - c.static_energy));

  SECTION("OX tiles: 2-D transfers of rows") {
    Mapping x = mapping(l, u, {{Dim::OX, 2}});
    // I tile: all 3 channels, input columns (2-1)+3 = 4 of 6, all 6 rows: a 2-D
    // transfer of 6 rows of 12 B: 10 + 72/4 + 5*2 = 38, fetched twice.
    // W once (OX is irrelevant to W): 10 + 108/4 = 37.
    // O tile: all 4 channels, 2 of 4 columns, 4 rows: 10 + 32/2 + 3*2 = 32, twice.
    // Compute per tile: 32 outputs as before but 8 pixels, (448 + 432 + 96 + 8*2) * 2 = 1984.
    // Single: 100 + (38 + 37) + (1994 + 38 + 32) + 1994 + 32 = 4265.
    const auto s = model.evaluate(ctx, x);
    REQUIRE(s.legal);
    CHECK(s.compute_cycles == near(2 * 1984));
    CHECK(s.transfers[kI] == 2);
    CHECK(s.transfers[kW] == 1);
    CHECK(s.transfers[kO] == 2);
    CHECK(s.bytes_moved[kI] == 144);
    CHECK(s.dma_busy_cycles == near(2 * 38 + 37 + 2 * 32));
    CHECK(s.cycles == near(4265));
  }
}

TEST_CASE("cluster: 3x3 conv in two OY tiles with im2col, counted by hand",
          "[analytical][kinds][cluster]") {
  const auto soc = hand_soc();
  const sim::Analytical model(soc);
  const int u = unit_index(*soc, "cluster");
  // conv 3x3, K=3, C=2, OY=4, OX=3 (input 6x5): 648 MACs; I 60 B, W 54 B, O 36 B.
  const Layer l = make_layer(OpKind::conv, 3, 2, 4, 3, 3);
  const auto ctx = model.prepare(l, u);
  REQUIRE(ctx.supported);
  // Per-tile overhead: tile_overhead 6 + barrier 4.
  CHECK(ctx.tile_overhead == near(10));
  CHECK(ctx.launch_cycles == near(50));

  Mapping m = mapping(l, u, {{Dim::OY, 2}});  // unrolling 0 = "OY"
  const auto tt = model.tile_terms(ctx, m.inner().tile, 0);
  REQUIRE(tt.legal);
  // Tile OY=2 on 2 cores: 1 row per core. L = C*FY*FX = 18 = 4*4 + 2 (lanes 4).
  //   block(bk,bp) = 5 + 4*(bk*bp + bk + bp) + 2*(bk*bp + bk + bp)*2
  //   block(2,2) = 5 + 32 + 32 = 69, block(1,2) = 45, block(2,1) = 45, block(1,1) = 29
  //   im2col per pixel: 18 B / 2 B/cycle = 9
  //   Kc = 3 = one 2-channel block + one 1-channel block
  //   pixel block(2) = 2*9 + 69 + 45 = 132; pixel block(1) = 9 + 45 + 29 = 83
  //   OX = 3 = one 2-pixel block + one 1-pixel block: 215 per row, 1 row.
  CHECK(tt.compute == near(2 * 215));
  // im2col: cores 2 x bp 2 x L 18 x 1 B.
  CHECK(tt.extra_bytes == 72);
  // I tile: rows (2-1)+3 = 4, all 5 columns and channels: one run of 40 B: 10 + 10 = 20.
  CHECK(tt.first_i == near(20));
  // W: 54 B, one run: 10 + 13.5.
  CHECK(tt.first_w == near(23.5));
  // O tile: 2 rows x 3 cols x 3 channels = 18 B, one run, out at 2 B/cycle: 10 + 9 = 19.
  CHECK(tt.last_wb == near(19));
  // Unrolling "K": each core gets ceil(3/2) = 2 channels and both rows:
  //   pixel block(2) = 18 + block(2,2) 69 = 87; pixel block(1) = 9 + block(2,1) 45 = 54
  //   per row 141, 2 rows: 282 per tile.
  CHECK(model.tile_terms(ctx, m.inner().tile, 1).compute == near(2 * 282));

  // Single buffering: launch 50 + prologue 43.5 + (225 + I 20 + wb 19) + 225 + epilogue 19.
  const auto c = model.evaluate(ctx, m);
  REQUIRE(c.legal);
  CHECK(c.tiles == 2);
  CHECK(c.transfers[kI] == 2);
  CHECK(c.transfers[kW] == 1);
  CHECK(c.transfers[kO] == 2);
  CHECK(c.bytes_moved[kI] == 80);  // the halo row is fetched twice
  CHECK(c.bytes_moved[kW] == 54);
  CHECK(c.bytes_moved[kO] == 36);
  CHECK(c.compute_cycles == near(430));
  CHECK(c.overhead_cycles == near(50 + 2 * 10));
  CHECK(c.cycles == near(601.5));
  CHECK(c.dma_cycles == near(43.5 + 39 + 19));
  CHECK(c.dma_busy_cycles == near(40 + 23.5 + 38));
  // L1: I 40 + W 54 + O 18 + im2col 72; L2: 60 + 36 + 54.
  CHECK(c.bytes_held[kL1] == 184);
  CHECK(c.bytes_held[kL2] == 150);
  // Energy.
  //   L2: reads (80 + 54) x 2 = 268, writes 36 x 3 = 108 -> 376
  //   L1: DMA writes 134 x 0.25 = 33.5, DMA reads 36 x 0.5 = 18, unit reads
  //       I 80 + W 108 (twice) x 0.5 = 94, unit writes 36 x 0.25 = 9 -> 154.5
  //   DMA: 170 x 0.125 = 21.25; compute 648 x 0.5 = 324; static 601.5 x 3.
  CHECK(c.level_energy[kL2] == near(376));
  CHECK(c.level_energy[kL1] == near(154.5));
  CHECK(c.dma_energy == near(21.25));
  CHECK(c.compute_energy == near(324));
  CHECK(c.static_energy == near(1804.5));
  CHECK(c.energy == near(376 + 154.5 + 21.25 + 324 + 1804.5));

  // One operand double-buffered at a time, then all.
  // I only: the prefetch hides, the write-back does not: 50 + 43.5 + 244 + 225 + 19.
  m.inner().double_buffer = {true, false, false};
  CHECK(model.evaluate(ctx, m).cycles == near(581.5));
  // W only: W moves once, nothing changes.
  m.inner().double_buffer = {false, true, false};
  CHECK(model.evaluate(ctx, m).cycles == near(601.5));
  // O only: the first write-back moves into step 2 and hides: 50 + 43.5 + 245 + 225 + 19.
  m.inner().double_buffer = {false, false, true};
  CHECK(model.evaluate(ctx, m).cycles == near(582.5));
  // All: 50 + 43.5 + 225 + 225 + 19; L1 = 2 x (40 + 54 + 18) + 72.
  m.inner().double_buffer = {true, true, true};
  const auto d = model.evaluate(ctx, m);
  CHECK(d.cycles == near(562.5));
  CHECK(d.bytes_held[kL1] == 296);

  SECTION("stride 2: the input window of a row tile") {
    // The same conv with stride 2: input 9x7. An OY=2 tile reads rows
    // (2-1)*2 + 3 = 5 of all 7 columns and 2 channels: 70 B, one run,
    // 10 + 70/4 = 27.5, fetched twice. The compute is unchanged (215 per tile).
    Layer s2 = l;
    s2.stride_y = s2.stride_x = 2;
    s2.in_y = 9;
    s2.in_x = 7;
    const auto sctx = model.prepare(s2, u);
    REQUIRE(sctx.supported);
    const auto st = model.tile_terms(sctx, m.inner().tile, 0);
    REQUIRE(st.legal);
    CHECK(st.bytes[kI] == near(70));
    CHECK(st.first_i == near(27.5));
    CHECK(st.compute == near(430));
    const auto sc = model.evaluate(sctx, mapping(s2, u, {{Dim::OY, 2}}));
    REQUIRE(sc.legal);
    CHECK(sc.bytes_moved[kI] == 140);
    CHECK(sc.bytes_held[kL2] == 2 * 63 + 36 + 54);
  }

  SECTION("depthwise: the per-core window buffer") {
    // depthwise 3x3, G=4 channels, OY=4, OX=3 (input 6x5), tile G=2, unrolling "K" (= groups).
    Layer dw = make_layer(OpKind::depthwise, 1, 1, 4, 3, 3);
    dw.dims[idx(Dim::G)] = 4;
    const auto dctx = model.prepare(dw, u);
    REQUIRE(dctx.supported);
    Mapping dm = mapping(dw, u, {{Dim::G, 2}});
    dm.unrolling = 1;
    const auto dt = model.tile_terms(dctx, dm.inner().tile, 1);
    REQUIRE(dt.legal);
    // Each core: ceil(2/2) = 1 channel, all 4 rows; window 6 rows x 5 cols = 30 B.
    //   per output = 5 + floor(9/4)*(1 + 2) + (9 mod 4)*3*2 = 5 + 6 + 6 = 17
    //   core = 1 * (4*3*17 + 30*1) = 234 per tile, two tiles.
    CHECK(dt.compute == near(2 * 234));
    // extra bytes: 2 cores x 30 B.
    CHECK(dt.extra_bytes == 60);
    const auto dc = model.evaluate(dctx, dm);
    REQUIRE(dc.legal);
    // L1: I tile 2 ch x 30 = 60, W 2 x 9 = 18, O 2 x 12 = 24, windows 60.
    CHECK(dc.bytes_held[kL1] == 60 + 18 + 24 + 60);
    // I tile: 2 of 4 channels is a 3-D transfer: 30 pixel runs of 2 B in 6
    // row commands: 6*10 + 60/4 + 24*2 = 123; W: G tiled, C whole: one run
    // 10 + 18/4 = 14.5; O: 12 pixel runs in 4 row commands: 40 + 24/2 + 16 = 68.
    CHECK(dt.first_i == near(123));
    CHECK(dt.first_w == near(14.5));
    CHECK(dt.last_wb == near(68));
    // G is relevant to every operand: single buffering serialises I, W and O:
    // 50 + (123 + 14.5) + (234 + 10 + 123 + 14.5 + 68) + (234 + 10) + 68.
    CHECK(dc.cycles == near(50 + 137.5 + 449.5 + 244 + 68));
  }
}

TEST_CASE("conv_engine: 3x3 conv with a K remainder and 4-bit weights, counted by hand",
          "[analytical][kinds][conv_engine]") {
  const auto soc = hand_soc();
  const sim::Analytical model(soc);
  const int u = unit_index(*soc, "ne");
  // conv 3x3, K=6, C=6, OY=3, OX=4 (input 5x6), 4-bit weights: I 180 B, W 162 B, O 72 B.
  Layer l = make_layer(OpKind::conv, 6, 6, 3, 4, 3);
  l.bits.weight = 4;
  const auto ctx = model.prepare(l, u);
  REQUIRE(ctx.supported);

  Mapping m = mapping(l, u, {{Dim::K, 4}});  // K tiles 4 and 2
  const auto tt = model.tile_terms(ctx, m.inner().tile, 0);
  REQUIRE(tt.legal);
  // docs/units.md, conv_engine (s = 2, in 4, out 4, stream 16 bits):
  //   S = ceil(3/2) * ceil(4/2) = 4 sub-tiles; nc = ceil(6/4) = 2
  //   load = 3 + (2+2)(2+2) * ceil(4*8/16) = 35
  //   tail(k) = 5 + k + 2 + 4 * ceil(8k/16)
  //   per block = nc * (35 + 2 + 3 + 4k + 1) + tail(k)
  //   K=4: 2*57 + (7 + 4 + 8) = 133 -> 4 * 133 = 532
  //   K=2: 2*49 + (7 + 2 + 4) = 111 -> 4 * 111 = 444
  CHECK(tt.compute == near(532 + 444));
  // Energy per MAC slot: OY 3 -> 4, OX 4, C 6 -> 8: 4*4*9 * K * 8 slots x 0.25 pJ.
  CHECK(tt.compute_energy == near(4 * 4 * 9 * (4 + 2) * 8 * 0.25));
  // I once (K irrelevant): 180 B, one run: 10 + 45 = 55.
  CHECK(tt.first_i == near(55));
  // W: K=4 tile is 4*6*9 = 216 elements of 4 bits = 108 B, one run: 10 + 27 = 37.
  CHECK(tt.first_w == near(37));
  // Last write-back: the K=2 remainder, 3-D: 12 pixel runs of 2 B in 3 row
  // commands: 3*10 + 24/2 + 9*2 = 60 (the full K=4 tile: 30 + 48/2 + 18 = 72).
  CHECK(tt.last_wb == near(60));
  CHECK(tt.bytes[kW] == near(108));

  // Single: the steps cost the average work 976/2 + 20 = 508 (docs: per-event
  // costs are averages). 40 + (55 + 37) + (508 + W 23.5 + wb 72) + 508 + 60.
  const auto c = model.evaluate(ctx, m);
  REQUIRE(c.legal);
  CHECK(c.tiles == 2);
  CHECK(c.transfers[kI] == 1);
  CHECK(c.transfers[kW] == 2);
  CHECK(c.transfers[kO] == 2);
  CHECK(c.bytes_moved[kI] == 180);
  CHECK(c.bytes_moved[kW] == 162);
  CHECK(c.bytes_moved[kO] == 72);
  CHECK(c.compute_cycles == near(976));
  CHECK(c.overhead_cycles == near(40 + 2 * 20));
  CHECK(c.cycles == near(1303.5));
  CHECK(c.dma_busy_cycles == near(55 + (37 + 23.5) + (72 + 60)));
  // L1: I 180 + W 108 + O 48; L2: 180 + 72 + 162.
  CHECK(c.bytes_held[kL1] == 336);
  CHECK(c.bytes_held[kL2] == 414);
  // Energy.
  //   L2: reads (180 + 162) x 2 = 684, writes 72 x 3 = 216 -> 900
  //   L1: DMA writes 342 x 0.25 = 85.5, DMA reads 72 x 0.5 = 36, unit reads I
  //       360 + W 162 B x 0.5 = 261, unit writes 72 x 0.25 = 18 -> 400.5
  //   DMA: 414 x 0.125 = 51.75; compute 1728; static 1303.5 x 3 = 3910.5
  CHECK(c.level_energy[kL2] == near(900));
  CHECK(c.level_energy[kL1] == near(400.5));
  CHECK(c.dma_energy == near(51.75));
  CHECK(c.compute_energy == near(1728));
  CHECK(c.static_energy == near(3910.5));
  CHECK(c.energy == near(900 + 400.5 + 51.75 + 1728 + 3910.5));

  // Double: both hide: 40 + 92 + 508 + 508 + 60.
  m.inner().double_buffer = {true, true, true};
  CHECK(model.evaluate(ctx, m).cycles == near(1208));
}

TEST_CASE("pe_array: C outside K, partial sums, weights over a 1-D engine, counted by hand",
          "[analytical][kinds][pe_array]") {
  const auto soc = hand_soc();
  const sim::Analytical model(soc);
  const int u = unit_index(*soc, "pe");
  // conv 3x3, K=6, C=4, OY=2, OX=5 (input 4x7): I 112 B, W 216 B, O 60 B.
  const Layer l = make_layer(OpKind::conv, 6, 4, 2, 5, 3);
  const auto ctx = model.prepare(l, u);
  REQUIRE(ctx.supported);
  CHECK(1.0 / ctx.byte_cycles_in[kW] == near(8));  // min(wdma 16, L2 read 8, WM write 8)
  CHECK(ctx.tile_overhead == near(8 + 2));

  // Tiles C=2 (2 tiles), K=4 (tiles 4 and 2); C outermost: 4 steps.
  Mapping m = mapping(l, u, {{Dim::C, 2}, {Dim::K, 4}});
  m.inner().order = parse_order("C,K");
  const auto tt = model.tile_terms(ctx, m.inner().tile, 0);
  REQUIRE(tt.legal);
  // docs/units.md, pe_array 4x4: passes = OY 2 * ceil(K/4) 1 * ceil(5/4) 2 = 4
  // (K=4 and K=2 alike); per pass C*9*1 + C*3*2 + 3 = 33 for C=2: 132 per tile.
  CHECK(tt.compute == near(4 * 132));
  // Energy: 4 passes x 16 PEs x 18 x 0.125 pJ = 144 per tile.
  CHECK(tt.compute_energy == near(4 * 144));
  // I tile: 2 of 4 channels, rows 4, cols 7: 28 pixel runs of 2 B, 3-D on a
  // 2-D engine = 4 row commands: 4*10 + 56/4 + 24*2 = 102.
  CHECK(tt.first_i == near(102));
  // W tile K=4, C=2: C is innermost and split: one run per (k, fy, fx) = 36
  // runs, each its own command on the 1-D wdma: 36*2 + 72/8 = 81.
  CHECK(tt.first_w == near(81));
  CHECK(tt.runs[kW] == near(2 * (36 + 18)));
  CHECK(tt.cmds[kW] == near(2 * (36 + 18)));
  // Prologue: I and W on different engines run in parallel: max(102, 81).
  CHECK(tt.first_in == near(102));
  // Last write-back: K=2 remainder, final (8 bit), 3-D: 10 runs in 2 row commands:
  // 2*10 + 20/2 + 8*2 = 46.
  CHECK(tt.last_wb == near(46));
  // The output tile holds 32-bit partial sums while C is tiled: 40 x 4 B.
  CHECK(tt.bytes[kO] == near(160));

  // Transfers: p_I = 1 (C) -> 2 fetches; p_W = p_O = 2 -> 4 fetches, 4 output
  // visits of 2 distinct tiles: 2 partial write-backs (K=4: 160 B, K=2: 80 B)
  // and 2 final (40 B, 20 B); 2 read-backs of partial sums (160 B, 80 B).
  //   write-backs (out 2 B/cycle): 116 + 76 + 56 + 46 = 294
  //   read-backs (in 4 B/cycle): 76 + 56 = 132
  //   W: 2 x (81 + 40.5) = 243
  const auto c = model.evaluate(ctx, m);
  REQUIRE(c.legal);
  CHECK(c.tiles == 4);
  CHECK(c.transfers[kI] == 2);
  CHECK(c.transfers[kW] == 4);
  CHECK(c.transfers[kO] == 4);
  CHECK(c.bytes_moved[kI] == 112);
  CHECK(c.bytes_moved[kW] == 216);
  CHECK(c.bytes_moved[kO] == 160 + 80 + 40 + 20 + 160 + 80);
  CHECK(c.dma_busy_cycles == near(204 + 243 + 294 + 132));
  // Timeline (single): work 528/4 + 10 = 142; averages W (243-81)/3 = 54,
  // write-back (294-46)/3 = 248/3, read-back 132/3 = 44. Steps by carry levels:
  //   (0,2): 142 + max(dma 248/3 + 44, wdma 54)
  //   (2,1): 142 + max(dma 102 + 248/3 + 44, wdma 54)
  //   (1,2): 142 + max(dma 248/3 + 44, wdma 54)
  //   (2,0): 142
  // = 568 + 3*380/3 + 102 = 1050; cycles 30 + 102 + 1050 + 46 = 1228.
  CHECK(c.compute_cycles == near(528));
  CHECK(c.overhead_cycles == near(30 + 4 * 10));
  CHECK(c.cycles == near(1228));
  // L1: I 56 + O 160; WM: W 72; L2: 112 + 60 + 216.
  CHECK(c.bytes_held[kL1] == 216);
  CHECK(c.bytes_held[kWM] == 72);
  CHECK(c.bytes_held[kL2] == 388);
  // Energy.
  //   L2: reads I 112 + W 216 + read-backs 240 = 568 x 2 = 1136, writes 300 x 3 = 900
  //   L1: DMA writes I 112 + read-backs 240 = 352 x 0.25 = 88, DMA reads 300 x 0.5 = 150,
  //       unit reads I 224 x 0.5 = 112, unit writes 120 x 0.25 = 30 -> 380
  //   WM: DMA writes 216 x 0.5 = 108, unit reads 216 x 0.25 = 54 -> 162
  //   DMA: (112 + 300 + 240) x 0.125 + 216 x 0.25 = 81.5 + 54 = 135.5
  //   compute 576; static 1228 x 3 = 3684
  CHECK(c.level_energy[kL2] == near(2036));
  CHECK(c.level_energy[kL1] == near(380));
  CHECK(c.level_energy[kWM] == near(162));
  CHECK(c.dma_energy == near(135.5));
  CHECK(c.compute_energy == near(576));
  CHECK(c.static_energy == near(3684));
  CHECK(c.energy == near(2036 + 380 + 162 + 135.5 + 576 + 3684));

  // Double buffering, all operands:
  //   (0,2): max(142, dma 44, wdma 54) = 142
  //   (2,1): max(142, dma 248/3 + 102 + 44, wdma 54) = 686/3
  //   (1,2): max(142, dma 248/3 + 44, wdma 54) = 142
  //   (2,0): max(142, dma 248/3) = 142
  // cycles = 30 + 102 + 426 + 686/3 + 46.
  m.inner().double_buffer = {true, true, true};
  const auto d = model.evaluate(ctx, m);
  REQUIRE(d.legal);
  CHECK(d.cycles == near(604 + 686.0 / 3));
  CHECK(d.bytes_held[kL1] == 2 * 216);
  CHECK(d.bytes_held[kWM] == 2 * 72);
  // W alone double-buffered: its 54 already ran beside the longer dma load.
  m.inner().double_buffer = {false, true, false};
  CHECK(model.evaluate(ctx, m).cycles == near(1228));

  SECTION("K outside C: the output stays until C is done, no partial sums") {
    m.inner().order = parse_order("K,C");
    m.inner().double_buffer = {false, false, false};
    const auto k = model.evaluate(ctx, m);
    REQUIRE(k.legal);
    // Now I is fetched 4 times (C is inner), O visited twice (final only).
    CHECK(k.transfers[kI] == 4);
    CHECK(k.transfers[kO] == 2);
    CHECK(k.bytes_moved[kO] == 60);
    CHECK(k.bytes_moved[kI] == 224);
  }
}

TEST_CASE("aimc: 3x3 conv in OY tiles with a remainder, weight programming, counted by hand",
          "[analytical][kinds][aimc]") {
  const auto soc = hand_soc();
  const sim::Analytical model(soc);
  const int u = unit_index(*soc, "analog");
  // conv 3x3, K=8, C=3, OY=3, OX=4 (input 5x6), 2-bit weights: 2592 MACs; I 90 B,
  // W 54 B, O 96 B.
  Layer l = make_layer(OpKind::conv, 8, 3, 3, 4, 3);
  l.bits.weight = 2;
  const auto ctx = model.prepare(l, u);
  REQUIRE(ctx.supported);
  // Launch: 60 + C*FY*FX 27 rows x 2 cycles; per tile 5 + pipeline 7.
  CHECK(ctx.launch_cycles == near(114));
  CHECK(ctx.tile_overhead == near(12));
  CHECK_FALSE(ctx.moved[kW]);  // the array reads its weights from their home (L2)

  Mapping m = mapping(l, u, {{Dim::OY, 2}});  // OY tiles 2 and 1
  const auto tt = model.tile_terms(ctx, m.inner().tile, 0);
  REQUIRE(tt.legal);
  // passes = ceil(8/4) = 2; OY=2 tile: 2*4*2 = 16 activations x ceil(8/4) 2 x 3 = 96;
  // OY=1 tile: 8 activations -> 48.
  CHECK(tt.compute == near(144));
  // Energy: 24 activations x 10 pJ + 2592 MACs x 0.0625.
  CHECK(tt.compute_energy == near(240 + 162));
  // I: OY=2 tile: rows 4, cols 6, 3 channels = 72 B, one run: 10 + 18 = 28;
  // the OY=1 tile: 3 rows, 54 B: 10 + 13.5 = 23.5.
  CHECK(tt.first_i == near(28));
  CHECK(tt.first_w == 0);
  // O: last tile OY=1: 32 B, one run: 10 + 16 = 26 (the full one: 10 + 32 = 42).
  CHECK(tt.last_wb == near(26));

  // Single: 114 + 28 + (84 + 23.5 + 42) + 84 + 26, work = 144/2 + 12 = 84.
  const auto c = model.evaluate(ctx, m);
  REQUIRE(c.legal);
  CHECK(c.tiles == 2);
  CHECK(c.transfers[kI] == 2);
  CHECK(c.transfers[kW] == 0);
  CHECK(c.transfers[kO] == 2);
  CHECK(c.bytes_moved[kI] == 126);
  CHECK(c.bytes_moved[kW] == 0);
  CHECK(c.bytes_moved[kO] == 96);
  CHECK(c.compute_cycles == near(144));
  CHECK(c.overhead_cycles == near(114 + 2 * 12));
  CHECK(c.cycles == near(401.5));
  CHECK(c.dma_busy_cycles == near(51.5 + 68));
  // L1: I 72 + O 64 (weights stay in L2); L2: 90 + 96 + 54.
  CHECK(c.bytes_held[kL1] == 136);
  CHECK(c.bytes_held[kL2] == 240);
  // Energy.
  //   L2: DMA reads 126 x 2 = 252, writes 96 x 3 = 288 -> 540 (the array
  //       holds its weights after the launch: no weight reads per tile)
  //   L1: DMA writes 126 x 0.25 = 31.5, reads 96 x 0.5 = 48, unit reads 126 x 0.5
  //       = 63, writes 96 x 0.25 = 24 -> 166.5
  //   DMA: 222 x 0.125 = 27.75; compute 402; static 401.5 x 3 = 1204.5
  CHECK(c.level_energy[kL2] == near(540));
  CHECK(c.level_energy[kL1] == near(166.5));
  CHECK(c.dma_energy == near(27.75));
  CHECK(c.compute_energy == near(402));
  CHECK(c.static_energy == near(1204.5));
  CHECK(c.energy == near(540 + 166.5 + 27.75 + 402 + 1204.5));

  // Double: 114 + 28 + 84 + 84 + 26.
  m.inner().double_buffer = {true, true, true};
  const auto d = model.evaluate(ctx, m);
  CHECK(d.cycles == near(336));
  CHECK(d.bytes_held[kL1] == 272);

  // A tile that splits C is illegal on the array, whatever else fits.
  const auto split = model.evaluate(ctx, mapping(l, u, {{Dim::C, 1}}));
  CHECK_FALSE(split.legal);
  CHECK(std::string(split.reason) ==
        "the analog array cannot accumulate across tiles: a tile must hold all of C");
  CHECK(split.cycles == 0);
}

TEST_CASE("partial sums that need reading back without an inbound DMA path are illegal",
          "[analytical][kinds]") {
  // The unit writes its output to OM, which a DMA engine drains to L2 but
  // nothing fills: outputs may leave, partial sums cannot come back.
  constexpr const char* kYaml = R"(
name: om
clock: 100 MHz
memories:
  - {name: L2, size: 1 MiB, read_bandwidth: 8 B/cycle, write_bandwidth: 8 B/cycle,
     read_energy: 1 pJ/B, write_energy: 1 pJ/B}
  - {name: L1, size: 64 KiB, read_bandwidth: 8 B/cycle, write_bandwidth: 8 B/cycle,
     read_energy: 1 pJ/B, write_energy: 1 pJ/B}
  - {name: OM, size: 64 KiB, read_bandwidth: 8 B/cycle, write_bandwidth: 8 B/cycle,
     read_energy: 1 pJ/B, write_energy: 1 pJ/B}
home: {weights: L2, activations: L2}
dmas:
  - {name: dma, links: [[L2, L1]], bandwidth: 4 B/cycle}
  - {name: odma, links: [[OM, L2]], bandwidth: 4 B/cycle}
units:
  - {name: cpu, kind: cpu, ops: [pointwise], reads: {I: L1, W: L1, O: OM}, energy_per_mac: 1 pJ}
)";
  const auto soc = hw::load_soc_text(kYaml, "om.yaml");
  const sim::Analytical model(soc);
  // pointwise K=8, C=4, OY=OX=4; tiles C=2, OY=2.
  const Layer l = make_layer(OpKind::pointwise, 8, 4, 4, 4, 1);
  Mapping m = mapping(l, 0, {{Dim::C, 2}, {Dim::OY, 2}});
  // C outside OY: each output tile is visited twice, partial sums would come back.
  m.inner().order = parse_order("C,OY");
  const auto c = model.evaluate(l, m);
  CHECK_FALSE(c.legal);
  CHECK(std::string(c.reason) ==
        "partial sums would need reading back, but no DMA engine moves them in");
  CHECK(c.cycles == 0);
  CHECK(c.energy == 0);
  // C inside OY: the output tile stays until C is done; two final write-backs.
  m.inner().order = parse_order("OY,C");
  const auto k = model.evaluate(l, m);
  REQUIRE(k.legal);
  CHECK(k.transfers[kO] == 2);
  CHECK(k.bytes_moved[kO] == 128);
}
