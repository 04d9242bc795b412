#pragma once

#include <array>
#include <bit>
#include <cstdint>

#include "sim/context.hpp"
#include "sim/loop_levels.hpp"

// The step timeline of one loop nest (docs/cost-model.md, "Overlap: the step
// timeline"): the time of its tile steps, each the unit's work overlapped
// with the DMA transfers around it.
namespace tessel::sim {

// The larger of two doubles, by value: compiled to one maxsd, where
// std::max (which returns a reference) becomes a compare and a branch, and
// the comparisons of the hot path are data-dependent.
inline double dmax(double a, double b) {
  return a > b ? a : b;
}

// The average DMA cycles of the events around a step: a fetch of I and of W
// after the first, an output write-back before the last, a partial-sum
// read-back.
struct StepTransfers {
  double fetch_i = 0, fetch_w = 0, writeback = 0, readback = 0;
};

// The DMA load of a step, per engine slot and bit of the step's key (which
// transfers come around it): the transfer cycles in the shadow of the unit's
// work and those that must follow it. Transfers on one engine serialise;
// distinct engines run in parallel; a transfer without an engine is not
// timed. Branch-free in the key, which varies from step to step.
class StepLoads {
 public:
  static constexpr std::size_t kBits = 4;
  explicit StepLoads(int slots) : slots_(static_cast<std::size_t>(slots)) {
    for (std::size_t s = 0; s < slots_; ++s)
      over_[s] = serial_[s] = {};
  }
  void add(unsigned bit, int slot, double c, bool overlapped) {
    const auto s = static_cast<std::size_t>(slot);
    if (s >= slots_) return;
    const double v = dmax(c, 0.0), ov = static_cast<double>(overlapped);
    over_[s][bit] += v * ov;
    serial_[s][bit] += v - v * ov;
  }
  // The step ends when the unit's work and every engine are done: an engine
  // runs its overlapped transfers during the work, the others after it.
  double time(unsigned key, double work) const {
    std::array<double, kBits> on;
    for (std::size_t b = 0; b < kBits; ++b)
      on[b] = static_cast<double>(key >> b & 1u);
    double t = work;
    for (std::size_t s = 0; s < slots_; ++s) {
      double ov = 0, se = 0;
      for (std::size_t b = 0; b < kBits; ++b) {
        ov += on[b] * over_[s][b];
        se += on[b] * serial_[s][b];
      }
      t = dmax(t, dmax(work, ov) + se);
    }
    return t;
  }

 private:
  std::size_t slots_;
  // Rows beyond slots_ stay unset (never read).
  std::array<std::array<double, kBits>, LayerContext::kEngineSlots> over_, serial_;
};

// The sum of the step times of a nest of `steps` steps whose unit work is
// `work` per step. A step's time depends only on the transfers around it,
// which follow from the loop levels that advance before it (la) and after
// it (lb; 0: none): bit 0 the previous output write-back (la <= p_O, O
// double-buffered), bits 1 to 3 the fetches of the next I and W tiles and
// of the next output tile (lb <= p_I, p_W, p_O). Steps are counted per key
// in closed form (the steps whose outermost advancing loop is L number
// prod(n before L) x (n_L - 1)), and each key that occurs is timed once.
// A condition as 0 or 1, for branch-free masks (bitwise & of bools, which
// clang warns about, without the branches of &&).
constexpr unsigned bit(bool b) {
  return b ? 1u : 0u;
}

// A transfer overlaps the work when its operand is double-buffered and no
// single-ported level stands between them.
// Inlined into its callers: its arguments stay in registers on the hot path.
[[gnu::always_inline]] inline double step_sum(const LayerContext& ctx, const LoopLevels& lv,
                                              const std::array<bool, kNumOperands>& db,
                                              const StepTransfers& tr, double work, double steps) {
  constexpr std::size_t kI = 0, kW = 1, kO = 2;
  if (lv.loops == 0) return work;
  const auto& p = lv.p;
  std::array<bool, kNumOperands> overlaps{};
  for (std::size_t o = 0; o < kNumOperands; ++o)
    overlaps[o] = bit(db[o]) & bit(!ctx.port_bound[o]);
  auto before = [&](int la) { return bit(la >= 1) & bit(la <= p[kO]) & bit(db[kO]); };
  auto after = [&](int lb) {
    const unsigned any = bit(lb >= 1);
    return (any & bit(lb <= p[kI])) << 1 | (any & bit(ctx.present[kW]) & bit(lb <= p[kW])) << 2 |
           (any & bit(lb <= p[kO])) << 3;
  };
  StepLoads load(ctx.engine_slots);
  load.add(0, ctx.slot_out[kO], tr.writeback, overlaps[kO]);
  load.add(1, ctx.slot_in[kI], tr.fetch_i, overlaps[kI]);
  load.add(2, ctx.slot_in[kW], tr.fetch_w, overlaps[kW]);
  load.add(3, ctx.slot_out[kO], db[kO] ? 0.0 : tr.writeback, false);
  load.add(3, ctx.slot_in[kO], tr.readback, overlaps[kO]);
  std::array<double, 16> steps_of{};  // steps per key
  unsigned used = 0;
  auto add = [&](unsigned key, double count) {
    steps_of[key] += count;
    used |= 1u << key;
  };
  const int inner = lv.loops;
  double before_l = 1;  // product of the tile counts of the loops outside L
  for (int L = 1; L < inner; ++L) {
    const double c = before_l * (lv.n[static_cast<std::size_t>(L - 1)] - 1);
    add(before(inner) | after(L), c);  // inner wraps, L moves
    add(before(L) | after(inner), c);  // L moved, inner next
    before_l *= lv.n[static_cast<std::size_t>(L - 1)];
  }
  const double n_inner = lv.n[static_cast<std::size_t>(inner - 1)];
  add(before(0) | after(inner), 1);  // the first step, followed by an inner increment
  add(before(inner) | after(inner), before_l * (n_inner - 1) - steps / n_inner);
  add(before(inner) | after(0), 1);  // the last step
  double body = 0;
  for (unsigned rest = used; rest; rest &= rest - 1) {
    const auto key = static_cast<unsigned>(std::countr_zero(rest));
    body += steps_of[key] * load.time(key, work);
  }
  return body;
}

}  // namespace tessel::sim
