#include <algorithm>
#include <cmath>

#include "sim/analytical.hpp"
#include "sim/energy.hpp"
#include "sim/nests.hpp"
#include "sim/stages.hpp"

// The cost of a mapping with more than one loop nest (docs/cost-model.md,
// "Several loop nests"). Each nest is costed as a one-level mapping of the
// part of the layer the nest above hands it (a sub-layer of the extents of
// one of its tiles): its tiles move from where the nest above left them to
// the nest's buffers, and its step timeline overlaps those transfers with
// the work of a step, which for an outer nest is the whole inner nest run on
// that tile. Tiles of an outer nest come in at most 2^k shapes (full or last
// along each of the k dimensions it cuts with a remainder); the inner nest is
// costed once per shape and weighted by how often the shape occurs, so the
// sums are exact and the per-step work of the outer timeline is their average.
namespace tessel::sim {
namespace {

using stages::kI;
using stages::kO;
using stages::kW;

class NestedEvaluation {
 public:
  // With `inner`, the innermost nest is not costed: each of its runs costs
  // what inner(extents of the run) says (Analytical::outer_bound).
  NestedEvaluation(const Analytical& model, const LayerContext& top, const Mapping& m,
                   const InnerCosts* inner = nullptr, std::vector<RouteBytes>* routes = nullptr)
      : model_(model), top_(top), m_(m), inner_(inner), routes_(routes) {}

  Cost run() {
    Cost cost;
    if (const char* why = prepare()) {
      cost.reason = why;
      return cost;
    }
    if (const char* why = place(cost.bytes_held)) {
      cost = Cost{};
      cost.reason = why;
      return cost;
    }
    const double time = nest(0, NestChain::no_cuts(), 1.0);
    if (reason_) {
      cost = Cost{};
      cost.reason = reason_;
      return cost;
    }
    cost.tiles = static_cast<std::int64_t>(tiles_);
    cost.macs = top_.layer->macs();
    cost.compute_cycles = compute_;
    cost.overhead_cycles = top_.launch_cycles + tiles_ * top_.tile_overhead;
    cost.cycles = top_.launch_cycles + time;
    cost.dma_cycles = dmax(cost.cycles - cost.compute_cycles - cost.overhead_cycles, 0.0);
    cost.dma_busy_cycles = dma_busy_;
    for (std::size_t o = 0; o < kNumOperands; ++o) {
      cost.transfers[o] = static_cast<std::int64_t>(transfers_[o] + 0.5);
      cost.bytes_moved[o] = static_cast<std::int64_t>(bytes_moved_[o] + 0.5);
    }
    cost.level_energy = energy_.level_energy;
    cost.dma_energy = energy_.dma_energy;
    charge_time(top_, compute_, compute_energy_, cost);
    cost.energy += given_energy_;  // the given inner runs' energy without their static part
    cost.legal = true;
    return cost;
  }

 private:
  const char* prepare() {
    if (const char* why = chain_.resolve(top_, m_)) return why;
    const auto& model = *top_.model;
    if (m_.unrolling < 0 || static_cast<std::size_t>(m_.unrolling) >= model.unrollings().size())
      return "the unit has no spatial unrolling with this index";
    return nullptr;
  }

  // Capacity: the layer's whole tensors at their home levels, each nest's
  // buffers of the operands it moves (two with double buffering), the unit's
  // scratch at its input level.
  const char* place(std::array<std::int64_t, kMaxLevels>& held) const {
    held = top_.home_bytes;
    for (int j = 0; j < chain_.depth(); ++j) {
      const auto& c = chain_.ctx(j);
      const auto bytes = model_.tile_bytes(top_, chain_.tile(j));
      for (std::size_t o = 0; o < kNumOperands; ++o) {
        if (!c.moved[o]) continue;
        const auto b = static_cast<std::int64_t>(std::ceil(bytes[o]));
        held[static_cast<std::size_t>(c.level[o])] += b * (m_.nest(j).double_buffer[o] ? 2 : 1);
      }
    }
    const auto& inner = chain_.tile(chain_.depth() - 1);
    held[static_cast<std::size_t>(top_.level[kI])] +=
        top_.model->extra_bytes(*top_.layer, inner, m_.unrolling);
    return stages::overflowing_level(top_, held) < 0
               ? nullptr
               : "the buffers of the loop nests do not fit their memories";
  }

