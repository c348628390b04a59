#include "core/alert.h"

#include <algorithm>

namespace heartbeat {

std::string_view ToString(AlertKind kind) {
  switch (kind) {
    case AlertKind::kOverdue:
      return "overdue";
    case AlertKind::kFailed:
      return "failed";
    case AlertKind::kRepeat:
      return "repeat";
    case AlertKind::kRecovered:
      return "recovered";
    case AlertKind::kTimedOut:
      return "timed_out";
  }
  return "overdue";
}

std::optional<AlertKind> AlertKindFromString(std::string_view text) {
  for (AlertKind k : {AlertKind::kOverdue, AlertKind::kFailed, AlertKind::kRepeat,
                      AlertKind::kRecovered, AlertKind::kTimedOut}) {
    if (ToString(k) == text) return k;
  }
  return std::nullopt;
}

std::optional<Decision> Decide(const Monitor& m, UnixMillis now, std::int64_t repeat_ms) {
  if (m.paused) return std::nullopt;
  const AlertState& state = m.alert;
  const bool overdue = DeriveStatus(m, now) == MonitorStatus::kOverdue;
  Alert alert{.kind = AlertKind::kOverdue,
              .slug = m.slug,
              .interval_secs = m.interval_secs,
              .last_ping = m.last_ping,
              .deadline = m.next_due,
              .at = now,
              .down_since = state.down_since.value_or(state.first_alerted_at.value_or(now))};

  if (!state.active()) {
    if (!overdue) return std::nullopt;
    std::optional<UnixMillis> run_deadline = m.run_deadline();
    if (m.failed()) {
      alert.kind = AlertKind::kFailed;
      alert.deadline = *m.failed_at;
      alert.exit_code = m.last_exit_code;
      alert.body_tail = m.fail_tail;
    } else if (m.run_timed_out(now) && !(m.alert_at() < *run_deadline)) {
      // The run's limit came first (or alone): that is the outage.
      alert.kind = AlertKind::kTimedOut;
      alert.deadline = *run_deadline;
      alert.run_started_at = m.last_start;
      alert.max_runtime_secs = m.max_runtime_secs;
    }
    alert.down_since = alert.deadline;
    return Decision{alert, state, AlertState{now, now, 1, alert.deadline}};
  }
  // A ping since the last alert is a recovery, even when the monitor went overdue again
  // before anyone looked: the new outage then gets its own first alert next. A run that is
  // still running past its limit is not over, whatever the deadline says.
  const bool pinged_since_alert = !m.failed() && !m.run_timed_out(now) && state.last_alerted_at &&
                                  m.next_due > *state.last_alerted_at;
  if (!overdue || pinged_since_alert) {
    alert.kind = AlertKind::kRecovered;
    return Decision{alert, state, AlertState{}};
  }
  UnixMillis last = state.last_alerted_at.value_or(now);
  if (now < last + repeat_ms) return std::nullopt;
  alert.kind = AlertKind::kRepeat;
  return Decision{alert, state,
                  AlertState{state.first_alerted_at, now, state.alert_count + 1, state.down_since}};
}

UnixMillis FirstAlertDueAt(const Monitor& m) {
  if (m.failed()) return *m.failed_at;
  UnixMillis at = m.alert_at() + 1;  // due once now passes alert_at
  if (std::optional<UnixMillis> run = m.run_deadline()) at = std::min(at, *run + 1);
  return at;
}

std::optional<UnixMillis> NextCheckAt(const Monitor& m, std::int64_t repeat_ms) {
  if (m.paused) return std::nullopt;
  if (!m.alert.first_alerted_at.has_value() && m.alert.alert_count == 0) {
    return FirstAlertDueAt(m);
  }
  // Alerted: either it recovered (a ping moved next_due past the last alert), which must
  // be announced at once, or the next repeat is due.
  // A monitor is alerted only while overdue, so next_due < last alert unless a ping has
  // moved it since: then the recovery is due at once.
  UnixMillis last = m.alert.last_alerted_at.value_or(m.next_due);
  // A run past its limit at the last alert is past it still, as long as it runs.
  if (!m.failed() && !m.run_timed_out(last) && m.next_due > last) {
    return m.last_ping.value_or(last);
  }
  return last + repeat_ms;
}

}  // namespace heartbeat
