#pragma once
// How a monitor lives in a DynamoDB item: the seed's attributes (SPEC §6), so that items
// the Rust version wrote read correctly and ours read in it, plus a few of our own.
//
// Seed attributes (times in Unix seconds, as the seed and DynamoDB's TTL want them):
//   slug S, interval_secs N, last_ping N, next_due N, check_partition S, first_alerted_at N,
//   last_alerted_at N, alert_count N, created_at N, paused BOOL, expires_at N (TTL).
// Ours (the Rust version ignores them):
//   <time>_frac_ms N  the milliseconds (0-999) of each seed time above, since time is kept
//                     to the millisecond inside; absent means 0 (an item of the seed)
//   failed_at N, down_since N, check_at N   Unix milliseconds (check_at NULL: never;
//                     absent: as after a ping, which removes it)
//   rev N             bumped by every write of ours: read-modify-writes are conditional on it
//   outbox M          alerts waiting for delivery, by id: {"7": {kind, ...}}
//   outbox_seq N      the last outbox id used
//   schedule S, tz S (absent: UTC), grace_secs N (absent: 0), max_runtime_secs N
//   last_start N (ms), running BOOL (absent: false), run_rid S, last_duration_ms N,
//   last_exit_code N, fail_tail S, pings_seq N (the last history number used)
//   uuid S (the GSI uuid-index's hash key; seed items get one at their first write or at
//   `store init`), name S, tags S, desc S, methods S (each absent when empty),
//   manual_resume BOOL (absent: true)
//   channels L of S (absent: all of the project's), repeat_secs N (absent: the default; 0:
//   never), down_after N (absent: 1), fail_streak N (absent: 0), snoozed_until N (ms),
//   acknowledged BOOL (absent: false)
// An outbox entry names its channel (channel S, a channel key; absent: "telegram", the
// environment's, for entries queued before channels) and its monitor's uuid (uuid S).
// A monitor of a project other than the default lives under slug "project/slug"
// (core/project.h's MonitorKey).
//
// The history (SPEC §12) is in its own table (PINGS_TABLE; dynamo_history.cc): hash key
// slug S, range key sk S: "p#<n, 20 digits>" for a signal, "f#<Unix ms, 20 digits>" for a
// status change; expires_at N (Unix seconds, TTL) 90 days after the entry.
//
// check_partition places the item in the GSI overdue-check-index (check_partition,
// next_due), which is how the checker finds work without scanning:
//   "CHECK" (or "CHECK#i" of N)  a monitor that is neither alerting nor paused: due once
//                                next_due passes, so the checker queries next_due <= now;
//   "ALERTING"                   an alert is active or alerts wait in the outbox, or a
//                                run is under way with a max_runtime (its deadline comes
//                                before next_due, so a query by next_due would miss it):
//                                the checker reads this whole partition (recoveries,
//                                repeats, deliveries, run limits), whose size is what is
//                                going wrong or running with a limit right now;
//   "PAUSED"                     never looked at by the checker.
// A ping keeps the partition (if_not_exists); every read-modify-write puts the item where
// its new state belongs.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "aws/dynamodb.h"
#include "core/alert.h"
#include "core/monitor.h"
#include "core/result.h"

namespace heartbeat::dynamo {

inline constexpr char kAlertingPartition[] = "ALERTING";
inline constexpr char kPausedPartition[] = "PAUSED";
inline constexpr char kCheckIndex[] = "overdue-check-index";
// The GSI that finds a monitor by its uuid (hash key uuid S, KEYS_ONLY): Healthchecks'
// /ping/<uuid>.
inline constexpr char kUuidIndex[] = "uuid-index";

// An alert in a monitor's outbox.
struct OutboxEntry {
  std::int64_t id = 0;
  Alert alert;
  std::int64_t attempts = 0;
  UnixMillis next_attempt_at = 0;
  std::optional<std::string> lease_owner;
  std::optional<UnixMillis> lease_until;
  bool rejected = false;
  std::string last_error;
};

// A monitor item, parsed.
struct MonitorRecord {
  Monitor monitor;  // check_at as the checker must see it (see DerivedCheckAt)
  std::int64_t rev = 0;
  std::int64_t outbox_seq = 0;
  std::vector<OutboxEntry> outbox;  // by id
  std::string partition;
  aws::Item raw;  // the item as read: attributes we do not know are written back as they were

  // The oldest pending (not rejected) alert of each channel, by id: each channel's queue
  // goes out in order, independently of the others.
  std::vector<const OutboxEntry*> Heads() const;
  std::vector<OutboxEntry*> Heads();
  std::int64_t PendingCount() const;
};

// The GSI partition of a monitor that is neither alerting nor paused: "CHECK" when there is
// one partition, else "CHECK#<FNV-1a(slug) mod n>".
std::string HomePartition(const std::string& slug, int partitions);
// Every home partition value the checker must query: "CHECK#0".."CHECK#n-1" and, when n > 1,
// also "CHECK" (items of the seed, or written before the partitions were spread).
std::vector<std::string> HomePartitions(int partitions);

// Where the record belongs now (see the header comment).
std::string PartitionFor(const MonitorRecord& r, const std::string& home);

// Parses a monitor item; an error when a seed attribute is missing or malformed.
Result<MonitorRecord> ParseMonitorItem(const aws::Item& item);

// The item for `r`: r.raw with every attribute of ours and of the seed set from r (absent
// optional values removed), rev = r.rev + 1, and check_partition = PartitionFor(r, home).
aws::Item ToItem(const MonitorRecord& r, const std::string& home);

// Typed reads of an attribute: none (false) when it is absent or of another type.
std::optional<std::int64_t> GetInt(const aws::Item& item, const std::string& name);
std::optional<std::string> GetString(const aws::Item& item, const std::string& name);
bool GetBool(const aws::Item& item, const std::string& name);
// Sets a number attribute, or removes it for none.
void SetInt(aws::Item& item, const std::string& name, std::optional<std::int64_t> v);

// Unix ms <-> the seed's seconds plus our milliseconds part.
void SetTime(aws::Item& item, const std::string& name, std::optional<UnixMillis> ms);
std::optional<UnixMillis> GetTime(const aws::Item& item, const std::string& name);

}  // namespace heartbeat::dynamo
