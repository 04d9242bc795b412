#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/builder.hpp"
#include "core/errors.hpp"
#include "core/zoo.hpp"
#include "hwmodels/soc_loader.hpp"
#include "sim/event_sim.hpp"
#include "test_soc.hpp"

using namespace tessel;
using Kind = sim::SimJob::Kind;

namespace {

// Pointwise conv, 8-bit: K=8, C=4, OY=OX=4. I = 64 B, W = 32 B, O = 128 B.
Layer small_pointwise(const std::string& name = "pw") {
  GraphBuilder b("t");
  auto x = b.input("x", {1, 4, 4, 4});
  ConvParams p;
  p.out_channels = 8;
  b.conv(name, x, p);
  return b.graph().layer(0);
}

Mapping whole(const Layer& l, int unit = 0) {
  Mapping m;
  m.unit = unit;
  m.inner().tile = l.dims;
  return m;
}

std::vector<sim::SimJob> of_kind(const sim::SimResult& r, Kind k) {
  std::vector<sim::SimJob> out;
  for (const auto& j : r.jobs) {
    if (j.kind == k) out.push_back(j);
  }
  return out;
}

sim::EventSimOptions keep() {
  sim::EventSimOptions o;
  o.keep_jobs = true;
  return o;
}

}  // namespace

TEST_CASE("a single tile: one transfer per operand, back to back on one DMA channel",
          "[eventsim]") {
  const auto soc = make_test_soc();
  const sim::EventSim es(soc, keep());
  const sim::Analytical model(soc);
  const auto l = small_pointwise();
  const auto ctx = model.prepare(l, 0);
  const auto r = es.simulate(ctx, whole(l));
  // launch [0,100]; fetch I 10 + 64/4 = 26 [100,126]; fetch W 10 + 32/4 = 18
  // right behind it on the same engine [126,144]; compute 512/2 + 5 = 261
  // [144,405]; write-back 10 + 128/4 = 42 [405,447].
  REQUIRE(r.jobs.size() == 5);
  const auto fetch = of_kind(r, Kind::fetch);
  REQUIRE(fetch.size() == 2);
  CHECK(fetch[0].start == 100);
  CHECK(fetch[0].end == 126);
  CHECK(fetch[1].start == 126);
  CHECK(fetch[1].end == 144);
  const auto compute = of_kind(r, Kind::compute);
  REQUIRE(compute.size() == 1);
  CHECK(compute[0].start == 144);
  CHECK(compute[0].end == 405);
  const auto wb = of_kind(r, Kind::writeback);
  REQUIRE(wb.size() == 1);
  CHECK(wb[0].start == 405);
  CHECK(wb[0].end == 447);
  CHECK(r.cycles == 447);
  CHECK(r.cycles == model.evaluate(ctx, whole(l)).cycles);
  // The DMA engine worked 26 + 18 + 42 = 86 cycles; the unit 100 + 261.
  CHECK(r.resources[0].busy == 86);
  CHECK(r.resources[0].jobs == 3);
  CHECK(r.resources[1].busy == 361);
  CHECK(r.resources[1].utilisation == Approx(361.0 / 447));
  // The computation waited 144 - 100 = 44 cycles for its tiles (input last).
  CHECK(r.stalls[static_cast<std::size_t>(sim::StallCause::weight_fetch)] == 44);
}

