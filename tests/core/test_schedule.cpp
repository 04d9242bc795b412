#include <catch2/catch.hpp>

#include "core/builder.hpp"
#include "core/errors.hpp"
#include "core/mapping_json.hpp"
#include "core/schedule.hpp"

using namespace tessel;

namespace {

SchedulePart part(const std::string& layer, std::size_t index, double cycles, double energy,
                  double static_energy) {
  SchedulePart p;
  p.layer = layer;
  p.index = index;
  p.cost.legal = true;
  p.cost.cycles = cycles;
  p.cost.energy = energy;
  p.cost.static_energy = static_energy;
  return p;
}

}  // namespace

TEST_CASE("a step's totals follow its kind", "[schedule]") {
  ScheduleStep step;
  step.transition_cycles = 5;
  step.transition_energy = 50;
  SECTION("one part: its cost and the layout conversion") {
    step.parts = {part("a", 0, 100, 1000, 200)};
    total_step(step);
    CHECK(step.cycles == 105);
    CHECK(step.energy == 1050);
  }
  SECTION("concurrent parts: the slowest, the synchronisation, static power once") {
    step.kind = ScheduleStep::Kind::concurrent;
    step.sync_cycles = 10;
    // Static power 2 pJ per cycle in both parts.
    step.parts = {part("a.0", 0, 100, 1000, 200), part("a.1", 0, 60, 700, 120)};
    total_step(step);
    CHECK(step.cycles == 100 + 10 + 5);
    // Dynamic energy 800 + 580, static 2 pJ x 110 cycles, conversion 50.
    CHECK(step.energy == Approx(800 + 580 + 2 * 110 + 50));
  }
  SECTION("a fused group: its layers one after the other on one unit") {
    step.kind = ScheduleStep::Kind::fused;
    step.parts = {part("a", 0, 100, 1000, 200), part("b", 1, 60, 700, 120)};
    total_step(step);
    CHECK(step.cycles == 165);
    CHECK(step.energy == 1750);
  }
}

TEST_CASE("a schedule's totals and per-part rows come from its steps", "[schedule]") {
  NetworkSchedule s;
  s.peak_bytes.assign(2, 0);
  ScheduleStep one, two;
  one.parts = {part("a", 0, 100, 1000, 0)};
  one.parts[0].cost.bytes_held = {10, 20};
  two.kind = ScheduleStep::Kind::concurrent;
  two.transition_cycles = 7;
  two.parts = {part("b.0", 1, 40, 100, 0), part("b.1", 1, 50, 100, 0)};
  two.parts[1].cost.bytes_held = {30, 5};
  for (auto* st : {&one, &two})
    total_step(*st);
  s.steps = {one, two};
  total_schedule(s);
  CHECK(s.cycles == 100 + 57);
  CHECK(s.energy == 1200);
  CHECK(s.peak_bytes == std::vector<std::int64_t>{30, 20});
  const auto rows = part_rows(s);
  REQUIRE(rows.size() == 3);
  CHECK(rows[1].step == 1);
  CHECK(rows[1].transition_cycles == 7);  // on the step's first part only
  CHECK(rows[2].transition_cycles == 0);
  CHECK(rows[2].part->layer == "b.1");
}

