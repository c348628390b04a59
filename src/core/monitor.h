#pragma once
// The monitor model and the rules that derive its status. Pure: no I/O, no clock.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"

namespace heartbeat {

inline constexpr std::int64_t kExpiryMillis = 90LL * 24 * 3600 * 1000;

enum class MonitorStatus { kOk, kOverdue, kPaused };

std::string_view ToString(MonitorStatus status);

// The alert fields of a monitor: written only by the checker's decisions (core/alert.h)
// and cleared by a recovery or a pause. Compared as a whole by conditional writes.
struct AlertState {
  std::optional<UnixMillis> first_alerted_at;
  std::optional<UnixMillis> last_alerted_at;
  std::int64_t alert_count = 0;
  // When the current outage began (the missed deadline, or the reported failure); set
  // with the first alert, cleared with the alert state. Messages count "down" from it.
  std::optional<UnixMillis> down_since;
  // Someone acknowledged the outage (Telegram's Acknowledge, SPEC §14): no more repeats
  // until it recovers. Cleared with the rest of the alert state.
  bool acknowledged = false;

  bool active() const { return alert_count > 0; }
  friend bool operator==(const AlertState&, const AlertState&) = default;
};

struct Monitor {
  // The key it is stored under (core/project.h): its slug in the default project,
  // "project/slug" in another.
  std::string slug;
  // Random, lowercase, fixed at creation (SPEC §13): Healthchecks' /ping/<uuid> names it.
  std::string uuid;
  // What Healthchecks' API shows and sets (SPEC §13); kept and shown, no rule reads them.
  std::string name;
  std::string tags;  // space-separated
  std::string desc;
  std::string methods;  // "" or "POST"
  // Whether a paused monitor stays paused when pinged (the seed's rule, and the default);
  // false: a success or a failure resumes it (Healthchecks' default for its checks).
  bool manual_resume = true;
  // How the next ping is expected (SPEC §12): `interval_secs` after the last one, or, with a
  // `schedule` (a cron expression, core/cron.h), at its next match in the time zone `tz`.
  // The monitor alerts `grace_secs` after that (alert_at()).
  std::int64_t interval_secs = 0;
  std::optional<std::string> schedule;
  std::string tz = "UTC";
  std::int64_t grace_secs = 0;
  // A started run that has not ended this long after its start alerts (none: no limit).
  std::optional<std::int64_t> max_runtime_secs;
  std::optional<UnixMillis> last_ping;  // last successful ping; none for a monitor made by fail
  UnixMillis next_due = 0;              // the deadline; due once now passes it
  UnixMillis created_at = 0;
  UnixMillis expires_at = 0;  // 90 days after the last ping; gone after that
  bool paused = false;
  std::optional<UnixMillis> failed_at;  // set by fail, cleared by the next ping or by pause
  // Runs (SPEC §12): the latest start; while `running`, the run it began (named `run_rid`
  // when the start carried one) has not ended.
  std::optional<UnixMillis> last_start;
  bool running = false;
  std::optional<std::string> run_rid;
  std::optional<std::int64_t> last_duration_ms;  // of the latest run that ended with its rid
  std::optional<int> last_exit_code;  // of the latest success or failure (none: not given)
  std::string fail_tail;              // the tail of the latest failure's body, for its alert
  std::int64_t pings_seq = 0;         // history entries numbered so far (PingRecord::n)
  AlertState alert;                   // owned by the checker
  // Alert policies (SPEC §14). Where alerts go: the names of channels of the monitor's
  // project; none: all of them.
  std::optional<std::vector<std::string>> channels;
  // The repeat period while down, in seconds; none: ALERT_REPEAT_INTERVAL; 0: never.
  std::optional<std::int64_t> repeat_secs;
  // How many consecutive missed deadlines or failures before the first alert (1 to 100).
  std::int64_t down_after = 1;
  // Consecutive failures reported since the last success.
  std::int64_t fail_streak = 0;
  // Until when alerts wait (a recovery never does); the state is kept meanwhile.
  std::optional<UnixMillis> snoozed_until;
  // When the checker must next look at this monitor (core/lifecycle.h keeps it with every
  // transition); none while paused. Kept by the store so that finding due monitors costs
  // time in proportion to how many are due.
  std::optional<UnixMillis> check_at;

  bool failed() const { return failed_at.has_value(); }
  // When a monitor that is not pinged goes overdue and alerts: next_due plus the grace.
  UnixMillis alert_at() const { return next_due + grace_secs * 1000; }
  // When the running run times out (max_runtime after its start); none when no run is
  // running or there is no limit.
  std::optional<UnixMillis> run_deadline() const {
    if (!running || !last_start || !max_runtime_secs) return std::nullopt;
    return *last_start + *max_runtime_secs * 1000;
  }
  // Whether the running run has outlived max_runtime at `now`.
  bool run_timed_out(UnixMillis now) const {
    std::optional<UnixMillis> deadline = run_deadline();
    return deadline && now > *deadline;
  }
  bool expired(UnixMillis now) const { return expires_at <= now; }
  bool snoozed(UnixMillis now) const { return snoozed_until && now < *snoozed_until; }
  friend bool operator==(const Monitor&, const Monitor&) = default;
};

// How many monitors are in each status (for metrics).
struct MonitorCounts {
  std::int64_t ok = 0;
  std::int64_t overdue = 0;  // includes failed
  std::int64_t failed = 0;   // overdue because the job reported failure
  std::int64_t paused = 0;
};

// paused if paused, else overdue if the job reported failure, the grace after the deadline
// has passed (now > alert_at()) or the running run has timed out, else ok.
MonitorStatus DeriveStatus(const Monitor& m, UnixMillis now);

// Late (SPEC §12): the expected ping has not come (now > next_due), but the grace has not
// run out yet, so the monitor is still ok; never while paused or failed.
bool IsLate(const Monitor& m, UnixMillis now);

}  // namespace heartbeat
