#include "core/graph.hpp"

#include <algorithm>
#include <queue>
#include <set>

#include <fmt/format.h>

#include "core/errors.hpp"

namespace tessel {

Graph::Graph(std::string name) : name_(std::move(name)) {}

void Graph::add_tensor(Tensor tensor) {
  if (tensors_.count(tensor.name))
    throw ModelError(fmt::format("graph '{}': tensor '{}' defined twice", name_, tensor.name));
  auto name = tensor.name;
  tensors_.emplace(std::move(name), std::move(tensor));
}

void Graph::add_layer(Layer layer) {
  layer.validate();
  auto need = [&](const std::string& t, const char* role) {
    if (!tensors_.count(t))
      throw ModelError(fmt::format("graph '{}': layer '{}' names unknown {} tensor '{}'", name_,
                                   layer.name, role, t));
  };
  for (const auto& t : layer.inputs)
    need(t, "input");
  if (!layer.weights.empty()) need(layer.weights, "weight");
  need(layer.output, "output");
  if (find_layer(layer.name))
    throw ModelError(fmt::format("graph '{}': layer '{}' defined twice", name_, layer.name));
  layers_.push_back(std::move(layer));
}

void Graph::set_inputs(std::vector<std::string> names) {
  inputs_ = std::move(names);
}
void Graph::set_outputs(std::vector<std::string> names) {
  outputs_ = std::move(names);
}

std::optional<std::size_t> Graph::find_layer(const std::string& name) const {
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    if (layers_[i].name == name) return i;
  }
  return std::nullopt;
}

const Tensor& Graph::tensor(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end())
    throw ModelError(fmt::format("graph '{}': no tensor named '{}'", name_, name));
  return it->second;
}

void Graph::finalize() {
  const std::size_t n = layers_.size();
  std::map<std::string, std::size_t> producer;
  for (std::size_t i = 0; i < n; ++i) {
    if (!producer.emplace(layers_[i].output, i).second)
      throw ModelError(fmt::format("graph '{}': tensor '{}' is written by layers '{}' and '{}'",
                                   name_, layers_[i].output,
                                   layers_[producer[layers_[i].output]].name, layers_[i].name));
  }
  const std::set<std::string> graph_inputs(inputs_.begin(), inputs_.end());
  BGraph dag(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (const auto& t : layers_[i].inputs) {
      auto it = producer.find(t);
      if (it != producer.end()) {
        boost::add_edge(it->second, i, dag);
      } else if (!graph_inputs.count(t) && !tensor(t).constant) {
        throw ModelError(fmt::format(
            "graph '{}': layer '{}' reads tensor '{}', which no layer produces and which is "
            "not a graph input",
            name_, layers_[i].name, t));
      }
    }
  }
  for (const auto& t : outputs_)
    tensor(t);

  // Kahn's algorithm, always taking the lowest insertion index that is ready,
  // so the order is deterministic and keeps the given order where it can.
  std::vector<std::size_t> indegree(n);
  for (std::size_t v = 0; v < n; ++v)
    indegree[v] = boost::in_degree(v, dag);
  std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;
  for (std::size_t v = 0; v < n; ++v) {
    if (indegree[v] == 0) ready.push(v);
  }
  std::vector<std::size_t> order;
  while (!ready.empty()) {
    auto v = ready.top();
    ready.pop();
    order.push_back(v);
    for (auto [e, end] = boost::out_edges(v, dag); e != end; ++e) {
      auto w = boost::target(*e, dag);
      if (--indegree[w] == 0) ready.push(w);
    }
  }
  if (order.size() != n) {
    for (std::size_t v = 0; v < n; ++v) {
      if (indegree[v] != 0)
        throw ModelError(
            fmt::format("graph '{}': layer '{}' is part of a cycle", name_, layers_[v].name));
    }
  }

  std::vector<Layer> sorted;
  sorted.reserve(n);
  std::vector<std::size_t> position(n);
  for (std::size_t i = 0; i < n; ++i) {
    position[order[i]] = i;
    sorted.push_back(std::move(layers_[order[i]]));
  }
  layers_ = std::move(sorted);
  dag_ = BGraph(n);
  for (auto [e, end] = boost::edges(dag); e != end; ++e) {
    auto s = position[boost::source(*e, dag)];
    auto t = position[boost::target(*e, dag)];
    if (!boost::edge(s, t, dag_).second) boost::add_edge(s, t, dag_);
  }
}

std::vector<std::size_t> Graph::producers(std::size_t layer) const {
  std::vector<std::size_t> out;
  for (auto [e, end] = boost::in_edges(layer, dag_); e != end; ++e)
    out.push_back(boost::source(*e, dag_));
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::size_t> Graph::consumers(std::size_t layer) const {
  std::vector<std::size_t> out;
  for (auto [e, end] = boost::out_edges(layer, dag_); e != end; ++e)
    out.push_back(boost::target(*e, dag_));
  std::sort(out.begin(), out.end());
  return out;
}

std::int64_t Graph::total_macs() const {
  std::int64_t s = 0;
  for (const auto& l : layers_)
    s += l.macs();
  return s;
}

std::int64_t Graph::total_weight_bytes() const {
  std::int64_t s = 0;
  for (const auto& l : layers_) {
    if (!l.weights.empty()) s += tensor(l.weights).bytes();
  }
  return s;
}

std::int64_t Graph::peak_activation_bytes() const {
  const auto steps = static_cast<std::ptrdiff_t>(layers_.size());
  // Live interval [first, last] of every activation tensor, in steps.
  std::map<std::string, std::pair<std::ptrdiff_t, std::ptrdiff_t>> live;
  for (const auto& t : inputs_)
    live[t] = {0, 0};
  for (std::ptrdiff_t i = 0; i < steps; ++i) {
    const auto& l = layers_[static_cast<std::size_t>(i)];
    live[l.output] = {i, i};
    for (const auto& t : l.inputs) {
      auto it = live.find(t);
      if (it != live.end()) it->second.second = std::max(it->second.second, i);
    }
  }
  for (const auto& t : outputs_) {
    auto it = live.find(t);
    if (it != live.end()) it->second.second = steps - 1;
  }
  std::int64_t peak = 0;
  for (std::ptrdiff_t i = 0; i < steps; ++i) {
    std::int64_t sum = 0;
    for (const auto& [name, range] : live) {
      if (range.first <= i && i <= range.second) sum += tensor(name).bytes();
    }
    peak = std::max(peak, sum);
  }
  return peak;
}

}  // namespace tessel
