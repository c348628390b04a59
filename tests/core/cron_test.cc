// core/cron.h: parsing, Next, daylight saving. Most cases are those published with cronsim
// (Healthchecks' cron library, github.com/cuu508/cronsim, tests/test_cronsim.py), translated
// case by case: the same expressions, start times, zones and expected times or errors.

#include "core/cron.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "core/cron_oracle.h"
#include "core/time_format.h"

namespace heartbeat::cron_test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::uint64_t Bits(std::initializer_list<int> values) {
  std::uint64_t bits = 0;
  for (int v : values) bits |= std::uint64_t{1} << v;
  return bits;
}

std::uint64_t Range(int from, int to, int step = 1) {
  std::uint64_t bits = 0;
  for (int v = from; v <= to; v += step) bits |= std::uint64_t{1} << v;
  return bits;
}

CronFields FieldsOf(std::string_view expr) {
  Result<CronSchedule> s = CronSchedule::Parse(expr);
  EXPECT_TRUE(s.ok()) << expr << ": " << s.error().message;
  return s.ok() ? s->fields() : CronFields{};
}

std::string ErrorOf(std::string_view expr) {
  Result<CronSchedule> s = CronSchedule::Parse(expr);
  EXPECT_FALSE(s.ok()) << expr << " parsed";
  return s.ok() ? std::string() : s.error().message;
}

UnixMillis At(std::string_view rfc3339) {
  Result<UnixMillis> t = ParseRfc3339(rfc3339);
  EXPECT_TRUE(t.ok()) << rfc3339;
  return t.ok() ? *t : 0;
}

TimeZone Zone(std::string_view name) {
  Result<TimeZone> tz = TimeZone::Load(name);
  EXPECT_TRUE(tz.ok()) << name;
  return tz.ok() ? *tz : TimeZone::Utc();
}

// The next `count` firings from `start`, each written in the zone.
std::vector<std::string> Firings(std::string_view expr, std::string_view zone,
                                 std::string_view start, int count) {
  Result<CronSchedule> s = CronSchedule::Parse(expr);
  EXPECT_TRUE(s.ok()) << expr;
  if (!s.ok()) return {};
  TimeZone tz = Zone(zone);
  std::vector<std::string> out;
  UnixMillis after = At(start);
  for (int i = 0; i < count; ++i) {
    std::optional<UnixMillis> next = Next(*s, tz, after);
    if (!next) break;
    out.push_back(tz.FormatRfc3339(*next));
    after = *next;
  }
  return out;
}

// --- cronsim TestParse ---------------------------------------------------------------------

TEST(CronParse, Stars) {
  CronFields f = FieldsOf("* * * * *");
  EXPECT_EQ(f.minutes, Range(0, 59));
  EXPECT_EQ(f.hours, Range(0, 23));
  EXPECT_EQ(f.days, Range(1, 31));
  EXPECT_EQ(f.months, Range(1, 12));
  EXPECT_EQ(f.weekdays, Range(0, 6));  // cronsim keeps 0-7; 7 is Sunday, bit 0 here
  EXPECT_FALSE(f.last_day);
  EXPECT_FALSE(f.last_weekday);
  EXPECT_EQ(f.last_weekdays, 0);
  EXPECT_TRUE(f.day_and);
  EXPECT_FALSE(f.wall_time);
}

TEST(CronParse, Number) { EXPECT_EQ(FieldsOf("1 * * * *").minutes, Bits({1})); }
TEST(CronParse, Weekday) { EXPECT_EQ(FieldsOf("* * * * 1").weekdays, Bits({1})); }
TEST(CronParse, ZeroIsSunday) { EXPECT_EQ(FieldsOf("* * * * 0").weekdays, Bits({0})); }
TEST(CronParse, List) { EXPECT_EQ(FieldsOf("1,2,3 * * * *").minutes, Bits({1, 2, 3})); }
TEST(CronParse, Interval) { EXPECT_EQ(FieldsOf("1-3 * * * *").minutes, Bits({1, 2, 3})); }

TEST(CronParse, TwoIntervals) {
  EXPECT_EQ(FieldsOf("1-3,7-9 * * * *").minutes, Bits({1, 2, 3, 7, 8, 9}));
}

TEST(CronParse, Step) { EXPECT_EQ(FieldsOf("*/15 * * * *").minutes, Bits({0, 15, 30, 45})); }

TEST(CronParse, IntervalWithStep) {
  EXPECT_EQ(FieldsOf("0-10/2 * * * *").minutes, Bits({0, 2, 4, 6, 8, 10}));
}

TEST(CronParse, StartWithStepRunsToTheEndOfTheField) {
  EXPECT_EQ(FieldsOf("5/15 * * * *").minutes, Bits({5, 20, 35, 50}));
}

TEST(CronParse, DayL) {
  CronFields f = FieldsOf("* * L * *");
  EXPECT_EQ(f.days, 0u);
  EXPECT_TRUE(f.last_day);
}

TEST(CronParse, DayLW) {
  CronFields f = FieldsOf("* * LW * *");
  EXPECT_EQ(f.days, 0u);
  EXPECT_TRUE(f.last_weekday);
}

TEST(CronParse, DayLowercaseL) { EXPECT_TRUE(FieldsOf("* * l * *").last_day); }
TEST(CronParse, DayLowercaseLW) { EXPECT_TRUE(FieldsOf("* * lw * *").last_weekday); }

