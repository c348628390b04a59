// The alert engine (core/alert.h) through every transition of SPEC §5, with explicit
// times: Decide and NextCheckAt are pure, so no clock is needed.

#include "core/alert.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <sstream>
#include <string>

#include "core/monitor.h"
#include "support/test_time.h"

namespace heartbeat {
namespace {

using testing::kHour;
using testing::kMinute;
using testing::kSecond;

constexpr std::int64_t kRepeat = kHour;  // ALERT_REPEAT_INTERVAL's default

// 2026-09-21T12:03:00Z: the last ping of the monitors below.
constexpr UnixMillis kPing = 1'789'992'180'000LL;
constexpr UnixMillis kDue = kPing + 5 * kMinute;  // 12:08:00

// A monitor pinged at kPing with a 5 m interval: ok until kDue, no alert state.
Monitor OkMonitor() {
  Monitor m;
  m.slug = "nightly-backup";
  m.interval_secs = 300;
  m.last_ping = kPing;
  m.next_due = kDue;
  m.created_at = kPing - 24 * kHour;
  m.expires_at = kPing + kExpiryMillis;
  return m;
}

// Writes a decision's next state into the monitor, as the checker's conditional write does.
void Apply(Monitor& m, const Decision& d) {
  m.alert.first_alerted_at = d.next.first_alerted_at;
  m.alert.last_alerted_at = d.next.last_alerted_at;
  m.alert.alert_count = d.next.alert_count;
  m.alert.down_since = d.next.down_since;
}

// What the API does on a ping (SPEC §4): last_ping = now, next_due = now + interval,
// a reported failure is cleared, the expiry moves.
void Ping(Monitor& m, UnixMillis now, std::optional<std::int64_t> interval_secs = std::nullopt) {
  if (interval_secs) m.interval_secs = *interval_secs;
  m.last_ping = now;
  m.next_due = now + m.interval_secs * kSecond;
  m.failed_at.reset();
  m.expires_at = now + kExpiryMillis;
}

// The monitor after its first OVERDUE alert at `at`.
Monitor AlertedMonitor(UnixMillis at) {
  Monitor m = OkMonitor();
  std::optional<Decision> d = Decide(m, at, kRepeat);
  EXPECT_TRUE(d.has_value());
  if (d) Apply(m, *d);
  return m;
}

AlertState State(std::optional<UnixMillis> first, std::optional<UnixMillis> last,
                 std::int64_t count, std::optional<UnixMillis> down_since) {
  return AlertState{first, last, count, down_since};
}

// --- ToString ---

TEST(AlertKind, ToStringNamesEveryKind) {
  EXPECT_EQ(ToString(AlertKind::kOverdue), "overdue");
  EXPECT_EQ(ToString(AlertKind::kFailed), "failed");
  EXPECT_EQ(ToString(AlertKind::kRepeat), "repeat");
  EXPECT_EQ(ToString(AlertKind::kRecovered), "recovered");
}

TEST(AlertState, IsActiveOnceAnAlertWasSentAndComparesAsAWhole) {
  EXPECT_FALSE(OkMonitor().alert.active());
  AlertState a = State(kDue + 1, kDue + kHour, 2, kDue);
  EXPECT_TRUE(a.active());
  AlertState b = a;
  b.down_since.reset();  // a row written before down_since existed
  EXPECT_NE(a, b);
  EXPECT_TRUE(b.active());
}

// --- an ok monitor and its deadline ---

TEST(DecideOkMonitor, NothingBeforeTheDeadline) {
  EXPECT_FALSE(Decide(OkMonitor(), kPing, kRepeat).has_value());
  EXPECT_FALSE(Decide(OkMonitor(), kDue - kMinute, kRepeat).has_value());
  EXPECT_FALSE(Decide(OkMonitor(), kDue - 1, kRepeat).has_value());
}

TEST(DecideOkMonitor, NothingExactlyAtTheDeadline) {
  EXPECT_FALSE(Decide(OkMonitor(), kDue, kRepeat).has_value());
}

TEST(DecideOkMonitor, FirstOverdueAlertOneMillisecondAfterTheDeadline) {
  const UnixMillis now = kDue + 1;
  std::optional<Decision> d = Decide(OkMonitor(), now, kRepeat);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alert.kind, AlertKind::kOverdue);
  EXPECT_EQ(d->alert.slug, "nightly-backup");
  EXPECT_EQ(d->alert.interval_secs, 300);
  EXPECT_EQ(d->alert.last_ping, std::optional<UnixMillis>(kPing));
  EXPECT_EQ(d->alert.deadline, kDue);
  EXPECT_EQ(d->alert.at, now);
  EXPECT_EQ(d->alert.down_since, kDue);  // the missed deadline, not the alert time
  EXPECT_EQ(d->expected, AlertState{});
  EXPECT_EQ(d->next, State(now, now, 1, kDue));
}

TEST(DecideOkMonitor, FirstOverdueAlertLongAfterTheDeadlineKeepsTheDeadline) {
  const UnixMillis now = kDue + 7 * kMinute + 123;
  std::optional<Decision> d = Decide(OkMonitor(), now, kRepeat);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alert.kind, AlertKind::kOverdue);
  EXPECT_EQ(d->alert.deadline, kDue);
  EXPECT_EQ(d->alert.at, now);
  EXPECT_EQ(d->alert.down_since, kDue);
  EXPECT_EQ(d->next, State(now, now, 1, kDue));
}

