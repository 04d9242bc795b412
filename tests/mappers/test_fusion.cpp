#include <catch2/catch.hpp>

#include <cmath>
#include <map>

#include "core/builder.hpp"
#include "core/zoo.hpp"
#include "hwmodels/soc_loader.hpp"
#include "mappers/layer_search.hpp"
#include "mappers/passes/pass.hpp"
#include "sim/event_sim.hpp"

// Depth-first fused groups (docs/memory.md, "Fused layers").
using namespace tessel;

namespace {

// A 3x3 convolution of 4 to 8 channels on an 8x8 map, then a 3x3 depthwise
// one, both padded by one: two layers whose windows overlap between bands.
Graph conv_dw() {
  GraphBuilder b("conv_dw");
  auto x = b.input("x", {1, 4, 8, 8});
  ConvParams c;
  c.out_channels = 8;
  c.kernel_y = c.kernel_x = 3;
  c.pad_top = c.pad_left = c.pad_bottom = c.pad_right = 1;
  auto y = b.conv("conv", x, c);
  c.groups = 8;
  return b.finish({b.conv("dw", y, c)});
}

std::shared_ptr<const hw::Soc> slow_dma() {
  return hw::load_soc(std::string(TESSEL_SOURCE_DIR) + "/tests/data/soc/slow_dma.yaml");
}

// Every dimension whole: a part's tile is its whole band, so each part moves
// its input, weights and output once.
mappers::SearchOptions whole_tiles() {
  mappers::SearchOptions o;
  o.space.whole.fill(true);
  return o;
}

// The hand count, per band height of the depthwise layer's 8 output rows:
// the input rows the convolution reads over all bands (each band reads its
// window: recomputed overlap), and the intermediate's largest band in rows.
// Height 4: dw rows [0,4) read conv rows [0,5), which read input rows [0,6);
// dw rows [4,8) read conv rows [3,8), input rows [2,8): 12 input rows, 5 held.
struct HandCount {
  std::int64_t input_rows, held_rows;
};
const std::map<std::int64_t, HandCount> kHand = {
    {8, {8, 8}},                       // one band: every row once
    {4, {6 + 6, 5}},                   // as above
    {2, {4 + 6 + 6 + 4, 4}},           // [0,4) [0,6) [2,8) [4,8); conv rows [0,3) .. [5,8)
    {1, {3 + 4 + 5 * 4 + 4 + 3, 3}}};  // [0,3) [0,4) [0,5) [1,6) .. [4,8) [5,8)

// The same with the overlap cached: each band's convolution computes only
// the rows the band before did not, and the rows of the intermediate that
// the depthwise window reads again stay in L1 (moved to the buffer's top).
// Height 4: conv rows [0,5) then [5,8), reading input rows [0,6) and [4,8);
// the second band keeps conv rows [3,5). Height 1 has no cached bands: the
// last depthwise row's window [6,8) is all computed before.
struct CachedCount {
  std::int64_t input_rows, held_rows, kept_rows;
};
const std::map<std::int64_t, CachedCount> kCached = {
    {4, {6 + 4, 5, 2}}, {2, {4 + 4 + 4 + 2, 4, 2 + 2 + 2}}};  // conv rows [0,3) [3,5) [5,7) [7,8)

// The bytes a group on `unit` moves per operand (I, W, O) between L2 and
// L1 in bands of `height`, and the bytes it holds at L1, from the cost
// model's whole-tile parts: the intermediate never leaves L1.
std::array<std::int64_t, kNumOperands> fused_traffic(const sim::Analytical& model, const Graph& g,
                                                     int unit, std::int64_t height,
                                                     bool cached = false) {
  const std::vector<std::size_t> group{0, 1};
  const int l1 = model.soc().model(unit).spec().operand_level[idx(Operand::I)];
  std::array<std::int64_t, kNumOperands> moved{};
  for (const auto& band : mappers::band_rows(g, group, height, cached)) {
    for (std::size_t p = 0; p < 2; ++p) {
      Mapping m;
      m.unit = unit;
      if (p == 1) m.home[idx(Operand::I)] = static_cast<std::int8_t>(l1);
      if (p == 0) m.home[idx(Operand::O)] = static_cast<std::int8_t>(l1);
      const Layer part = slice_layer(g.layer(group[p]), band[p]);
      const auto r = mappers::search_layer(model, model.prepare(part, m), whole_tiles());
      REQUIRE(r.found);
      for (std::size_t o = 0; o < kNumOperands; ++o)
        moved[o] += r.cost.bytes_moved[o];
    }
  }
  return moved;
}

}  // namespace

