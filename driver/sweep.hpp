#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/graph.hpp"
#include "driver/sweep_spec.hpp"
#include "mappers/network_mapper.hpp"
#include "store/database.hpp"

// Running sweeps (docs/sweep.md): every point of a spec explored on every
// network, rows written to the results database one point per transaction.
// The local runner (`tessel sweep`, tessel.sweep() without a client) and the
// Dask workers (tessel.sweep(client=...)) share SweepPlan and SweepStore.
namespace tessel::driver {

// A spec ready to run: its points, its networks and the layer results shared
// across points (mappers::LayerCache keyed by what a layer's search reads of
// the SoC, Soc::unit_context_hash). Thread-safe: points run concurrently.
class SweepPlan {
 public:
  // Contract: expands and checks the spec (sweep_points) and loads its
  // networks; throws before any work on a bad spec. `reuse` = false gives
  // each point its own layer cache (for measuring what reuse saves).
  explicit SweepPlan(SweepSpec spec, bool reuse = true);

  const SweepSpec& spec() const { return spec_; }
  const std::string& hash() const { return hash_; }
  const std::vector<SweepPoint>& points() const { return points_; }
  const std::vector<Graph>& graphs() const { return graphs_; }

  // Contract: explores every network at point `index` and returns its row;
  // a network that fits no mapping at the point gives an infeasible row with
  // the reason (the sweep goes on). Other errors propagate.
  store::SweepPointRow run(std::size_t index) const;

  // Layer-unit searches run and answered from the shared cache so far.
  std::size_t searches_run() const { return searches_run_.load(); }
  std::size_t cache_hits() const { return cache_hits_.load(); }

 private:
  SweepSpec spec_;
  std::string hash_;
  std::vector<SweepPoint> points_;
  std::vector<Graph> graphs_;
  bool reuse_ = true;
  mutable mappers::LayerCache cache_;
  mutable std::atomic<std::size_t> searches_run_{0}, cache_hits_{0};
};

// The sweep's rows in the database: created on first use, found again by
// the spec's hash. One writer at a time (callers serialise put()).
class SweepStore {
 public:
  // Contract: opens `db` and finds or starts the plan's sweep. A sweep of the
  // same spec already in the file continues only with `resume`; without it
  // ConfigError says so (the file is left as it was).
  SweepStore(const std::string& db, const SweepPlan& plan, bool resume, const std::string& command);

  std::int64_t sweep_id() const { return id_; }
  // The indices of the plan's points not written yet, in order.
  std::vector<std::size_t> pending() const;
  // Writes one point (one transaction). Throws StoreError naming the file.
  void put(const store::SweepPointRow& row);
  // Every written point, in point order.
  std::vector<store::SweepPointRow> rows();

 private:
  const SweepPlan& plan_;
  std::unique_ptr<store::Database> db_;
  std::int64_t id_ = 0;
  std::vector<bool> done_;
};

struct SweepOptions {
  std::string db = "tessel.sqlite";
  bool resume = false;
  std::string command;
  // Called after each point is written, with the points written and the
  // total (for a progress bar); from worker threads, one call at a time.
  std::function<void(std::size_t done, std::size_t total)> progress;
};

struct SweepOutcome {
  std::int64_t sweep_id = 0;
  std::size_t points = 0;   // in the spec
  std::size_t skipped = 0;  // already written before (resume)
  double wall_seconds = 0;
  std::vector<store::SweepPointRow> rows;  // every point, in point order
};

// Contract: runs the plan's pending points in parallel (TBB; the caller sets
// the thread limit) and writes each as it finishes. Killed at any moment,
// the file holds whole points only; run again with resume, it runs only the
// points not written.
SweepOutcome run_sweep(const SweepPlan& plan, const SweepOptions& options);

// A point's row as JSON text and back (what Dask workers return).
std::string point_row_to_json(const store::SweepPointRow& row);
store::SweepPointRow point_row_from_json(const std::string& text);

}  // namespace tessel::driver