TEST(DecideOkMonitor, PingExactlyAtTheDeadlineKeepsItOk) {
  Monitor m = OkMonitor();
  Ping(m, kDue);  // the ping lands on the deadline itself
  EXPECT_EQ(m.next_due, kDue + 5 * kMinute);
  EXPECT_FALSE(Decide(m, kDue, kRepeat).has_value());
  EXPECT_FALSE(Decide(m, kDue + 1, kRepeat).has_value());  // overdue without the ping
  EXPECT_FALSE(Decide(m, m.next_due, kRepeat).has_value());
  std::optional<Decision> d = Decide(m, m.next_due + 1, kRepeat);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alert.kind, AlertKind::kOverdue);
  EXPECT_EQ(d->alert.deadline, kDue + 5 * kMinute);
  EXPECT_EQ(d->alert.down_since, kDue + 5 * kMinute);
  EXPECT_EQ(d->alert.last_ping, std::optional<UnixMillis>(kDue));
  EXPECT_EQ(d->next, State(m.next_due + 1, m.next_due + 1, 1, kDue + 5 * kMinute));
}

// --- fail ---

TEST(DecideFailed, FirstAlertIsFailedWithTheFailureTimeAsDeadlineEvenBeforeNextDue) {
  Monitor m = OkMonitor();
  const UnixMillis failed_at = kPing + 2 * kMinute;  // 3 minutes before next_due
  m.failed_at = failed_at;
  std::optional<Decision> d = Decide(m, failed_at, kRepeat);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alert.kind, AlertKind::kFailed);
  EXPECT_EQ(d->alert.deadline, failed_at);
  EXPECT_EQ(d->alert.at, failed_at);
  EXPECT_EQ(d->alert.down_since, failed_at);
  EXPECT_EQ(d->alert.last_ping, std::optional<UnixMillis>(kPing));
  EXPECT_EQ(d->expected, AlertState{});
  EXPECT_EQ(d->next, State(failed_at, failed_at, 1, failed_at));
}

TEST(DecideFailed, AlertDecidedLaterStillNamesTheFailureTime) {
  Monitor m = OkMonitor();
  const UnixMillis failed_at = kPing + 2 * kMinute;
  m.failed_at = failed_at;
  const UnixMillis now = failed_at + 1500;
  std::optional<Decision> d = Decide(m, now, kRepeat);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alert.kind, AlertKind::kFailed);
  EXPECT_EQ(d->alert.deadline, failed_at);
  EXPECT_EQ(d->alert.at, now);
  EXPECT_EQ(d->alert.down_since, failed_at);  // the failure, not the alert time
  EXPECT_EQ(d->next, State(now, now, 1, failed_at));
}

TEST(DecideFailed, FailAfterTheDeadlineBeforeAnyAlertIsStillAFailedAlert) {
  Monitor m = OkMonitor();
  m.failed_at = kDue + 10 * kSecond;  // overdue already, but the checker had not looked yet
  std::optional<Decision> d = Decide(m, kDue + 11 * kSecond, kRepeat);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alert.kind, AlertKind::kFailed);
  EXPECT_EQ(d->alert.deadline, kDue + 10 * kSecond);
  EXPECT_EQ(d->alert.down_since, kDue + 10 * kSecond);  // the failure time (see SPEC §5)
  EXPECT_EQ(d->next, State(kDue + 11 * kSecond, kDue + 11 * kSecond, 1, kDue + 10 * kSecond));
}

TEST(DecideFailed, MonitorCreatedByFailHasNoLastPing) {
  Monitor m;
  m.slug = "db";
  m.interval_secs = 300;
  m.created_at = kPing;
  m.next_due = kPing + 5 * kMinute;
  m.expires_at = kPing + kExpiryMillis;
  m.failed_at = kPing;
  std::optional<Decision> d = Decide(m, kPing + 200, kRepeat);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alert.kind, AlertKind::kFailed);
  EXPECT_EQ(d->alert.slug, "db");
  EXPECT_EQ(d->alert.last_ping, std::nullopt);
  EXPECT_EQ(d->alert.deadline, kPing);
  EXPECT_EQ(d->alert.down_since, kPing);
  EXPECT_EQ(d->next, State(kPing + 200, kPing + 200, 1, kPing));
}

TEST(DecideFailed, FailWhileAlreadyAlertedStartsNoNewFirstAlertAndKeepsTheRepeatSchedule) {
  const UnixMillis t1 = kDue + 1;
  Monitor m = AlertedMonitor(t1);
  m.failed_at = t1 + 10 * kMinute;
  EXPECT_FALSE(Decide(m, t1 + 10 * kMinute, kRepeat).has_value());
  EXPECT_FALSE(Decide(m, t1 + kRepeat - 1, kRepeat).has_value());
  std::optional<Decision> d = Decide(m, t1 + kRepeat, kRepeat);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alert.kind, AlertKind::kRepeat);
  EXPECT_EQ(d->alert.down_since, kDue);  // the outage began at the deadline, not at the fail
  EXPECT_EQ(d->next, State(t1, t1 + kRepeat, 2, kDue));
  EXPECT_EQ(NextCheckAt(m, kRepeat), std::optional<UnixMillis>(t1 + kRepeat));
}