TEST(CronParse, UnrestrictedDayRestrictedWeekdayIsAnd) {
  CronFields f = FieldsOf("* * * * 1");
  EXPECT_EQ(f.days, Range(1, 31));
  EXPECT_EQ(f.weekdays, Bits({1}));
  EXPECT_TRUE(f.day_and);
}

TEST(CronParse, RestrictedDayUnrestrictedWeekdayIsAnd) {
  CronFields f = FieldsOf("* * 1 * *");
  EXPECT_EQ(f.days, Bits({1}));
  EXPECT_EQ(f.weekdays, Range(0, 6));
  EXPECT_TRUE(f.day_and);
}

TEST(CronParse, NthWeekday) {
  CronFields f = FieldsOf("* * * * 1#2");
  EXPECT_EQ(f.weekdays, 0);
  EXPECT_EQ(f.nth_weekday[1], Bits({2}));
}

TEST(CronParse, SymbolicWeekday) { EXPECT_EQ(FieldsOf("* * * * MON").weekdays, Bits({1})); }
TEST(CronParse, LowercaseSymbolicWeekday) {
  EXPECT_EQ(FieldsOf("* * * * mon").weekdays, Bits({1}));
}
TEST(CronParse, SymbolicMonth) { EXPECT_EQ(FieldsOf("* * * JAN *").months, Bits({1})); }
TEST(CronParse, WeekdayRangeFromZero) {
  EXPECT_EQ(FieldsOf("* * * * 0-2").weekdays, Bits({0, 1, 2}));
}
TEST(CronParse, SunTue) { EXPECT_EQ(FieldsOf("* * * * sun-tue").weekdays, Bits({0, 1, 2})); }

TEST(CronParse, WeekdayStepStartsFromZero) {
  EXPECT_EQ(FieldsOf("* * * * */2").weekdays, Bits({0, 2, 4, 6}));
}

TEST(CronParse, LWithStep) {
  CronFields f = FieldsOf("* * L/2 * *");
  EXPECT_TRUE(f.last_day);
  EXPECT_EQ(f.days, 0u);
}

TEST(CronParse, LWWithStep) {
  CronFields f = FieldsOf("* * LW/2 * *");
  EXPECT_TRUE(f.last_weekday);
  EXPECT_EQ(f.days, 0u);
}

TEST(CronParse, MixOfWeekdaysAndNth) {
  CronFields f = FieldsOf("* * * * 1,2,3#1");
  EXPECT_EQ(f.weekdays, Bits({1, 2}));
  EXPECT_EQ(f.nth_weekday[3], Bits({1}));
}

TEST(CronParse, SevenIsSunday) { EXPECT_EQ(FieldsOf("* * * * 7").weekdays, Bits({0})); }

TEST(CronParse, WeekdayL) {
  CronFields f = FieldsOf("* * * * 5L");
  EXPECT_EQ(f.weekdays, 0);
  EXPECT_EQ(f.last_weekdays, Bits({5}));
}

// Not in cronsim: the rules of SPEC §12 that the parse records.
TEST(CronParse, DaysAreOredWhenNeitherFieldStartsWithAStar) {
  EXPECT_FALSE(FieldsOf("0 0 1,15 * MON").day_and);
  EXPECT_TRUE(FieldsOf("0 0 */2 * MON").day_and);
  EXPECT_TRUE(FieldsOf("0 0 1 * */2").day_and);
}

TEST(CronParse, WallTimeWhenNeitherMinuteNorHourStartsWithAStar) {
  EXPECT_TRUE(FieldsOf("30 3 * * *").wall_time);
  EXPECT_TRUE(FieldsOf("0 1-5 * * *").wall_time);
  EXPECT_FALSE(FieldsOf("0 */2 * * *").wall_time);
  EXPECT_FALSE(FieldsOf("*/30 3 * * *").wall_time);
  EXPECT_FALSE(FieldsOf("* 3 * * *").wall_time);
}

TEST(CronParse, KeepsTheTextTrimmed) {
  Result<CronSchedule> s = CronSchedule::Parse("  0 3\t* * mon ");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->text(), "0 3\t* * mon");
}

TEST(CronParse, ARangeWithAStepStaysInTheRange) {
  EXPECT_EQ(FieldsOf("5-5/10 * * * *").minutes, Bits({5}));
  EXPECT_EQ(FieldsOf("10-50/10 * * * *").minutes, Bits({10, 20, 30, 40, 50}));
  EXPECT_EQ(FieldsOf("* * * * MON-FRI/2").weekdays, Bits({1, 3, 5}));
  EXPECT_EQ(FieldsOf("* * * * 1/2").weekdays, Bits({0, 1, 3, 5}));  // 1,3,5,7
}

// --- cronsim TestValidation ----------------------------------------------------------------

TEST(CronValidation, RejectsFourFields) {
  EXPECT_EQ(ErrorOf("* * * *"),
            "schedule: expected 5 fields (minute hour day-of-month month day-of-week), got 4");
}

TEST(CronValidation, RejectsSixFieldsWhichCronsimReadsAsSeconds) {
  EXPECT_THAT(ErrorOf("*/15 * * * * *"), HasSubstr("expected 5 fields"));
  EXPECT_THAT(ErrorOf(""), HasSubstr("got 0"));
}

