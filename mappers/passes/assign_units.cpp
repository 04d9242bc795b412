#include <algorithm>
#include <map>

#include "mappers/passes/pass.hpp"

// The network pass that chooses every layer's unit: the assignment that
// minimises the network objective, layout conversions between units
// included, by dynamic programming over the graph's live frontier (the
// layers whose outputs are still to be read fix the conversions ahead).
namespace tessel::mappers {
namespace {

// The cost of one choice in the assignment: what the objective adds up.
struct Weights {
  double cycles = 1, energy = 0;
};

// Per layer, the last layer that reads its output (itself when none does).
std::vector<std::size_t> last_uses(const Graph& graph) {
  std::vector<std::size_t> last(graph.layers().size());
  for (std::size_t i = 0; i < last.size(); ++i) {
    last[i] = i;
    for (auto c : graph.consumers(i))
      last[i] = std::max(last[i], c);
  }
  return last;
}

// Whether choice k of layer j keeps the fused groups whole, given the
// choices of the frontier (`chosen`): a group's layer after its first follows
// the group's layer before it, and one before its last is followed by its next.
template <class Chosen>
bool keeps_groups(const NetworkState& st, std::size_t j, std::size_t k, const Chosen& chosen) {
  const FusedMember* m = member_of(st, j, k);
  if (m && m->position > 0) {
    const auto before = st.fused[m->option].layers[m->position - 1];
    const FusedMember* b = member_of(st, before, chosen(before));
    if (!b || b->option != m->option) return false;
  }
  for (auto p : st.graph.producers(j)) {
    const FusedMember* b = member_of(st, p, chosen(p));
    if (!b) continue;
    const auto& group = st.fused[b->option].layers;
    const bool next = b->position + 1 < group.size() && group[b->position + 1] == j;
    if (next && (!m || m->option != b->option)) return false;
  }
  return true;
}

// The choice per layer minimising w.cycles x cycles + w.energy x energy.
// A state is the choices of the frontier layers; per step, each state keeps
// its cheapest history.
std::vector<std::size_t> assign(const NetworkState& st, const Weights& w) {
  const auto& layers = st.graph.layers();
  const hw::Soc& soc = st.model.soc();
  const auto last_use = last_uses(st.graph);
  struct Entry {
    double cost;
    std::size_t prev;  // state index at the previous step
    std::size_t choice;
  };
  using State = std::vector<std::size_t>;  // choices of the frontier layers
  std::vector<std::size_t> frontier;       // layers live after the current step
  std::vector<std::map<State, std::size_t>> index(layers.size() + 1);
  std::vector<std::vector<Entry>> table(layers.size() + 1);
  index[0][State{}] = 0;
  table[0].push_back({0, 0, 0});
  auto choice_of = [&](const State& state, std::size_t layer) {
    const auto pos = std::find(frontier.begin(), frontier.end(), layer) - frontier.begin();
    return state[static_cast<std::size_t>(pos)];
  };
  for (std::size_t j = 0; j < layers.size(); ++j) {
    std::vector<std::size_t> next;
    for (auto f : frontier) {
      if (last_use[f] > j) next.push_back(f);
    }
    if (last_use[j] > j) next.push_back(j);
    const auto producers = st.graph.producers(j);
    for (const auto& entry : index[j]) {
      const auto& [state_ref, si] = entry;
      const auto& state = state_ref;  // a plain reference: clang 14 cannot capture a binding
      const double base = table[j][si].cost;
      for (std::size_t k = 0; k < choice_count(st, j); ++k) {
        if (!keeps_groups(st, j, k, [&](std::size_t p) { return choice_of(state, p); })) continue;
        auto [cyc, en] = choice_cost(st, j, k);
        const int unit = choice_unit(st, j, k);
        for (auto p : producers)
          layout_conversion(soc, layers[p], choice_unit(st, p, choice_of(state, p)), unit, cyc, en);
        const double cost = base + w.cycles * cyc + w.energy * en;
        State ns;
        for (auto f : next)
          ns.push_back(f == j ? k : choice_of(state, f));
        auto [it, fresh] = index[j + 1].try_emplace(ns, table[j + 1].size());
        if (fresh) {
          table[j + 1].push_back({cost, si, k});
        } else if (cost < table[j + 1][it->second].cost) {
          table[j + 1][it->second] = {cost, si, k};
        }
      }
    }
    frontier = next;
  }
  std::size_t best = 0;
  for (std::size_t s = 1; s < table[layers.size()].size(); ++s) {
    if (table[layers.size()][s].cost < table[layers.size()][best].cost) best = s;
  }
  std::vector<std::size_t> choice(layers.size());
  for (std::size_t j = layers.size(); j-- > 0;) {
    choice[j] = table[j + 1][best].choice;
    best = table[j + 1][best].prev;
  }
  return choice;
}

class AssignUnits final : public NetworkPass {
 public:
  std::string_view name() const override { return "assign-units"; }
  void run(NetworkState& st) const override {
    switch (st.options.search.objective) {
      case Objective::latency:
        st.choice = assign(st, {1, 0});
        break;
      case Objective::energy:
        st.choice = assign(st, {0, 1});
        break;
      case Objective::edp: {
        // Network EDP is not additive: minimise the first-order expansion
        // E x cycles + C x energy around the current totals, a few times.
        st.choice = assign(st, {1, 0});
        auto current = build_schedule(st, st.choice);
        for (int pass = 0; pass < 4; ++pass) {
          auto choice = assign(st, {current.energy, current.cycles});
          auto next = build_schedule(st, choice);
          if (next.cycles * next.energy >= current.cycles * current.energy) break;
          current = std::move(next);
          st.choice = std::move(choice);
        }
        break;
      }
    }
  }
};

}  // namespace

std::unique_ptr<NetworkPass> assign_units_pass() {
  return std::make_unique<AssignUnits>();
}

}  // namespace tessel::mappers
