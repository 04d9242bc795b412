#include "mappers/search/annealing.hpp"

#include "mappers/search/registry.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "mappers/search/random.hpp"

namespace tessel::mappers {

AnnealingSearch::AnnealingSearch(const LayerMapSpace& space, std::uint64_t seed, Options options)
    : space_(space), rng_(seed), opt_(options) {}

Mapping AnnealingSearch::neighbour(const Mapping& from) {
  Mapping m = from;
  const Layer& l = *space_.context().layer;
  std::uniform_int_distribution<int> kind(0, 3);
  for (int attempt = 0; attempt < 8; ++attempt) {
    switch (kind(rng_)) {
      case 0: {  // a neighbouring tile size of one dimension
        const auto d = static_cast<std::size_t>(
            std::uniform_int_distribution<std::size_t>(0, kNumDims - 1)(rng_));
        const auto& s = space_.sizes(static_cast<Dim>(d));
        if (s.size() < 2) break;
        const auto it = std::find(s.begin(), s.end(), m.inner().tile[d]);
        auto i = static_cast<std::ptrdiff_t>(it - s.begin());
        i += (rng_() & 1u) ? 1 : -1;
        i = std::clamp<std::ptrdiff_t>(i, 0, static_cast<std::ptrdiff_t>(s.size()) - 1);
        m.inner().tile[d] = s[static_cast<std::size_t>(i)];
        // Keep tiled dims at the front of the order.
        std::stable_partition(m.inner().order.begin(), m.inner().order.end(),
                              [&](Dim x) { return m.inner().tile[idx(x)] < l.dim(x); });
        return m;
      }
      case 1: {  // swap two tiled loops
        if (space_.options().fixed_order) break;
        std::size_t nt = 0;
        for (Dim d : m.inner().order)
          nt += m.inner().tile[idx(d)] < l.dim(d);
        if (nt < 2) break;
        std::uniform_int_distribution<std::size_t> pick(0, nt - 1);
        std::swap(m.inner().order[pick(rng_)], m.inner().order[pick(rng_)]);
        return m;
      }
      case 2: {  // another buffering
        const auto& b = space_.bufferings();
        if (b.size() < 2) break;
        m.inner().double_buffer =
            b[std::uniform_int_distribution<std::size_t>(0, b.size() - 1)(rng_)];
        return m;
      }
      default: {  // another unrolling
        if (space_.unrollings() < 2) break;
        m.unrolling = std::uniform_int_distribution<int>(0, space_.unrollings() - 1)(rng_);
        return m;
      }
    }
  }
  return random_candidate(space_, rng_);
}

bool AnnealingSearch::ask(Mapping& m) {
  if (step_ >= opt_.budget) return false;
  ++step_;
  if (!have_current_ || since_best_ >= opt_.patience) {
    since_best_ = 0;
    have_current_ = false;
    m = random_candidate(space_, rng_);
  } else {
    m = neighbour(current_);
  }
  return true;
}

void AnnealingSearch::tell(const Mapping& m, const Cost& cost, double score) {
  ++since_best_;
  if (!cost.legal) return;
  if (!have_current_) {
    current_ = m;
    current_score_ = score;
    have_current_ = true;
    if (best_score_ == 0 || score < best_score_) best_score_ = score;
    return;
  }
  if (score < best_score_) {
    best_score_ = score;
    since_best_ = 0;
  }
  const double progress = static_cast<double>(step_) / static_cast<double>(opt_.budget);
  const double temp = opt_.t_start * std::pow(opt_.t_end / opt_.t_start, progress);
  const double loss = (score - current_score_) / std::max(current_score_, 1e-30);
  if (loss <= 0 ||
      std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < std::exp(-loss / temp)) {
    current_ = m;
    current_score_ = score;
  }
}

}  // namespace tessel::mappers

TESSEL_STRATEGY(annealing) {
  registry.add({"annealing",
                "simulated annealing, `budget` moves per layer and unit over 16 chains", false,
                [](const tessel::mappers::StrategyArgs& a) {
                  tessel::mappers::AnnealingSearch::Options o;
                  o.budget = a.budget;
                  return std::make_unique<tessel::mappers::AnnealingSearch>(a.space, a.seed, o);
                }});
}
