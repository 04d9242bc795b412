#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/graph.hpp"
#include "core/schedule.hpp"
#include "hwmodels/soc.hpp"
#include "mappers/network_mapper.hpp"

namespace SQLite {
class Database;
}

namespace tessel::store {

// What `explore` keeps of the candidates it evaluates.
enum class StoreMode {
  best,    // the chosen schedule only
  pareto,  // plus each layer-unit Pareto front (default)
  all,     // plus every evaluated legal candidate, streamed
};
std::string_view store_mode_name(StoreMode m);
StoreMode parse_store_mode(std::string_view text);

// Metadata of one run (one invocation of explore, or one API call).
struct RunInfo {
  std::string command;
  std::string objective;
  std::string mapper;
  std::string strategy;
  int threads = 0;
  StoreMode mode = StoreMode::pareto;
};

// A schedule's step order from the schedules.step_order column (JSON of
// step_order_json, core/memory_plan.hpp; schedule_rows.cpp).
StepOrder parse_order(const std::string& text, const std::vector<std::string>& levels);

// One network's outcome at one sweep point.
struct SweepModelRow {
  std::string model;
  bool ok = true;       // false: the network fits no mapping at the point
  std::string message;  // why, when not ok
  double cycles = 0, energy_uj = 0;
  std::vector<std::pair<std::string, std::int64_t>> peak_bytes;  // per memory level
};

// One finished sweep point (docs/sweep.md), written in one transaction.
struct SweepPointRow {
  std::string point;  // the point's id (driver::SweepPoint::id)
  std::size_t index = 0;
  std::vector<std::pair<std::string, std::string>> params;  // path, value
  std::optional<double> area_mm2;  // unknown when an item of the SoC gives no area
  double wall_seconds = 0;
  std::vector<SweepModelRow> models;
};

// How a Database opens its file.
enum class Access {
  write,  // opens or creates it; removes the incomplete runs of dead processes
  read,   // the file must exist; nothing is created or cleaned up
};

// The SQLite file of results (DESIGN.md, "Storage"; schema in
// docs/database.md; guarantees in docs/reliability.md). Opens or creates the
// file, creates or checks the schema, and turns on WAL. Every write is a
// short BEGIN IMMEDIATE transaction that waits for other writers (busy
// timeout, then retries with backoff), so several processes can write one
// file. A run is visible to readers only once end_run() marks it complete;
// opening for writing removes the incomplete runs of processes that are gone.
// Every failure is a StoreError naming the file. One Database is used by one
// thread at a time (the candidate stream serialises its own writes).
class Database {
 public:
  // Throws StoreError naming the file when it cannot be opened or has a
  // schema of another version; IoError when `read` finds no file.
  explicit Database(const std::string& path, Access access = Access::write);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  const std::string& path() const { return path_; }

  // Starts a run, owned by this process and not complete; returns its id.
  std::int64_t begin_run(const RunInfo& info);
  // Deletes everything a run wrote (after a failure: nothing half-written).
  // Does not throw for a failed candidate stream (the run goes anyway).
  void discard_run(std::int64_t run);
  // Records the run's totals and marks it complete: readers see it from now.
  void end_run(std::int64_t run, double wall_seconds, std::uint64_t evaluated,
               std::uint64_t pruned);

  // Records the SoC (deduplicated by content hash); returns its id.
  std::int64_t put_soc(const hw::Soc& soc);
  // Records a network and its layers for a run; returns the network id.
  std::int64_t put_network(std::int64_t run, const Graph& graph);

  // Records a mapped network: the schedule, and per mode the layer-unit
  // Pareto fronts. Returns the schedule id.
  std::int64_t put_result(std::int64_t run, std::int64_t network, std::int64_t soc,
                          const Graph& graph, const hw::Soc& soc_spec,
                          const mappers::NetworkResult& result, StoreMode mode);

  // A sink for `--store all`: returns a callback that queues candidates of
  // one layer on one unit and writes them in batches from a background
  // thread (bounded queue: memory stays flat). flush_candidates() waits for
  // the queue to drain. When the writer fails, stream_candidate() and
  // flush_candidates() throw its StoreError.
  void begin_candidate_stream(std::int64_t run, const hw::Soc& soc);
  void stream_candidate(std::int64_t layer_id, const Mapping& m, const Cost& c);
  void flush_candidates();

  // Reads a stored schedule back. Throws StoreError when it does not exist
  // or its run is not complete.
  NetworkSchedule load_schedule(std::int64_t schedule_id);
  // The name of the network a stored schedule maps and where the network came
  // from (Graph::source; "" when unknown). Throws StoreError when the schedule
  // does not exist.
  std::pair<std::string, std::string> schedule_network(std::int64_t schedule_id);
  // The schedule ids of a complete run, in the order they were written.
  std::vector<std::int64_t> schedules_of_run(std::int64_t run);
  // The id of a layer row (network id, layer index).
  std::int64_t layer_id(std::int64_t network, std::size_t index);

  // Sweeps (store/sweep_rows.cpp). The sweep whose spec has this hash, if
  // the file holds one.
  std::optional<std::int64_t> find_sweep(const std::string& spec_hash);
  // Records a new sweep, or returns the id of the one with this hash another
  // process recorded meanwhile.
  std::int64_t begin_sweep(const std::string& spec_hash, const std::string& spec_json,
                           std::size_t points, const std::string& command);
  // The ids of the points of a sweep already written.
  std::vector<std::string> finished_points(std::int64_t sweep);
  // Writes a point, its SoC and its rows in one transaction: a reader sees
  // all of it or nothing.
  void put_sweep_point(std::int64_t sweep, const SweepPointRow& row, const hw::Soc& soc);
  // The points of a sweep, in point order.
  std::vector<SweepPointRow> read_sweep(std::int64_t sweep);
  // The most recent sweep, if any.
  std::optional<std::int64_t> latest_sweep();

 private:
  struct Stream;
  // The steps (one row per part) and the tensors of a stored schedule.
  void put_steps(std::int64_t schedule, const hw::Soc& soc, const NetworkSchedule& s,
                 const std::vector<std::int64_t>& layer_ids);
  void load_steps(std::int64_t schedule, NetworkSchedule& s);
  // Creates the schema in a new file or upgrades an older one.
  void open_schema();
  // The tables of a new file (inside a write transaction).
  void create_tables();
  // Deletes the incomplete runs whose owner process is gone.
  void remove_dead_runs();
  // The rows of a run, deleted (inside a write transaction).
  void delete_run_rows(std::int64_t run);
  // The id of the SoC's row, inserted when new (inside a write transaction).
  std::int64_t soc_row(const hw::Soc& soc);
  // Runs `body` as one write transaction (store/sqlite_support.hpp).
  void write(std::string_view what, const std::function<void()>& body);
  // Stops the candidate writer thread, if any.
  void stop_stream();
  // The sweep tables (schema 4; added to a schema-3 file on open).
  void create_sweep_tables();
  std::string path_;
  std::unique_ptr<SQLite::Database> db_;
  std::unique_ptr<Stream> stream_;
};

}  // namespace tessel::store
