// Runs, exit codes, logs and PUT (SPEC §12) through the lifecycle's pure functions:
// Signaled, Configured, SignalMutation, the RUN TIMED OUT decision, and what a body's tail
// and a run id may be.

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "core/alert.h"
#include "core/lifecycle.h"
#include "core/signal.h"

namespace heartbeat::runs_test {
namespace {

constexpr UnixMillis kT0 = 1'796'601'600'000;  // 2026-12-07T00:00:00Z
constexpr std::int64_t kSec = 1000;
constexpr std::int64_t kMin = 60 * kSec;
constexpr std::int64_t kRepeat = 3'600'000;
const std::string kRidA = "0f0e0d0c-0b0a-4009-8807-060504030201";
const std::string kRidB = "11111111-2222-4333-8444-555555555555";

Signal Start(std::optional<std::string> rid = std::nullopt) {
  return {.kind = SignalKind::kStart, .rid = std::move(rid)};
}
Signal Success(std::optional<std::string> rid = std::nullopt,
               std::optional<int> code = std::nullopt) {
  return {.kind = SignalKind::kSuccess, .rid = std::move(rid), .exit_code = code};
}
Signal Failure(std::optional<std::string> rid = std::nullopt,
               std::optional<int> code = std::nullopt, std::string tail = {}) {
  return {.kind = SignalKind::kFail,
          .rid = std::move(rid),
          .exit_code = code,
          .body_tail = std::move(tail)};
}

TEST(RunLifecycle, AStartBeginsARunAndChangesNeitherLastPingNorStatus) {
  Monitor m = Pinged(std::nullopt, "job", 300, kT0);
  Monitor started = Signaled(m, "job", Start(kRidA), kT0 + kMin);
  EXPECT_TRUE(started.running);
  EXPECT_EQ(started.last_start, kT0 + kMin);
  EXPECT_EQ(started.run_rid, kRidA);
  EXPECT_EQ(started.last_ping, m.last_ping);
  EXPECT_EQ(started.next_due, m.next_due);
  EXPECT_EQ(DeriveStatus(started, kT0 + kMin), MonitorStatus::kOk);
  EXPECT_EQ(started.pings_seq, m.pings_seq + 1);
}

TEST(RunLifecycle, AStartThatCreatesTheMonitorCountsItsIntervalFromTheCreation) {
  Signal start = Start(kRidA);
  start.settings.interval_secs = 3600;
  Monitor m = Signaled(std::nullopt, "job", start, kT0);
  EXPECT_EQ(m.next_due, kT0 + 3600 * kSec);
  EXPECT_EQ(m.check_at, kT0 + 3600 * kSec + 1);
  Signal log{.kind = SignalKind::kLog, .settings = {.grace_secs = 60}};
  Monitor graced = Signaled(m, "job", log, kT0 + kSec);
  EXPECT_EQ(graced.check_at, kT0 + 3660 * kSec + 1);
}

TEST(RunLifecycle, ASuccessWithTheRunsRidEndsItWithItsDuration) {
  Monitor m = Signaled(std::nullopt, "job", Start(kRidA), kT0);
  Monitor done = Signaled(m, "job", Success(kRidA, 0), kT0 + 90 * kSec + 5);
  EXPECT_FALSE(done.running);
  EXPECT_EQ(done.run_rid, std::nullopt);
  EXPECT_EQ(done.last_duration_ms, 90 * kSec + 5);
  EXPECT_EQ(done.last_exit_code, 0);
  EXPECT_EQ(done.last_ping, kT0 + 90 * kSec + 5);
  EXPECT_EQ(EndedRunMillis(m, Success(kRidA), kT0 + 7), 7);
}

TEST(RunLifecycle, NoRidEndsARunStartedWithoutOneWithItsDuration) {
  Monitor m = Signaled(std::nullopt, "job", Start(), kT0);
  Monitor done = Signaled(m, "job", Success(), kT0 + 3 * kSec);
  EXPECT_FALSE(done.running);
  EXPECT_EQ(done.last_duration_ms, 3 * kSec);
}

TEST(RunLifecycle, ASuccessWithAnotherRunsRidLeavesTheRunRunning) {
  Monitor m = Signaled(std::nullopt, "job", Start(kRidA), kT0);
  Monitor other = Signaled(m, "job", Success(kRidB), kT0 + kSec);
  EXPECT_TRUE(other.running);
  EXPECT_EQ(other.run_rid, kRidA);
  EXPECT_EQ(other.last_duration_ms, std::nullopt);
  EXPECT_EQ(other.last_ping, kT0 + kSec);  // a success all the same
}

TEST(RunLifecycle, ASuccessWithoutRidEndsARunWithOneButRecordsNoDuration) {
  Monitor m = Signaled(std::nullopt, "job", Start(kRidA), kT0);
  Monitor done = Signaled(m, "job", Success(), kT0 + kSec);
  EXPECT_FALSE(done.running);
  EXPECT_EQ(done.last_duration_ms, std::nullopt);
}

TEST(RunLifecycle, AFailureEndsAnyRunAndKeepsItsExitCodeAndTail) {
  Monitor m = Signaled(std::nullopt, "job", Start(kRidA), kT0);
  Monitor failed = Signaled(m, "job", Failure(kRidB, 2, "disk full"), kT0 + kSec);
  EXPECT_FALSE(failed.running);
  EXPECT_EQ(failed.last_duration_ms, std::nullopt);  // another run's rid: no duration
  EXPECT_EQ(failed.last_exit_code, 2);
  EXPECT_EQ(failed.fail_tail, "disk full");
  EXPECT_EQ(DeriveStatus(failed, kT0 + kSec), MonitorStatus::kOverdue);
  std::optional<Decision> d = Decide(failed, kT0 + kSec, kRepeat);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alert.kind, AlertKind::kFailed);
  EXPECT_EQ(d->alert.exit_code, 2);
  EXPECT_EQ(d->alert.body_tail, "disk full");
  // The failure of the same run records its duration.
  Monitor same = Signaled(m, "job", Failure(kRidA, 1), kT0 + 4 * kSec);
  EXPECT_EQ(same.last_duration_ms, 4 * kSec);
  // A later success clears the failure and its tail.
  Monitor ok = Signaled(failed, "job", Success(), kT0 + 2 * kSec);
  EXPECT_EQ(ok.fail_tail, "");
  EXPECT_EQ(ok.last_exit_code, std::nullopt);
  EXPECT_FALSE(ok.failed());
}

TEST(RunLifecycle, ALogChangesNothingButTheHistoryNumber) {
  Monitor m = Pinged(std::nullopt, "job", 300, kT0);
  Monitor logged = Signaled(m, "job", Signal{.kind = SignalKind::kLog}, kT0 + kSec);
  Monitor expected = m;
  expected.pings_seq = m.pings_seq + 1;
  expected.expires_at = logged.expires_at;
  EXPECT_EQ(logged, expected);
  // On no monitor it creates one, as a ping does, without a last ping.
  Monitor created = Signaled(std::nullopt, "new", Signal{.kind = SignalKind::kLog}, kT0);
  EXPECT_EQ(created.last_ping, std::nullopt);
  EXPECT_EQ(created.pings_seq, 1);
}

TEST(RunLifecycle, ARunPastMaxRuntimeAlertsRunTimedOutAndRecoversWhenItEnds) {
  // A daily job: the deadline is far; the run's limit comes first.
  Monitor m = Pinged(std::nullopt, "job",
                     MonitorSettings{.interval_secs = 86'400, .max_runtime_secs = 3600}, kT0);
  Monitor run = Signaled(m, "job", Start(kRidA), kT0 + kMin);
  const UnixMillis limit = kT0 + kMin + 3600 * kSec;
  EXPECT_EQ(run.run_deadline(), limit);
  EXPECT_EQ(run.check_at, limit + 1);
  EXPECT_EQ(DeriveStatus(run, limit), MonitorStatus::kOk);
  EXPECT_FALSE(Decide(run, limit, kRepeat).has_value());
  EXPECT_EQ(DeriveStatus(run, limit + 1), MonitorStatus::kOverdue);
  CheckStep step = Check(run, limit + 1, kRepeat, {"telegram"});
  ASSERT_TRUE(step.decision.has_value());
  EXPECT_EQ(step.decision->alert.kind, AlertKind::kTimedOut);
  EXPECT_EQ(step.decision->alert.run_started_at, kT0 + kMin);
  EXPECT_EQ(step.decision->alert.max_runtime_secs, 3600);
  EXPECT_EQ(step.decision->alert.down_since, limit);
  // Still running: the next look is the repeat, not a loop on the far deadline.
  EXPECT_EQ(step.next.check_at, limit + 1 + kRepeat);
  EXPECT_FALSE(Decide(step.next, limit + 2, kRepeat).has_value());
  std::optional<Decision> repeat = Decide(step.next, limit + 1 + kRepeat, kRepeat);
  ASSERT_TRUE(repeat.has_value());
  EXPECT_EQ(repeat->alert.kind, AlertKind::kRepeat);
  // The run ends: a recovery.
  Monitor ended = Signaled(step.next, "job", Success(kRidA, 0), limit + kMin);
  std::optional<Decision> recovered = Decide(ended, limit + kMin, kRepeat);
  ASSERT_TRUE(recovered.has_value());
  EXPECT_EQ(recovered->alert.kind, AlertKind::kRecovered);
  EXPECT_EQ(ended.check_at, limit + kMin);
}

TEST(RunLifecycle, AFlipIsWrittenWithTheFirstAlertAndWithTheRecovery) {
  Monitor m = Failed(std::nullopt, "job", kT0);
  CheckStep first = Check(m, kT0, kRepeat, {"telegram"});
  Result<Mutation> w = ApplyCheck(m, m, first, kT0);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->flip, (Flip{.at = kT0, .overdue = true}));
  Monitor alerted = w->monitor;
  Monitor pinged = Pinged(alerted, "job", std::nullopt, kT0 + kMin);
  CheckStep rec = Check(pinged, kT0 + kMin, kRepeat, {"telegram"});
  Result<Mutation> back = ApplyCheck(pinged, pinged, rec, kT0 + kMin);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->flip, (Flip{.at = kT0 + kMin, .overdue = false}));
}

TEST(RunLifecycle, ACheckKeepsWhatASignalChangedMeanwhileOutsideItsDecision) {
  // A log between the checker's read and its write bumps the history number: the write
  // must not take it back.
  Monitor m = Failed(std::nullopt, "job", kT0);
  CheckStep step = Check(m, kT0, kRepeat, {"telegram"});
  Monitor logged = Signaled(m, "job", Signal{.kind = SignalKind::kLog}, kT0);
  Result<Mutation> w = ApplyCheck(logged, m, step, kT0);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->monitor.pings_seq, logged.pings_seq);
}

