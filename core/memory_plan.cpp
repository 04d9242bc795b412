#include "core/memory_plan.hpp"

#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

// Offsets by best fit (docs/memory.md, "The plan"): buffers are placed one
// at a time, each at the smallest gap between the buffers already placed
// that live at one of its steps, or above them all when no gap fits. The
// order in which buffers are placed matters; three orders are tried (largest
// first, longest-lived first, earliest first) and the smallest arena kept.
namespace tessel {
namespace {

// One buffer of the plan: a tensor and the tensors that reuse it in place.
struct Buffer {
  std::vector<std::size_t> members;  // indices into the tensor list
  int level = 0;
  std::int64_t bytes = 0;  // aligned; the largest member
  std::size_t first = 0, last = 0;
  std::int64_t offset = 0;

  bool overlaps_in_time(const Buffer& o) const { return first <= o.last && o.first <= last; }
};

// The buffer each tensor belongs to: its alias chain's root.
std::vector<std::size_t> roots(const std::vector<TensorPlacement>& tensors) {
  std::map<std::string, std::size_t> by_name;
  for (std::size_t i = 0; i < tensors.size(); ++i)
    by_name.emplace(tensors[i].name, i);
  std::vector<std::size_t> root(tensors.size());
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    std::size_t r = i;
    for (std::size_t hops = 0; !tensors[r].alias.empty(); ++hops) {
      const auto& t = tensors[r];
      const auto it = by_name.find(t.alias);
      if (it == by_name.end() || hops > tensors.size())
        throw std::invalid_argument(fmt::format(
            "tensor '{}' reuses the buffer of '{}', which is not in the plan", t.name, t.alias));
      const auto& target = tensors[it->second];
      if (target.level != t.level || target.last_step > t.first_step)
        throw std::invalid_argument(fmt::format(
            "tensor '{}' cannot reuse the buffer of '{}' (another level, or it is still live)",
            t.name, t.alias));
      r = it->second;
    }
    root[i] = r;
  }
  return root;
}

std::vector<Buffer> make_buffers(const std::vector<TensorPlacement>& tensors) {
  const auto root = roots(tensors);
  std::vector<Buffer> buffers;
  std::vector<std::size_t> buffer_of(tensors.size(), 0);
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    if (root[i] != i) continue;
    buffer_of[i] = buffers.size();
    Buffer b;
    b.level = tensors[i].level;
    b.first = tensors[i].first_step;
    b.last = tensors[i].last_step;
    buffers.push_back(b);
  }
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    Buffer& b = buffers[buffer_of[root[i]]];
    const auto& t = tensors[i];
    b.members.push_back(i);
    b.bytes = std::max(b.bytes, aligned_bytes(t.bytes));
    b.first = std::min(b.first, t.first_step);
    b.last = std::max(b.last, t.last_step);
  }
  return buffers;
}

// Best fit of buffer `b` among `placed` (indices into `buffers`): the lowest
// offset of the smallest gap it fits, or the top of the buffers it overlaps.
std::int64_t best_fit(const std::vector<Buffer>& buffers, const std::vector<std::size_t>& placed,
                      const Buffer& b) {
  std::vector<const Buffer*> live;
  for (auto i : placed) {
    if (buffers[i].overlaps_in_time(b)) live.push_back(&buffers[i]);
  }
  std::sort(live.begin(), live.end(),
            [](const Buffer* x, const Buffer* y) { return x->offset < y->offset; });
  std::int64_t end = 0, best = -1, best_gap = std::numeric_limits<std::int64_t>::max();
  for (const Buffer* o : live) {
    const std::int64_t gap = o->offset - end;
    if (gap >= b.bytes && gap < best_gap) {
      best = end;
      best_gap = gap;
    }
    end = std::max(end, o->offset + o->bytes);
  }
  return best >= 0 ? best : end;
}

// Places the buffers of one level in the given order; returns the arena.
std::int64_t place(std::vector<Buffer>& buffers, const std::vector<std::size_t>& order) {
  std::vector<std::size_t> placed;
  std::int64_t arena = 0;
  for (auto i : order) {
    buffers[i].offset = best_fit(buffers, placed, buffers[i]);
    arena = std::max(arena, buffers[i].offset + buffers[i].bytes);
    placed.push_back(i);
  }
  return arena;
}

// The orders tried, each a strict ranking of the buffers (ties by index).
using Rank = std::function<bool(const Buffer&, const Buffer&)>;
const std::vector<Rank>& rankings() {
  static const std::vector<Rank> r = {
      [](const Buffer& a, const Buffer& b) { return a.bytes > b.bytes; },
      [](const Buffer& a, const Buffer& b) {
        const auto la = a.last - a.first, lb = b.last - b.first;
        return la != lb ? la > lb : a.bytes > b.bytes;
      },
      [](const Buffer& a, const Buffer& b) {
        return a.first != b.first ? a.first < b.first : a.bytes > b.bytes;
      },
  };
  return r;
}

std::vector<std::int64_t> buffer_lower_bound(const std::vector<Buffer>& buffers,
                                             std::size_t levels) {
  std::vector<std::int64_t> bound(levels, 0);
  std::size_t steps = 0;
  for (const auto& b : buffers)
    steps = std::max(steps, b.last + 1);
  for (std::size_t s = 0; s < steps; ++s) {
    std::vector<std::int64_t> live(levels, 0);
    for (const auto& b : buffers) {
      if (b.first <= s && s <= b.last && static_cast<std::size_t>(b.level) < levels)
        live[static_cast<std::size_t>(b.level)] += b.bytes;
    }
    for (std::size_t l = 0; l < levels; ++l)
      bound[l] = std::max(bound[l], live[l]);
  }
  return bound;
}

}  // namespace

