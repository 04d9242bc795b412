#include "sim/event_sim.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <queue>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/errors.hpp"

namespace tessel::sim {

std::string_view stall_cause_name(StallCause c) {
  switch (c) {
    case StallCause::input_fetch:
      return "input_fetch";
    case StallCause::weight_fetch:
      return "weight_fetch";
    case StallCause::output_buffer:
      return "output_buffer";
    case StallCause::buffer_busy:
      return "buffer_busy";
    case StallCause::engine_busy:
      return "engine_busy";
    case StallCause::memory_port:
      return "memory_port";
    case StallCause::launch:
      return "launch";
    case StallCause::queue_full:
      return "queue_full";
    case StallCause::count_:
      break;
  }
  return "?";
}

std::string_view job_kind_name(SimJob::Kind k) {
  switch (k) {
    case SimJob::Kind::launch:
      return "launch";
    case SimJob::Kind::fetch:
      return "fetch";
    case SimJob::Kind::compute:
      return "compute";
    case SimJob::Kind::writeback:
      return "writeback";
    case SimJob::Kind::readback:
      return "readback";
  }
  return "?";
}

namespace {

constexpr std::size_t kI = idx(Operand::I), kW = idx(Operand::W), kO = idx(Operand::O);
constexpr int kNone = -1;

// A job while it is being simulated.
struct Job {
  SimJob info;
  double duration = 0;
  std::array<int, 3> ports{kNone, kNone, kNone};  // memory-level resources it also holds
  int waiting = 0;                                // unfinished dependencies
  double ready = 0;                               // when the last dependency finished
  StallCause cause = StallCause::engine_busy;     // what it waited for last
  std::uint32_t first_succ = 0, succs = 0;        // successor range in the edge list
  std::uint32_t program = 0;                      // the program (unit control flow) issuing it
  double issued = 0;                              // when its program issued it
};

}  // namespace

// Builds the job graph of a replay; resources are the DMA engines, the units
// and the memory levels of the SoC.
struct EventSim::Builder {
  const hw::Soc& soc;
  std::vector<Job> jobs;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> edges;  // (from, to)
  std::vector<ResourceUse> resources;
  int engine_base = 0, unit_base = 0, level_base = 0;
  std::vector<std::uint32_t> layer_first;  // first job of each layer
  int last_job = kNone;                    // the previous layer's last job (layers are sequential)
  std::uint32_t program = 0;               // program of the jobs being added
  std::uint32_t programs = 1;