TEST(RunLifecycle, SignalMutationNumbersTheHistoryEntry) {
  Monitor m = Signaled(std::nullopt, "job", Start(kRidA), kT0);
  Mutation w = SignalMutation(m, "job", Success(kRidA, 0), {"POST", "10.0.0.5", "curl/8"},
                              "all good\n", true, kT0 + 2 * kSec);
  ASSERT_TRUE(w.record.has_value());
  EXPECT_EQ(w.record->n, 2);
  EXPECT_EQ(w.record->kind, SignalKind::kSuccess);
  EXPECT_EQ(w.record->exit_code, 0);
  EXPECT_EQ(w.record->rid, kRidA);
  EXPECT_EQ(w.record->duration_ms, 2 * kSec);
  EXPECT_EQ(w.record->body, "all good\n");
  EXPECT_EQ(w.record->body_bytes, 9);
  EXPECT_EQ(w.record->source.remote_addr, "10.0.0.5");
  EXPECT_FALSE(SignalMutation(m, "job", Success(), {}, "", false, kT0).record.has_value());
}

TEST(RunLifecycle, ConfiguredCreatesAMonitorThatCountsFromItsCreation) {
  Monitor m = Configured(std::nullopt, "never-runs", MonitorSettings{.interval_secs = 3600}, kT0);
  EXPECT_EQ(m.last_ping, std::nullopt);
  EXPECT_EQ(m.created_at, kT0);
  EXPECT_EQ(m.next_due, kT0 + 3600 * kSec);
  EXPECT_EQ(m.check_at, kT0 + 3600 * kSec + 1);
  std::optional<Decision> d = Decide(m, kT0 + 3600 * kSec + 1, kRepeat);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alert.kind, AlertKind::kOverdue);
}

