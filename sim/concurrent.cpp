#include "sim/concurrent.hpp"

#include <algorithm>
#include <numeric>

#include "sim/stages.hpp"

namespace tessel::sim {

namespace {

constexpr std::size_t kI = idx(Operand::I), kW = idx(Operand::W), kO = idx(Operand::O);

// The transfers a one-nest mapping issues when its launch ends, before its
// first computation (as the event simulator's replay issues them): the
// first fetches of I and W and the first read-back, then the double-
// buffered fetches of the operands the second step changes. Empty for
// deeper mappings (their outer nests' fills are not modelled here).
std::vector<BurstTransfer> launch_burst(const Analytical& model, const LayerContext& ctx,
                                        const Mapping& m) {
  std::vector<BurstTransfer> out;
  if (m.depth != 1) return out;
  const hw::Soc& soc = model.soc();
  const auto& nest = m.inner();
  const TileTerms tt = model.tile_terms(ctx, nest.tile, m.unrolling, false);
  if (!tt.legal) return out;
  auto add = [&](const hw::DmaEngine* e, double cycles, bool awaited) {
    if (e && cycles > 0) out.push_back({static_cast<int>(e - soc.dmas.data()), cycles, awaited});
  };
  if (ctx.moved[kI]) add(ctx.engine_in[kI], tt.first_i, true);
  if (ctx.moved[kW]) add(ctx.engine_in[kW], tt.first_w, true);
  if (ctx.moved[kO] && ctx.accumulates) add(ctx.engine_in[kO], tt.first_rb, true);
  const LoopLevels lv(ctx, tt.grid.count, nest.order);
  if (lv.loops == 0) return out;
  const auto tr = stages::nest_transfers(ctx, tt, lv);
  for (std::size_t o : {kI, kW}) {
    const bool early = nest.double_buffer[o] && !ctx.port_bound[o];
    if (ctx.moved[o] && early && lv.p[o] == lv.loops)  // changes every step
      add(ctx.engine_in[o], o == kI ? tr.avg.fetch_i : tr.avg.fetch_w, false);
  }
  return out;
}

// Per part, how much later than alone its first computation starts when
// the parts' bursts share the engines in first-come order.
std::vector<double> burst_waits(const hw::Soc& soc, const std::vector<const PartDemand*>& parts) {
  std::vector<std::size_t> order(parts.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return parts[a]->launch < parts[b]->launch;
  });
  std::vector<double> free_at(soc.dmas.size(), 0.0), wait(parts.size(), 0.0);
  for (auto i : order) {
    const PartDemand& p = *parts[i];
    std::vector<double> alone(soc.dmas.size(), p.launch);  // the engines' times alone
    double ready = p.launch, ready_alone = p.launch;
    for (const auto& t : p.burst) {
      const auto e = static_cast<std::size_t>(t.engine);
      const double start = std::max(p.launch, free_at[e]);
      free_at[e] = start + t.cycles;
      alone[e] += t.cycles;
      if (t.awaited) {
        ready = std::max(ready, free_at[e]);
        ready_alone = std::max(ready_alone, alone[e]);
      }
    }
    wait[i] = ready - ready_alone;
  }
  return wait;
}

// The cycles part i loses to the other parts' transfers on the engines it
// uses. The others' busy time during part i's run (all of a shorter part's,
// a share of a longer one's) spreads evenly over its steps; a pipelined
// step lasts max(work, own transfers + inserted transfers), so the inserted
// time costs only what exceeds the step's slack; a part that does not
// overlap its transfers loses inserted time in the share of its own time
// that its engine is busy for it.
double interference(const hw::Soc& soc, const std::vector<const PartDemand*>& parts,
                    std::size_t i) {
  const PartDemand& p = *parts[i];
  if (p.cycles <= 0) return 0;
  double lost = 0;
  for (std::size_t e = 0; e < soc.dmas.size(); ++e) {
    if (p.engine[e] <= 0) continue;
    double others = 0, chunks = 0, chunk = 0;  // the others' busy time, in step-sized chunks
    for (std::size_t q = 0; q < parts.size(); ++q) {
      const PartDemand& o = *parts[q];
      if (q == i || o.cycles <= 0 || o.engine[e] <= 0) continue;
      const double share = std::min(1.0, p.cycles / o.cycles);  // of o's run during p's
      others += o.engine[e] * share;
      chunks += o.steps * share;
      chunk = std::max(chunk, o.engine[e] / o.steps);
    }
    if (!p.pipelined) {  // waits only when an inserted transfer meets one of its own
      lost += others * std::min(1.0, p.engine[e] / p.cycles);
      continue;
    }
    // Spread evenly over p's steps, or (when the others' steps are longer
    // than p's) one whole chunk in each of `chunks` of p's steps.
    const double own = p.engine[e] / p.steps, inserted = others / p.steps;
    const double spread = p.steps * (std::max(p.work, own + inserted) - std::max(p.work, own));
    const double lumped =
        std::min(chunks, p.steps) * (std::max(p.work, own + chunk) - std::max(p.work, own));
    lost += std::max(spread, lumped);
  }
  return lost;
}

// The cycles part i's transfers wait for a port of a level whose ports the
// computations hold. When the others' computations alone hold every port,
// all its transfers touching the level wait while they compute (for the
// share of its time they do); when its own computation takes the last free
// port, only the transfers it hides behind its own computation wait (those
// it waits for find a port free).
double port_blocking(const hw::Soc& soc, const std::vector<const PartDemand*>& parts,
                     std::size_t i) {
  const PartDemand& p = *parts[i];
  if (p.cycles <= 0) return 0;
  double lost = 0;
  for (std::size_t lvl = 0; lvl < soc.levels.size(); ++lvl) {
    if (p.moved[lvl] <= 0) continue;
    int others = 0;
    double computing = 0;  // the others' computing time during part i's, as a share
    for (std::size_t q = 0; q < parts.size(); ++q) {
      if (q == i || !parts[q]->held[lvl]) continue;
      ++others;
      computing = std::max(computing, std::min(1.0, parts[q]->unit_busy / p.cycles));
    }
    const int ports = std::max(1, soc.levels[lvl].ports);
    if (others >= ports) {
      lost = std::max(lost, p.moved[lvl] * computing);
    } else if (others + (p.held[lvl] ? 1 : 0) >= ports) {
      lost = std::max(lost, p.moved[lvl] * p.hidden * computing);
    }
  }
  return lost;
}

}  // namespace

