#pragma once
// A monitor's life as pure functions of (state, signal, now): what each signal does to a
// monitor, when it is gone (expiry), and when the checker must look at it next. Every
// state change of a monitor is one of these, applied by a store's one read-modify-write
// (Store::Mutate); the alert decision itself is core/alert.h. No I/O, no clock.
//
// `current` is always the monitor as stored: absent, or perhaps expired. An expired
// monitor is gone: every signal treats it as absent, and a ping starts it afresh.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/alert.h"
#include "core/channel.h"
#include "core/clock.h"
#include "core/monitor.h"
#include "core/result.h"
#include "core/signal.h"

namespace heartbeat {

// Whether `s` may be applied: not both an interval and a schedule, a schedule that parses
// and can match, a zone the tz database knows, a grace within 0 to 365 days, a max_runtime
// of 0 (none) or 30 s to 365 days. The error is kInvalidArgument and names the field
// ("schedule: ...", "tz: ...", "grace: ...", "max_runtime: ...").
Status ValidateSettings(const MonitorSettings& s);

// The settings as a ping's query parameters or a PUT body give them: durations as text in
// the interval grammar ("15m", "900"); max_runtime "0" for no limit.
struct SettingsText {
  std::optional<std::string> interval = std::nullopt;
  std::optional<std::string> schedule = std::nullopt;
  bool clear_schedule = false;  // PUT's "schedule": null
  std::optional<std::string> tz = std::nullopt;
  std::optional<std::string> grace = std::nullopt;
  std::optional<std::string> max_runtime = std::nullopt;
  // Alert policies (SPEC §14): "a,b" (names; "" for none), a duration or "never", a count.
  std::optional<std::string> channels = std::nullopt;
  std::optional<std::string> repeat = std::nullopt;
  std::optional<std::string> down_after = std::nullopt;
};

// Parses and validates (ValidateSettings) settings given as text. The error is
// kInvalidArgument and names the field.
Result<MonitorSettings> ParseSettings(const SettingsText& text);

// `m` with the settings of `s` (valid: ValidateSettings). Its deadline is not moved.
void ApplySettings(Monitor& m, const MonitorSettings& s);

// The next expected ping after `from` (a ping, the creation, an unpause): `interval_secs`
// after it, or the schedule's first match strictly after it in `tz` (with SPEC §12's
// daylight-saving rules). A stored schedule that no longer parses, or a zone the tz
// database has lost, falls back to the interval (both were checked when they were set).
UnixMillis NextDue(const Monitor& m, UnixMillis from);

// Whether `m` exists for a reader at `now` (present and not expired).
bool IsLive(const std::optional<Monitor>& m, UnixMillis now);

// A monitor that has never been pinged, created at `now`.
Monitor NewMonitor(std::string_view slug, std::int64_t interval_secs, UnixMillis now);

// A successful ping (SPEC §4): creates the monitor (interval default 5 m) or updates it (a
// given interval replaces the stored one, none keeps it); last_ping = now, next_due = now +
// interval, expires_at = now + 90 d; a reported failure is cleared. A paused monitor stays
// paused. An alerted monitor's recovery is due at once.
Monitor Pinged(const std::optional<Monitor>& current, std::string_view slug,
               std::optional<std::int64_t> interval_secs, UnixMillis now);
// The same with every setting a ping may carry (valid: ValidateSettings): next_due is the
// next expected ping after now (NextDue), and the monitor alerts a grace after it.
Monitor Pinged(const std::optional<Monitor>& current, std::string_view slug,
               const MonitorSettings& settings, UnixMillis now);

// When the checker must look at `m` after a ping (as Pinged sets it): never while paused,
// at the ping when an alert is active (the recovery is due), else once alert_at passes (or
// the running run's limit, when that comes first).
std::optional<UnixMillis> CheckAtAfterPing(const Monitor& m);

// Whether a signal may reach the monitor as stored (Signal::target_uuid, may_create):
// NotFound ("not found") when it names another uuid, or there is no live monitor and it
// may not create one. Checked before Signaled.
Status CheckTarget(const std::optional<Monitor>& current, const Signal& s, UnixMillis now);

// Any signal (SPEC §12), with the settings it carries applied first. A success is Pinged; a
// failure is Failed; both end a run: the one they name (the same rid, or none for a run
// started without one) with its duration, and a failure, or a success without a rid, ends
// any other run without one; a success with another run's rid leaves that run running. A
// start begins a run (last_ping and status unchanged); a log changes nothing but the
// history's count. Each creates the monitor when there is none (counting from now, with
// the uuid of its settings) and moves its expiry forward; each numbers one more history
// entry (pings_seq). A success or a failure resumes a paused monitor without
// manual_resume.
Monitor Signaled(const std::optional<Monitor>& current, std::string_view slug, const Signal& s,
                 UnixMillis now);

// The duration of the run that `s` ends on `m` (same rid, or none on both), or none.
std::optional<std::int64_t> EndedRunMillis(const Monitor& m, const Signal& s, UnixMillis now);

// PUT /monitors/{slug} (SPEC §12): creates the monitor with `s` applied, counting from now
// (a job that never runs is caught), or applies `s` to the live one; when the settings
// change when the next ping is expected, the deadline is computed again from the last ping
// (or the creation). The expiry moves forward. `s` is valid (ValidateSettings).
Monitor Configured(const std::optional<Monitor>& current, std::string_view slug,
                   const MonitorSettings& s, UnixMillis now);

// The job reported failure: creates the monitor if absent (5 m), makes it overdue at once
// (next_due <= now; the first failure's time is kept) and moves its expiry forward. The
// checker looks at once, unless an alert is active (its repeat schedule stands) or the
// monitor is paused (recorded; nothing is due until unpaused).
Monitor Failed(const std::optional<Monitor>& current, std::string_view slug, UnixMillis now);

// Pause: no alerts; clears the alert state and a reported failure. nullopt when there is no
// live monitor.
std::optional<Monitor> Paused(const std::optional<Monitor>& current, UnixMillis now);

// Unpause: a fresh period, next_due = now + interval (now when a failure was reported while
// paused). A live monitor that is not paused comes back unchanged; nullopt when there is no
// live monitor.
std::optional<Monitor> Unpaused(const std::optional<Monitor>& current, UnixMillis now);

// Snooze (SPEC §14): alerts wait until `until` (a recovery does not), the state is kept.
// nullopt when there is no live monitor.
std::optional<Monitor> Snoozed(const std::optional<Monitor>& current, UnixMillis until,
                               UnixMillis now);
// Unsnooze: what the snooze held is due at once. nullopt when there is no live monitor.
std::optional<Monitor> Unsnoozed(const std::optional<Monitor>& current, UnixMillis now);
// Acknowledge (Telegram's button): no more repeats of the current outage; nothing when
// the monitor is not alerting. nullopt when there is no live monitor.
std::optional<Monitor> Acknowledged(const std::optional<Monitor>& current, UnixMillis now);

// --- the checker's step ---

// What the checker does with a monitor it found due at `now`.
struct CheckStep {
  bool remove = false;                // expired: delete it (it is gone for every reader)
  std::optional<Decision> decision;   // an alert to queue with the new alert state
  std::vector<std::string> channels;  // the decision's alert goes to these (keys: RouteAlert)
  Monitor next;                       // the monitor to write (when not removed)
};

// The checker's step for `seen` (as the due-monitor query returned it): the alert decision
// (core/alert.h), the channels it goes to (RouteAlert over `project_channels`, the names of
// the channels of seen's project) and the next time to look, never in the past for a
// monitor that needed nothing (the next cycle would find it again at once).
CheckStep Check(const Monitor& seen, UnixMillis now, std::int64_t repeat_ms,
                const std::vector<std::string>& project_channels);

// Whether `current` is still the monitor a check step was decided on: every field the
// decision read (alert state, deadline, failure, pause, check time). A step applied to a
// monitor that changed meanwhile (a ping, another checker) must be dropped.
bool SameForCheck(const Monitor& current, const Monitor& seen);

// --- writes ---

// What a read-modify-write does with the monitor it read: keep it, put a new state (and
// queue an alert in the outbox in the same write), or delete it.
struct Mutation {
  enum class Kind { kKeep, kPut, kDelete };
  Kind kind = Kind::kKeep;
  Monitor monitor;  // kPut: the state to write
  // kPut: queued in the monitor's outbox with the write, one entry per alert (each to its
  // Alert::channel; in order per monitor and channel).
  std::vector<Alert> alerts;
  // kPut: the monitor starts anew; whatever was kept under its slug (an expired monitor and
  // the alerts and history it left) goes.
  bool fresh = false;
  // kPut: a history entry to add in the same write (numbered: record->n is
  // monitor.pings_seq); the store keeps the last PINGS_KEPT of them.
  std::optional<PingRecord> record;
  // kPut: a status change to add to the monitor's flips in the same write.
  std::optional<Flip> flip;

  static Mutation Keep() { return {}; }
  static Mutation Put(Monitor m) {
    Mutation out;
    out.kind = Kind::kPut;
    out.monitor = std::move(m);
    return out;
  }
  static Mutation Delete() {
    Mutation out;
    out.kind = Kind::kDelete;
    return out;
  }
};

// The write of a signal's result `next` on `current`: a put, fresh when there was no live
// monitor.
Mutation SignalWrite(const std::optional<Monitor>& current, Monitor next, UnixMillis now);

// The whole write of a signal: Signaled, and its history entry (numbered, with its source,
// the run's duration and `body`) when `keep_history`.
Mutation SignalMutation(const std::optional<Monitor>& current, std::string_view slug,
                        const Signal& s, const SignalSource& source, std::string body,
                        bool keep_history, UnixMillis now);

// The write of a check step on the monitor as stored now: kConflict when it changed since
// `seen` was read; an expired monitor is deleted (unless a ping revived it: then nothing).
// A first alert flips the monitor to overdue, a recovery back to ok (Mutation::flip).
Result<Mutation> ApplyCheck(const std::optional<Monitor>& current, const Monitor& seen,
                            const CheckStep& step, UnixMillis now);

}  // namespace heartbeat
