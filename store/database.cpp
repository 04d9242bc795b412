#include "store/database.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "core/memory_plan.hpp"
#include "core/version.hpp"
#include "store/mapping_columns.hpp"

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

constexpr int kSchemaVersion = 5;
// The columns schema 5 adds to schedule_layers (after the mapping columns):
// a concurrent step's contention (on its part 0) and the weight bits a part
// runs at (0: its layer's).
constexpr const char* kStepColumnsV5[] = {"contention_cycles REAL NOT NULL DEFAULT 0",
                                          "weight_bits INTEGER NOT NULL DEFAULT 0"};

}  // namespace

// Background writer of `--store all` candidates.
struct Database::Stream {
  struct Row {
    std::int64_t layer;
    Mapping mapping;
    Cost cost;
  };
  std::int64_t run = 0;
  const hw::Soc* soc = nullptr;
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<Row> queue;
  bool stop = false, busy = false;
  std::thread writer;
  static constexpr std::size_t kMaxQueue = 1 << 16;
  static constexpr std::size_t kBatch = 8192;
};

Database::Database(const std::string& path) : path_(path) {
  try {
    db_ = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db_->exec("PRAGMA journal_mode=WAL");
    db_->exec("PRAGMA synchronous=NORMAL");
    db_->exec("PRAGMA foreign_keys=ON");
    db_->exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)");
    SQLite::Statement q(*db_, "SELECT value FROM meta WHERE key='schema_version'");
    if (q.executeStep()) {
      const int v = std::stoi(q.getColumn(0).getString());
      if (v == 3 || v == 4) {  // schema 4 adds the sweep tables, 5 two step columns
        SQLite::Transaction tx(*db_);
        if (v == 3) create_sweep_tables();
        db_->exec(std::string("ALTER TABLE schedule_layers ADD COLUMN ") + kStepColumnsV5[0]);
        db_->exec(std::string("ALTER TABLE schedule_layers ADD COLUMN ") + kStepColumnsV5[1]);
        db_->exec(
            fmt::format("UPDATE meta SET value='{}' WHERE key='schema_version'", kSchemaVersion));
        tx.commit();
        return;
      }
      if (v != kSchemaVersion)
        throw StoreError(fmt::format("database '{}' has schema version {}, this tessel reads {}",
                                     path, v, kSchemaVersion));
      return;
    }
    SQLite::Transaction tx(*db_);
    db_->exec(fmt::format("INSERT INTO meta VALUES ('schema_version', '{}')", kSchemaVersion));
    db_->exec(
        "CREATE TABLE runs (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, command TEXT, "
        "version TEXT, objective TEXT, mapper TEXT, strategy TEXT, threads INTEGER, "
        "store TEXT, wall_s REAL, evaluated INTEGER, pruned INTEGER)");
    db_->exec(
        "CREATE TABLE socs (id INTEGER PRIMARY KEY, name TEXT NOT NULL, hash TEXT NOT NULL "
        "UNIQUE, frequency_hz REAL, yaml TEXT NOT NULL)");
    db_->exec(
        "CREATE TABLE networks (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES "
        "runs(id), name TEXT NOT NULL, layers INTEGER, macs INTEGER, weight_bytes INTEGER, "
        "peak_activation_bytes INTEGER)");
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
    tx.commit();
  } catch (const SQLite::Exception& e) {
    throw StoreError(fmt::format("database '{}': {}", path, e.what()));
  }
}

Database::~Database() {
  try {
    flush_candidates();
  } catch (...) {
  }
  if (stream_ && stream_->writer.joinable()) {
    {
      std::lock_guard lock(stream_->mutex);
      stream_->stop = true;
    }
    stream_->changed.notify_all();
    stream_->writer.join();
  }
}

std::int64_t Database::begin_run(const RunInfo& info) {
  SQLite::Statement st(*db_,
                       "INSERT INTO runs (started_at, command, version, objective, mapper, "
                       "strategy, threads, store) VALUES (?,?,?,?,?,?,?,?)");
  st.bind(1, now_iso());
  st.bind(2, info.command);
  st.bind(3, kVersion);
  st.bind(4, info.objective);
  st.bind(5, info.mapper);
  st.bind(6, info.strategy);
  st.bind(7, info.threads);
  st.bind(8, std::string(store_mode_name(info.mode)));
  st.exec();
  return db_->getLastInsertRowid();
}

void Database::discard_run(std::int64_t run) {
  flush_candidates();
  SQLite::Transaction tx(*db_);
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
  tx.commit();
}

void Database::end_run(std::int64_t run, double wall_seconds, std::uint64_t evaluated,
                       std::uint64_t pruned) {
  flush_candidates();
  SQLite::Statement st(*db_, "UPDATE runs SET wall_s=?, evaluated=?, pruned=? WHERE id=?");
  st.bind(1, wall_seconds);
  st.bind(2, static_cast<std::int64_t>(evaluated));
  st.bind(3, static_cast<std::int64_t>(pruned));
  st.bind(4, static_cast<std::int64_t>(run));
  st.exec();
}