// --- repeats ---

TEST(DecideRepeat, NothingBeforeLastAlertPlusRepeat) {
  const UnixMillis t1 = kDue + 1;
  Monitor m = AlertedMonitor(t1);
  EXPECT_FALSE(Decide(m, t1, kRepeat).has_value());
  EXPECT_FALSE(Decide(m, t1 + kMinute, kRepeat).has_value());
  EXPECT_FALSE(Decide(m, t1 + kRepeat - 1, kRepeat).has_value());
}

TEST(DecideRepeat, ExactlyAtLastAlertPlusRepeatARepeatWithCountPlusOne) {
  const UnixMillis t1 = kDue + 1;
  Monitor m = AlertedMonitor(t1);
  const UnixMillis now = t1 + kRepeat;
  std::optional<Decision> d = Decide(m, now, kRepeat);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alert.kind, AlertKind::kRepeat);
  EXPECT_EQ(d->alert.slug, "nightly-backup");
  EXPECT_EQ(d->alert.at, now);
  EXPECT_EQ(d->alert.down_since, kDue);
  EXPECT_EQ(d->alert.deadline, kDue);
  EXPECT_EQ(d->expected, State(t1, t1, 1, kDue));
  EXPECT_EQ(d->next, State(t1, now, 2, kDue));
}

TEST(DecideRepeat, ScheduleFollowsTheLastAlertNotTheFirst) {
  const UnixMillis t1 = kDue + 1;
  Monitor m = OkMonitor();
  // The second alert went out 5 minutes late.
  m.alert.first_alerted_at = t1;
  m.alert.last_alerted_at = t1 + kRepeat + 5 * kMinute;
  m.alert.alert_count = 2;
  m.alert.down_since = kDue;
  EXPECT_FALSE(Decide(m, t1 + 2 * kRepeat, kRepeat).has_value());
  EXPECT_FALSE(Decide(m, t1 + 2 * kRepeat + 5 * kMinute - 1, kRepeat).has_value());
  std::optional<Decision> d = Decide(m, t1 + 2 * kRepeat + 5 * kMinute, kRepeat);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alert.kind, AlertKind::kRepeat);
  EXPECT_EQ(d->next, State(t1, t1 + 2 * kRepeat + 5 * kMinute, 3, kDue));
  EXPECT_EQ(d->alert.down_since, kDue);
}

TEST(DecideRepeat, RepeatsKeepComingWhileOverdueWithAShortRepeatPeriod) {
  const std::int64_t repeat = 10 * kSecond;  // ALERT_REPEAT_INTERVAL below 30 s, for tests
  Monitor m = OkMonitor();
  UnixMillis now = kDue + 1;
  std::optional<Decision> d = Decide(m, now, repeat);
  ASSERT_TRUE(d.has_value());
  Apply(m, *d);
  for (std::int64_t count = 2; count <= 6; ++count) {
    EXPECT_FALSE(Decide(m, now + repeat - 1, repeat).has_value()) << count;
    now += repeat;
    d = Decide(m, now, repeat);
    ASSERT_TRUE(d.has_value()) << count;
    EXPECT_EQ(d->alert.kind, AlertKind::kRepeat);
    EXPECT_EQ(d->alert.down_since, kDue);
    EXPECT_EQ(d->next, State(kDue + 1, now, count, kDue));
    Apply(m, *d);
  }
}

TEST(DecideRepeat, FailedMonitorRepeatsAsStillOverdue) {
  Monitor m = OkMonitor();
  const UnixMillis failed_at = kPing + kMinute;
  m.failed_at = failed_at;
  std::optional<Decision> d = Decide(m, failed_at, kRepeat);
  ASSERT_TRUE(d.has_value());
  ASSERT_EQ(d->alert.kind, AlertKind::kFailed);
  Apply(m, *d);
  d = Decide(m, failed_at + kRepeat, kRepeat);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alert.kind, AlertKind::kRepeat);
  EXPECT_EQ(d->alert.down_since, failed_at);
  EXPECT_EQ(d->next, State(failed_at, failed_at + kRepeat, 2, failed_at));
}

// --- recovery ---

TEST(DecideRecovery, PingAfterTheAlertGivesRecoveredAndClearsTheState) {
  const UnixMillis t1 = kDue + 30 * kSecond;
  Monitor m = AlertedMonitor(t1);
  const UnixMillis back = t1 + 69 * kMinute;
  Ping(m, back);
  std::optional<Decision> d = Decide(m, back + 200, kRepeat);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alert.kind, AlertKind::kRecovered);
  EXPECT_EQ(d->alert.slug, "nightly-backup");
  EXPECT_EQ(d->alert.last_ping, std::optional<UnixMillis>(back));
  EXPECT_EQ(d->alert.down_since, kDue);
  EXPECT_EQ(d->alert.at, back + 200);
  EXPECT_EQ(d->expected, State(t1, t1, 1, kDue));
  EXPECT_EQ(d->next, AlertState{});
  Apply(m, *d);
  EXPECT_EQ(m.alert, AlertState{});
  EXPECT_EQ(m.alert.down_since, std::nullopt);
  EXPECT_FALSE(Decide(m, back + 200, kRepeat).has_value());
  EXPECT_FALSE(Decide(m, m.next_due, kRepeat).has_value());
}

