// A multi-start hill climb over tile sizes: the smallest complete example of
// a search strategy, registered from this file alone (docs/architecture.md,
// "Search strategies").

#include <cmath>
#include <limits>
#include <memory>
#include <random>

#include "mappers/search/random.hpp"
#include "mappers/search/registry.hpp"

namespace tessel::mappers {
namespace {

constexpr double kWorst = std::numeric_limits<double>::infinity();

// From a random candidate, tries every neighbour that moves one dimension's
// tile to the next larger or smaller candidate size (order, buffering and
// unrolling kept); moves to the best neighbour while it improves, and starts
// again from a new random candidate at a local optimum, until `budget`
// candidates were proposed. Never proves anything.
class HillClimb final : public SearchStrategy {
 public:
  HillClimb(const LayerMapSpace& space, std::uint64_t seed, std::uint64_t budget)
      : space_(space), rng_(seed), left_(budget) {}

  bool ask(Mapping& m) override {
    if (left_ == 0) return false;
    --left_;
    if (!started_) {
      m = random_candidate(space_, rng_);
      started_ = true;
      current_ = m;
      current_score_ = kWorst;
      next_ = 0;
      return true;
    }
    while (next_ < 2 * kNumDims) {
      Mapping n = current_;
      if (step(n, next_++)) {
        m = n;
        return true;
      }
    }
    // Every neighbour was told: move to the best one, or restart.
    if (best_score_ < current_score_) {
      current_ = best_;
      current_score_ = best_score_;
    } else {
      started_ = false;
    }
    best_score_ = kWorst;
    next_ = 0;
    ++left_;  // nothing was proposed
    return ask(m);
  }

  void tell(const Mapping& m, const Cost&, double score) override {
    if (m == current_) {
      current_score_ = score;
    } else if (score < best_score_) {
      best_ = m;
      best_score_ = score;
    }
  }

  bool exhaustive() const override { return false; }

 private:
  // Neighbour k of the current candidate: dimension k / 2 one size smaller
  // (k even) or larger (k odd); false when there is no such size.
  bool step(Mapping& m, std::size_t k) const {
    const auto d = static_cast<Dim>(k / 2);
    const auto& sizes = space_.sizes(d);  // descending
    auto& t = m.inner().tile[idx(d)];
    std::size_t at = 0;
    while (at < sizes.size() && sizes[at] != t)
      ++at;
    if (at == sizes.size()) return false;
    const bool smaller = k % 2 == 0;
    if (smaller ? at + 1 >= sizes.size() : at == 0) return false;
    t = sizes[smaller ? at + 1 : at - 1];
    return true;
  }

  const LayerMapSpace& space_;
  std::mt19937_64 rng_;
  std::uint64_t left_;
  bool started_ = false;
  Mapping current_, best_;
  double current_score_ = kWorst, best_score_ = kWorst;
  std::size_t next_ = 0;
};

}  // namespace
}  // namespace tessel::mappers

TESSEL_STRATEGY(hillclimb) {
  registry.add({"hillclimb",
                "multi-start hill climb over tile sizes, `budget` candidates per layer and unit",
                false, [](const tessel::mappers::StrategyArgs& a) {
                  return std::make_unique<tessel::mappers::HillClimb>(a.space, a.seed, a.budget);
                }});
}
