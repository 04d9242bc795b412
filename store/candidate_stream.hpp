#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "store/database.hpp"

// The state of the background writer of `--store all` candidates
// (store/candidate_stream.cpp). Internal to store/.
namespace tessel::store {

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
  std::exception_ptr error;  // the writer's failure, until the next stream
  std::thread writer;
  static constexpr std::size_t kMaxQueue = 1 << 16;
  static constexpr std::size_t kBatch = 8192;

  // Rethrows the writer's failure (the caller holds the mutex).
  void check() const {
    if (error) std::rethrow_exception(error);
  }
};

}  // namespace tessel::store