TEST(DecideRecovery, RecoveryAfterRepeatsKeepsTheMissedDeadlineAsDownSince) {
  const UnixMillis t1 = kDue + 1;
  Monitor m = OkMonitor();
  m.alert.first_alerted_at = t1;
  m.alert.last_alerted_at = t1 + 2 * kRepeat;
  m.alert.alert_count = 3;
  m.alert.down_since = kDue;
  Ping(m, t1 + 2 * kRepeat + 9 * kMinute);
  std::optional<Decision> d = Decide(m, t1 + 2 * kRepeat + 9 * kMinute, kRepeat);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alert.kind, AlertKind::kRecovered);
  EXPECT_EQ(d->alert.down_since, kDue);
  EXPECT_EQ(d->expected, State(t1, t1 + 2 * kRepeat, 3, kDue));
  EXPECT_EQ(d->next, AlertState{});
}

TEST(DecideRecovery, RecoveryFromAFailureWhenThePingClearsIt) {
  Monitor m = OkMonitor();
  const UnixMillis failed_at = kPing + kMinute;
  m.failed_at = failed_at;
  std::optional<Decision> d = Decide(m, failed_at, kRepeat);
  ASSERT_TRUE(d.has_value());
  Apply(m, *d);
  Ping(m, failed_at + 10 * kMinute);
  d = Decide(m, failed_at + 10 * kMinute, kRepeat);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alert.kind, AlertKind::kRecovered);
  EXPECT_EQ(d->alert.down_since, failed_at);
  EXPECT_EQ(d->expected, State(failed_at, failed_at, 1, failed_at));
  EXPECT_EQ(d->next, AlertState{});
}

TEST(DecideRecovery, RecoveryExactlyAtTheNewDeadline) {
  const UnixMillis t1 = kDue + 1;
  Monitor m = AlertedMonitor(t1);
  Ping(m, t1 + 10 * kMinute);
  std::optional<Decision> d = Decide(m, m.next_due, kRepeat);  // not yet overdue again
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alert.kind, AlertKind::kRecovered);
}

TEST(DecideRecovery, IntervalChangeWhileOverdueRecovers) {
  const UnixMillis t1 = kDue + 1;
  Monitor m = AlertedMonitor(t1);
  const UnixMillis now = t1 + 20 * kMinute;
  Ping(m, now, 90 * 60);  // ?interval=1h30m moves next_due far ahead
  EXPECT_EQ(m.next_due, now + 90 * kMinute);
  std::optional<Decision> d = Decide(m, now, kRepeat);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alert.kind, AlertKind::kRecovered);
  EXPECT_EQ(d->alert.interval_secs, 5400);
  EXPECT_EQ(d->next, AlertState{});
}

// A ping after the alert, then silence again until the new deadline has passed too, all
// before the checker looked (the Lambda runs every minute or two; a 30 s monitor pings
// once and dies again). Whatever the engine decides, it must not leave the monitor "due
// at once" with nothing to do, or the checker examines it again and again (checker.cc
// then reschedules it to now + 1: a write per millisecond) until the next repeat.
TEST(DecideRecovery, PingThenOverdueAgainBeforeTheCheckerLookedDoesNotLoop) {
  const UnixMillis t1 = kDue + 1;
  Monitor m = AlertedMonitor(t1);
  Ping(m, t1 + 10 * kMinute, 30);
  const UnixMillis now = m.next_due + 30 * kSecond;  // overdue again
  std::optional<Decision> d = Decide(m, now, kRepeat);
  std::optional<UnixMillis> check = NextCheckAt(m, kRepeat);
  ASSERT_TRUE(check.has_value());
  EXPECT_TRUE(d.has_value() || *check > now)
      << "Decide gives nothing, yet NextCheckAt says due at " << *check << " <= now " << now;
}

// --- pause ---

TEST(DecidePaused, NothingEverWhilePaused) {
  Monitor m = OkMonitor();
  m.paused = true;
  for (UnixMillis now : {kPing, kDue, kDue + 1, kDue + kRepeat, kDue + 30 * 24 * kHour}) {
    EXPECT_FALSE(Decide(m, now, kRepeat).has_value()) << now;
  }
  m.failed_at = kPing + kMinute;
  EXPECT_FALSE(Decide(m, kPing + kMinute, kRepeat).has_value());
  EXPECT_EQ(NextCheckAt(m, kRepeat), std::nullopt);
}

