// core/cron.h against the minute-by-minute oracle (cron_oracle.h) on random expressions:
// every field random (lists, ranges, steps, names in any case, L, LW, nL, x#k), in zones with
// one-hour, half-hour and no daylight saving and a quarter-hour offset, from random times
// and from times close to clock changes. The generator works out what each expression must
// match on its own, so the parse is checked too.

#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <string>

#include "core/cron.h"
#include "core/cron_oracle.h"
#include "core/time_format.h"

namespace heartbeat::cron_property_test {
namespace {

constexpr const char* kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr const char* kDayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

struct Generated {
  std::string text;
  CronFields fields;  // what it must parse to
};

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : rng_(seed) {}

  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(int percent) { return Uniform(1, 100) <= percent; }

  // A random expression. With `hour`, its hour field also matches that hour, and its day
  // fields are mostly '*' (to aim at a clock change).
  Generated Expression(std::optional<int> hour = std::nullopt) {
    Generated g;
    std::string fields[5];
    std::uint64_t values[5] = {};
    // field: minute, hour, day of month, month, day of week
    const int lo[] = {0, 0, 1, 1, 0};
    const int hi[] = {59, 23, 31, 12, 7};
    const int star_percent[] = {10, 25, 50, 60, 50};
    for (int f = 0; f < 5; ++f) {
      if (hour && f >= 2 && Chance(80)) {
        fields[f] = "*";
        values[f] = Span(lo[f], hi[f], 1);
        continue;
      }
      int terms = Chance(75) ? 1 : Chance(70) ? 2 : 3;
      for (int i = 0; i < terms; ++i) {
        if (i > 0) fields[f] += ",";
        fields[f] += Term(f, lo[f], hi[f], i == 0 ? star_percent[f] : 5, values[f], g.fields);
      }
      if (hour && f == 1) {
        fields[f] += "," + std::to_string(*hour);
        values[f] |= std::uint64_t{1} << *hour;
      }
    }
    CronFields& e = g.fields;
    e.minutes = values[0];
    e.hours = static_cast<std::uint32_t>(values[1]);
    e.days = static_cast<std::uint32_t>(values[2]);
    e.months = static_cast<std::uint16_t>(values[3]);
    e.weekdays = static_cast<std::uint8_t>((values[4] | values[4] >> 7) & 0x7f);
    e.day_and = fields[2][0] == '*' || fields[4][0] == '*';
    e.wall_time = fields[0][0] != '*' && fields[1][0] != '*';
    for (int f = 0; f < 5; ++f) g.text += (f ? " " : "") + fields[f];
    return g;
  }

 private:
  std::string Value(int field, int v) {
    if (field == 3 && Chance(40)) return Case(kMonthNames[v - 1]);
    if (field == 4 && v <= 6 && Chance(40)) return Case(kDayNames[v]);
    return std::to_string(v);
  }

  std::string Case(std::string s) {
    for (char& c : s) {
      if (Chance(50)) c = static_cast<char>(c - 'a' + 'A');
    }
    return s;
  }

  static std::uint64_t Span(int from, int to, int step) {
    std::uint64_t bits = 0;
    for (int v = from; v <= to; v += step) bits |= std::uint64_t{1} << v;
    return bits;
  }

  std::string Term(int field, int lo, int hi, int star_percent, std::uint64_t& values,
                   CronFields& e) {
    if (Chance(star_percent)) {
      if (Chance(70)) {
        values |= Span(lo, hi, 1);
        return "*";
      }
      int step = Uniform(1, hi - lo + 3);
      values |= Span(lo, hi, step);
      return "*/" + std::to_string(step);
    }
    if (field == 2 && Chance(12)) {
      bool weekday = Chance(50);
      (weekday ? e.last_weekday : e.last_day) = true;
      return weekday ? "LW" : "L";
    }
    if (field == 4 && Chance(25)) {
      int day = Uniform(0, 7);
      if (Chance(50)) {
        e.last_weekdays |= static_cast<std::uint8_t>(1u << (day % 7));
        return std::to_string(day) + "L";
      }
      int week = Uniform(1, 5);
      e.nth_weekday[day % 7] |= static_cast<std::uint8_t>(1u << week);
      return Value(field, day) + "#" + std::to_string(week);
    }
    int a = Uniform(lo, hi);
    switch (Uniform(0, 3)) {
      case 0:
        values |= std::uint64_t{1} << a;
        return Value(field, a);
      case 1: {
        int b = Uniform(a, std::min(hi, a + Uniform(0, hi - lo)));
        values |= Span(a, b, 1);
        return Value(field, a) + "-" + Value(field, b);
      }
      case 2: {
        int b = Uniform(a, hi);
        int step = Uniform(1, hi - lo + 1);
        values |= Span(a, b, step);
        return Value(field, a) + "-" + Value(field, b) + "/" + std::to_string(step);
      }
      default: {
        int step = Uniform(1, hi - lo + 1);
        values |= Span(a, hi, step);
        return Value(field, a) + "/" + std::to_string(step);
      }
    }
  }

  std::mt19937_64 rng_;
};

// Does any day of the 400-year Gregorian cycle match the day and month fields?
bool AnyDayMatches(const CronFields& f) {
  using namespace std::chrono;
  sys_days d = sys_days(2000y / January / 1);
  for (int i = 0; i < 146'097; ++i, d += days(1)) {
    year_month_day ymd(d);
    if ((f.months >> unsigned(ymd.month()) & 1) &&
        cron_oracle::DayMatches(f, int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day()))) {
      return true;
    }
  }
  return false;
}

