// core/lifecycle.h: every transition of a monitor's life as a pure function, driven by a
// fake clock, with no store. The stores apply these through Mutate; the store contract
// suite checks that they persist what these return.

#include "core/lifecycle.h"

#include <gtest/gtest.h>

#include <optional>

#include "core/interval.h"
#include "support/fake_clock.h"
#include "support/test_time.h"

namespace heartbeat {
namespace {

using testing::FakeClock;
using testing::kDay;
using testing::kHour;
using testing::kMinute;
using testing::kSecond;
using testing::kT0;

constexpr std::int64_t kRepeatMs = kHour;

// A monitor pinged at kT0 with a 5-minute interval.
Monitor PingedAtT0() { return Pinged(std::nullopt, "job", 300, kT0); }

// The monitor after the checker's step at `now` (no concurrent change).
Monitor Checked(const Monitor& m, UnixMillis now) {
  CheckStep step = Check(m, now, kRepeatMs, {"telegram"});
  Result<Mutation> w = ApplyCheck(m, m, step, now);
  EXPECT_TRUE(w.ok());
  EXPECT_EQ(w->kind, Mutation::Kind::kPut);
  return w->monitor;
}

// --- liveness and creation ---

TEST(IsLive, AbsentAndExpiredMonitorsAreGone) {
  Monitor m = PingedAtT0();
  EXPECT_FALSE(IsLive(std::nullopt, kT0));
  EXPECT_TRUE(IsLive(m, kT0 + kExpiryMillis - 1));
  EXPECT_FALSE(IsLive(m, kT0 + kExpiryMillis));
}

TEST(Pinged, FirstPingCreatesWithTheDefaultIntervalAndAFreshPeriod) {
  FakeClock clock;
  Monitor m = Pinged(std::nullopt, "job", std::nullopt, clock.Now());
  EXPECT_EQ(m.slug, "job");
  EXPECT_EQ(m.interval_secs, kDefaultIntervalSecs);
  EXPECT_EQ(m.last_ping, kT0);
  EXPECT_EQ(m.created_at, kT0);
  EXPECT_EQ(m.next_due, kT0 + kDefaultIntervalSecs * kSecond);
  EXPECT_EQ(m.expires_at, kT0 + kExpiryMillis);
  EXPECT_EQ(m.check_at, m.next_due + 1);
  EXPECT_FALSE(m.paused);
  EXPECT_EQ(m.alert, AlertState{});
}

TEST(Pinged, LaterPingKeepsTheStoredIntervalUnlessOneIsGiven) {
  FakeClock clock;
  Monitor m = PingedAtT0();
  clock.Advance(std::chrono::minutes(2));
  Monitor kept = Pinged(m, "job", std::nullopt, clock.Now());
  EXPECT_EQ(kept.interval_secs, 300);
  EXPECT_EQ(kept.created_at, kT0);
  EXPECT_EQ(kept.next_due, clock.Now() + 5 * kMinute);
  Monitor changed = Pinged(kept, "job", 3600, clock.Now());
  EXPECT_EQ(changed.interval_secs, 3600);
  EXPECT_EQ(changed.next_due, clock.Now() + kHour);
  EXPECT_EQ(changed.check_at, clock.Now() + kHour + 1);
}

TEST(Pinged, ClearsAReportedFailureAndMovesTheExpiry) {
  Monitor m = Failed(PingedAtT0(), "job", kT0 + kMinute);
  ASSERT_TRUE(m.failed());
  Monitor p = Pinged(m, "job", std::nullopt, kT0 + 2 * kMinute);
  EXPECT_FALSE(p.failed());
  EXPECT_EQ(p.expires_at, kT0 + 2 * kMinute + kExpiryMillis);
}

TEST(Pinged, AnAlertedMonitorsRecoveryIsDueAtThePing) {
  Monitor m = Checked(PingedAtT0(), kT0 + 5 * kMinute + 1);
  ASSERT_TRUE(m.alert.active());
  const UnixMillis ping = kT0 + 20 * kMinute;
  Monitor p = Pinged(m, "job", std::nullopt, ping);
  EXPECT_TRUE(p.alert.active());  // the checker clears it with the recovery
  EXPECT_EQ(p.check_at, ping);
  EXPECT_EQ(CheckAtAfterPing(p), ping);
}

TEST(Pinged, APausedMonitorStaysPausedAndIsNeverDue) {
  Monitor m = *Paused(PingedAtT0(), kT0);
  Monitor p = Pinged(m, "job", std::nullopt, kT0 + kMinute);
  EXPECT_TRUE(p.paused);
  EXPECT_EQ(p.last_ping, kT0 + kMinute);
  EXPECT_EQ(p.check_at, std::nullopt);
}

TEST(Pinged, AnExpiredMonitorStartsAfresh) {
  Monitor m = Checked(PingedAtT0(), kT0 + 5 * kMinute + 1);
  m = *Paused(m, kT0 + 6 * kMinute);
  const UnixMillis later = kT0 + kExpiryMillis + kDay;
  Monitor p = Pinged(m, "job", std::nullopt, later);
  EXPECT_EQ(p.created_at, later);
  EXPECT_EQ(p.interval_secs, kDefaultIntervalSecs);  // not the expired one's
  EXPECT_FALSE(p.paused);
  EXPECT_EQ(p.alert, AlertState{});
  Mutation w = SignalWrite(m, p, later);
  EXPECT_TRUE(w.fresh);
  EXPECT_FALSE(SignalWrite(p, Pinged(p, "job", std::nullopt, later + 1), later + 1).fresh);
}

// --- fail ---

TEST(Failed, OnAnUnknownSlugCreatesAFailedMonitorDueAtOnce) {
  Monitor m = Failed(std::nullopt, "job", kT0);
  EXPECT_EQ(m.interval_secs, kDefaultIntervalSecs);
  EXPECT_EQ(m.last_ping, std::nullopt);
  EXPECT_EQ(m.failed_at, kT0);
  EXPECT_EQ(m.next_due, kT0);
  EXPECT_EQ(m.check_at, kT0);
  EXPECT_EQ(DeriveStatus(m, kT0), MonitorStatus::kOverdue);
}

TEST(Failed, KeepsTheFirstFailureAndNeverMovesTheDeadlineLater) {
  Monitor m = Failed(PingedAtT0(), "job", kT0 + kMinute);
  EXPECT_EQ(m.next_due, kT0 + kMinute);
  Monitor again = Failed(m, "job", kT0 + 2 * kMinute);
  EXPECT_EQ(again.failed_at, kT0 + kMinute);
  EXPECT_EQ(again.next_due, kT0 + kMinute);
}

TEST(Failed, WhileAlertedTheRepeatScheduleStands) {
  Monitor m = Checked(PingedAtT0(), kT0 + 5 * kMinute + 1);
  ASSERT_EQ(m.check_at, kT0 + 5 * kMinute + 1 + kRepeatMs);
  Monitor f = Failed(m, "job", kT0 + 10 * kMinute);
  EXPECT_EQ(f.check_at, m.check_at);
  EXPECT_EQ(f.alert, m.alert);
}

TEST(Failed, WhilePausedIsRecordedButNothingIsDue) {
  Monitor m = Failed(*Paused(PingedAtT0(), kT0), "job", kT0 + kMinute);
  EXPECT_EQ(m.failed_at, kT0 + kMinute);
  EXPECT_EQ(m.check_at, std::nullopt);
}

TEST(Failed, MovesTheExpiryForwardOnly) {
  Monitor m = PingedAtT0();
  Monitor f = Failed(m, "job", kT0 + kMinute);
  EXPECT_EQ(f.expires_at, kT0 + kMinute + kExpiryMillis);
}

// --- pause and unpause ---

TEST(Paused, ClearsAlertStateAndFailureAndStopsTheChecker) {
  Monitor m = Checked(Failed(PingedAtT0(), "job", kT0 + kMinute), kT0 + kMinute);
  ASSERT_TRUE(m.alert.active());
  std::optional<Monitor> p = Paused(m, kT0 + 2 * kMinute);
  ASSERT_TRUE(p.has_value());
  EXPECT_TRUE(p->paused);
  EXPECT_FALSE(p->failed());
  EXPECT_EQ(p->alert, AlertState{});
  EXPECT_EQ(p->check_at, std::nullopt);
}

TEST(Paused, NothingToPauseWhenAbsentOrExpired) {
  EXPECT_EQ(Paused(std::nullopt, kT0), std::nullopt);
  EXPECT_EQ(Paused(PingedAtT0(), kT0 + kExpiryMillis), std::nullopt);
}

TEST(Unpaused, StartsAFreshPeriod) {
  Monitor m = *Paused(PingedAtT0(), kT0);
  const UnixMillis now = kT0 + kDay;
  std::optional<Monitor> u = Unpaused(m, now);
  ASSERT_TRUE(u.has_value());
  EXPECT_FALSE(u->paused);
  EXPECT_EQ(u->next_due, now + 5 * kMinute);
  EXPECT_EQ(u->check_at, now + 5 * kMinute + 1);
}

TEST(Unpaused, AFailureReportedWhilePausedIsDueAtOnce) {
  Monitor m = Failed(*Paused(PingedAtT0(), kT0), "job", kT0 + kMinute);
  std::optional<Monitor> u = Unpaused(m, kT0 + kHour);
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->next_due, kT0 + kHour);
  EXPECT_EQ(u->check_at, kT0 + kHour);
}

TEST(Unpaused, ANotPausedMonitorComesBackUnchangedAndAnAbsentOneNotAtAll) {
  Monitor m = PingedAtT0();
  EXPECT_EQ(Unpaused(m, kT0 + kMinute), m);
  EXPECT_EQ(Unpaused(std::nullopt, kT0), std::nullopt);
  EXPECT_EQ(Unpaused(*Paused(m, kT0), kT0 + kExpiryMillis), std::nullopt);
}

// --- the checker's step ---

TEST(Check, NothingDueBeforeTheDeadlineIsRescheduledNeverIntoThePast) {
  Monitor m = PingedAtT0();
  CheckStep step =
      Check(m, kT0 + 5 * kMinute, kRepeatMs, {"telegram"});  // at the deadline: still ok
  EXPECT_FALSE(step.remove);
  EXPECT_FALSE(step.decision.has_value());
  EXPECT_EQ(step.next.check_at, kT0 + 5 * kMinute + 1);
  // Looked at late with nothing to do: the next look is after now, never at or before it.
  m.check_at = kT0;
  m.next_due = kT0 + kHour;
  CheckStep late = Check(m, kT0 + kHour, kRepeatMs, {"telegram"});
  EXPECT_FALSE(late.decision.has_value());
  EXPECT_GT(*late.next.check_at, kT0 + kHour);
}

TEST(Check, PastTheDeadlineDecidesTheFirstAlertAndSchedulesTheRepeat) {
  const UnixMillis now = kT0 + 5 * kMinute + 1;
  CheckStep step = Check(PingedAtT0(), now, kRepeatMs, {"telegram"});
  ASSERT_TRUE(step.decision.has_value());
  EXPECT_EQ(step.decision->alert.kind, AlertKind::kOverdue);
  EXPECT_EQ(step.next.alert, step.decision->next);
  EXPECT_EQ(step.next.alert.alert_count, 1);
  EXPECT_EQ(step.next.check_at, now + kRepeatMs);
}

TEST(Check, AWholeOutageRepeatsThenRecoversThenIsOkAgain) {
  FakeClock clock(kT0 + 5 * kMinute + 1);
  Monitor m = Checked(PingedAtT0(), clock.Now());
  clock.Advance(std::chrono::hours(1));
  CheckStep repeat = Check(m, clock.Now(), kRepeatMs, {"telegram"});
  ASSERT_TRUE(repeat.decision.has_value());
  EXPECT_EQ(repeat.decision->alert.kind, AlertKind::kRepeat);
  m = Checked(m, clock.Now());
  EXPECT_EQ(m.alert.alert_count, 2);
  clock.Advance(std::chrono::minutes(3));
  m = Pinged(m, "job", std::nullopt, clock.Now());
  CheckStep recovery = Check(m, clock.Now(), kRepeatMs, {"telegram"});
  ASSERT_TRUE(recovery.decision.has_value());
  EXPECT_EQ(recovery.decision->alert.kind, AlertKind::kRecovered);
  m = Checked(m, clock.Now());
  EXPECT_EQ(m.alert, AlertState{});
  EXPECT_EQ(m.check_at, m.next_due + 1);
  EXPECT_EQ(DeriveStatus(m, clock.Now()), MonitorStatus::kOk);
}

TEST(Check, AnExpiredMonitorIsRemoved) {
  CheckStep step = Check(PingedAtT0(), kT0 + kExpiryMillis, kRepeatMs, {"telegram"});
  EXPECT_TRUE(step.remove);
  EXPECT_FALSE(step.decision.has_value());
}

// --- the conditional write of a step ---

TEST(SameForCheck, EveryFieldTheDecisionReadCounts) {
  const Monitor seen = Checked(PingedAtT0(), kT0 + 5 * kMinute + 1);
  EXPECT_TRUE(SameForCheck(seen, seen));
  Monitor m = seen;
  m.next_due += 1;
  EXPECT_FALSE(SameForCheck(m, seen));
  m = seen;
  m.failed_at = kT0;
  EXPECT_FALSE(SameForCheck(m, seen));
  m = seen;
  m.alert.last_alerted_at = *m.alert.last_alerted_at + 1;
  EXPECT_FALSE(SameForCheck(m, seen));
  m = seen;
  m.alert.down_since.reset();
  EXPECT_FALSE(SameForCheck(m, seen));
  m = seen;
  m.check_at = *m.check_at + 1;
  EXPECT_FALSE(SameForCheck(m, seen));
  m = seen;
  m.paused = true;
  EXPECT_FALSE(SameForCheck(m, seen));
  m = seen;
  m.expires_at += kDay;  // not read by the decision
  EXPECT_TRUE(SameForCheck(m, seen));
}

TEST(ApplyCheck, WritesTheStepAndQueuesItsAlertTogether) {
  const Monitor seen = PingedAtT0();
  const UnixMillis now = kT0 + 5 * kMinute + 1;
  CheckStep step = Check(seen, now, kRepeatMs, {"telegram"});
  Result<Mutation> w = ApplyCheck(seen, seen, step, now);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->kind, Mutation::Kind::kPut);
  ASSERT_EQ(w->alerts.size(), 1u);
  EXPECT_EQ(w->alerts[0].kind, AlertKind::kOverdue);
  EXPECT_EQ(w->alerts[0].channel, "telegram");
  EXPECT_EQ(w->monitor.alert, step.next.alert);
  EXPECT_FALSE(w->fresh);
}