TEST_CASE("double buffering hides transfers behind compute", "[eventsim]") {
  const auto soc = make_test_soc();
  const sim::EventSim es(soc, keep());
  const sim::Analytical model(soc);
  const auto l = small_pointwise();
  const auto ctx = model.prepare(l, 0);
  Mapping m = whole(l);
  m.inner().tile[idx(Dim::OY)] = 2;  // two row tiles: I 32 B (18 cycles), O 64 B (26 cycles)
  const auto single = es.simulate(ctx, m);
  // launch 100; I0 [100,118], W [118,136]; compute 0 [136,269]; write-back 0
  // [269,295]; the next input waits for compute 0 (one buffer): I1 after it
  // in program order [295,313]; compute 1 [313,446]; write-back 1 [446,472].
  CHECK(single.cycles == 472);
  CHECK(single.cycles == model.evaluate(ctx, m).cycles);
  m.inner().double_buffer = {true, true, true};
  const auto dbl = es.simulate(ctx, m);
  // I1 is prefetched while compute 0 runs [136,154]; compute 1 starts right
  // after compute 0 [269,402] while write-back 0 runs [269,295]; the last
  // write-back [402,428].
  const auto compute = of_kind(dbl, Kind::compute);
  REQUIRE(compute.size() == 2);
  CHECK(compute[1].start == 269);
  const auto fetch = of_kind(dbl, Kind::fetch);
  REQUIRE(fetch.size() == 3);
  CHECK(fetch[2].start == 136);
  CHECK(fetch[2].end == 154);
  CHECK(dbl.cycles == 428);
  CHECK(dbl.cycles == model.evaluate(ctx, m).cycles);
}

TEST_CASE("a compute-bound and a transfer-bound layer", "[eventsim]") {
  const auto l = small_pointwise();
  Mapping m = whole(l);
  m.inner().tile[idx(Dim::OY)] = 2;
  m.inner().double_buffer = {true, true, true};
  SECTION("compute-bound: the unit never waits after the prologue") {
    const auto soc = make_test_soc();
    const sim::EventSim es(soc, keep());
    const auto r = es.simulate(sim::Analytical(soc).prepare(l, 0), m);
    const auto compute = of_kind(r, Kind::compute);
    CHECK(compute[1].start == compute[0].end);
    CHECK(r.resources[1].busy == 100 + 2 * 133);
  }
  SECTION("transfer-bound: the DMA engine is the bottleneck") {
    const auto soc = make_test_soc({0.5, 4096, 0});  // 0.5 B/cycle
    const sim::Analytical model(soc);
    const sim::EventSim es(soc, keep());
    const auto ctx = model.prepare(l, 0);
    const auto r = es.simulate(ctx, m);
    // I tiles 10 + 32/0.5 = 74, W 74, O tiles 10 + 64/0.5 = 138.
    // I0 [100,174], W [174,248], I1 [248,322]; compute 0 [248,381];
    // write-back 0 [381,519]; compute 1 [381,514]; write-back 1 waits for
    // the engine [519,657].
    CHECK(r.cycles == 657);
    const auto wb = of_kind(r, Kind::writeback);
    REQUIRE(wb.size() == 2);
    CHECK(wb[1].start == 519);
    CHECK(r.resources[0].busy == 3 * 74 + 2 * 138);
    // Issued at 100, W waited 74 and I1 148 for the engine; write-back 1
    // waited 5 behind write-back 0 (a dependency: write-backs keep their order).
    CHECK(r.stalls[static_cast<std::size_t>(sim::StallCause::engine_busy)] == 74 + 148);
    CHECK(r.stalls[static_cast<std::size_t>(sim::StallCause::buffer_busy)] == 5);
    CHECK(r.cycles == model.evaluate(ctx, m).cycles);
  }
}

namespace {

// The test SoC with a second counting unit "v" on the same L1 and DMA.
std::shared_ptr<hw::Soc> two_unit_test_soc() {
  auto base = make_test_soc();
  auto soc = std::make_shared<hw::Soc>(*base);
  soc->levels[1].ports = 4;
  hw::UnitSpec v = soc->units[0];
  v.name = "v";
  soc->units.push_back(v);
  soc->models.push_back(std::make_shared<CountingUnit>(v, 2.0));
  return soc;
}

}  // namespace