TEST(CronValidation, RejectsBadValuesInEveryPosition) {
  struct Pattern {
    const char* format;  // %s is the bad value
    const char* field;   // named in the message, or "5 fields"
  };
  const Pattern patterns[] = {
      {"%s * * * *", "the minute field"},
      {"* %s * * *", "the hour field"},
      {"* * %s * *", "the day-of-month field"},
      {"* * * %s * ", "the month field"},
      {"* * * * %s", "the day-of-week field"},
      {"* * * * * %s", "5 fields"},
      {"* * * * * * %s", "5 fields"},
      {"1-%s * * * *", "the minute field"},
      {"%s-60 * * * *", "the minute field"},
      {"* * 1-%s * *", "the day-of-month field"},
      {"* * 1,%s * *", "the day-of-month field"},
      {"* * %s/1 * *", "the day-of-month field"},
      {"* * * %s-DEC *", "the month field"},
      {"* * * JAN-%s *", "the month field"},
      {"* * * * %s-SUN", "the day-of-week field"},
      {"* * * * MON-%s", "the day-of-week field"},
      {"1-%s * * * * *", "5 fields"},
      {"%s-60 * * * * *", "5 fields"},
  };
  const char* bad_values[] = {"-1", "61",   "ABC",  "2/", "/2", "2#",
                              "#2", "1##1", "1//2", "¹",  "LL", "LWX"};
  int checked = 0;
  for (const Pattern& p : patterns) {
    for (const char* value : bad_values) {
      std::string expr = p.format;
      expr.replace(expr.find("%s"), 2, value);
      SCOPED_TRACE(expr);
      EXPECT_THAT(ErrorOf(expr), HasSubstr(p.field));
      ++checked;
    }
  }
  EXPECT_EQ(checked, 18 * 12);
}

TEST(CronValidation, RejectsLopsidedRange) {
  EXPECT_EQ(ErrorOf("* * 5-1 * *"),
            "schedule: the day-of-month field \"5-1\" has the range \"5-1\", which ends before it "
            "starts");
}

TEST(CronValidation, RejectsUnderscores) {
  EXPECT_EQ(ErrorOf("1-1_0 * * * *"),
            "schedule: the minute field \"1-1_0\" has \"1_0\", which is not a number");
}

TEST(CronValidation, RejectsZeroStep) {
  EXPECT_EQ(ErrorOf("*/0 * * * *"), "schedule: the minute field \"*/0\" has a step of 0");
}

TEST(CronValidation, RejectsZeroNth) {
  EXPECT_THAT(ErrorOf("* * * * 1#0"),
              StartsWith("schedule: the day-of-week field \"1#0\" has \"1#0\": the week after # "
                         "is 1 to 5"));
}

TEST(CronValidation, RejectsBigNth) {
  EXPECT_THAT(ErrorOf("* * * * 1#6"), StartsWith("schedule: the day-of-week field \"1#6\""));
}

TEST(CronValidation, ChecksDayOfMonthAgainstTheMonths) {
  EXPECT_EQ(ErrorOf("* * 30 2 *"),
            "schedule: the day-of-month field \"30\" never matches in the month field \"2\"");
  EXPECT_EQ(ErrorOf("* * 31 4 *"),
            "schedule: the day-of-month field \"31\" never matches in the month field \"4\"");
}

TEST(CronValidation, RejectsWeekdayLRange) {
  EXPECT_THAT(ErrorOf("* * * * 5L-6"), StartsWith("schedule: the day-of-week field \"5L-6\""));
}

TEST(CronValidation, RejectsWeekdayLHash) {
  EXPECT_THAT(ErrorOf("* * * * 5L#1"), StartsWith("schedule: the day-of-week field \"5L#1\""));
}

TEST(CronValidation, RejectsWeekdayLSlash) {
  EXPECT_THAT(ErrorOf("* * * * 5L/3"), StartsWith("schedule: the day-of-week field \"5L/3\""));
}

TEST(CronValidation, RejectsSymbolicWeekdayL) {
  EXPECT_EQ(ErrorOf("* * * * MONL"),
            "schedule: the day-of-week field \"MONL\" has \"MONL\": L in day-of-week follows a "
            "day number, as in 5L (the last Friday)");
}

// cronsim iterates "1 1 */100 * MON#4" (the 1st of the month and its fourth Monday) until
// it gives up after 50 years; SPEC §12 refuses an expression that can never match.
TEST(CronValidation, RejectsDaysThatNeverMeet) {
  EXPECT_EQ(ErrorOf("1 1 */100 * MON#4"),
            "schedule: the day-of-month field \"*/100\" and the day-of-week field \"MON#4\" never "
            "match the same day");
  // cronsim's README: the 1st and 21st, if it is the last Monday.
  EXPECT_THAT(ErrorOf("* * */20 * 1L"), HasSubstr("never match the same day"));
  EXPECT_THAT(ErrorOf("0 0 */40 FEB 1#2"),
              HasSubstr("never match the same day in the month field \"FEB\""));
}

// Debian's cron ORs the two day fields here, so the Mondays of February still match
// (cronsim refuses it, looking at the day of month alone).
TEST(CronValidation, DayOfMonthThatNeverMatchesIsFineWhenOredWithWeekdays) {
  EXPECT_EQ(Firings("0 0 30 2 MON", "UTC", "2026-01-01T00:00:00Z", 2),
            (std::vector<std::string>{"2026-02-02T00:00:00+00:00", "2026-02-09T00:00:00+00:00"}));
}

// --- cronsim TestIterator and README ---------------------------------------------------------

struct IteratorCase {
  const char* expr;
  const char* zone;
  const char* start;
  std::vector<std::string> expected;
};

