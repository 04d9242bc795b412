#include "mappers/layer_search.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>

#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "core/errors.hpp"
#include "mappers/search/annealing.hpp"
#include "mappers/search/exhaustive.hpp"
#include "mappers/search/random.hpp"

namespace tessel::mappers {

std::string_view strategy_name(Strategy s) {
  switch (s) {
    case Strategy::automatic:
      return "auto";
    case Strategy::exhaustive:
      return "exhaustive";
    case Strategy::random:
      return "random";
    case Strategy::annealing:
      return "annealing";
    case Strategy::heuristic:
      return "heuristic";
  }
  return "?";
}

Strategy parse_strategy(std::string_view text) {
  for (auto s :
       {Strategy::automatic, Strategy::exhaustive, Strategy::random, Strategy::annealing}) {
    if (text == strategy_name(s)) return s;
  }
  throw ConfigError(
      fmt::format("unknown search strategy '{}' (auto, exhaustive, random, annealing)", text));
}

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
  Strategy strategy = opt.strategy;
  if (strategy == Strategy::heuristic)
    throw ConfigError("search_layer runs auto, exhaustive, random or annealing searches");
  if (strategy == Strategy::automatic)
    strategy = res.space_size <= opt.exhaustive_limit ? Strategy::exhaustive : Strategy::annealing;
  res.strategy = strategy;
  std::mutex sink;

  // A deterministic first incumbent from a seeded sample, shared by all
  // chunks so that branch and bound prunes from the start.
  double incumbent = kInf;
  Part probe;
  if (strategy == Strategy::exhaustive) {
    sim::CachedEvaluator eval(model, ctx);
    RandomSearch sample(space, opt.seed, kProbeSamples);
    SearchOptions quiet = opt;
    quiet.on_candidate = nullptr;
    run(sample, eval, ctx, quiet, sink, probe);
    incumbent = probe.score;
  }

  const std::size_t chunks = strategy == Strategy::exhaustive
                                 ? static_cast<std::size_t>(std::min<std::uint64_t>(
                                       space.tile_combos(), kExhaustiveChunks))
                                 : kSampleChains;
  std::vector<Part> parts(chunks);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, chunks, 1), [&](const auto& range) {
    for (std::size_t c = range.begin(); c != range.end(); ++c) {
      Part& part = parts[c];
      sim::CachedEvaluator eval(model, ctx);
      std::unique_ptr<SearchStrategy> s;
      const std::uint64_t seed = opt.seed * 1000003u + c + 1;
      const std::uint64_t share = opt.budget / chunks + (c < opt.budget % chunks ? 1 : 0);
      if (strategy == Strategy::exhaustive) {
        const auto combos = space.tile_combos();
        const auto begin = combos * c / chunks, end = combos * (c + 1) / chunks;
        TilePrune prune;
        if (opt.exact_pareto) {
          prune = [&part, &ctx](const sim::TileTerms& t) {
            ParetoPoint lb;
            lb.cost.cycles = t.min_cycles;
            lb.cost.energy = t.min_energy;
            lb.unit_bytes = t.extra_bytes;
            for (std::size_t o = 0; o < kNumOperands; ++o) {
              if (ctx.moved[o] && ctx.level[o] == ctx.level[0]) lb.unit_bytes += t.bytes[o];
            }
            for (const auto& q : part.front) {
              if (weakly_dominates(q, lb)) return true;
            }
            return false;
          };
        } else {
          prune = [&part, incumbent, &opt](const sim::TileTerms& t) {
            const double bound = score_bound(opt.objective, t.min_cycles, t.min_energy);
            return bound > std::min(incumbent, part.score) * (1 + 1e-9);
          };
        }
        s = std::make_unique<ExhaustiveSearch>(space, eval, std::move(prune), begin, end);
      } else if (strategy == Strategy::random) {
        s = std::make_unique<RandomSearch>(space, seed, share);
      } else {
        AnnealingSearch::Options ao;
        ao.budget = share;
        s = std::make_unique<AnnealingSearch>(space, seed, ao);
      }
      run(*s, eval, ctx, opt, sink, part);
    }
  });

  // Merge in chunk order: the result is the same whatever ran where.
  std::vector<ParetoPoint> points = probe.front;
  res.evaluated = probe.evaluated;
  bool complete = true;
  for (const auto& part : parts) {
    res.evaluated += part.evaluated;
    res.pruned += part.pruned;
    complete = complete && part.exhaustive;
    points.insert(points.end(), part.front.begin(), part.front.end());
    if (!part.found) continue;
    if (!res.found || part.score < res.score ||
        (part.score == res.score && canonical_less(*ctx.layer, part.best, res.best))) {
      res.found = true;
      res.best = part.best;
      res.cost = part.cost;
      res.score = part.score;
    }
  }
  if (probe.found &&
      (!res.found || probe.score < res.score ||
       (probe.score == res.score && canonical_less(*ctx.layer, probe.best, res.best)))) {
    res.found = true;
    res.best = probe.best;
    res.cost = probe.cost;
    res.score = probe.score;
  }
  std::sort(points.begin(), points.end(), [&](const ParetoPoint& a, const ParetoPoint& b) {
    if (a.cost.cycles != b.cost.cycles) return a.cost.cycles < b.cost.cycles;
    if (a.cost.energy != b.cost.energy) return a.cost.energy < b.cost.energy;
    if (a.unit_bytes != b.unit_bytes) return a.unit_bytes < b.unit_bytes;
    return canonical_less(*ctx.layer, a.mapping, b.mapping);
  });
  for (const auto& p : points) {
    bool dominated = false;
    for (const auto& q : res.pareto)
      dominated = dominated || weakly_dominates(q, p);
    if (!dominated) res.pareto.push_back(p);
  }
  res.proven = strategy == Strategy::exhaustive && complete;
  if (!res.found) res.reason = "no mapping fits the unit's memories";
  return res;
}

}  // namespace tessel::mappers