TEST_CASE("two units contend for one DMA engine", "[eventsim]") {
  const auto soc = two_unit_test_soc();
  const sim::Analytical model(soc);
  const sim::EventSim es(soc, keep());
  const auto a = small_pointwise("a");
  const auto b = small_pointwise("b");
  const auto ca = model.prepare(a, 0);
  const auto cb = model.prepare(b, 1);
  const auto alone = es.simulate(ca, whole(a, 0));
  const auto both = es.simulate_concurrent({{&ca, whole(a, 0)}, {&cb, whole(b, 1)}});
  // Both launch at 0 (100 cycles). On the shared engine: a's I [100,126], a's
  // W [126,144] (a issued first), b's I [144,170], b's W [170,188].
  // a computes [144,405], b [188,449]; write-backs [405,447] and [449,491].
  CHECK(alone.cycles == 447);
  CHECK(both.cycles == 491);
  REQUIRE(both.layer_cycles.size() == 2);
  CHECK(both.layer_cycles[0] == 447);
  CHECK(both.layer_cycles[1] == 491);
  CHECK(both.resources[0].busy == 2 * 86);
  // Waiting for the engine after issue at 100: a's W 26, b's I 44, b's W 70.
  CHECK(both.stalls[static_cast<std::size_t>(sim::StallCause::engine_busy)] == 26 + 44 + 70);
}

TEST_CASE("a ResNet-8 trace is valid JSON with one event per job", "[eventsim][trace]") {
  const auto soc = hw::load_soc("gap9");
  const sim::Analytical model(soc);
  const auto g = zoo_model("resnet8");
  NetworkSchedule s;
  s.network = g.name();
  for (std::size_t i = 0; i < g.layers().size(); ++i) {
    const int u = *soc->find_unit("cluster");
    SchedulePart ls;
    ls.layer = g.layer(i).name;
    ls.index = i;
    ls.unit = u;
    ls.unit_name = "cluster";
    ls.mapping = whole(g.layer(i), u);
    ls.mapping.inner().tile[idx(Dim::OY)] = std::min<std::int64_t>(4, g.layer(i).dim(Dim::OY));
    ls.mapping.inner().double_buffer = {true, true, true};
    ScheduleStep step;
    step.parts.push_back(ls);
    s.steps.push_back(step);
  }
  const sim::EventSim es(soc, keep());
  const auto r = es.simulate(g, s);
  std::vector<std::string> names;
  for (const auto& l : g.layers())
    names.push_back(l.name);
  const auto path = std::filesystem::temp_directory_path() / "tessel_resnet8_trace.json";
  sim::write_trace(r, *soc, names, path.string());
  std::ifstream in(path);
  const auto j = nlohmann::json::parse(in);
  std::size_t complete = 0;
  for (const auto& e : j["traceEvents"])
    complete += e["ph"] == "X";
  CHECK(complete == r.jobs.size());
  CHECK(r.layer_cycles.size() == g.layers().size());
  std::filesystem::remove(path);
  CHECK_THROWS_AS(sim::write_trace(r, *soc, names, "/nonexistent/dir/t.json"), IoError);
}

TEST_CASE("a DMA queue of depth one makes the program wait to issue", "[eventsim]") {
  auto base = make_test_soc();
  auto soc = std::make_shared<hw::Soc>(*base);
  soc->dmas[0].channels = 1;
  const sim::EventSim es(soc, keep());
  const auto l = small_pointwise();
  const auto ctx = sim::Analytical(soc).prepare(l, 0);
  Mapping m = whole(l);
  m.inner().tile[idx(Dim::OY)] = 2;
  m.inner().double_buffer = {true, true, true};
  const auto r = es.simulate(ctx, m);
  // After the launch (100) the program issues I0, then waits for it to
  // finish (118) before it can issue W, and for W (136) before the prefetch
  // of I1: 18 + 18 cycles. Compute 0 needed W anyway, so the total is the
  // same 428 cycles as with a deep queue.
  CHECK(r.stalls[static_cast<std::size_t>(sim::StallCause::queue_full)] == 36);
  const auto fetch = of_kind(r, Kind::fetch);
  REQUIRE(fetch.size() == 3);
  CHECK(fetch[1].start == 118);
  CHECK(fetch[2].start == 136);
  CHECK(r.cycles == 428);
}

