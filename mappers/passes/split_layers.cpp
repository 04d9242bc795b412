#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <optional>

#include "mappers/objective.hpp"
#include "mappers/passes/pass.hpp"
#include "sim/concurrent.hpp"

// Split layers (docs/memory.md, "Split layers"; ODiMO): a layer's output
// channels in ranges, one per unit, the units running their parts at the
// same time. Range sizes are searched on every unit that may take a part,
// for each set of two or three such units: every size (every boundary) up
// to kExhaustive channels, a grid refined around its best above; a layer's
// best split is one more choice of the unit assignment when it beats the
// layer's best unit.
namespace tessel::mappers {
namespace {

constexpr std::size_t kMaxUnits = 3;      // units of one split
constexpr std::int64_t kExhaustive = 32;  // channels up to which every boundary is tried
constexpr std::int64_t kGridPoints = 16;  // grid steps over the channels above that
// A unit takes a range of k of D channels only when k / D of its score on
// the whole layer stays below this many times the layer's best score (a
// part scoring no better than the whole layer cannot be in a winning split;
// parts rarely run faster than in proportion to their channels).
constexpr double kScalingSlack = 2.0;

// The dimension a layer's output channels are split along: K, or the
// groups of a depthwise layer; none for a layer that cannot be split.
std::optional<Dim> split_dim(const Layer& l) {
  switch (l.op) {
    case OpKind::conv:
    case OpKind::pointwise:
    case OpKind::dense:
      if (l.dim(Dim::G) == 1 && l.dim(Dim::K) >= 2) return Dim::K;
      return std::nullopt;
    case OpKind::depthwise:
      if (l.dim(Dim::K) == 1 && l.dim(Dim::G) >= 2) return Dim::G;
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

// A unit that may take parts of a layer, at weight bits `bits` (0: the
// layer's own).
struct Taker {
  int unit = 0;
  int bits = 0;
  double whole = 0;  // its score on the whole layer (0: not searched whole)
};

// The takers of layer j: the units that run it (its searches found a
// mapping); with allow-lower also the units whose weight widths all lie
// below the layer's, at the widest of them.
std::vector<Taker> takers(const NetworkState& st, std::size_t j) {
  std::vector<Taker> out;
  for (const auto& us : st.result.searches[j])
    out.push_back({us.unit, 0, score(st.options.search.objective, us.result->cost)});
  if (st.options.precision != PrecisionPolicy::allow_lower) return out;
  const Layer& l = st.graph.layer(j);
  for (int u : st.units) {
    const auto& bits = st.model.soc().units[static_cast<std::size_t>(u)].weight_bits;
    const bool runs =
        std::any_of(out.begin(), out.end(), [&](const Taker& t) { return t.unit == u; });
    if (runs || bits.empty()) continue;
    int widest = 0;
    for (int b : bits) {
      if (b < l.bits.weight) widest = std::max(widest, b);
    }
    if (widest > 0 && widest == *std::max_element(bits.begin(), bits.end()))
      out.push_back({u, widest, 0});
  }
  return out;
}

// One range size of a layer on one taker: its search (null until searched),
// its demand on the shared resources and its scratch.
struct Slot {
  std::shared_ptr<const LayerResult> result;
  sim::PartDemand demand;
  std::array<std::int64_t, kMaxLevels> scratch{};
  bool usable() const { return result && result->found; }
};

// One layer's split search: per taker and range size k (1 .. D-1) a slot.
struct LayerSplits {
  std::size_t layer = 0;
  Dim dim = Dim::K;
  std::int64_t channels = 0;
  std::vector<Taker> takers;
  std::vector<std::vector<Slot>> slots;  // [taker][k - 1]
  const Slot& slot(std::size_t taker, std::int64_t k) const {
    return slots[taker][static_cast<std::size_t>(k - 1)];
  }
};

SchedulePart make_part(const NetworkState& st, const LayerSplits& ls, const Taker& t,
                       std::int64_t begin, std::int64_t end, const LayerResult& r) {
  SchedulePart p;
  p.layer = st.graph.layer(ls.layer).name;
  p.index = ls.layer;
  p.slice = {ls.dim, begin, end};
  p.unit = t.unit;
  p.unit_name = st.model.soc().units[static_cast<std::size_t>(t.unit)].name;
  p.weight_bits = t.bits;
  p.mapping = r.best;
  p.cost = r.cost;
  return p;
}

// A split: per taker of a set (in the set's order) its range size.
struct Split {
  double score = std::numeric_limits<double>::infinity();
  std::vector<std::size_t> set;
  std::vector<std::int64_t> sizes;
};

// Every split of one layer over the takers of a set whose sizes are all
// searched: each composition of its channels into one positive range per
// taker, in the takers' order.
class SplitEnumerator {
 public:
  SplitEnumerator(const NetworkState& st, const LayerSplits& ls) : st_(st), ls_(ls) {}

  // The best such split over `set` (its score infinite when none runs on
  // every taker and fits the levels).
  Split best(const std::vector<std::size_t>& set) {
    best_ = Split{};
    best_.set = set;
    sizes_.assign(set.size(), 0);
    trial_.parts.assign(set.size(), SchedulePart{});
    trial_.kind = ScheduleStep::Kind::concurrent;
    trial_.sync_cycles = st_.model.soc().sync_cycles;
    demands_.assign(set.size(), nullptr);
    walk(0, ls_.channels);
    return best_;
  }

 private:
  void walk(std::size_t pos, std::int64_t left) {
    const std::size_t rest = best_.set.size() - pos - 1;  // takers after this one
    if (rest == 0) {
      if (!ls_.slot(best_.set[pos], left).usable()) return;
      sizes_[pos] = left;
      score();
      return;
    }
    for (std::int64_t k = 1; k + static_cast<std::int64_t>(rest) <= left; ++k) {
      if (!ls_.slot(best_.set[pos], k).usable()) continue;
      sizes_[pos] = k;
      walk(pos + 1, left - k);
    }
  }

  // The step of the current sizes: its cycles with contention and sync,
  // its energy, and whether the parts' buffers fit every level together.
  void score() {
    const hw::Soc& soc = st_.model.soc();
    std::array<std::int64_t, kMaxLevels> scratch{}, home{};
    for (std::size_t i = 0; i < sizes_.size(); ++i) {
      const Slot& s = ls_.slot(best_.set[i], sizes_[i]);
      trial_.parts[i].cost = s.result->cost;
      demands_[i] = &s.demand;
      for (std::size_t lvl = 0; lvl < kMaxLevels; ++lvl) {
        scratch[lvl] += s.scratch[lvl];
        home[lvl] = std::max(home[lvl], s.result->cost.bytes_held[lvl] - s.scratch[lvl]);
      }
    }
    for (std::size_t lvl = 0; lvl < soc.levels.size() && lvl < kMaxLevels; ++lvl) {
      if (scratch[lvl] + home[lvl] > soc.levels[lvl].capacity) return;
    }
    trial_.contention_cycles = sim::contention_cycles(soc, demands_);
    total_step(trial_);
    const double s = score_bound(st_.options.search.objective, trial_.cycles, trial_.energy);
    if (s < best_.score) {
      best_.score = s;
      best_.sizes = sizes_;
    }
  }

  const NetworkState& st_;
  const LayerSplits& ls_;
  Split best_;
  std::vector<std::int64_t> sizes_;
  ScheduleStep trial_;
  std::vector<const sim::PartDemand*> demands_;
};

// The sets of 2 .. kMaxUnits takers of one activation layout (a split
// layer's output is written in one layout), as taker indices.
std::vector<std::vector<std::size_t>> taker_sets(const hw::Soc& soc, const std::vector<Taker>& t) {
  std::vector<std::vector<std::size_t>> out;
  const std::size_t n = t.size();
  for (unsigned mask = 0; mask < (1u << n); ++mask) {
    const auto size = static_cast<std::size_t>(std::popcount(mask));
    if (size < 2 || size > kMaxUnits) continue;
    std::vector<std::size_t> set;
    for (std::size_t i = 0; i < n; ++i) {
      if (mask & (1u << i)) set.push_back(i);
    }
    const auto& layout = soc.units[static_cast<std::size_t>(t[set[0]].unit)].layout;
    if (std::all_of(set.begin(), set.end(), [&](std::size_t i) {
          return soc.units[static_cast<std::size_t>(t[i].unit)].layout == layout;
        }))
      out.push_back(set);
  }
  return out;
}

// The layer's best split over every set of its takers, among the sizes
// searched so far.
Split best_split(const NetworkState& st, const LayerSplits& ls) {
  SplitEnumerator walk(st, ls);
  Split best;
  for (const auto& set : taker_sets(st.model.soc(), ls.takers)) {
    auto found = walk.best(set);
    if (found.score < best.score) best = std::move(found);
  }
  return best;
}

// The score of the layer's best whole-layer choice (one unit).
double whole_layer_score(const NetworkState& st, std::size_t layer) {
  double least = std::numeric_limits<double>::infinity();
  for (const auto& us : st.result.searches[layer])
    least = std::min(least, score(st.options.search.objective, us.result->cost));
  return least;
}

// The split as a concurrent step, when it beats the layer's best unit.
std::optional<SplitOption> split_option(const NetworkState& st, const LayerSplits& ls,
                                        const Split& split) {
  if (!(split.score < whole_layer_score(st, ls.layer))) return std::nullopt;
  SplitOption opt;
  auto& step = opt.step;
  step.kind = ScheduleStep::Kind::concurrent;
  step.sync_cycles = st.model.soc().sync_cycles;
  std::vector<const sim::PartDemand*> demands;
  std::int64_t begin = 0;
  for (std::size_t i = 0; i < split.set.size(); ++i) {
    const auto t = split.set[i];
    const auto k = split.sizes[i];
    const Slot& s = ls.slot(t, k);
    step.parts.push_back(make_part(st, ls, ls.takers[t], begin, begin + k, *s.result));
    demands.push_back(&s.demand);
    opt.proven = opt.proven && s.result->proven;
    begin += k;
  }
  step.contention_cycles = sim::contention_cycles(st.model.soc(), demands);
  total_step(step);
  return opt;
}

// The grid step over a layer's channels above kExhaustive.
std::int64_t grid_step(std::int64_t channels) {
  return (channels + kGridPoints - 1) / kGridPoints;
}

// The largest range size worth searching on taker t: below kScalingSlack
// times the best whole-layer score when its own whole-layer score scales
// down with the channels (any size for a taker not searched whole).
std::int64_t size_cap(const LayerSplits& ls, std::size_t t, double least) {
  const double whole = ls.takers[t].whole;
  if (!(whole > 0) || !(least < std::numeric_limits<double>::infinity())) return ls.channels - 1;
  const double cap = kScalingSlack * least / whole * static_cast<double>(ls.channels);
  return std::min<std::int64_t>(ls.channels - 1, static_cast<std::int64_t>(std::ceil(cap)));
}

// The range sizes of the first round: every one up to kExhaustive
// channels; above, the multiples of the grid step, the powers of two below
// it, and the complements of both (so a pair's two ranges are searched).
std::vector<std::int64_t> first_sizes(std::int64_t channels) {
  std::vector<std::int64_t> out;
  if (channels <= kExhaustive) {
    for (std::int64_t k = 1; k < channels; ++k)
      out.push_back(k);
    return out;
  }
  const std::int64_t g = grid_step(channels);
  for (std::int64_t k = g; k < channels; k += g)
    out.insert(out.end(), {k, channels - k});
  for (std::int64_t k = 1; k < g; k *= 2)
    out.insert(out.end(), {k, channels - k});
  return out;
}

class SplitLayers final : public NetworkPass {
 public:
  std::string_view name() const override { return "split-layers"; }
  void run(NetworkState& st) const override {
    const auto& layers = st.graph.layers();
    st.splits.assign(layers.size(), {});
    if (!st.options.split) return;
    std::vector<bool> sliced(layers.size(), false);  // in a chain run in channel slices
    for (const auto& sc : st.sliced) {
      for (auto j : sc.chain.layers)
        sliced[j] = true;
    }
    std::vector<LayerSplits> todo;
    for (std::size_t j = 0; j < layers.size(); ++j) {
      const auto dim = split_dim(layers[j]);
      // Layers whose tensors the memory fit moved (streamed weights, spilled
      // activations) are not split: their staged searches cost too much to
      // repeat per range size.
      if (!dim || sliced[j] || st.homes[j] != Mapping{}.home) continue;
      LayerSplits ls{j, *dim, layers[j].dim(*dim), takers(st, j), {}};
      if (ls.takers.size() < 2) continue;
      ls.slots.assign(ls.takers.size(),
                      std::vector<Slot>(static_cast<std::size_t>(ls.channels - 1)));
      todo.push_back(std::move(ls));
    }
    // Round 1: the first sizes on every taker.
    std::vector<std::vector<std::vector<std::int64_t>>> want(todo.size());
    for (std::size_t i = 0; i < todo.size(); ++i)
      want[i].assign(todo[i].takers.size(), first_sizes(todo[i].channels));
    search(st, todo, want);
    std::vector<Split> best(todo.size());
    for (std::size_t i = 0; i < todo.size(); ++i)
      best[i] = best_split(st, todo[i]);
    // Then, above kExhaustive channels, a pattern search around the best
    // split: each part's size one step either way, the step halving from
    // half the grid step down to one channel.
    for (int round = 1; refine_sizes(todo, best, round, want); ++round) {
      search(st, todo, want);
      for (std::size_t i = 0; i < todo.size(); ++i) {
        if (todo[i].channels > kExhaustive) best[i] = best_split(st, todo[i]);
      }
    }
    for (std::size_t i = 0; i < todo.size(); ++i) {
      if (auto opt = split_option(st, todo[i], best[i]))
        st.splits[todo[i].layer].push_back(std::move(*opt));
    }
  }

 private:
  // The sizes of refinement round `round`: per layer above kExhaustive
  // channels with a split, each part's size of its best split plus and
  // minus grid_step / 2^round. False when no layer has a step left.
  static bool refine_sizes(const std::vector<LayerSplits>& todo, const std::vector<Split>& best,
                           int round, std::vector<std::vector<std::vector<std::int64_t>>>& want) {
    bool any = false;
    for (std::size_t i = 0; i < todo.size(); ++i) {
      want[i].assign(todo[i].takers.size(), {});
      const auto c = todo[i].channels;
      const std::int64_t step = grid_step(c) >> round;
      if (c <= kExhaustive || best[i].sizes.empty() || step < 1) continue;
      any = true;
      for (std::size_t p = 0; p < best[i].set.size(); ++p) {
        for (auto k : {best[i].sizes[p] - step, best[i].sizes[p] + step}) {
          if (k >= 1 && k < c) want[i][best[i].set[p]].push_back(k);
        }
      }
    }
    return any;
  }

  // Searches the wanted sizes not searched yet, of every layer at once (in
  // parallel, through the layer cache), and sets their slots.
  static void search(NetworkState& st, std::vector<LayerSplits>& todo,
                     const std::vector<std::vector<std::vector<std::int64_t>>>& want) {
    std::vector<PairSearch> pairs;
    std::vector<Slot*> into;
    for (std::size_t i = 0; i < todo.size(); ++i) {
      auto& ls = todo[i];
      const Layer& l = st.graph.layer(ls.layer);
      const double least = whole_layer_score(st, ls.layer);
      for (std::size_t t = 0; t < ls.takers.size(); ++t) {
        const auto cap = size_cap(ls, t, least);
        auto sizes = want[i][t];
        std::sort(sizes.begin(), sizes.end());
        sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
        for (auto k : sizes) {
          Slot& slot = ls.slots[t][static_cast<std::size_t>(k - 1)];
          if (slot.result || k > cap) continue;
          Layer part = slice_layer(l, {ls.dim, 0, k});
          if (ls.takers[t].bits > 0) part.bits.weight = ls.takers[t].bits;
          // A part scoring no better than the whole layer on its best unit
          // cannot be in a split that beats it: its search prunes against that.
          pairs.push_back({std::move(part),
                           ls.takers[t].unit,
                           st.homes[ls.layer],
                           PairSearch::kNoReport,
                           least,
                           {},
                           nullptr,
                           false});
          into.push_back(&slot);
        }
      }
    }
    search_pairs(st, pairs);
    for (std::size_t k = 0; k < pairs.size(); ++k) {
      Slot& slot = *into[k];
      const PairSearch& p = pairs[k];
      slot.result = p.result;
      if (!p.result->found) continue;
      const auto ctx = st.model.prepare(p.layer, p.result->best);
      slot.demand = sim::part_demand(st.model, ctx, p.result->best, p.result->cost);
      SchedulePart part;
      part.mapping = p.result->best;
      part.cost = p.result->cost;
      slot.scratch = part_scratch(st.model, p.layer, part);
    }
  }
};

}  // namespace

std::unique_ptr<NetworkPass> split_layers_pass() {
  return std::make_unique<SplitLayers>();
}

}  // namespace tessel::mappers
