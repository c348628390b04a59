#include "core/cron.h"

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <limits>
#include <vector>

namespace heartbeat {
namespace {

enum Field { kMinute, kHour, kDayOfMonth, kMonth, kDayOfWeek };
constexpr const char* kFieldNames[] = {"minute", "hour", "day-of-month", "month", "day-of-week"};
constexpr int kMin[] = {0, 0, 1, 1, 0};
constexpr int kMax[] = {59, 23, 31, 12, 7};
constexpr std::string_view kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                            "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::string_view kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

// One field as parsed: values as bits (day-of-week keeps 7 apart from 0 until the end).
struct FieldSet {
  std::uint64_t values = 0;
  bool last_day = false;      // day-of-month L
  bool last_weekday = false;  // day-of-month LW
  std::uint8_t last_weekdays = 0;
  std::array<std::uint8_t, 7> nth{};
};

std::uint64_t Span(int from, int to, int step = 1) {
  std::uint64_t bits = 0;
  for (int v = from; v <= to; v += step) bits |= std::uint64_t{1} << v;
  return bits;
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

// Parses one field, upper-cased. On failure, `problem` ends the sentence that names the
// field; it quotes the expression as given (`original`, of which `upper` is the upper-cased
// copy).
class FieldParser {
 public:
  FieldParser(Field field, std::string_view upper, std::string_view original, std::string& problem)
      : field_(field), upper_(upper), original_(original), problem_(problem) {}

  bool Parse(std::string_view text, FieldSet& out) {
    std::size_t begin = 0;
    while (true) {
      std::size_t comma = text.find(',', begin);
      std::string_view term = text.substr(begin, comma - begin);
      if (!Term(term, out)) return false;
      if (comma == std::string_view::npos) return true;
      begin = comma + 1;
    }
  }

 private:
  bool Fail(std::string problem) {
    problem_ = std::move(problem);
    return false;
  }

  // A part of upper_, quoted as the user wrote it.
  std::string Quote(std::string_view part) const {
    auto at = static_cast<std::size_t>(part.data() - upper_.data());
    return heartbeat::Quote(original_.substr(at, part.size()));
  }

  // A run of decimal digits (saturating, so that any length is only "too big").
  static std::optional<int> Digits(std::string_view s) {
    if (s.empty()) return std::nullopt;
    long long v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
      v = std::min<long long>(v * 10 + (c - '0'), 1'000'000);
    }
    return static_cast<int>(v);
  }

  // A number or a name of the field, in its range.
  std::optional<int> Value(std::string_view s, std::string_view term) {
    if (field_ == kMonth || field_ == kDayOfWeek) {
      const std::string_view* names = field_ == kMonth ? kMonthNames : kDayNames;
      int count = field_ == kMonth ? 12 : 7;
      for (int i = 0; i < count; ++i) {
        if (s == names[i]) return field_ == kMonth ? i + 1 : i;
      }
    }
    if (s.empty()) {
      Fail("has an incomplete part " + Quote(term));
      return std::nullopt;
    }
    std::optional<int> v = Digits(s);
    if (!v) {
      const char* hint = field_ == kMonth       ? "neither a number nor a month name (JAN-DEC)"
                         : field_ == kDayOfWeek ? "neither a number nor a day name (SUN-SAT)"
                                                : "not a number";
      Fail("has " + Quote(s) + ", which is " + hint);
      return std::nullopt;
    }
    if (*v < kMin[field_] || *v > kMax[field_]) {
      Fail("is out of range " + std::to_string(kMin[field_]) + "-" + std::to_string(kMax[field_]));
      return std::nullopt;
    }
    return v;
  }

  bool Term(std::string_view term, FieldSet& out) {
    if (term.empty()) return Fail("has an empty list item");
    if (term == "*") {
      out.values |= Span(kMin[field_], kMax[field_]);
      return true;
    }
    if (field_ == kDayOfWeek && term.find('L') != std::string_view::npos) {
      // nL: a day number and L, nothing else (not a name, a range, a step or #).
      std::string_view day = term.substr(0, term.size() - 1);
      if (term.back() != 'L' || !Digits(day)) {
        return Fail("has " + Quote(term) +
                    ": L in day-of-week follows a day number, as in 5L (the last Friday)");
      }
      std::optional<int> v = Value(day, term);
      if (!v) return false;
      out.last_weekdays |= static_cast<std::uint8_t>(1u << (*v % 7));
      return true;
    }
    if (field_ == kDayOfWeek && term.find('#') != std::string_view::npos) {
      std::size_t hash = term.find('#');
      std::optional<int> day = Value(term.substr(0, hash), term);
      if (!day) return false;
      std::optional<int> week = Digits(term.substr(hash + 1));
      if (!week || *week < 1 || *week > 5) {
        return Fail("has " + Quote(term) +
                    ": the week after # is 1 to 5, as in 1#2 (the second Monday)");
      }
      out.nth[*day % 7] |= static_cast<std::uint8_t>(1u << *week);
      return true;
    }
    if (std::size_t slash = term.find('/'); slash != std::string_view::npos) {
      std::string_view base = term.substr(0, slash);
      std::string_view step_text = term.substr(slash + 1);
      if (step_text.empty()) return Fail("has an incomplete part " + Quote(term));
      std::optional<int> step = Digits(step_text);
      if (!step) return Fail("has the step " + Quote(step_text) + ", which is not a number");
      if (*step == 0) return Fail("has a step of 0");
      if (field_ == kDayOfMonth && (base == "L" || base == "LW")) return Term(base, out);
      if (base.empty()) return Fail("has an incomplete part " + Quote(term));
      FieldSet range;
      if (!Term(base, range)) return false;
      int from = std::countr_zero(range.values);
      int to = kMax[field_];
      // "5/15" steps from 5 to the end of the field; "*/15" and "10-50/10" through theirs.
      if (base != "*" && base.find('-') == std::string_view::npos) {
        out.values |= Span(from, to, *step);
        return true;
      }
      to = 63 - std::countl_zero(range.values);
      out.values |= Span(from, to, *step);
      return true;
    }
    if (std::size_t dash = term.find('-'); dash != std::string_view::npos) {
      std::optional<int> from = Value(term.substr(0, dash), term);
      if (!from) return false;
      std::optional<int> to = Value(term.substr(dash + 1), term);
      if (!to) return false;
      if (*to < *from)
        return Fail("has the range " + Quote(term) + ", which ends before it starts");
      out.values |= Span(*from, *to);
      return true;
    }
    if (field_ == kDayOfMonth && term == "L") {
      out.last_day = true;
      return true;
    }
    if (field_ == kDayOfMonth && term == "LW") {
      out.last_weekday = true;
      return true;
    }
    std::optional<int> v = Value(term, term);
    if (!v) return false;
    out.values |= std::uint64_t{1} << *v;
    return true;
  }

  Field field_;
  std::string_view upper_;
  std::string_view original_;
  std::string& problem_;
};

bool IsLeap(std::int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

int DaysInMonth(std::int64_t y, int m) {
  static constexpr int kDays[] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m];
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t DaysFromCivil(std::int64_t y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// 0 Sunday - 6 Saturday; 1970-01-01 was a Thursday.
int WeekdayOfFirst(std::int64_t y, int m) {
  std::int64_t w = (DaysFromCivil(y, m, 1) + 4) % 7;
  return static_cast<int>(w < 0 ? w + 7 : w);
}

// Bits 1..length.
std::uint32_t InMonth(int length) { return (~0u >> (31 - length)) & ~1u; }

// The days of a month that the day-of-month field matches (numbers, L, LW).
std::uint32_t DatesMatched(const CronFields& f, int length, int first_weekday) {
  std::uint32_t days = f.days & InMonth(length);
  if (f.last_day) days |= 1u << length;
  if (f.last_weekday) {
    int last = (first_weekday + length - 1) % 7;  // the weekday of the last day
    days |= 1u << (last == 6 ? length - 1 : last == 0 ? length - 2 : length);
  }
  return days;
}

struct Civil {
  std::int64_t year;
  int month, day, hour, minute;
};

Civil FromCctz(const cctz::civil_minute& m) {
  return {m.year(), m.month(), m.day(), m.hour(), m.minute()};
}

// The first whole local minute at or after cs.
Civil CeilMinute(const cctz::civil_second& cs) {
  cctz::civil_minute m(cs);
  if (cs.second() != 0) ++m;
  return FromCctz(m);
}

std::int64_t LocalSeconds(const Civil& c) {
  return DaysFromCivil(c.year, c.month, c.day) * 86400 + c.hour * 3600 + c.minute * 60;
}

void NextMonth(Civil& c) {
  if (++c.month > 12) {
    c.month = 1;
    ++c.year;
  }
  c.day = 1;
  c.hour = 0;
  c.minute = 0;
}

void NextDay(Civil& c, int month_length) {
  if (++c.day > month_length) {
    NextMonth(c);
  } else {
    c.hour = 0;
    c.minute = 0;
  }
}

// The first local minute at or after c that the fields match, field by field: a month that
// does not match is skipped whole, then a day, then an hour. nullopt past `last_year`.
std::optional<Civil> NextLocal(const CronSchedule& s, Civil c, std::int64_t last_year) {
  const CronFields& f = s.fields();
  while (c.year <= last_year) {
    if ((f.months >> c.month & 1) == 0) {
      unsigned later = f.months & (~0u << (c.month + 1));
      if (later != 0) {
        c.month = std::countr_zero(later);
      } else {
        ++c.year;
        c.month = std::countr_zero(static_cast<unsigned>(f.months));
      }
      c.day = 1;
      c.hour = 0;
      c.minute = 0;
      continue;
    }
    int length = DaysInMonth(c.year, c.month);
    std::uint32_t days = s.DayMask(length, WeekdayOfFirst(c.year, c.month)) & (~0u << c.day);
    if (days == 0) {
      NextMonth(c);
      continue;
    }
    if (int day = std::countr_zero(days); day != c.day) {
      c.day = day;
      c.hour = 0;
      c.minute = 0;
    }
    std::uint32_t hours = f.hours & (~0u << c.hour);
    if (hours == 0) {
      NextDay(c, length);
      continue;
    }
    if (int hour = std::countr_zero(hours); hour != c.hour) {
      c.hour = hour;
      c.minute = 0;
    }
    std::uint64_t minutes = f.minutes & (~std::uint64_t{0} << c.minute);
    if (minutes == 0) {
      if (++c.hour > 23) {
        NextDay(c, length);
      } else {
        c.minute = 0;
      }
      continue;
    }
    c.minute = std::countr_zero(minutes);
    return c;
  }
  return std::nullopt;
}

using Seconds = std::chrono::time_point<std::chrono::system_clock, std::chrono::seconds>;

std::int64_t Count(Seconds t) { return t.time_since_epoch().count(); }

// 10000-01-01T00:00:00Z: Next answers nothing from there on.
constexpr std::int64_t kEndOfTime = 253'402'300'800;
constexpr std::int64_t kLastYear = 9999;
// A valid expression matches within 400 years (the Gregorian calendar's cycle) of any day.
constexpr std::int64_t kSearchYears = 401;

std::optional<UnixMillis> Fire(std::int64_t t) {
  if (t >= kEndOfTime) return std::nullopt;
  return t * 1000;
}

std::optional<UnixMillis> NextWallTime(const CronSchedule& s, const cctz::time_zone& tz,
                                       std::int64_t after, Civil start) {
  // Each turn past the first passes a repeated span of local time, so a few are plenty.
  for (int turn = 0; turn < 64; ++turn) {
    std::optional<Civil> c = NextLocal(s, start, std::min(start.year + kSearchYears, kLastYear));
    if (!c) return std::nullopt;
    cctz::civil_second cs(c->year, c->month, c->day, c->hour, c->minute, 0);
    cctz::time_zone::civil_lookup cl = tz.lookup(cs);
    std::int64_t t;
    if (cl.kind == cctz::time_zone::civil_lookup::SKIPPED) {
      // In the gap of a clock change: the first minute after it.
      t = Count(cl.trans);
      std::int64_t second = tz.lookup(cl.trans).cs.second();
      if (second != 0) t += 60 - second;
    } else {
      t = Count(cl.pre);  // the first occurrence of a repeated time
    }
    if (t > after) return Fire(t);
    // The first occurrence of a repeated time is at or before `after`, which is in the
    // second: that time has fired. Go on from the end of the repeated span.
    cctz::civil_second next = cs + 60;
    if (cl.kind == cctz::time_zone::civil_lookup::REPEATED) {
      next = std::max(next, cs + (Count(cl.trans) - Count(cl.pre)));
    }
    start = CeilMinute(next);
  }
  return std::nullopt;
}

std::optional<UnixMillis> NextAbsoluteTime(const CronSchedule& s, const cctz::time_zone& tz,
                                           std::int64_t after, int offset, Civil start) {
  // Between two clock changes, local time is UTC plus one offset: search local time there,
  // and when the match lies past the next change, search again from the change.
  std::int64_t t = after;
  for (int turn = 0; turn < 4096; ++turn) {
    std::int64_t change = std::numeric_limits<std::int64_t>::max();
    cctz::time_zone::civil_transition transition;
    if (tz.next_transition(Seconds(std::chrono::seconds(t)), &transition)) {
      change = (transition.from - cctz::civil_second(1970, 1, 1, 0, 0, 0)) - offset;
    }
    std::optional<Civil> c = NextLocal(s, start, std::min(start.year + kSearchYears, kLastYear));
    if (!c) return std::nullopt;
    std::int64_t candidate = LocalSeconds(*c) - offset;
    if (candidate < change) return Fire(candidate);
    t = change;
    cctz::time_zone::absolute_lookup al = tz.lookup(Seconds(std::chrono::seconds(t)));
    offset = al.offset;
    start = CeilMinute(al.cs);
  }
  return std::nullopt;
}

}  // namespace

Result<CronSchedule> CronSchedule::Parse(std::string_view expr) {
  std::string upper(expr);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  std::vector<std::string_view> parts;
  std::string_view rest = upper;
  while (true) {
    std::size_t begin = rest.find_first_not_of(" \t");
    if (begin == std::string_view::npos) break;
    rest.remove_prefix(begin);
    std::size_t end = rest.find_first_of(" \t");
    parts.push_back(rest.substr(0, end));
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end);
  }
  if (parts.size() != 5) {
    return InvalidArgument(
        "schedule: expected 5 fields (minute hour day-of-month month day-of-week), got " +
        std::to_string(parts.size()));
  }
  // The fields as given (not upper-cased), for messages.
  std::string_view original = expr;
  auto as_given = [&](int i) {
    return original.substr(static_cast<std::size_t>(parts[i].data() - upper.data()),
                           parts[i].size());
  };

  FieldSet sets[5];
  for (int i = 0; i < 5; ++i) {
    std::string problem;
    if (!FieldParser(static_cast<Field>(i), upper, expr, problem).Parse(parts[i], sets[i])) {
      return InvalidArgument("schedule: the " + std::string(kFieldNames[i]) + " field " +
                             Quote(as_given(i)) + " " + problem);
    }
  }

  CronSchedule s;
  std::size_t first = expr.find_first_not_of(" \t");
  std::size_t last = expr.find_last_not_of(" \t");
  s.text_ = std::string(expr.substr(first, last - first + 1));
  CronFields& f = s.fields_;
  f.minutes = sets[kMinute].values;
  f.hours = static_cast<std::uint32_t>(sets[kHour].values);
  f.days = static_cast<std::uint32_t>(sets[kDayOfMonth].values);
  f.last_day = sets[kDayOfMonth].last_day;
  f.last_weekday = sets[kDayOfMonth].last_weekday;
  f.months = static_cast<std::uint16_t>(sets[kMonth].values);
  std::uint64_t dow = sets[kDayOfWeek].values;
  f.weekdays = static_cast<std::uint8_t>((dow | dow >> 7) & 0x7f);  // 7 is Sunday
  f.last_weekdays = sets[kDayOfWeek].last_weekdays;
  f.nth_weekday = sets[kDayOfWeek].nth;
  f.day_and = parts[kDayOfMonth][0] == '*' || parts[kDayOfWeek][0] == '*';
  f.wall_time = parts[kMinute][0] != '*' && parts[kHour][0] != '*';
  for (int first_weekday = 0; first_weekday < 7; ++first_weekday) {
    std::uint32_t days = 0;
    for (int d = 1; d <= 31; ++d) {
      int weekday = (first_weekday + d - 1) % 7;
      int week = (d + 6) / 7;
      if ((f.weekdays >> weekday & 1) || (f.nth_weekday[weekday] >> week & 1)) days |= 1u << d;
    }
    s.weekday_days_by_first_[first_weekday] = days;
  }

  // Every month shape (length and first weekday) happens in every 400 years: an expression
  // that matches none of them never matches.
  bool any = false;
  bool any_date = false;
  for (int m = 1; m <= 12; ++m) {
    if ((f.months >> m & 1) == 0) continue;
    for (int length : {DaysInMonth(2001, m), DaysInMonth(2000, m)}) {
      for (int first_weekday = 0; first_weekday < 7; ++first_weekday) {
        any = any || s.DayMask(length, first_weekday) != 0;
        any_date = any_date || DatesMatched(f, length, first_weekday) != 0;
      }
    }
  }
  if (!any) {
    if (!any_date) {
      return InvalidArgument("schedule: the day-of-month field " + Quote(as_given(kDayOfMonth)) +
                             " never matches in the month field " + Quote(as_given(kMonth)));
    }
    std::string months =
        as_given(kMonth) == "*" ? "" : " in the month field " + Quote(as_given(kMonth));
    return InvalidArgument("schedule: the day-of-month field " + Quote(as_given(kDayOfMonth)) +
                           " and the day-of-week field " + Quote(as_given(kDayOfWeek)) +
                           " never match the same day" + months);
  }
  return s;
}

std::uint32_t CronSchedule::DayMask(int length, int first_weekday) const {
  const CronFields& f = fields_;
  std::uint32_t by_date = DatesMatched(f, length, first_weekday);
  std::uint32_t by_weekday = weekday_days_by_first_[first_weekday] & InMonth(length);
  for (unsigned rest = f.last_weekdays; rest != 0; rest &= rest - 1) {
    int weekday = std::countr_zero(rest);
    int first = 1 + (weekday - first_weekday + 7) % 7;
    by_weekday |= 1u << (first + (length - first) / 7 * 7);
  }
  return f.day_and ? by_date & by_weekday : by_date | by_weekday;
}

std::optional<UnixMillis> Next(const CronSchedule& schedule, const TimeZone& zone,
                               UnixMillis after) {
  std::int64_t after_secs = after / 1000 - (after % 1000 < 0 ? 1 : 0);
  if (after_secs >= kEndOfTime) return std::nullopt;
  const cctz::time_zone& tz = zone.cctz_zone();
  cctz::time_zone::absolute_lookup al = tz.lookup(Seconds(std::chrono::seconds(after_secs)));
  // The first whole local minute after `after`.
  Civil start = FromCctz(cctz::civil_minute(al.cs) + 1);
  if (schedule.fields().wall_time) return NextWallTime(schedule, tz, after_secs, start);
  return NextAbsoluteTime(schedule, tz, after_secs, al.offset, start);
}

}  // namespace heartbeat