TEST(DecidePaused, NothingWhilePausedEvenWithAnActiveAlertState) {
  const UnixMillis t1 = kDue + 1;
  Monitor m = AlertedMonitor(t1);
  m.paused = true;
  EXPECT_FALSE(Decide(m, t1 + kRepeat, kRepeat).has_value());  // no repeat
  EXPECT_FALSE(Decide(m, t1 + 5 * kRepeat, kRepeat).has_value());
  Ping(m, t1 + 2 * kRepeat);  // pings are recorded, the monitor stays paused
  EXPECT_FALSE(Decide(m, t1 + 2 * kRepeat, kRepeat).has_value());  // no recovery
  EXPECT_EQ(NextCheckAt(m, kRepeat), std::nullopt);
}

TEST(DecidePaused, UnpauseStartsAFreshPeriod) {
  Monitor m = OkMonitor();
  m.paused = true;
  const UnixMillis unpaused = kDue + 3 * kHour;
  m.paused = false;
  m.next_due = unpaused + 5 * kMinute;
  EXPECT_FALSE(Decide(m, unpaused, kRepeat).has_value());
  EXPECT_FALSE(Decide(m, unpaused + 5 * kMinute, kRepeat).has_value());
  std::optional<Decision> d = Decide(m, unpaused + 5 * kMinute + 1, kRepeat);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alert.kind, AlertKind::kOverdue);
  EXPECT_EQ(d->alert.deadline, unpaused + 5 * kMinute);
}

// --- the Decision's bookkeeping ---

TEST(DecideDecision, ExpectedIsTheStateDecidedOnForEveryKind) {
  // first alert
  Monitor m = OkMonitor();
  std::optional<Decision> d = Decide(m, kDue + 1, kRepeat);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->expected, m.alert);
  Apply(m, *d);
  // repeat
  d = Decide(m, kDue + 1 + kRepeat, kRepeat);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->expected, m.alert);
  EXPECT_EQ(d->expected, State(kDue + 1, kDue + 1, 1, kDue));
  Apply(m, *d);
  // recovery
  Ping(m, kDue + 1 + kRepeat + kMinute);
  d = Decide(m, kDue + 1 + kRepeat + kMinute, kRepeat);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alert.kind, AlertKind::kRecovered);
  EXPECT_EQ(d->expected, m.alert);
  EXPECT_EQ(d->expected, State(kDue + 1, kDue + 1 + kRepeat, 2, kDue));
}

TEST(DecideDecision, DownSinceIsTheMissedDeadline) {
  const UnixMillis t1 = kDue + 42;
  Monitor m = OkMonitor();
  std::optional<Decision> d = Decide(m, t1, kRepeat);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alert.down_since, kDue);
  EXPECT_EQ(d->next.down_since, std::optional<UnixMillis>(kDue));
  Apply(m, *d);
  for (int i = 1; i <= 3; ++i) {
    d = Decide(m, t1 + i * kRepeat, kRepeat);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->alert.down_since, kDue) << "repeat " << i;
    EXPECT_EQ(d->next.down_since, std::optional<UnixMillis>(kDue)) << "repeat " << i;
    Apply(m, *d);
  }
  Ping(m, t1 + 3 * kRepeat + 9 * kMinute);
  d = Decide(m, t1 + 3 * kRepeat + 9 * kMinute, kRepeat);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alert.kind, AlertKind::kRecovered);
  EXPECT_EQ(d->alert.down_since, kDue);
  EXPECT_EQ(d->next.down_since, std::nullopt);
}

// SPEC §5's story: last ping 12:03, deadline 12:08; a late checker sends OVERDUE only at
// 12:15 ("7m late"), STILL OVERDUE at 13:15 ("down 1h 7m"), a ping at 13:17 gives
// RECOVERED ("was down 1h 9m"). "down" counts from the missed deadline, not from the
// first alert, however late that came.
TEST(DecideDecision, RepeatAndRecoveryCountFromTheMissedDeadlineEvenWhenTheFirstAlertWasLate) {
  const UnixMillis t1215 = kDue + 7 * kMinute;
  const UnixMillis t1315 = t1215 + kRepeat;
  const UnixMillis t1317 = t1315 + 2 * kMinute;
  Monitor m = OkMonitor();
  std::optional<Decision> d = Decide(m, t1215, kRepeat);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alert.kind, AlertKind::kOverdue);
  EXPECT_EQ(d->alert.at - d->alert.deadline, 7 * kMinute);
  EXPECT_EQ(d->alert.down_since, kDue);
  EXPECT_EQ(d->next, State(t1215, t1215, 1, kDue));
  Apply(m, *d);
  EXPECT_EQ(m.alert.down_since, std::optional<UnixMillis>(kDue));

  d = Decide(m, t1315, kRepeat);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alert.kind, AlertKind::kRepeat);
  EXPECT_EQ(d->alert.down_since, kDue);
  EXPECT_EQ(d->alert.at - d->alert.down_since, kHour + 7 * kMinute);  // "down 1h 7m"
  EXPECT_EQ(d->expected, State(t1215, t1215, 1, kDue));
  EXPECT_EQ(d->next, State(t1215, t1315, 2, kDue));
  Apply(m, *d);

  Ping(m, t1317);
  d = Decide(m, t1317, kRepeat);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alert.kind, AlertKind::kRecovered);
  EXPECT_EQ(d->alert.down_since, kDue);
  ASSERT_TRUE(d->alert.last_ping.has_value());
  EXPECT_EQ(*d->alert.last_ping - d->alert.down_since, kHour + 9 * kMinute);  // "was down 1h 9m"
  EXPECT_EQ(d->expected, State(t1215, t1315, 2, kDue));
  EXPECT_EQ(d->next, AlertState{});
  Apply(m, *d);
  EXPECT_EQ(m.alert, AlertState{});
}

