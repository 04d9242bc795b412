#include <algorithm>
#include <limits>

#include "mappers/objective.hpp"
#include "mappers/passes/pass.hpp"

// Depth-first fused groups (docs/memory.md, "Fused layers"; DeFiNES,
// Stream): a chain of two or three layers runs on one unit band by band of
// the last layer's output rows; each band's layers run one after another,
// every intermediate kept at the unit's level, one band at a time. A band of
// the last layer fixes the rows every earlier layer computes for it (its
// input window: the overlap between bands recomputed, or kept in the buffer
// and not computed again). Per chain and unit the best band height and
// overlap mode is one more choice of the unit assignment.
namespace tessel::mappers {
namespace {

constexpr std::size_t kMaxLayers = 3;  // layers of one group

// A layer a group may hold: one that slides a window over rows of one input.
bool fusable(const Layer& l) {
  switch (l.op) {
    case OpKind::conv:
    case OpKind::depthwise:
    case OpKind::pointwise:
    case OpKind::max_pool:
    case OpKind::avg_pool:
      return l.dim(Dim::N) == 1;
    default:
      return false;
  }
}

// The chains of 2 .. kMaxLayers fusable layers, each intermediate read by
// the next layer only, none of them sliced or with tensors moved by the
// memory fit.
std::vector<std::vector<std::size_t>> find_groups(const NetworkState& st) {
  const auto& layers = st.graph.layers();
  std::vector<bool> free(layers.size(), true);
  for (const auto& sc : st.sliced) {
    for (auto j : sc.chain.layers)
      free[j] = false;
  }
  for (std::size_t j = 0; j < layers.size(); ++j) {
    free[j] = free[j] && fusable(layers[j]) && (st.homes.empty() || st.homes[j] == Mapping{}.home);
  }
  std::vector<std::vector<std::size_t>> out;
  for (std::size_t first = 0; first < layers.size(); ++first) {
    std::vector<std::size_t> group{first};
    while (free[group.back()] && group.size() < kMaxLayers) {
      const auto next = only_reader(st.graph, group.back());
      if (!next || !free[*next]) break;
      group.push_back(*next);
      out.push_back(group);
    }
  }
  return out;
}

// The band heights tried for a last layer of `rows` output rows: all rows
// at once, and every power of two below.
std::vector<std::int64_t> band_heights(std::int64_t rows) {
  std::vector<std::int64_t> out{rows};
  for (std::int64_t h = 1; h < rows; h *= 2)
    out.push_back(h);
  return out;
}

// The level a unit keeps a group's intermediates at: the one it reads its
// input from and writes its output to; -1 when they differ or it is the
// activations' home (nothing to gain).
int unit_level(const hw::Soc& soc, int unit) {
  const auto& at = soc.model(unit).spec().operand_level;
  const int lvl = at[idx(Operand::I)];
  return lvl == at[idx(Operand::O)] && lvl != soc.activations_home ? lvl : -1;
}

// One candidate: a group on a unit in `bands` (band_rows), its
// intermediates' bytes at the unit's level (held_bytes); its parts'
// searches start at `first` in the pass's pairs.
struct Candidate {
  std::size_t group = 0;
  int unit = 0, level = 0;
  bool cached = false;
  std::vector<std::vector<LayerSlice>> bands;
  std::int64_t held = 0;
  std::size_t first = 0;
};

}  // namespace

std::vector<std::vector<LayerSlice>> band_rows(const Graph& g,
                                               const std::vector<std::size_t>& group,
                                               std::int64_t height, bool cached) {
  const auto rows = g.layer(group.back()).dim(Dim::OY);
  std::vector<std::int64_t> done(group.size(), 0);  // per layer, the rows computed so far
  std::vector<std::vector<LayerSlice>> out;
  for (std::int64_t b = 0; b < rows; b += height) {
    std::vector<LayerSlice> band(group.size());
    band.back() = {Dim::OY, b, std::min(rows, b + height)};
    for (std::size_t p = group.size() - 1; p > 0; --p) {
      const auto [lo, hi] = input_rows(g.layer(group[p]), band[p]);
      const auto first = cached ? std::max(lo, done[p - 1]) : lo;
      if (first >= hi) return {};  // nothing new to compute: no cached bands of this height
      band[p - 1] = {Dim::OY, first, hi};
      done[p - 1] = hi;
    }
    out.push_back(std::move(band));
  }
  return out;
}

std::int64_t held_bytes(const Graph& g, const std::vector<std::size_t>& group,
                        const std::vector<std::vector<LayerSlice>>& bands) {
  std::int64_t total = 0;
  for (std::size_t p = 0; p + 1 < group.size(); ++p) {
    std::int64_t most = 0;  // the next layer's window: the band computed, and any rows kept
    for (const auto& band : bands) {
      const auto [lo, hi] = input_rows(g.layer(group[p + 1]), band[p + 1]);
      most = std::max(most, slice_layer(g.layer(group[p]), {Dim::OY, lo, hi}).output_bytes());
    }
    total += most;
  }
  return total;
}

namespace {

class FuseLayers final : public NetworkPass {
 public:
  std::string_view name() const override { return "fuse-layers"; }
  void run(NetworkState& st) const override {
    st.fused.clear();
    st.members.assign(st.graph.layers().size(), {});
    if (!st.options.fusion || st.options.mapper != MapperKind::tessel) return;
    const hw::Soc& soc = st.model.soc();
    const auto groups = find_groups(st);
    std::vector<Candidate> candidates;
    std::vector<PairSearch> pairs;
    for (std::size_t gi = 0; gi < groups.size(); ++gi) {
      for (int u : st.units) {
        const int lvl = unit_level(soc, u);
        if (lvl < 0 || !runs_all(st, groups[gi], u)) continue;
        const auto capacity = soc.levels[static_cast<std::size_t>(lvl)].capacity;
        for (auto h : band_heights(st.graph.layer(groups[gi].back()).dim(Dim::OY))) {
          for (bool cached : {false, true}) {
            auto bands = band_rows(st.graph, groups[gi], h, cached);
            if (bands.empty() || (cached && bands.size() == 1)) continue;
            const auto held = held_bytes(st.graph, groups[gi], bands);
            if (held > capacity) continue;
            add_pairs(st, groups[gi], bands, u, lvl, pairs);
            const auto first = pairs.size() - bands.size() * groups[gi].size();
            candidates.push_back({gi, u, lvl, cached, std::move(bands), held, first});
          }
        }
      }
    }
    search_pairs(st, pairs);
    // Per group and unit, the band height and overlap mode of least score that fits.
    std::vector<std::vector<std::size_t>> best(groups.size(),
                                               std::vector<std::size_t>(soc.units.size(), kNone));
    std::vector<FusedOption> options(candidates.size());
    for (std::size_t c = 0; c < candidates.size(); ++c) {
      const auto& cand = candidates[c];
      if (!make_option(st, groups[cand.group], cand, pairs, options[c])) continue;
      auto& b = best[cand.group][static_cast<std::size_t>(cand.unit)];
      if (b == kNone || score(st, options[c]) < score(st, options[b])) b = c;
    }
    for (std::size_t gi = 0; gi < groups.size(); ++gi) {
      for (auto c : best[gi]) {
        if (c == kNone || score(st, options[c]) >= unfused_bound(st, groups[gi])) continue;
        for (std::size_t p = 0; p < groups[gi].size(); ++p)
          st.members[groups[gi][p]].push_back({st.fused.size(), p});
        st.fused.push_back(std::move(options[c]));
      }
    }
  }

