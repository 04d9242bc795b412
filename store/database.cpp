#include "store/database.hpp"

#include <unistd.h>

#include <algorithm>
#include <set>

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "core/memory_plan.hpp"
#include "core/version.hpp"
#include "store/candidate_stream.hpp"
#include "store/mapping_columns.hpp"
#include "store/sqlite_support.hpp"

namespace tessel::store {

std::string_view store_mode_name(StoreMode m) {
  switch (m) {
    case StoreMode::best:
      return "best";
    case StoreMode::pareto:
      return "pareto";
    case StoreMode::all:
      return "all";
  }
  return "?";
}

StoreMode parse_store_mode(std::string_view text) {
  for (auto m : {StoreMode::best, StoreMode::pareto, StoreMode::all}) {
    if (text == store_mode_name(m)) return m;
  }
  throw ConfigError(fmt::format("unknown store mode '{}' (best, pareto, all)", text));
}

namespace {

constexpr int kSchemaVersion = 6;
// The columns schema 5 adds to schedule_layers (after the mapping columns):
// a concurrent step's contention (on its part 0) and the weight bits a part
// runs at (0: its layer's).
constexpr const char* kStepColumnsV5[] = {"contention_cycles REAL NOT NULL DEFAULT 0",
                                          "weight_bits INTEGER NOT NULL DEFAULT 0"};
// The columns schema 6 adds to runs: 1 once the run ended (readers see only
// complete runs), and the process writing it (store/sqlite_support.hpp).
constexpr const char* kRunColumnsV6[] = {"complete INTEGER NOT NULL DEFAULT 0", "owner TEXT"};
// And to networks: where the network came from (Graph::source).
constexpr const char* kNetworkColumnV6 = "source TEXT";

}  // namespace

namespace {

// Whether the file exists (a reader must not create it).
bool file_exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

// Opens the SQLite connection: read-write (creating the file) for writers;
// for readers read-write when allowed (an older schema is upgraded), else
// read-only.
std::unique_ptr<SQLite::Database> open_file(const std::string& path, Access access) {
  if (access == Access::write)
    return std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE,
                                              kBusyTimeoutMs);
  if (!file_exists(path)) throw IoError(fmt::format("database '{}' does not exist", path));
  const int flags =
      ::access(path.c_str(), W_OK) == 0 ? SQLite::OPEN_READWRITE : SQLite::OPEN_READONLY;
  return std::make_unique<SQLite::Database>(path, flags, kBusyTimeoutMs);
}

}  // namespace

Database::Database(const std::string& path, Access access) : path_(path) {
  translated(path, "cannot open", [&] { db_ = open_file(path, access); });
  // Switching a new file to WAL takes a lock another process opening it may
  // hold.
  retry_while_busy(path, "cannot open", [&] {
    if (access == Access::write) db_->exec("PRAGMA journal_mode=WAL");
    db_->exec("PRAGMA synchronous=NORMAL");
    db_->exec("PRAGMA foreign_keys=ON");
  });
  open_schema();
  if (access == Access::write) remove_dead_runs();
}

void Database::open_schema() {
  // The schema version of the file, 0 when it has none yet.
  const auto version = [&] {
    if (!db_->tableExists("meta")) return 0;
    SQLite::Statement q(*db_, "SELECT value FROM meta WHERE key='schema_version'");
    return q.executeStep() ? std::stoi(q.getColumn(0).getString()) : 0;
  };
  int found = 0;
  retry_while_busy(path_, "cannot read the schema", [&] { found = version(); });
  if (found == kSchemaVersion) return;
  if (found != 0 && (found < 3 || found > kSchemaVersion))
    throw StoreError(fmt::format("database '{}' has schema version {}, this tessel reads {}", path_,
                                 found, kSchemaVersion));
  if (db_->getFilename().empty() || ::access(path_.c_str(), W_OK) != 0)
    throw StoreError(
        fmt::format("database '{}' has schema version {} and is read-only: open it once with write "
                    "access to upgrade it to version {}",
                    path_, found, kSchemaVersion));
  // In one write transaction, so that two processes opening a new file do not
  // both create the tables.
  write("cannot create the schema", [&] {
    const int v = version();
    if (v == kSchemaVersion) return;
    if (v == 0) return create_tables();
    if (v == 3) create_sweep_tables();  // schema 4 adds the sweep tables
    if (v <= 4) {                       // 5 two step columns
      for (const char* column : kStepColumnsV5)
        db_->exec(std::string("ALTER TABLE schedule_layers ADD COLUMN ") + column);
    }
    // 6: whether a run is complete, and who writes it; a run that recorded
    // its wall time ended.
    for (const char* column : kRunColumnsV6)
      db_->exec(std::string("ALTER TABLE runs ADD COLUMN ") + column);
    db_->exec(std::string("ALTER TABLE networks ADD COLUMN ") + kNetworkColumnV6);
    db_->exec("UPDATE runs SET complete = 1 WHERE wall_s IS NOT NULL");
    db_->exec(fmt::format("UPDATE meta SET value='{}' WHERE key='schema_version'", kSchemaVersion));
  });
}

