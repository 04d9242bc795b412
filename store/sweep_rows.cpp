// The sweep tables of the results database (docs/database.md, "Sweeps").

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "core/version.hpp"
#include "store/database.hpp"
#include "store/mapping_columns.hpp"
#include "store/sqlite_support.hpp"

namespace tessel::store {

void Database::create_sweep_tables() {
  db_->exec(
      "CREATE TABLE sweeps (id INTEGER PRIMARY KEY, spec_hash TEXT NOT NULL UNIQUE, spec TEXT "
      "NOT NULL, points INTEGER NOT NULL, started_at TEXT NOT NULL, command TEXT, version TEXT)");
  db_->exec(
      "CREATE TABLE sweep_points (sweep_id INTEGER NOT NULL REFERENCES sweeps(id), point TEXT "
      "NOT NULL, idx INTEGER NOT NULL, params TEXT NOT NULL, soc_id INTEGER NOT NULL REFERENCES "
      "socs(id), area_mm2 REAL, wall_s REAL, PRIMARY KEY(sweep_id, point))");
  db_->exec(
      "CREATE TABLE sweep_results (sweep_id INTEGER NOT NULL, point TEXT NOT NULL, model TEXT "
      "NOT NULL, status TEXT NOT NULL, message TEXT, cycles REAL, energy_uj REAL, peak_bytes "
      "TEXT, PRIMARY KEY(sweep_id, point, model), FOREIGN KEY(sweep_id, point) REFERENCES "
      "sweep_points(sweep_id, point))");
}

std::optional<std::int64_t> Database::find_sweep(const std::string& spec_hash) {
  return translated(path_, "cannot read sweeps", [&]() -> std::optional<std::int64_t> {
    SQLite::Statement q(*db_, "SELECT id FROM sweeps WHERE spec_hash=?");
    q.bind(1, spec_hash);
    if (q.executeStep()) return q.getColumn(0).getInt64();
    return std::nullopt;
  });
}

std::optional<std::int64_t> Database::latest_sweep() {
  return translated(path_, "cannot read sweeps", [&]() -> std::optional<std::int64_t> {
    SQLite::Statement q(*db_, "SELECT max(id) FROM sweeps");
    if (q.executeStep() && !q.getColumn(0).isNull()) return q.getColumn(0).getInt64();
    return std::nullopt;
  });
}

std::int64_t Database::begin_sweep(const std::string& spec_hash, const std::string& spec_json,
                                   std::size_t points, const std::string& command) {
  std::int64_t id = 0;
  write("cannot record the sweep", [&] {
    SQLite::Statement st(*db_,
                         "INSERT OR IGNORE INTO sweeps (spec_hash, spec, points, started_at, "
                         "command, version) VALUES (?,?,?,?,?,?)");
    st.bind(1, spec_hash);
    st.bind(2, spec_json);
    st.bind(3, static_cast<std::int64_t>(points));
    st.bind(4, now_iso());
    st.bind(5, command);
    st.bind(6, kVersion);
    st.exec();
    SQLite::Statement q(*db_, "SELECT id FROM sweeps WHERE spec_hash=?");
    q.bind(1, spec_hash);
    q.executeStep();
    id = q.getColumn(0).getInt64();
  });
  return id;
}

std::vector<std::string> Database::finished_points(std::int64_t sweep) {
  return translated(path_, "cannot read sweep points", [&] {
    std::vector<std::string> out;
    SQLite::Statement q(*db_, "SELECT point FROM sweep_points WHERE sweep_id=? ORDER BY idx");
    q.bind(1, sweep);
    while (q.executeStep())
      out.push_back(q.getColumn(0).getString());
    return out;
  });
}

void Database::put_sweep_point(std::int64_t sweep, const SweepPointRow& row, const hw::Soc& soc) {
  write(fmt::format("cannot record sweep point '{}'", row.point), [&] {
    const auto soc_id = soc_row(soc);
    nlohmann::ordered_json params = nlohmann::ordered_json::object();
    for (const auto& [path, value] : row.params)
      params[path] = value;
    SQLite::Statement p(*db_, "INSERT INTO sweep_points VALUES (?,?,?,?,?,?,?)");
    p.bind(1, sweep);
    p.bind(2, row.point);
    p.bind(3, static_cast<std::int64_t>(row.index));
    p.bind(4, params.dump());
    p.bind(5, soc_id);
    if (row.area_mm2) p.bind(6, *row.area_mm2);
    p.bind(7, row.wall_seconds);
    p.exec();
    SQLite::Statement r(*db_, "INSERT INTO sweep_results VALUES (?,?,?,?,?,?,?,?)");
    for (const auto& m : row.models) {
      nlohmann::ordered_json peak = nlohmann::ordered_json::object();
      for (const auto& [level, bytes] : m.peak_bytes)
        peak[level] = bytes;
      r.reset();
      r.clearBindings();
      r.bind(1, sweep);
      r.bind(2, row.point);
      r.bind(3, m.model);
      r.bind(4, m.ok ? "ok" : "infeasible");
      if (!m.ok) r.bind(5, m.message);
      if (m.ok) {
        r.bind(6, m.cycles);
        r.bind(7, m.energy_uj);
        r.bind(8, peak.dump());
      }
      r.exec();
    }
  });
}

std::vector<SweepPointRow> Database::read_sweep(std::int64_t sweep) {
  return translated(path_, "cannot read the sweep", [&] {
    std::vector<SweepPointRow> out;
    std::map<std::string, std::size_t> at;
    SQLite::Statement p(*db_,
                        "SELECT point, idx, params, area_mm2, wall_s FROM sweep_points WHERE "
                        "sweep_id=? ORDER BY idx");
    p.bind(1, sweep);
    while (p.executeStep()) {
      SweepPointRow row;
      row.point = p.getColumn(0).getString();
      row.index = static_cast<std::size_t>(p.getColumn(1).getInt64());
      const auto params = nlohmann::ordered_json::parse(p.getColumn(2).getString());
      for (const auto& [k, v] : params.items())
        row.params.emplace_back(k, v.get<std::string>());
      if (!p.getColumn(3).isNull()) row.area_mm2 = p.getColumn(3).getDouble();
      row.wall_seconds = p.getColumn(4).getDouble();
      at[row.point] = out.size();
      out.push_back(std::move(row));
    }
    SQLite::Statement r(*db_,
                        "SELECT point, model, status, message, cycles, energy_uj, peak_bytes FROM "
                        "sweep_results WHERE sweep_id=? ORDER BY rowid");
    r.bind(1, sweep);
    while (r.executeStep()) {
      SweepModelRow m;
      m.model = r.getColumn(1).getString();
      m.ok = r.getColumn(2).getString() == "ok";
      m.message = r.getColumn(3).getString();
      if (m.ok) {
        m.cycles = r.getColumn(4).getDouble();
        m.energy_uj = r.getColumn(5).getDouble();
        const auto peak = nlohmann::ordered_json::parse(r.getColumn(6).getString());
        for (const auto& [k, v] : peak.items())
          m.peak_bytes.emplace_back(k, v.get<std::int64_t>());
      }
      out[at.at(r.getColumn(0).getString())].models.push_back(std::move(m));
    }
    return out;
  });
}

}  // namespace tessel::store
