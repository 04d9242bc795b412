#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <random>

#include "mappers/memory_order.hpp"

using namespace tessel;
using namespace tessel::mappers;

namespace {

// A random DAG of `n` steps, each writing one tensor read by 1-2 later steps
// (edges only forward in numbering), with random sizes and scratch.
OrderProblem random_problem(std::mt19937& rng, std::size_t n) {
  OrderProblem p;
  p.steps = n;
  p.preds.resize(n);
  p.output.resize(n);
  p.scratch.resize(n);
  p.in_place.resize(n);
  p.tensors.push_back({-1, {0}, 1 + static_cast<std::int64_t>(rng() % 100), false});  // input
  for (std::size_t v = 0; v < n; ++v) {
    OrderTensor t;
    t.producer = static_cast<int>(v);
    t.bytes = 1 + static_cast<std::int64_t>(rng() % 100);
    for (std::size_t k = 0; k < 2 && v + 1 < n; ++k) {
      const auto c = static_cast<int>(v + 1 + rng() % (n - v - 1));
      if (std::find(t.consumers.begin(), t.consumers.end(), c) == t.consumers.end()) {
        t.consumers.push_back(c);
        p.preds[static_cast<std::size_t>(c)].push_back(static_cast<int>(v));
      }
    }
    t.kept = v + 1 == n;
    p.output[v] = static_cast<int>(p.tensors.size());
    p.tensors.push_back(t);
    p.scratch[v] = static_cast<std::int64_t>(rng() % 50);
    p.in_place[v] = rng() % 4 == 0;
  }
  return p;
}

bool respects(const OrderProblem& p, const std::vector<std::size_t>& order) {
  std::vector<std::size_t> at(p.steps);
  for (std::size_t i = 0; i < order.size(); ++i)
    at[order[i]] = i;
  for (std::size_t v = 0; v < p.steps; ++v) {
    for (int u : p.preds[v]) {
      if (at[static_cast<std::size_t>(u)] > at[v]) return false;
    }
  }
  return true;
}

// The least peak over every permutation that respects the dependencies.
std::int64_t brute_force(const OrderProblem& p) {
  std::vector<std::size_t> order(p.steps);
  std::iota(order.begin(), order.end(), 0);
  std::int64_t best = -1;
  do {
    if (!respects(p, order)) continue;
    const auto prof = live_profile(p, order);
    const auto peak = *std::max_element(prof.begin(), prof.end());
    if (best < 0 || peak < best) best = peak;
  } while (std::next_permutation(order.begin(), order.end()));
  return best;
}

}  // namespace

TEST_CASE("the exact order's peak equals a brute-force enumeration", "[order]") {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 60; ++trial) {
    const auto p = random_problem(rng, 3 + static_cast<std::size_t>(rng() % 6));
    const auto r = best_order(p);
    INFO("trial " << trial);
    REQUIRE(r.exact);
    CHECK(respects(p, r.order));
    const auto prof = live_profile(p, r.order);
    CHECK(*std::max_element(prof.begin(), prof.end()) == r.peak);
    CHECK(r.peak == brute_force(p));
  }
}

TEST_CASE("the greedy order respects dependencies and its bound is below the optimum", "[order]") {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 60; ++trial) {
    const auto p = random_problem(rng, 3 + static_cast<std::size_t>(rng() % 6));
    const auto exact = best_order(p);
    const auto greedy = best_order(p, /*max_states=*/1);
    INFO("trial " << trial);
    CHECK(respects(p, greedy.order));
    CHECK(greedy.peak >= exact.peak);
    CHECK(greedy.lower_bound <= exact.peak);
    const auto prof = live_profile(p, greedy.order);
    CHECK(*std::max_element(prof.begin(), prof.end()) == greedy.peak);
  }
}

TEST_CASE("a residual block runs its long branch before the skip is needed", "[order]") {
  // 0 -> 1 -> 2 -> 4 (add) and 0 -> 3 -> 4: both branches have a big
  // tensor (1's output, 3's output); running 3 first keeps its output live
  // while 1 writes its own (810 B), running it last needs 520 B.
  OrderProblem p;
  p.steps = 5;
  p.preds = {{}, {0}, {1}, {0}, {2, 3}};
  p.tensors = {{-1, {0}, 10, false}, {0, {1, 3}, 10, false}, {1, {2}, 300, false},
               {2, {4}, 10, false},  {3, {4}, 500, false},   {4, {}, 10, true}};
  p.output = {1, 2, 3, 4, 5};
  p.scratch = {0, 0, 0, 0, 0};
  p.in_place = {false, false, false, false, true};
  const auto r = best_order(p);
  CHECK(r.exact);
  CHECK(r.order == std::vector<std::size_t>{0, 1, 2, 3, 4});
  CHECK(r.peak == 10 + 10 + 500);  // step 3: 0's output, the add's other input, its own
  const auto skip_first = live_profile(p, {0, 3, 1, 2, 4});
  CHECK(*std::max_element(skip_first.begin(), skip_first.end()) == 810);
}
