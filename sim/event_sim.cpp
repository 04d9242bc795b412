#include "sim/event_sim.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
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
    case SimJob::Kind::sync:
      return "sync";
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
  if (!runnable(ctx, m.depth)) return false;
  return model.evaluate(ctx, m).legal && chain.resolve(ctx, m) == nullptr;
}

}  // namespace

SimResult EventSim::simulate(const LayerContext& ctx, const Mapping& m) const {
  if (!runnable(ctx, m.depth))
    throw MappingError(
        fmt::format("cannot simulate layer '{}': {}", ctx.layer->name, ctx.unsupported_reason));
  const Cost check = model_.evaluate(ctx, m);
  if (!check.legal)
    throw MappingError(fmt::format("cannot simulate an illegal mapping of layer '{}': {}",
                                   ctx.layer->name, check.reason));
  JobGraph b(*soc_);
  NestChain chain;
  chain.resolve(ctx, m);
  b.layer(chain, m, 0, 0.0);
  return run(b);
}

SimResult EventSim::simulate_concurrent(
    const std::vector<std::pair<const LayerContext*, Mapping>>& parts) const {
  JobGraph b(*soc_);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& [ctx, m] = parts[i];
    NestChain chain;
    if (!replayable(model_, chain, *ctx, m))
      throw MappingError(
          fmt::format("cannot simulate an illegal mapping of layer '{}'", ctx->layer->name));
    b.after.clear();  // every part starts at once, from its own program
    b.program = static_cast<std::uint32_t>(i);
    b.programs = static_cast<std::uint32_t>(parts.size());
    b.layer(chain, m, static_cast<std::uint32_t>(i), 0.0);
  }
  return run(b);
}

SimResult EventSim::simulate(const Graph& graph, const NetworkSchedule& schedule) const {
  JobGraph b(*soc_);
  std::uint32_t layer_index = 0;
  std::deque<Layer> sliced;  // the layers of sliced parts, alive while their jobs are built
  for (const auto& step : schedule.steps) {
    // The parts of a step start together, each from its unit's program,
    // after everything before the step; a concurrent step ends with their
    // synchronisation. (One program per unit: a unit's queue then holds
    // only its own jobs, in the order they were built, so a part waiting
    // for an earlier step never blocks another unit's work.)
    const auto before = b.after;
    b.step_first.push_back(layer_index);
    std::vector<int> ends;
    b.programs = static_cast<std::uint32_t>(soc_->units.size());
    for (std::size_t k = 0; k < step.parts.size(); ++k) {
      const auto& part = step.parts[k];
      if (part.index >= graph.layers().size())
        throw MappingError(fmt::format("schedule of '{}' names layer {} of {}", schedule.network,
                                       part.index, graph.layers().size()));
      if (part.unit < 0 || static_cast<std::size_t>(part.unit) >= soc_->units.size())
        throw MappingError(fmt::format("schedule of '{}' names unit {} of {}", schedule.network,
                                       part.unit, soc_->units.size()));
      const Layer& layer = part.slice.whole() ? graph.layer(part.index)
                                              : sliced.emplace_back(part_layer(graph, part));
      const auto ctx = model_.prepare(layer, part.mapping);
      NestChain chain;
      if (!replayable(model_, chain, ctx, part.mapping))
        throw MappingError(
            fmt::format("schedule of '{}': layer '{}' cannot run as scheduled on "
                        "unit '{}'",
                        schedule.network, part.layer, part.unit_name));
      // A fused step's part starts when the one before has computed its
      // last tile (its write-back tail overlaps the next part's start, and
      // the engine serves that write-back before the next part's fetches).
      const bool fused = step.kind == ScheduleStep::Kind::fused && k > 0;
      b.after = fused ? std::vector<int>{b.last_compute} : before;
      b.program = static_cast<std::uint32_t>(part.unit);
      // Before its launch: the step's layout conversion, and the rows a
      // fused part keeps from the band before, moved by its unit.
      const double keep =
          keep_cost(*soc_, part.mapping.home[idx(Operand::O)], kept_rows(graph, step, k).bytes)
              .cycles;
      b.layer(chain, part.mapping, layer_index++, (k == 0 ? step.transition_cycles : 0.0) + keep);
      ends.insert(ends.end(), b.after.begin(), b.after.end());
      if (step.kind != ScheduleStep::Kind::concurrent) ends = b.after;
    }
    b.after = ends;
    if (step.kind == ScheduleStep::Kind::concurrent && !step.parts.empty()) {
      b.program = static_cast<std::uint32_t>(step.parts.front().unit);
      b.sync(step, layer_index - 1);
    }
  }
  return run(b);
}

