#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

// The execution order that minimises the peak of live bytes at one memory
// level (docs/memory.md, "Execution order"): exact by dynamic programming
// over the sets of steps already run that are closed under dependencies, a
// greedy heuristic with a lower bound when there are too many such sets.
namespace tessel::mappers {

// A tensor at the level: produced by a step (or, with producer -1, present
// from the start), read by `consumers`, freed after its last reader unless
// it is kept to the end (a graph output).
struct OrderTensor {
  int producer = -1;
  std::vector<int> consumers;
  std::int64_t bytes = 0;
  bool kept = false;
};

// Steps 0 .. steps-1 with their dependencies; `scratch[v]` bytes are live
// while step v runs only. A step whose output may take the buffer of an
// input of the same size that dies at it (in place) has that input in
// `in_place[v]` (-1: none).
struct OrderProblem {
  std::size_t steps = 0;
  std::vector<std::vector<int>> preds;
  std::vector<OrderTensor> tensors;
  std::vector<int> output;  // per step, the tensor it writes (-1: none at the level)
  std::vector<std::int64_t> scratch;
  std::vector<bool> in_place;  // per step: its output reuses a dying input of its size
};

struct OrderResult {
  std::vector<std::size_t> order;  // step indices, in execution order
  std::int64_t peak = 0;           // the largest live bytes while a step runs
  std::int64_t lower_bound = 0;    // no order has a smaller peak
  bool exact = false;              // peak == the optimum (then lower_bound == peak)
};

// The live bytes while each step of `order` runs (the peak is the largest).
std::vector<std::int64_t> live_profile(const OrderProblem& p,
                                       const std::vector<std::size_t>& order);

// The order of least peak; exact when at most `max_states` dependency-closed
// sets exist, otherwise greedy. Ties keep the given step numbering's order
// where it is optimal. Contract: preds form a DAG over the steps.
OrderResult best_order(const OrderProblem& p, std::size_t max_states = 200000);

}  // namespace tessel::mappers
