#include <algorithm>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "mappers/passes/pass.hpp"

// Partial execution along channels (docs/memory.md, "Partial execution"):
// the chains of a graph whose intermediates can be held one channel slice
// at a time, and the pass that searches the slices of the chains the memory
// fit chose to slice.
namespace tessel::mappers {
namespace {

// A layer that produces its output channels from all of its input channels
// (a convolution over C, not grouped): a chain's producer or consumer.
bool contracts(const Layer& l) {
  return (l.op == OpKind::conv || l.op == OpKind::pointwise) && l.dim(Dim::G) == 1;
}

// The dimension a chain layer is sliced along: the producer's output
// channels, a channel-wise layer's groups, the consumer's reduction.
Dim slice_dim(const Chain& c, std::size_t position) {
  if (position == 0) return Dim::K;
  return position + 1 == c.layers.size() ? Dim::C : Dim::G;
}

// The part of a chain layer for slice s of n.
LayerSlice chain_slice(const Chain& c, std::size_t position, std::int64_t s, std::int64_t n) {
  const std::int64_t width = c.channels / n;
  return {slice_dim(c, position), s * width, (s + 1) * width};
}

// The distinct slices of a chain layer: one for the producer and the
// channel-wise layers (their slices are alike); for the consumer the first
// (which starts the partial sums), a middle one and the last (which
// requantises), as far as the count has them.
std::vector<std::int64_t> distinct_slices(const Chain& c, std::size_t position, std::int64_t n) {
  if (position + 1 < c.layers.size()) return {0};
  if (n == 2) return {0, 1};
  return {0, 1, n - 1};
}

// Which of the distinct slices slice s runs like.
std::size_t kind_of(const Chain& c, std::size_t position, std::int64_t s, std::int64_t n) {
  if (position + 1 < c.layers.size() || s == 0) return 0;
  return s + 1 == n ? (n == 2 ? 1 : 2) : 1;
}

}  // namespace

std::optional<std::size_t> only_reader(const Graph& g, std::size_t i) {
  const auto& outs = g.outputs();
  if (std::find(outs.begin(), outs.end(), g.layer(i).output) != outs.end()) return std::nullopt;
  const auto readers = g.consumers(i);
  if (readers.size() != 1) return std::nullopt;
  return readers[0];
}

std::vector<Chain> find_chains(const Graph& g) {
  std::vector<Chain> out;
  for (std::size_t p = 0; p < g.layers().size(); ++p) {
    if (!contracts(g.layer(p))) continue;
    Chain c{{p}, g.layer(p).dim(Dim::K)};
    auto next = only_reader(g, p);
    while (next) {
      const Layer& l = g.layer(*next);
      if (l.op == OpKind::depthwise && l.dim(Dim::G) == c.channels) {
        c.layers.push_back(*next);
        next = only_reader(g, *next);
        continue;
      }
      if (contracts(l) && l.dim(Dim::C) == c.channels) {
        c.layers.push_back(*next);
        out.push_back(c);
      }
      break;
    }
  }
  return out;
}

std::vector<std::int64_t> slice_counts(const Chain& c) {
  const std::int64_t least = std::min<std::int64_t>(8, c.channels / 2);  // channels per slice
  std::vector<std::int64_t> out;
  for (std::int64_t n = 2; least > 0 && c.channels / n >= least; ++n) {
    if (c.channels % n == 0) out.push_back(n);
  }
  return out;
}

bool slice_chain(NetworkState& st, SlicedChain& sc) {
  const hw::Soc& soc = st.model.soc();
  const Chain& c = sc.chain;
  const auto n = sc.slices;
  // Every distinct slice of every chain layer on every unit.
  std::vector<PairSearch> pairs;
  for (std::size_t pos = 0; pos < c.layers.size(); ++pos) {
    const auto j = c.layers[pos];
    for (auto s : distinct_slices(c, pos, n)) {
      for (int u : st.units)
        pairs.push_back({slice_layer(st.graph.layer(j), chain_slice(c, pos, s, n)),
                         u,
                         st.homes[j],
                         PairSearch::kNoReport,
                         PairSearch::kNoCutoff,
                         {},
                         nullptr,
                         false});
    }
  }
  search_pairs(st, pairs);
  // Per layer, the unit that runs all its slices at the least total score.
  sc.parts.clear();
  sc.proven = true;
  std::vector<std::vector<const PairSearch*>> best(c.layers.size());  // per layer, per kind
  std::size_t k = 0;
  for (std::size_t pos = 0; pos < c.layers.size(); ++pos) {
    const auto kinds = distinct_slices(c, pos, n).size();
    double least = std::numeric_limits<double>::infinity();
    for (std::size_t u = 0; u < st.units.size(); ++u) {
      double total = 0;
      std::vector<const PairSearch*> chosen(kinds);
      for (std::size_t kd = 0; kd < kinds; ++kd) {
        chosen[kd] = &pairs[k + kd * st.units.size() + u];
        if (!chosen[kd]->result->found) total = std::numeric_limits<double>::infinity();
      }
      for (std::int64_t s = 0; s < n && total < least; ++s)
        total += chosen[kind_of(c, pos, s, n)]->result->score;
      if (total < least) {
        least = total;
        best[pos] = chosen;
      }
    }
    k += kinds * st.units.size();
    if (best[pos].empty()) return false;  // no unit runs every slice of this layer
  }
  for (std::int64_t s = 0; s < n; ++s) {
    for (std::size_t pos = 0; pos < c.layers.size(); ++pos) {
      const PairSearch& p = *best[pos][kind_of(c, pos, s, n)];
      SchedulePart part;
      part.layer = st.graph.layer(c.layers[pos]).name;
      part.index = c.layers[pos];
      part.slice = chain_slice(c, pos, s, n);
      part.unit = p.unit;
      part.unit_name = soc.units[static_cast<std::size_t>(p.unit)].name;
      part.mapping = p.result->best;
      part.cost = p.result->cost;
      sc.proven = sc.proven && p.result->proven;
      sc.parts.push_back(std::move(part));
    }
  }
  return true;
}

namespace {

// Searches the slices of every sliced chain anew (the homes may have
// moved); a chain whose slices no unit runs any more is run whole.
class SliceChains final : public NetworkPass {
 public:
  std::string_view name() const override { return "slice-chains"; }
  void run(NetworkState& st) const override {
    std::erase_if(st.sliced, [&](SlicedChain& sc) { return !slice_chain(st, sc); });
  }
};

}  // namespace

std::unique_ptr<NetworkPass> slice_chains_pass() {
  return std::make_unique<SliceChains>();
}

}  // namespace tessel::mappers
