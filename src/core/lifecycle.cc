#include "core/lifecycle.h"

#include <algorithm>

#include "core/interval.h"

namespace heartbeat {

bool IsLive(const std::optional<Monitor>& m, UnixMillis now) { return m && !m->expired(now); }

Monitor NewMonitor(std::string_view slug, std::int64_t interval_secs, UnixMillis now) {
  Monitor m;
  m.slug = std::string(slug);
  m.interval_secs = interval_secs;
  m.created_at = now;
  m.expires_at = now + kExpiryMillis;
  m.next_due = now + interval_secs * 1000;
  m.check_at = m.next_due + 1;
  return m;
}

Monitor Pinged(const std::optional<Monitor>& current, std::string_view slug,
               std::optional<std::int64_t> interval_secs, UnixMillis now) {
  Monitor m = IsLive(current, now)
                  ? *current
                  : NewMonitor(slug, interval_secs.value_or(kDefaultIntervalSecs), now);
  if (interval_secs) m.interval_secs = *interval_secs;
  m.last_ping = now;
  m.next_due = now + m.interval_secs * 1000;
  m.expires_at = now + kExpiryMillis;
  m.failed_at = std::nullopt;
  if (m.paused) {
    m.check_at = std::nullopt;
  } else if (m.alert.active()) {
    m.check_at = now;  // the recovery is due
  } else {
    m.check_at = m.next_due + 1;  // due once now passes next_due
  }
  return m;
}

Monitor Failed(const std::optional<Monitor>& current, std::string_view slug, UnixMillis now) {
  Monitor m = IsLive(current, now) ? *current : NewMonitor(slug, kDefaultIntervalSecs, now);
  m.next_due = std::min(m.next_due, now);
  m.expires_at = std::max(m.expires_at, now + kExpiryMillis);
  if (!m.failed_at) m.failed_at = now;
  if (m.paused) {
    m.check_at = std::nullopt;
  } else if (!m.alert.active()) {
    m.check_at = now;
  }
  return m;
}

std::optional<Monitor> Paused(const std::optional<Monitor>& current, UnixMillis now) {
  if (!IsLive(current, now)) return std::nullopt;
  Monitor m = *current;
  m.paused = true;
  m.failed_at = std::nullopt;
  m.alert = AlertState{};
  m.check_at = std::nullopt;
  return m;
}

std::optional<Monitor> Unpaused(const std::optional<Monitor>& current, UnixMillis now) {
  if (!IsLive(current, now)) return std::nullopt;
  Monitor m = *current;
  if (!m.paused) return m;
  m.paused = false;
  if (m.failed_at) {
    m.next_due = now;
    m.check_at = now;
  } else {
    m.next_due = now + m.interval_secs * 1000;
    m.check_at = m.next_due + 1;
  }
  return m;
}

CheckStep Check(const Monitor& seen, UnixMillis now, std::int64_t repeat_ms) {
  CheckStep step;
  if (seen.expired(now)) {
    step.remove = true;
    return step;
  }
  step.decision = Decide(seen, now, repeat_ms);
  step.next = seen;
  if (step.decision) step.next.alert = step.decision->next;
  step.next.check_at = NextCheckAt(step.next, repeat_ms);
  if (!step.decision && step.next.check_at && *step.next.check_at <= now) {
    step.next.check_at = now + 1;
  }
  return step;
}

bool SameForCheck(const Monitor& current, const Monitor& seen) {
  return !current.paused && current.next_due == seen.next_due &&
         current.failed_at == seen.failed_at && current.alert == seen.alert &&
         current.check_at == seen.check_at;
}

Result<Mutation> ApplyCheck(const std::optional<Monitor>& current, const Monitor& seen,
                            const CheckStep& step, UnixMillis now) {
  if (step.remove) {
    // Gone for every reader already; removed so that it stops being due, unless a ping
    // has just revived it.
    if (current && !IsLive(current, now)) return Mutation::Delete();
    return Mutation::Keep();
  }
  if (!IsLive(current, now) || !SameForCheck(*current, seen)) {
    return Conflict("monitor " + seen.slug + " changed meanwhile");
  }
  Monitor next = step.next;
  // Fields a check does not decide on (the interval, expiry) are kept as they are now.
  next.interval_secs = current->interval_secs;
  next.expires_at = current->expires_at;
  next.last_ping = current->last_ping;
  next.created_at = current->created_at;
  if (step.decision) return Mutation::Put(std::move(next), step.decision->alert);
  return Mutation::Put(std::move(next));
}

}  // namespace heartbeat
