#include "sim/event_sim.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <queue>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "sim/event_builder.hpp"

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

constexpr std::size_t kW = idx(Operand::W);
constexpr int kNone = kNoJob;
using Job = EventJob;

}  // namespace

EventSim::EventSim(std::shared_ptr<const hw::Soc> soc, EventSimOptions options)
    : soc_(soc), model_(soc), options_(options) {}

namespace {

// Resolves the nests of a mapping the analytical model finds legal (the
// replay needs no more); false for any other.
bool replayable(const Analytical& model, NestChain& chain, const LayerContext& ctx,
                const Mapping& m) {
  if (!ctx.runs_layer || (m.depth == 1 && !ctx.supported)) return false;
  return model.evaluate(ctx, m).legal && chain.resolve(ctx, m) == nullptr;
}

}  // namespace

SimResult EventSim::simulate(const LayerContext& ctx, const Mapping& m) const {
  if (!ctx.runs_layer || (m.depth == 1 && !ctx.supported))
    throw MappingError(
        fmt::format("cannot simulate layer '{}': {}", ctx.layer->name, ctx.unsupported_reason));
  const Cost check = model_.evaluate(ctx, m);
  if (!check.legal)
    throw MappingError(fmt::format("cannot simulate an illegal mapping of layer '{}': {}",
                                   ctx.layer->name, check.reason));
  Builder b(*soc_);
  NestChain chain;
  chain.resolve(ctx, m);
  b.layer(chain, m, 0, 0.0);
  return run(b);
}

SimResult EventSim::simulate_concurrent(
    const std::vector<std::pair<const LayerContext*, Mapping>>& parts) const {
  Builder b(*soc_);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& [ctx, m] = parts[i];
    NestChain chain;
    if (!replayable(model_, chain, *ctx, m))
      throw MappingError(
          fmt::format("cannot simulate an illegal mapping of layer '{}'", ctx->layer->name));
    b.last_job = kNone;  // every part starts at once, from its own program
    b.program = static_cast<std::uint32_t>(i);
    b.programs = static_cast<std::uint32_t>(parts.size());
    b.layer(chain, m, static_cast<std::uint32_t>(i), 0.0);
  }
  return run(b);
}

SimResult EventSim::simulate(const Graph& graph, const NetworkSchedule& schedule) const {
  Builder b(*soc_);
  for (std::size_t i = 0; i < schedule.layers.size(); ++i) {
    const auto& ls = schedule.layers[i];
    if (ls.index >= graph.layers().size())
      throw MappingError(fmt::format("schedule of '{}' names layer {} of {}", schedule.network,
                                     ls.index, graph.layers().size()));
    const auto ctx = model_.prepare(graph.layer(ls.index), ls.unit);
    NestChain chain;
    if (!replayable(model_, chain, ctx, ls.mapping))
      throw MappingError(
          fmt::format("schedule of '{}': layer '{}' cannot run as scheduled on "
                      "unit '{}'",
                      schedule.network, ls.layer, ls.unit_name));
    b.layer(chain, ls.mapping, static_cast<std::uint32_t>(i), ls.transition_cycles);
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
