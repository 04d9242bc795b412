#include "mappers/staged_search.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <memory>

#include "mappers/mapspace.hpp"
#include "sim/nests.hpp"
#include "sim/stages.hpp"

// The search of staged mappings (staged_search.hpp; docs/memory.md,
// "Multi-level tiling").
namespace tessel::mappers {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kTolerance = 1e-9;

// An inner nest searched on one part of the layer. Owns the part (its
// context points into it).
struct InnerSearch {
  Layer part;
  sim::LayerContext ctx;
  LayerResult result;
};

class StagedSearch {
 public:
  StagedSearch(const sim::Analytical& model, const Layer& layer, int unit,
               const std::array<std::int8_t, kNumOperands>& home, const SearchOptions& opt)
      : model_(model), layer_(layer), unit_(unit), home_(home), opt_(opt) {
    inner_opt_ = opt;
    inner_opt_.on_candidate = nullptr;
    inner_opt_.exact_pareto = false;
  }

  LayerResult run(const sim::LayerContext& top, const sim::Staging& st) {
    top_ = &top;
    st_ = &st;
    inner_route_ = sim::inner_route({top.home, top.level}, st);
    for_each_outer_tile([&](const DimArray& tile) { try_tile(tile); });
    return finish();
  }

 private:
  // The dimensions the outer nest may tile: those an operand it moves
  // indexes, never C (partial sums stay at the innermost nest) nor the window.
  std::vector<Dim> outer_dims() const {
    std::vector<Dim> dims;
    for (Dim d : kAllDims) {
      if (d == Dim::C || d == Dim::FY || d == Dim::FX || layer_.dim(d) == 1) continue;
      for (std::size_t o = 0; o < kNumOperands; ++o) {
        if (st_->level[0][o] != LoopNest::kNoMove && relevant(static_cast<Operand>(o), d)) {
          dims.push_back(d);
          break;
        }
      }
    }
    return dims;
  }

  template <typename F>
  void for_each_outer_tile(F&& f) const {
    const auto dims = outer_dims();
    const SizeRule rule = opt_.space.divisors_only ? SizeRule::divisors : SizeRule::per_count;
    std::vector<std::vector<std::int64_t>> sizes;
    for (Dim d : dims)
      sizes.push_back(opt_.space.whole[idx(d)] ? std::vector<std::int64_t>{layer_.dim(d)}
                                               : tile_sizes(layer_.dim(d), rule));
    std::vector<std::size_t> at(dims.size(), 0);
    while (true) {
      DimArray tile = layer_.dims;
      for (std::size_t i = 0; i < dims.size(); ++i)
        tile[idx(dims[i])] = sizes[i][at[i]];
      f(tile);
      std::size_t i = 0;
      while (i < dims.size() && ++at[i] == sizes[i].size())
        at[i++] = 0;
      if (i == dims.size()) return;
    }
  }

  // The inner search over a part of extents `e` of an outer tiling of
  // counts `n` (cached: parts of equal extents and equally cut layouts).
  const InnerSearch& inner(const DimArray& e, const DimArray& n) {
    sim::Cuts cuts = sim::NestChain::no_cuts();
    std::uint32_t cut_bits = 0;
    for (std::size_t o = 0; o < kNumOperands; ++o) {
      if (st_->level[0][o] != LoopNest::kNoMove) continue;
      for (std::size_t d = 0; d < kNumDims; ++d) {
        cuts[o][d] = n[d];
        if (n[d] > 1) cut_bits |= 1u << (o * kNumDims + d);
      }
    }
    auto& slot = inner_[{e, cut_bits}];
    if (slot) return *slot;
    slot = std::make_unique<InnerSearch>();
    slot->part = sim::sub_layer(layer_, e);
    slot->ctx = sim::make_context(model_.soc(), slot->part, unit_, inner_route_);
    slot->ctx.launch_cycles = 0;  // launched once, for the whole layer
    slot->ctx.tile_overhead = top_->tile_overhead;
    slot->ctx.outer_cuts = true;
    slot->ctx.cuts = cuts;
    slot->result = search_layer(model_, slot->ctx, inner_opt_);
    evaluated_ += slot->result.evaluated;
    pruned_ += slot->result.pruned;
    inner_proven_ = inner_proven_ && slot->result.proven;
    return *slot;
  }