// A row alerted before down_since existed has the other three fields but no down_since:
// repeats and the recovery then count from the first alert, and a repeat does not
// invent a down_since it never had.
TEST(DecideDecision, DownSinceFallsBackToTheFirstAlertWhenTheMonitorHasNone) {
  const UnixMillis t1 = kDue + 7 * kMinute;
  Monitor m = OkMonitor();
  m.alert.first_alerted_at = t1;
  m.alert.last_alerted_at = t1;
  m.alert.alert_count = 1;
  ASSERT_EQ(m.alert.down_since, std::nullopt);

  std::optional<Decision> d = Decide(m, t1 + kRepeat, kRepeat);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alert.kind, AlertKind::kRepeat);
  EXPECT_EQ(d->alert.down_since, t1);
  EXPECT_EQ(d->expected, State(t1, t1, 1, std::nullopt));
  EXPECT_EQ(d->next, State(t1, t1 + kRepeat, 2, std::nullopt));
  Apply(m, *d);

  Ping(m, t1 + kRepeat + 2 * kMinute);
  d = Decide(m, t1 + kRepeat + 2 * kMinute, kRepeat);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alert.kind, AlertKind::kRecovered);
  EXPECT_EQ(d->alert.down_since, t1);
  EXPECT_EQ(d->expected, State(t1, t1 + kRepeat, 2, std::nullopt));
  EXPECT_EQ(d->next, AlertState{});
}

// --- NextCheckAt ---

TEST(NextCheckAt, PausedIsNever) {
  Monitor m = OkMonitor();
  m.paused = true;
  EXPECT_EQ(NextCheckAt(m, kRepeat), std::nullopt);
}

TEST(NextCheckAt, OkMonitorIsDueOneMillisecondAfterNextDue) {
  Monitor m = OkMonitor();
  EXPECT_EQ(NextCheckAt(m, kRepeat), std::optional<UnixMillis>(kDue + 1));
  EXPECT_FALSE(Decide(m, kDue, kRepeat).has_value());
  EXPECT_TRUE(Decide(m, kDue + 1, kRepeat).has_value());
}

TEST(NextCheckAt, FailedNotYetAlertedIsTheFailureTime) {
  Monitor m = OkMonitor();
  m.failed_at = kPing + 2 * kMinute;
  EXPECT_EQ(NextCheckAt(m, kRepeat), std::optional<UnixMillis>(kPing + 2 * kMinute));
  m.failed_at = kDue + kHour;  // after next_due as well
  EXPECT_EQ(NextCheckAt(m, kRepeat), std::optional<UnixMillis>(kDue + kHour));
}

TEST(NextCheckAt, AlertedAndStillOverdueIsLastAlertPlusRepeat) {
  Monitor m = OkMonitor();
  m.alert.first_alerted_at = kDue + 1;
  m.alert.last_alerted_at = kDue + 1 + kRepeat;
  m.alert.alert_count = 2;
  EXPECT_EQ(NextCheckAt(m, kRepeat), std::optional<UnixMillis>(kDue + 1 + 2 * kRepeat));
  EXPECT_EQ(NextCheckAt(m, 30 * kSecond),
            std::optional<UnixMillis>(kDue + 1 + kRepeat + 30 * kSecond));
}

TEST(NextCheckAt, AlertedAndFailedIsLastAlertPlusRepeatEvenAfterAPingBeforeTheFail) {
  Monitor m = AlertedMonitor(kDue + 1);
  Ping(m, kDue + 10 * kMinute);       // next_due moves past the alert...
  m.failed_at = kDue + 11 * kMinute;  // ...but the job fails again
  EXPECT_EQ(NextCheckAt(m, kRepeat), std::optional<UnixMillis>(kDue + 1 + kRepeat));
}

TEST(NextCheckAt, AlertedAndPingedIsDueAtOnce) {
  const UnixMillis t1 = kDue + 1;
  Monitor m = AlertedMonitor(t1);
  const UnixMillis back = t1 + 20 * kMinute;
  Ping(m, back);
  ASSERT_GT(m.next_due, *m.alert.last_alerted_at);
  std::optional<UnixMillis> at = NextCheckAt(m, kRepeat);
  ASSERT_TRUE(at.has_value());
  EXPECT_EQ(*at, back);
  EXPECT_LE(*at, back + 1);  // due for whoever looks now
  std::optional<Decision> d = Decide(m, *at, kRepeat);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alert.kind, AlertKind::kRecovered);
}

