#include "core/alert.h"

#include <algorithm>

#include "core/lifecycle.h"

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
              .uuid = m.uuid,
              .interval_secs = m.interval_secs,
              .last_ping = m.last_ping,
              .deadline = m.next_due,
              .at = now,
              .down_since = state.down_since.value_or(state.first_alerted_at.value_or(now))};

  if (!state.active()) {
    if (!overdue || now < FirstAlertDueAt(m) || m.snoozed(now)) return std::nullopt;
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
  const std::optional<std::int64_t> repeat = RepeatMillis(m, repeat_ms);
  UnixMillis last = state.last_alerted_at.value_or(now);
  if (!repeat || now < last + *repeat || m.snoozed(now)) return std::nullopt;
  alert.kind = AlertKind::kRepeat;
  return Decision{alert, state,
                  AlertState{state.first_alerted_at, now, state.alert_count + 1, state.down_since}};
}

std::optional<std::int64_t> RepeatMillis(const Monitor& m, std::int64_t repeat_ms) {
  if (m.alert.acknowledged) return std::nullopt;
  if (!m.repeat_secs) return repeat_ms;
  if (*m.repeat_secs <= 0) return std::nullopt;
  return *m.repeat_secs * 1000;
}

UnixMillis FirstAlertDueAt(const Monitor& m) {
  const std::int64_t down_after = std::clamp<std::int64_t>(m.down_after, 1, kMaxDownAfter);
  std::int64_t misses = down_after;
  UnixMillis deadline = m.next_due;
  if (m.failed()) {
    // (A failure stored before streaks were counted is one.)
    const std::int64_t streak = std::max<std::int64_t>(m.fail_streak, 1);
    if (streak >= down_after) return *m.failed_at;
    // The failures count as misses; the rest are the deadlines after the latest one.
    misses -= streak;
    deadline = NextDue(m, *m.failed_at);
  }
  for (std::int64_t i = 1; i < misses; ++i) deadline = NextDue(m, deadline);
  UnixMillis at = deadline + m.grace_secs * 1000 + 1;  // due once now passes its alert_at
  if (std::optional<UnixMillis> run = m.run_deadline()) at = std::min(at, *run + 1);
  return at;
}

std::optional<UnixMillis> NextCheckAt(const Monitor& m, std::int64_t repeat_ms) {
  if (m.paused) return std::nullopt;
  // A snooze holds what is due before it ends, but a recovery.
  auto held = [&m](UnixMillis at) { return m.snoozed_until ? std::max(at, *m.snoozed_until) : at; };
  if (!m.alert.first_alerted_at.has_value() && m.alert.alert_count == 0) {
    return held(FirstAlertDueAt(m));
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
  const std::optional<std::int64_t> repeat = RepeatMillis(m, repeat_ms);
  if (!repeat) return std::nullopt;  // nothing until a ping (CheckAtAfterPing)
  return held(last + *repeat);
}

}  // namespace heartbeat
