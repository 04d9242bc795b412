#include "driver/sweep.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "core/parallel.hpp"
#include "core/zoo.hpp"
#include "sim/analytical.hpp"

namespace tessel::driver {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Runs a database call, turning SQLite's exceptions into StoreError naming
// the file.
template <class F>
auto guarded(const std::string& db, F&& f) {
  try {
    return f();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw StoreError(fmt::format("database '{}': {}", db, e.what()));
  }
}

}  // namespace

SweepPlan::SweepPlan(SweepSpec spec, bool reuse) : spec_(std::move(spec)), reuse_(reuse) {
  hash_ = spec_hash(spec_);
  points_ = sweep_points(spec_);
  std::map<std::string, std::string> seen;  // network name -> the model that gave it
  for (const auto& m : spec_.models) {
    for (auto& g : load_models(m)) {
      const auto [it, fresh] = seen.emplace(g.name(), m);
      if (!fresh)
        throw ConfigError(fmt::format("{}: models: network '{}' comes from both '{}' and '{}'",
                                      spec_.origin, g.name(), it->second, m));
      graphs_.push_back(std::move(g));
    }
  }
}

store::SweepPointRow SweepPlan::run(std::size_t index) const {
  const auto start = std::chrono::steady_clock::now();
  const SweepPoint& p = points_.at(index);
  store::SweepPointRow row;
  row.point = p.id;
  row.index = p.index;
  row.params = p.params;
  if (const auto area = hw::soc_area(*p.soc); area.missing.empty()) row.area_mm2 = area.mm2;
  const sim::Analytical model(p.soc);
  const auto options = network_options(spec_.settings, *p.soc);
  mappers::LayerCache own;  // without reuse: this point's networks share only their own results
  for (const auto& g : graphs_) {
    store::SweepModelRow m;
    m.model = g.name();
    try {
      const auto r = mappers::map_network(g, model, options, reuse_ ? &cache_ : &own);
      m.cycles = r.schedule.cycles;
      m.energy_uj = r.schedule.energy * 1e-6;
      for (std::size_t l = 0; l < p.soc->levels.size(); ++l)
        m.peak_bytes.emplace_back(p.soc->levels[l].name, r.schedule.peak_bytes[l]);
      searches_run_ += r.searches_run;
      cache_hits_ += r.cache_hits;
    } catch (const MappingError& e) {
      m.ok = false;
      m.message = e.what();
    }
    row.models.push_back(std::move(m));
  }
  row.wall_seconds = seconds_since(start);
  return row;
}

SweepStore::SweepStore(const std::string& db, const SweepPlan& plan, bool resume,
                       const std::string& command)
    : plan_(plan), done_(plan.points().size(), false) {
  if (db.empty()) throw ConfigError("a sweep needs a database file (--db)");
  guarded(db, [&] {
    db_ = std::make_unique<store::Database>(db);
    if (const auto id = db_->find_sweep(plan.hash())) {
      const auto finished = db_->finished_points(*id);
      if (!resume)
        throw ConfigError(fmt::format(
            "database '{}' already holds this sweep (sweep {}, {} of {} points written); run "
            "it with --resume to continue it, or give another --db",
            db, *id, finished.size(), plan.points().size()));
      id_ = *id;
      std::map<std::string, std::size_t> index;
      for (const auto& p : plan.points())
        index[p.id] = p.index;
      for (const auto& f : finished) {
        if (const auto it = index.find(f); it != index.end()) done_[it->second] = true;
      }
    } else {
      id_ = db_->begin_sweep(plan.hash(), spec_to_json(plan.spec()), plan.points().size(), command);
    }
    return 0;
  });
}

std::vector<std::size_t> SweepStore::pending() const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < done_.size(); ++i) {
    if (!done_[i]) out.push_back(i);
  }
  return out;
}

void SweepStore::put(const store::SweepPointRow& row) {
  const auto& p = plan_.points().at(row.index);
  if (p.id != row.point)
    throw ConfigError(
        fmt::format("sweep point {} is '{}', not '{}': the row belongs to another "
                    "sweep",
                    row.index, p.id, row.point));
  if (done_[row.index]) return;
  guarded(db_->path(), [&] {
    db_->put_sweep_point(id_, row, *p.soc);
    return 0;
  });
  done_[row.index] = true;
}

std::vector<store::SweepPointRow> SweepStore::rows() {
  return guarded(db_->path(), [&] { return db_->read_sweep(id_); });
}

SweepOutcome run_sweep(const SweepPlan& plan, const SweepOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  SweepStore store(o.db, plan, o.resume, o.command);
  const auto todo = store.pending();
  SweepOutcome out;
  out.sweep_id = store.sweep_id();
  out.points = plan.points().size();
  out.skipped = out.points - todo.size();
  std::mutex write;
  std::size_t written = out.skipped;
  if (o.progress) o.progress(written, out.points);
  parallel_for_index(todo.size(), [&](std::size_t k) {
    const auto row = plan.run(todo[k]);
    const std::lock_guard lock(write);
    store.put(row);
    ++written;
    if (o.progress) o.progress(written, out.points);
  });
  out.rows = store.rows();
  out.wall_seconds = seconds_since(start);
  return out;
}

std::string point_row_to_json(const store::SweepPointRow& row) {
  nlohmann::ordered_json models = nlohmann::ordered_json::array();
  for (const auto& m : row.models)
    models.push_back({{"model", m.model},
                      {"ok", m.ok},
                      {"message", m.message},
                      {"cycles", m.cycles},
                      {"energy_uj", m.energy_uj},
                      {"peak_bytes", m.peak_bytes}});
  nlohmann::ordered_json j = {{"point", row.point},         {"index", row.index},
                              {"params", row.params},       {"area_mm2", nullptr},
                              {"wall_s", row.wall_seconds}, {"models", models}};
  if (row.area_mm2) j["area_mm2"] = *row.area_mm2;
  return j.dump();
}

store::SweepPointRow point_row_from_json(const std::string& text) {
  try {
    const auto j = nlohmann::json::parse(text);
    store::SweepPointRow row;
    row.point = j.at("point").get<std::string>();
    row.index = j.at("index").get<std::size_t>();
    row.params = j.at("params").get<std::vector<std::pair<std::string, std::string>>>();
    if (!j.at("area_mm2").is_null()) row.area_mm2 = j.at("area_mm2").get<double>();
    row.wall_seconds = j.at("wall_s").get<double>();
    for (const auto& m : j.at("models")) {
      store::SweepModelRow r;
      r.model = m.at("model").get<std::string>();
      r.ok = m.at("ok").get<bool>();
      r.message = m.at("message").get<std::string>();
      r.cycles = m.at("cycles").get<double>();
      r.energy_uj = m.at("energy_uj").get<double>();
      r.peak_bytes = m.at("peak_bytes").get<std::vector<std::pair<std::string, std::int64_t>>>();
      row.models.push_back(std::move(r));
    }
    return row;
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(fmt::format("sweep point row (JSON): {}", e.what()));
  }
}

}  // namespace tessel::driver
