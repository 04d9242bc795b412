#include "sim/event_builder.hpp"

#include <algorithm>
#include <map>

#include "sim/traffic.hpp"

namespace tessel::sim {
namespace {

constexpr std::size_t kI = idx(Operand::I), kW = idx(Operand::W), kO = idx(Operand::O);

// One tile step of a nest: extents, which operands change, the buffer
// version of each operand (1-based), the output tile and its visit.
struct Step {
  DimArray e;
  std::array<bool, kNumOperands> changes;
  std::array<std::uint64_t, kNumOperands> ver{};
  std::uint64_t o_tile = 0;
  std::uint64_t o_visit = 0;  // 1 for the first visit of the output tile
};

// The steps of a grid (tiles t, counts n, last extents r) in loop order.
struct Steps {
  std::vector<Step> list;
  std::array<std::uint64_t, kNumOperands> opened{};  // buffer versions per operand
  std::uint64_t visits_per_tile = 1;                 // visits of each output tile
};

Steps plan_steps(const LayerContext& ctx, const hw::TileGrid& g,
                 const std::array<Dim, kNumDims>& order) {
  std::vector<std::size_t> loop_dim;  // loops with more than one tile, outermost first
  for (Dim d : order) {
    if (g.count[idx(d)] > 1) loop_dim.push_back(idx(d));
  }
  const std::size_t loops = loop_dim.size();
  std::array<int, kNumOperands> p{};
  for (std::size_t o = 0; o < kNumOperands; ++o) {
    for (std::size_t i = 0; i < loops; ++i) {
      if (relevant(static_cast<Operand>(o), static_cast<Dim>(loop_dim[i])))
        p[o] = static_cast<int>(i) + 1;
    }
  }
  Steps out;
  std::uint64_t total = 1;
  for (std::size_t d = 0; d < kNumDims; ++d)
    total *= static_cast<std::uint64_t>(g.count[d]);
  out.list.reserve(total);
  std::vector<std::int64_t> index(loops, 0);
  std::map<std::uint64_t, std::uint64_t> visits;
  for (std::uint64_t s = 0; s < total; ++s) {
    int carry = 0;  // the outermost loop that advanced (0: first step)
    if (s > 0) {
      for (std::size_t i = loops; i-- > 0;) {
        if (++index[i] < g.count[loop_dim[i]]) {
          carry = static_cast<int>(i) + 1;
          break;
        }
        index[i] = 0;
      }
    }
    Step st;
    st.e = g.tile;
    std::uint64_t tile = 0;
    for (std::size_t i = 0; i < loops; ++i) {
      const auto d = loop_dim[i];
      if (index[i] == g.count[d] - 1) st.e[d] = g.last[d];
      if (relevant(Operand::O, static_cast<Dim>(d)))
        tile = tile * static_cast<std::uint64_t>(g.count[d]) + static_cast<std::uint64_t>(index[i]);
    }
    for (std::size_t o = 0; o < kNumOperands; ++o) {
      st.changes[o] = ctx.present[o] && (s == 0 || carry <= p[o]);
      if (st.changes[o]) ++out.opened[o];
      st.ver[o] = out.opened[o];
    }
    st.o_tile = tile;
    if (st.changes[kO]) st.o_visit = ++visits[tile];
    out.list.push_back(st);
  }
  if (!visits.empty()) out.visits_per_tile = visits.begin()->second;
  return out;
}

hw::TileGrid grid_of(const DimArray& extents, const DimArray& tile) {
  hw::TileGrid g;
  for (std::size_t d = 0; d < kNumDims; ++d) {
    g.tile[d] = std::min(tile[d], extents[d]);
    g.count[d] = (extents[d] + g.tile[d] - 1) / g.tile[d];
    g.last[d] = extents[d] - (g.count[d] - 1) * g.tile[d];
  }
  return g;
}

}  // namespace

JobGraph::JobGraph(const hw::Soc& s) : soc(s) {
  engine_base = 0;
  for (const auto& d : soc.dmas)
    resources.push_back({d.name, "dma", 1, 0, 0, 0});
  unit_base = static_cast<int>(resources.size());
  for (const auto& u : soc.units)
    resources.push_back({u.name, "unit", 1, 0, 0, 0});
  level_base = static_cast<int>(resources.size());
  for (const auto& l : soc.levels)
    resources.push_back({l.name, "memory", std::max(1, l.ports), 0, 0, 0});
}

int JobGraph::engine_resource(const hw::DmaEngine* e) const {
  return engine_base + static_cast<int>(e - soc.dmas.data());
}

int JobGraph::add(SimJob info, double duration, std::array<int, 3> ports,
                  std::initializer_list<int> deps) {
  EventJob j;
  j.info = info;
  j.duration = std::max(0.0, duration);
  j.ports = ports;
  j.program = program;
  const int id = static_cast<int>(jobs.size());
  jobs.push_back(j);
  for (int d : deps)
    depend(id, d);
  return id;
}

void JobGraph::depend(int job, int on) {
  if (on == kNoJob) return;
  edges.emplace_back(static_cast<std::uint32_t>(on), static_cast<std::uint32_t>(job));
  ++jobs[static_cast<std::size_t>(job)].waiting;
}

// The replay of one nest over one tile of the nest above, created in the
// order the unit's program issues the jobs (which is the order each resource
// serves them):
//   the fetches of step 0;
//   per step s: the prefetches for s+1 of double-buffered operands (and the
//   read-back of a revisited, double-buffered output tile), the work of s
//   (a computation, or the inner nest's run over the tile), then the
//   fetches for s+1 of single-buffered operands, the write-back of the
//   output tile if it changes, and the read-back of a revisited,
//   single-buffered output tile.
// Buffers impose fill-before-read and consume-before-overwrite; the sources
// the nest above fills are ready only after its fetches.
struct JobGraph::NestReplay {
  NestReplay(JobGraph& builder, NestChain& nests, const Mapping& mapping, int nest_index,
             const Cuts& source_cuts, const NestSources& sources, std::uint32_t layer,
             int launch_job, int& last_compute)
      : b(builder),
        chain(nests),
        m(mapping),
        j(nest_index),
        cuts(source_cuts),
        src(sources),
        layer_index(layer),
        launch(launch_job),
        prev_compute(last_compute) {}