  explicit Builder(const hw::Soc& s) : soc(s) {
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

  int engine_resource(const hw::DmaEngine* e) const {
    return engine_base + static_cast<int>(e - soc.dmas.data());
  }

  int add(SimJob info, double duration, std::array<int, 3> ports, std::initializer_list<int> deps) {
    Job j;
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

  void depend(int job, int on) {
    if (on == kNone) return;
    edges.emplace_back(static_cast<std::uint32_t>(on), static_cast<std::uint32_t>(job));
    ++jobs[static_cast<std::size_t>(job)].waiting;
  }

  // Replays one layer mapping as jobs, created in the order the unit's
  // program issues them (which is the order each resource serves them):
  //   launch; the fetches of step 0;
  //   per step s: the prefetches for s+1 of double-buffered operands (and the
  //   read-back of a revisited, double-buffered output tile), compute(s), then
  //   the fetches for s+1 of single-buffered operands, the write-back of the
  //   output tile if it changes, and the read-back of a revisited,
  //   single-buffered output tile.
  void layer(const LayerContext& ctx, const Mapping& m, std::uint32_t layer_index,
             double before_cycles) {
    const Layer& l = *ctx.layer;
    const hw::UnitModel& model = *ctx.model;
    layer_first.push_back(static_cast<std::uint32_t>(jobs.size()));
    const int unit = unit_base + ctx.unit;
    const auto level_res = [&](int lvl) { return level_base + lvl; };

    DimArray t{}, n{}, r{};
    for (std::size_t d = 0; d < kNumDims; ++d) {
      t[d] = std::min(m.inner().tile[d], l.dims[d]);
      n[d] = (l.dims[d] + t[d] - 1) / t[d];
      r[d] = l.dims[d] - (n[d] - 1) * t[d];
    }
    std::vector<std::size_t> loop_dim;  // loops with more than one tile, outermost first
    for (Dim d : m.inner().order) {
      if (n[idx(d)] > 1) loop_dim.push_back(idx(d));
    }
    const std::size_t loops = loop_dim.size();
    std::array<int, kNumOperands> p{};
    for (std::size_t o = 0; o < kNumOperands; ++o) {
      for (std::size_t i = 0; i < loops; ++i) {
        if (relevant(static_cast<Operand>(o), static_cast<Dim>(loop_dim[i])))
          p[o] = static_cast<int>(i) + 1;
      }
    }

    // The steps: tile extents, which operands change, and the output tile.
    struct Step {
      DimArray e;
      std::array<bool, kNumOperands> changes;
      std::array<std::uint64_t, kNumOperands> ver{};  // buffer version of each operand (1-based)
      std::uint64_t o_tile = 0;
      std::uint64_t o_visit = 0;  // 1 for the first visit of the output tile
    };
    std::array<std::uint64_t, kNumOperands> opened{};
    std::vector<Step> steps;
    std::uint64_t total = 1;
    for (std::size_t d = 0; d < kNumDims; ++d)
      total *= static_cast<std::uint64_t>(n[d]);
    steps.reserve(total);
    std::vector<std::int64_t> index(loops, 0);
    std::map<std::uint64_t, std::uint64_t> visits;
    for (std::uint64_t s = 0; s < total; ++s) {
      int carry = 0;  // the outermost loop that advanced (0: first step)
      if (s > 0) {
        for (std::size_t i = loops; i-- > 0;) {
          if (++index[i] < n[loop_dim[i]]) {
            carry = static_cast<int>(i) + 1;
            break;
          }
          index[i] = 0;
        }
      }
      Step st;
      st.e = t;
      std::uint64_t tile = 0;
      for (std::size_t i = 0; i < loops; ++i) {
        const auto d = loop_dim[i];
        if (index[i] == n[d] - 1) st.e[d] = r[d];
        if (relevant(Operand::O, static_cast<Dim>(d)))
          tile = tile * static_cast<std::uint64_t>(n[d]) + static_cast<std::uint64_t>(index[i]);
      }
      for (std::size_t o = 0; o < kNumOperands; ++o) {
        st.changes[o] = ctx.present[o] && (s == 0 || carry <= p[o]);
        if (st.changes[o]) ++opened[o];
        st.ver[o] = opened[o];
      }
      st.o_tile = tile;
      if (st.changes[kO]) st.o_visit = ++visits[tile];
      steps.push_back(st);
    }
    const std::uint64_t visits_per_tile = visits.empty() ? 1 : visits.begin()->second;

    const int launch = add({SimJob::Kind::launch, unit, layer_index, 0, 0, 0, 0, 0},
                           ctx.launch_cycles + before_cycles, {kNone, kNone, kNone}, {last_job});
    std::array<int, 3> unit_ports{kNone, kNone, kNone};
    {
      std::size_t k = 0;
      for (std::size_t o = 0; o < kNumOperands; ++o) {
        if (!ctx.present[o] || (o == kW && !ctx.weights_per_tile)) continue;
        const int res = level_res(ctx.level[o]);
        if (std::find(unit_ports.begin(), unit_ports.end(), res) == unit_ports.end())
          unit_ports[k++] = res;
      }
    }
    const std::array<std::uint64_t, kNumOperands> buffers = {m.inner().double_buffer[kI] ? 2u : 1u,
                                                             m.inner().double_buffer[kW] ? 2u : 1u,
                                                             m.inner().double_buffer[kO] ? 2u : 1u};
    // Transfers issued before the computation of the previous step (in its
    // shadow): double-buffered ones whose levels leave a port free for it.
    std::array<bool, kNumOperands> early{};
    for (std::size_t o = 0; o < kNumOperands; ++o)
      early[o] = buffers[o] == 2 && !ctx.port_bound[o];

    // Per operand and version: the fetch job; per buffer slot: the last
    // compute that used it; per output version: its write-back.
    std::array<std::vector<int>, kNumOperands> fetch_of;
    for (std::size_t o = 0; o < kNumOperands; ++o)
      fetch_of[o].assign(static_cast<std::size_t>(opened[o]), kNone);
    std::array<std::array<int, 2>, kNumOperands> slot_user{};
    for (auto& su : slot_user)
      su = {kNone, kNone};
    std::vector<int> wb_of;                     // output version -> write-back job
    std::map<std::uint64_t, int> last_tile_wb;  // output tile -> its latest write-back
    std::vector<int> readback_of(steps.size(), kNone);
    int last_wb = kNone;

    auto fetch = [&](std::size_t o, std::uint64_t s) {
      const auto v = steps[s].ver[o];
      if (!ctx.moved[o]) return;
      const auto slot = static_cast<std::size_t>((v - 1) % buffers[o]);
      const auto tr = tile_traffic(ctx, n, steps[s].e, static_cast<Operand>(o));
      const double bytes = tr.elems * ctx.elem_bytes[o];
      const int f = add({SimJob::Kind::fetch, engine_resource(ctx.engine_in[o]), layer_index,
                         static_cast<std::uint32_t>(s), static_cast<std::uint8_t>(o), bytes, 0, 0},
                        transfer_cycles(ctx.engine_in[o], ctx.byte_cycles_in[o], bytes, tr),
                        {level_res(ctx.home[o]), level_res(ctx.level[o]), kNone},
                        {launch, slot_user[o][slot]});
      jobs[static_cast<std::size_t>(f)].cause = StallCause::buffer_busy;
      fetch_of[o][static_cast<std::size_t>(v - 1)] = f;
    };
    // The output buffer of version v is free once version v - B is written back.
    auto o_slot_free = [&](std::uint64_t v) {
      return v > buffers[kO] ? wb_of[static_cast<std::size_t>(v - buffers[kO] - 1)] : kNone;
    };
    auto readback = [&](std::uint64_t s) {
      const auto& st = steps[s];
      if (!st.changes[kO] || st.o_visit <= 1 || !ctx.moved[kO] || !ctx.engine_in[kO]) return;
      const auto tr = tile_traffic(ctx, n, st.e, Operand::O);
      const double bytes = tr.elems * ctx.acc_bytes;
      const auto v = st.ver[kO];
      const int rb =
          add({SimJob::Kind::readback, engine_resource(ctx.engine_in[kO]), layer_index,
               static_cast<std::uint32_t>(s), static_cast<std::uint8_t>(kO), bytes, 0, 0},
              transfer_cycles(ctx.engine_in[kO], ctx.byte_cycles_in[kO], bytes, tr),
              {level_res(ctx.home[kO]), level_res(ctx.level[kO]), kNone},
              {last_tile_wb[st.o_tile], o_slot_free(v)});
      jobs[static_cast<std::size_t>(rb)].cause = StallCause::buffer_busy;
      readback_of[s] = rb;
    };
    std::uint64_t opened_at = 0;  // the step that opened the current output buffer
    auto writeback = [&](std::uint64_t s, int after) {
      const auto& st = steps[s];
      int wb = kNone;
      if (ctx.moved[kO]) {
        const auto tr = tile_traffic(ctx, n, st.e, Operand::O);
        const bool final = steps[opened_at].o_visit == visits_per_tile;
        const double bytes = tr.elems * (final ? ctx.elem_bytes[kO] : ctx.acc_bytes);
        wb = add({SimJob::Kind::writeback, engine_resource(ctx.engine_out[kO]), layer_index,
                  static_cast<std::uint32_t>(s), static_cast<std::uint8_t>(kO), bytes, 0, 0},
                 transfer_cycles(ctx.engine_out[kO], ctx.byte_cycles_out[kO], bytes, tr),
                 {level_res(ctx.level[kO]), level_res(ctx.home[kO]), kNone}, {after, last_wb});
        last_wb = wb;
      }
      wb_of.push_back(wb);
      last_tile_wb[steps[opened_at].o_tile] = wb;
    };

    for (std::size_t o : {kI, kW}) {
      if (steps[0].changes[o]) fetch(o, 0);
    }
    int prev_compute = kNone;
    for (std::uint64_t s = 0; s < steps.size(); ++s) {
      const bool has_next = s + 1 < steps.size();
      // Tile s computes into a new output buffer when the output tile changes.
      const auto& st = steps[s];
      if (st.changes[kO]) opened_at = s;
      // Prefetches for s+1 into the other buffer.
      if (has_next) {
        for (std::size_t o : {kI, kW}) {
          if (steps[s + 1].changes[o] && early[o]) fetch(o, s + 1);
        }
        if (early[kO]) readback(s + 1);
      }
      // The computation of tile s.
      const double cycles = model.tile_cycles(l, st.e, m.unrolling) + ctx.tile_overhead;
      const int c =
          add({SimJob::Kind::compute, unit, layer_index, static_cast<std::uint32_t>(s), 0, 0, 0, 0},
              cycles, unit_ports, {launch, prev_compute});
      for (std::size_t o : {kI, kW}) {
        if (st.ver[o] > 0) depend(c, fetch_of[o][static_cast<std::size_t>(st.ver[o] - 1)]);
      }
      depend(c, readback_of[s]);
      if (st.changes[kO]) depend(c, o_slot_free(st.ver[kO]));
      for (std::size_t o : {kI, kW}) {
        if (st.ver[o] > 0) slot_user[o][static_cast<std::size_t>((st.ver[o] - 1) % buffers[o])] = c;
      }
      prev_compute = c;
      // After the computation: single-buffered fetches, the write-back, read-back.
      if (has_next) {
        for (std::size_t o : {kI, kW}) {
          if (steps[s + 1].changes[o] && !early[o]) fetch(o, s + 1);
        }
      }
      if (!has_next || steps[s + 1].changes[kO]) writeback(s, c);
      if (has_next && !early[kO]) readback(s + 1);
    }
    last_job = static_cast<int>(jobs.size()) - 1;
  }
};

EventSim::EventSim(std::shared_ptr<const hw::Soc> soc, EventSimOptions options)
    : soc_(soc), model_(soc), options_(options) {}

SimResult EventSim::simulate(const LayerContext& ctx, const Mapping& m) const {
  if (!ctx.supported)
    throw MappingError(
        fmt::format("cannot simulate layer '{}': {}", ctx.layer->name, ctx.unsupported_reason));
  const Cost check = model_.evaluate(ctx, m);
  if (!check.legal)
    throw MappingError(fmt::format("cannot simulate an illegal mapping of layer '{}': {}",
                                   ctx.layer->name, check.reason));
  Builder b(*soc_);
  b.layer(ctx, m, 0, 0.0);
  return run(b);
}

SimResult EventSim::simulate_concurrent(
    const std::vector<std::pair<const LayerContext*, Mapping>>& parts) const {
  Builder b(*soc_);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& [ctx, m] = parts[i];
    if (!ctx->supported || !model_.evaluate(*ctx, m).legal)
      throw MappingError(
          fmt::format("cannot simulate an illegal mapping of layer '{}'", ctx->layer->name));
    b.last_job = kNone;  // every part starts at once, from its own program
    b.program = static_cast<std::uint32_t>(i);
    b.programs = static_cast<std::uint32_t>(parts.size());
    b.layer(*ctx, m, static_cast<std::uint32_t>(i), 0.0);
  }
  return run(b);
}

SimResult EventSim::simulate(const Graph& graph, const NetworkSchedule& schedule) const {
  Builder b(*soc_);
  std::vector<LayerContext> contexts;
  contexts.reserve(schedule.layers.size());
  for (std::size_t i = 0; i < schedule.layers.size(); ++i) {
    const auto& ls = schedule.layers[i];
    if (ls.index >= graph.layers().size())
      throw MappingError(fmt::format("schedule of '{}' names layer {} of {}", schedule.network,
                                     ls.index, graph.layers().size()));
    contexts.push_back(model_.prepare(graph.layer(ls.index), ls.unit));
    const auto& ctx = contexts.back();
    if (!ctx.supported || !model_.evaluate(ctx, ls.mapping).legal)
      throw MappingError(
          fmt::format("schedule of '{}': layer '{}' cannot run as scheduled on "
                      "unit '{}'",
                      schedule.network, ls.layer, ls.unit_name));
    b.layer(ctx, ls.mapping, static_cast<std::uint32_t>(i), ls.transition_cycles);
  }
  return run(b);
}

SimResult EventSim::run(Builder& b) const {
  auto& jobs = b.jobs;
  const auto nj = jobs.size();
  // Successor lists (CSR).
  std::vector<std::uint32_t> succ(b.edges.size());
  {
    std::vector<std::uint32_t> count(nj + 1, 0);
    for (const auto& [from, to] : b.edges)
      ++count[from + 1];
    for (std::size_t i = 0; i < nj; ++i)
      count[i + 1] += count[i];
    for (std::size_t i = 0; i < nj; ++i) {
      jobs[i].first_succ = count[i];
      jobs[i].succs = count[i + 1] - count[i];
    }
    std::vector<std::uint32_t> fill(count.begin(), count.end() - 1);
    for (const auto& [from, to] : b.edges)
      succ[fill[from]++] = to;
  }

  SimResult res;
  res.resources = b.resources;
  const auto nr = res.resources.size();
  std::vector<int> in_use(nr, 0);
  std::vector<double> busy_since(nr, 0);
  // Programs: each unit's control flow issues its jobs in creation order. A
  // transfer is issued and the program goes on; a launch or a computation is
  // issued and the program waits for it to finish.
  std::vector<std::vector<std::uint32_t>> program(b.programs);
  for (std::uint32_t i = 0; i < nj; ++i)
    program[jobs[i].program].push_back(i);
  std::vector<std::size_t> cursor(b.programs, 0);
  // Per resource, the issued jobs, served first-in first-out by issue time;
  // the head waits for its dependencies (head-of-line), as a DMA queue does.
  using Key = std::pair<double, std::uint32_t>;
  std::vector<std::priority_queue<Key, std::vector<Key>, std::greater<>>> queue(nr);
  std::priority_queue<Key, std::vector<Key>, std::greater<>> done;  // completions
  std::vector<char> deps_done(nj, 0);
  double now = 0;
  std::vector<int> touched;

  auto is_transfer = [](const Job& j) {
    return j.info.kind != SimJob::Kind::compute && j.info.kind != SimJob::Kind::launch;
  };
  auto occupy = [&](int r, int delta) {
    const auto ri = static_cast<std::size_t>(r);
    if (in_use[ri] == 0 && delta > 0) busy_since[ri] = now;
    in_use[ri] += delta;
    if (in_use[ri] == 0 && delta < 0) res.resources[ri].busy += now - busy_since[ri];
  };
  auto ports_free = [&](const Job& j) {
    for (int p : j.ports) {
      if (p != kNone && in_use[static_cast<std::size_t>(p)] >=
                            res.resources[static_cast<std::size_t>(p)].capacity)
        return false;
    }
    return true;
  };
  auto stall = [&](StallCause c, double cycles) {
    if (cycles > 0) res.stalls[static_cast<std::size_t>(c)] += cycles;
  };
  // Transfers issued and not finished per engine; an engine queues at most
  // `channels` of them, and a program that would issue one more waits.
  std::vector<int> outstanding(nr, 0);
  std::vector<int> depth(nr, 1 << 30);
  for (std::size_t d = 0; d < soc_->dmas.size(); ++d)
    depth[static_cast<std::size_t>(b.engine_base) + d] = std::max(1, soc_->dmas[d].channels);
  std::vector<double> blocked_since(b.programs, -1);
  auto advance = [&](std::uint32_t p) {
    auto& c = cursor[p];
    while (c < program[p].size()) {
      const auto id = program[p][c];
      auto& j = jobs[id];
      const auto r = static_cast<std::size_t>(j.info.resource);
      if (is_transfer(j) && outstanding[r] >= depth[r]) {
        if (blocked_since[p] < 0) blocked_since[p] = now;
        return;  // resumes when a transfer of this engine finishes
      }
      if (blocked_since[p] >= 0) {
        stall(StallCause::queue_full, now - blocked_since[p]);
        blocked_since[p] = -1;
      }
      ++c;
      j.issued = now;
      if (is_transfer(j)) ++outstanding[r];
      queue[r].emplace(now, id);
      touched.push_back(j.info.resource);
      if (!is_transfer(j)) break;  // wait for the launch / computation
    }
  };
  auto dispatch = [&](int r) {
    const auto ri = static_cast<std::size_t>(r);
    auto& q = queue[ri];
    while (!q.empty() && in_use[ri] < res.resources[ri].capacity) {
      const auto id = q.top().second;
      auto& j = jobs[id];
      if (!deps_done[id]) break;  // head-of-line: waits for its dependencies
      if (!ports_free(j)) break;  // the head waits for a memory port
      q.pop();
      j.info.start = now;
      // Waiting after issue: first for dependencies (cause recorded when the
      // last one finished), then for the resource or a port.
      const double ready = std::max(j.issued, j.ready);
      stall(j.cause, j.ready - j.issued);
      stall(j.cause == StallCause::memory_port ? StallCause::memory_port : StallCause::engine_busy,
            now - ready);
      occupy(r, +1);
      for (int p : j.ports) {
        if (p != kNone) occupy(p, +1);
      }
      ++res.events;
      done.emplace(now + j.duration, id);
    }
    // A head that waits for a port is a port stall.
    if (!q.empty() && deps_done[q.top().second] && in_use[ri] < res.resources[ri].capacity)
      jobs[q.top().second].cause = StallCause::memory_port;
  };
  auto dispatch_touched = [&] {
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    for (int r : touched)
      dispatch(r);
    touched.clear();
    // Ports freed may unblock any queue whose head waits for one.
    for (std::size_t r = 0; r < nr; ++r) {
      if (!queue[r].empty() && jobs[queue[r].top().second].cause == StallCause::memory_port)
        dispatch(static_cast<int>(r));
    }
  };

  for (std::uint32_t i = 0; i < nj; ++i) {
    if (jobs[i].waiting == 0) deps_done[i] = 1;
  }
  for (std::uint32_t p = 0; p < b.programs; ++p)
    advance(p);
  dispatch_touched();
  while (!done.empty()) {
    now = done.top().first;
    // Finish every job that ends now, then start what became possible.
    while (!done.empty() && done.top().first == now) {
      const auto id = done.top().second;
      done.pop();
      auto& j = jobs[id];
      j.info.end = now;
      ++res.events;
      occupy(j.info.resource, -1);
      touched.push_back(j.info.resource);
      for (int p : j.ports) {
        if (p != kNone) occupy(p, -1);
      }
      ++res.resources[static_cast<std::size_t>(j.info.resource)].jobs;
      for (std::uint32_t k = 0; k < j.succs; ++k) {
        const auto s = succ[j.first_succ + k];
        auto& sj = jobs[s];
        // Why it waits: the kind of the dependency that finished last.
        switch (j.info.kind) {
          case SimJob::Kind::fetch:
            sj.cause = !is_transfer(sj) ? (j.info.operand == kW ? StallCause::weight_fetch
                                                                : StallCause::input_fetch)
                                        : StallCause::buffer_busy;
            break;
          case SimJob::Kind::writeback:
          case SimJob::Kind::readback:
            sj.cause = !is_transfer(sj) ? StallCause::output_buffer : StallCause::buffer_busy;
            break;
          case SimJob::Kind::launch:
            sj.cause = StallCause::launch;
            break;
          case SimJob::Kind::compute:
            sj.cause = is_transfer(sj) ? StallCause::buffer_busy : StallCause::engine_busy;
            break;
        }
        if (--sj.waiting == 0) {
          deps_done[s] = 1;
          sj.ready = now;
          touched.push_back(sj.info.resource);
        }
      }
      if (is_transfer(j)) {
        --outstanding[static_cast<std::size_t>(j.info.resource)];
        for (std::uint32_t q = 0; q < b.programs; ++q) {
          if (blocked_since[q] >= 0) advance(q);
        }
      } else {
        advance(j.program);
      }
    }
    dispatch_touched();
  }
  for (std::uint32_t i = 0; i < nj; ++i) {
    if (!deps_done[i] || jobs[i].info.end < jobs[i].info.start)
      throw MappingError("event simulation: a job never ran (dependency cycle)");
  }

  res.cycles = now;
  for (auto& u : res.resources)
    u.utilisation = res.cycles > 0 ? u.busy / res.cycles : 0;
  res.layer_cycles.assign(b.layer_first.size(), 0);
  for (std::size_t li = 0; li < b.layer_first.size(); ++li) {
    const std::size_t first = b.layer_first[li];
    const std::size_t last = li + 1 < b.layer_first.size() ? b.layer_first[li + 1] : nj;
    double start = jobs[first].info.start, end = 0;
    for (std::size_t k = first; k < last; ++k) {
      start = std::min(start, jobs[k].info.start);
      end = std::max(end, jobs[k].info.end);
    }
    res.layer_cycles[li] = end - start;
  }
  if (options_.keep_jobs) {
    res.jobs.reserve(nj);
    for (const auto& j : jobs)
      res.jobs.push_back(j.info);
  }
  return res;
}

void write_trace(const SimResult& result, const hw::Soc& soc,
                 const std::vector<std::string>& layer_names, const std::string& path) {
  const double us_per_cycle = 1e6 / soc.frequency;
  nlohmann::json events = nlohmann::json::array();
  for (std::size_t r = 0; r < result.resources.size(); ++r) {
    events.push_back(
        {{"name", "thread_name"},
         {"ph", "M"},
         {"pid", 0},
         {"tid", r},
         {"args", {{"name", result.resources[r].kind + " " + result.resources[r].name}}}});
  }
  for (const auto& j : result.jobs) {
    const auto layer =
        j.layer < layer_names.size() ? layer_names[j.layer] : std::to_string(j.layer);
    std::string name = std::string(job_kind_name(j.kind));
    if (j.kind == SimJob::Kind::fetch || j.kind == SimJob::Kind::writeback ||
        j.kind == SimJob::Kind::readback)
      name += fmt::format(" {}", operand_name(static_cast<Operand>(j.operand)));
    events.push_back({{"name", name},
                      {"cat", std::string(job_kind_name(j.kind))},
                      {"ph", "X"},
                      {"pid", 0},
                      {"tid", j.resource},
                      {"ts", j.start * us_per_cycle},
                      {"dur", (j.end - j.start) * us_per_cycle},
                      {"args",
                       {{"layer", layer},
                        {"step", j.step},
                        {"bytes", j.bytes},
                        {"start_cycle", j.start},
                        {"end_cycle", j.end}}}});
  }
  const nlohmann::json doc = {{"traceEvents", events}, {"displayTimeUnit", "ns"}};
  std::ofstream out(path);
  if (!out) throw IoError(fmt::format("cannot write trace file '{}'", path));
  out << doc.dump() << '\n';
  if (!out) throw IoError(fmt::format("error while writing trace file '{}'", path));
}

}  // namespace tessel::sim
