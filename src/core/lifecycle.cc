#include "core/lifecycle.h"

#include <algorithm>
#include <charconv>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <unordered_map>

#include "core/cron.h"
#include "core/interval.h"
#include "core/project.h"
#include "core/time_zone.h"
#include "core/utf8.h"

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

// After a change of state at `now`: never while paused; at once when an alert is active
// (the change may be its recovery; the checker decides); else when the first alert is due.
std::optional<UnixMillis> CheckAtAfterChange(const Monitor& m, UnixMillis now) {
  if (m.paused) return std::nullopt;
  if (m.alert.active()) return now;
  return FirstAlertDueAt(m);
}

// `m` with the settings of `s` applied; when they move the expected ping (or the monitor
// is new: `live` false), its deadline counts again from the last ping (or the creation). A
// reported failure keeps its deadline.
void Reconfigure(Monitor& m, const MonitorSettings& s, bool live) {
  const Monitor before = m;
  ApplySettings(m, s);
  const bool timing_changed = !live || m.interval_secs != before.interval_secs ||
                              m.schedule != before.schedule || m.tz != before.tz;
  if (timing_changed && !m.failed()) m.next_due = NextDue(m, m.last_ping.value_or(m.created_at));
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
  if (s.max_runtime_secs && *s.max_runtime_secs != 0 &&
      (*s.max_runtime_secs < kMinRuntimeSecs || *s.max_runtime_secs > kMaxRuntimeSecs)) {
    return InvalidArgument("max_runtime: must be between 30s and 365d (or 0 for no limit)");
  }
  for (auto [field, value, most] :
       {std::tuple{"name", &s.name, 100}, {"tags", &s.tags, 500}, {"desc", &s.desc, 10'000}}) {
    if (*value && (*value)->size() > static_cast<std::size_t>(most)) {
      return InvalidArgument(std::string(field) + ": at most " + std::to_string(most) +
                             " characters");
    }
  }
  if (s.down_after && (*s.down_after < 1 || *s.down_after > kMaxDownAfter)) {
    return InvalidArgument("down_after: must be between 1 and " + std::to_string(kMaxDownAfter));
  }
  if (s.repeat_secs && *s.repeat_secs != 0 &&
      (*s.repeat_secs < kMinRepeatSecs || *s.repeat_secs > kMaxRuntimeSecs)) {
    return InvalidArgument("repeat: must be between 30s and 365d, or never");
  }
  if (s.channels) {
    for (const std::string& name : *s.channels) {
      if (!IsChannelName(name)) {
        return InvalidArgument("channels: \"" + ValidUtf8(name.substr(0, 80)) +
                               "\" is not a channel name (1 to 64 of a-z, 0-9, '-')");
      }
    }
  }
  if (s.methods && !s.methods->empty() && *s.methods != "POST") {
    return InvalidArgument("methods: must be \"\" or \"POST\"");
  }
  if (s.uuid && !IsUuid(*s.uuid)) return InvalidArgument("uuid: not a lowercase UUID");
  return Ok{};
}

Result<MonitorSettings> ParseSettings(const SettingsText& text) {
  MonitorSettings s;
  if (text.interval) {
    Result<std::int64_t> parsed = ParseInterval(*text.interval);  // names the interval
    if (!parsed.ok()) return parsed.error();
    s.interval_secs = *parsed;
  }
  s.schedule = text.schedule;
  s.clear_schedule = text.clear_schedule;
  s.tz = text.tz;
  for (auto [field, given, out] :
       {std::tuple{"grace", &text.grace, &s.grace_secs},
        std::tuple{"max_runtime", &text.max_runtime, &s.max_runtime_secs}}) {
    if (!*given) continue;
    Result<std::int64_t> parsed = ParseDuration(**given);
    if (!parsed.ok()) return InvalidArgument(std::string(field) + ": " + parsed.error().message);
    *out = *parsed;
  }
  if (text.repeat) {
    if (*text.repeat == "never") {
      s.repeat_secs = 0;
    } else {
      Result<std::int64_t> parsed = ParseDuration(*text.repeat);
      if (!parsed.ok()) return InvalidArgument("repeat: " + parsed.error().message);
      s.repeat_secs = *parsed;
    }
  }
  if (text.down_after) {
    std::int64_t n = 0;
    const std::string& d = *text.down_after;
    auto [end, ec] = std::from_chars(d.data(), d.data() + d.size(), n);
    if (d.empty() || ec != std::errc{} || end != d.data() + d.size()) {
      return InvalidArgument("down_after: must be a whole number between 1 and " +
                             std::to_string(kMaxDownAfter));
    }
    s.down_after = n;
  }
  if (text.channels) s.channels = SplitNameList(*text.channels);
  if (s.clear_schedule && s.schedule) return InvalidArgument("schedule: given twice");
  if (Status valid = ValidateSettings(s); !valid.ok()) return valid.error();
  return s;
}

void ApplySettings(Monitor& m, const MonitorSettings& s) {
  if (s.interval_secs) {
    m.interval_secs = *s.interval_secs;
    m.schedule = std::nullopt;
  }
  if (s.clear_schedule) m.schedule = std::nullopt;
  if (s.schedule) m.schedule = *s.schedule;
  if (s.tz) m.tz = *s.tz;
  if (s.grace_secs) m.grace_secs = *s.grace_secs;
  if (s.max_runtime_secs) {
    m.max_runtime_secs = *s.max_runtime_secs == 0 ? std::nullopt : s.max_runtime_secs;
  }
  if (s.name) m.name = *s.name;
  if (s.tags) m.tags = *s.tags;
  if (s.desc) m.desc = *s.desc;
  if (s.methods) m.methods = *s.methods;
  if (s.manual_resume) m.manual_resume = *s.manual_resume;
  if (s.all_channels) m.channels = std::nullopt;
  if (s.channels) m.channels = *s.channels;
  if (s.repeat_secs) m.repeat_secs = *s.repeat_secs;
  if (s.down_after) m.down_after = *s.down_after;
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
  m.check_at = FirstAlertDueAt(m);
  return m;
}

Monitor Pinged(const std::optional<Monitor>& current, std::string_view slug,
               std::optional<std::int64_t> interval_secs, UnixMillis now) {
  return Pinged(current, slug, MonitorSettings{.interval_secs = interval_secs}, now);
}

Monitor Pinged(const std::optional<Monitor>& current, std::string_view slug,
               const MonitorSettings& settings, UnixMillis now) {
  return Signaled(current, slug, Signal{.kind = SignalKind::kSuccess, .settings = settings}, now);
}

std::optional<UnixMillis> CheckAtAfterPing(const Monitor& m) {
  if (!m.last_ping) return m.paused ? std::nullopt : std::optional(FirstAlertDueAt(m));
  return CheckAtAfterChange(m, *m.last_ping);
}

Monitor Failed(const std::optional<Monitor>& current, std::string_view slug, UnixMillis now) {
  return Signaled(current, slug, Signal{.kind = SignalKind::kFail}, now);
}

std::optional<std::int64_t> EndedRunMillis(const Monitor& m, const Signal& s, UnixMillis now) {
  if (s.kind != SignalKind::kSuccess && s.kind != SignalKind::kFail) return std::nullopt;
  if (!m.running || !m.last_start || m.run_rid != s.rid) return std::nullopt;
  return std::max<std::int64_t>(0, now - *m.last_start);
}

Status CheckTarget(const std::optional<Monitor>& current, const Signal& s, UnixMillis now) {
  const bool live = IsLive(current, now);
  if (live ? s.target_uuid && current->uuid != *s.target_uuid : s.target_uuid || !s.may_create) {
    return NotFound("not found");
  }
  return Ok{};
}

Monitor Signaled(const std::optional<Monitor>& current, std::string_view slug, const Signal& s,
                 UnixMillis now) {
  const bool live = IsLive(current, now);
  Monitor m = live ? *current : NewMonitor(slug, kDefaultIntervalSecs, now);
  if (!live) m.uuid = s.settings.uuid.value_or("");
  // A check that does not wait for a manual resume is resumed by its job's success or
  // failure (Healthchecks' rule; the seed's monitors wait).
  if (m.paused && !m.manual_resume &&
      (s.kind == SignalKind::kSuccess || s.kind == SignalKind::kFail)) {
    m.paused = false;
  }
  // (A monitor created by a start with ?interval=1h expects its first ping an hour after
  // its creation, not five minutes.)
  Reconfigure(m, s.settings, live);
  m.expires_at = std::max(m.expires_at, now + kExpiryMillis);
  ++m.pings_seq;
  const bool ends_run =
      m.running && (s.kind == SignalKind::kFail ||
                    (s.kind == SignalKind::kSuccess && (!s.rid || s.rid == m.run_rid)));
  if (ends_run) {
    if (std::optional<std::int64_t> ms = EndedRunMillis(m, s, now)) m.last_duration_ms = ms;
    m.running = false;
    m.run_rid = std::nullopt;
  }
  switch (s.kind) {
    case SignalKind::kSuccess:
      m.last_ping = now;
      m.next_due = NextDue(m, now);
      m.failed_at = std::nullopt;
      m.fail_streak = 0;
      m.fail_tail.clear();
      m.last_exit_code = s.exit_code;
      m.check_at = CheckAtAfterPing(m);
      break;
    case SignalKind::kFail:
      m.next_due = std::min(m.next_due, now);
      if (!m.failed_at) m.failed_at = now;
      ++m.fail_streak;
      m.last_exit_code = s.exit_code;
      m.fail_tail = s.body_tail;
      if (m.paused) {
        m.check_at = std::nullopt;
      } else if (!m.alert.active()) {
        m.check_at = now;
      }
      break;
    case SignalKind::kStart:
      m.last_start = now;
      m.running = true;
      m.run_rid = s.rid;
      m.check_at = CheckAtAfterChange(m, now);
      break;
    case SignalKind::kLog:
      if (!s.settings.empty()) m.check_at = CheckAtAfterChange(m, now);
      break;
  }
  return m;
}

Monitor Configured(const std::optional<Monitor>& current, std::string_view slug,
                   const MonitorSettings& s, UnixMillis now) {
  const bool live = IsLive(current, now);
  Monitor m = live ? *current : NewMonitor(slug, kDefaultIntervalSecs, now);
  if (!live) m.uuid = s.uuid.value_or("");
  Reconfigure(m, s, live);
  m.expires_at = std::max(m.expires_at, now + kExpiryMillis);
  m.check_at = CheckAtAfterChange(m, now);
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
    m.check_at = FirstAlertDueAt(m);
  }
  return m;
}

std::optional<Monitor> Snoozed(const std::optional<Monitor>& current, UnixMillis until,
                               UnixMillis now) {
  if (!IsLive(current, now)) return std::nullopt;
  Monitor m = *current;
  m.snoozed_until = until;
  return m;
}

std::optional<Monitor> Unsnoozed(const std::optional<Monitor>& current, UnixMillis now) {
  if (!IsLive(current, now)) return std::nullopt;
  Monitor m = *current;
  if (!m.snoozed_until) return m;
  m.snoozed_until = std::nullopt;
  // What the snooze held is due now.
  if (!m.paused) m.check_at = now;
  return m;
}

std::optional<Monitor> Acknowledged(const std::optional<Monitor>& current, UnixMillis now) {
  if (!IsLive(current, now)) return std::nullopt;
  Monitor m = *current;
  if (m.alert.active()) m.alert.acknowledged = true;
  return m;
}

CheckStep Check(const Monitor& seen, UnixMillis now, std::int64_t repeat_ms,
                const std::vector<std::string>& project_channels) {
  CheckStep step;
  if (seen.expired(now)) {
    step.remove = true;
    return step;
  }
  step.decision = Decide(seen, now, repeat_ms);
  if (step.decision) step.channels = RouteAlert(seen, project_channels);
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
         current.running == seen.running && current.last_start == seen.last_start &&
         current.max_runtime_secs == seen.max_runtime_secs && current.alert == seen.alert &&
         current.check_at == seen.check_at && current.channels == seen.channels &&
         current.repeat_secs == seen.repeat_secs && current.down_after == seen.down_after &&
         current.fail_streak == seen.fail_streak && current.snoozed_until == seen.snoozed_until;
}

Mutation SignalWrite(const std::optional<Monitor>& current, Monitor next, UnixMillis now) {
  Mutation m = Mutation::Put(std::move(next));
  m.fresh = !IsLive(current, now);
  return m;
}

Mutation SignalMutation(const std::optional<Monitor>& current, std::string_view slug,
                        const Signal& s, const SignalSource& source, std::string body,
                        bool keep_history, UnixMillis now) {
  Monitor before = IsLive(current, now) ? *current : Monitor{};
  Mutation write = SignalWrite(current, Signaled(current, slug, s, now), now);
  if (keep_history) {
    PingRecord r;
    r.n = write.monitor.pings_seq;
    r.at = now;
    r.kind = s.kind;
    r.exit_code = s.exit_code;
    r.rid = s.rid;
    r.duration_ms = EndedRunMillis(before, s, now);
    r.source = source;
    r.body_bytes = static_cast<std::int64_t>(body.size());
    r.body = std::move(body);
    write.record = std::move(r);
  }
  return write;
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
  // The check decides the alert state and the next look; everything else stays as it is now.
  Monitor next = *current;
  next.alert = step.next.alert;
  next.check_at = step.next.check_at;
  if (!step.decision) return Mutation::Put(std::move(next));
  Mutation write = Mutation::Put(std::move(next));
  for (const std::string& channel : step.channels) {
    Alert alert = step.decision->alert;
    alert.channel = channel;
    write.alerts.push_back(std::move(alert));
  }
  switch (step.decision->alert.kind) {
    case AlertKind::kOverdue:
    case AlertKind::kFailed:
    case AlertKind::kTimedOut:
      write.flip = Flip{.at = now, .overdue = true};
      break;
    case AlertKind::kRecovered:
      write.flip = Flip{.at = now, .overdue = false};
      break;
    case AlertKind::kRepeat:
      break;
  }
  return write;
}

}  // namespace heartbeat