 private:
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  static double score(const NetworkState& st, const FusedOption& f) {
    return score_bound(st.options.search.objective, f.step.cycles, f.step.energy);
  }

  // Whether unit u runs every layer of a group (its whole-layer search found a mapping).
  static bool runs_all(const NetworkState& st, const std::vector<std::size_t>& group, int u) {
    return std::all_of(group.begin(), group.end(), [&](std::size_t j) {
      const auto& s = st.result.searches[j];
      return std::any_of(s.begin(), s.end(),
                         [&](const UnitSearch& us) { return us.unit == u && us.result->found; });
    });
  }

  // The sum of the group's layers each on its best unit, no conversions: a
  // group that does not beat it is not offered (pruning that keeps the
  // assignment's states few; such a group could win only by saving a
  // layout conversion).
  static double unfused_bound(const NetworkState& st, const std::vector<std::size_t>& group) {
    double cycles = 0, energy = 0;
    for (auto j : group) {
      double least = std::numeric_limits<double>::infinity();
      const Cost* chosen = nullptr;
      for (const auto& us : st.result.searches[j]) {
        if (!us.result->found) continue;
        const double s = mappers::score(st.options.search.objective, us.result->cost);
        if (s < least) {
          least = s;
          chosen = &us.result->cost;
        }
      }
      if (!chosen) return 0;
      cycles += chosen->cycles;
      energy += chosen->energy;
    }
    return score_bound(st.options.search.objective, cycles, energy);
  }