void Database::remove_dead_runs() {
  std::vector<std::int64_t> dead;
  retry_while_busy(path_, "cannot list incomplete runs", [&] {
    dead.clear();
    SQLite::Statement q(*db_, "SELECT id, owner FROM runs WHERE complete = 0");
    while (q.executeStep()) {
      if (!owner_alive(q.getColumn(1).getString())) dead.push_back(q.getColumn(0).getInt64());
    }
  });
  for (const auto run : dead)
    write(fmt::format("cannot remove incomplete run {}", run), [&] { delete_run_rows(run); });
}

void Database::write(std::string_view what, const std::function<void()>& body) {
  write_transaction(*db_, path_, what, body);
}

Database::~Database() {
  stop_stream();
}

void Database::create_tables() {
  db_->exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)");
  db_->exec(fmt::format("INSERT INTO meta VALUES ('schema_version', '{}')", kSchemaVersion));
  db_->exec(
      "CREATE TABLE runs (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, command TEXT, "
      "version TEXT, objective TEXT, mapper TEXT, strategy TEXT, threads INTEGER, "
      "store TEXT, wall_s REAL, evaluated INTEGER, pruned INTEGER, " +
      std::string(kRunColumnsV6[0]) + ", " + kRunColumnsV6[1] + ")");
  db_->exec(
      "CREATE TABLE socs (id INTEGER PRIMARY KEY, name TEXT NOT NULL, hash TEXT NOT NULL "
      "UNIQUE, frequency_hz REAL, yaml TEXT NOT NULL)");
  db_->exec(
      "CREATE TABLE networks (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES "
      "runs(id), name TEXT NOT NULL, layers INTEGER, macs INTEGER, weight_bytes INTEGER, "
      "peak_activation_bytes INTEGER, " +
      std::string(kNetworkColumnV6) + ")");
  db_->exec(
      "CREATE TABLE layers (id INTEGER PRIMARY KEY, network_id INTEGER NOT NULL REFERENCES "
      "networks(id), idx INTEGER NOT NULL, name TEXT NOT NULL, op TEXT NOT NULL, n INTEGER, "
      "g INTEGER, k INTEGER, c INTEGER, oy INTEGER, ox INTEGER, fy INTEGER, fx INTEGER, "
      "stride_y INTEGER, stride_x INTEGER, macs INTEGER, weight_bytes INTEGER, "
      "input_bytes INTEGER, output_bytes INTEGER, UNIQUE(network_id, idx))");
  db_->exec(fmt::format(
      "CREATE TABLE candidates (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES "
      "runs(id), layer_id INTEGER NOT NULL REFERENCES layers(id), kind TEXT NOT NULL, {})",
      kMappingColumns));
  db_->exec(
      "CREATE TABLE schedules (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES "
      "runs(id), network_id INTEGER NOT NULL REFERENCES networks(id), soc_id INTEGER NOT "
      "NULL REFERENCES socs(id), objective TEXT, mapper TEXT, cycles REAL, ms REAL, "
      "energy_uj REAL, proven INTEGER, evaluated INTEGER, pruned INTEGER, "
      "peak_level_bytes TEXT, step_order TEXT)");
  db_->exec(fmt::format(
      "CREATE TABLE schedule_layers (schedule_id INTEGER NOT NULL REFERENCES schedules(id), "
      "layer_id INTEGER NOT NULL REFERENCES layers(id), idx INTEGER NOT NULL, "
      "step INTEGER NOT NULL, part INTEGER NOT NULL, step_kind TEXT NOT NULL, slice TEXT, "
      "transition_cycles REAL, transition_energy_pj REAL, sync_cycles REAL, {}, {}, {}, "
      "PRIMARY KEY(schedule_id, step, part))",
      kMappingColumns, kStepColumnsV5[0], kStepColumnsV5[1]));
  db_->exec(
      "CREATE TABLE schedule_tensors (schedule_id INTEGER NOT NULL REFERENCES schedules(id), "
      "name TEXT NOT NULL, role TEXT NOT NULL, bytes INTEGER, level TEXT, offset INTEGER, "
      "first_step INTEGER, last_step INTEGER, alias TEXT, PRIMARY KEY(schedule_id, name))");
  db_->exec(
      "CREATE TABLE schedule_memory (schedule_id INTEGER NOT NULL REFERENCES schedules(id), "
      "level TEXT NOT NULL, arena_bytes INTEGER, lower_bound_bytes INTEGER, "
      "PRIMARY KEY(schedule_id, level))");
  db_->exec("CREATE INDEX candidates_layer ON candidates(layer_id, unit)");
  create_sweep_tables();
}

