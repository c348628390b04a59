#pragma once
// How many monitors each project holds, for MAX_MONITORS_PER_PROJECT (SPEC §13), kept by the
// writer thread so that a creation costs a hash lookup, not a count: a project's count is
// read from the table the first time a creation needs it, then moved by every creation and
// removal the writer makes, and read again after a minute (another process, `heartbeat
// import` say, may have written meanwhile). Rows count, expired ones too, until removed.
// Writer thread only.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.h"
#include "store/sqlite/db.h"

namespace heartbeat::sqlite {

class ProjectCounts {
 public:
  // A monitor is about to be created under `key`: MonitorLimitReached when its project
  // holds `limit` already; else counted.
  Status Reserve(Connection& db, std::string_view key, std::int64_t limit);
  // A monitor's row was removed.
  void Release(std::string_view key);
  // Forgets every count (a transaction that counted was rolled back).
  void Clear() { counts_.clear(); }

 private:
  struct Count {
    std::int64_t n = 0;
    std::chrono::steady_clock::time_point read_at;
  };
  std::unordered_map<std::string, Count> counts_;
};

}  // namespace heartbeat::sqlite

namespace heartbeat::sqlite {

class PingLog;

// What a write on the writer thread keeps besides the database: the history's log, the
// projects' counts, and the store's settings they need.
struct WriterState {
  PingLog& log;
  ProjectCounts& counts;
  std::int64_t kept;          // PINGS_KEPT
  std::int64_t max_monitors;  // MAX_MONITORS_PER_PROJECT
};

}  // namespace heartbeat::sqlite