TEST_CASE("a concurrent schedule step starts its parts together and ends with their sync",
          "[eventsim][schedule]") {
  const auto soc = two_unit_test_soc();
  const sim::Analytical model(soc);
  const sim::EventSim es(soc, keep());
  // Two pointwise layers reading one input; one step runs both, one per unit.
  GraphBuilder b("pair");
  auto x = b.input("x", {1, 4, 4, 4});
  ConvParams p;
  p.out_channels = 8;
  const auto g = b.finish({b.conv("a", x, p), b.conv("b", x, p)});
  NetworkSchedule s;
  s.network = "pair";
  ScheduleStep step;
  step.kind = ScheduleStep::Kind::concurrent;
  step.sync_cycles = 9;
  for (int u : {0, 1}) {
    SchedulePart part;
    part.layer = g.layer(static_cast<std::size_t>(u)).name;
    part.index = static_cast<std::size_t>(u);
    part.unit = u;
    part.mapping = whole(g.layer(static_cast<std::size_t>(u)), u);
    step.parts.push_back(part);
  }
  s.steps = {step};
  const auto r = es.simulate(g, s);
  // As simulate_concurrent of the two (491 cycles, see above), then the sync.
  CHECK(r.cycles == 491 + 9);
  REQUIRE(r.layer_cycles.size() == 2);
  const auto sync = of_kind(r, Kind::sync);
  REQUIRE(sync.size() == 1);
  CHECK(sync[0].start == 491);
  // A sequential schedule of the same parts takes longer: no overlap.
  NetworkSchedule seq = s;
  seq.steps.clear();
  for (const auto& part : step.parts) {
    ScheduleStep one;
    one.parts = {part};
    seq.steps.push_back(one);
  }
  CHECK(es.simulate(g, seq).cycles > r.cycles);
}

TEST_CASE("a slice over C reads back and writes partial sums: model and simulator agree",
          "[eventsim][partial]") {
  const auto soc = make_test_soc();
  const sim::EventSim es(soc, keep());
  const sim::Analytical model(soc);
  const auto l = small_pointwise();  // C = 4
  // The last of two slices: C in [2, 4), I = 32 B, W = 16 B; it reads the
  // partial sums back (128 x 4 B) and writes the 8-bit output.
  const auto last = slice_layer(l, {Dim::C, 2, 4});
  REQUIRE(last.accumulates);
  REQUIRE(last.bits.output == 8);
  const auto ctx = model.prepare(last, 0);
  const auto r = es.simulate(ctx, whole(last));
  // launch [0,100]; I 10 + 32/4 [100,118]; W 10 + 16/4 [118,132]; read-back
  // 10 + 512/4 [132,270]; compute 256/2 + 5 [270,403]; write-back 10 + 128/4.
  const auto rb = of_kind(r, Kind::readback);
  REQUIRE(rb.size() == 1);
  CHECK(rb[0].start == 132);
  CHECK(rb[0].end == 270);
  CHECK(r.cycles == 445);
  const auto c = model.evaluate(ctx, whole(last));
  CHECK(c.cycles == 445);
  CHECK(c.bytes_moved[idx(Operand::O)] == 512 + 128);
  // The first slice writes raw 32-bit partial sums and reads nothing back.
  const auto first = slice_layer(l, {Dim::C, 0, 2});
  CHECK_FALSE(first.accumulates);
  CHECK(first.bits.output == 32);
  const auto ctx0 = model.prepare(first, 0);
  const auto r0 = es.simulate(ctx0, whole(first));
  CHECK(of_kind(r0, Kind::readback).empty());
  CHECK(r0.cycles == 100 + 18 + 14 + 133 + 138);
  CHECK(model.evaluate(ctx0, whole(first)).cycles == r0.cycles);
  // Tiled over rows, double-buffered: every output tile is read back first.
  Mapping m = whole(last);
  m.inner().tile[idx(Dim::OY)] = 1;
  m.inner().double_buffer = {true, true, true};
  const auto tiled = es.simulate(ctx, m);
  CHECK(of_kind(tiled, Kind::readback).size() == 4);
  CHECK(model.evaluate(ctx, m).cycles == Approx(tiled.cycles).epsilon(0.03));
  CHECK(model.evaluate(ctx, m).bytes_moved[idx(Operand::O)] == 512 + 128);
}
