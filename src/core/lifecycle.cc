#include "core/lifecycle.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/cron.h"
#include "core/interval.h"
#include "core/time_zone.h"

namespace heartbeat {
namespace {

// Parsed schedules by their text: a ping of a scheduled monitor parses nothing. Bounded: a
// full cache starts over.
std::shared_ptr<const CronSchedule> CachedSchedule(const std::string& text) {
  static std::mutex mu;
  static std::unordered_map<std::string, std::shared_ptr<const CronSchedule>> cache;
  constexpr std::size_t kMaxEntries = 10'000;
  {
    std::lock_guard lock(mu);
    if (auto it = cache.find(text); it != cache.end()) return it->second;
  }
  Result<CronSchedule> parsed = CronSchedule::Parse(text);
  if (!parsed.ok()) return nullptr;
  auto schedule = std::make_shared<const CronSchedule>(std::move(*parsed));
  std::lock_guard lock(mu);
  if (cache.size() >= kMaxEntries) cache.clear();
  cache.emplace(text, schedule);
  return schedule;
}

}  // namespace

Status ValidateSettings(const MonitorSettings& s) {
  if (s.interval_secs && s.schedule) {
    return InvalidArgument("interval and schedule: give one of them, not both");
  }
  if (s.schedule) {
    if (Result<CronSchedule> parsed = CronSchedule::Parse(*s.schedule); !parsed.ok()) {
      return parsed.error();
    }
  }
  if (s.tz) {
    if (Result<TimeZone> zone = TimeZone::Load(*s.tz); !zone.ok()) {
      return InvalidArgument("tz: " + zone.error().message);
    }
  }
  if (s.grace_secs && (*s.grace_secs < 0 || *s.grace_secs > kMaxGraceSecs)) {
    return InvalidArgument("grace: must be between 0 and 365d");
  }
  return Ok{};
}

void ApplySettings(Monitor& m, const MonitorSettings& s) {
  if (s.interval_secs) {
    m.interval_secs = *s.interval_secs;
    m.schedule = std::nullopt;
  }
  if (s.schedule) m.schedule = *s.schedule;
  if (s.tz) m.tz = *s.tz;
  if (s.grace_secs) m.grace_secs = *s.grace_secs;
}

UnixMillis NextDue(const Monitor& m, UnixMillis from) {
  if (m.schedule) {
    std::shared_ptr<const CronSchedule> schedule = CachedSchedule(*m.schedule);
    Result<TimeZone> zone = TimeZone::Load(m.tz);
    if (schedule && zone.ok()) {
      if (std::optional<UnixMillis> next = Next(*schedule, *zone, from)) return *next;
    }
  }
  return from + m.interval_secs * 1000;
}

bool IsLive(const std::optional<Monitor>& m, UnixMillis now) { return m && !m->expired(now); }

Monitor NewMonitor(std::string_view slug, std::int64_t interval_secs, UnixMillis now) {
  Monitor m;
  m.slug = std::string(slug);
  m.interval_secs = interval_secs;
  m.created_at = now;
  m.expires_at = now + kExpiryMillis;
  m.next_due = NextDue(m, now);
  m.check_at = m.alert_at() + 1;
  return m;
}

Monitor Pinged(const std::optional<Monitor>& current, std::string_view slug,
               std::optional<std::int64_t> interval_secs, UnixMillis now) {
  return Pinged(current, slug, MonitorSettings{.interval_secs = interval_secs}, now);
}

Monitor Pinged(const std::optional<Monitor>& current, std::string_view slug,
               const MonitorSettings& settings, UnixMillis now) {
  Monitor m = IsLive(current, now) ? *current : NewMonitor(slug, kDefaultIntervalSecs, now);
  ApplySettings(m, settings);
  m.last_ping = now;
  m.next_due = NextDue(m, now);
  m.expires_at = now + kExpiryMillis;
  m.failed_at = std::nullopt;
  m.check_at = CheckAtAfterPing(m);
  return m;
}

std::optional<UnixMillis> CheckAtAfterPing(const Monitor& m) {
  if (m.paused) return std::nullopt;
  if (m.alert.active() && m.last_ping) return *m.last_ping;
  return m.alert_at() + 1;
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
    m.next_due = NextDue(m, now);
    m.check_at = m.alert_at() + 1;
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
         current.grace_secs == seen.grace_secs && current.failed_at == seen.failed_at &&
         current.alert == seen.alert && current.check_at == seen.check_at;
}

Mutation SignalWrite(const std::optional<Monitor>& current, Monitor next, UnixMillis now) {
  Mutation m = Mutation::Put(std::move(next));
  m.fresh = !IsLive(current, now);
  return m;
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
  next.schedule = current->schedule;
  next.tz = current->tz;
  next.expires_at = current->expires_at;
  next.last_ping = current->last_ping;
  next.created_at = current->created_at;
  if (step.decision) return Mutation::Put(std::move(next), step.decision->alert);
  return Mutation::Put(std::move(next));
}

}  // namespace heartbeat
