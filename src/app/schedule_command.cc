// `heartbeat schedule EXPR [--tz TZ] [--after RFC3339] [--count N]` (SPEC §12): the next
// times a cron expression fires, to check one before a monitor uses it.

#include <iostream>

#include "app/commands.h"
#include "core/cron.h"
#include "core/time_format.h"

namespace heartbeat::app {

int RunSchedule(const ScheduleOptions& options) {
  Result<CronSchedule> schedule = CronSchedule::Parse(options.expression);
  if (!schedule.ok()) {
    std::cerr << "heartbeat: " << schedule.error().message << "\n";
    return kExitUsage;
  }
  Result<TimeZone> zone = TimeZone::Load(options.tz);
  if (!zone.ok()) {
    std::cerr << "heartbeat: " << zone.error().Wrap("tz").message << "\n";
    return kExitUsage;
  }
  UnixMillis after = RealClock().Now();
  if (options.after) {
    Result<UnixMillis> t = ParseRfc3339(*options.after);
    if (!t.ok()) {
      std::cerr << "heartbeat: " << t.error().Wrap("after").message << "\n";
      return kExitUsage;
    }
    after = *t;
  }
  for (int i = 0; i < options.count; ++i) {
    std::optional<UnixMillis> next = Next(*schedule, *zone, after);
    if (!next) break;  // not before the year 10000
    std::cout << zone->FormatRfc3339(*next) << "\n";
    after = *next;
  }
  std::cout << std::flush;
  return kExitOk;
}

}  // namespace heartbeat::app
