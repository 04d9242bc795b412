// The background writer of `--store all` candidates (Database::begin_candidate_stream).

#include <exception>
#include <thread>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>

#include "store/candidate_stream.hpp"
#include "store/mapping_columns.hpp"
#include "store/sqlite_support.hpp"

namespace tessel::store {

void Database::begin_candidate_stream(std::int64_t run, const hw::Soc& soc) {
  if (!stream_) {
    stream_ = std::make_unique<Stream>();
    stream_->writer = std::thread([this] {
      auto& s = *stream_;
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
        std::exception_ptr failed;
        try {
          write("cannot store candidates", [&] {
            SQLite::Statement cs(*db_, "INSERT INTO candidates VALUES (NULL," +
                                           placeholders(3 + kMappingColumnCount) + ")");
            for (const auto& row : batch) {
              cs.bind(1, static_cast<std::int64_t>(run_id));
              cs.bind(2, static_cast<std::int64_t>(row.layer));
              cs.bind(3, "evaluated");
              bind_mapping(cs, 4, *soc_spec, row.mapping, row.cost);
              cs.exec();
              cs.reset();
            }
          });
        } catch (...) {
          failed = std::current_exception();
        }
        lock.lock();
        if (failed) {  // the run cannot be stored whole: drop the rest
          s.error = failed;
          s.queue.clear();
        }
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
  s.changed.wait(lock, [&] { return s.error || s.queue.size() < Stream::kMaxQueue; });
  s.check();
  s.queue.push_back({layer_id, m, c});
  s.changed.notify_all();
}

void Database::flush_candidates() {
  if (!stream_) return;
  std::unique_lock lock(stream_->mutex);
  stream_->changed.wait(lock, [&] { return stream_->queue.empty() && !stream_->busy; });
  stream_->check();
}

void Database::stop_stream() {
  if (!stream_) return;
  {
    std::lock_guard lock(stream_->mutex);
    stream_->queue.clear();  // a run that did not end: its candidates go anyway
    stream_->stop = true;
  }
  stream_->changed.notify_all();
  if (stream_->writer.joinable()) stream_->writer.join();
  stream_.reset();
}

}  // namespace tessel::store
