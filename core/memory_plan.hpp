#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/schedule.hpp"

// The static memory plan of a schedule (docs/memory.md): every tensor gets a
// byte offset in an arena of its memory level, so that no two tensors live
// at a common step overlap. Tensors that share a buffer (in-place execution,
// TensorPlacement::alias) take the offset of the tensor they reuse.
namespace tessel {

// Offsets are multiples of this many bytes (word-aligned DMA and loads).
inline constexpr std::int64_t kPlanAlignment = 4;

// `bytes` rounded up to the plan's alignment.
constexpr std::int64_t aligned_bytes(std::int64_t bytes) {
  return (bytes + kPlanAlignment - 1) / kPlanAlignment * kPlanAlignment;
}

// Assigns an offset to every tensor of `tensors` (aliases included) and
// returns, per memory level 0 .. levels-1, the arena size and the lower
// bound: the largest sum of bytes live at one step (every plan needs at
// least that much). Deterministic. Contract: each alias names a tensor of
// the list at the same level whose live range ends where the alias's
// starts; throws std::invalid_argument otherwise.
std::vector<LevelArena> plan_offsets(std::vector<TensorPlacement>& tensors, std::size_t levels);

// The per-level lower bound of plan_offsets alone: the largest sum of
// (aligned) bytes of the buffers live at one step, an alias and its target
// counted once.
std::vector<std::int64_t> live_lower_bound(const std::vector<TensorPlacement>& tensors,
                                           std::size_t levels);

// Checks a plan: every tensor placed, offset + bytes within its level's
// arena, and no two tensors that live at a common step and are not the same
// buffer overlapping. Returns the first violation, described.
std::optional<std::string> plan_violation(const std::vector<TensorPlacement>& tensors,
                                          const std::vector<LevelArena>& arenas);

// How the schedule's step order was chosen, as JSON: {"method", "level",
// "peak_bytes", "lower_bound_bytes"} (the database's schedules.step_order
// holds the same).
nlohmann::ordered_json step_order_json(const NetworkSchedule& s);

// How far a level's arena lies above its lower bound, in percent.
double gap_percent(const LevelArena& a);

// The memory plan of schedules as `tessel explore --json` prints it
// (docs/cli.md): {"levels": {level: {"arena_bytes", "lower_bound_bytes"}},
// "order": {...}, "tensors": [{"network", "tensor", "role", "level",
// "offset", "bytes", "first_step", "last_step", "alias"}]}. Over several
// schedules (networks run one after the other) a level's figures are the
// largest of any network's and the tensors of all are listed; "order" is
// given for one schedule only.
nlohmann::ordered_json memory_plan_json(const std::vector<const NetworkSchedule*>& schedules);

}  // namespace tessel