std::vector<LevelArena> plan_offsets(std::vector<TensorPlacement>& tensors, std::size_t levels) {
  auto buffers = make_buffers(tensors);
  const auto bound = buffer_lower_bound(buffers, levels);
  std::vector<LevelArena> arenas(levels);
  for (std::size_t l = 0; l < levels; ++l) {
    arenas[l].level = static_cast<int>(l);
    arenas[l].lower_bound_bytes = bound[l];
    std::vector<std::size_t> at;
    for (std::size_t i = 0; i < buffers.size(); ++i) {
      if (static_cast<std::size_t>(buffers[i].level) == l) at.push_back(i);
    }
    std::int64_t best = std::numeric_limits<std::int64_t>::max();
    std::vector<std::int64_t> offsets;
    for (const auto& rank : rankings()) {
      auto order = at;
      std::stable_sort(order.begin(), order.end(),
                       [&](std::size_t a, std::size_t b) { return rank(buffers[a], buffers[b]); });
      const std::int64_t arena = place(buffers, order);
      if (arena < best) {
        best = arena;
        offsets.clear();
        for (auto i : at)
          offsets.push_back(buffers[i].offset);
      }
    }
    for (std::size_t k = 0; k < at.size(); ++k)
      buffers[at[k]].offset = offsets[k];
    arenas[l].arena_bytes = at.empty() ? 0 : best;
  }
  for (const auto& b : buffers) {
    for (auto i : b.members)
      tensors[i].offset = b.offset;
  }
  return arenas;
}

std::vector<std::int64_t> live_lower_bound(const std::vector<TensorPlacement>& tensors,
                                           std::size_t levels) {
  return buffer_lower_bound(make_buffers(tensors), levels);
}

std::optional<std::string> plan_violation(const std::vector<TensorPlacement>& tensors,
                                          const std::vector<LevelArena>& arenas) {
  const auto root = roots(tensors);
  for (const auto& t : tensors) {
    if (t.offset == TensorPlacement::kUnplanned)
      return fmt::format("tensor '{}' has no offset", t.name);
    const auto l = static_cast<std::size_t>(t.level);
    if (l >= arenas.size() || t.offset < 0 || t.offset + t.bytes > arenas[l].arena_bytes)
      return fmt::format("tensor '{}' ({} B at {}) lies outside its arena", t.name, t.bytes,
                         t.offset);
  }
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    for (std::size_t j = i + 1; j < tensors.size(); ++j) {
      const auto &a = tensors[i], &b = tensors[j];
      if (a.level != b.level || root[i] == root[j]) continue;
      const bool in_time = a.first_step <= b.last_step && b.first_step <= a.last_step;
      const bool in_space = a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes;
      if (in_time && in_space && a.bytes > 0 && b.bytes > 0)
        return fmt::format("tensors '{}' and '{}' are live together and overlap", a.name, b.name);
    }
  }
  return std::nullopt;
}

nlohmann::ordered_json step_order_json(const NetworkSchedule& s) {
  using J = nlohmann::ordered_json;
  const auto& o = s.order;
  const bool known = o.level >= 0 && static_cast<std::size_t>(o.level) < s.level_names.size();
  return {{"method", o.method},
          {"level", known ? J(s.level_names[static_cast<std::size_t>(o.level)]) : J(nullptr)},
          {"peak_bytes", o.peak},
          {"lower_bound_bytes", o.lower_bound}};
}

double gap_percent(const LevelArena& a) {
  if (a.lower_bound_bytes <= 0) return 0.0;
  return 100.0 * static_cast<double>(a.arena_bytes - a.lower_bound_bytes) /
         static_cast<double>(a.lower_bound_bytes);
}

nlohmann::ordered_json memory_plan_json(const std::vector<const NetworkSchedule*>& schedules) {
  using J = nlohmann::ordered_json;
  J levels = J::object(), tensors = J::array();
  for (const auto* s : schedules) {
    for (const auto& a : s->memory) {
      const auto& name = s->level_names.at(static_cast<std::size_t>(a.level));
      J& l = levels[name];
      if (!l.is_object()) l = {{"arena_bytes", 0}, {"lower_bound_bytes", 0}};
      l["arena_bytes"] = std::max(l["arena_bytes"].get<std::int64_t>(), a.arena_bytes);
      l["lower_bound_bytes"] =
          std::max(l["lower_bound_bytes"].get<std::int64_t>(), a.lower_bound_bytes);
    }
    for (const auto& t : s->tensors) {
      tensors.push_back({{"network", s->network},
                         {"tensor", t.name},
                         {"role", role_name(t.role)},
                         {"level", s->level_names.at(static_cast<std::size_t>(t.level))},
                         {"offset", t.offset},
                         {"bytes", t.bytes},
                         {"first_step", t.first_step},
                         {"last_step", t.last_step},
                         {"alias", t.alias.empty() ? J(nullptr) : J(t.alias)}});
    }
  }
  J out = {{"levels", levels}};
  if (schedules.size() == 1) {
    out["order"] = step_order_json(*schedules[0]);
  }
  out["tensors"] = tensors;
  return out;
}

}  // namespace tessel