namespace {

// One run of the discrete-event loop over a built job graph. Resources are
// the DMA engines, the units and the memory levels (their ports); each
// unit's program issues its jobs in creation order: a transfer is issued
// and the program goes on, a launch or a computation is issued and the
// program waits for it to finish. Each resource serves its issued jobs first
// in, first out by issue time; the head waits for its dependencies
// (head-of-line), as a DMA queue does, and for the ports it needs.
class Simulation {
 public:
  Simulation(JobGraph& b, const hw::Soc& soc) : b_(b), jobs_(b.jobs), nj_(b.jobs.size()) {
    link_successors();
    res_.resources = b.resources;
    const auto nr = res_.resources.size();
    in_use_.assign(nr, 0);
    busy_since_.assign(nr, 0);
    queue_.resize(nr);
    deps_done_.assign(nj_, 0);
    program_.resize(b.programs);
    for (std::uint32_t i = 0; i < nj_; ++i)
      program_[jobs_[i].program].push_back(i);
    cursor_.assign(b.programs, 0);
    // Transfers issued and not finished per engine; an engine queues at most
    // `channels` of them, and a program that would issue one more waits.
    outstanding_.assign(nr, 0);
    depth_.assign(nr, 1 << 30);
    for (std::size_t d = 0; d < soc.dmas.size(); ++d)
      depth_[static_cast<std::size_t>(b.engine_base) + d] = std::max(1, soc.dmas[d].channels);
    blocked_since_.assign(b.programs, -1);
  }

  SimResult run(bool keep_jobs) {
    for (std::uint32_t i = 0; i < nj_; ++i) {
      if (jobs_[i].waiting == 0) deps_done_[i] = 1;
    }
    for (std::uint32_t p = 0; p < b_.programs; ++p)
      advance(p);
    dispatch_touched();
    while (!done_.empty()) {
      now_ = done_.top().first;
      // Finish every job that ends now, then start what became possible.
      while (!done_.empty() && done_.top().first == now_) {
        const auto id = done_.top().second;
        done_.pop();
        finish(id);
      }
      dispatch_touched();
    }
    for (std::uint32_t i = 0; i < nj_; ++i) {
      if (!deps_done_[i] || jobs_[i].info.end < jobs_[i].info.start)
        throw MappingError("event simulation: a job never ran (dependency cycle)");
    }
    return results(keep_jobs);
  }

 private:
  using Key = std::pair<double, std::uint32_t>;
  using MinQueue = std::priority_queue<Key, std::vector<Key>, std::greater<>>;

  static bool is_transfer(const Job& j) {
    return j.info.kind == SimJob::Kind::fetch || j.info.kind == SimJob::Kind::writeback ||
           j.info.kind == SimJob::Kind::readback;
  }

  // Successor lists (CSR) from the builder's edges.
  void link_successors() {
    succ_.resize(b_.edges.size());
    std::vector<std::uint32_t> count(nj_ + 1, 0);
    for (const auto& [from, to] : b_.edges)
      ++count[from + 1];
    for (std::size_t i = 0; i < nj_; ++i)
      count[i + 1] += count[i];
    for (std::size_t i = 0; i < nj_; ++i) {
      jobs_[i].first_succ = count[i];
      jobs_[i].succs = count[i + 1] - count[i];
    }
    std::vector<std::uint32_t> fill(count.begin(), count.end() - 1);
    for (const auto& [from, to] : b_.edges)
      succ_[fill[from]++] = to;
  }

