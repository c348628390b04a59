#include "core/monitor.h"

#include <gtest/gtest.h>

#include <cstdint>

#include "support/fake_clock.h"

namespace heartbeat {
namespace {

constexpr UnixMillis kNow = 1'790'000'000'000LL;  // 2026-09-21T14:13:20Z

Monitor MakeMonitor(UnixMillis next_due) {
  Monitor m;
  m.slug = "backup";
  m.interval_secs = 300;
  m.last_ping = next_due - 300'000;
  m.next_due = next_due;
  m.created_at = next_due - 300'000;
  m.expires_at = next_due - 300'000 + kExpiryMillis;
  return m;
}

TEST(MonitorStatus, ToStringGivesTheApiNames) {
  EXPECT_EQ(ToString(MonitorStatus::kOk), "ok");
  EXPECT_EQ(ToString(MonitorStatus::kOverdue), "overdue");
  EXPECT_EQ(ToString(MonitorStatus::kPaused), "paused");
}

TEST(DeriveStatus, OkBeforeNextDue) {
  Monitor m = MakeMonitor(kNow + 60'000);
  EXPECT_EQ(DeriveStatus(m, kNow), MonitorStatus::kOk);
}

TEST(DeriveStatus, OkExactlyAtNextDue) {
  Monitor m = MakeMonitor(kNow);
  EXPECT_EQ(DeriveStatus(m, kNow), MonitorStatus::kOk);
}

TEST(DeriveStatus, OverdueOneMillisecondAfterNextDue) {
  Monitor m = MakeMonitor(kNow);
  EXPECT_EQ(DeriveStatus(m, kNow + 1), MonitorStatus::kOverdue);
}

TEST(DeriveStatus, OverdueLongAfterNextDue) {
  Monitor m = MakeMonitor(kNow);
  EXPECT_EQ(DeriveStatus(m, kNow + 86'400'000), MonitorStatus::kOverdue);
}

TEST(DeriveStatus, FollowsAFakeClockAcrossTheDeadline) {
  testing::FakeClock clock(kNow);
  Monitor m = MakeMonitor(kNow + 300'000);
  EXPECT_EQ(DeriveStatus(m, clock.Now()), MonitorStatus::kOk);
  clock.Advance(std::chrono::milliseconds(299'999));
  EXPECT_EQ(DeriveStatus(m, clock.Now()), MonitorStatus::kOk);
  clock.Advance(std::chrono::milliseconds(1));
  EXPECT_EQ(DeriveStatus(m, clock.Now()), MonitorStatus::kOk);
  clock.Advance(std::chrono::milliseconds(1));
  EXPECT_EQ(DeriveStatus(m, clock.Now()), MonitorStatus::kOverdue);
}

TEST(DeriveStatus, FailedIsOverdueEvenBeforeNextDue) {
  Monitor m = MakeMonitor(kNow + 300'000);
  m.failed_at = kNow;
  EXPECT_TRUE(m.failed());
  EXPECT_EQ(DeriveStatus(m, kNow), MonitorStatus::kOverdue);
}

TEST(DeriveStatus, FailedWithoutAnyPingIsOverdue) {
  Monitor m = MakeMonitor(kNow + 300'000);
  m.last_ping.reset();
  m.failed_at = kNow;
  EXPECT_EQ(DeriveStatus(m, kNow), MonitorStatus::kOverdue);
}

TEST(DeriveStatus, PausedWinsOverOverdue) {
  Monitor m = MakeMonitor(kNow - 1);
  m.paused = true;
  EXPECT_EQ(DeriveStatus(m, kNow), MonitorStatus::kPaused);
}

TEST(DeriveStatus, PausedWinsOverFailed) {
  Monitor m = MakeMonitor(kNow + 300'000);
  m.paused = true;
  m.failed_at = kNow;
  EXPECT_EQ(DeriveStatus(m, kNow), MonitorStatus::kPaused);
}

TEST(DeriveStatus, PausedWinsOverFailedAndOverdue) {
  Monitor m = MakeMonitor(kNow - 1'000);
  m.paused = true;
  m.failed_at = kNow - 500;
  EXPECT_EQ(DeriveStatus(m, kNow), MonitorStatus::kPaused);
}

TEST(DeriveStatus, PausedBeforeNextDueIsPaused) {
  Monitor m = MakeMonitor(kNow + 300'000);
  m.paused = true;
  EXPECT_EQ(DeriveStatus(m, kNow), MonitorStatus::kPaused);
}

TEST(Monitor, NotFailedByDefault) {
  Monitor m;
  EXPECT_FALSE(m.failed());
  EXPECT_FALSE(m.paused);
  EXPECT_FALSE(m.last_ping.has_value());
  EXPECT_EQ(m.alert.alert_count, 0);
}

TEST(Monitor, NotExpiredBeforeExpiresAt) {
  Monitor m = MakeMonitor(kNow);
  m.expires_at = kNow + 1;
  EXPECT_FALSE(m.expired(kNow));
}

TEST(Monitor, ExpiredExactlyAtExpiresAt) {
  Monitor m = MakeMonitor(kNow);
  m.expires_at = kNow;
  EXPECT_TRUE(m.expired(kNow));
}

TEST(Monitor, ExpiredAfterExpiresAt) {
  Monitor m = MakeMonitor(kNow);
  m.expires_at = kNow - 1;
  EXPECT_TRUE(m.expired(kNow));
}

TEST(Monitor, ExpiryIsNinetyDays) {
  EXPECT_EQ(kExpiryMillis, 90LL * 24 * 3600 * 1000);
  Monitor m = MakeMonitor(kNow);
  m.expires_at = kNow + kExpiryMillis;
  EXPECT_FALSE(m.expired(kNow + kExpiryMillis - 1));
  EXPECT_TRUE(m.expired(kNow + kExpiryMillis));
}

}  // namespace
}  // namespace heartbeat