  // Every order and buffering of one outer tile, each bounded first.
  void try_tile(const DimArray& tile) {
    sim::TileTerms grid;  // the outer grid (never tiling the window: no reason to check)
    sim::stages::make_grid(layer_, tile, grid);
    const auto& g = grid.grid;
    std::vector<const InnerSearch*> shapes;
    double inner_space = 0;
    bool found = true;
    sim::for_each_shape(g, [&](const DimArray& e, double) {
      const auto& s = inner(e, g.count);
      shapes.push_back(&s);
      inner_space += s.result.space_size;
      if (!s.result.found && reason_.empty()) reason_ = s.result.reason;
      found = found && s.result.found;
    });
    std::vector<std::array<Dim, kNumDims>> orders;
    outer_orders(g, orders);
    const auto bufferings = outer_bufferings();
    space_ += inner_space * static_cast<double>(orders.size() * bufferings.size());
    if (!found) return;
    const sim::InnerCosts given = [&](const DimArray& e) { return inner(e, g.count).result.cost; };
    Mapping m;
    m.unit = unit_;
    m.depth = 2;
    m.home = home_;
    m.nest(0).tile = g.tile;
    m.nest(0).level = st_->level[0];
    for (const auto& order : orders) {
      for (const auto& db : bufferings) {
        m.nest(0).order = order;
        m.nest(0).double_buffer = db;
        set_inner(m, shapes[0]->result.best);
        const Cost bound = model_.outer_bound(*top_, m, given);
        if (!bound.legal) {
          if (reason_.empty()) reason_ = bound.reason;
          continue;
        }
        const double lb = score(opt_.objective, bound);
        least_bound_ = std::min(least_bound_, lb);
        if (lb > best_score_ * (1 + kTolerance)) {
          ++pruned_;
          continue;
        }
        for (const auto* s : shapes) {
          set_inner(m, s->result.best);
          consider(m);
        }
      }
    }
  }

  // The orders of the outer nest's tiled dimensions (one when fixed).
  void outer_orders(const hw::TileGrid& g, std::vector<std::array<Dim, kNumDims>>& out) const {
    std::vector<Dim> tiled;
    for (Dim d : kAllDims) {
      if (g.count[idx(d)] > 1) tiled.push_back(d);
    }
    do {
      std::array<Dim, kNumDims> order{};
      std::size_t n = 0;
      for (Dim d : tiled)
        order[n++] = d;
      for (Dim d : kAllDims) {
        if (std::find(tiled.begin(), tiled.end(), d) == tiled.end()) order[n++] = d;
      }
      out.push_back(order);
    } while (std::next_permutation(tiled.begin(), tiled.end()));
  }

  // Single or double buffering of each operand the outer nest moves.
  std::vector<std::array<bool, kNumOperands>> outer_bufferings() const {
    if (opt_.space.fixed_buffering) return {*opt_.space.fixed_buffering};
    std::vector<std::array<bool, kNumOperands>> out = {{false, false, false}};
    for (std::size_t o = 0; o < kNumOperands; ++o) {
      if (st_->level[0][o] == LoopNest::kNoMove) continue;
      const auto n = out.size();
      for (std::size_t i = 0; i < n; ++i) {
        auto b = out[i];
        b[o] = true;
        out.push_back(b);
      }
    }
    return out;
  }

  void set_inner(Mapping& m, const Mapping& inner) const {
    m.nest(1) = inner.inner();
    m.nest(1).level = st_->level[1];
    m.unrolling = inner.unrolling;
  }

