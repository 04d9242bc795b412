#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include "core/errors.hpp"

// What the results database needs from SQLite beyond SQLiteCpp: write
// transactions that wait for other writers, errors that name the file, and
// the identity of the process that owns a run (docs/reliability.md).
// Internal to store/.
namespace tessel::store {

// How long one statement waits for a lock another connection holds before
// SQLite gives up (sqlite3_busy_timeout).
inline constexpr int kBusyTimeoutMs = 2000;

// How long a write transaction keeps retrying while other writers hold the
// file: TESSEL_LOCK_TIMEOUT (seconds) when set, else 120 s.
double lock_timeout_seconds();

// Runs `body`; when another connection holds a lock it needs (SQLITE_BUSY or
// SQLITE_LOCKED), retries it with exponential backoff (and jitter) until
// lock_timeout_seconds() have passed, then throws StoreError naming the file.
// Other SQLite errors become StoreError at once.
void retry_while_busy(const std::string& path, std::string_view what,
                      const std::function<void()>& body);

// Runs `body` inside BEGIN IMMEDIATE ... COMMIT, retried as above (rolled
// back first). `body` must not open a transaction itself.
void write_transaction(SQLite::Database& db, const std::string& path, std::string_view what,
                       const std::function<void()>& body);

// Runs `f`, turning a SQLite or other library exception into a StoreError
// that names the file and what was being done. tessel errors pass through.
template <class F>
auto translated(const std::string& path, std::string_view what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw StoreError(fmt::format("database '{}': {}: {}", path, what, e.what()));
  }
}

// This process as the owner of a run: "host pid start-time" (start time in
// clock ticks since boot, from /proc; it tells a live process from a later
// one that reuses the pid).
std::string this_process_owner();
// Whether the process an owner string names may still be running: false when
// it ran on this host and is gone, or the string is empty or malformed (a run
// of a tessel before schema 6); an owner on another host counts as alive
// (its run is left alone).
bool owner_alive(std::string_view owner);

}  // namespace tessel::store