  JobGraph& b;
  NestChain& chain;
  const Mapping& m;
  int j;
  Cuts cuts;
  NestSources src;
  std::uint32_t layer_index;
  int launch;
  int& prev_compute;  // the layer's last computation (the unit runs them in order)

  const LayerContext& ctx = chain.ctx(j);
  const LoopNest& nest = m.nest(j);
  const bool innermost = j + 1 == m.depth;
  hw::TileGrid g = grid_of(chain.sub(j).dims, chain.tile(j));
  Steps steps = plan_steps(ctx, g, nest.order);
  std::array<std::uint64_t, kNumOperands> buffers{};
  std::array<bool, kNumOperands> early{};
  std::array<std::vector<int>, kNumOperands> fetch_of;  // per operand and version
  std::array<std::array<int, 2>, kNumOperands> slot_user{};
  std::vector<int> wb_of;                     // output version -> write-back job
  std::map<std::uint64_t, int> last_tile_wb;  // output tile -> its latest write-back
  std::vector<int> readback_of;
  std::uint64_t opened_at = 0;  // the step that opened the current output buffer
  std::array<int, 3> unit_ports{kNoJob, kNoJob, kNoJob};  // levels a computation holds
  NestRun out;

  int level_res(int lvl) const { return b.level_base + lvl; }
  TileTraffic traffic(std::size_t o, const DimArray& e) const {
    return tile_traffic(ctx, NestChain::layout_counts(cuts, o, g.count), e,
                        static_cast<Operand>(o));
  }

  NestRun run() {
    for (std::size_t o = 0; o < kNumOperands; ++o) {
      buffers[o] = nest.double_buffer[o] ? 2u : 1u;
      // Issued before the work of the previous step (in its shadow): double-
      // buffered transfers whose levels leave a port free for the unit.
      early[o] = buffers[o] == 2 && !ctx.port_bound[o];
      fetch_of[o].assign(static_cast<std::size_t>(steps.opened[o]), kNoJob);
      slot_user[o] = {kNoJob, kNoJob};
    }
    readback_of.assign(steps.list.size(), kNoJob);
    std::size_t k = 0;
    for (std::size_t o = 0; o < kNumOperands && innermost; ++o) {
      if (!ctx.present[o] || (o == kW && !ctx.weights_per_tile)) continue;
      const int res = level_res(ctx.level[o]);
      if (std::find(unit_ports.begin(), unit_ports.end(), res) == unit_ports.end())
        unit_ports[k++] = res;
    }
    for (std::size_t o : {kI, kW}) {
      if (steps.list[0].changes[o]) fetch(o, 0);
    }
    readback(0);  // an accumulating layer's first partial sums
    for (std::uint64_t s = 0; s < steps.list.size(); ++s)
      step(s);
    return out;
  }