TEST(NextCheckAt, AfterEachDecisionPointsAtTheNextOne) {
  Monitor m = OkMonitor();
  std::optional<Decision> d = Decide(m, kDue + 1, kRepeat);
  ASSERT_TRUE(d.has_value());
  Apply(m, *d);
  EXPECT_EQ(NextCheckAt(m, kRepeat), std::optional<UnixMillis>(kDue + 1 + kRepeat));
  d = Decide(m, kDue + 1 + kRepeat, kRepeat);
  ASSERT_TRUE(d.has_value());
  Apply(m, *d);
  EXPECT_EQ(NextCheckAt(m, kRepeat), std::optional<UnixMillis>(kDue + 1 + 2 * kRepeat));
  Ping(m, kDue + 2 * kRepeat);
  d = Decide(m, kDue + 2 * kRepeat, kRepeat);
  ASSERT_TRUE(d.has_value());
  ASSERT_EQ(d->alert.kind, AlertKind::kRecovered);
  Apply(m, *d);
  EXPECT_EQ(NextCheckAt(m, kRepeat), std::optional<UnixMillis>(m.next_due + 1));
}

// --- properties over simulated histories ---
//
// A monitor goes through random histories of what the API does (pings, interval changes,
// fail, pause, unpause) and of checker runs at random moments, the exact deadlines
// included. At every checker run:
//  - when Decide gives nothing, NextCheckAt is in the future (or never): the checker
//    never loops on a monitor;
//  - when NextCheckAt is in the future, nothing is due just before it, and something is
//    due exactly at it (the checker neither wakes too late nor for nothing);
//  - a decision expects the state it was made on, and once applied, deciding again at the
//    same instant gives nothing, except that a recovery may at once be followed by a
//    fresh first alert when the monitor is overdue again (then nothing).

struct Sim {
  std::mt19937_64 rng;
  Monitor m = OkMonitor();
  UnixMillis now = kPing;
  std::int64_t repeat;
  std::ostringstream log;
  int failures = 0;

  explicit Sim(std::uint64_t seed) : rng(seed) {
    const std::int64_t repeats[] = {kHour, 30 * kSecond, 5 * kSecond, 3 * kHour, 1};
    repeat = repeats[Pick(5)];
    log << "seed " << seed << " repeat " << repeat << "\n";
  }

  std::uint64_t Pick(std::uint64_t n) { return rng() % n; }
  std::int64_t Between(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(Pick(static_cast<std::uint64_t>(hi - lo + 1)));
  }

  void Fail(const std::string& what) {
    if (failures++ < 3) ADD_FAILURE() << what << "\nhistory:\n" << log.str();
  }

  std::string Describe() const {
    std::ostringstream s;
    s << "now=" << now << " next_due=" << m.next_due << " interval=" << m.interval_secs
      << " last_ping=" << (m.last_ping ? std::to_string(*m.last_ping) : "none")
      << " failed_at=" << (m.failed_at ? std::to_string(*m.failed_at) : "none")
      << " paused=" << m.paused << " state={"
      << (m.alert.first_alerted_at ? std::to_string(*m.alert.first_alerted_at) : "none") << ","
      << (m.alert.last_alerted_at ? std::to_string(*m.alert.last_alerted_at) : "none") << ","
      << m.alert.alert_count << ","
      << (m.alert.down_since ? std::to_string(*m.alert.down_since) : "none") << "}";
    return s.str();
  }

  void Advance() {
    std::optional<UnixMillis> next = NextCheckAt(m, repeat);
    switch (Pick(8)) {
      case 0:
        break;  // same instant
      case 1:
        now += 1;
        break;
      case 2:
        if (m.next_due >= now) now = m.next_due;  // exactly at the deadline
        break;
      case 3:
        if (m.next_due + 1 >= now) now = m.next_due + 1;
        break;
      case 4:
        if (next && *next >= now) now = *next;  // the in-process checker's wake-up
        break;
      case 5:
        now += Between(0, 2 * m.interval_secs * kSecond);
        break;
      case 6:
        now += Between(0, 2 * repeat);
        break;
      default:
        now += Between(0, 90 * kSecond);
        break;
    }
  }

  void ApiEvent() {
    switch (Pick(10)) {
      case 0:
      case 1:
      case 2:
      case 3:
        Ping(m, now);
        log << "ping at " << now << "\n";
        break;
      case 4: {
        const std::int64_t intervals[] = {30, 45, 300, 3600, 5400, 86400};
        std::int64_t interval = intervals[Pick(6)];
        Ping(m, now, interval);
        log << "ping at " << now << " interval " << interval << "\n";
        break;
      }
      case 5:
        m.failed_at = now;
        log << "fail at " << now << "\n";
        break;
      case 6:
        if (!m.paused) {
          m.paused = true;
          m.failed_at.reset();
          m.alert.first_alerted_at.reset();
          m.alert.last_alerted_at.reset();
          m.alert.alert_count = 0;
          m.alert.down_since.reset();
          log << "pause at " << now << "\n";
        }
        break;
      case 7:
        if (m.paused) {
          m.paused = false;
          m.next_due = now + m.interval_secs * kSecond;
          log << "unpause at " << now << "\n";
        }
        break;
      default:
        break;  // silence
    }
  }