TEST_CASE("a fused group's traffic and L1 need equal a hand count", "[fusion]") {
  const Graph g = conv_dw();
  const sim::Analytical model(slow_dma());
  const int cluster = *model.soc().find_unit("cluster");
  constexpr std::int64_t kRowBytes = 8 * 4, kMidRowBytes = 8 * 8;  // 8-bit input, intermediate
  constexpr std::int64_t kWeights = 8 * 4 * 9 + 8 * 9;             // conv and depthwise, per band
  for (const auto& [height, hand] : kHand) {
    INFO("band height " << height);
    const auto bands = mappers::band_rows(g, {0, 1}, height);
    const auto n = static_cast<std::int64_t>(bands.size());
    CHECK(n == 8 / height);
    CHECK(mappers::held_bytes(g, {0, 1}, bands) == hand.held_rows * kMidRowBytes);
    const auto moved = fused_traffic(model, g, cluster, height);
    CHECK(moved[idx(Operand::I)] == hand.input_rows * kRowBytes);
    CHECK(moved[idx(Operand::W)] == n * kWeights);  // each band fetches its weights
    CHECK(moved[idx(Operand::O)] == 8 * 8 * 8);     // the output once, no intermediate
  }
  CHECK(mappers::band_rows(g, {0, 1}, 1, true).empty());
  for (const auto& [height, hand] : kCached) {
    INFO("cached bands of height " << height);
    const auto bands = mappers::band_rows(g, {0, 1}, height, true);
    const auto n = static_cast<std::int64_t>(bands.size());
    REQUIRE(n == 8 / height);
    CHECK(mappers::held_bytes(g, {0, 1}, bands) == hand.held_rows * kMidRowBytes);
    const auto moved = fused_traffic(model, g, cluster, height, true);
    CHECK(moved[idx(Operand::I)] == hand.input_rows * kRowBytes);
    CHECK(moved[idx(Operand::W)] == n * kWeights);
    CHECK(moved[idx(Operand::O)] == 8 * 8 * 8);
    // The kept rows of a step of these bands, as the schedule IR derives them.
    ScheduleStep step;
    step.kind = ScheduleStep::Kind::fused;
    for (const auto& band : bands) {
      for (std::size_t p = 0; p < 2; ++p) {
        SchedulePart part;
        part.layer = g.layer(p).name;
        part.index = p;
        part.slice = band[p];
        step.parts.push_back(part);
      }
    }
    std::int64_t kept = 0;
    for (std::size_t k = 0; k < step.parts.size(); ++k) {
      const auto r = kept_rows(g, step, k);
      if (k % 2 == 1 || k == 0) CHECK(r.rows == 0);  // the depthwise layer and band 0 keep none
      kept += r.rows;
      CHECK(r.bytes == r.rows * kMidRowBytes);
    }
    CHECK(kept == hand.kept_rows);
    // Height 4: the second band keeps conv rows [3,5), rows 3-4 of the first band's window [0,5).
    if (height == 4) CHECK(kept_rows(g, step, 2).from == 3);
  }
}

