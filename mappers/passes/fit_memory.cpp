#include <algorithm>
#include <numeric>

#include <fmt/format.h>

#include "core/errors.hpp"
#include "mappers/passes/pass.hpp"

// Fitting the memory plan (docs/memory.md, "Fitting"): a network whose
// plan overflows the weights' home streams weights from the SoC's spill
// level, the layers in order of the least loss per byte, as few as fit.
namespace tessel::mappers {
namespace {

// The first level whose arena exceeds its capacity, or -1.
int overflowing(const hw::Soc& soc, const NetworkSchedule& s) {
  for (const auto& a : s.memory) {
    if (a.arena_bytes > soc.levels[static_cast<std::size_t>(a.level)].capacity) return a.level;
  }
  return -1;
}

// The best score of a layer's searches (any unit).
double best_score(const NetworkState& st, std::size_t layer) {
  double best = std::numeric_limits<double>::infinity();
  for (const auto& us : st.result.searches[layer])
    best = std::min(best, us.result->score);
  return best;
}

[[noreturn]] void refuse(const hw::Soc& soc, const NetworkSchedule& s, int level,
                         const std::string& tried) {
  const auto& a = s.memory[static_cast<std::size_t>(level)];
  const auto& l = soc.levels[static_cast<std::size_t>(level)];
  throw MappingError(fmt::format(
      "network '{}' does not fit {} ({} B): the smallest memory plan tessel reached needs {} B "
      "there (at least {} B live at once){}",
      s.network, l.name, l.capacity, a.arena_bytes, a.lower_bound_bytes, tried));
}

void remap(NetworkState& st) {
  st.result.proven = true;  // build-schedule ANDs in the chosen searches
  for (const auto& pass :
       {assign_units_pass(), build_schedule_pass(), order_steps_pass(), plan_memory_pass()})
    pass->run(st);
}

}  // namespace

void fit_memory(NetworkState& st) {
  const hw::Soc& soc = st.model.soc();
  int over = overflowing(soc, st.result.schedule);
  if (over < 0) return;
  const auto& layers = st.graph.layers();
  const int spill = soc.weights_spill;
  std::vector<std::size_t> candidates;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (has_weights(layers[i].op) && st.homes[i][idx(Operand::W)] == Mapping::kSocHome)
      candidates.push_back(i);
  }
  if (over != soc.weights_home || spill < 0 || candidates.empty())
    refuse(soc, st.result.schedule, over,
           spill < 0 ? "; the SoC has no level to stream weights from (memories[].holds)" : "");
  // The resident results, then every candidate searched with its weights streamed.
  std::vector<double> resident(layers.size());
  for (auto i : candidates)
    resident[i] = best_score(st, i);
  auto resident_searches = st.result.searches;
  st.searched.assign(layers.size(), false);
  for (auto i : candidates) {
    st.homes[i][idx(Operand::W)] = static_cast<std::int8_t>(spill);
    st.searched[i] = true;
  }
  search_layers_pass()->run(st);
  st.searched.clear();
  auto streamed_searches = st.result.searches;
  // Least loss of the objective per byte of weights moved out first.
  std::vector<double> loss(layers.size());
  for (auto i : candidates)
    loss[i] = (best_score(st, i) - resident[i]) / static_cast<double>(layers[i].weight_bytes());
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](std::size_t a, std::size_t b) { return loss[a] < loss[b]; });
  // Streams the first k and plans; whether the plan fits.
  auto fits_with = [&](std::size_t k) {
    for (std::size_t j = 0; j < candidates.size(); ++j) {
      const auto i = candidates[j];
      const bool streams = j < k;
      st.homes[i][idx(Operand::W)] = streams ? static_cast<std::int8_t>(spill) : Mapping::kSocHome;
      st.result.searches[i] = streams ? streamed_searches[i] : resident_searches[i];
    }
    remap(st);
    return overflowing(soc, st.result.schedule) < 0;
  };
  // The least k whose plan fits, by bisection: streaming more weights frees
  // their bytes for the whole run, so the arena falls with k but for the
  // weight buffers the streamed layers hold during their own steps.
  if (!fits_with(candidates.size()))
    refuse(soc, st.result.schedule, overflowing(soc, st.result.schedule),
           fmt::format(" with the weights of every layer streamed from {}",
                       soc.levels[static_cast<std::size_t>(spill)].name));
  std::size_t lo = 0, hi = candidates.size();  // hi fits, lo (k = 0: none streamed) does not
  while (hi - lo > 1) {
    const std::size_t mid = lo + (hi - lo) / 2;
    (fits_with(mid) ? hi : lo) = mid;
  }
  fits_with(hi);  // the schedule of the least k that fits
}

}  // namespace tessel::mappers