  void step(std::uint64_t s) {
    const auto& st = steps.list[s];
    const bool has_next = s + 1 < steps.list.size();
    if (st.changes[kO]) opened_at = s;  // tile s computes into a new output buffer
    if (has_next) {
      for (std::size_t o : {kI, kW}) {
        if (steps.list[s + 1].changes[o] && early[o]) fetch(o, s + 1);
      }
      if (early[kO]) readback(s + 1);
    }
    const int done = innermost ? compute(s) : inner(s);
    if (has_next) {
      for (std::size_t o : {kI, kW}) {
        if (steps.list[s + 1].changes[o] && !early[o]) fetch(o, s + 1);
      }
    }
    if (!has_next || steps.list[s + 1].changes[kO]) writeback(s, done);
    if (has_next && !early[kO]) readback(s + 1);
  }

  void fetch(std::size_t o, std::uint64_t s) {
    const auto v = steps.list[s].ver[o];
    if (!ctx.moved[o]) return;
    const auto slot = static_cast<std::size_t>((v - 1) % buffers[o]);
    const auto tr = traffic(o, steps.list[s].e);
    const double bytes = tr.elems * ctx.elem_bytes[o];
    const int f = b.add({SimJob::Kind::fetch, b.engine_resource(ctx.engine_in[o]), layer_index,
                         static_cast<std::uint32_t>(s), static_cast<std::uint8_t>(o), bytes, 0, 0},
                        transfer_cycles(ctx.engine_in[o], ctx.byte_cycles_in[o], bytes, tr),
                        {level_res(ctx.home[o]), level_res(ctx.level[o]), kNoJob},
                        {launch, slot_user[o][slot], src.ready[o], src.start});
    b.jobs[static_cast<std::size_t>(f)].cause = StallCause::buffer_busy;
    fetch_of[o][static_cast<std::size_t>(v - 1)] = f;
    out.last_read[o] = f;
  }

  // The output buffer of version v is free once version v - B is written back.
  int o_slot_free(std::uint64_t v) const {
    return v > buffers[kO] ? wb_of[static_cast<std::size_t>(v - buffers[kO] - 1)] : kNoJob;
  }

  // The latest write-back of an output tile (none before its first visit).
  int written_back(std::uint64_t tile) const {
    const auto it = last_tile_wb.find(tile);
    return it == last_tile_wb.end() ? kNoJob : it->second;
  }

  void readback(std::uint64_t s) {
    const auto& st = steps.list[s];
    const bool first_visit = st.o_visit <= 1 && !ctx.accumulates;  // nothing to read back yet
    if (!st.changes[kO] || first_visit || !ctx.moved[kO] || !ctx.engine_in[kO]) return;
    const auto tr = traffic(kO, st.e);
    const double bytes = tr.elems * ctx.acc_bytes;
    const int rb =
        b.add({SimJob::Kind::readback, b.engine_resource(ctx.engine_in[kO]), layer_index,
               static_cast<std::uint32_t>(s), static_cast<std::uint8_t>(kO), bytes, 0, 0},
              transfer_cycles(ctx.engine_in[kO], ctx.byte_cycles_in[kO], bytes, tr),
              {level_res(ctx.home[kO]), level_res(ctx.level[kO]), kNoJob},
              {written_back(st.o_tile), o_slot_free(st.ver[kO])});
    b.jobs[static_cast<std::size_t>(rb)].cause = StallCause::buffer_busy;
    readback_of[s] = rb;
    out.last_read[kO] = rb;
  }

  void writeback(std::uint64_t s, int after) {
    const auto& st = steps.list[s];
    int wb = kNoJob;
    if (ctx.moved[kO]) {
      const auto tr = traffic(kO, st.e);
      const bool final = steps.list[opened_at].o_visit == steps.visits_per_tile;
      const double bytes = tr.elems * (final ? ctx.elem_bytes[kO] : ctx.acc_bytes);
      wb = b.add({SimJob::Kind::writeback, b.engine_resource(ctx.engine_out[kO]), layer_index,
                  static_cast<std::uint32_t>(s), static_cast<std::uint8_t>(kO), bytes, 0, 0},
                 transfer_cycles(ctx.engine_out[kO], ctx.byte_cycles_out[kO], bytes, tr),
                 {level_res(ctx.level[kO]), level_res(ctx.home[kO]), kNoJob},
                 {after, out.last_writeback, src.output_free});
      out.last_writeback = wb;
    }
    wb_of.push_back(wb);
    last_tile_wb[steps.list[opened_at].o_tile] = wb;
  }

