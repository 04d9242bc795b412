#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

// tessel's one parallel loop (the layer searches, the chunks of one search,
// the points of a sweep): body(i) for every i in [0, n), one index per task.
//
// It runs on TBB, except under ThreadSanitizer: Debian's libtbb is not
// instrumented, so TSan cannot see the order TBB's scheduler puts between a
// task's creation and its run and reports every value handed to a task
// (about 2,400 reports on the search and sweep suites). There the loop runs
// on std::threads pulling indices from an atomic counter, as many as TBB
// would use: TSan then checks tessel's own sharing of data between the
// bodies and with the caller (TBB itself is left unchecked).
#if defined(__SANITIZE_THREAD__)
#define TESSEL_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TESSEL_TSAN 1
#endif
#endif

namespace tessel {

namespace detail {

// The std::thread form of parallel_for_index (ThreadSanitizer builds).
template <class Body>
void parallel_for_threads(std::size_t n, Body& body) {
  const auto workers = std::min<std::size_t>(
      n, static_cast<std::size_t>(std::max(1, tbb::this_task_arena::max_concurrency())));
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_lock;
  auto work = [&] {
    try {
      for (std::size_t i = next++; i < n; i = next++)
        body(i);
    } catch (...) {
      const std::lock_guard lock(failure_lock);
      if (!failure) failure = std::current_exception();
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t t = 1; t < workers; ++t)
    threads.emplace_back(work);
  work();
  for (auto& t : threads)
    t.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace detail

// Calls body(i) for every i in [0, n), in parallel; returns when all are done
// and rethrows the first exception a body threw.
template <class Body>
void parallel_for_index(std::size_t n, Body&& body) {
#ifdef TESSEL_TSAN
  detail::parallel_for_threads(n, body);
#else
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, 1), [&](const auto& range) {
    for (std::size_t i = range.begin(); i != range.end(); ++i)
      body(i);
  });
#endif
}

}  // namespace tessel