  void occupy(int r, int delta) {
    const auto ri = static_cast<std::size_t>(r);
    if (in_use_[ri] == 0 && delta > 0) busy_since_[ri] = now_;
    in_use_[ri] += delta;
    if (in_use_[ri] == 0 && delta < 0) res_.resources[ri].busy += now_ - busy_since_[ri];
  }

  bool ports_free(const Job& j) const {
    for (int p : j.ports) {
      if (p != kNone && in_use_[static_cast<std::size_t>(p)] >=
                            res_.resources[static_cast<std::size_t>(p)].capacity)
        return false;
    }
    return true;
  }

  void stall(StallCause c, double cycles) {
    if (cycles > 0) res_.stalls[static_cast<std::size_t>(c)] += cycles;
  }

  // Program p issues its next jobs: transfers until a full engine queue or
  // a launch / computation (which it then waits for).
  void advance(std::uint32_t p) {
    auto& c = cursor_[p];
    while (c < program_[p].size()) {
      const auto id = program_[p][c];
      auto& j = jobs_[id];
      const auto r = static_cast<std::size_t>(j.info.resource);
      if (is_transfer(j) && outstanding_[r] >= depth_[r]) {
        if (blocked_since_[p] < 0) blocked_since_[p] = now_;
        return;  // resumes when a transfer of this engine finishes
      }
      if (blocked_since_[p] >= 0) {
        stall(StallCause::queue_full, now_ - blocked_since_[p]);
        blocked_since_[p] = -1;
      }
      ++c;
      j.issued = now_;
      if (is_transfer(j)) ++outstanding_[r];
      queue_[r].emplace(now_, id);
      touched_.push_back(j.info.resource);
      if (!is_transfer(j)) break;  // wait for the launch / computation
    }
  }

  // Starts the jobs at the head of resource r's queue that can run now.
  void dispatch(int r) {
    const auto ri = static_cast<std::size_t>(r);
    auto& q = queue_[ri];
    while (!q.empty() && in_use_[ri] < res_.resources[ri].capacity) {
      const auto id = q.top().second;
      auto& j = jobs_[id];
      if (!deps_done_[id]) break;  // head-of-line: waits for its dependencies
      if (!ports_free(j)) break;   // the head waits for a memory port
      q.pop();
      j.info.start = now_;
      // Waiting after issue: first for dependencies (cause recorded when the
      // last one finished), then for the resource or a port.
      const double ready = std::max(j.issued, j.ready);
      stall(j.cause, j.ready - j.issued);
      stall(j.cause == StallCause::memory_port ? StallCause::memory_port : StallCause::engine_busy,
            now_ - ready);
      occupy(r, +1);
      for (int p : j.ports) {
        if (p != kNone) occupy(p, +1);
      }
      ++res_.events;
      done_.emplace(now_ + j.duration, id);
    }
    // A head that waits for a port is a port stall.
    if (!q.empty() && deps_done_[q.top().second] && in_use_[ri] < res_.resources[ri].capacity)
      jobs_[q.top().second].cause = StallCause::memory_port;
  }

  void dispatch_touched() {
    std::sort(touched_.begin(), touched_.end());
    touched_.erase(std::unique(touched_.begin(), touched_.end()), touched_.end());
    for (int r : touched_)
      dispatch(r);
    touched_.clear();
    // Ports freed may unblock any queue whose head waits for one.
    for (std::size_t r = 0; r < queue_.size(); ++r) {
      if (!queue_[r].empty() && jobs_[queue_[r].top().second].cause == StallCause::memory_port)
        dispatch(static_cast<int>(r));
    }
  }

  // Why a successor of job j waits: the kind of the dependency that finished last.
  static StallCause wait_cause(const Job& j, const Job& succ) {
    switch (j.info.kind) {
      case SimJob::Kind::fetch:
        return !is_transfer(succ)
                   ? (j.info.operand == kW ? StallCause::weight_fetch : StallCause::input_fetch)
                   : StallCause::buffer_busy;
      case SimJob::Kind::writeback:
      case SimJob::Kind::readback:
        return !is_transfer(succ) ? StallCause::output_buffer : StallCause::buffer_busy;
      case SimJob::Kind::launch:
      case SimJob::Kind::sync:
        return StallCause::launch;
      case SimJob::Kind::compute:
        break;
    }
    return is_transfer(succ) ? StallCause::buffer_busy : StallCause::engine_busy;
  }

