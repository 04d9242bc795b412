#include "mappers/memory_order.hpp"

#include <algorithm>
#include <limits>
#include <unordered_map>

namespace tessel::mappers {
namespace {

// A set of steps as bits.
using Bits = std::vector<std::uint64_t>;

bool has(const Bits& s, std::size_t v) {
  return (s[v / 64] >> (v % 64) & 1u) != 0;
}
void set(Bits& s, std::size_t v) {
  s[v / 64] |= std::uint64_t{1} << (v % 64);
}

struct BitsHash {
  std::size_t operator()(const Bits& b) const {
    std::uint64_t h = 1469598103934665603ull;
    for (auto w : b)
      h = (h ^ w) * 1099511628211ull;
    return static_cast<std::size_t>(h);
  }
};

// The live bytes of a set of finished steps, and what running one more does.
class Frontier {
 public:
  explicit Frontier(const OrderProblem& p) : p_(p), inputs_(p.steps) {
    for (std::size_t t = 0; t < p.tensors.size(); ++t) {
      for (int c : p.tensors[t].consumers)
        inputs_[static_cast<std::size_t>(c)].push_back(t);
    }
  }

  // Live bytes before any step runs: the tensors present from the start.
  std::int64_t initial() const {
    std::int64_t live = 0;
    for (const auto& t : p_.tensors) {
      if (t.producer < 0 && alive(t)) live += t.bytes;
    }
    return live;
  }
  bool ready(const Bits& done, std::size_t v) const {
    if (has(done, v)) return false;
    for (int u : p_.preds[v]) {
      if (!has(done, static_cast<std::size_t>(u))) return false;
    }
    return true;
  }
  // Live bytes while v runs after `done` (whose live bytes are `live`).
  std::int64_t during(const Bits& done, std::int64_t live, std::size_t v) const {
    const std::int64_t out = out_bytes(v);
    return live + (reuses_input(done, v, out) ? 0 : out) + p_.scratch[v];
  }
  // Live bytes after v has run.
  std::int64_t after(const Bits& done, std::int64_t live, std::size_t v) const {
    const int o = p_.output[v];
    if (o >= 0 && alive(p_.tensors[static_cast<std::size_t>(o)])) live += out_bytes(v);
    for (auto t : inputs_[v]) {
      if (dies_at(done, t, v)) live -= p_.tensors[t].bytes;
    }
    return live;
  }
  // No order runs step v with fewer bytes live: its inputs, its output
  // (unless it may reuse an input) and its scratch.
  std::int64_t step_floor(std::size_t v) const {
    std::int64_t b = p_.in_place[v] ? 0 : out_bytes(v);
    for (auto t : inputs_[v])
      b += p_.tensors[t].bytes;
    return b + p_.scratch[v];
  }

 private:
  static bool alive(const OrderTensor& t) { return t.kept || !t.consumers.empty(); }
  std::int64_t out_bytes(std::size_t v) const {
    const int o = p_.output[v];
    return o < 0 ? 0 : p_.tensors[static_cast<std::size_t>(o)].bytes;
  }
  // Tensor t is read for the last time by v (every other reader is done).
  bool dies_at(const Bits& done, std::size_t t, std::size_t v) const {
    const auto& x = p_.tensors[t];
    if (x.kept) return false;
    for (int c : x.consumers) {
      if (static_cast<std::size_t>(c) != v && !has(done, static_cast<std::size_t>(c))) return false;
    }
    return true;
  }
  bool reuses_input(const Bits& done, std::size_t v, std::int64_t out) const {
    if (!p_.in_place[v]) return false;
    for (auto t : inputs_[v]) {
      if (p_.tensors[t].bytes == out && dies_at(done, t, v)) return true;
    }
    return false;
  }
  const OrderProblem& p_;
  std::vector<std::vector<std::size_t>> inputs_;  // per step, the tensors it reads
};

struct State {
  Bits done;
  std::int64_t live = 0, peak = 0;
  std::size_t parent = 0;  // index of the state before the last step
  std::size_t step = 0;    // the last step run
};

// Exact: the states of each size, expanded in order; a state reached again
// keeps its first path unless a later one has a strictly smaller peak.
bool exact_order(const OrderProblem& p, const Frontier& f, std::size_t max_states, OrderResult& r) {
  const std::size_t words = (p.steps + 63) / 64;
  std::vector<State> states(1);
  states[0].done.assign(words, 0);
  states[0].live = states[0].peak = f.initial();
  std::size_t begin = 0, end = 1;
  for (std::size_t size = 0; size < p.steps; ++size) {
    std::unordered_map<Bits, std::size_t, BitsHash> next;
    for (std::size_t s = begin; s < end; ++s) {
      for (std::size_t v = 0; v < p.steps; ++v) {
        if (!f.ready(states[s].done, v)) continue;
        State n;
        n.done = states[s].done;
        set(n.done, v);
        n.peak = std::max(states[s].peak, f.during(states[s].done, states[s].live, v));
        n.live = f.after(states[s].done, states[s].live, v);
        n.parent = s;
        n.step = v;
        auto [it, fresh] = next.try_emplace(n.done, states.size());
        if (fresh) {
          if (states.size() >= max_states) return false;
          states.push_back(std::move(n));
        } else if (n.peak < states[it->second].peak) {
          states[it->second] = std::move(n);
        }
      }
    }
    begin = end;
    end = states.size();
  }
  r.order.assign(p.steps, 0);
  std::size_t s = begin;  // the one state of every step
  for (std::size_t k = p.steps; k > 0; --k) {
    r.order[k - 1] = states[s].step;
    s = states[s].parent;
  }
  r.peak = states[begin].peak;
  r.lower_bound = r.peak;
  r.exact = true;
  return true;
}

// Greedy: the ready step with the least bytes live while it runs, then
// after it, then the lowest index.
void greedy_order(const OrderProblem& p, const Frontier& f, OrderResult& r) {
  Bits done((p.steps + 63) / 64, 0);
  std::int64_t live = f.initial();
  r.peak = live;
  r.order.clear();
  for (std::size_t k = 0; k < p.steps; ++k) {
    std::size_t best = p.steps;
    std::int64_t best_during = 0, best_after = 0;
    for (std::size_t v = 0; v < p.steps; ++v) {
      if (!f.ready(done, v)) continue;
      const auto during = f.during(done, live, v), after = f.after(done, live, v);
      if (best == p.steps || during < best_during ||
          (during == best_during && after < best_after)) {
        best = v;
        best_during = during;
        best_after = after;
      }
    }
    r.order.push_back(best);
    r.peak = std::max(r.peak, best_during);
    live = best_after;
    set(done, best);
  }
  r.lower_bound = f.initial();
  for (std::size_t v = 0; v < p.steps; ++v)
    r.lower_bound = std::max(r.lower_bound, f.step_floor(v));
  r.exact = r.lower_bound == r.peak;
}

}  // namespace

std::vector<std::int64_t> live_profile(const OrderProblem& p,
                                       const std::vector<std::size_t>& order) {
  const Frontier f(p);
  Bits done((p.steps + 63) / 64, 0);
  std::int64_t live = f.initial();
  std::vector<std::int64_t> out;
  for (auto v : order) {
    out.push_back(f.during(done, live, v));
    live = f.after(done, live, v);
    set(done, v);
  }
  return out;
}

OrderResult best_order(const OrderProblem& p, std::size_t max_states) {
  const Frontier f(p);
  OrderResult r;
  if (p.steps == 0) {
    r.exact = true;
    return r;
  }
  if (!exact_order(p, f, max_states, r)) greedy_order(p, f, r);
  return r;
}

}  // namespace tessel::mappers
