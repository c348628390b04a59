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

std::string FormatRfc3339Millis(UnixMillis t) {
  std::string out = FormatRfc3339(t);
  std::int64_t ms = t % 1000;
  if (ms < 0) ms += 1000;
  char frac[5] = {'.', '0', '0', '0', '\0'};
  PutDigits(frac + 4, static_cast<unsigned>(ms), 3);
  out.insert(out.size() - 1, frac);
  return out;
}

Result<UnixMillis> ParseRfc3339(std::string_view text) {
  auto refuse = [&] {
    return InvalidArgument("\"" + std::string(text) +
                           "\" is not an RFC 3339 time, such as 2021-03-28T01:30:00+02:00");
  };
  std::size_t pos = 0;
  // Exactly `width` digits at pos.
  auto digits = [&](int width, int& out) {
    if (pos + static_cast<std::size_t>(width) > text.size()) return false;
    out = 0;
    for (int i = 0; i < width; ++i) {
      char c = text[pos++];
      if (c < '0' || c > '9') return false;
      out = out * 10 + (c - '0');
    }
    return true;
  };
  auto expect = [&](std::string_view chars) {
    if (pos >= text.size() || chars.find(text[pos]) == std::string_view::npos) return false;
    ++pos;
    return true;
  };
  int year, month, day, hour, minute, second;
  if (!digits(4, year) || !expect("-") || !digits(2, month) || !expect("-") || !digits(2, day) ||
      !expect("Tt ") || !digits(2, hour) || !expect(":") || !digits(2, minute) || !expect(":") ||
      !digits(2, second)) {
    return refuse();
  }
  using namespace std::chrono;
  year_month_day ymd{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                     std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 59) return refuse();
  std::int64_t millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int count = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (count < 3) millis = millis * 10 + (text[pos] - '0');
      ++count;
      ++pos;
    }
    if (count == 0) return refuse();
    for (; count < 3; ++count) millis *= 10;
  }
  std::int64_t offset = 0;
  if (expect("Zz")) {
    offset = 0;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos++] == '-' ? -1 : 1;
    int oh, om;
    if (!digits(2, oh) || !expect(":") || !digits(2, om) || oh > 23 || om > 59) return refuse();
    offset = sign * (oh * 3600 + om * 60);
  } else {
    return refuse();
  }
  if (pos != text.size()) return refuse();
  std::int64_t secs = sys_days(ymd).time_since_epoch().count() * 86400LL + hour * 3600 +
                      minute * 60 + second - offset;
  return secs * 1000 + millis;
}

std::string FormatClockUtc(UnixMillis t) {
  CivilTime c = ToCivil(t);
  char buf[24];
  int n = std::snprintf(buf, sizeof buf, "%02u:%02u UTC", c.hour, c.minute);
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace heartbeat