  // Job `id` ends now: free its resources, release its successors, let its
  // program (or programs blocked on a full queue) go on.
  void finish(std::uint32_t id) {
    auto& j = jobs_[id];
    j.info.end = now_;
    ++res_.events;
    occupy(j.info.resource, -1);
    touched_.push_back(j.info.resource);
    for (int p : j.ports) {
      if (p != kNone) occupy(p, -1);
    }
    ++res_.resources[static_cast<std::size_t>(j.info.resource)].jobs;
    for (std::uint32_t k = 0; k < j.succs; ++k) {
      const auto s = succ_[j.first_succ + k];
      auto& sj = jobs_[s];
      sj.cause = wait_cause(j, sj);
      if (--sj.waiting == 0) {
        deps_done_[s] = 1;
        sj.ready = now_;
        touched_.push_back(sj.info.resource);
      }
    }
    if (is_transfer(j)) {
      --outstanding_[static_cast<std::size_t>(j.info.resource)];
      for (std::uint32_t q = 0; q < b_.programs; ++q) {
        if (blocked_since_[q] >= 0) advance(q);
      }
    } else {
      advance(j.program);
    }
  }

  SimResult results(bool keep_jobs) {
    res_.cycles = now_;
    for (auto& u : res_.resources)
      u.utilisation = res_.cycles > 0 ? u.busy / res_.cycles : 0;
    const auto layers = b_.layer_first.size();
    res_.layer_cycles.assign(layers, 0);
    std::vector<double> starts(layers), ends(layers);
    for (std::size_t li = 0; li < layers; ++li) {
      const std::size_t first = b_.layer_first[li];
      const std::size_t last = li + 1 < layers ? b_.layer_first[li + 1] : nj_;
      starts[li] = jobs_[first].info.start;
      for (std::size_t k = first; k < last; ++k) {
        starts[li] = std::min(starts[li], jobs_[k].info.start);
        ends[li] = std::max(ends[li], jobs_[k].info.end);
      }
      res_.layer_cycles[li] = ends[li] - starts[li];
    }
    res_.step_cycles.assign(b_.step_first.size(), 0);
    for (std::size_t k = 0; k < b_.step_first.size(); ++k) {
      const std::size_t first = b_.step_first[k];
      const std::size_t last = k + 1 < b_.step_first.size() ? b_.step_first[k + 1] : layers;
      if (first >= last) continue;
      const double start = *std::min_element(starts.begin() + static_cast<std::ptrdiff_t>(first),
                                             starts.begin() + static_cast<std::ptrdiff_t>(last));
      const double end = *std::max_element(ends.begin() + static_cast<std::ptrdiff_t>(first),
                                           ends.begin() + static_cast<std::ptrdiff_t>(last));
      res_.step_cycles[k] = end - start;
    }
    if (keep_jobs) {
      res_.jobs.reserve(nj_);
      for (const auto& j : jobs_)
        res_.jobs.push_back(j.info);
    }
    return std::move(res_);
  }

  JobGraph& b_;
  std::vector<Job>& jobs_;
  const std::size_t nj_;
  std::vector<std::uint32_t> succ_;
  SimResult res_;
  std::vector<int> in_use_;
  std::vector<double> busy_since_;
  std::vector<std::vector<std::uint32_t>> program_;
  std::vector<std::size_t> cursor_;
  std::vector<MinQueue> queue_;
  MinQueue done_;  // completions
  std::vector<char> deps_done_;
  double now_ = 0;
  std::vector<int> touched_;
  std::vector<int> outstanding_, depth_;
  std::vector<double> blocked_since_;
};

}  // namespace

SimResult EventSim::run(JobGraph& b) const {
  return Simulation(b, *soc_).run(options_.keep_jobs);
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