TEST(ApplyCheck, AMonitorThatChangedMeanwhileIsAConflictAndNothingIsWritten) {
  const Monitor seen = PingedAtT0();
  const UnixMillis now = kT0 + 5 * kMinute + 1;
  CheckStep step = Check(seen, now, kRepeatMs, {"telegram"});
  Monitor pinged = Pinged(seen, "job", std::nullopt, now);  // a ping won the race
  Result<Mutation> w = ApplyCheck(pinged, seen, step, now);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code, ErrorCode::kConflict);
  Result<Mutation> gone = ApplyCheck(std::nullopt, seen, step, now);  // deleted meanwhile
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::kConflict);
}

TEST(ApplyCheck, AnExpiredMonitorIsDeletedUnlessAPingRevivedIt) {
  const Monitor seen = PingedAtT0();
  const UnixMillis now = kT0 + kExpiryMillis;
  CheckStep step = Check(seen, now, kRepeatMs, {"telegram"});
  ASSERT_TRUE(step.remove);
  EXPECT_EQ(ApplyCheck(seen, seen, step, now)->kind, Mutation::Kind::kDelete);
  Monitor revived = Pinged(seen, "job", std::nullopt, now);
  EXPECT_EQ(ApplyCheck(revived, seen, step, now)->kind, Mutation::Kind::kKeep);
  EXPECT_EQ(ApplyCheck(std::nullopt, seen, step, now)->kind, Mutation::Kind::kKeep);
}

}  // namespace
}  // namespace heartbeat
