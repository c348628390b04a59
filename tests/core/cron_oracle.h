#pragma once
// The obviously-correct, slow reading of SPEC §12's schedule rules, minute by minute, that
// the tests hold core/cron.h's Next to: a local time matches when each field does (day of
// month and day of week ANDed or ORed); on absolute time every UTC minute whose local time
// matches fires; on wall time every matching local minute fires once, at its first
// occurrence, or, skipped by a clock change, at the first local minute that exists after it.
// Dates come from <chrono>, local times from cctz; nothing of cron.cc is used.

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

#include <chrono>
#include <optional>

#include "core/cron.h"

namespace heartbeat::cron_oracle {

using Seconds = std::chrono::time_point<std::chrono::system_clock, std::chrono::seconds>;

inline std::int64_t FloorSeconds(UnixMillis t) { return t / 1000 - (t % 1000 < 0 ? 1 : 0); }

inline unsigned Weekday(int y, unsigned m, unsigned d) {
  using namespace std::chrono;
  return weekday(sys_days(year_month_day{year(y), month(m), day(d)})).c_encoding();
}

inline bool DayMatches(const CronFields& f, int y, unsigned m, unsigned d) {
  using namespace std::chrono;
  unsigned last = unsigned(year_month_day_last{year(y), month_day_last{month(m)}}.day());
  unsigned weekday = Weekday(y, m, d);
  bool by_date = (f.days >> d & 1) != 0;
  if (f.last_day && d == last) by_date = true;
  if (f.last_weekday) {
    unsigned last_weekday = last;
    while (Weekday(y, m, last_weekday) == 0 || Weekday(y, m, last_weekday) == 6) --last_weekday;
    if (d == last_weekday) by_date = true;
  }
  bool by_weekday = (f.weekdays >> weekday & 1) != 0;
  if ((f.last_weekdays >> weekday & 1) && d + 7 > last) by_weekday = true;  // none later
  if (f.nth_weekday[weekday] >> ((d - 1) / 7 + 1) & 1) by_weekday = true;
  return f.day_and ? by_date && by_weekday : by_date || by_weekday;
}

inline bool Matches(const CronFields& f, const cctz::civil_second& cs) {
  return cs.second() == 0 && (f.minutes >> cs.minute() & 1) && (f.hours >> cs.hour() & 1) &&
         (f.months >> cs.month() & 1) &&
         DayMatches(f, static_cast<int>(cs.year()), static_cast<unsigned>(cs.month()),
                    static_cast<unsigned>(cs.day()));
}

// When a matching local minute fires on wall time.
inline std::int64_t WallTimeFire(const cctz::time_zone& tz, cctz::civil_minute m) {
  while (tz.lookup(cctz::civil_second(m)).kind == cctz::time_zone::civil_lookup::SKIPPED) ++m;
  return tz.lookup(cctz::civil_second(m)).pre.time_since_epoch().count();  // the first
}

// The first firing strictly after `after` and no later than `horizon`, or nullopt.
inline std::optional<UnixMillis> Next(const CronFields& f, const cctz::time_zone& tz,
                                      UnixMillis after, UnixMillis horizon) {
  std::int64_t after_secs = FloorSeconds(after);
  if (!f.wall_time) {
    std::int64_t t = after_secs - (after_secs % 60 + 60) % 60 + 60;
    for (; t * 1000 <= horizon; t += 60) {
      if (Matches(f, cctz::convert(Seconds(std::chrono::seconds(t)), tz))) return t * 1000;
    }
    return std::nullopt;
  }
  // Every matching local minute from a day before `after`'s local time; the earliest firing
  // after `after` (looking one more day past the first found).
  cctz::civil_minute m =
      cctz::civil_minute(cctz::convert(Seconds(std::chrono::seconds(after_secs)), tz)) - 1440;
  cctz::civil_minute end(cctz::convert(Seconds(std::chrono::seconds(FloorSeconds(horizon))), tz) +
                         86400);
  std::optional<std::int64_t> best;
  std::optional<cctz::civil_minute> first_found;
  for (; m <= end; ++m) {
    if (first_found && m > *first_found + 1440) break;
    if (!Matches(f, cctz::civil_second(m))) continue;
    std::int64_t fire = WallTimeFire(tz, m);
    if (fire > after_secs && (!best || fire < *best)) {
      best = fire;
      if (!first_found) first_found = m;
    }
  }
  if (!best || *best * 1000 > horizon) return std::nullopt;
  return *best * 1000;
}

}  // namespace heartbeat::cron_oracle
