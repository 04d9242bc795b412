#include "mappers/layer_search.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>

#include <fmt/format.h>

#include "core/errors.hpp"
#include "core/parallel.hpp"
#include "mappers/search/random.hpp"
#include "mappers/search/registry.hpp"
#include "sim/stages.hpp"

namespace tessel::mappers {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::size_t kExhaustiveChunks = 64;  // fixed: results never depend on threads
constexpr std::size_t kSampleChains = 16;
constexpr std::uint64_t kProbeSamples = 512;

bool weakly_dominates(const ParetoPoint& a, const ParetoPoint& b) {
  return a.cost.cycles <= b.cost.cycles && a.cost.energy <= b.cost.energy &&
         a.unit_bytes <= b.unit_bytes;
}

// Adds a point to a front unless a point already there is at least as good
// in all three measures; drops the points it dominates.
void insert(std::vector<ParetoPoint>& front, const ParetoPoint& p) {
  for (const auto& q : front) {
    if (weakly_dominates(q, p)) return;
  }
  std::erase_if(front, [&](const ParetoPoint& q) { return weakly_dominates(p, q); });
  front.push_back(p);
}

// What one chunk of the space found.
struct Part {
  bool found = false;
  Mapping best;
  Cost cost;
  double score = kInf;
  std::vector<ParetoPoint> front;
  std::uint64_t evaluated = 0, pruned = 0;
  bool exhaustive = true, cancelled = false;
};

// Runs one strategy to completion, keeping the best (canonical on ties) and
// the Pareto front of what it evaluated.
void run(SearchStrategy& strategy, sim::CachedEvaluator& eval, const sim::LayerContext& ctx,
         const SearchOptions& opt, std::mutex& sink, Part& part) {
  const Layer& layer = *ctx.layer;
  Mapping m;
  while (strategy.ask(m)) {
    if (opt.cancel && (part.evaluated & 1023u) == 0 &&
        opt.cancel->load(std::memory_order_relaxed)) {
      part.cancelled = true;
      break;
    }
    const Cost c = eval.evaluate(m);
    ++part.evaluated;
    const double sc = c.legal ? score(opt.objective, c) : kInf;
    strategy.tell(m, c, sc);
    if (!c.legal) continue;
    if (opt.on_candidate) {
      std::lock_guard lock(sink);
      opt.on_candidate(m, c);
    }
    if (!part.found || sc < part.score ||
        (sc == part.score && canonical_less(layer, m, part.best))) {
      part.found = true;
      part.best = m;
      part.cost = c;
      part.score = sc;
    }
    insert(part.front, {m, c, c.bytes_held[static_cast<std::size_t>(ctx.level[0])]});
  }
  part.pruned += strategy.pruned();
  part.exhaustive = strategy.exhaustive() && !part.cancelled;
}

// The driver's tile oracle for one chunk: a tile is skipped when its terms
// say it is illegal, or when its lower bounds cannot beat the incumbent (the
// probe's and the chunk's own best) or, for the exact Pareto front, are
// dominated by the chunk's front.
class ChunkOracle final : public TileOracle {
 public:
  ChunkOracle(sim::CachedEvaluator& eval, const sim::LayerContext& ctx, const SearchOptions& opt,
              const Part& part, double incumbent)
      : eval_(eval), ctx_(ctx), opt_(opt), part_(part), incumbent_(incumbent) {}

  bool skip(const DimArray& tile, int unrolling) override {
    const auto& t = eval_.terms(tile, unrolling);
    if (!t.legal) return true;
    return opt_.exact_pareto ? dominated(t) : bound_loses(t);
  }

