#pragma once

// The history of signals (SPEC §12) in SQLite, kept so that recording one costs a ping
// no page written at random.
//
// `pings` is a log in rowid order: each entry is appended after the last, and names the
// entry before it of the same monitor (`prev`); the monitor's row names its newest
// (`pings_head`). An index by monitor would put every entry at a random page of a B-tree
// ordered by slug, one more page written per ping than the monitor's own row (the layout
// of schema v5, which cost a quarter of the pings a second); the log's last page is the
// same for the whole batch. Reading a monitor's history walks its chain from the head:
// at most PINGS_KEPT lookups by rowid.
//
// What is past the last PINGS_KEPT of its monitor is removed from the old end of the log
// (`Sweep`), a few rows after each append, once the log is longer than twice what it must
// keep: in rowid order, so the pages freed are neighbours too. An entry still kept that
// the sweep reaches (a monitor pinged rarely) moves to the end with the rest of its chain,
// in a new generation (`gen`, the monitor's `pings_gen`); the old copies are then past
// keeping. A monitor that starts afresh or is deleted leaves its entries to the sweep the
// same way (its generation moves on, or its row is gone).
//
// Writes run on the writer thread (one PingLog per store); reads on any connection.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/signal.h"
#include "store/sqlite/db.h"

namespace heartbeat::sqlite {

// Where an appended entry joins its monitor's chain: after `prev` (none: the first), in
// generation `gen`.
struct PingChain {
  std::optional<std::int64_t> prev;
  std::int64_t gen = 0;
};

// The SQL the fast path's UPDATE uses to take the next rowid of the log as the monitor's
// new head (with `pings_prev = pings_head` before it): the entry it then appends.
#define HEARTBEAT_PINGS_NEXT_ID "(coalesce((SELECT max(rowid) FROM pings), 0) + 1)"

class PingLog {
 public:
  // `min_window`: the log is swept only past this many entries (and past twice what it
  // must keep), so that a small store does not move its rare monitors' entries around.
  explicit PingLog(std::int64_t min_window = kDefaultMinWindow) : min_window_(min_window) {}
  static constexpr std::int64_t kDefaultMinWindow = 1024;

  // Appends entry `r` of `slug` at rowid `id`, after `chain.prev` in `chain.gen`: the
  // fast path, whose UPDATE already made `id` the head. Then sweeps a little.
  Status AppendAt(Connection& db, std::string_view slug, const PingRecord& r, std::int64_t id,
                  const PingChain& chain, std::int64_t kept);
  // Appends entry `r` of `slug` after its head and makes it the head (the row must exist).
  Status Append(Connection& db, std::string_view slug, const PingRecord& r, std::int64_t kept);
  // The monitor's history is forgotten: no head, a new generation (its row, if any, stays).
  static Status Forget(Connection& db, std::string_view slug);

  // Up to `limit` of the newest entries of a live monitor, newest first, without bodies;
  // none when there is no such monitor.
  static Result<std::optional<std::vector<PingRecord>>> Newest(Connection& db,
                                                               std::string_view slug,
                                                               std::size_t limit, UnixMillis now,
                                                               std::int64_t kept);
  // The body of entry `n` of a live monitor; none when there is no such monitor, entry
  // (among the kept) or body.
  static Result<std::optional<std::string>> Body(Connection& db, std::string_view slug,
                                                 std::int64_t n, UnixMillis now, std::int64_t kept);

 private:
  // Removes or moves up to a few entries from the old end of the log, if it is long.
  Status Sweep(Connection& db, std::int64_t newest, std::int64_t kept);
  Result<std::int64_t> Monitors(Connection& db);

  std::int64_t min_window_;
  std::int64_t monitors_ = -1;  // cached count, for the window
  std::chrono::steady_clock::time_point counted_at_{};
};

}  // namespace heartbeat::sqlite
