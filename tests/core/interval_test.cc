#include "core/interval.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace heartbeat {
namespace {

using ::testing::HasSubstr;

constexpr std::int64_t kMinuteSecs = 60;
constexpr std::int64_t kHourSecs = 3600;
constexpr std::int64_t kDaySecs = 86400;
constexpr std::int64_t kWeekSecs = 7 * kDaySecs;

// The parsed value, or a test failure naming the text and the error.
std::int64_t Parsed(const Result<std::int64_t>& r, std::string_view text) {
  EXPECT_TRUE(r.ok()) << "'" << text << "': " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : -1;
}

std::int64_t Interval(std::string_view text) { return Parsed(ParseInterval(text), text); }
std::int64_t Duration(std::string_view text) { return Parsed(ParseDuration(text), text); }

// Asserts an InvalidArgument rejection with a non-empty message, and returns the message.
std::string Rejection(const Result<std::int64_t>& r, std::string_view text) {
  EXPECT_FALSE(r.ok()) << "'" << text << "' accepted as " << (r.ok() ? *r : 0);
  if (r.ok()) return "";
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << text;
  EXPECT_FALSE(r.error().message.empty()) << text;
  return r.error().message;
}

std::string IntervalError(std::string_view text) { return Rejection(ParseInterval(text), text); }
std::string DurationError(std::string_view text) { return Rejection(ParseDuration(text), text); }

// --- units ---

TEST(Interval, PlainIntegerIsSeconds) {
  EXPECT_EQ(Interval("300"), 300);
  EXPECT_EQ(Interval("30"), 30);
  EXPECT_EQ(Interval("86400"), 86400);
  EXPECT_EQ(Interval("0300"), 300);
}

TEST(Interval, SecondUnitSpellings) {
  for (std::string_view unit : {"s", "sec", "secs", "second", "seconds"}) {
    EXPECT_EQ(Interval("45" + std::string(unit)), 45) << unit;
  }
}

TEST(Interval, MinuteUnitSpellings) {
  for (std::string_view unit : {"m", "min", "mins", "minute", "minutes"}) {
    EXPECT_EQ(Interval("5" + std::string(unit)), 5 * kMinuteSecs) << unit;
  }
}

TEST(Interval, HourUnitSpellings) {
  for (std::string_view unit : {"h", "hr", "hrs", "hour", "hours"}) {
    EXPECT_EQ(Interval("2" + std::string(unit)), 2 * kHourSecs) << unit;
  }
}

TEST(Interval, DayUnitSpellings) {
  for (std::string_view unit : {"d", "day", "days"}) {
    EXPECT_EQ(Interval("3" + std::string(unit)), 3 * kDaySecs) << unit;
  }
}

TEST(Interval, WeekUnitSpellings) {
  for (std::string_view unit : {"w", "week", "weeks"}) {
    EXPECT_EQ(Interval("2" + std::string(unit)), 2 * kWeekSecs) << unit;
  }
}

TEST(Interval, SingularAndPluralSpellingsAreInterchangeable) {
  EXPECT_EQ(Interval("1 hours"), kHourSecs);
  EXPECT_EQ(Interval("2 hour"), 2 * kHourSecs);
  EXPECT_EQ(Interval("1 minutes"), kMinuteSecs);
}

TEST(Interval, SpaceBetweenNumberAndUnit) {
  EXPECT_EQ(Interval("5 m"), 5 * kMinuteSecs);
  EXPECT_EQ(Interval("90 seconds"), 90);
  EXPECT_EQ(Interval("1   week"), kWeekSecs);
}

// --- compounds ---

TEST(Interval, CompoundWithoutSpaces) {
  EXPECT_EQ(Interval("2h30m"), 2 * kHourSecs + 30 * kMinuteSecs);
  EXPECT_EQ(Interval("1d2h3m4s"), kDaySecs + 2 * kHourSecs + 3 * kMinuteSecs + 4);
  EXPECT_EQ(Interval("1w1d"), kWeekSecs + kDaySecs);
  EXPECT_EQ(Interval("5hours30minutes"), 5 * kHourSecs + 30 * kMinuteSecs);
}

TEST(Interval, CompoundWithSpacesBetweenParts) {
  EXPECT_EQ(Interval("1h 30m"), kHourSecs + 30 * kMinuteSecs);
  EXPECT_EQ(Interval("1h   30m"), kHourSecs + 30 * kMinuteSecs);
}

TEST(Interval, CompoundWithSpacesInsideParts) {
  EXPECT_EQ(Interval("1 h 30 m"), kHourSecs + 30 * kMinuteSecs);
  EXPECT_EQ(Interval("1 hour 30 minutes"), kHourSecs + 30 * kMinuteSecs);
  EXPECT_EQ(Interval("2 days 12 hours"), 2 * kDaySecs + 12 * kHourSecs);
}

TEST(Interval, LeadingAndTrailingSpacesAreIgnored) {
  EXPECT_EQ(Interval("  5m"), 5 * kMinuteSecs);
  EXPECT_EQ(Interval("5m  "), 5 * kMinuteSecs);
  EXPECT_EQ(Interval("  1h 30m  "), kHourSecs + 30 * kMinuteSecs);
  EXPECT_EQ(Interval(" 300 "), 300);
}

// --- bounds ---

TEST(Interval, ThirtySecondsIsTheMinimum) {
  EXPECT_EQ(Interval("30"), 30);
  EXPECT_EQ(Interval("30s"), 30);
  EXPECT_EQ(kMinIntervalSecs, 30);
}

TEST(Interval, TwentyNineSecondsIsRejectedNamingTheMinimum) {
  EXPECT_THAT(IntervalError("29"), HasSubstr("minimum"));
  EXPECT_THAT(IntervalError("29s"), HasSubstr("minimum"));
  EXPECT_THAT(IntervalError("0"), HasSubstr("minimum"));
  EXPECT_THAT(IntervalError("0m"), HasSubstr("minimum"));
}

TEST(Interval, ThreeHundredSixtyFiveDaysIsTheMaximum) {
  EXPECT_EQ(Interval("365d"), 365 * kDaySecs);
  EXPECT_EQ(Interval("364d 23h 59m 59s"), 365 * kDaySecs - 1);
  EXPECT_EQ(Interval("31536000"), 365 * kDaySecs);
  EXPECT_EQ(kMaxIntervalSecs, 365 * kDaySecs);
}

TEST(Interval, OneSecondOverTheMaximumIsRejectedNamingTheMaximum) {
  EXPECT_THAT(IntervalError("365d 1s"), HasSubstr("maximum"));
  EXPECT_THAT(IntervalError("31536001"), HasSubstr("maximum"));
  EXPECT_THAT(IntervalError("366d"), HasSubstr("maximum"));
}

TEST(Interval, FiftyTwoWeeksIsAccepted) { EXPECT_EQ(Interval("52w"), 52 * kWeekSecs); }

TEST(Interval, FiftyThreeWeeksIsRejected) {
  EXPECT_THAT(IntervalError("53w"), HasSubstr("maximum"));
}

// --- malformed input ---

TEST(Interval, EmptyIsRejected) {
  EXPECT_THAT(IntervalError(""), HasSubstr("empty"));
  EXPECT_THAT(DurationError(""), HasSubstr("empty"));
}

TEST(Interval, AllSpacesIsRejected) {
  EXPECT_THAT(IntervalError(" "), HasSubstr("empty"));
  EXPECT_THAT(IntervalError("     "), HasSubstr("empty"));
  EXPECT_THAT(IntervalError("\t \t"), HasSubstr("empty"));
}

TEST(Interval, NegativeIsRejected) {
  EXPECT_THAT(IntervalError("-5m"), HasSubstr("expected a number"));
  EXPECT_THAT(IntervalError("-300"), HasSubstr("expected a number"));
  EXPECT_THAT(IntervalError("1h -30m"), HasSubstr("expected a number"));
}

TEST(Interval, PlusSignIsRejected) { IntervalError("+5m"); }

TEST(Interval, DecimalIsRejected) {
  std::string message = IntervalError("1.5h");
  EXPECT_THAT(message, HasSubstr("unexpected"));
  EXPECT_THAT(message, HasSubstr("'.'"));
  IntervalError("300.0");
  IntervalError(".5h");
}

TEST(Interval, UnknownUnitIsRejectedNamingTheUnit) {
  std::string message = IntervalError("5y");
  EXPECT_THAT(message, HasSubstr("unknown unit"));
  EXPECT_THAT(message, HasSubstr("'y'"));
  EXPECT_THAT(IntervalError("500ms"), HasSubstr("unknown unit 'ms'"));
  EXPECT_THAT(IntervalError("5mo"), HasSubstr("unknown unit"));
  EXPECT_THAT(IntervalError("5 minutess"), HasSubstr("unknown unit"));
}

TEST(Interval, UppercaseUnitIsRejected) {
  EXPECT_THAT(IntervalError("5M"), HasSubstr("unknown unit 'M'"));
  EXPECT_THAT(IntervalError("1H"), HasSubstr("unknown unit"));
  EXPECT_THAT(IntervalError("30S"), HasSubstr("unknown unit"));
  EXPECT_THAT(IntervalError("1Day"), HasSubstr("unknown unit"));
  EXPECT_THAT(IntervalError("2W"), HasSubstr("unknown unit"));
}

TEST(Interval, LastNumberWithoutUnitInCompoundIsRejected) {
  std::string message = IntervalError("1h30");
  EXPECT_THAT(message, HasSubstr("missing unit"));
  EXPECT_THAT(message, HasSubstr("30"));
  EXPECT_THAT(IntervalError("1h 30"), HasSubstr("missing unit"));
  EXPECT_THAT(IntervalError("1h 30 "), HasSubstr("missing unit"));
}

TEST(Interval, TwoBareNumbersAreRejected) { IntervalError("300 300"); }

TEST(Interval, UnitWithoutNumberIsRejected) {
  EXPECT_THAT(IntervalError("m"), HasSubstr("expected a number"));
  EXPECT_THAT(IntervalError("minutes"), HasSubstr("expected a number"));
  EXPECT_THAT(IntervalError("h30m"), HasSubstr("expected a number"));
}

TEST(Interval, TrailingGarbageIsRejected) {
  IntervalError("5m!");
  IntervalError("5m abc");
  IntervalError("300x");
  IntervalError("5m;");
  IntervalError("5m,10s");
  IntervalError(std::string_view("5m\0", 3));
}

TEST(Interval, LeadingGarbageIsRejected) {
  IntervalError("abc");
  IntervalError("x5m");
  IntervalError("PT5M");
}

TEST(Interval, NonAsciiIsRejectedWithAPrintableMessage) {
  std::string message = IntervalError("5\xc2\xb5s");  // 5µs
  for (char c : message) {
    unsigned char u = static_cast<unsigned char>(c);
    EXPECT_TRUE(u >= 0x20 && u < 0x7f) << "byte " << int{u} << " in: " << message;
  }
}

TEST(Interval, ErrorMessageQuotesTheInput) {
  EXPECT_THAT(IntervalError("5y"), HasSubstr("'5y'"));
  EXPECT_THAT(IntervalError("29"), HasSubstr("'29'"));
}

// --- overflow ---

TEST(Interval, HugePlainIntegerIsRejectedWithoutOverflow) {
  EXPECT_THAT(IntervalError("99999999999999999999"), HasSubstr("too large"));
  EXPECT_THAT(IntervalError("9223372036854775807"), HasSubstr("too large"));
  EXPECT_THAT(IntervalError("18446744073709551616"), HasSubstr("too large"));
  EXPECT_THAT(IntervalError(std::string(1000, '9')), HasSubstr("too large"));
}

TEST(Interval, HugeNumberWithUnitIsRejectedWithoutOverflow) {
  EXPECT_THAT(IntervalError("9223372036854775807s"), HasSubstr("too large"));
  EXPECT_THAT(IntervalError("1000000000000w"), HasSubstr("too large"));
  EXPECT_THAT(IntervalError("15250284452471w"), HasSubstr("too large"));  // * 604800 > 2^63
  EXPECT_THAT(IntervalError("106751991167301d"), HasSubstr("too large"));
  EXPECT_THAT(IntervalError("99999999999999999999h"), HasSubstr("too large"));
}

TEST(Interval, HugeSumIsRejectedWithoutOverflow) {
  EXPECT_THAT(DurationError("1000000000000s 1s"), HasSubstr("too large"));
  std::string many;
  for (int i = 0; i < 100; ++i) many += "999999999999s";
  EXPECT_THAT(DurationError(many), HasSubstr("too large"));
}

TEST(Interval, LargeButRepresentableDurationParsesAndIsRejectedAsTooLong) {
  EXPECT_EQ(Duration("1000000000000"), 1'000'000'000'000LL);
  EXPECT_EQ(Duration("1000000w"), 1'000'000LL * kWeekSecs);
  EXPECT_THAT(IntervalError("1000000w"), HasSubstr("maximum"));
}

// --- ParseDuration vs ParseInterval ---

TEST(Interval, ParseDurationDoesNotApplyTheBounds) {
  EXPECT_EQ(Duration("10s"), 10);
  EXPECT_EQ(Duration("0"), 0);
  EXPECT_EQ(Duration("1"), 1);
  EXPECT_EQ(Duration("400d"), 400 * kDaySecs);
  EXPECT_THAT(IntervalError("10s"), HasSubstr("minimum"));
  EXPECT_THAT(IntervalError("400d"), HasSubstr("maximum"));
}

TEST(Interval, ParseDurationRejectsTheSameSyntaxErrors) {
  EXPECT_THAT(DurationError("5y"), HasSubstr("unknown unit"));
  EXPECT_THAT(DurationError("1h30"), HasSubstr("missing unit"));
  EXPECT_THAT(DurationError("1.5h"), HasSubstr("unexpected"));
  EXPECT_THAT(DurationError("   "), HasSubstr("empty"));
}

TEST(Interval, DefaultIsFiveMinutes) {
  EXPECT_EQ(kDefaultIntervalSecs, 5 * kMinuteSecs);
  EXPECT_EQ(Interval("5m"), kDefaultIntervalSecs);
}

// --- FormatDuration ---

TEST(FormatDuration, ZeroIsZeroSeconds) { EXPECT_EQ(FormatDuration(0), "0s"); }

TEST(FormatDuration, NegativeIsZeroSeconds) { EXPECT_EQ(FormatDuration(-5), "0s"); }

TEST(FormatDuration, UnderAMinuteIsSeconds) {
  EXPECT_EQ(FormatDuration(1), "1s");
  EXPECT_EQ(FormatDuration(45), "45s");
  EXPECT_EQ(FormatDuration(59), "59s");
}

TEST(FormatDuration, ExactMinute) { EXPECT_EQ(FormatDuration(60), "1m"); }

TEST(FormatDuration, MinutesAndSeconds) {
  EXPECT_EQ(FormatDuration(61), "1m 1s");
  EXPECT_EQ(FormatDuration(7 * kMinuteSecs), "7m");
}

TEST(FormatDuration, HoursAndMinutes) {
  EXPECT_EQ(FormatDuration(kHourSecs + 7 * kMinuteSecs), "1h 7m");
  EXPECT_EQ(FormatDuration(kHourSecs + 9 * kMinuteSecs), "1h 9m");
  EXPECT_EQ(FormatDuration(kHourSecs), "1h");
}

TEST(FormatDuration, ShowsAtMostTwoUnits) {
  EXPECT_EQ(FormatDuration(kHourSecs + 7 * kMinuteSecs + 30), "1h 7m");
  EXPECT_EQ(FormatDuration(kDaySecs + kHourSecs + kMinuteSecs + 1), "1d 1h");
}

TEST(FormatDuration, Days) {
  EXPECT_EQ(FormatDuration(kDaySecs), "1d");
  EXPECT_EQ(FormatDuration(2 * kDaySecs + 3 * kHourSecs), "2d 3h");
  EXPECT_EQ(FormatDuration(400 * kDaySecs), "400d");
}

TEST(FormatDuration, StopsAtTheFirstZeroUnit) {
  EXPECT_EQ(FormatDuration(kDaySecs + 5 * kMinuteSecs), "1d");
  EXPECT_EQ(FormatDuration(kHourSecs + 5), "1h");
}

// --- FormatIntervalCompact ---

TEST(FormatIntervalCompact, ZeroIsZeroSeconds) {
  EXPECT_EQ(FormatIntervalCompact(0), "0s");
  EXPECT_EQ(FormatIntervalCompact(-1), "0s");
}

TEST(FormatIntervalCompact, SingleUnits) {
  EXPECT_EQ(FormatIntervalCompact(45), "45s");
  EXPECT_EQ(FormatIntervalCompact(5 * kMinuteSecs), "5m");
  EXPECT_EQ(FormatIntervalCompact(kHourSecs), "1h");
  EXPECT_EQ(FormatIntervalCompact(2 * kDaySecs), "2d");
}

TEST(FormatIntervalCompact, CompoundIsExactWithoutSpaces) {
  EXPECT_EQ(FormatIntervalCompact(kHourSecs + 30 * kMinuteSecs), "1h30m");
  EXPECT_EQ(FormatIntervalCompact(90), "1m30s");
  EXPECT_EQ(FormatIntervalCompact(kDaySecs + kHourSecs + kMinuteSecs + 1), "1d1h1m1s");
  EXPECT_EQ(FormatIntervalCompact(kDaySecs + 5), "1d5s");
}

TEST(FormatIntervalCompact, WeeksAreShownAsDays) {
  EXPECT_EQ(FormatIntervalCompact(kWeekSecs), "7d");
  EXPECT_EQ(FormatIntervalCompact(365 * kDaySecs), "365d");
}

TEST(FormatIntervalCompact, RoundTripsThroughParseInterval) {
  for (std::int64_t secs : {30LL, 45LL, 90LL, 300LL, 5400LL, 86400LL, 90061LL, 31536000LL}) {
    std::string text = FormatIntervalCompact(secs);
    EXPECT_EQ(Interval(text), secs) << text;
  }
}

}  // namespace
}  // namespace heartbeat
