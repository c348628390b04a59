#pragma once
// IANA time zones ("Europe/Riga"), for cron schedules (core/cron.h) and for showing a time
// with its zone's offset. cctz does the work underneath; only core's .cc files see it.

#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"

namespace cctz {
class time_zone;
}  // namespace cctz

namespace heartbeat {

// A time zone of the tz database. A value: a pointer to a zone loaded once for the life of
// the process, so cheap to copy and safe to share between threads.
class TimeZone {
 public:
  // The zone called `name`: "UTC", "Europe/Riga", "America/Argentina/Buenos_Aires". The
  // first Load of a name reads its file from the tz database (the directory $TZDIR, else
  // /usr/share/zoneinfo, Debian's tzdata); later ones are a lookup in a process-wide cache.
  // Thread-safe.
  // Errors (kInvalidArgument): `unknown time zone "Mars/Olympus"` when the name is not an IANA
  // zone name (letters, digits, '_', '+', '-' in parts separated by '/'; at most 64
  // characters; so never a path, "file:..." or "localtime") or the database has no such zone.
  // Never falls back to UTC.
  static Result<TimeZone> Load(std::string_view name);

  // UTC, without reading the database.
  static TimeZone Utc();

  // The name it was loaded by.
  const std::string& name() const;

  // The offset from UTC in seconds (east positive) at instant t.
  int UtcOffsetSeconds(UnixMillis t) const;

  // t in this zone, RFC 3339 with the zone's offset, whole seconds (milliseconds are
  // truncated): "2021-03-28T04:00:00+03:00", "2021-01-01T00:00:00+00:00" in UTC. An offset
  // that is not whole minutes (local mean time, before ~1900) cannot be written in RFC 3339:
  // such a time is written in UTC with "Z".
  std::string FormatRfc3339(UnixMillis t) const;

  // For core's own .cc files (cron.cc): the cctz zone.
  const cctz::time_zone& cctz_zone() const;

  friend bool operator==(const TimeZone& a, const TimeZone& b) { return a.zone_ == b.zone_; }

  struct Zone;  // defined in time_zone.cc

 private:
  explicit TimeZone(const Zone* zone) : zone_(zone) {}
  const Zone* zone_;  // owned by the process-wide cache, never freed
};

}  // namespace heartbeat