std::int64_t Database::begin_run(const RunInfo& info) {
  std::int64_t id = 0;
  write("cannot start a run", [&] {
    SQLite::Statement st(*db_,
                         "INSERT INTO runs (started_at, command, version, objective, mapper, "
                         "strategy, threads, store, complete, owner) VALUES (?,?,?,?,?,?,?,?,0,?)");
    st.bind(1, now_iso());
    st.bind(2, info.command);
    st.bind(3, kVersion);
    st.bind(4, info.objective);
    st.bind(5, info.mapper);
    st.bind(6, info.strategy);
    st.bind(7, info.threads);
    st.bind(8, std::string(store_mode_name(info.mode)));
    st.bind(9, this_process_owner());
    st.exec();
    id = db_->getLastInsertRowid();
  });
  return id;
}

void Database::delete_run_rows(std::int64_t run) {
  for (const char* sql :
       {"DELETE FROM schedule_layers WHERE schedule_id IN (SELECT id FROM schedules WHERE "
        "run_id = ?)",
        "DELETE FROM schedule_tensors WHERE schedule_id IN (SELECT id FROM schedules WHERE "
        "run_id = ?)",
        "DELETE FROM schedule_memory WHERE schedule_id IN (SELECT id FROM schedules WHERE "
        "run_id = ?)",
        "DELETE FROM schedules WHERE run_id = ?", "DELETE FROM candidates WHERE run_id = ?",
        "DELETE FROM layers WHERE network_id IN (SELECT id FROM networks WHERE run_id = ?)",
        "DELETE FROM networks WHERE run_id = ?", "DELETE FROM runs WHERE id = ?"}) {
    SQLite::Statement st(*db_, sql);
    st.bind(1, static_cast<std::int64_t>(run));
    st.exec();
  }
}

void Database::discard_run(std::int64_t run) {
  stop_stream();
  write(fmt::format("cannot remove run {}", run), [&] { delete_run_rows(run); });
}

void Database::end_run(std::int64_t run, double wall_seconds, std::uint64_t evaluated,
                       std::uint64_t pruned) {
  flush_candidates();
  write(fmt::format("cannot end run {}", run), [&] {
    SQLite::Statement st(*db_,
                         "UPDATE runs SET wall_s=?, evaluated=?, pruned=?, complete=1 WHERE id=?");
    st.bind(1, wall_seconds);
    st.bind(2, static_cast<std::int64_t>(evaluated));
    st.bind(3, static_cast<std::int64_t>(pruned));
    st.bind(4, static_cast<std::int64_t>(run));
    st.exec();
  });
}

std::int64_t Database::soc_row(const hw::Soc& soc) {
  const auto hash = fmt::format("{:016x}", soc.hash);
  SQLite::Statement q(*db_, "SELECT id FROM socs WHERE hash=?");
  q.bind(1, hash);
  if (q.executeStep()) return q.getColumn(0).getInt64();
  SQLite::Statement st(*db_, "INSERT INTO socs (name, hash, frequency_hz, yaml) VALUES (?,?,?,?)");
  st.bind(1, soc.name);
  st.bind(2, hash);
  st.bind(3, soc.frequency);
  st.bind(4, soc.yaml_text);
  st.exec();
  return db_->getLastInsertRowid();
}

std::int64_t Database::put_soc(const hw::Soc& soc) {
  std::int64_t id = 0;
  write(fmt::format("cannot record SoC '{}'", soc.name), [&] { id = soc_row(soc); });
  return id;
}

