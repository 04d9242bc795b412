#include <fmt/format.h>

#include "core/memory_plan.hpp"
#include "mappers/passes/pass.hpp"

// The network pass that plans memory (docs/memory.md): the schedule's
// tensors, the layers' epilogue parameters and each step's scratch at every
// level get offsets in per-level arenas; outputs of element-wise layers
// reuse an input's buffer where that input dies at the step; the arenas
// become the schedule's peak bytes and must fit the levels' capacities.
namespace tessel::mappers {
namespace {

// Bytes of a layer's per-channel epilogue constants (bias, scales): one
// 32-bit value per output channel and per-channel step.
std::int64_t params_bytes(const Layer& l) {
  std::int64_t per_channel = 0;
  for (const auto& s : l.epilogue.steps)
    per_channel += s.per_channel ? 1 : 0;
  return per_channel * l.dim(Dim::K) * l.dim(Dim::G) * 4;
}

// Epilogue parameters, beside the weights and as long-lived.
void add_params(const Graph& g, const NetworkSchedule& s, int weights_home,
                std::vector<TensorPlacement>& out) {
  const std::size_t last = s.steps.empty() ? 0 : s.steps.size() - 1;
  std::vector<bool> done(g.layers().size(), false);  // a sliced layer's parameters once
  for (const auto* p : s.parts()) {
    const Layer& l = g.layer(p->index);
    const auto bytes = params_bytes(l);
    if (bytes == 0 || done[p->index]) continue;
    done[p->index] = true;
    TensorPlacement t;
    t.name = l.name + ".params";
    t.role = TensorPlacement::Role::params;
    t.bytes = bytes;
    t.level = weights_home;
    for (const auto& w : out) {
      if (w.name == l.weights) t.level = w.level;
    }
    t.first_step = 0;
    t.last_step = last;
    out.push_back(t);
  }
}

// Per step and level, one scratch tensor with the step's buffers there.
void add_scratch(const sim::Analytical& model, const Graph& g, const NetworkSchedule& s,
                 std::vector<TensorPlacement>& out) {
  for (std::size_t i = 0; i < s.steps.size(); ++i) {
    const auto bytes = step_scratch(model, g, s.steps[i]);
    for (std::size_t lvl = 0; lvl < s.level_names.size() && lvl < kMaxLevels; ++lvl) {
      if (bytes[lvl] == 0) continue;
      TensorPlacement t;
      t.name = fmt::format("step{}.scratch@{}", i, s.level_names[lvl]);
      t.role = TensorPlacement::Role::scratch;
      t.bytes = bytes[lvl];
      t.level = static_cast<int>(lvl);
      t.first_step = t.last_step = i;
      out.push_back(t);
    }
  }
}

// In place: the output of an element-wise layer (add) takes the buffer of
// an input of its size and level that is read for the last time by it.
void mark_in_place(const Graph& g, const NetworkSchedule& s, std::vector<TensorPlacement>& ts) {
  auto find = [&](const std::string& name) -> TensorPlacement* {
    for (auto& t : ts) {
      if (t.name == name && t.role == TensorPlacement::Role::activation) return &t;
    }
    return nullptr;
  };
  for (std::size_t i = 0; i < s.steps.size(); ++i) {
    if (s.steps[i].parts.size() != 1) continue;
    const Layer& l = g.layer(s.steps[i].parts[0].index);
    TensorPlacement* out = find(l.output);
    if (l.op != OpKind::add || !out) continue;
    for (const auto& name : l.inputs) {
      const TensorPlacement* in = find(name);
      if (in && in->last_step == i && in->bytes == out->bytes && in->level == out->level) {
        out->alias = in->name;
        break;
      }
    }
  }
}

}  // namespace

std::array<std::int64_t, kMaxLevels> part_scratch(const sim::Analytical& model, const Layer& l,
                                                  const SchedulePart& p) {
  const auto ctx = model.prepare(l, p.mapping);
  std::array<std::int64_t, kMaxLevels> s{};
  for (std::size_t lvl = 0; lvl < kMaxLevels; ++lvl)
    s[lvl] = std::max<std::int64_t>(p.cost.bytes_held[lvl] - ctx.home_bytes[lvl], 0);
  // Partial sums written back to the output's home need room there.
  s[static_cast<std::size_t>(ctx.home[idx(Operand::O)])] +=
      model.home_partial_sum_bytes(ctx, p.mapping);
  return s;
}

std::array<std::int64_t, kMaxLevels> step_scratch(const sim::Analytical& model, const Graph& g,
                                                  const ScheduleStep& step) {
  // Concurrent parts hold their buffers at once; fused parts one after another.
  const bool at_once = step.kind != ScheduleStep::Kind::fused;
  std::array<std::int64_t, kMaxLevels> bytes{};
  for (const auto& p : step.parts) {
    const auto part = part_scratch(model, part_layer(g, p), p);
    for (std::size_t lvl = 0; lvl < kMaxLevels; ++lvl)
      bytes[lvl] = at_once ? bytes[lvl] + part[lvl] : std::max(bytes[lvl], part[lvl]);
  }
  return bytes;
}

namespace {

class PlanMemory final : public NetworkPass {
 public:
  std::string_view name() const override { return "plan-memory"; }
  void run(NetworkState& st) const override { plan_memory(st.model, st.graph, st.result.schedule); }
};

}  // namespace

void plan_memory(const sim::Analytical& model, const Graph& graph, NetworkSchedule& s) {
  const hw::Soc& soc = model.soc();
  add_params(graph, s, soc.weights_home, s.tensors);
  add_scratch(model, graph, s, s.tensors);
  mark_in_place(graph, s, s.tensors);
  s.memory = plan_offsets(s.tensors, soc.levels.size());
  for (const auto& a : s.memory)
    s.peak_bytes[static_cast<std::size_t>(a.level)] = a.arena_bytes;
}

std::unique_ptr<NetworkPass> plan_memory_pass() {
  return std::make_unique<PlanMemory>();
}

}  // namespace tessel::mappers