TEST_CASE("the mapper fuses the group with the traffic of its band height", "[fusion]") {
  const Graph g = conv_dw();
  const sim::Analytical model(slow_dma());
  mappers::NetworkOptions opt;
  opt.units = {"cluster"};
  opt.search = whole_tiles();
  const auto fused = mappers::map_network(g, model, opt);
  REQUIRE(fused.schedule.steps.size() == 1);
  const auto& step = fused.schedule.steps[0];
  REQUIRE(step.kind == ScheduleStep::Kind::fused);
  const auto bands = static_cast<std::int64_t>(step.parts.size() / 2);
  const auto height = (8 + bands - 1) / bands;
  REQUIRE(kHand.count(height) == 1);
  std::array<std::int64_t, kNumOperands> moved{};
  for (const auto& p : step.parts) {
    for (std::size_t o = 0; o < kNumOperands; ++o)
      moved[o] += p.cost.bytes_moved[o];
  }
  CHECK(moved == fused_traffic(model, g, step.parts[0].unit, height));
  // The intermediate lives at L1, one band at a time.
  const auto l1 = *model.soc().find_level("L1");
  for (const auto& t : fused.schedule.tensors) {
    if (t.name != g.layer(0).output) continue;
    CHECK(t.level == l1);
    CHECK(t.bytes == kHand.at(height).held_rows * 8 * 8);
  }
  opt.fusion = false;
  const auto unfused = mappers::map_network(g, model, opt);
  CHECK(unfused.schedule.steps.size() == 2);
  CHECK(fused.schedule.cycles < unfused.schedule.cycles);  // the slow DMA moves less
}

TEST_CASE("fusing never loses and the simulator replays fused steps within 3 %",
          "[fusion][sim][slow]") {
  struct Case {
    std::shared_ptr<const hw::Soc> soc;
    bool split;
  };
  for (const Case& c : {Case{hw::load_soc("gap9"), true}, Case{hw::load_soc("gap9"), false},
                        Case{hw::load_soc("diana"), true}, Case{slow_dma(), false}}) {
    const sim::Analytical model(c.soc);
    const sim::EventSim es(c.soc);
    std::size_t fused_steps = 0, banded = 0, kept = 0;
    for (const auto& net : {"resnet8", "dscnn", "mobilenetv1", "autoencoder"}) {
      INFO(c.soc->name << " " << net << " split " << c.split);
      const Graph g = zoo_model(net);
      mappers::LayerCache cache;
      mappers::NetworkOptions off;
      off.split = false;
      off.fusion = false;
      const auto without = mappers::map_network(g, model, off, &cache);
      for (const auto& st : without.schedule.steps)
        CHECK(st.kind == ScheduleStep::Kind::single);
      mappers::NetworkOptions on;
      on.split = c.split;
      const auto with = mappers::map_network(g, model, on, &cache);
      CHECK(with.schedule.cycles <= without.schedule.cycles);
      const auto sim = es.simulate(g, with.schedule);
      for (std::size_t i = 0; i < with.schedule.steps.size(); ++i) {
        const auto& st = with.schedule.steps[i];
        INFO("step " << i << " " << st.parts[0].layer);
        CHECK(std::abs(st.cycles - sim.step_cycles[i]) <= 0.03 * sim.step_cycles[i]);
        if (st.kind != ScheduleStep::Kind::fused) continue;
        ++fused_steps;
        for (std::size_t k = 0; k < st.parts.size(); ++k) {
          banded += st.parts[k].slice.dim == Dim::OY && st.parts[k].slice.begin > 0;
          kept += kept_rows(g, st, k).rows > 0;
        }
      }
      CHECK(std::abs(with.schedule.cycles - sim.cycles) <= 0.03 * sim.cycles);
    }
    INFO(c.soc->name << " split " << c.split);
    if (!c.split) CHECK(fused_steps > 0);
    if (c.soc->name == "gap9_slow_dma") {
      CHECK(banded > 0);  // bands of rows, windows overlapping
      CHECK(kept > 0);    // the overlap kept in L1 rather than recomputed
    }
  }
}