std::int64_t Database::put_network(std::int64_t run, const Graph& g) {
  std::int64_t id = 0;
  write(fmt::format("cannot record network '{}'", g.name()), [&] {
    SQLite::Statement st(*db_,
                         "INSERT INTO networks (run_id, name, layers, macs, weight_bytes, "
                         "peak_activation_bytes, source) VALUES (?,?,?,?,?,?,?)");
    st.bind(1, static_cast<std::int64_t>(run));
    st.bind(2, g.name());
    st.bind(3, static_cast<std::int64_t>(g.layers().size()));
    st.bind(4, static_cast<std::int64_t>(g.total_macs()));
    st.bind(5, static_cast<std::int64_t>(g.total_weight_bytes()));
    st.bind(6, static_cast<std::int64_t>(g.peak_activation_bytes()));
    st.bind(7, g.source());
    st.exec();
    id = db_->getLastInsertRowid();
    SQLite::Statement ls(*db_,
                         "INSERT INTO layers (network_id, idx, name, op, n, g, k, c, oy, ox, fy, "
                         "fx, stride_y, stride_x, macs, weight_bytes, input_bytes, output_bytes) "
                         "VALUES (" +
                             placeholders(18) + ")");
    for (std::size_t i = 0; i < g.layers().size(); ++i) {
      const auto& l = g.layer(i);
      int c = 1;
      ls.bind(c++, static_cast<std::int64_t>(id));
      ls.bind(c++, static_cast<std::int64_t>(i));
      ls.bind(c++, l.name);
      ls.bind(c++, std::string(op_name(l.op)));
      for (auto d : l.dims)
        ls.bind(c++, static_cast<std::int64_t>(d));
      ls.bind(c++, l.stride_y);
      ls.bind(c++, l.stride_x);
      ls.bind(c++, static_cast<std::int64_t>(l.macs()));
      ls.bind(c++, static_cast<std::int64_t>(l.weight_bytes()));
      ls.bind(c++, static_cast<std::int64_t>(l.input_bytes()));
      ls.bind(c++, static_cast<std::int64_t>(l.output_bytes()));
      ls.exec();
      ls.reset();
    }
  });
  return id;
}

std::int64_t Database::layer_id(std::int64_t network, std::size_t index) {
  const auto id = translated(path_, "cannot read layers", [&]() -> std::optional<std::int64_t> {
    SQLite::Statement q(*db_, "SELECT id FROM layers WHERE network_id=? AND idx=?");
    q.bind(1, static_cast<std::int64_t>(network));
    q.bind(2, static_cast<std::int64_t>(index));
    if (!q.executeStep()) return std::nullopt;
    return q.getColumn(0).getInt64();
  });
  if (!id)
    throw StoreError(
        fmt::format("database '{}': network {} has no layer {}", path_, network, index));
  return *id;
}

std::int64_t Database::put_result(std::int64_t run, std::int64_t network, std::int64_t soc,
                                  const Graph& graph, const hw::Soc& spec,
                                  const mappers::NetworkResult& result, StoreMode mode) {
  const auto& s = result.schedule;
  std::int64_t schedule = 0;
  write(fmt::format("cannot record the schedule of '{}'", graph.name()), [&] {
    SQLite::Statement st(*db_,
                         "INSERT INTO schedules (run_id, network_id, soc_id, objective, mapper, "
                         "cycles, ms, energy_uj, proven, evaluated, pruned, peak_level_bytes, "
                         "step_order) VALUES (" +
                             placeholders(13) + ")");
    nlohmann::ordered_json peak = nlohmann::ordered_json::object();
    for (std::size_t l = 0; l < s.level_names.size(); ++l)
      peak[s.level_names[l]] = s.peak_bytes[l];
    st.bind(1, static_cast<std::int64_t>(run));
    st.bind(2, static_cast<std::int64_t>(network));
    st.bind(3, static_cast<std::int64_t>(soc));
    st.bind(4, s.objective);
    st.bind(5, s.mapper);
    st.bind(6, s.cycles);
    st.bind(7, s.cycles / s.frequency * 1e3);
    st.bind(8, s.energy * 1e-6);
    st.bind(9, result.proven ? 1 : 0);
    st.bind(10, static_cast<std::int64_t>(result.evaluated));
    st.bind(11, static_cast<std::int64_t>(result.pruned));
    st.bind(12, peak.dump());
    st.bind(13, step_order_json(s).dump());
    st.exec();
    schedule = db_->getLastInsertRowid();

    std::vector<std::int64_t> layer_ids(graph.layers().size());
    for (std::size_t i = 0; i < layer_ids.size(); ++i)
      layer_ids[i] = layer_id(network, i);
    put_steps(schedule, spec, s, layer_ids);
    if (mode != StoreMode::best) {
      SQLite::Statement cs(*db_, "INSERT INTO candidates VALUES (NULL," +
                                     placeholders(3 + kMappingColumnCount) + ")");
      // Each distinct layer-unit search once, under the first layer that ran it.
      std::set<const mappers::LayerResult*> seen;
      for (std::size_t i = 0; i < result.searches.size(); ++i) {
        for (const auto& us : result.searches[i]) {
          if (!seen.insert(us.result.get()).second) continue;
          for (const auto& p : us.result->pareto) {
            cs.bind(1, static_cast<std::int64_t>(run));
            cs.bind(2, static_cast<std::int64_t>(layer_ids[i]));
            cs.bind(3, "pareto");
            bind_mapping(cs, 4, spec, p.mapping, p.cost);
            cs.exec();
            cs.reset();
          }
        }
      }
    }
  });
  return schedule;
}

}  // namespace tessel::store
