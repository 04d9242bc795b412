#include "mappers/passes/pass.hpp"

// The network pass that turns the unit assignment into the schedule: one
// step per layer in graph order, each after the layout conversions its
// inputs need, the tensors at their home levels, and the totals.
namespace tessel::mappers {

void layout_conversion(const hw::Soc& soc, const Layer& producer, int from, int to, double& cycles,
                       double& energy) {
  if (soc.units[static_cast<std::size_t>(from)].layout ==
      soc.units[static_cast<std::size_t>(to)].layout)
    return;
  const auto bytes = static_cast<double>(producer.output_bytes());
  cycles += bytes * soc.conversion_cycles;
  energy += bytes * soc.conversion_energy;
}

namespace {

std::size_t split_count(const NetworkState& st, std::size_t layer) {
  return layer < st.splits.size() ? st.splits[layer].size() : 0;
}

}  // namespace

std::size_t choice_count(const NetworkState& st, std::size_t layer) {
  return st.result.searches[layer].size() + split_count(st, layer) +
         (layer < st.members.size() ? st.members[layer].size() : 0);
}

const SplitOption* split_of(const NetworkState& st, std::size_t layer, std::size_t choice) {
  const auto units = st.result.searches[layer].size();
  if (choice < units || choice >= units + split_count(st, layer)) return nullptr;
  return &st.splits[layer][choice - units];
}

const FusedMember* member_of(const NetworkState& st, std::size_t layer, std::size_t choice) {
  const auto first = st.result.searches[layer].size() + split_count(st, layer);
  return choice < first ? nullptr : &st.members.at(layer).at(choice - first);
}

int choice_unit(const NetworkState& st, std::size_t layer, std::size_t choice) {
  if (const FusedMember* m = member_of(st, layer, choice)) return st.fused[m->option].unit;
  const SplitOption* split = split_of(st, layer, choice);
  return split ? split->step.parts.front().unit : st.result.searches[layer][choice].unit;
}

std::pair<double, double> choice_cost(const NetworkState& st, std::size_t layer,
                                      std::size_t choice) {
  if (const FusedMember* m = member_of(st, layer, choice)) {
    const FusedOption& f = st.fused[m->option];
    if (m->position + 1 < f.layers.size()) return {0, 0};
    return {f.step.cycles, f.step.energy};
  }
  if (const SplitOption* split = split_of(st, layer, choice))
    return {split->step.cycles, split->step.energy};
  const auto& cost = st.result.searches[layer][choice].result->cost;
  return {cost.cycles, cost.energy};
}

NetworkSchedule build_schedule(const NetworkState& st, const std::vector<std::size_t>& choice) {
  const hw::Soc& soc = st.model.soc();
  const auto& layers = st.graph.layers();
  const auto& searches = st.result.searches;
  NetworkSchedule s;
  s.network = st.graph.name();
  s.soc = soc.name;
  s.soc_hash = soc.hash;
  s.objective = std::string(objective_name(st.options.search.objective));
  s.mapper = std::string(mapper_name(st.options.mapper));
  s.frequency = soc.frequency;
  s.peak_bytes.assign(soc.levels.size(), 0);
  for (const auto& lvl : soc.levels)
    s.level_names.push_back(lvl.name);
  // The layers of a sliced chain run in its fused step, placed at the
  // chain's last layer, each on the unit of its slices.
  std::vector<const SlicedChain*> chain_of(layers.size(), nullptr);
  std::vector<int> unit_of(layers.size());
  for (std::size_t j = 0; j < layers.size(); ++j)
    unit_of[j] = choice_unit(st, j, choice[j]);
  for (const auto& sc : st.sliced) {
    for (const auto& part : sc.parts) {
      chain_of[part.index] = &sc;
      unit_of[part.index] = part.unit;
    }
  }
  for (std::size_t j = 0; j < layers.size(); ++j) {
    ScheduleStep step;
    if (chain_of[j]) {
      if (j != chain_of[j]->chain.layers.back()) continue;
      step.kind = ScheduleStep::Kind::fused;
      step.parts = chain_of[j]->parts;
    } else if (const FusedMember* m = member_of(st, j, choice[j])) {
      const FusedOption& f = st.fused[m->option];
      if (j != f.layers.back()) continue;  // the group's step at its last layer
      step = f.step;
    } else if (const SplitOption* split = split_of(st, j, choice[j])) {
      step = split->step;
    } else {
      const auto& us = searches[j][choice[j]];
      SchedulePart part;
      part.layer = layers[j].name;
      part.index = j;
      part.unit = us.unit;
      part.unit_name = soc.units[static_cast<std::size_t>(us.unit)].name;
      part.mapping = us.result->best;
      part.cost = us.result->cost;
      step.parts.push_back(std::move(part));
    }
    for (const auto& part : step.parts) {
      if (part.slice.begin != 0) continue;  // each layer's conversions once
      for (auto p : st.graph.producers(part.index)) {
        layout_conversion(soc, layers[p], unit_of[p], unit_of[part.index], step.transition_cycles,
                          step.transition_energy);
      }
    }
    total_step(step);
    s.steps.push_back(std::move(step));
  }
  total_schedule(s);
  s.tensors = schedule_tensors(st.graph, s, soc.activations_home, soc.weights_home);
  return s;
}

namespace {

class BuildSchedule final : public NetworkPass {
 public:
  std::string_view name() const override { return "build-schedule"; }
  void run(NetworkState& st) const override {
    st.result.schedule = build_schedule(st, st.choice);
    auto& out = st.result;
    for (std::size_t j = 0; j < st.choice.size(); ++j) {
      if (const SplitOption* split = split_of(st, j, st.choice[j]))
        out.proven = out.proven && split->proven;
    }
    for (const auto* part : out.schedule.parts()) {
      if (!part->slice.whole()) continue;  // the sliced chains' and splits' proofs
      for (const auto& us : out.searches[part->index]) {
        if (us.unit == part->unit) out.proven = out.proven && us.result->proven;
      }
    }
    for (const auto& sc : st.sliced)
      out.proven = out.proven && sc.proven;
    for (std::size_t j = 0; j < st.choice.size(); ++j) {
      if (const FusedMember* m = member_of(st, j, st.choice[j]))
        out.proven = out.proven && st.fused[m->option].proven;
    }
  }
};

}  // namespace

std::unique_ptr<NetworkPass> build_schedule_pass() {
  return std::make_unique<BuildSchedule>();
}

}  // namespace tessel::mappers
