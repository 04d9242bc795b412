#include <catch2/catch.hpp>

#include <random>
#include <stdexcept>

#include "core/memory_plan.hpp"

using namespace tessel;

namespace {

TensorPlacement tensor(const std::string& name, std::int64_t bytes, std::size_t first,
                       std::size_t last, int level = 0) {
  TensorPlacement t;
  t.name = name;
  t.bytes = bytes;
  t.first_step = first;
  t.last_step = last;
  t.level = level;
  return t;
}

}  // namespace

TEST_CASE("tensors live at a common step get disjoint bytes, others may share", "[plan]") {
  std::vector<TensorPlacement> ts = {tensor("a", 100, 0, 1), tensor("b", 60, 1, 2),
                                     tensor("c", 100, 2, 3), tensor("x", 8, 0, 3, 1)};
  const auto arenas = plan_offsets(ts, 2);
  REQUIRE(arenas.size() == 2);
  CHECK_FALSE(plan_violation(ts, arenas));
  // Live together: a + b at step 1, b + c at step 2; a and c never.
  CHECK(arenas[0].lower_bound_bytes == 160);
  CHECK(arenas[0].arena_bytes == 160);
  CHECK(ts[0].offset == ts[2].offset);  // c reuses a's bytes
  CHECK(arenas[1].arena_bytes == 8);
  CHECK(arenas[1].lower_bound_bytes == 8);
}

TEST_CASE("offsets are aligned and sizes rounded up to the alignment", "[plan]") {
  std::vector<TensorPlacement> ts = {tensor("a", 3, 0, 0), tensor("b", 5, 0, 0)};
  const auto arenas = plan_offsets(ts, 1);
  for (const auto& t : ts)
    CHECK(t.offset % kPlanAlignment == 0);
  CHECK(arenas[0].arena_bytes == aligned_bytes(3) + aligned_bytes(5));
  CHECK_FALSE(plan_violation(ts, arenas));
}

TEST_CASE("an in-place output shares its input's buffer", "[plan]") {
  std::vector<TensorPlacement> ts = {tensor("in", 64, 0, 1), tensor("out", 64, 1, 2),
                                     tensor("other", 32, 0, 2)};
  ts[1].alias = "in";
  const auto arenas = plan_offsets(ts, 1);
  CHECK(ts[1].offset == ts[0].offset);
  CHECK(arenas[0].lower_bound_bytes == 96);  // the shared buffer counted once
  CHECK(arenas[0].arena_bytes == 96);
  CHECK_FALSE(plan_violation(ts, arenas));
}

TEST_CASE("an alias of a missing or still-live tensor is refused", "[plan]") {
  std::vector<TensorPlacement> missing = {tensor("out", 8, 1, 1)};
  missing[0].alias = "nope";
  CHECK_THROWS_AS(plan_offsets(missing, 1), std::invalid_argument);
  std::vector<TensorPlacement> live = {tensor("in", 8, 0, 3), tensor("out", 8, 1, 2)};
  live[1].alias = "in";
  CHECK_THROWS_AS(plan_offsets(live, 1), std::invalid_argument);
}

TEST_CASE("plan_violation finds overlaps and tensors outside the arena", "[plan]") {
  std::vector<TensorPlacement> ts = {tensor("a", 16, 0, 1), tensor("b", 16, 1, 1)};
  ts[0].offset = 0;
  ts[1].offset = 8;
  const std::vector<LevelArena> arenas = {{0, 24, 32}};
  const auto v = plan_violation(ts, arenas);
  REQUIRE(v);
  CHECK(v->find("overlap") != std::string::npos);
  ts[1].offset = 16;
  CHECK(plan_violation(ts, arenas)->find("outside") != std::string::npos);
  CHECK_FALSE(plan_violation(ts, {{0, 32, 32}}));
}

TEST_CASE("random plans never overlap and never beat their lower bound", "[plan]") {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<TensorPlacement> ts;
    const int n = 2 + static_cast<int>(rng() % 30);
    for (int i = 0; i < n; ++i) {
      const std::size_t a = rng() % 12, b = a + rng() % 5;
      ts.push_back(tensor("t" + std::to_string(i), 1 + static_cast<std::int64_t>(rng() % 500), a, b,
                          static_cast<int>(rng() % 2)));
    }
    const auto arenas = plan_offsets(ts, 2);
    INFO("trial " << trial);
    CHECK_FALSE(plan_violation(ts, arenas));
    for (const auto& a : arenas)
      CHECK(a.arena_bytes >= a.lower_bound_bytes);
  }
}
