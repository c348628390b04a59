#pragma once
// The alert engine: a pure decision step from (monitor, now) to what the checker must do.
// No I/O and no clock of its own; the checker applies a Decision to the store with a
// conditional write, in the same transaction as the notification it queues.
//
// Lifecycle (SPEC §5, §12): ok -> (alert_at passes, fail, or a run outlives max_runtime)
// -> overdue: first alert (OVERDUE, FAILED after fail, RUN TIMED OUT) -> STILL OVERDUE every repeat
// period while overdue -> a ping arrives -> RECOVERED, alert state cleared -> ok. A paused monitor
// alerts nothing, and pausing clears the alert state, so no recovery follows a pause.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/monitor.h"

namespace heartbeat {

enum class AlertKind { kOverdue, kFailed, kRepeat, kRecovered, kTimedOut };

// "overdue", "failed", "repeat", "recovered", "timed_out"
std::string_view ToString(AlertKind kind);
std::optional<AlertKind> AlertKindFromString(std::string_view text);

// A notification to send, with everything its message needs (the monitor may change or
// go before it is delivered).
struct Alert {
  AlertKind kind = AlertKind::kOverdue;
  std::string slug;
  std::string uuid = {};  // the monitor's (Telegram's buttons name it)
  std::int64_t interval_secs = 0;
  std::optional<UnixMillis> last_ping;
  UnixMillis deadline = 0;    // next_due; the failure time for kFailed; the run's for kTimedOut
  UnixMillis at = 0;          // when the checker decided
  UnixMillis down_since = 0;  // when the outage began: the missed deadline or the failure
  // kFailed: the exit code the job reported, and the tail of the body it sent.
  std::optional<int> exit_code = std::nullopt;
  std::string body_tail = {};
  // kTimedOut: when the run started, and its limit.
  std::optional<UnixMillis> run_started_at = std::nullopt;
  std::optional<std::int64_t> max_runtime_secs = std::nullopt;
  // Where it goes: a channel's key (core/channel.h), one outbox entry per channel.
  std::string channel = {};

  friend bool operator==(const Alert&, const Alert&) = default;
};

struct Decision {
  Alert alert;
  AlertState expected;  // the state decided on: the write must find exactly this
  AlertState next;      // the state to write
};

// What to do for `m` at `now`, or nothing. `repeat_ms` > 0: ALERT_REPEAT_INTERVAL, for a
// monitor without a repeat of its own. The policies (SPEC §14): the first alert waits for
// down_after misses (FirstAlertDueAt); a repeat waits for the monitor's period, and never
// comes when it is `never` or the outage was acknowledged; a snooze holds a first alert
// and repeats until it ends, never a recovery.
std::optional<Decision> Decide(const Monitor& m, UnixMillis now, std::int64_t repeat_ms);

// The repeat period of `m` in milliseconds (its own, else `repeat_ms`), or none: never
// (repeat `never`, or acknowledged).
std::optional<std::int64_t> RepeatMillis(const Monitor& m, std::int64_t repeat_ms);

// When a monitor that has not alerted needs its first alert decided: at a reported failure
// that makes down_after consecutive ones, else once the alert_at of its down_after-th
// missed deadline passes (counting a failure's misses, then the deadlines after it), or
// the running run's limit does, whichever is first.
UnixMillis FirstAlertDueAt(const Monitor& m);

// When the checker must next look at `m` (it is due once now >= the result), or nullopt
// when never (paused). A monitor that needs an action now returns a time <= now.
std::optional<UnixMillis> NextCheckAt(const Monitor& m, std::int64_t repeat_ms);

}  // namespace heartbeat
