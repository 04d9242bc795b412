#include "driver/simulate.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>

#include <fmt/format.h>

#include "core/errors.hpp"
#include "core/zoo.hpp"
#include "mappers/mapspace.hpp"
#include "mappers/search/random.hpp"
#include "store/database.hpp"

namespace tessel::driver {

NetworkSchedule only_layer(const NetworkSchedule& schedule, const Graph& graph,
                           const std::string& layer) {
  NetworkSchedule s = schedule;
  std::erase_if(s.steps, [&](const ScheduleStep& st) {
    return std::none_of(st.parts.begin(), st.parts.end(),
                        [&](const SchedulePart& p) { return p.layer == layer; });
  });
  if (s.steps.empty())
    throw MappingError(fmt::format("model '{}' has no layer '{}'", graph.name(), layer));
  total_schedule(s);
  return s;
}

Graph stored_network(const std::string& path, std::int64_t id) {
  const auto [name, source] = store::Database(path, store::Access::read).schedule_network(id);
  if (source.empty())
    throw StoreError(fmt::format(
        "database '{}': schedule {} maps network '{}' and its run did not record where the "
        "network came from: give it with --model",
        path, id, name));
  auto graphs = load_models(source);
  if (graphs.size() != 1 || graphs[0].name() != name)
    throw MappingError(fmt::format(
        "schedule {} of '{}' maps network '{}', but '{}' now gives another network: give it "
        "with --model",
        id, path, name, source));
  return std::move(graphs[0]);
}

NetworkSchedule load_schedule(const std::string& path, std::int64_t id, const Graph& graph,
                              const hw::Soc& soc) {
  store::Database db(path, store::Access::read);
  auto schedule = db.load_schedule(id);
  if (schedule.network != graph.name())
    throw MappingError(fmt::format("schedule {} of '{}' maps network '{}', not '{}'", id, path,
                                   schedule.network, graph.name()));
  if (schedule.soc_hash != soc.hash)
    throw MappingError(
        fmt::format("schedule {} of '{}' was made for another description of SoC '{}' (hash "
                    "{:016x})",
                    id, path, schedule.soc, schedule.soc_hash));
  for (auto& step : schedule.steps) {
    for (auto& part : step.parts) {
      const auto u = soc.find_unit(part.unit_name);
      if (!u)
        throw MappingError(fmt::format("SoC '{}' has no unit '{}'", soc.name, part.unit_name));
      part.unit = *u;
      part.mapping.unit = *u;
    }
  }
  return schedule;
}

double percent_error(double analytical, double simulated) {
  return simulated > 0 ? (analytical - simulated) / simulated * 100 : 0;
}

Replay replay(const sim::EventSim& es, const hw::Soc& soc, const Graph& graph,
              const NetworkSchedule& schedule, const std::string& trace) {
  Replay out;
  out.result = es.simulate(graph, schedule);
  const auto rows = part_rows(schedule);
  if (!trace.empty()) {
    std::vector<std::string> names;
    for (const auto& row : rows)
      names.push_back(row.part->layer);
    sim::write_trace(out.result, soc, names, trace);
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& p = *rows[i].part;
    const double a = p.cost.cycles + rows[i].transition_cycles;
    out.rows.push_back({part_label(p), p.unit_name, a, out.result.layer_cycles[i]});
    const auto step = rows[i].step;
    const auto& st = schedule.steps[step];
    if (st.parts.size() < 2) continue;
    if (out.steps.empty() || out.steps.back().step != step)
      out.steps.push_back({std::string(step_kind_name(st.kind)), step_layers(st), step, i, 0,
                           st.cycles, out.result.step_cycles[step]});
    out.steps.back().rows++;
  }
  for (const auto& st : schedule.steps)
    out.analytical_total += st.cycles;
  return out;
}

Validation validate(const sim::Analytical& model, const sim::EventSim& es, const Graph& graph,
                    std::size_t samples, std::uint64_t seed, std::int64_t max_tiles) {
  const auto& soc = model.soc();
  std::vector<sim::LayerContext> ctx;
  for (std::size_t i = 0; i < graph.layers().size(); ++i) {
    for (int u = 0; u < static_cast<int>(soc.units.size()); ++u) {
      auto c = model.prepare(graph.layer(i), u);
      if (c.supported) ctx.push_back(std::move(c));
    }
  }
  std::vector<std::unique_ptr<mappers::LayerMapSpace>> spaces;
  for (const auto& c : ctx)
    spaces.push_back(std::make_unique<mappers::LayerMapSpace>(c));
  std::mt19937_64 rng(seed);
  Validation v;
  double sum = 0;
  std::uint64_t tries = 0;
  while (v.abs_errors.size() < samples && tries++ < samples * 1000 && !ctx.empty()) {
    const auto k = rng() % ctx.size();
    const auto m = mappers::random_candidate(*spaces[k], rng);
    const auto c = model.evaluate(ctx[k], m);
    if (!c.legal || c.tiles > max_tiles) continue;
    const double e = percent_error(c.cycles, es.simulate(ctx[k], m).cycles);
    v.abs_errors.push_back(std::abs(e));
    sum += e;
  }
  if (v.abs_errors.empty())
    throw MappingError(
        fmt::format("no legal candidate found for '{}' on '{}'", graph.name(), soc.name));
  std::sort(v.abs_errors.begin(), v.abs_errors.end());
  v.mean_error = sum / static_cast<double>(v.abs_errors.size());
  return v;
}

}  // namespace tessel::driver