 private:
  bool bound_loses(const sim::TileTerms& t) const {
    const double bound = score_bound(opt_.objective, t.min_cycles, t.min_energy);
    return bound > std::min(incumbent_, part_.score) * (1 + 1e-9);
  }
  bool dominated(const sim::TileTerms& t) const {
    ParetoPoint lb;
    lb.cost.cycles = t.min_cycles;
    lb.cost.energy = t.min_energy;
    lb.unit_bytes = t.extra_bytes;
    for (std::size_t o = 0; o < kNumOperands; ++o) {
      if (ctx_.moved[o] && ctx_.level[o] == ctx_.level[0]) lb.unit_bytes += t.bytes[o];
    }
    for (const auto& q : part_.front) {
      if (weakly_dominates(q, lb)) return true;
    }
    return false;
  }
  sim::CachedEvaluator& eval_;
  const sim::LayerContext& ctx_;
  const SearchOptions& opt_;
  const Part& part_;
  double incumbent_;
};

// The strategy `auto` stands for on a space of `size` candidates.
const StrategyInfo& resolve(const SearchOptions& opt, double size) {
  check_strategy(opt.strategy);
  const std::string_view name = opt.strategy != kAutoStrategy  ? std::string_view(opt.strategy)
                                : size <= opt.exhaustive_limit ? "exhaustive"
                                                               : "annealing";
  const StrategyInfo* s = strategies().find(name);
  if (!s)
    throw ConfigError(fmt::format("search strategy '{}' (the rule of '{}') is not built in ({})",
                                  name, kAutoStrategy, strategy_names()));
  return *s;
}

// Keeps `b` in `a` when it is better (canonical on ties).
void keep_best(const Layer& layer, LayerResult& a, const Part& b) {
  if (!b.found) return;
  if (!a.found || b.score < a.score ||
      (b.score == a.score && canonical_less(layer, b.best, a.best))) {
    a.found = true;
    a.best = b.best;
    a.cost = b.cost;
    a.score = b.score;
  }
}

// The front of all the points, sorted by cycles (then energy, bytes, mapping).
std::vector<ParetoPoint> merged_front(const Layer& layer, std::vector<ParetoPoint> points) {
  std::sort(points.begin(), points.end(), [&](const ParetoPoint& a, const ParetoPoint& b) {
    if (a.cost.cycles != b.cost.cycles) return a.cost.cycles < b.cost.cycles;
    if (a.cost.energy != b.cost.energy) return a.cost.energy < b.cost.energy;
    if (a.unit_bytes != b.unit_bytes) return a.unit_bytes < b.unit_bytes;
    return canonical_less(layer, a.mapping, b.mapping);
  });
  std::vector<ParetoPoint> front;
  for (const auto& p : points) {
    bool dominated = false;
    for (const auto& q : front)
      dominated = dominated || weakly_dominates(q, p);
    if (!dominated) front.push_back(p);
  }
  return front;
}

// The operands of the layer whose tiles (at_home: whole tensors) are held at
// `lvl`, with their bytes, e.g. "weights 'conv1.weight' 147,456 B, input 3,072 B".
std::string operands_at(const sim::LayerContext& ctx, int lvl, bool at_home,
                        const std::array<std::int64_t, kNumOperands>& bytes) {
  static constexpr const char* kNames[] = {"input", "weights", "output"};
  std::string out;
  for (std::size_t o = 0; o < kNumOperands; ++o) {
    const int at = at_home ? ctx.home[o] : ctx.level[o];
    if (!ctx.present[o] || at != lvl || (!at_home && !ctx.moved[o])) continue;
    if (!out.empty()) out += ", ";
    out += kNames[o];
    if (o == sim::stages::kW && !ctx.layer->weights.empty())
      out += fmt::format(" '{}'", ctx.layer->weights);
    out += fmt::format(" {} B", bytes[o]);
  }
  return out;
}

// Why no mapping of the pair fits its memories, naming the level, the
// operands and their bytes: the layer's whole tensors at their home level,
// or else the smallest tiles (one element of every dimension but the kernel
// window, single-buffered) at the unit's level.
std::string no_fit_reason(const sim::Analytical& model, const sim::LayerContext& ctx) {
  const Layer& l = *ctx.layer;
  const auto& levels = ctx.soc->levels;
  const auto level_name = [&](int lvl) { return levels[static_cast<std::size_t>(lvl)].name; };
  const auto capacity = [&](int lvl) { return ctx.capacity[static_cast<std::size_t>(lvl)]; };
  const std::array<std::int64_t, kNumOperands> whole = {l.input_bytes(), l.weight_bytes(),
                                                        l.output_bytes()};
  for (int lvl = 0; lvl < ctx.levels; ++lvl) {
    const auto held = ctx.home_bytes[static_cast<std::size_t>(lvl)];
    if (held > capacity(lvl))
      return fmt::format(
          "the layer's tensors at their home {} ({}) take {} B, more than the {} B it has for "
          "tensors",
          level_name(lvl), operands_at(ctx, lvl, true, whole), held, capacity(lvl));
  }
  DimArray smallest{};
  smallest.fill(1);
  smallest[idx(Dim::FY)] = l.dim(Dim::FY);
  smallest[idx(Dim::FX)] = l.dim(Dim::FX);
  const auto tt = model.tile_terms(ctx, smallest, 0, false);
  for (int lvl = 0; lvl < ctx.levels; ++lvl) {
    const auto held = tt.held[static_cast<std::size_t>(lvl)];
    if (held <= capacity(lvl)) continue;
    std::string what = operands_at(ctx, lvl, false, tt.bytes);
    const auto add = [&](std::string_view name, std::int64_t bytes) {
      if (bytes > 0) what += fmt::format("{}{} {} B", what.empty() ? "" : ", ", name, bytes);
    };
    if (lvl == ctx.level[sim::stages::kI]) add("unit scratch", tt.extra_bytes);
    add("whole tensors homed there", ctx.home_bytes[static_cast<std::size_t>(lvl)]);
    return fmt::format(
        "even the smallest tiles need {} B at {} ({}), more than the {} B it has for tensors", held,
        level_name(lvl), what, capacity(lvl));
  }
  return tt.legal ? "no mapping fits the unit's memories"
                  : std::string("no mapping is legal: ") + tt.reason;
}

}  // namespace