  // The computation of tile s of the innermost nest.
  int compute(std::uint64_t s) {
    const auto& st = steps.list[s];
    const double cycles =
        ctx.model->tile_cycles(chain.sub(j), st.e, m.unrolling) + ctx.tile_overhead;
    const int c = b.add({SimJob::Kind::compute, b.unit_base + ctx.unit, layer_index,
                         static_cast<std::uint32_t>(s), 0, 0, 0, 0},
                        cycles, unit_ports, {launch, prev_compute, src.start});
    for (std::size_t o : {kI, kW}) {
      if (st.ver[o] == 0) continue;
      b.depend(c,
               ctx.moved[o] ? fetch_of[o][static_cast<std::size_t>(st.ver[o] - 1)] : src.ready[o]);
    }
    b.depend(c, readback_of[s]);
    if (st.changes[kO]) b.depend(c, ctx.moved[kO] ? o_slot_free(st.ver[kO]) : src.output_free);
    for (std::size_t o : {kI, kW}) {
      if (st.ver[o] == 0) continue;
      slot_user[o][static_cast<std::size_t>((st.ver[o] - 1) % buffers[o])] = c;
      if (!ctx.moved[o]) out.last_read[o] = c;  // the unit reads the source itself
    }
    prev_compute = c;
    out.last_compute = c;
    return c;
  }

  // The run of the nest inside over tile s; returns the job after which the
  // tile's output buffer is complete.
  int inner(std::uint64_t s) {
    const auto& st = steps.list[s];
    chain.set_extents(j + 1, st.e);
    NestSources in;
    for (std::size_t o = 0; o < kNumOperands; ++o) {
      const bool here = ctx.moved[o] && st.ver[o] > 0;
      in.ready[o] = here ? fetch_of[o][static_cast<std::size_t>(st.ver[o] - 1)] : src.ready[o];
    }
    in.output_free = ctx.moved[kO] ? o_slot_free(st.ver[kO]) : src.output_free;
    in.start = ctx.moved[kO] && buffers[kO] == 1 ? in.output_free : src.start;
    NestReplay next{b,  chain,       m,      j + 1,       chain.inner_cuts(j, cuts, g.count),
                    in, layer_index, launch, prev_compute};
    const NestRun r = next.run();
    // The inner nest read this tile's buffers: a double-buffered one is free
    // after its last read, a single-buffered one after the whole run (its step).
    for (std::size_t o : {kI, kW}) {
      if (st.ver[o] > 0 && ctx.moved[o])
        slot_user[o][static_cast<std::size_t>((st.ver[o] - 1) % buffers[o])] =
            buffers[o] == 2 ? r.last_read[o] : r.last_compute;
      if (!ctx.moved[o] && r.last_read[o] != kNoJob) out.last_read[o] = r.last_read[o];
    }
    if (!ctx.moved[kO] && r.last_writeback != kNoJob) out.last_writeback = r.last_writeback;
    out.last_compute = r.last_compute;
    return r.last_writeback != kNoJob ? r.last_writeback : r.last_compute;
  }
};

void JobGraph::layer(NestChain& chain, const Mapping& m, std::uint32_t layer_index,
                     double before_cycles) {
  layer_first.push_back(static_cast<std::uint32_t>(jobs.size()));
  const LayerContext& top = chain.ctx(0);
  const double launch_cycles = top.model->launch_cycles(*top.layer);
  const int launch = add({SimJob::Kind::launch, unit_base + top.unit, layer_index, 0, 0, 0, 0, 0},
                         launch_cycles + before_cycles, {kNoJob, kNoJob, kNoJob}, {});
  for (int a : after)
    depend(launch, a);
  int prev_compute = kNoJob;
  NestReplay outer(*this, chain, m, 0, NestChain::no_cuts(), {}, layer_index, launch, prev_compute);
  last_compute = outer.run().last_compute;
  after = {static_cast<int>(jobs.size()) - 1};
}

void JobGraph::sync(const ScheduleStep& step, std::uint32_t layer_index) {
  const int unit = unit_base + step.parts.front().unit;
  const int s = add({SimJob::Kind::sync, unit, layer_index, 0, 0, 0, 0, 0}, step.sync_cycles,
                    {kNoJob, kNoJob, kNoJob}, {});
  for (int a : after)
    depend(s, a);
  after = {s};
}

}  // namespace tessel::sim