  void consider(const Mapping& m) {
    const Cost c = model_.evaluate(*top_, m);
    ++evaluated_;
    if (!c.legal) return;
    const double sc = score(opt_.objective, c);
    if (!found_ || sc < best_score_ || (sc == best_score_ && staged_less(m, best_))) {
      found_ = true;
      best_ = m;
      best_cost_ = c;
      best_score_ = sc;
    }
  }

  // Canonical order of staged mappings: larger outer tiles first, then the
  // outer order and buffering, then the inner nest's canonical order.
  bool staged_less(const Mapping& a, const Mapping& b) const {
    if (a.nest(0).tile != b.nest(0).tile) return a.nest(0).tile > b.nest(0).tile;
    if (a.nest(0).order != b.nest(0).order) return a.nest(0).order < b.nest(0).order;
    if (a.nest(0).double_buffer != b.nest(0).double_buffer)
      return a.nest(0).double_buffer < b.nest(0).double_buffer;
    Mapping ia, ib;
    ia.unit = a.unit;
    ib.unit = b.unit;
    ia.unrolling = a.unrolling;
    ib.unrolling = b.unrolling;
    ia.inner() = a.nest(1);
    ib.inner() = b.nest(1);
    return canonical_less(layer_, ia, ib);
  }

  LayerResult finish() {
    LayerResult r;
    r.strategy = "staged";
    r.evaluated = evaluated_;
    r.pruned = pruned_;
    r.space_size = space_;
    r.found = found_;
    if (!found_) {
      r.reason = reason_.empty() ? "no staged mapping fits the memories" : reason_;
      return r;
    }
    r.best = best_;
    r.cost = best_cost_;
    r.score = best_score_;
    r.pareto.push_back(
        {best_, best_cost_, best_cost_.bytes_held[static_cast<std::size_t>(top_->level[0])]});
    // Proven: every inner search proven and no outer choice's bound below
    // the best (the bound is exact in cycles, hence the latency objective).
    r.proven = opt_.objective == Objective::latency && inner_proven_ &&
               best_score_ <= least_bound_ * (1 + kTolerance);
    return r;
  }

  const sim::Analytical& model_;
  const Layer& layer_;
  int unit_;
  std::array<std::int8_t, kNumOperands> home_;
  const SearchOptions& opt_;
  SearchOptions inner_opt_;
  const sim::LayerContext* top_ = nullptr;
  const sim::Staging* st_ = nullptr;
  sim::Route inner_route_;
  std::map<std::pair<DimArray, std::uint32_t>, std::unique_ptr<InnerSearch>> inner_;
  bool found_ = false, inner_proven_ = true;
  Mapping best_;
  Cost best_cost_;
  double best_score_ = kInf, least_bound_ = kInf, space_ = 0;
  std::uint64_t evaluated_ = 0, pruned_ = 0;
  std::string reason_;
};

}  // namespace

LayerResult search_staged(const sim::Analytical& model, const Layer& layer, int unit,
                          const std::array<std::int8_t, kNumOperands>& home,
                          const SearchOptions& opt) {
  const hw::Soc& soc = model.soc();
  const auto route = sim::home_route(soc, unit, home);
  const auto top = sim::make_context(soc, layer, unit, route);
  LayerResult r;
  if (!top.runs_layer) {
    r.reason = top.unsupported_reason;
    return r;
  }
  const auto st = sim::staging(soc, route, has_weights(layer.op));
  if (st.why) {
    r.reason = st.why;
    return r;
  }
  if (st.depth == 1) {
    r = search_layer(model, top, opt);
    r.best.home = home;
    for (auto& p : r.pareto)
      p.mapping.home = home;
    return r;
  }
  if (st.depth > 2) {
    r.reason = "mappings of more than two loop nests are not searched yet";
    return r;
  }
  return StagedSearch(model, layer, unit, home, opt).run(top, st);
}

}  // namespace tessel::mappers