  // The first alert starts the outage at the missed deadline (the failure for kFailed);
  // repeats keep it; a recovery clears it; the alert reports the stored outage start.
  void CheckDownSince(const Decision& d) {
    switch (d.alert.kind) {
      case AlertKind::kOverdue:
        if (!(d.next == AlertState{now, now, 1, m.next_due}) || d.alert.down_since != m.next_due) {
          Fail("a first OVERDUE alert whose down_since is not the deadline: " + Describe());
        }
        break;
      case AlertKind::kFailed:
        if (!m.failed_at || !(d.next == AlertState{now, now, 1, *m.failed_at}) ||
            d.alert.down_since != *m.failed_at) {
          Fail("a first FAILED alert whose down_since is not the failure: " + Describe());
        }
        break;
      case AlertKind::kTimedOut:
        if (!m.run_deadline() || !(d.next == AlertState{now, now, 1, *m.run_deadline()}) ||
            d.alert.down_since != *m.run_deadline()) {
          Fail("a first RUN TIMED OUT alert whose down_since is not the run's limit: " +
               Describe());
        }
        break;
      case AlertKind::kRepeat:
        if (!m.alert.down_since || d.next.down_since != m.alert.down_since ||
            d.alert.down_since != *m.alert.down_since) {
          Fail("a repeat that does not keep down_since: " + Describe());
        }
        break;
      case AlertKind::kRecovered:
        if (!m.alert.down_since || !(d.next == AlertState{}) ||
            d.alert.down_since != *m.alert.down_since) {
          Fail("a recovery that does not report and clear down_since: " + Describe());
        }
        break;
    }
    if (m.alert.alert_count > 0 && (!m.alert.down_since || !m.alert.first_alerted_at ||
                                    *m.alert.down_since > *m.alert.first_alerted_at)) {
      Fail("an outage that began after its first alert: " + Describe());
    }
  }

  void CheckerRun() {
    log << "check at " << now << ": " << Describe() << "\n";
    for (int step = 0; step < 3; ++step) {
      std::optional<Decision> d = Decide(m, now, repeat);
      if (!d) break;
      log << "  -> " << ToString(d->alert.kind) << "\n";
      if (!(d->expected == m.alert)) Fail("expected != the state decided on");
      CheckDownSince(*d);
      if (step == 1 &&
          !(d->alert.kind == AlertKind::kOverdue || d->alert.kind == AlertKind::kFailed)) {
        Fail("a second decision at the same instant that is not a fresh first alert");
      }
      if (step == 2) Fail("a third decision at the same instant");
      const bool recovered = d->alert.kind == AlertKind::kRecovered;
      Apply(m, *d);
      if (!recovered || DeriveStatus(m, now) != MonitorStatus::kOverdue) {
        if (Decide(m, now, repeat)) {
          Fail("deciding again at the same instant gives another decision: " + Describe());
        }
        break;
      }
    }
    std::optional<UnixMillis> next = NextCheckAt(m, repeat);
    if (m.paused) {
      if (next) Fail("a paused monitor has a next check: " + Describe());
      return;
    }
    if (!next) {
      Fail("no next check for a monitor that is not paused: " + Describe());
      return;
    }
    if (*next <= now) {
      Fail("Decide gives nothing but NextCheckAt is " + std::to_string(*next) +
           " <= now: " + Describe());
      return;
    }
    if (Decide(m, *next - 1, repeat)) {
      Fail("something is due before NextCheckAt " + std::to_string(*next) + ": " + Describe());
    }
    if (!Decide(m, *next, repeat)) {
      Fail("nothing is due at NextCheckAt " + std::to_string(*next) + ": " + Describe());
    }
  }
};

TEST(AlertEngineProperties, CheckerNeverLoopsAndDecisionsAreIdempotentOverRandomHistories) {
  int total_failures = 0;
  for (std::uint64_t seed = 1; seed <= 2000 && total_failures < 3; ++seed) {
    Sim sim(seed);
    for (int step = 0; step < 60; ++step) {
      sim.Advance();
      if (sim.Pick(3) == 0) {
        sim.ApiEvent();
      } else {
        sim.CheckerRun();
      }
    }
    total_failures += sim.failures;
  }
  EXPECT_EQ(total_failures, 0);
}

TEST(AlertEngineProperties, AnOkMonitorWithoutPingsGoesOverdueAndRepeatsOnSchedule) {
  // The simplest history, checked at every NextCheckAt: the checker's exact wake-ups.
  Monitor m = OkMonitor();
  std::vector<AlertKind> kinds;
  std::vector<UnixMillis> times;
  for (int i = 0; i < 4; ++i) {
    std::optional<UnixMillis> at = NextCheckAt(m, kRepeat);
    ASSERT_TRUE(at.has_value());
    std::optional<Decision> d = Decide(m, *at, kRepeat);
    ASSERT_TRUE(d.has_value()) << i;
    kinds.push_back(d->alert.kind);
    times.push_back(*at);
    Apply(m, *d);
  }
  EXPECT_EQ(kinds, (std::vector<AlertKind>{AlertKind::kOverdue, AlertKind::kRepeat,
                                           AlertKind::kRepeat, AlertKind::kRepeat}));
  EXPECT_EQ(times, (std::vector<UnixMillis>{kDue + 1, kDue + 1 + kRepeat, kDue + 1 + 2 * kRepeat,
                                            kDue + 1 + 3 * kRepeat}));
}

}  // namespace
}  // namespace heartbeat