class CronsimIterator : public ::testing::TestWithParam<IteratorCase> {};

TEST_P(CronsimIterator, GivesTheSameTimes) {
  const IteratorCase& c = GetParam();
  EXPECT_EQ(Firings(c.expr, c.zone, c.start, static_cast<int>(c.expected.size())), c.expected)
      << c.expr << " from " << c.start << " in " << c.zone;
}

// cronsim's NOW, a naive datetime(2020, 1, 1): UTC here.
constexpr const char* kNow = "2020-01-01T00:00:00Z";

INSTANTIATE_TEST_SUITE_P(
    Iterator, CronsimIterator,
    ::testing::Values(IteratorCase{"1 1 L * *", "UTC", kNow, {"2020-01-31T01:01:00+00:00"}},
                      IteratorCase{"1 1 LW 5 *", "UTC", kNow, {"2020-05-29T01:01:00+00:00"}},
                      IteratorCase{"1 1 * * 5L",
                                   "UTC",
                                   kNow,
                                   {"2020-01-31T01:01:00+00:00", "2020-02-28T01:01:00+00:00",
                                    "2020-03-27T01:01:00+00:00", "2020-04-24T01:01:00+00:00",
                                    "2020-05-29T01:01:00+00:00", "2020-06-26T01:01:00+00:00",
                                    "2020-07-31T01:01:00+00:00", "2020-08-28T01:01:00+00:00",
                                    "2020-09-25T01:01:00+00:00", "2020-10-30T01:01:00+00:00",
                                    "2020-11-27T01:01:00+00:00", "2020-12-25T01:01:00+00:00"}},
                      IteratorCase{"1 1 * * 0L", "UTC", kNow, {"2020-01-26T01:01:00+00:00"}},
                      IteratorCase{"1 1 * * 7L", "UTC", kNow, {"2020-01-26T01:01:00+00:00"}},
                      IteratorCase{"1 1 * * 1#2", "UTC", kNow, {"2020-01-13T01:01:00+00:00"}},
                      // The first Sunday of the month.
                      IteratorCase{"1 1 1-7 * */7",
                                   "UTC",
                                   kNow,
                                   {"2020-01-05T01:01:00+00:00", "2020-02-02T01:01:00+00:00",
                                    "2020-03-01T01:01:00+00:00", "2020-04-05T01:01:00+00:00"}},
                      // The first Monday of the month.
                      IteratorCase{"1 1 */100,1-7 * MON",
                                   "UTC",
                                   kNow,
                                   {"2020-01-06T01:01:00+00:00", "2020-02-03T01:01:00+00:00",
                                    "2020-03-02T01:01:00+00:00", "2020-04-06T01:01:00+00:00"}},
                      // Every third weekday from Sunday: Sunday, Wednesday, Saturday.
                      IteratorCase{"1 1 * * */3",
                                   "UTC",
                                   kNow,
                                   {"2020-01-01T01:01:00+00:00", "2020-01-04T01:01:00+00:00",
                                    "2020-01-05T01:01:00+00:00", "2020-01-08T01:01:00+00:00"}},
                      // README: the fifth Monday of February.
                      IteratorCase{"0 0 * 2 MON#5",
                                   "UTC",
                                   kNow,
                                   {"2044-02-29T00:00:00+00:00", "2072-02-29T00:00:00+00:00",
                                    "2112-02-29T00:00:00+00:00", "2140-02-29T00:00:00+00:00",
                                    "2168-02-29T00:00:00+00:00"}}));

// --- cronsim TestDstTransitions (Europe/Riga, 2021) --------------------------------------------
// DST begins on March 28 at 03:00 (02:59+02:00 is followed by 04:00+03:00) and ends on
// October 31 at 04:00 (03:59+03:00 is followed by 03:00+02:00).