// Compares Next with the oracle for up to `steps` firings from `after`; false on a mismatch
// (reported).
void ExpectSameFirings(const Generated& g, const CronSchedule& s, const TimeZone& tz,
                       UnixMillis after, int steps, int& compared) {
  constexpr UnixMillis kHorizon = 400LL * 86'400'000;
  SCOPED_TRACE(tz.name() + " after " + tz.FormatRfc3339(after));
  for (int step = 0; step < steps; ++step) {
    std::optional<UnixMillis> expected =
        cron_oracle::Next(g.fields, tz.cctz_zone(), after, after + kHorizon);
    std::optional<UnixMillis> got = Next(s, tz, after);
    ++compared;
    if (!expected) {
      // Nothing within the horizon: Next finds a later time.
      ASSERT_TRUE(got.has_value());
      ASSERT_GT(*got, after + kHorizon);
      return;
    }
    ASSERT_TRUE(got.has_value()) << "expected " << tz.FormatRfc3339(*expected);
    ASSERT_EQ(tz.FormatRfc3339(*got), tz.FormatRfc3339(*expected)) << "step " << step;
    ASSERT_EQ(*got, *expected);
    after = *got;
  }
}

TEST(CronProperty, NextEqualsTheMinuteByMinuteOracle) {
  const char* zones[] = {"UTC", "Europe/Riga", "America/New_York", "Australia/Lord_Howe",
                         "Asia/Kathmandu"};
  constexpr int kExpressions = 500;
  Generator gen(20260415);
  std::mt19937_64 rng(7);
  const UnixMillis from = *ParseRfc3339("2024-01-01T00:00:00Z");
  const UnixMillis to = *ParseRfc3339("2027-01-01T00:00:00Z");
  int compared = 0;
  int refused = 0;
  int near_changes = 0;
  for (int i = 0; i < kExpressions; ++i) {
    Generated g = gen.Expression();
    SCOPED_TRACE(g.text);
    Result<CronSchedule> s = CronSchedule::Parse(g.text);
    if (!s.ok()) {
      // Only an expression that can never match is refused.
      EXPECT_FALSE(AnyDayMatches(g.fields)) << s.error().message;
      EXPECT_NE(s.error().message.find("never match"), std::string::npos) << s.error().message;
      ++refused;
      continue;
    }
    ASSERT_EQ(s->fields(), g.fields);
    for (int run = 0; run < 2; ++run) {
      TimeZone tz = *TimeZone::Load(zones[gen.Uniform(0, 4)]);
      UnixMillis after = std::uniform_int_distribution<UnixMillis>(from, to)(rng);
      cctz::time_zone::civil_transition change;
      if (gen.Chance(50) &&
          tz.cctz_zone().next_transition(cron_oracle::Seconds(std::chrono::seconds(after / 1000)),
                                         &change)) {
        // A few hours either side of the next clock change.
        UnixMillis at = tz.cctz_zone().lookup(change.to).trans.time_since_epoch().count() * 1000;
        after = at + std::uniform_int_distribution<UnixMillis>(-3 * 3'600'000, 3 * 3'600'000)(rng);
        ++near_changes;
      }
      ExpectSameFirings(g, *s, tz, after, 3, compared);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
  // The generator makes a few that never match, and most compare.
  EXPECT_GT(compared, kExpressions * 2);
  EXPECT_GT(near_changes, kExpressions / 2);
  RecordProperty("compared", compared);
  RecordProperty("refused", refused);
}

// Aimed at clock changes: every change of 2024-2026 in zones with one-hour and half-hour
// daylight saving, with expressions whose hour field matches the hour before, at or after the
// change, from a few hours before it.
TEST(CronProperty, AroundClockChangesNextEqualsTheOracle) {
  Generator gen(20261026);
  std::mt19937_64 rng(11);
  int compared = 0;
  int changes = 0;
  for (const char* name : {"Europe/Riga", "America/New_York", "Australia/Lord_Howe"}) {
    TimeZone tz = *TimeZone::Load(name);
    const cctz::time_zone& zone = tz.cctz_zone();
    auto t =
        cron_oracle::Seconds(std::chrono::seconds(*ParseRfc3339("2024-01-01T00:00:00Z") / 1000));
    cctz::time_zone::civil_transition change;
    while (zone.next_transition(t, &change) && change.to.year() < 2027) {
      t = zone.lookup(change.to).trans;
      ++changes;
      for (int i = 0; i < 12; ++i) {
        int hour = static_cast<int>(i % 3 == 0   ? change.from.hour()
                                    : i % 3 == 1 ? change.to.hour()
                                                 : (change.to.hour() + 23) % 24);
        Generated g = gen.Expression(hour);
        SCOPED_TRACE(g.text);
        Result<CronSchedule> s = CronSchedule::Parse(g.text);
        if (!s.ok()) continue;
        ASSERT_EQ(s->fields(), g.fields);
        UnixMillis at = t.time_since_epoch().count() * 1000;
        UnixMillis after = at - std::uniform_int_distribution<UnixMillis>(0, 4 * 3'600'000)(rng);
        ExpectSameFirings(g, *s, tz, after, 6, compared);
        if (::testing::Test::HasFatalFailure()) return;
      }
    }
  }
  EXPECT_GE(changes, 18);
  RecordProperty("compared", compared);
}

}  // namespace
}  // namespace heartbeat::cron_property_test