LayerResult search_layer(const sim::Analytical& model, const sim::LayerContext& ctx,
                         const SearchOptions& opt) {
  LayerResult res;
  if (!ctx.supported) {
    res.reason = ctx.unsupported_reason;
    return res;
  }
  const LayerMapSpace space(ctx, opt.space);
  res.space_size = space.size();
  const StrategyInfo& strategy = resolve(opt, res.space_size);
  res.strategy = strategy.name;
  std::mutex sink;

  // A deterministic first incumbent from a seeded sample, shared by all
  // chunks so that branch and bound prunes from the start.
  Part probe;
  if (strategy.exhaustive) {
    sim::CachedEvaluator eval(model, ctx);
    RandomSearch sample(space, opt.seed, kProbeSamples);
    SearchOptions quiet = opt;
    quiet.on_candidate = nullptr;
    run(sample, eval, ctx, quiet, sink, probe);
  }
  const double incumbent =
      std::min(probe.found ? probe.score : kInf, opt.exact_pareto ? kInf : opt.cutoff);

  // Fixed chunks, so the result is the same whatever ran where: slices of the
  // tile combinations for an exhaustive strategy, sampling chains otherwise.
  const auto combos = space.tile_combos();
  const std::size_t chunks =
      strategy.exhaustive
          ? static_cast<std::size_t>(std::min<std::uint64_t>(combos, kExhaustiveChunks))
          : kSampleChains;
  std::vector<Part> parts(chunks);
  parallel_for_index(chunks, [&](std::size_t c) {
    Part& part = parts[c];
    sim::CachedEvaluator eval(model, ctx);
    ChunkOracle oracle(eval, ctx, opt, part, incumbent);
    const StrategyArgs args{space,
                            opt.seed * 1000003u + c + 1,
                            opt.budget / chunks + (c < opt.budget % chunks ? 1 : 0),
                            combos * c / chunks,
                            combos * (c + 1) / chunks,
                            &oracle};
    const auto s = strategy.make(args);
    run(*s, eval, ctx, opt, sink, part);
  });

  // Merge in chunk order.
  std::vector<ParetoPoint> points = probe.front;
  res.evaluated = probe.evaluated;
  bool complete = true;
  for (const auto& part : parts) {
    res.evaluated += part.evaluated;
    res.pruned += part.pruned;
    complete = complete && part.exhaustive;
    points.insert(points.end(), part.front.begin(), part.front.end());
    keep_best(*ctx.layer, res, part);
  }
  keep_best(*ctx.layer, res, probe);
  res.pareto = merged_front(*ctx.layer, std::move(points));
  res.proven = strategy.exhaustive && complete;
  if (!res.found)
    res.reason = opt.cutoff < kInf && !opt.exact_pareto ? "no mapping scores below the cutoff"
                                                        : no_fit_reason(model, ctx);
  return res;
}

}  // namespace tessel::mappers