INSTANTIATE_TEST_SUITE_P(
    DstTransitions, CronsimIterator,
    ::testing::Values(
        // 001: every hour
        IteratorCase{"0 * * * *",
                     "Europe/Riga",
                     "2021-03-28T01:30:00+02:00",
                     {"2021-03-28T02:00:00+02:00", "2021-03-28T04:00:00+03:00"}},
        IteratorCase{"0 * * * *",
                     "Europe/Riga",
                     "2021-10-31T01:30:00+03:00",
                     {"2021-10-31T02:00:00+03:00", "2021-10-31T03:00:00+03:00",
                      "2021-10-31T03:00:00+02:00", "2021-10-31T04:00:00+02:00"}},
        // 002: every 30 minutes
        IteratorCase{"*/30 * * * *",
                     "Europe/Riga",
                     "2021-03-28T02:10:00+02:00",
                     {"2021-03-28T02:30:00+02:00", "2021-03-28T04:00:00+03:00",
                      "2021-03-28T04:30:00+03:00"}},
        IteratorCase{"*/30 * * * *",
                     "Europe/Riga",
                     "2021-10-31T02:10:00+03:00",
                     {"2021-10-31T02:30:00+03:00", "2021-10-31T03:00:00+03:00",
                      "2021-10-31T03:30:00+03:00", "2021-10-31T03:00:00+02:00",
                      "2021-10-31T03:30:00+02:00", "2021-10-31T04:00:00+02:00"}},
        // 003: every 15 minutes
        IteratorCase{"*/15 * * * *",
                     "Europe/Riga",
                     "2021-03-28T02:40:00+02:00",
                     {"2021-03-28T02:45:00+02:00", "2021-03-28T04:00:00+03:00"}},
        IteratorCase{
            "*/15 * * * *",
            "Europe/Riga",
            "2021-10-31T02:40:00+03:00",
            {"2021-10-31T02:45:00+03:00", "2021-10-31T03:00:00+03:00", "2021-10-31T03:15:00+03:00",
             "2021-10-31T03:30:00+03:00", "2021-10-31T03:45:00+03:00", "2021-10-31T03:00:00+02:00",
             "2021-10-31T03:15:00+02:00", "2021-10-31T03:30:00+02:00", "2021-10-31T03:45:00+02:00",
             "2021-10-31T04:00:00+02:00"}},
        // 004: every 2 hours
        IteratorCase{"0 */2 * * *",
                     "Europe/Riga",
                     "2021-03-28T01:30:00+02:00",
                     {"2021-03-28T02:00:00+02:00", "2021-03-28T04:00:00+03:00",
                      "2021-03-28T06:00:00+03:00"}},
        IteratorCase{"0 */2 * * *",
                     "Europe/Riga",
                     "2021-10-31T01:30:00+03:00",
                     {"2021-10-31T02:00:00+03:00", "2021-10-31T04:00:00+02:00",
                      "2021-10-31T06:00:00+02:00"}},
        // 005: 30 minutes past every 2 hours
        IteratorCase{"30 */2 * * *",
                     "Europe/Riga",
                     "2021-03-28T01:30:00+02:00",
                     {"2021-03-28T02:30:00+02:00", "2021-03-28T04:30:00+03:00"}},
        IteratorCase{"30 */2 * * *",
                     "Europe/Riga",
                     "2021-10-31T01:30:00+03:00",
                     {"2021-10-31T02:30:00+03:00", "2021-10-31T04:30:00+02:00"}},
        // 006: every 3 hours
        IteratorCase{"0 */3 * * *",
                     "Europe/Riga",
                     "2021-10-31T01:30:00+03:00",
                     {"2021-10-31T03:00:00+03:00", "2021-10-31T03:00:00+02:00",
                      "2021-10-31T06:00:00+02:00"}},
        // 008: at 1, 2, 3, 4, 5
        IteratorCase{"0 1,2,3,4,5 * * *",
                     "Europe/Riga",
                     "2021-03-28T01:30:00+02:00",
                     {"2021-03-28T02:00:00+02:00", "2021-03-28T04:00:00+03:00",
                      "2021-03-28T05:00:00+03:00"}},
        IteratorCase{"0 1,2,3,4,5 * * *",
                     "Europe/Riga",
                     "2021-10-31T01:30:00+03:00",
                     {"2021-10-31T02:00:00+03:00", "2021-10-31T03:00:00+03:00",
                      "2021-10-31T04:00:00+02:00"}},
        // 009: 30 past 1, 2, 3, 4, 5
        IteratorCase{"30 1,2,3,4,5 * * *",
                     "Europe/Riga",
                     "2021-03-28T01:30:00+02:00",
                     {"2021-03-28T02:30:00+02:00", "2021-03-28T04:00:00+03:00",
                      "2021-03-28T04:30:00+03:00"}},
        IteratorCase{"30 1,2,3,4,5 * * *",
                     "Europe/Riga",
                     "2021-10-31T01:30:00+03:00",
                     {"2021-10-31T02:30:00+03:00", "2021-10-31T03:30:00+03:00",
                      "2021-10-31T04:30:00+02:00"}},
        // 010: at 2
        IteratorCase{"0 2 * * *",
                     "Europe/Riga",
                     "2021-03-28T01:30:00+02:00",
                     {"2021-03-28T02:00:00+02:00", "2021-03-29T02:00:00+03:00"}},
        IteratorCase{"0 2 * * *",
                     "Europe/Riga",
                     "2021-10-31T01:30:00+03:00",
                     {"2021-10-31T02:00:00+03:00", "2021-11-01T02:00:00+02:00"}},
        // 011: at 3
        IteratorCase{"0 3 * * *",
                     "Europe/Riga",
                     "2021-03-27T01:30:00+02:00",
                     {"2021-03-27T03:00:00+02:00", "2021-03-28T04:00:00+03:00",
                      "2021-03-29T03:00:00+03:00"}},
        IteratorCase{"0 3 * * *",
                     "Europe/Riga",
                     "2021-10-31T01:30:00+03:00",
                     {"2021-10-31T03:00:00+03:00", "2021-11-01T03:00:00+02:00"}},
        // 012: at 4
        IteratorCase{"0 4 * * *",
                     "Europe/Riga",
                     "2021-03-27T01:30:00+02:00",
                     {"2021-03-27T04:00:00+02:00", "2021-03-28T04:00:00+03:00",
                      "2021-03-29T04:00:00+03:00"}},
        IteratorCase{"0 4 * * *",
                     "Europe/Riga",
                     "2021-10-30T01:30:00+03:00",
                     {"2021-10-30T04:00:00+03:00", "2021-10-31T04:00:00+02:00",
                      "2021-11-01T04:00:00+02:00"}},
        // 014: every hour, enumerated
        IteratorCase{"0 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23 * * *",
                     "Europe/Riga",
                     "2021-03-28T01:30:00+02:00",
                     {"2021-03-28T02:00:00+02:00", "2021-03-28T04:00:00+03:00",
                      "2021-03-28T05:00:00+03:00"}},
        IteratorCase{"0 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23 * * *",
                     "Europe/Riga",
                     "2021-10-31T01:30:00+03:00",
                     {"2021-10-31T02:00:00+03:00", "2021-10-31T03:00:00+03:00",
                      "2021-10-31T04:00:00+02:00"}},
        // 015: every other hour, enumerated
        IteratorCase{"0 1,3,5,7,9,11,13,15,17,19,21,23 * * *",
                     "Europe/Riga",
                     "2021-03-28T00:30:00+02:00",
                     {"2021-03-28T01:00:00+02:00", "2021-03-28T04:00:00+03:00",
                      "2021-03-28T05:00:00+03:00"}},
        IteratorCase{"0 1,3,5,7,9,11,13,15,17,19,21,23 * * *",
                     "Europe/Riga",
                     "2021-10-31T00:30:00+03:00",
                     {"2021-10-31T01:00:00+03:00", "2021-10-31T03:00:00+03:00",
                      "2021-10-31T05:00:00+02:00"}},
        // 016: at 1 to 5
        IteratorCase{"0 1-5 * * *",
                     "Europe/Riga",
                     "2021-03-28T01:30:00+02:00",
                     {"2021-03-28T02:00:00+02:00", "2021-03-28T04:00:00+03:00",
                      "2021-03-28T05:00:00+03:00"}},
        IteratorCase{"0 1-5 * * *",
                     "Europe/Riga",
                     "2021-10-31T01:30:00+03:00",
                     {"2021-10-31T02:00:00+03:00", "2021-10-31T03:00:00+03:00",
                      "2021-10-31T04:00:00+02:00"}},
        // at 3:15
        IteratorCase{"15 3 * * *",
                     "Europe/Riga",
                     "2021-03-27T00:00:00+02:00",
                     {"2021-03-27T03:15:00+02:00", "2021-03-28T04:00:00+03:00",
                      "2021-03-29T03:15:00+03:00"}},
        IteratorCase{"15 3 * * *",
                     "Europe/Riga",
                     "2021-10-30T00:00:00+03:00",
                     {"2021-10-30T03:15:00+03:00", "2021-10-31T03:15:00+03:00",
                      "2021-11-01T03:15:00+02:00"}},
        // every minute
        IteratorCase{"* * * * *",
                     "Europe/Riga",
                     "2021-03-28T02:58:00+02:00",
                     {"2021-03-28T02:59:00+02:00", "2021-03-28T04:00:00+03:00"}},
        IteratorCase{"* * * * *",
                     "Europe/Riga",
                     "2021-10-31T03:58:00+03:00",
                     {"2021-10-31T03:59:00+03:00", "2021-10-31T03:00:00+02:00",
                      "2021-10-31T03:01:00+02:00"}},
        // every minute from 1 to 6
        IteratorCase{"* 1-6 * * *",
                     "Europe/Riga",
                     "2021-03-28T02:58:00+02:00",
                     {"2021-03-28T02:59:00+02:00", "2021-03-28T04:00:00+03:00"}},
        IteratorCase{"* 1-6 * * *",
                     "Europe/Riga",
                     "2021-10-31T03:58:00+03:00",
                     {"2021-10-31T03:59:00+03:00", "2021-10-31T03:00:00+02:00",
                      "2021-10-31T03:01:00+02:00"}}));

