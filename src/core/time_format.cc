#include "core/time_format.h"

#include <chrono>
#include <cstdio>

namespace heartbeat {
namespace {

struct CivilTime {
  int year;
  unsigned month, day, hour, minute, second;
};

CivilTime ToCivil(UnixMillis t) {
  using namespace std::chrono;
  sys_seconds secs{seconds{ToUnixSeconds(t)}};
  sys_days day = floor<days>(secs);
  year_month_day ymd{day};
  hh_mm_ss hms{secs - day};
  return {static_cast<int>(ymd.year()),
          static_cast<unsigned>(ymd.month()),
          static_cast<unsigned>(ymd.day()),
          static_cast<unsigned>(hms.hours().count()),
          static_cast<unsigned>(hms.minutes().count()),
          static_cast<unsigned>(hms.seconds().count())};
}

}  // namespace

std::string FormatRfc3339(UnixMillis t) {
  CivilTime c = ToCivil(t);
  char buf[40];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02u:%02u:%02uZ", c.year, c.month, c.day,
                        c.hour, c.minute, c.second);
  return std::string(buf, static_cast<std::size_t>(n));
}

std::string FormatClockUtc(UnixMillis t) {
  CivilTime c = ToCivil(t);
  char buf[24];
  int n = std::snprintf(buf, sizeof buf, "%02u:%02u UTC", c.hour, c.minute);
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace heartbeat
