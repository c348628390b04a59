#include "core/time_zone.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "core/time_format.h"

namespace heartbeat::time_zone_test {
namespace {

UnixMillis At(std::string_view rfc3339) { return *ParseRfc3339(rfc3339); }

TEST(TimeZone, LoadsIanaZones) {
  for (const char* name : {"UTC", "Europe/Riga", "America/Argentina/Buenos_Aires", "Etc/GMT+5",
                           "Asia/Kathmandu", "America/Port-au-Prince"}) {
    Result<TimeZone> tz = TimeZone::Load(name);
    ASSERT_TRUE(tz.ok()) << name;
    EXPECT_EQ(tz->name(), name);
  }
}

TEST(TimeZone, UnknownZoneIsAnErrorNeverUtc) {
  for (const char* name : {"Mars/Olympus", "Europe/Rigaa", "europe/riga", "", "EST5EDTX"}) {
    Result<TimeZone> tz = TimeZone::Load(name);
    ASSERT_FALSE(tz.ok()) << name;
    EXPECT_EQ(tz.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(tz.error().message,
              "unknown time zone \"" + std::string(name) + "\" (an IANA name such as Europe/Riga)");
  }
}

TEST(TimeZone, RefusesPathsAndSpecialNames) {
  for (const char* name :
       {"../../../etc/passwd", "/usr/share/zoneinfo/Europe/Riga", "Europe/../Europe/Riga",
        "file:/usr/share/zoneinfo/UTC", "localtime", "Europe//Riga", "Europe/Riga/",
        "Fixed/UTC+03:00:00", "Europe/Riga\n", "Europe Riga"}) {
    EXPECT_FALSE(TimeZone::Load(name).ok()) << name;
  }
}

TEST(TimeZone, SameNameIsTheSameZone) {
  Result<TimeZone> a = TimeZone::Load("Europe/Berlin");
  Result<TimeZone> b = TimeZone::Load("Europe/Berlin");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(*TimeZone::Load("UTC"), TimeZone::Utc());
}

TEST(TimeZone, LoadsFromManyThreadsAtOnce) {
  const char* names[] = {"Europe/Paris", "Asia/Tokyo", "America/Chicago", "Africa/Cairo"};
  std::vector<std::thread> threads;
  std::vector<int> ok(8, 0);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < 200; ++j) ok[i] += TimeZone::Load(names[(i + j) % 4]).ok();
    });
  }
  for (auto& t : threads) t.join();
  for (int n : ok) EXPECT_EQ(n, 200);
}

TEST(TimeZone, FormatsWithTheZonesOffset) {
  TimeZone riga = *TimeZone::Load("Europe/Riga");
  EXPECT_EQ(riga.FormatRfc3339(At("2021-03-28T01:00:00Z")), "2021-03-28T04:00:00+03:00");
  EXPECT_EQ(riga.FormatRfc3339(At("2021-01-01T00:00:00.999Z")), "2021-01-01T02:00:00+02:00");
  EXPECT_EQ(TimeZone::Utc().FormatRfc3339(At("2021-01-01T00:00:00Z")), "2021-01-01T00:00:00+00:00");
  EXPECT_EQ(TimeZone::Load("America/New_York")->FormatRfc3339(At("2026-01-15T12:00:00Z")),
            "2026-01-15T07:00:00-05:00");
  EXPECT_EQ(TimeZone::Load("Asia/Kathmandu")->FormatRfc3339(At("2026-01-15T12:00:00Z")),
            "2026-01-15T17:45:00+05:45");
  EXPECT_EQ(TimeZone::Load("America/St_Johns")->FormatRfc3339(At("2026-01-15T12:00:00Z")),
            "2026-01-15T08:30:00-03:30");
}

TEST(TimeZone, LocalMeanTimeIsWrittenInUtc) {
  // Riga kept local mean time (+01:36:34) until 1880: not whole minutes.
  TimeZone riga = *TimeZone::Load("Europe/Riga");
  EXPECT_EQ(riga.UtcOffsetSeconds(At("1870-01-01T00:00:00Z")), 5794);
  EXPECT_EQ(riga.FormatRfc3339(At("1870-01-01T00:00:00Z")), "1870-01-01T00:00:00Z");
}

TEST(TimeZone, OffsetAtAnInstant) {
  TimeZone riga = *TimeZone::Load("Europe/Riga");
  EXPECT_EQ(riga.UtcOffsetSeconds(At("2025-03-30T00:59:59Z")), 7200);
  EXPECT_EQ(riga.UtcOffsetSeconds(At("2025-03-30T01:00:00Z")), 10800);
}

}  // namespace
}  // namespace heartbeat::time_zone_test
