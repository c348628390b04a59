#include "core/time_format.h"

#include <gtest/gtest.h>

#include <time.h>

#include <cstdint>
#include <limits>
#include <random>

namespace heartbeat {
namespace {

// Seconds to milliseconds, for readability.
constexpr UnixMillis Ms(std::int64_t seconds) { return seconds * 1000; }

// Checked with `date -u -d @<seconds>`.
constexpr std::int64_t k20260921T141320 = 1'790'000'000;  // 2026-09-21T14:13:20Z
constexpr std::int64_t k20280229T123456 = 1'835'440'496;  // 2028-02-29T12:34:56Z
constexpr std::int64_t k20280229T235959 = 1'835'481'599;  // 2028-02-29T23:59:59Z
constexpr std::int64_t k20000229T000000 = 951'782'400;    // 2000-02-29T00:00:00Z
constexpr std::int64_t k21000228T235959 = 4'107'542'399;  // 2100-02-28T23:59:59Z

TEST(FormatRfc3339, EpochIsNineteenSeventy) { EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z"); }

TEST(FormatRfc3339, KnownTimestamp) {
  EXPECT_EQ(FormatRfc3339(Ms(k20260921T141320)), "2026-09-21T14:13:20Z");
}

TEST(FormatRfc3339, MillisecondsAreTruncated) {
  EXPECT_EQ(FormatRfc3339(Ms(k20260921T141320) + 1), "2026-09-21T14:13:20Z");
  EXPECT_EQ(FormatRfc3339(Ms(k20260921T141320) + 500), "2026-09-21T14:13:20Z");
  EXPECT_EQ(FormatRfc3339(Ms(k20260921T141320) + 999), "2026-09-21T14:13:20Z");
  EXPECT_EQ(FormatRfc3339(Ms(k20260921T141320) + 1000), "2026-09-21T14:13:21Z");
  EXPECT_EQ(FormatRfc3339(999), "1970-01-01T00:00:00Z");
}

TEST(FormatRfc3339, LeapDay) {
  EXPECT_EQ(FormatRfc3339(Ms(k20280229T123456)), "2028-02-29T12:34:56Z");
  EXPECT_EQ(FormatRfc3339(Ms(k20280229T235959)), "2028-02-29T23:59:59Z");
  EXPECT_EQ(FormatRfc3339(Ms(k20280229T235959 + 1)), "2028-03-01T00:00:00Z");
}

TEST(FormatRfc3339, CenturyLeapRules) {
  EXPECT_EQ(FormatRfc3339(Ms(k20000229T000000)), "2000-02-29T00:00:00Z");  // 2000 is leap
  EXPECT_EQ(FormatRfc3339(Ms(k21000228T235959)), "2100-02-28T23:59:59Z");
  EXPECT_EQ(FormatRfc3339(Ms(k21000228T235959 + 1)), "2100-03-01T00:00:00Z");  // 2100 is not
}

TEST(FormatRfc3339, YearBoundary) {
  EXPECT_EQ(FormatRfc3339(Ms(946'684'799)), "1999-12-31T23:59:59Z");
  EXPECT_EQ(FormatRfc3339(Ms(946'684'800)), "2000-01-01T00:00:00Z");
}

TEST(FormatRfc3339, NegativeTimesRoundDown) {
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatRfc3339(-1000), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatRfc3339(-1001), "1969-12-31T23:59:58Z");
}

TEST(FormatRfc3339, FourDigitYearsAndBeyond) {
  EXPECT_EQ(FormatRfc3339(Ms(253'402'300'799)), "9999-12-31T23:59:59Z");
  EXPECT_EQ(FormatRfc3339(Ms(253'402'300'800)), "10000-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(Ms(-62'167'219'200)), "0000-01-01T00:00:00Z");
}

TEST(FormatRfc3339, AgreesWithTheCLibraryOnRandomTimes) {
  std::mt19937_64 rng(20261128);
  std::uniform_int_distribution<std::int64_t> secs(0, 253'402'300'799);  // 1970 to 9999
  for (int i = 0; i < 20'000; ++i) {
    const std::int64_t s = secs(rng);
    const time_t tt = static_cast<time_t>(s);
    struct tm tm {};
    ASSERT_NE(gmtime_r(&tt, &tm), nullptr);
    char expected[32];
    ASSERT_GT(strftime(expected, sizeof expected, "%Y-%m-%dT%H:%M:%SZ", &tm), 0u);
    ASSERT_EQ(FormatRfc3339(Ms(s) + i % 1000), expected) << s;
  }
}

TEST(FormatRfc3339, IsTwentyCharactersLong) {
  EXPECT_EQ(FormatRfc3339(Ms(k20260921T141320) + 123).size(), 20u);
}

TEST(FormatClockUtc, HoursAndMinutes) {
  EXPECT_EQ(FormatClockUtc(Ms(k20260921T141320)), "14:13 UTC");
  EXPECT_EQ(FormatClockUtc(Ms(k20280229T123456)), "12:34 UTC");
}

TEST(FormatClockUtc, Midnight) { EXPECT_EQ(FormatClockUtc(0), "00:00 UTC"); }

TEST(FormatClockUtc, SecondsAndMillisecondsAreTruncated) {
  EXPECT_EQ(FormatClockUtc(Ms(k20280229T235959) + 999), "23:59 UTC");
  EXPECT_EQ(FormatClockUtc(Ms(k20280229T235959 + 1)), "00:00 UTC");
}

TEST(FormatClockUtc, PadsWithZeros) {
  EXPECT_EQ(FormatClockUtc(Ms(3 * 3600 + 5 * 60)), "03:05 UTC");
}

TEST(ToUnixSeconds, PositiveValuesTruncate) {
  EXPECT_EQ(ToUnixSeconds(0), 0);
  EXPECT_EQ(ToUnixSeconds(1), 0);
  EXPECT_EQ(ToUnixSeconds(999), 0);
  EXPECT_EQ(ToUnixSeconds(1000), 1);
  EXPECT_EQ(ToUnixSeconds(1999), 1);
  EXPECT_EQ(ToUnixSeconds(Ms(k20260921T141320) + 999), k20260921T141320);
}

TEST(ToUnixSeconds, NegativeValuesFloor) {
  EXPECT_EQ(ToUnixSeconds(-1), -1);
  EXPECT_EQ(ToUnixSeconds(-999), -1);
  EXPECT_EQ(ToUnixSeconds(-1000), -1);
  EXPECT_EQ(ToUnixSeconds(-1001), -2);
  EXPECT_EQ(ToUnixSeconds(-2000), -2);
  EXPECT_EQ(ToUnixSeconds(-2001), -3);
}

TEST(ToUnixSeconds, ExtremeValues) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(ToUnixSeconds(kMax), kMax / 1000);
  // The most negative value for which -t + 999 still fits in int64: -9223372036854774.808.
  EXPECT_EQ(ToUnixSeconds(-(kMax - 999)), -9'223'372'036'854'775LL);
}

// BUG in core/time_format.h: ToUnixSeconds computes -((-t + 999) / 1000), which overflows int64
// (UB) for the 1000 most negative values, t < -(INT64_MAX - 999); with wrap-around it returns
// +9223372036854774 instead of the floor. A fix that cannot overflow:
//   t / 1000 - (t % 1000 < 0 ? 1 : 0)
TEST(ToUnixSeconds, MostNegativeValuesFloorWithoutOverflow) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  EXPECT_EQ(ToUnixSeconds(-(kMax - 999) - 1), -9'223'372'036'854'775LL);  // -...774.809
  EXPECT_EQ(ToUnixSeconds(-kMax), -9'223'372'036'854'776LL);              // -...775.807
  EXPECT_EQ(ToUnixSeconds(kMin), -9'223'372'036'854'776LL);               // -...775.808
}

TEST(ParseRfc3339, ReadsTheOffset) {
  EXPECT_EQ(ParseRfc3339("2021-03-28T01:30:00+02:00").value(), Ms(1'616'887'800));
  EXPECT_EQ(ParseRfc3339("2021-03-27T23:30:00Z").value(), Ms(1'616'887'800));
  EXPECT_EQ(ParseRfc3339("2021-03-27T18:45:00-04:45").value(), Ms(1'616'887'800));
  EXPECT_EQ(ParseRfc3339("2021-03-27t23:30:00z").value(), Ms(1'616'887'800));
  EXPECT_EQ(ParseRfc3339("2021-03-27 23:30:00Z").value(), Ms(1'616'887'800));
}

TEST(ParseRfc3339, KeepsMillisecondsOfAFraction) {
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:01.5Z").value(), 1500);
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:01.123999Z").value(), 1123);
  EXPECT_EQ(ParseRfc3339("1969-12-31T23:59:59.250Z").value(), -750);
}

TEST(ParseRfc3339, RoundTripsFormat) {
  EXPECT_EQ(ParseRfc3339(FormatRfc3339(Ms(k20280229T235959))).value(), Ms(k20280229T235959));
}

TEST(ParseRfc3339, RefusesWhatIsNotOne) {
  for (const char* text :
       {"", "2021-03-28", "2021-03-28T01:30:00", "2021-03-28T01:30+02:00", "2021-02-29T00:00:00Z",
        "2021-13-01T00:00:00Z", "2021-03-28T24:00:00Z", "2021-03-28T01:60:00Z",
        "2021-03-28T01:30:60Z", "2021-03-28T01:30:00+2:00", "2021-03-28T01:30:00.Z",
        "2021-03-28T01:30:00Z ", "now", "1616887800"}) {
    Result<UnixMillis> t = ParseRfc3339(text);
    ASSERT_FALSE(t.ok()) << text;
    EXPECT_EQ(
        t.error().message,
        "\"" + std::string(text) + "\" is not an RFC 3339 time, such as 2021-03-28T01:30:00+02:00");
  }
}

}  // namespace
}  // namespace heartbeat