  // The cycles of nest j over its sub-layer (whose extents are set), without
  // the launch; adds `times` x its energy, transfers and compute to the totals.
  double nest(int j, const Cuts& cuts, double times) {
    const bool innermost = j + 1 == chain_.depth();
    const LayerContext& c = chain_.ctx(j);
    const Layer& l = chain_.sub(j);
    TileTerms tt;
    if (const char* why = stages::make_grid(l, chain_.tile(j), tt)) return fail(why);
    double work_sum = 0;  // the unit's (or the inner nests') time over every step
    if (innermost) {
      const char* why = nullptr;
      if (!top_.model->tile_legal(l, tt.grid.tile, m_.unrolling, &why))
        return fail(why ? why : "the unit cannot run a tile of this shape");
      const auto sum = top_.model->sum_cost(l, tt.grid, m_.unrolling);
      compute_ += times * sum.cycles;
      compute_energy_ += times * stages::compute_energy(c, l, sum);
      tiles_ += times * tt.steps;
      work_sum = sum.cycles + tt.steps * c.tile_overhead;
    } else if (inner_ && j + 2 == chain_.depth()) {
      for_each_shape(tt.grid, [&](const DimArray& e, double occurs) {
        const Cost run = (*inner_)(e);
        if (!run.legal) fail(run.reason ? run.reason : "an inner nest run has no legal mapping");
        work_sum += occurs * run.cycles;
        given_energy_ += times * occurs * (run.energy - run.static_energy);
        tiles_ += times * occurs * static_cast<double>(run.tiles);
        compute_ += times * occurs * run.compute_cycles;
      });
      if (reason_) return 0;
    } else {
      const Cuts inner_cuts = chain_.inner_cuts(j, cuts, tt.grid.count);
      for_each_shape(tt.grid, [&](const DimArray& e, double occurs) {
        chain_.set_extents(j + 1, e);
        work_sum += occurs * nest(j + 1, inner_cuts, times * occurs);
      });
      if (reason_) return 0;
    }
    std::array<TrafficLayout, kNumOperands> lay;
    for (std::size_t o = 0; o < kNumOperands; ++o)
      lay[o] = traffic_layout(l, NestChain::layout_counts(cuts, o, tt.grid.count));
    stages::sum_traffic(c, tt, lay[kI], lay[kW], lay[kO]);
    const LoopLevels lv(c, tt.grid.count, m_.nest(j).order);
    if (stages::reads_back(c, lv) && !c.engine_in[kO])
      return fail("partial sums would need reading back, but no DMA engine moves them in");
    const auto tr = stages::nest_transfers(c, tt, lv);
    const double work = work_sum / tt.steps;
    const double body = step_sum(c, lv, m_.nest(j).double_buffer, tr.avg, work, tt.steps);
    account(c, tt, lv, tr, innermost, times);
    return tt.first_in + body + tt.last_wb;
  }

  // The totals of one run of a nest, `times` over.
  void account(const LayerContext& c, const TileTerms& tt, const LoopLevels& lv,
               const stages::NestTransfers& tr, bool innermost, double times) {
    const double unit = innermost ? 1.0 : 0.0;  // the unit's own accesses: innermost nest only
    FlowBytes flows = {tr.i_bytes,
                       tr.w_bytes,
                       tr.o_wb_bytes,
                       tr.readback_bytes,
                       unit * tt.elems[kI] * c.elem_bytes[kI],
                       unit * tt.elems[kW] * c.elem_bytes[kW],
                       unit * tt.elems[kO] * c.elem_bytes[kO]};
    for (auto& f : flows)
      f *= times;
    charge_flows(c, flows, energy_);
    dma_busy_ += times * tr.dma_busy;
    const std::array<double, kNumOperands> moved = {tr.i_bytes, tr.w_bytes,
                                                    tr.o_wb_bytes + tr.readback_bytes};
    for (std::size_t o = 0; o < kNumOperands; ++o) {
      if (!c.moved[o]) continue;
      transfers_[o] += times * lv.count[o];
      bytes_moved_[o] += times * moved[o];
    }
    if (routes_) record_routes(c, tr, times);
  }

  // The nest's bytes per engine and pair of levels, `times` over.
  void record_routes(const LayerContext& c, const stages::NestTransfers& tr, double times) {
    auto add = [&](const hw::DmaEngine* e, int from, int to, double bytes) {
      if (bytes <= 0) return;
      for (auto& r : *routes_) {
        if (r.engine == e && r.from == from && r.to == to) {
          r.bytes += times * bytes;
          return;
        }
      }
      routes_->push_back({e, from, to, times * bytes});
    };
    if (c.moved[kI]) add(c.engine_in[kI], c.home[kI], c.level[kI], tr.i_bytes);
    if (c.moved[kW]) add(c.engine_in[kW], c.home[kW], c.level[kW], tr.w_bytes);
    if (c.moved[kO]) {
      add(c.engine_out[kO], c.level[kO], c.home[kO], tr.o_wb_bytes);
      add(c.engine_in[kO], c.home[kO], c.level[kO], tr.readback_bytes);
    }
  }

  double fail(const char* why) {
    if (!reason_) reason_ = why;
    return 0;
  }

  const Analytical& model_;
  const LayerContext& top_;
  const Mapping& m_;
  const InnerCosts* inner_;
  std::vector<RouteBytes>* routes_;
  double given_energy_ = 0;
  NestChain chain_;
  const char* reason_ = nullptr;
  Cost energy_;  // level and DMA energy of every nest
  double compute_ = 0, compute_energy_ = 0, tiles_ = 0, dma_busy_ = 0;
  std::array<double, kNumOperands> transfers_{}, bytes_moved_{};
};

}  // namespace

Cost Analytical::nested(const LayerContext& ctx, const Mapping& m) const {
  return NestedEvaluation(*this, ctx, m).run();
}

std::vector<RouteBytes> Analytical::route_bytes(const LayerContext& ctx, const Mapping& m) const {
  std::vector<RouteBytes> routes;
  if (!NestedEvaluation(*this, ctx, m, nullptr, &routes).run().legal) routes.clear();
  return routes;
}

Cost Analytical::outer_bound(const LayerContext& ctx, const Mapping& m,
                             const InnerCosts& inner) const {
  if (m.depth < 2) {
    Cost c;
    c.reason = "an outer bound needs a mapping of at least two loop nests";
    return c;
  }
  return NestedEvaluation(*this, ctx, m, &inner).run();
}

}  // namespace tessel::sim
