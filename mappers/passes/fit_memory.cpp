#include <algorithm>
#include <cmath>
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
  const auto room = l.reserved == 0
                        ? fmt::format("{} B", l.capacity)
                        : fmt::format("{} B for tensors of its {} B", l.capacity, l.size());
  throw MappingError(fmt::format(
      "network '{}' does not fit {} ({}): the smallest memory plan tessel reached needs {} B "
      "there (at least {} B live at once){}",
      s.network, l.name, room, a.arena_bytes, a.lower_bound_bytes, tried));
}

void remap(NetworkState& st) {
  st.result.proven = true;  // build-schedule ANDs in the chosen searches
  for (const auto& pass :
       {slice_chains_pass(), split_layers_pass(), fuse_layers_pass(), assign_units_pass(),
        build_schedule_pass(), order_steps_pass(), plan_memory_pass()})
    pass->run(st);
}

// The layers whose weights may stream from the spill level, the least loss
// of the objective per byte of weights moved out first, with their searches
// resident and streamed (none when the weights' home does not overflow or
// there is no spill level). Leaves the state's homes and searches as they were.
struct WeightStreaming {
  std::vector<std::size_t> layers;
  std::vector<double> loss;  // per graph layer
  std::vector<std::vector<UnitSearch>> resident, streamed;
  double least_loss() const {
    return layers.empty() ? std::numeric_limits<double>::infinity() : loss[layers.front()];
  }
};

WeightStreaming weight_streaming(NetworkState& st) {
  const hw::Soc& soc = st.model.soc();
  const auto& layers = st.graph.layers();
  const int spill = soc.weights_spill;
  WeightStreaming ws;
  if (overflowing(soc, st.result.schedule) != soc.weights_home || spill < 0) return ws;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (has_weights(layers[i].op) && st.homes[i][idx(Operand::W)] == Mapping::kSocHome)
      ws.layers.push_back(i);
  }
  if (ws.layers.empty()) return ws;
  // The resident results, then every candidate searched with its weights streamed.
  std::vector<double> resident(layers.size());
  for (auto i : ws.layers)
    resident[i] = best_score(st, i);
  ws.resident = st.result.searches;
  st.searched.assign(layers.size(), false);
  for (auto i : ws.layers) {
    st.homes[i][idx(Operand::W)] = static_cast<std::int8_t>(spill);
    st.searched[i] = true;
  }
  search_layers_pass()->run(st);
  st.searched.clear();
  ws.streamed = st.result.searches;
  ws.loss.assign(layers.size(), 0);
  for (auto i : ws.layers) {
    ws.loss[i] = (best_score(st, i) - resident[i]) / static_cast<double>(layers[i].weight_bytes());
    st.homes[i][idx(Operand::W)] = Mapping::kSocHome;
  }
  st.result.searches = ws.resident;
  std::stable_sort(ws.layers.begin(), ws.layers.end(),
                   [&](std::size_t a, std::size_t b) { return ws.loss[a] < ws.loss[b]; });
  return ws;
}

