#pragma once
// Cron schedules (SPEC §12): a 5-field cron expression with the semantics of Debian's cron
// (and of cronsim, Healthchecks' library, for its extensions L, LW, nL and x#k), and the
// next time it fires in a time zone, daylight saving included.
//
//   Result<CronSchedule> s = CronSchedule::Parse("30 2 * * 1-5");   // once, when set
//   Result<TimeZone> tz = TimeZone::Load("Europe/Riga");             // core/time_zone.h
//   std::optional<UnixMillis> due = Next(*s, *tz, last_ping);        // pure, ~0.1 µs

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "core/time_zone.h"

namespace heartbeat {

// What a parsed expression matches, as bit sets: bit n set means value n matches.
struct CronFields {
  std::uint64_t minutes = 0;       // bits 0-59
  std::uint32_t hours = 0;         // bits 0-23
  std::uint32_t days = 0;          // bits 1-31 (day-of-month numbers)
  bool last_day = false;           // L in day-of-month: the last day of the month
  bool last_weekday = false;       // LW in day-of-month: the last Monday-to-Friday of the month
  std::uint16_t months = 0;        // bits 1-12
  std::uint8_t weekdays = 0;       // bits 0-6, Sunday 0 (a 7 in the expression is bit 0)
  std::uint8_t last_weekdays = 0;  // nL: bit n, the last weekday n of the month
  std::array<std::uint8_t, 7> nth_weekday{};  // x#k: bit k (1-5) of nth_weekday[x]
  // Day-of-month and day-of-week are ANDed when either field starts with '*', else ORed.
  bool day_and = true;
  // Neither the minute nor the hour field starts with '*': the schedule runs on local wall
  // time through daylight-saving changes (see Next).
  bool wall_time = false;

  friend bool operator==(const CronFields&, const CronFields&) = default;
};

// A parsed cron expression. A value: copy it, compare it, keep it in a monitor.
class CronSchedule {
 public:
  // Parses "minute hour day-of-month month day-of-week", fields separated by spaces or tabs,
  // case-insensitive. Each field is a comma-separated list of `*`, a number, a range `a-b`,
  // each optionally with a step (`*/15`, `10-50/10`, and `5/15`, which means 5-59/15);
  // JAN-DEC in the month field and SUN-SAT in day-of-week (0 and 7 are both Sunday); `L`
  // (last day) and `LW` (last weekday) in day-of-month; `nL` (last weekday n of the month,
  // `5L` the last Friday) and `x#k` (the k-th weekday x, 1-5: `1#2` the second Monday) in
  // day-of-week.
  // Errors (kInvalidArgument), one sentence naming the field:
  //   schedule: the hour field "25" is out of range 0-23
  //   schedule: expected 5 fields (minute hour day-of-month month day-of-week), got 6
  // and an expression that can never match is one too:
  //   schedule: the day-of-month field "30" never matches in the month field "2"
  static Result<CronSchedule> Parse(std::string_view expr);

  // The expression as given, outer whitespace trimmed.
  const std::string& text() const { return text_; }
  const CronFields& fields() const { return fields_; }

  // The days of a month that match, as bits 1-31, for a month of `length` days (28-31)
  // whose first day is `first_weekday` (0 Sunday - 6 Saturday).
  std::uint32_t DayMask(int length, int first_weekday) const;

  friend bool operator==(const CronSchedule& a, const CronSchedule& b) {
    return a.text_ == b.text_ && a.fields_ == b.fields_;
  }

 private:
  CronSchedule() = default;

  std::string text_;
  CronFields fields_;
  // Precomputed from weekdays and nth_weekday: the days (bits 1-31) they match in a month
  // whose first day is weekday i.
  std::array<std::uint32_t, 7> weekday_days_by_first_{};
};

// The first time strictly after `after` at which `schedule` fires, evaluated in `zone`, at
// a whole minute. Daylight saving (SPEC §12, as Debian's cron and cronsim):
//  - fields().wall_time (neither the minute nor the hour field starts with '*'): matching
//    runs on local wall time. A local time skipped by a clock change fires at the first
//    minute after the gap (`30 2 * * *` fires at 03:00 on a night that jumps from 02:00 to
//    03:00); a local time that happens twice fires once, at its first occurrence.
//  - otherwise matching runs on absolute time: every instant whose local time matches
//    fires, so an hour that happens twice fires twice and one that is skipped never fires.
// nullopt when it does not fire again before the year 10000 (parsing refuses expressions
// that never match, so only the end of time, or a zone whose clock changes skip every
// match, lead here). Pure and thread-safe; no allocation.
std::optional<UnixMillis> Next(const CronSchedule& schedule, const TimeZone& zone,
                               UnixMillis after);

}  // namespace heartbeat