TEST(RunLifecycle, ConfiguredMovesTheDeadlineFromTheLastPingWhenTheTimingChanges) {
  Monitor m = Pinged(std::nullopt, "job", 86'400, kT0);
  Monitor shorter = Configured(m, "job", MonitorSettings{.interval_secs = 3600}, kT0 + kMin);
  EXPECT_EQ(shorter.next_due, kT0 + 3600 * kSec);
  Monitor graced = Configured(m, "job", MonitorSettings{.grace_secs = 600}, kT0 + kMin);
  EXPECT_EQ(graced.next_due, m.next_due);
  EXPECT_EQ(graced.alert_at(), m.next_due + 600 * kSec);
  Monitor limited = Configured(m, "job", MonitorSettings{.max_runtime_secs = 60}, kT0);
  EXPECT_EQ(limited.max_runtime_secs, 60);
  Monitor unlimited = Configured(limited, "job", MonitorSettings{.max_runtime_secs = 0}, kT0);
  EXPECT_EQ(unlimited.max_runtime_secs, std::nullopt);
  Monitor scheduled = Configured(m, "job", MonitorSettings{.schedule = "0 3 * * *"}, kT0);
  Monitor back = Configured(scheduled, "job", MonitorSettings{.clear_schedule = true}, kT0);
  EXPECT_EQ(back.schedule, std::nullopt);
  EXPECT_EQ(back.next_due, m.next_due);
}

TEST(RunLifecycle, MaxRuntimeIsValidatedAndNamed) {
  EXPECT_TRUE(ValidateSettings({.max_runtime_secs = 30}).ok());
  EXPECT_TRUE(ValidateSettings({.max_runtime_secs = 0}).ok());
  Status bad = ValidateSettings({.max_runtime_secs = 29});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.rfind("max_runtime: ", 0), 0u) << bad.error().message;
  EXPECT_FALSE(ValidateSettings({.max_runtime_secs = 365LL * 86'400 + 1}).ok());
}

TEST(BodyTail, KeepsTheLastTenLinesWithoutTheTrailingNewline) {
  std::string body;
  for (int i = 1; i <= 15; ++i) body += "line " + std::to_string(i) + "\n";
  EXPECT_EQ(BodyTail(body),
            "line 6\nline 7\nline 8\nline 9\nline 10\nline 11\nline 12\nline 13\nline 14\nline 15");
  EXPECT_EQ(BodyTail("one line"), "one line");
  EXPECT_EQ(BodyTail(""), "");
}

TEST(BodyTail, KeepsAtMostAThousandCharactersNotBytes) {
  std::string body(3000, 'x');
  EXPECT_EQ(BodyTail(body), std::string(1000, 'x'));
  std::string cyrillic;
  for (int i = 0; i < 1500; ++i) cyrillic += "ж";  // two bytes each
  std::string tail = BodyTail(cyrillic);
  EXPECT_EQ(tail.size(), 2000u);
}

TEST(BodyTail, ReplacesBytesThatAreNotUtf8) {
  EXPECT_EQ(BodyTail("ok \xff\xfe end"), "ok \xEF\xBF\xBD\xEF\xBF\xBD end");
  EXPECT_EQ(BodyTail("\xed\xa0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
  EXPECT_EQ(BodyTail("caf\xc3\xa9"), "caf\xc3\xa9");
}

TEST(RunId, AcceptsAUuidInAnyCaseAndKeepsItLowercase) {
  Result<std::string> rid = ParseRunId("0F0E0D0C-0B0A-4009-8807-060504030201");
  ASSERT_TRUE(rid.ok());
  EXPECT_EQ(*rid, kRidA);
  for (const char* bad :
       {"", "xyz", "0f0e0d0c0b0a40098807060504030201", "0f0e0d0c-0b0a-4009-8807-06050403020g",
        "0f0e0d0c-0b0a-4009-8807-0605040302011"}) {
    Result<std::string> r = ParseRunId(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().message.rfind("rid: ", 0), 0u);
  }
}

}  // namespace
}  // namespace heartbeat::runs_test