// --- cronsim TestReverse's samples, forward ----------------------------------------------------
// cronsim checks that iterating back retraces five steps forward from four starts; Next has
// no reverse, so here the five steps forward from the same starts equal the minute-by-minute
// oracle (tests/core/cron_oracle.h). The 6-field samples are left out.

struct SampleCase {
  const char* expr;
  const char* zone;
  const char* start;
};

class CronsimSamples : public ::testing::TestWithParam<SampleCase> {};

TEST_P(CronsimSamples, FiveStepsEqualTheOracle) {
  const SampleCase& c = GetParam();
  Result<CronSchedule> s = CronSchedule::Parse(c.expr);
  ASSERT_TRUE(s.ok());
  TimeZone tz = Zone(c.zone);
  UnixMillis after = At(c.start);
  for (int step = 0; step < 5; ++step) {
    std::optional<UnixMillis> expected =
        cron_oracle::Next(s->fields(), tz.cctz_zone(), after, after + 400LL * 86'400'000);
    std::optional<UnixMillis> got = Next(*s, tz, after);
    ASSERT_TRUE(expected.has_value());
    ASSERT_TRUE(got.has_value());
    ASSERT_EQ(tz.FormatRfc3339(*got), tz.FormatRfc3339(*expected))
        << c.expr << " step " << step << " after " << tz.FormatRfc3339(after);
    after = *got;
  }
}

