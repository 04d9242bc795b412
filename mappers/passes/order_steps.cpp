#include <map>

#include "mappers/memory_order.hpp"
#include "mappers/passes/pass.hpp"

// The network pass that orders the steps (docs/memory.md, "Execution
// order"): among the orders the dependencies allow, the one whose peak of
// live bytes at the activations' level is least (the other levels' peaks do
// not depend on the order: weights stay for the whole run, and a step's
// tile buffers live during the step only). The tensors are then listed anew
// for the order.
namespace tessel::mappers {
namespace {

// The problem of ordering a schedule's steps at the activations' level.
OrderProblem order_problem(const sim::Analytical& model, const Graph& g, const NetworkSchedule& s,
                           int level) {
  OrderProblem p;
  p.steps = s.steps.size();
  p.preds.resize(p.steps);
  p.output.assign(p.steps, -1);
  p.scratch.assign(p.steps, 0);
  p.in_place.assign(p.steps, false);
  std::vector<int> step_of(g.layers().size(), -1);
  for (std::size_t i = 0; i < s.steps.size(); ++i) {
    for (const auto& part : s.steps[i].parts)
      step_of[part.index] = static_cast<int>(i);
  }
  // Activation name -> its level (build-schedule's) and the bytes held of it
  // (one slice of a sliced chain's intermediate).
  std::map<std::string, const TensorPlacement*> placed;
  for (const auto& t : s.tensors) {
    if (t.role == TensorPlacement::Role::activation) placed[t.name] = &t;
  }
  std::map<std::string, int> tensor;  // activation name -> index in p.tensors
  auto use = [&](const std::string& name, std::int64_t bytes) {
    auto [it, fresh] = tensor.try_emplace(name, static_cast<int>(p.tensors.size()));
    const auto t = placed.find(name);
    const bool here = t == placed.end() || t->second->level == level;
    if (t != placed.end()) bytes = t->second->bytes;
    if (fresh) p.tensors.push_back({-1, {}, here ? bytes : 0, false});
    return static_cast<std::size_t>(it->second);
  };
  for (std::size_t j = 0; j < g.layers().size(); ++j) {
    const Layer& l = g.layer(j);
    const int v = step_of[j];
    if (v < 0) continue;
    for (const auto& in : l.inputs)
      p.tensors[use(in, l.input_bytes() / l.num_inputs())].consumers.push_back(v);
    const auto o = use(l.output, l.output_bytes());
    p.tensors[o].producer = v;
    p.output[static_cast<std::size_t>(v)] = static_cast<int>(o);
    p.in_place[static_cast<std::size_t>(v)] = l.op == OpKind::add;
    for (auto u : g.producers(j)) {
      if (step_of[u] >= 0 && step_of[u] != v)
        p.preds[static_cast<std::size_t>(v)].push_back(step_of[u]);
    }
  }
  for (const auto& name : g.outputs()) {
    if (auto it = tensor.find(name); it != tensor.end())
      p.tensors[static_cast<std::size_t>(it->second)].kept = true;
  }
  for (std::size_t i = 0; i < p.steps; ++i)
    p.scratch[i] = step_scratch(model, g, s.steps[i])[static_cast<std::size_t>(level)];
  for (const auto& t : s.tensors) {  // a sliced layer's partial sums
    if (t.role == TensorPlacement::Role::scratch && t.level == level)
      p.scratch[t.first_step] += t.bytes;
  }
  return p;
}

class OrderSteps final : public NetworkPass {
 public:
  std::string_view name() const override { return "order-steps"; }
  void run(NetworkState& st) const override {
    const hw::Soc& soc = st.model.soc();
    auto& s = st.result.schedule;
    const int level = soc.activations_home;
    const OrderResult r = best_order(order_problem(st.model, st.graph, s, level));
    std::vector<ScheduleStep> steps;
    for (auto i : r.order)
      steps.push_back(std::move(s.steps[i]));
    s.steps = std::move(steps);
    s.tensors = schedule_tensors(st.graph, s, soc.activations_home, soc.weights_home);
    s.order = {r.exact ? "exact" : "greedy", level, r.peak, r.lower_bound};
  }
};

}  // namespace

std::unique_ptr<NetworkPass> order_steps_pass() {
  return std::make_unique<OrderSteps>();
}

}  // namespace tessel::mappers