std::int64_t Database::put_soc(const hw::Soc& soc) {
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

std::int64_t Database::put_network(std::int64_t run, const Graph& g) {
  SQLite::Transaction tx(*db_);
  SQLite::Statement st(*db_,
                       "INSERT INTO networks (run_id, name, layers, macs, weight_bytes, "
                       "peak_activation_bytes) VALUES (?,?,?,?,?,?)");
  st.bind(1, static_cast<std::int64_t>(run));
  st.bind(2, g.name());
  st.bind(3, static_cast<std::int64_t>(g.layers().size()));
  st.bind(4, static_cast<std::int64_t>(g.total_macs()));
  st.bind(5, static_cast<std::int64_t>(g.total_weight_bytes()));
  st.bind(6, static_cast<std::int64_t>(g.peak_activation_bytes()));
  st.exec();
  const auto id = db_->getLastInsertRowid();
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
  tx.commit();
  return id;
}

std::int64_t Database::layer_id(std::int64_t network, std::size_t index) {
  SQLite::Statement q(*db_, "SELECT id FROM layers WHERE network_id=? AND idx=?");
  q.bind(1, static_cast<std::int64_t>(network));
  q.bind(2, static_cast<std::int64_t>(index));
  if (!q.executeStep())
    throw StoreError(
        fmt::format("database '{}': network {} has no layer {}", path_, network, index));
  return q.getColumn(0).getInt64();
}

std::int64_t Database::put_result(std::int64_t run, std::int64_t network, std::int64_t soc,
                                  const Graph& graph, const hw::Soc& spec,
                                  const mappers::NetworkResult& result, StoreMode mode) {
  const auto& s = result.schedule;
  SQLite::Transaction tx(*db_);
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
  const auto schedule = db_->getLastInsertRowid();

  std::vector<std::int64_t> layer_ids(graph.layers().size());
  for (std::size_t i = 0; i < layer_ids.size(); ++i)
    layer_ids[i] = layer_id(network, i);
  put_steps(schedule, spec, s, layer_ids);
  if (mode != StoreMode::best) {
    SQLite::Statement cs(
        *db_, "INSERT INTO candidates VALUES (NULL," + placeholders(3 + kMappingColumnCount) + ")");
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
  tx.commit();
  return schedule;
}

void Database::begin_candidate_stream(std::int64_t run, const hw::Soc& soc) {
  if (!stream_) {
    stream_ = std::make_unique<Stream>();
    stream_->writer = std::thread([this] {
      auto& s = *stream_;
      SQLite::Statement cs(*db_, "INSERT INTO candidates VALUES (NULL," +
                                     placeholders(3 + kMappingColumnCount) + ")");
      std::unique_lock lock(s.mutex);
      for (;;) {
        s.changed.wait(lock, [&] { return s.stop || !s.queue.empty(); });
        if (s.queue.empty() && s.stop) return;
        std::vector<Stream::Row> batch;
        while (!s.queue.empty() && batch.size() < Stream::kBatch) {
          batch.push_back(std::move(s.queue.front()));
          s.queue.pop_front();
        }
        s.busy = true;
        const auto run_id = s.run;
        const auto* soc_spec = s.soc;
        lock.unlock();
        s.changed.notify_all();
        {
          SQLite::Transaction tx(*db_);
          for (const auto& row : batch) {
            cs.bind(1, static_cast<std::int64_t>(run_id));
            cs.bind(2, static_cast<std::int64_t>(row.layer));
            cs.bind(3, "evaluated");
            bind_mapping(cs, 4, *soc_spec, row.mapping, row.cost);
            cs.exec();
            cs.reset();
          }
          tx.commit();
        }
        lock.lock();
        s.busy = false;
        s.changed.notify_all();
      }
    });
  }
  flush_candidates();
  std::lock_guard lock(stream_->mutex);
  stream_->run = run;
  stream_->soc = &soc;
}

void Database::stream_candidate(std::int64_t layer_id, const Mapping& m, const Cost& c) {
  auto& s = *stream_;
  std::unique_lock lock(s.mutex);
  s.changed.wait(lock, [&] { return s.queue.size() < Stream::kMaxQueue; });
  s.queue.push_back({layer_id, m, c});
  s.changed.notify_all();
}

void Database::flush_candidates() {
  if (!stream_) return;
  std::unique_lock lock(stream_->mutex);
  stream_->changed.wait(lock, [&] { return stream_->queue.empty() && !stream_->busy; });
}

std::vector<std::int64_t> Database::schedules_of_run(std::int64_t run) {
  std::vector<std::int64_t> ids;
  SQLite::Statement q(*db_, "SELECT id FROM schedules WHERE run_id=? ORDER BY id");
  q.bind(1, static_cast<std::int64_t>(run));
  while (q.executeStep())
    ids.push_back(q.getColumn(0).getInt64());
  return ids;
}

NetworkSchedule Database::load_schedule(std::int64_t id) {
  SQLite::Statement q(*db_,
                      "SELECT n.name, s.name, s.hash, s.frequency_hz, s.yaml, sc.objective, "
                      "sc.mapper, sc.cycles, sc.energy_uj, sc.peak_level_bytes, sc.step_order FROM "
                      "schedules "
                      "sc JOIN networks n ON n.id = sc.network_id JOIN socs s ON s.id = "
                      "sc.soc_id WHERE sc.id = ?");
  q.bind(1, static_cast<std::int64_t>(id));
  if (!q.executeStep())
    throw StoreError(fmt::format("database '{}': no schedule with id {}", path_, id));
  NetworkSchedule s;
  s.network = q.getColumn(0).getString();
  s.soc = q.getColumn(1).getString();
  s.soc_hash = std::stoull(q.getColumn(2).getString(), nullptr, 16);
  s.frequency = q.getColumn(3).getDouble();
  s.objective = q.getColumn(5).getString();
  s.mapper = q.getColumn(6).getString();
  s.cycles = q.getColumn(7).getDouble();
  s.energy = q.getColumn(8).getDouble() * 1e6;
  const auto peak = nlohmann::ordered_json::parse(q.getColumn(9).getString());
  for (const auto& [name, bytes] : peak.items()) {
    s.level_names.push_back(name);
    s.peak_bytes.push_back(bytes.get<std::int64_t>());
  }
  s.order = parse_order(q.getColumn(10).getString(), s.level_names);
  load_steps(id, s);
  return s;
}

}  // namespace tessel::store