PartDemand part_demand(const Analytical& model, const LayerContext& ctx, const Mapping& m,
                       const Cost& c) {
  const hw::Soc& soc = model.soc();
  PartDemand d;
  d.cycles = c.cycles;
  d.launch = ctx.launch_cycles;
  d.steps = std::max<double>(1.0, static_cast<double>(c.tiles));
  d.work = c.compute_cycles / d.steps + ctx.tile_overhead;
  d.pipelined = m.inner().double_buffer[kI] || m.inner().double_buffer[kW];
  d.burst = launch_burst(model, ctx, m);
  d.engine.assign(soc.dmas.size(), 0.0);
  d.port.assign(soc.levels.size(), 0.0);
  d.moved.assign(soc.levels.size(), 0.0);
  // Each engine's share of the DMA busy time: its routes' bytes at its
  // bandwidth, scaled so the shares add up to the model's busy time (which
  // also counts setups and rows).
  const auto routes = model.route_bytes(ctx, m);
  std::vector<double> raw(routes.size(), 0.0);
  double raw_total = 0;
  for (std::size_t r = 0; r < routes.size(); ++r) {
    raw[r] = routes[r].engine->bandwidth > 0 ? routes[r].bytes / routes[r].engine->bandwidth : 0;
    raw_total += raw[r];
  }
  const double scale = raw_total > 0 ? c.dma_busy_cycles / raw_total : 0.0;
  for (std::size_t r = 0; r < routes.size(); ++r) {
    const double busy = raw[r] * scale;
    d.engine[static_cast<std::size_t>(routes[r].engine - soc.dmas.data())] += busy;
    for (int lvl : {routes[r].from, routes[r].to}) {  // a port of its source and destination
      d.port[static_cast<std::size_t>(lvl)] += busy;
      d.moved[static_cast<std::size_t>(lvl)] += busy;
    }
  }
  // The computation holds a port of every level its unit reads a tile from.
  d.hidden = c.dma_busy_cycles > 0
                 ? std::clamp((c.dma_busy_cycles - c.dma_cycles) / c.dma_busy_cycles, 0.0, 1.0)
                 : 0.0;
  d.unit_busy = c.compute_cycles + static_cast<double>(c.tiles) * ctx.tile_overhead;
  d.held.assign(soc.levels.size(), false);
  for (std::size_t o = 0; o < kNumOperands; ++o) {
    if (!ctx.present[o] || (o == idx(Operand::W) && !ctx.weights_per_tile)) continue;
    d.held[static_cast<std::size_t>(ctx.level[o])] = true;
  }
  for (std::size_t lvl = 0; lvl < d.held.size(); ++lvl) {
    if (d.held[lvl]) d.port[lvl] += d.unit_busy;
  }
  return d;
}

double contention_cycles(const hw::Soc& soc, const std::vector<const PartDemand*>& parts) {
  double slowest = 0, delayed = 0;
  const auto wait = burst_waits(soc, parts);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    slowest = std::max(slowest, parts[i]->cycles);
    delayed = std::max(delayed, parts[i]->cycles + wait[i] + interference(soc, parts, i) +
                                    port_blocking(soc, parts, i));
  }
  double loaded = delayed;  // the most loaded shared resource's time, or the latest part
  for (std::size_t e = 0; e < soc.dmas.size(); ++e) {
    double sum = 0;
    for (const auto& p : parts)
      sum += p->engine[e];
    loaded = std::max(loaded, sum);
  }
  for (std::size_t lvl = 0; lvl < soc.levels.size(); ++lvl) {
    double sum = 0;
    for (const auto& p : parts)
      sum += p->port[lvl];
    loaded = std::max(loaded, sum / std::max(1, soc.levels[lvl].ports));
  }
  return std::max(0.0, loaded - slowest);
}

}  // namespace tessel::sim
