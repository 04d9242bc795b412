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

// Phase 1: streams the weights of the layers that lose least per byte, as
// few as fit; all of them when nothing fits. Whether the plan fits.
bool stream_weights(NetworkState& st) {
  const hw::Soc& soc = st.model.soc();
  const auto& layers = st.graph.layers();
  const int spill = soc.weights_spill;
  std::vector<std::size_t> candidates;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (has_weights(layers[i].op) && st.homes[i][idx(Operand::W)] == Mapping::kSocHome)
      candidates.push_back(i);
  }
  if (overflowing(soc, st.result.schedule) != soc.weights_home || spill < 0 || candidates.empty())
    return false;
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
  if (!fits_with(candidates.size())) return false;
  std::size_t lo = 0, hi = candidates.size();  // hi fits, lo (k = 0: none streamed) does not
  while (hi - lo > 1) {
    const std::size_t mid = lo + (hi - lo) / 2;
    (fits_with(mid) ? hi : lo) = mid;
  }
  return fits_with(hi);
}

// The largest activation at `level` live at the step where the level's live
// bytes peak (nullptr when none is).
const TensorPlacement* peak_activation(const NetworkSchedule& s, int level) {
  std::size_t peak_step = 0;
  std::int64_t peak = -1;
  for (std::size_t k = 0; k < s.steps.size(); ++k) {
    std::int64_t live = 0;
    for (const auto& t : s.tensors) {
      if (t.level == level && t.lives_at(k)) live += t.bytes;
    }
    if (live > peak) {
      peak = live;
      peak_step = k;
    }
  }
  const TensorPlacement* best = nullptr;
  for (const auto& t : s.tensors) {
    if (t.role == TensorPlacement::Role::activation && t.level == level && t.lives_at(peak_step) &&
        (!best || t.bytes > best->bytes))
      best = &t;
  }
  return best;
}

// Phase 2: moves activations to the SoC's activation spill level, the
// largest live at the peak first, until the plan fits. Whether it does.
bool spill_activations(NetworkState& st) {
  const hw::Soc& soc = st.model.soc();
  const int home = soc.activations_home;
  const auto spill = static_cast<std::int8_t>(soc.activations_spill);
  for (std::size_t round = 0; round <= st.graph.layers().size(); ++round) {
    const int over = overflowing(soc, st.result.schedule);
    if (over < 0) return true;
    if (over != home || spill < 0) return false;
    const auto* t = peak_activation(st.result.schedule, home);
    if (!t) return false;
    st.searched.assign(st.graph.layers().size(), false);
    move_activation(st, t->name, spill, st.searched);
    search_layers_pass()->run(st);
    st.searched.clear();
    remap(st);
  }
  return overflowing(soc, st.result.schedule) < 0;
}

}  // namespace

void move_activation(NetworkState& st, const std::string& name, std::int8_t spill,
                     std::vector<bool>& touched) {
  const auto& layers = st.graph.layers();
  std::vector<std::string> todo = {name};
  std::vector<std::string> moved;
  while (!todo.empty()) {
    const auto x = todo.back();
    todo.pop_back();
    if (std::find(moved.begin(), moved.end(), x) != moved.end()) continue;
    moved.push_back(x);
    for (std::size_t i = 0; i < layers.size(); ++i) {
      const Layer& l = layers[i];
      if (l.output == x) {
        st.homes[i][idx(Operand::O)] = spill;
        touched[i] = true;
      }
      if (std::find(l.inputs.begin(), l.inputs.end(), x) == l.inputs.end()) continue;
      st.homes[i][idx(Operand::I)] = spill;
      touched[i] = true;
      for (const auto& other : l.inputs)
        todo.push_back(other);
    }
  }
}

void fit_memory(NetworkState& st) {
  const hw::Soc& soc = st.model.soc();
  if (overflowing(soc, st.result.schedule) < 0) return;
  if (stream_weights(st) || spill_activations(st)) return;
  const int over = overflowing(soc, st.result.schedule);
  std::string tried;
  if (soc.weights_spill >= 0)
    tried += fmt::format(" with the weights streamed from {}",
                         soc.levels[static_cast<std::size_t>(soc.weights_spill)].name);
  if (soc.activations_spill >= 0)
    tried += fmt::format("{} activations moved to {}", tried.empty() ? " with" : " and",
                         soc.levels[static_cast<std::size_t>(soc.activations_spill)].name);
  if (tried.empty()) tried = "; the SoC has no level to stream from (memories[].holds)";
  refuse(soc, st.result.schedule, over, tried);
}

}  // namespace tessel::mappers
