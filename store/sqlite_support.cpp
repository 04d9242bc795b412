#include "store/sqlite_support.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <sqlite3.h>

namespace tessel::store {

namespace {

// Whether an exception means another connection holds a lock we need.
bool is_busy(const SQLite::Exception& e) {
  const int code = e.getErrorCode() & 0xff;
  return code == SQLITE_BUSY || code == SQLITE_LOCKED;
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "?";
  return name;
}

// Field 22 of /proc/PID/stat (the start time in clock ticks since boot), or
// "" when the process does not exist.
std::string start_time(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!in || !std::getline(in, stat)) return "";
  const auto close = stat.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return "";
  std::istringstream fields(stat.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) return field;
  }
  return "";
}

}  // namespace

double lock_timeout_seconds() {
  if (const char* env = std::getenv("TESSEL_LOCK_TIMEOUT")) {
    char* end = nullptr;
    const double v = std::strtod(env, &end);
    if (end != env && *end == '\0' && v >= 0) return v;
  }
  return 120;
}

void retry_while_busy(const std::string& path, std::string_view what,
                      const std::function<void()>& body) {
  using clock = std::chrono::steady_clock;
  const double timeout = lock_timeout_seconds();
  const auto deadline = clock::now() + std::chrono::duration_cast<clock::duration>(
                                           std::chrono::duration<double>(timeout));
  std::minstd_rand jitter(static_cast<unsigned>(::getpid()));
  auto backoff = std::chrono::milliseconds(5);
  for (;;) {
    try {
      body();
      return;
    } catch (const SQLite::Exception& e) {
      if (!is_busy(e)) throw StoreError(fmt::format("database '{}': {}: {}", path, what, e.what()));
      if (clock::now() >= deadline)
        throw StoreError(fmt::format(
            "database '{}': {}: another process has held the file's write lock for more than "
            "{:g} s (set TESSEL_LOCK_TIMEOUT to wait longer)",
            path, what, timeout));
    }
    // Sleep a random time up to the backoff, which doubles up to 1 s.
    std::this_thread::sleep_for(std::chrono::milliseconds(
        1 + static_cast<long>(jitter() % static_cast<unsigned>(backoff.count()))));
    backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
  }
}

void write_transaction(SQLite::Database& db, const std::string& path, std::string_view what,
                       const std::function<void()>& body) {
  retry_while_busy(path, what, [&] {
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    body();
    tx.commit();
  });
}

std::string this_process_owner() {
  const long pid = ::getpid();
  const auto start = start_time(pid);  // "-" without /proc: the pid alone decides
  return fmt::format("{} {} {}", host_name(), pid, start.empty() ? "-" : start);
}

bool owner_alive(std::string_view owner) {
  std::istringstream in{std::string(owner)};
  std::string host, start;
  long pid = 0;
  if (!(in >> host >> pid >> start) || pid <= 0) return false;
  if (host != host_name()) return true;
  if (start == "-") return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
  return start_time(pid) == start;
}

}  // namespace tessel::store