TEST_CASE("a schedule's tensors live from their producer to their last reader", "[schedule]") {
  GraphBuilder b("t");
  auto x = b.input("x", {1, 4, 8, 8});
  ConvParams p;
  p.out_channels = 8;
  auto y = b.conv("c1", x, p);
  auto z = b.conv("c2", y, p);
  const auto g = b.finish({b.add("sum", y, z)});
  NetworkSchedule s;
  for (std::size_t i = 0; i < g.layers().size(); ++i) {
    ScheduleStep st;
    st.parts = {part(g.layer(i).name, i, 1, 1, 0)};
    s.steps.push_back(st);
  }
  const auto tensors = schedule_tensors(g, s, 1, 0);
  auto find = [&](const std::string& name) {
    for (const auto& t : tensors) {
      if (t.name == name) return t;
    }
    FAIL("no tensor " << name);
    return TensorPlacement{};
  };
  const auto in = find(g.layer(0).inputs[0]);
  CHECK(in.first_step == 0);
  CHECK(in.last_step == 0);
  CHECK(in.bytes == 256);
  const auto c1 = find(g.layer(0).output);
  CHECK(c1.first_step == 0);
  CHECK(c1.last_step == 2);  // read again by the add
  CHECK(c1.level == 1);
  CHECK(c1.offset == TensorPlacement::kUnplanned);
  const auto w2 = find(g.layer(1).weights);
  CHECK(w2.role == TensorPlacement::Role::weights);
  CHECK(w2.level == 0);
  CHECK(w2.first_step == 0);  // resident for the whole run
  CHECK(w2.last_step == 2);
  CHECK(w2.bytes == 8 * 8);
  CHECK(find(g.layer(2).output).last_step == 2);  // the graph output
}

TEST_CASE("a mapping's loop nests read back from JSON exactly", "[schedule][mapping]") {
  Mapping m;
  m.depth = 2;
  m.nest(0).tile = {1, 1, 4, 4, 4, 8, 3, 3};
  m.nest(0).order = parse_order("OY,K");
  m.nest(0).double_buffer = {true, false, true};
  m.nest(0).level = {1, 1, LoopNest::kNoMove};
  m.nest(1).tile = {1, 1, 2, 4, 2, 8, 3, 3};
  Mapping back;
  nests_from_json(nests_to_json(m), back);
  CHECK(back == m);
  CHECK_THROWS_AS(nests_from_json("[]", back), ConfigError);
  CHECK_THROWS_AS(nests_from_json("{\"tile\": 1}", back), ConfigError);
}

TEST_CASE("a layer's slices: K and G cut, C slices accumulate and write raw partial sums",
          "[schedule][partial]") {
  GraphBuilder b("t");
  auto x = b.input("x", {1, 16, 8, 8});
  ConvParams p;
  p.out_channels = 32;
  b.conv("pw", x, p);
  Layer l = b.graph().layer(0);
  l.epilogue.requant = true;  // as a quantised layer's: the last slice requantises
  l.epilogue.steps.push_back({});
  CHECK(slice_layer(l, {}) == l);
  const auto k = slice_layer(l, {Dim::K, 8, 16});
  CHECK(k.dim(Dim::K) == 8);
  CHECK(k.output_bytes() == l.output_bytes() / 4);
  CHECK(k.input_bytes() == l.input_bytes());  // every K slice reads the whole input
  CHECK_FALSE(k.accumulates);
  CHECK(k.bits == l.bits);
  const auto first = slice_layer(l, {Dim::C, 0, 4});
  CHECK_FALSE(first.accumulates);
  CHECK(first.bits.output == l.bits.accumulator);
  CHECK(first.epilogue.steps.empty());
  CHECK(first.input_bytes() == l.input_bytes() / 4);
  const auto middle = slice_layer(l, {Dim::C, 4, 8});
  CHECK(middle.accumulates);
  CHECK(middle.bits.output == l.bits.accumulator);
  const auto last = slice_layer(l, {Dim::C, 12, 16});
  CHECK(last.accumulates);
  CHECK(last.bits == l.bits);
  CHECK(last.epilogue == l.epilogue);
  CHECK_THROWS_AS(slice_layer(l, {Dim::C, 8, 20}), std::invalid_argument);
  CHECK_THROWS_AS(slice_layer(l, {Dim::K, 4, 4}), std::invalid_argument);
  // A part's slice survives the JSON of the store and of explore --json.
  const LayerSlice s{Dim::C, 4, 8};
  CHECK(slice_from_json(slice_to_json(s)) == s);
  CHECK(slice_from_json(slice_to_json({})).whole());
  CHECK_THROWS_AS(slice_from_json("{\"dim\": \"Q\", \"begin\": 0, \"end\": 1}"), ConfigError);
}