  // The searches of a candidate's parts, band after band, each band's
  // layers in order: a layer reads the intermediate before it and writes the
  // one after it at the unit's level.
  static void add_pairs(const NetworkState& st, const std::vector<std::size_t>& group,
                        const std::vector<std::vector<LayerSlice>>& bands, int unit, int level,
                        std::vector<PairSearch>& pairs) {
    for (const auto& band : bands) {
      for (std::size_t p = 0; p < group.size(); ++p) {
        Homes home = st.homes.empty() ? Mapping{}.home : st.homes[group[p]];
        if (p > 0) home[idx(Operand::I)] = static_cast<std::int8_t>(level);
        if (p + 1 < group.size()) home[idx(Operand::O)] = static_cast<std::int8_t>(level);
        pairs.push_back({slice_layer(st.graph.layer(group[p]), band[p]),
                         unit,
                         home,
                         PairSearch::kNoReport,
                         PairSearch::kNoCutoff,
                         {},
                         nullptr,
                         false});
      }
    }
  }

  // The fused step of a candidate from its parts' searches; false when a
  // part has no mapping or the intermediates and the largest part's buffers
  // do not fit the unit's level together.
  static bool make_option(const NetworkState& st, const std::vector<std::size_t>& group,
                          const Candidate& cand, const std::vector<PairSearch>& pairs,
                          FusedOption& out) {
    const hw::Soc& soc = st.model.soc();
    out.layers = group;
    out.unit = cand.unit;
    out.bands = static_cast<std::int64_t>(cand.bands.size());
    out.cached = cand.cached;
    out.step.kind = ScheduleStep::Kind::fused;
    std::int64_t scratch = 0;
    std::size_t k = cand.first;
    for (const auto& band : cand.bands) {
      for (std::size_t p = 0; p < group.size(); ++p, ++k) {
        const PairSearch& ps = pairs[k];
        if (!ps.result->found) return false;
        SchedulePart part;
        part.layer = st.graph.layer(group[p]).name;
        part.index = group[p];
        part.slice = band[p];
        part.unit = cand.unit;
        part.unit_name = soc.units[static_cast<std::size_t>(cand.unit)].name;
        part.mapping = ps.result->best;
        part.cost = ps.result->cost;
        out.proven = out.proven && ps.result->proven;
        scratch = std::max(
            scratch, part_scratch(st.model, ps.layer, part)[static_cast<std::size_t>(cand.level)]);
        out.step.parts.push_back(std::move(part));
      }
    }
    const auto capacity = soc.levels[static_cast<std::size_t>(cand.level)].capacity;
    if (cand.held + scratch > capacity) return false;
    // A part that keeps rows of the band before moves them first: its cost.
    for (std::size_t k = 0; k < out.step.parts.size(); ++k) {
      const auto keep = sim::keep_cost(soc, cand.level, kept_rows(st.graph, out.step, k).bytes);
      auto& cost = out.step.parts[k].cost;
      cost.cycles += keep.cycles;
      cost.overhead_cycles += keep.cycles;
      cost.energy += keep.energy;
    }
    total_step(out.step);
    return true;
  }
};

}  // namespace

std::unique_ptr<NetworkPass> fuse_layers_pass() {
  return std::make_unique<FuseLayers>();
}

}  // namespace tessel::mappers
