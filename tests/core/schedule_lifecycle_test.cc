// A monitor's schedule, time zone and grace (SPEC §12) through the lifecycle's pure
// functions: the next expected ping (NextDue), alert_at, late, the checker's time to look,
// and the validation of settings.

#include <gtest/gtest.h>

#include <optional>

#include "core/alert.h"
#include "core/lifecycle.h"
#include "core/time_format.h"

namespace heartbeat {
namespace {

constexpr std::int64_t kMin = 60'000;

UnixMillis At(const char* rfc3339) {
  Result<UnixMillis> t = ParseRfc3339(rfc3339);
  EXPECT_TRUE(t.ok()) << rfc3339;
  return t.ok() ? *t : 0;
}

TEST(ScheduleLifecycle, GraceDelaysTheAlertAndTheMonitorIsLateMeanwhile) {
  const UnixMillis t0 = At("2026-12-07T12:00:00Z");
  Monitor m =
      Pinged(std::nullopt, "job", MonitorSettings{.interval_secs = 300, .grace_secs = 900}, t0);
  EXPECT_EQ(m.next_due, t0 + 5 * kMin);
  EXPECT_EQ(m.alert_at(), t0 + 20 * kMin);
  EXPECT_EQ(m.check_at, t0 + 20 * kMin + 1);
  EXPECT_FALSE(IsLate(m, t0 + 5 * kMin));
  EXPECT_TRUE(IsLate(m, t0 + 5 * kMin + 1));
  EXPECT_EQ(DeriveStatus(m, t0 + 20 * kMin), MonitorStatus::kOk);
  EXPECT_TRUE(IsLate(m, t0 + 20 * kMin));
  EXPECT_EQ(DeriveStatus(m, t0 + 20 * kMin + 1), MonitorStatus::kOverdue);
  EXPECT_FALSE(IsLate(m, t0 + 20 * kMin + 1));
  // No alert during the grace; OVERDUE once it has run out, counting from next_due.
  EXPECT_FALSE(Decide(m, t0 + 20 * kMin, 3'600'000).has_value());
  std::optional<Decision> d = Decide(m, t0 + 20 * kMin + 1, 3'600'000);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alert.kind, AlertKind::kOverdue);
  EXPECT_EQ(d->alert.deadline, m.next_due);
}

TEST(ScheduleLifecycle, AScheduledMonitorExpectsTheNextMatchInItsZone) {
  // 03:30 in Riga (UTC+2 in December): the next 03:00 there is tomorrow, 01:00 UTC.
  const UnixMillis ping = At("2026-12-07T01:30:00Z");
  Monitor m = Pinged(std::nullopt, "backup",
                     MonitorSettings{.schedule = "0 3 * * *", .tz = "Europe/Riga"}, ping);
  EXPECT_EQ(m.schedule, "0 3 * * *");
  EXPECT_EQ(m.tz, "Europe/Riga");
  EXPECT_EQ(m.next_due, At("2026-12-08T01:00:00Z"));
  // The next ping keeps the schedule: pinged at 03:00:20 local, it expects 03:00 tomorrow.
  Monitor again = Pinged(m, "backup", MonitorSettings{}, At("2026-12-08T01:00:20Z"));
  EXPECT_EQ(again.next_due, At("2026-12-09T01:00:00Z"));
}

TEST(ScheduleLifecycle, ASkippedLocalTimeFiresAtTheFirstMinuteAfterTheGap) {
  // Riga springs forward on 2026-03-29 at 03:00 local (01:00 UTC) to 04:00: 03:30 is
  // skipped, and the daily 03:30 job is expected at 04:00 local (01:00 UTC).
  Monitor m =
      Pinged(std::nullopt, "j", MonitorSettings{.schedule = "30 3 * * *", .tz = "Europe/Riga"},
             At("2026-03-28T02:00:00Z"));
  EXPECT_EQ(m.next_due, At("2026-03-29T01:00:00Z"));
}

TEST(ScheduleLifecycle, AnIntervalReplacesTheScheduleAndTheGraceStays) {
  Monitor m =
      Pinged(std::nullopt, "j", MonitorSettings{.schedule = "*/10 * * * *", .grace_secs = 60},
             At("2026-12-07T12:01:00Z"));
  EXPECT_EQ(m.next_due, At("2026-12-07T12:10:00Z"));
  Monitor n = Pinged(m, "j", MonitorSettings{.interval_secs = 120}, At("2026-12-07T12:02:00Z"));
  EXPECT_EQ(n.schedule, std::nullopt);
  EXPECT_EQ(n.next_due, At("2026-12-07T12:04:00Z"));
  EXPECT_EQ(n.grace_secs, 60);
}

TEST(ScheduleLifecycle, UnpauseExpectsTheNextMatchAfterTheUnpause) {
  Monitor m = Pinged(std::nullopt, "j", MonitorSettings{.schedule = "0 * * * *"},
                     At("2026-12-07T10:15:00Z"));
  std::optional<Monitor> paused = Paused(m, At("2026-12-07T10:20:00Z"));
  ASSERT_TRUE(paused.has_value());
  std::optional<Monitor> back = Unpaused(paused, At("2026-12-07T13:20:00Z"));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->next_due, At("2026-12-07T14:00:00Z"));
  EXPECT_EQ(back->check_at, back->alert_at() + 1);
}

TEST(ScheduleLifecycle, SettingsAreValidatedWithTheFieldNamed) {
  EXPECT_TRUE(ValidateSettings(MonitorSettings{.schedule = "0 3 * * *", .tz = "Europe/Riga"}).ok());
  Status both = ValidateSettings(MonitorSettings{.interval_secs = 60, .schedule = "* * * * *"});
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.error().code, ErrorCode::kInvalidArgument);
  Status never = ValidateSettings(MonitorSettings{.schedule = "0 0 30 2 *"});
  ASSERT_FALSE(never.ok());
  EXPECT_EQ(never.error().message.rfind("schedule: ", 0), 0u) << never.error().message;
  Status zone = ValidateSettings(MonitorSettings{.tz = "Mars/Olympus"});
  ASSERT_FALSE(zone.ok());
  EXPECT_EQ(zone.error().message.rfind("tz: ", 0), 0u) << zone.error().message;
  EXPECT_FALSE(ValidateSettings(MonitorSettings{.grace_secs = -1}).ok());
  EXPECT_FALSE(ValidateSettings(MonitorSettings{.grace_secs = kMaxGraceSecs + 1}).ok());
  EXPECT_TRUE(ValidateSettings(MonitorSettings{.grace_secs = 0}).ok());
}

TEST(ScheduleLifecycle, AStoredScheduleThatNoLongerParsesFallsBackToTheInterval) {
  Monitor m = Pinged(std::nullopt, "j", 300, At("2026-12-07T12:00:00Z"));
  m.schedule = "not a schedule";  // as a corrupted row would read
  EXPECT_EQ(NextDue(m, At("2026-12-07T12:00:00Z")), At("2026-12-07T12:05:00Z"));
}

}  // namespace
}  // namespace heartbeat
