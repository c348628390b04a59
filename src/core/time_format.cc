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

// Writes v as exactly `width` decimal digits ending just before `end`.
void PutDigits(char* end, unsigned v, int width) {
  for (int i = 0; i < width; ++i, v /= 10) *--end = static_cast<char>('0' + v % 10);
}

}  // namespace

std::string FormatRfc3339(UnixMillis t) {
  CivilTime c = ToCivil(t);
  if (c.year >= 0 && c.year <= 9999) {
    // Every ping answers with one: the digits are placed by hand, without snprintf.
    std::string out = "0000-00-00T00:00:00Z";
    char* p = out.data();
    PutDigits(p + 4, static_cast<unsigned>(c.year), 4);
    PutDigits(p + 7, c.month, 2);
    PutDigits(p + 10, c.day, 2);
    PutDigits(p + 13, c.hour, 2);
    PutDigits(p + 16, c.minute, 2);
    PutDigits(p + 19, c.second, 2);
    return out;
  }
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
