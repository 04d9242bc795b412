#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
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

// The SQLite file of results (DESIGN.md, "Storage"; schema in
// docs/database.md). Opens or creates the file, creates or checks the schema,
// and turns on WAL. Writes are batched in transactions with prepared
// statements. One writer at a time; not thread-safe (the streaming sink
// serialises its own writes).
// A schedule's step order from the schedules.step_order column (JSON of
// step_order_json, core/memory_plan.hpp; schedule_rows.cpp).
StepOrder parse_order(const std::string& text, const std::vector<std::string>& levels);

class Database {
 public:
  // Throws StoreError naming the file when it cannot be opened or has a
  // schema of another version.
  explicit Database(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  const std::string& path() const { return path_; }

  // Starts a run; returns its id.
  std::int64_t begin_run(const RunInfo& info);
  // Deletes everything a run wrote (after a failure: nothing half-written).
  void discard_run(std::int64_t run);
  // Records the run's totals when it ends.
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
  // the queue to drain.
  void begin_candidate_stream(std::int64_t run, const hw::Soc& soc);
  void stream_candidate(std::int64_t layer_id, const Mapping& m, const Cost& c);
  void flush_candidates();

  // Reads a stored schedule back. Throws StoreError when it does not exist.
  NetworkSchedule load_schedule(std::int64_t schedule_id);
  // The schedule ids of a run, in the order they were written.
  std::vector<std::int64_t> schedules_of_run(std::int64_t run);
  // The id of a layer row (network id, layer index).
  std::int64_t layer_id(std::int64_t network, std::size_t index);

 private:
  struct Stream;
  // The steps (one row per part) and the tensors of a stored schedule.
  void put_steps(std::int64_t schedule, const hw::Soc& soc, const NetworkSchedule& s,
                 const std::vector<std::int64_t>& layer_ids);
  void load_steps(std::int64_t schedule, NetworkSchedule& s);
  std::string path_;
  std::unique_ptr<SQLite::Database> db_;
  std::unique_ptr<Stream> stream_;
};

}  // namespace tessel::store