std::vector<SampleCase> Samples() {
  const char* exprs[] = {
      "* * * * *",
      "0 * * * *",
      "*/30 * * * *",
      "*/15 * * * *",
      "0 */2 * * *",
      "30 */2 * * *",
      "0 */3 * * *",
      "0 1,2,3,4,5 * * *",
      "30 1,2,3,4,5 * * *",
      "0 2 * * *",
      "0 3 * * *",
      "0 4 * * *",
      "0 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23 * * *",
      "0 1,3,5,7,9,11,13,15,17,19,21,23 * * *",
      "0 1-5 * * *",
      "15 3 * * *",
      "* 1-6 * * *",
      "1 1 L * *",
      "1 1 LW 5 *",
      "1 1 * * 5L",
      "1 1 * * 0L",
      "1 1 * * 7L",
      "1 1 * * 1#2",
      "1 1 1-7 * */7",
      "1 1 */100,1-7 * MON",
      "1 1 * * */3",
  };
  std::vector<SampleCase> cases;
  for (const char* e : exprs) {
    cases.push_back({e, "UTC", kNow});
    cases.push_back({e, "Europe/Riga", "2021-03-28T01:30:00+02:00"});
    cases.push_back({e, "Europe/Riga", "2021-10-31T01:30:00+03:00"});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Reverse, CronsimSamples, ::testing::ValuesIn(Samples()));

// --- Daylight-saving nights (SPEC §12) ---------------------------------------------------------
// Europe/Riga 2025: 03:00 becomes 04:00 on March 30; 04:00 becomes 03:00 on October 26.

TEST(CronDst, WallTimeFiresAtTheFirstMinuteAfterTheGap) {
  EXPECT_EQ(Firings("30 3 * * *", "Europe/Riga", "2025-03-29T12:00:00+02:00", 2),
            (std::vector<std::string>{"2025-03-30T04:00:00+03:00", "2025-03-31T03:30:00+03:00"}));
}

TEST(CronDst, WallTimeFiresOnceOnTheRepeatedHour) {
  EXPECT_EQ(Firings("30 3 * * *", "Europe/Riga", "2025-10-25T12:00:00+03:00", 2),
            (std::vector<std::string>{"2025-10-26T03:30:00+03:00", "2025-10-27T03:30:00+02:00"}));
}

TEST(CronDst, WallTimeFromInsideTheSecondPassWaitsForTheNextDay) {
  // 03:30 happened at +03:00 already (its first occurrence): not again at +02:00.
  EXPECT_EQ(Firings("30 3 * * *", "Europe/Riga", "2025-10-26T03:10:00+02:00", 1),
            (std::vector<std::string>{"2025-10-27T03:30:00+02:00"}));
  // A later minute of the repeated hour's first pass is still ahead.
  EXPECT_EQ(Firings("30 3 * * *", "Europe/Riga", "2025-10-26T03:10:00+03:00", 1),
            (std::vector<std::string>{"2025-10-26T03:30:00+03:00"}));
}

TEST(CronDst, WallTimeTimesInOneGapFireOnce) {
  EXPECT_EQ(Firings("0,20,40 3 * * *", "Europe/Riga", "2025-03-30T02:50:00+02:00", 2),
            (std::vector<std::string>{"2025-03-30T04:00:00+03:00", "2025-03-31T03:00:00+03:00"}));
}

TEST(CronDst, AbsoluteTimeFiresTwiceInTheRepeatedHour) {
  EXPECT_EQ(Firings("*/30 * * * *", "Europe/Riga", "2025-10-26T02:45:00+03:00", 5),
            (std::vector<std::string>{"2025-10-26T03:00:00+03:00", "2025-10-26T03:30:00+03:00",
                                      "2025-10-26T03:00:00+02:00", "2025-10-26T03:30:00+02:00",
                                      "2025-10-26T04:00:00+02:00"}));
  EXPECT_EQ(Firings("0 * * * *", "Europe/Riga", "2025-10-26T01:30:00+03:00", 4),
            (std::vector<std::string>{"2025-10-26T02:00:00+03:00", "2025-10-26T03:00:00+03:00",
                                      "2025-10-26T03:00:00+02:00", "2025-10-26T04:00:00+02:00"}));
}

TEST(CronDst, AbsoluteTimeNeverFiresInTheSkippedHour) {
  EXPECT_EQ(Firings("*/30 * * * *", "Europe/Riga", "2025-03-30T02:00:00+02:00", 3),
            (std::vector<std::string>{"2025-03-30T02:30:00+02:00", "2025-03-30T04:00:00+03:00",
                                      "2025-03-30T04:30:00+03:00"}));
  EXPECT_EQ(Firings("0 * * * *", "Europe/Riga", "2025-03-30T01:30:00+02:00", 2),
            (std::vector<std::string>{"2025-03-30T02:00:00+02:00", "2025-03-30T04:00:00+03:00"}));
  // Only the skipped hour matches: the day passes without a firing.
  EXPECT_EQ(Firings("*/30 3 30 3 *", "Europe/Riga", "2025-03-29T00:00:00+02:00", 1),
            (std::vector<std::string>{"2026-03-30T03:00:00+03:00"}));
}

// Lord Howe Island moves its clocks by 30 minutes: 02:00 becomes 02:30 on 2025-10-05, and
// 02:00 becomes 01:30 on 2025-04-06.
TEST(CronDst, HalfHourChangesOnLordHowe) {
  EXPECT_EQ(Firings("15 2 * * *", "Australia/Lord_Howe", "2025-10-04T12:00:00+10:30", 2),
            (std::vector<std::string>{"2025-10-05T02:30:00+11:00", "2025-10-06T02:15:00+11:00"}));
  EXPECT_EQ(Firings("45 1 * * *", "Australia/Lord_Howe", "2025-04-05T12:00:00+11:00", 2),
            (std::vector<std::string>{"2025-04-06T01:45:00+11:00", "2025-04-07T01:45:00+10:30"}));
  EXPECT_EQ(Firings("*/15 * * * *", "Australia/Lord_Howe", "2025-04-06T01:20:00+11:00", 5),
            (std::vector<std::string>{"2025-04-06T01:30:00+11:00", "2025-04-06T01:45:00+11:00",
                                      "2025-04-06T01:30:00+10:30", "2025-04-06T01:45:00+10:30",
                                      "2025-04-06T02:00:00+10:30"}));
}

// Berlin left local mean time (+00:53:28) for CET on 1893-04-01: local time jumped from
// 00:00 to 00:06:32, so the first whole minute after the gap is 00:07.
TEST(CronDst, AGapEndingBetweenMinutesFiresAtTheNextWholeMinute) {
  EXPECT_EQ(Firings("0 0 1 4 *", "Europe/Berlin", "1893-03-01T00:00:00Z", 2),
            (std::vector<std::string>{"1893-04-01T00:07:00+01:00", "1894-04-01T00:00:00+01:00"}));
}

// --- Next: the edges -------------------------------------------------------------------------

TEST(CronNext, IsStrictlyAfterAndOnAWholeMinute) {
  Result<CronSchedule> s = CronSchedule::Parse("* * * * *");
  ASSERT_TRUE(s.ok());
  UnixMillis t = At("2026-05-01T10:00:00Z");
  EXPECT_EQ(Next(*s, TimeZone::Utc(), t), t + 60'000);
  EXPECT_EQ(Next(*s, TimeZone::Utc(), t - 1), t);
  EXPECT_EQ(Next(*s, TimeZone::Utc(), t + 59'999), t + 60'000);
}

TEST(CronNext, WorksBeforeTheEpoch) {
  EXPECT_EQ(Firings("0 12 29 2 *", "UTC", "1895-01-01T00:00:00Z", 2),
            (std::vector<std::string>{"1896-02-29T12:00:00+00:00", "1904-02-29T12:00:00+00:00"}));
}

TEST(CronNext, EndsBeforeTheYearTenThousand) {
  Result<CronSchedule> s = CronSchedule::Parse("0 0 1 1 *");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(Next(*s, TimeZone::Utc(), At("9998-06-01T00:00:00Z")), At("9999-01-01T00:00:00Z"));
  EXPECT_EQ(Next(*s, TimeZone::Utc(), At("9999-01-01T00:00:00Z")), std::nullopt);
}

TEST(CronNext, LastWeekdayOfTheMonth) {
  // May 2026 ends on a Sunday, January 2027 on a Sunday, October 2026 on a Saturday.
  EXPECT_EQ(Firings("0 9 LW * *", "UTC", "2026-05-01T00:00:00Z", 3),
            (std::vector<std::string>{"2026-05-29T09:00:00+00:00", "2026-06-30T09:00:00+00:00",
                                      "2026-07-31T09:00:00+00:00"}));
  EXPECT_EQ(Firings("0 9 LW 10 *", "UTC", "2026-01-01T00:00:00Z", 1),
            (std::vector<std::string>{"2026-10-30T09:00:00+00:00"}));
}

TEST(CronNext, KathmanduKeepsItsQuarterHour) {
  EXPECT_EQ(Firings("0 9 * * 1#2", "Asia/Kathmandu", "2026-01-01T00:00:00Z", 2),
            (std::vector<std::string>{"2026-01-12T09:00:00+05:45", "2026-02-09T09:00:00+05:45"}));
}

// --- Error messages name the field (SPEC §12) -------------------------------------------------

TEST(CronErrors, NameTheField) {
  struct Case {
    const char* expr;
    const char* message;
  };
  const Case cases[] = {
      {"0 25 * * *", "schedule: the hour field \"25\" is out of range 0-23"},
      {"60 * * * *", "schedule: the minute field \"60\" is out of range 0-59"},
      {"0 0 0 * *", "schedule: the day-of-month field \"0\" is out of range 1-31"},
      {"0 0 * 13 *", "schedule: the month field \"13\" is out of range 1-12"},
      {"0 0 * * 8", "schedule: the day-of-week field \"8\" is out of range 0-7"},
      {"0 0 * * 1-9", "schedule: the day-of-week field \"1-9\" is out of range 0-7"},
      {"0 0 * foo *",
       "schedule: the month field \"foo\" has \"foo\", which is neither a number nor a month "
       "name (JAN-DEC)"},
      {"0 0 * * Monday",
       "schedule: the day-of-week field \"Monday\" has \"Monday\", which is neither a number nor "
       "a day name (SUN-SAT)"},
      {"0 x * * *", "schedule: the hour field \"x\" has \"x\", which is not a number"},
      {"1,,2 * * * *", "schedule: the minute field \"1,,2\" has an empty list item"},
      {"0 0 1- * *", "schedule: the day-of-month field \"1-\" has an incomplete part \"1-\""},
      {"*/x * * * *",
       "schedule: the minute field \"*/x\" has the step \"x\", which is not a number"},
      {"0 0 * * 5#9",
       "schedule: the day-of-week field \"5#9\" has \"5#9\": the week after # is 1 to 5, as in "
       "1#2 (the second Monday)"},
      {"0 0 31 4,6 *",
       "schedule: the day-of-month field \"31\" never matches in the month field \"4,6\""},
      {"0 0 * *",
       "schedule: expected 5 fields (minute hour day-of-month month day-of-week), got 4"},
  };
  for (const Case& c : cases) {
    Result<CronSchedule> s = CronSchedule::Parse(c.expr);
    ASSERT_FALSE(s.ok()) << c.expr;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(s.error().message, c.message);
  }
}

}  // namespace
}  // namespace heartbeat::cron_test