// Phase 1: streams the weights of the layers that lose least per byte, as
// few as fit; all of them when nothing fits. Whether the plan fits.
bool stream_weights(NetworkState& st, const WeightStreaming& ws) {
  const hw::Soc& soc = st.model.soc();
  const int spill = soc.weights_spill;
  const auto& candidates = ws.layers;
  if (candidates.empty() || overflowing(soc, st.result.schedule) != soc.weights_home) return false;
  // Streams the first k and plans; whether the plan fits.
  auto fits_with = [&](std::size_t k) {
    for (std::size_t j = 0; j < candidates.size(); ++j) {
      const auto i = candidates[j];
      const bool streams = j < k;
      st.homes[i][idx(Operand::W)] = streams ? static_cast<std::int8_t>(spill) : Mapping::kSocHome;
      st.result.searches[i] = streams ? ws.streamed[i] : ws.resident[i];
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

// Per step, the bytes live at `level`.
std::vector<std::int64_t> live_bytes(const NetworkSchedule& s, int level) {
  std::vector<std::int64_t> live(s.steps.size(), 0);
  for (const auto& t : s.tensors) {
    if (t.level != level) continue;
    for (std::size_t k = t.first_step; k <= t.last_step && k < live.size(); ++k)
      live[k] += t.bytes;
  }
  return live;
}

// The step at which the live bytes at `level` peak (the first such).
std::size_t peak_step(const NetworkSchedule& s, int level) {
  const auto live = live_bytes(s, level);
  return static_cast<std::size_t>(std::max_element(live.begin(), live.end()) - live.begin());
}

// The largest activation at `level` live at the step where the level's live
// bytes peak (nullptr when none is).
const TensorPlacement* peak_activation(const NetworkSchedule& s, int level) {
  const std::size_t at = peak_step(s, level);
  const TensorPlacement* best = nullptr;
  for (const auto& t : s.tensors) {
    if (t.role == TensorPlacement::Role::activation && t.level == level && t.lives_at(at) &&
        (!best || t.bytes > best->bytes))
      best = &t;
  }
  return best;
}

// Bytes of a chain's intermediates, whole.
std::int64_t intermediate_bytes(const Graph& g, const Chain& c) {
  std::int64_t bytes = 0;
  for (std::size_t pos = 0; pos + 1 < c.layers.size(); ++pos)
    bytes += g.layer(c.layers[pos]).output_bytes();
  return bytes;
}

// Whether slicing alone might make `level` fit: every step over its
// capacity runs a layer of a chain whose intermediates are at least the
// excess (slicing saves less than them).
bool slicing_may_fit(const NetworkState& st, const std::vector<Chain>& chains, int level) {
  const auto& s = st.result.schedule;
  const auto cap = st.model.soc().levels[static_cast<std::size_t>(level)].capacity;
  const auto live = live_bytes(s, level);
  for (std::size_t k = 0; k < live.size(); ++k) {
    if (live[k] <= cap) continue;
    bool helps = false;
    for (const auto& c : chains) {
      for (const auto& part : s.steps[k].parts) {
        helps =
            helps || (std::find(c.layers.begin(), c.layers.end(), part.index) != c.layers.end() &&
                      intermediate_bytes(st.graph, c) >= live[k] - cap);
      }
    }
    if (!helps) return false;
  }
  return true;
}

// The chain to slice (further) for the peak at `step`: among the chains
// with a layer in the step that share no layer with another sliced chain,
// the one with the most intermediate bytes; nullptr when there is none.
const Chain* chain_at(const NetworkState& st, const std::vector<Chain>& chains, std::size_t step) {
  auto in = [](const Chain& c, std::size_t j) {
    return std::find(c.layers.begin(), c.layers.end(), j) != c.layers.end();
  };
  auto intermediates = [&](const Chain& c) { return intermediate_bytes(st.graph, c); };
  const Chain* best = nullptr;
  for (const auto& c : chains) {
    bool here = false, free = true;
    for (const auto& part : st.result.schedule.steps[step].parts)
      here = here || in(c, part.index);
    for (const auto& sc : st.sliced) {
      if (sc.chain.layers == c.layers) continue;
      for (auto j : sc.chain.layers)
        free = free && !in(c, j);
    }
    if (here && free && (!best || intermediates(c) > intermediates(*best))) best = &c;
  }
  return best;
}

// The objective's score of the current schedule.
double schedule_score(const NetworkState& st) {
  Cost c;
  c.cycles = st.result.schedule.cycles;
  c.energy = st.result.schedule.energy;
  return score(st.options.search.objective, c);
}

// Phase 0 (and again after phase 1): runs the chain at the peak of the
// activations' level in channel slices, the fewest that move the peak off
// it or make the level fit, chain after chain, while each slicing loses at
// most `max_loss_per_byte` of the objective per byte of arena saved.
// Whether the plan fits.
bool slice_chains(NetworkState& st, double max_loss_per_byte) {
  const hw::Soc& soc = st.model.soc();
  if (!st.options.partial_execution) return false;
  const auto chains = find_chains(st.graph);
  for (std::size_t round = 0; round <= 2 * st.graph.layers().size(); ++round) {
    const int over = overflowing(soc, st.result.schedule);
    if (over < 0) return true;
    if (over != soc.activations_home) return false;
    // Without a cheaper remedy to compare with, only when slicing can fit.
    if (std::isinf(max_loss_per_byte) && !slicing_may_fit(st, chains, over)) return false;
    const std::size_t at = peak_step(st.result.schedule, over);
    const Chain* c = chain_at(st, chains, at);
    if (!c) return false;
    const auto it = std::find_if(st.sliced.begin(), st.sliced.end(), [&](const SlicedChain& sc) {
      return sc.chain.layers == c->layers;
    });
    const auto pos = static_cast<std::size_t>(it - st.sliced.begin());
    const std::int64_t now = it == st.sliced.end() ? 1 : it->slices;
    const auto before = st.sliced;
    const auto peak = st.result.schedule.memory[static_cast<std::size_t>(over)].arena_bytes;
    const double score = schedule_score(st);
    std::vector<SlicedChain> kept = before;  // the last count that lowered the peak
    bool lowered = false, current = true;    // current: st.sliced is `kept`
    for (auto n : slice_counts(*c)) {
      if (n <= now) continue;
      auto trial = before;
      auto& sc =
          pos == trial.size() ? trial.emplace_back(SlicedChain{*c, n, {}, true}) : trial[pos];
      sc.slices = n;
      if (!slice_chain(st, sc)) continue;
      st.sliced = std::move(trial);
      remap(st);
      const auto& s = st.result.schedule;
      const auto arena = s.memory[static_cast<std::size_t>(over)].arena_bytes;
      current = arena < peak && (schedule_score(st) - score) / static_cast<double>(peak - arena) <=
                                    max_loss_per_byte;
      // A heuristic: more slices cost more and save at most (1 - 1/n) of the
      // intermediates, so once a count loses too much per byte, larger ones
      // are not tried.
      if (arena < peak && !current) break;
      if (current) {
        lowered = true;
        kept = st.sliced;
      }
      if (overflowing(soc, s) != over || chain_at(st, chains, peak_step(s, over)) != c) break;
    }
    if (!current) {
      st.sliced = kept;
      remap(st);
    }
    if (!lowered) return false;  // slicing this chain does not lower the peak cheaply enough
  }
  return overflowing(soc, st.result.schedule) < 0;
}

// The homes of a chain's intermediates (its producer's output, the inputs
// and outputs of the layers between, the consumer's input), per layer.
void set_intermediate_homes(NetworkState& st, const Chain& c, std::int8_t level) {
  for (std::size_t pos = 0; pos < c.layers.size(); ++pos) {
    auto& h = st.homes[c.layers[pos]];
    if (pos > 0) h[idx(Operand::I)] = level;
    if (pos + 1 < c.layers.size()) h[idx(Operand::O)] = level;
  }
}

// Whether some slice count might hold a chain's intermediates at `level`
// beside its input and output: the whole input, one slice of the
// intermediates, and the consumer's output at accumulator width.
bool slices_may_fit(const NetworkState& st, const Chain& c, int level) {
  const auto counts = slice_counts(c);
  if (counts.empty()) return false;
  const Layer& q = st.graph.layer(c.layers.back());
  const auto held = st.graph.layer(c.layers.front()).input_bytes() +
                    intermediate_bytes(st.graph, c) / counts.back() +
                    bytes_of(q.output_elems(), q.bits.accumulator) + q.output_bytes();
  return held <= st.model.soc().levels[static_cast<std::size_t>(level)].capacity;
}

// Phase 0: the chains whose intermediates had to move to the activations'
// spill level (a layer of theirs could not run with them at home) try to
// keep them home in channel slices instead: per chain, the fewest slices
// whose plan fits and is faster than the spill; else the chain stays spilled.
void slice_instead_of_spill(NetworkState& st) {
  const hw::Soc& soc = st.model.soc();
  const int home = soc.activations_home;
  if (soc.activations_spill < 0 || !st.options.partial_execution) return;
  for (const auto& c : find_chains(st.graph)) {
    const auto& h = st.homes[c.layers.front()];
    if (h[idx(Operand::O)] == Mapping::kSocHome || !slices_may_fit(st, c, home)) continue;
    const auto homes = st.homes;
    const auto before = st.sliced;
    const double score = schedule_score(st);
    bool kept = false;
    set_intermediate_homes(st, c, Mapping::kSocHome);
    for (auto n : slice_counts(c)) {
      st.sliced = before;
      auto& sc = st.sliced.emplace_back(SlicedChain{c, n, {}, true});
      if (!slice_chain(st, sc)) continue;
      remap(st);
      if (overflowing(soc, st.result.schedule) >= 0) continue;  // more slices may fit
      kept = schedule_score(st) < score;
      break;  // more slices cost more
    }
    if (kept) continue;
    st.homes = homes;
    st.sliced = before;
    remap(st);
  }
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
  if (overflowing(soc, st.result.schedule) < 0) slice_instead_of_spill(st);
  if (overflowing(soc, st.result.schedule) < 0) return;
  // Slicing first where it loses less per byte than streaming any weights.
  const auto ws = weight_streaming(st);
  if (slice_chains(st, ws.least_loss()) || stream_weights(st, ws)) return;
  if (slice_chains(st, std::numeric_limits<double>::infinity()) || spill_activations(st)) return;
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
