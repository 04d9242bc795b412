#include "core/schedule.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "core/graph.hpp"

namespace tessel {

std::string_view step_kind_name(ScheduleStep::Kind k) {
  switch (k) {
    case ScheduleStep::Kind::single:
      return "single";
    case ScheduleStep::Kind::concurrent:
      return "concurrent";
    case ScheduleStep::Kind::fused:
      break;
  }
  return "fused";
}

std::vector<std::string> step_layers(const ScheduleStep& step) {
  std::vector<std::string> out;
  for (const auto& p : step.parts) {
    if (std::find(out.begin(), out.end(), p.layer) == out.end()) out.push_back(p.layer);
  }
  return out;
}

KeptRows kept_rows(const Graph& graph, const ScheduleStep& step, std::size_t k) {
  const auto& parts = step.parts;
  if (step.kind != ScheduleStep::Kind::fused || k + 1 >= parts.size() || parts[k].slice.whole() ||
      parts[k].slice.dim != Dim::OY)
    return {};
  // The next part reads this one's output in the same band (a group's layers
  // run in order in every band); the previous band's reader follows this
  // layer's part of that band.
  const Layer& reader = graph.layer(parts[k + 1].index);
  if (reader.inputs.empty() || reader.inputs[0] != graph.layer(parts[k].index).output) return {};
  const auto window = input_rows(reader, parts[k + 1].slice);
  const auto rows = parts[k].slice.begin - window.first;
  if (rows <= 0) return {};
  std::size_t last = k;  // this layer's part of the band before
  while (last > 0 && parts[--last].index != parts[k].index) {
  }
  if (parts[last].index != parts[k].index) return {};
  const auto before = input_rows(reader, parts[last + 1].slice);
  const Layer row = slice_layer(graph.layer(parts[k].index), {Dim::OY, 0, 1});
  return {rows, window.first - before.first, rows * row.output_bytes()};
}

namespace {

// The input rows [first, last) the output rows of an OY slice read, padding
// rows included (first < 0 or last > in_y where the window reaches them).
std::pair<std::int64_t, std::int64_t> window_rows(const Layer& l, const LayerSlice& slice) {
  const std::int64_t reach = static_cast<std::int64_t>(l.dilation_y) * (l.dim(Dim::FY) - 1);
  const std::int64_t first = slice.begin * l.stride_y - l.pad_top;
  return {first, (slice.end - 1) * l.stride_y - l.pad_top + reach + 1};
}

}  // namespace

std::pair<std::int64_t, std::int64_t> input_rows(const Layer& l, const LayerSlice& slice) {
  if (slice.whole() || slice.dim != Dim::OY) return {0, l.in_y};
  const auto [first, last] = window_rows(l, slice);
  return {std::max<std::int64_t>(first, 0), std::min(last, l.in_y)};
}

Layer slice_layer(const Layer& l, const LayerSlice& slice) {
  if (slice.whole()) return l;
  const std::int64_t full = l.dim(slice.dim);
  if (slice.begin < 0 || slice.end > full || slice.begin >= slice.end)
    throw std::invalid_argument(fmt::format("slice [{}, {}) of {} is outside layer '{}' ({} = {})",
                                            slice.begin, slice.end, dim_name(slice.dim), l.name,
                                            dim_name(slice.dim), full));
  Layer out = l;
  out.dim(slice.dim) = slice.end - slice.begin;
  if (slice.dim == Dim::OY) {
    // The rows the band reads, its padding what of its window lies outside the map.
    const auto [first, last] = window_rows(l, slice);
    const auto lo = std::max<std::int64_t>(first, 0), hi = std::min(last, l.in_y);
    out.in_y = hi - lo;
    out.pad_top = static_cast<int>(lo - first);
    out.pad_bottom = static_cast<int>(last - hi);
  }
  if (slice.dim == Dim::C) {
    out.accumulates = l.accumulates || slice.begin > 0;
    if (slice.end < full) {  // raw partial sums for a later slice
      out.bits.output = l.bits.accumulator;
      out.bits.output_signed = true;
      out.epilogue = Epilogue{};
    }
  }
  return out;
}

std::string slice_string(const LayerSlice& slice) {
  return slice.whole() ? "" : fmt::format("{}[{}:{}]", dim_name(slice.dim), slice.begin, slice.end);
}

std::string part_label(const SchedulePart& part) {
  const auto slice = slice_string(part.slice);
  const auto bits = part.weight_bits > 0 ? fmt::format(" ({}-bit W)", part.weight_bits) : "";
  return (slice.empty() ? part.layer : part.layer + " " + slice) + bits;
}

Layer part_layer(const Graph& graph, const SchedulePart& part) {
  Layer l = slice_layer(graph.layer(part.index), part.slice);
  if (part.weight_bits > 0) l.bits.weight = part.weight_bits;
  return l;
}

std::string_view role_name(TensorPlacement::Role r) {
  switch (r) {
    case TensorPlacement::Role::activation:
      return "activation";
    case TensorPlacement::Role::weights:
      return "weights";
    case TensorPlacement::Role::params:
      return "params";
    case TensorPlacement::Role::scratch:
      break;
  }
  return "scratch";
}

TensorPlacement::Role parse_role(std::string_view name) {
  using R = TensorPlacement::Role;
  for (R r : {R::activation, R::weights, R::params, R::scratch}) {
    if (role_name(r) == name) return r;
  }
  throw std::invalid_argument(fmt::format("unknown tensor role '{}'", name));
}

std::vector<const SchedulePart*> NetworkSchedule::parts() const {
  std::vector<const SchedulePart*> out;
  for (const auto& st : steps) {
    for (const auto& p : st.parts)
      out.push_back(&p);
  }
  return out;
}

std::vector<PartRow> part_rows(const NetworkSchedule& s) {
  std::vector<PartRow> rows;
  for (std::size_t i = 0; i < s.steps.size(); ++i) {
    const auto& st = s.steps[i];
    for (std::size_t k = 0; k < st.parts.size(); ++k) {
      const bool first = k == 0;
      rows.push_back({i, &st.parts[k], first ? st.transition_cycles : 0.0,
                      first ? st.transition_energy : 0.0});
    }
  }
  return rows;
}

void total_step(ScheduleStep& step) {
  double cycles = 0, energy = 0;
  if (step.parts.size() == 1) {
    cycles = step.parts[0].cost.cycles;
    energy = step.parts[0].cost.energy;
  } else if (step.kind == ScheduleStep::Kind::concurrent) {
    // The slowest part, the contention, then the synchronisation; every part's energy but
    // its own static energy, and the SoC's static power over the step.
    double static_per_cycle = 0;
    for (const auto& p : step.parts) {
      cycles = std::max(cycles, p.cost.cycles);
      energy += p.cost.energy - p.cost.static_energy;
      if (p.cost.cycles > 0)
        static_per_cycle = std::max(static_per_cycle, p.cost.static_energy / p.cost.cycles);
    }
    cycles += step.contention_cycles + step.sync_cycles;
    energy += static_per_cycle * cycles;
  } else {
    for (const auto& p : step.parts) {
      cycles += p.cost.cycles;
      energy += p.cost.energy;
    }
  }
  step.cycles = cycles + step.transition_cycles;
  step.energy = energy + step.transition_energy;
}

void total_schedule(NetworkSchedule& s) {
  s.cycles = 0;
  s.energy = 0;
  std::fill(s.peak_bytes.begin(), s.peak_bytes.end(), 0);
  for (const auto& st : s.steps) {
    s.cycles += st.cycles;
    s.energy += st.energy;
    for (const auto& p : st.parts) {
      for (std::size_t lvl = 0; lvl < s.peak_bytes.size() && lvl < kMaxLevels; ++lvl)
        s.peak_bytes[lvl] = std::max(s.peak_bytes[lvl], p.cost.bytes_held[lvl]);
    }
  }
}

namespace {

// The tensors of the sliced parts of fused steps (docs/memory.md, "Partial
// execution", "Fused layers"): an intermediate that a sliced layer writes and that only
// its own step reads is held one slice (channels, or a band of rows) at a time, its
// largest; a layer sliced over C keeps its partial sums
// (its whole output at accumulator width) over the step.
void hold_slices(const Graph& graph, const NetworkSchedule& s,
                 const std::vector<std::array<int, kNumOperands>>& at,
                 std::vector<TensorPlacement>& out) {
  for (std::size_t i = 0; i < s.steps.size(); ++i) {
    if (s.steps[i].kind != ScheduleStep::Kind::fused) continue;  // a split's parts: whole tensors
    std::map<std::size_t, std::int64_t> held;  // per sliced layer, its largest slice's output
    const auto& parts = s.steps[i].parts;
    for (std::size_t k = 0; k < parts.size(); ++k) {
      const auto& p = parts[k];
      if (p.slice.whole()) continue;
      if (p.slice.dim != Dim::C) {  // a slice of its output (channels, or a band of rows)
        auto& bytes = held[p.index];
        bytes = std::max(
            bytes, part_layer(graph, p).output_bytes() + kept_rows(graph, s.steps[i], k).bytes);
        continue;
      }
      if (p.slice.begin != 0) continue;  // each sliced layer's partial sums once
      const Layer& l = graph.layer(p.index);
      TensorPlacement t;
      t.name = l.output + ".partial_sums";
      t.role = TensorPlacement::Role::scratch;
      t.bytes = bytes_of(l.output_elems(), l.bits.accumulator);
      t.level = at[p.index][idx(Operand::O)];
      t.first_step = t.last_step = i;
      out.push_back(t);
    }
    for (const auto& [index, bytes] : held) {
      const Layer& l = graph.layer(index);
      for (auto& t : out) {
        if (t.role == TensorPlacement::Role::activation && t.name == l.output &&
            t.first_step == i && t.last_step == i)
          t.bytes = bytes;
      }
    }
  }
}

}  // namespace

std::vector<TensorPlacement> schedule_tensors(const Graph& graph, const NetworkSchedule& s,
                                              int activations_home, int weights_home) {
  const auto& layers = graph.layers();
  std::vector<std::size_t> step_of(layers.size(), 0);
  // Per layer and operand, where its part's mapping says the tensor lives.
  std::vector<std::array<int, kNumOperands>> at(layers.size(),
                                                {activations_home, weights_home, activations_home});
  for (std::size_t i = 0; i < s.steps.size(); ++i) {
    for (const auto& p : s.steps[i].parts) {
      if (p.index >= layers.size()) continue;
      step_of[p.index] = i;
      for (std::size_t o = 0; o < kNumOperands; ++o) {
        if (p.mapping.home[o] != Mapping::kSocHome) at[p.index][o] = p.mapping.home[o];
      }
    }
  }
  const std::size_t last = s.steps.empty() ? 0 : s.steps.size() - 1;
  std::vector<TensorPlacement> out;
  std::map<std::string, std::size_t> activation;  // tensor name -> index in out
  auto use = [&](const std::string& name, std::int64_t bytes, std::size_t step, int level) {
    auto [it, fresh] = activation.try_emplace(name, out.size());
    if (fresh) {
      TensorPlacement t;
      t.name = name;
      t.bytes = bytes;
      t.level = level;
      t.first_step = 0;  // a graph input: live from the start
      out.push_back(t);
    }
    auto& t = out[it->second];
    t.last_step = std::max(t.last_step, step);
  };
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const Layer& l = layers[i];
    for (const auto& in : l.inputs)
      use(in, l.input_bytes() / l.num_inputs(), step_of[i], at[i][idx(Operand::I)]);
    use(l.output, l.output_bytes(), step_of[i], at[i][idx(Operand::O)]);
    auto& o = out[activation[l.output]];
    o.first_step = step_of[i];
    o.level = at[i][idx(Operand::O)];  // where its producer writes it
    if (!l.weights.empty()) {
      TensorPlacement w;
      w.name = l.weights;
      w.role = TensorPlacement::Role::weights;
      w.bytes = l.weight_bytes();
      w.level = at[i][idx(Operand::W)];
      w.first_step = 0;  // read-only and never loaded: resident for the whole run
      w.last_step = last;
      out.push_back(w);
    }
  }
  for (const auto& name : graph.outputs()) {
    auto it = activation.find(name);
    if (it != activation.end()) out[it->second].last_step = last;
  }
  hold_slices(graph, s, at, out);
  return out;
}

}  // namespace tessel
