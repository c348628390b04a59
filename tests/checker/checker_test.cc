// Checker::RunCycle driven by a FakeClock over each real store: SqliteStore in a temporary
// directory, and DynamoStore on dynalite. Monitors are written through the store API, as the HTTP
// API writes them; what a cycle queued is read back from the outbox with ClaimAlerts.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "checker/checker.h"
#include "core/alert.h"
#include "notify/message.h"
#include "store/sqlite/sqlite_store.h"
#include "support/fake_clock.h"
#include "support/forwarding_store.h"
#include "support/store_calls.h"
#include "support/temp_dir.h"
#include "support/test_stores.h"
#include "support/test_time.h"

namespace heartbeat::testing {
namespace {

// Forwards everything to another store; lets a test act just before a decision is
// written (as a ping racing the checker would).
class InterceptingStore final : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;

  // Called on the checker's thread with the monitor's slug, before each of its writes.
  std::function<void(const std::string&)> before_apply;

  void Mutate(std::string slug, MutateFn fn, Callback<Mutated> done) override {
    if (before_apply) before_apply(slug);
    inner_.Mutate(std::move(slug), std::move(fn), std::move(done));
  }
};

// Every alert in the outbox, taken out: per monitor in queue order, monitors interleaved
// by id. (ClaimAlerts hands out only the head of each monitor's queue, so this loops.)
std::vector<PendingAlert> DrainOutbox(Store& s, UnixMillis now) {
  std::vector<PendingAlert> all;
  for (;;) {
    auto claimed = Await<std::vector<PendingAlert>>([&](Callback<std::vector<PendingAlert>> cb) {
      s.ClaimAlerts(now, 60 * kSecond, 10'000, "test-drain", {}, std::move(cb));
    });
    if (!claimed.ok()) throw std::runtime_error(claimed.error().message);
    if (claimed->empty()) return all;
    for (const PendingAlert& p : *claimed) {
      Status st =
          Await<void>([&](Callback<void> cb) { s.FinishAlert(p, "test-drain", std::move(cb)); });
      if (!st.ok()) throw std::runtime_error(st.error().message);
      all.push_back(p);
    }
  }
}

std::vector<AlertKind> KindsOf(const std::vector<PendingAlert>& alerts) {
  std::vector<AlertKind> kinds;
  for (const auto& p : alerts) kinds.push_back(p.alert.kind);
  return kinds;
}

class CheckerCycle : public ::testing::TestWithParam<StoreKind> {
 protected:
  CheckerCycle() : store_(OpenTestStore(GetParam(), dir_.path())), checker_(*store_, clock_, {}) {}
  ~CheckerCycle() override { store_->Close(); }

  // One cycle at `now`.
  CycleStats CycleAt(UnixMillis now) {
    clock_.Set(now);
    Result<CycleStats> r = checker_.RunCycle();
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : CycleStats{};
  }
  // What the last cycles queued (and removes it from the outbox).
  std::vector<PendingAlert> Queued() { return DrainOutbox(*store_, clock_.Now()); }
  Monitor Get(const std::string& slug) {
    auto m = GetAt(*store_, slug, clock_.Now());
    if (!m) throw std::runtime_error("no monitor " + slug);
    return *m;
  }
  bool Pause(const std::string& slug, UnixMillis now) {
    return *Await<bool>([&](Callback<bool> cb) { store_->Pause(slug, now, std::move(cb)); });
  }
  bool Unpause(const std::string& slug, UnixMillis now) {
    return *Await<bool>([&](Callback<bool> cb) { store_->Unpause(slug, now, std::move(cb)); });
  }
  bool Delete(const std::string& slug, UnixMillis now) {
    return *Await<bool>([&](Callback<bool> cb) { store_->Delete(slug, now, std::move(cb)); });
  }
  std::int64_t Pending() { return PendingIn(*store_); }
  // Runs one SQL statement on the file through a connection of the test's own.
  void Sql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dir_.file("heartbeat.db").c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  }

  TempDir dir_;
  FakeClock clock_{kT0};
  std::unique_ptr<Store> store_;
  Checker checker_;  // repeat every hour (the default), batches of 500
};

// The checker's unit suite runs on the store in memory; what needs a real store's
// internals runs on SQLite (CheckerOnSqlite), two checkers on one store on both
// (CheckerConcurrency), and tests/e2e runs the binary on SQLite and DynamoDB.
INSTANTIATE_TEST_SUITE_P(Stores, CheckerCycle, MemoryStoreOnly(), StoreKindParamName);

class CheckerOnSqlite : public CheckerCycle {};
INSTANTIATE_TEST_SUITE_P(Stores, CheckerOnSqlite, ::testing::Values(StoreKind::kSqlite),
                         StoreKindParamName);

// --- the lifecycle ---

TEST_P(CheckerCycle, LifecycleOkOverdueRepeatRecoveredOk) {
  Monitor m = PingAt(*store_, "job", 300, kT0);
  EXPECT_EQ(m.next_due, kT0 + 5 * kMinute);
  EXPECT_EQ(m.check_at, kT0 + 5 * kMinute + 1);

  // At the deadline it is not yet due ("once now passes next_due").
  CycleStats at_deadline = CycleAt(kT0 + 5 * kMinute);
  EXPECT_EQ(at_deadline.examined, 0u);
  EXPECT_TRUE(Queued().empty());

  // One millisecond later: the first alert.
  const UnixMillis first = kT0 + 5 * kMinute + 1;
  CycleStats s1 = CycleAt(first);
  EXPECT_EQ(s1.examined, 1u);
  EXPECT_EQ(s1.alerts_queued, 1u);
  std::vector<PendingAlert> q1 = Queued();
  ASSERT_EQ(q1.size(), 1u);
  EXPECT_EQ(q1[0].alert.kind, AlertKind::kOverdue);
  EXPECT_EQ(q1[0].alert.slug, "job");
  EXPECT_EQ(q1[0].alert.interval_secs, 300);
  EXPECT_EQ(q1[0].alert.last_ping, kT0);
  EXPECT_EQ(q1[0].alert.deadline, kT0 + 5 * kMinute);
  EXPECT_EQ(q1[0].alert.at, first);
  EXPECT_EQ(q1[0].alert.down_since, kT0 + 5 * kMinute);  // the missed deadline
  m = Get("job");
  EXPECT_EQ(m.alert.alert_count, 1);
  EXPECT_EQ(m.alert.first_alerted_at, first);
  EXPECT_EQ(m.alert.last_alerted_at, first);
  EXPECT_EQ(m.alert.down_since, kT0 + 5 * kMinute);
  EXPECT_EQ(m.check_at, first + kHour);

  // Nothing more until the repeat period has passed.
  EXPECT_EQ(CycleAt(first + 30 * kMinute).examined, 0u);
  EXPECT_EQ(CycleAt(first + kHour - 1).examined, 0u);
  EXPECT_TRUE(Queued().empty());

  // Repeats, one per period.
  EXPECT_EQ(CycleAt(first + kHour).alerts_queued, 1u);
  std::vector<PendingAlert> q2 = Queued();
  ASSERT_EQ(q2.size(), 1u);
  EXPECT_EQ(q2[0].alert.kind, AlertKind::kRepeat);
  EXPECT_EQ(q2[0].alert.at, first + kHour);
  EXPECT_EQ(q2[0].alert.down_since, kT0 + 5 * kMinute);
  m = Get("job");
  EXPECT_EQ(m.alert.alert_count, 2);
  EXPECT_EQ(m.alert.first_alerted_at, first);
  EXPECT_EQ(m.alert.last_alerted_at, first + kHour);
  EXPECT_EQ(m.alert.down_since, kT0 + 5 * kMinute);
  EXPECT_EQ(m.check_at, first + 2 * kHour);

  EXPECT_EQ(CycleAt(first + 2 * kHour + 5 * kSecond).alerts_queued, 1u);
  EXPECT_EQ(KindsOf(Queued()), std::vector<AlertKind>{AlertKind::kRepeat});
  EXPECT_EQ(Get("job").alert.alert_count, 3);
  EXPECT_EQ(Get("job").check_at, first + 3 * kHour + 5 * kSecond);

  // A ping: the recovery is due at once, and announced by the next cycle.
  const UnixMillis ping = first + 2 * kHour + 10 * kMinute;
  m = PingAt(*store_, "job", std::nullopt, ping);
  EXPECT_EQ(m.check_at, ping);
  EXPECT_EQ(m.alert.alert_count, 3);  // the checker, not the ping, clears the alert state
  CycleStats rec = CycleAt(ping);
  EXPECT_EQ(rec.alerts_queued, 1u);
  std::vector<PendingAlert> q3 = Queued();
  ASSERT_EQ(q3.size(), 1u);
  EXPECT_EQ(q3[0].alert.kind, AlertKind::kRecovered);
  EXPECT_EQ(q3[0].alert.last_ping, ping);
  EXPECT_EQ(q3[0].alert.down_since, kT0 + 5 * kMinute);
  m = Get("job");
  EXPECT_EQ(m.alert.alert_count, 0);
  EXPECT_EQ(m.alert.first_alerted_at, std::nullopt);
  EXPECT_EQ(m.alert.last_alerted_at, std::nullopt);
  EXPECT_EQ(m.alert.down_since, std::nullopt);
  EXPECT_EQ(m.check_at, ping + 5 * kMinute + 1);

  // ok again: quiet until the next deadline passes, then a fresh first alert.
  EXPECT_EQ(CycleAt(ping + 5 * kMinute).examined, 0u);
  EXPECT_EQ(CycleAt(ping + 5 * kMinute + 1).alerts_queued, 1u);
  std::vector<PendingAlert> q4 = Queued();
  ASSERT_EQ(q4.size(), 1u);
  EXPECT_EQ(q4[0].alert.kind, AlertKind::kOverdue);
  EXPECT_EQ(Get("job").alert.alert_count, 1);
}

// The examples of SPEC §5 form one story: last ping 12:03, interval 5m, first alert 7m
// late (12:15), the repeat an hour later says "down 1h 7m", the recovery two minutes
// after that "was down 1h 9m". Down is counted from the missed deadline (12:08).
TEST_P(CheckerCycle, MessagesTellTheSpecExampleStory) {
  const UnixMillis t1203 = 1'795'780'980'000;  // 2026-11-27T12:03:00Z
  PingAt(*store_, "slug", 300, t1203);
  CycleAt(t1203 + 12 * kMinute);  // 12:15
  std::vector<PendingAlert> q1 = Queued();
  ASSERT_EQ(q1.size(), 1u);
  EXPECT_EQ(AlertPlainText(q1[0].alert, q1[0].alert.at),
            "⚠️ OVERDUE: `slug` | interval: 5m | last: 12:03 UTC | 7m late");
  EXPECT_EQ(AlertMarkdownV2(q1[0].alert, q1[0].alert.at),
            "⚠️ OVERDUE: `slug` \\| interval: 5m \\| last: 12:03 UTC \\| 7m late");

  CycleAt(t1203 + 72 * kMinute);  // 13:15
  std::vector<PendingAlert> q2 = Queued();
  ASSERT_EQ(q2.size(), 1u);
  EXPECT_EQ(AlertPlainText(q2[0].alert, q2[0].alert.at),
            "⚠️ STILL OVERDUE: `slug` | down 1h 7m");

  PingAt(*store_, "slug", std::nullopt, t1203 + 74 * kMinute);  // 13:17
  CycleAt(t1203 + 74 * kMinute);
  std::vector<PendingAlert> q3 = Queued();
  ASSERT_EQ(q3.size(), 1u);
  EXPECT_EQ(AlertPlainText(q3[0].alert, q3[0].alert.at), "✅ RECOVERED: `slug` (was down 1h 9m)");
  EXPECT_EQ(AlertMarkdownV2(q3[0].alert, q3[0].alert.at),
            "✅ RECOVERED: `slug` \\(was down 1h 9m\\)");
}

TEST_P(CheckerCycle, PingExactlyAtTheDeadlineKeepsTheMonitorOk) {
  PingAt(*store_, "edge", 300, kT0);
  const UnixMillis deadline = kT0 + 5 * kMinute;
  EXPECT_EQ(CycleAt(deadline).examined, 0u);
  Monitor m = PingAt(*store_, "edge", std::nullopt, deadline);
  EXPECT_EQ(m.next_due, deadline + 5 * kMinute);
  EXPECT_EQ(m.check_at, deadline + 5 * kMinute + 1);
  EXPECT_EQ(CycleAt(deadline + 1).examined, 0u);
  EXPECT_EQ(CycleAt(deadline + 5 * kMinute).examined, 0u);
  EXPECT_TRUE(Queued().empty());
  EXPECT_EQ(Get("edge").alert.alert_count, 0);
  // The new deadline is kept like the first.
  EXPECT_EQ(CycleAt(deadline + 5 * kMinute + 1).alerts_queued, 1u);
  std::vector<PendingAlert> q = Queued();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].alert.kind, AlertKind::kOverdue);
  EXPECT_EQ(q[0].alert.deadline, deadline + 5 * kMinute);
}

TEST_P(CheckerCycle, PingBeforeTheCheckerSawTheDeadlineSendsNothing) {
  PingAt(*store_, "late", 300, kT0);
  // The checker did not run at the deadline; a ping came first, a little late.
  PingAt(*store_, "late", std::nullopt, kT0 + 6 * kMinute);
  EXPECT_EQ(CycleAt(kT0 + 6 * kMinute).examined, 0u);
  EXPECT_EQ(CycleAt(kT0 + 11 * kMinute).examined, 0u);
  EXPECT_TRUE(Queued().empty());
}

// --- fail ---

TEST_P(CheckerCycle, FailOnAnOkMonitorQueuesFailedAtOnceThenRepeatsAndRecovers) {
  PingAt(*store_, "backup", 3600, kT0);
  const UnixMillis failed = kT0 + 10 * kMinute;
  Monitor m = FailAt(*store_, "backup", failed);
  EXPECT_EQ(m.next_due, failed);
  EXPECT_EQ(m.failed_at, failed);
  EXPECT_EQ(m.check_at, failed);

  CycleStats s = CycleAt(failed);
  EXPECT_EQ(s.alerts_queued, 1u);
  std::vector<PendingAlert> q = Queued();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].alert.kind, AlertKind::kFailed);
  EXPECT_EQ(q[0].alert.deadline, failed);
  EXPECT_EQ(q[0].alert.at, failed);
  EXPECT_EQ(AlertPlainText(q[0].alert, q[0].alert.at),
            "❌ FAILED: `backup` | reported failure at 14:23 UTC");
  EXPECT_EQ(Get("backup").check_at, failed + kHour);

  CycleAt(failed + kHour);
  EXPECT_EQ(KindsOf(Queued()), std::vector<AlertKind>{AlertKind::kRepeat});

  PingAt(*store_, "backup", std::nullopt, failed + kHour + kMinute);
  CycleAt(failed + kHour + kMinute);
  std::vector<PendingAlert> rec = Queued();
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_EQ(rec[0].alert.kind, AlertKind::kRecovered);
  m = Get("backup");
  EXPECT_EQ(m.failed_at, std::nullopt);
  EXPECT_EQ(m.alert.alert_count, 0);
}

TEST_P(CheckerCycle, FailOnAnUnknownSlugCreatesItAndQueuesFailed) {
  Monitor m = FailAt(*store_, "fresh", kT0);
  EXPECT_EQ(m.interval_secs, 300);
  EXPECT_EQ(m.last_ping, std::nullopt);
  CycleAt(kT0);
  std::vector<PendingAlert> q = Queued();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].alert.kind, AlertKind::kFailed);
  EXPECT_EQ(q[0].alert.last_ping, std::nullopt);
}

TEST_P(CheckerCycle, FailWhileAlreadyAlertedKeepsTheRepeatScheduleAndQueuesNoSecondFirstAlert) {
  PingAt(*store_, "job", 300, kT0);
  const UnixMillis first = kT0 + 5 * kMinute + 1;
  CycleAt(first);
  ASSERT_EQ(KindsOf(Queued()), std::vector<AlertKind>{AlertKind::kOverdue});

  Monitor m = FailAt(*store_, "job", first + 10 * kMinute);
  EXPECT_EQ(m.check_at, first + kHour);  // the repeat schedule stands
  EXPECT_EQ(m.alert.alert_count, 1);
  EXPECT_EQ(CycleAt(first + 10 * kMinute).examined, 0u);
  EXPECT_EQ(CycleAt(first + kHour - 1).examined, 0u);
  EXPECT_TRUE(Queued().empty());

  CycleAt(first + kHour);
  EXPECT_EQ(KindsOf(Queued()), std::vector<AlertKind>{AlertKind::kRepeat});
  EXPECT_EQ(Get("job").alert.alert_count, 2);

  PingAt(*store_, "job", std::nullopt, first + kHour + kMinute);
  CycleAt(first + kHour + kMinute);
  EXPECT_EQ(KindsOf(Queued()), std::vector<AlertKind>{AlertKind::kRecovered});
}

TEST_P(CheckerCycle, FailWhileOverdueButNotYetAlertedQueuesOnlyFailed) {
  PingAt(*store_, "job", 300, kT0);
  // The deadline passed unnoticed (no cycle ran); then the job reports failure.
  FailAt(*store_, "job", kT0 + 7 * kMinute);
  CycleStats s = CycleAt(kT0 + 7 * kMinute);
  EXPECT_EQ(s.alerts_queued, 1u);
  std::vector<PendingAlert> q = Queued();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].alert.kind, AlertKind::kFailed);
  EXPECT_EQ(q[0].alert.deadline, kT0 + 7 * kMinute);
}

TEST_P(CheckerCycle, SecondFailQueuesNothingMore) {
  FailAt(*store_, "job", kT0);
  CycleAt(kT0);
  ASSERT_EQ(KindsOf(Queued()), std::vector<AlertKind>{AlertKind::kFailed});
  Monitor m = FailAt(*store_, "job", kT0 + 5 * kSecond);
  EXPECT_EQ(m.failed_at, kT0);  // the first report is kept
  EXPECT_EQ(CycleAt(kT0 + 5 * kSecond).alerts_queued, 0u);
  EXPECT_EQ(CycleAt(kT0 + 30 * kMinute).alerts_queued, 0u);
  EXPECT_TRUE(Queued().empty());
}

// --- pause, delete, interval change ---

TEST_P(CheckerCycle, PauseDuringAnAlertClearsItAndNoRecoveryFollows) {
  PingAt(*store_, "job", 300, kT0);
  const UnixMillis first = kT0 + 5 * kMinute + 1;
  CycleAt(first);
  ASSERT_EQ(Queued().size(), 1u);

  const UnixMillis paused = first + 20 * kMinute;
  ASSERT_TRUE(Pause("job", paused));
  Monitor m = Get("job");
  EXPECT_TRUE(m.paused);
  EXPECT_EQ(m.alert.alert_count, 0);
  EXPECT_EQ(m.alert.first_alerted_at, std::nullopt);
  EXPECT_EQ(m.alert.last_alerted_at, std::nullopt);
  EXPECT_EQ(m.check_at, std::nullopt);

  // Paused: no repeat, and a ping is recorded but brings no recovery notice.
  EXPECT_EQ(CycleAt(first + 2 * kHour).examined, 0u);
  m = PingAt(*store_, "job", std::nullopt, first + 2 * kHour);
  EXPECT_TRUE(m.paused);
  EXPECT_EQ(m.check_at, std::nullopt);
  EXPECT_EQ(CycleAt(first + 2 * kHour).examined, 0u);
  EXPECT_EQ(CycleAt(first + 3 * kHour).examined, 0u);
  EXPECT_TRUE(Queued().empty());

  // Unpause: a fresh period, and a fresh first alert once it passes; never a recovery.
  const UnixMillis resumed = first + 4 * kHour;
  ASSERT_TRUE(Unpause("job", resumed));
  m = Get("job");
  EXPECT_EQ(m.next_due, resumed + 5 * kMinute);
  EXPECT_EQ(m.check_at, resumed + 5 * kMinute + 1);
  EXPECT_EQ(CycleAt(resumed).examined, 0u);
  EXPECT_EQ(CycleAt(resumed + 5 * kMinute + 1).alerts_queued, 1u);
  std::vector<PendingAlert> q = Queued();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].alert.kind, AlertKind::kOverdue);
  EXPECT_EQ(Get("job").alert.alert_count, 1);
}

TEST_P(CheckerCycle, FailWhilePausedAlertsOnlyAfterUnpause) {
  PingAt(*store_, "job", 300, kT0);
  ASSERT_TRUE(Pause("job", kT0 + kMinute));
  Monitor m = FailAt(*store_, "job", kT0 + 2 * kMinute);
  EXPECT_EQ(m.check_at, std::nullopt);
  EXPECT_EQ(CycleAt(kT0 + 2 * kMinute).examined, 0u);
  EXPECT_EQ(CycleAt(kT0 + 3 * kHour).examined, 0u);
  EXPECT_TRUE(Queued().empty());

  const UnixMillis resumed = kT0 + 4 * kHour;
  ASSERT_TRUE(Unpause("job", resumed));
  EXPECT_EQ(Get("job").check_at, resumed);
  CycleAt(resumed);
  EXPECT_EQ(KindsOf(Queued()), std::vector<AlertKind>{AlertKind::kFailed});
}

TEST_P(CheckerCycle, DeleteDuringAnAlertStopsItsAlertsAndARecreatedSlugStartsFresh) {
  PingAt(*store_, "job", 300, kT0);
  const UnixMillis first = kT0 + 5 * kMinute + 1;
  CycleAt(first);
  ASSERT_EQ(Queued().size(), 1u);

  ASSERT_TRUE(Delete("job", first + kMinute));
  EXPECT_EQ(CycleAt(first + kHour).examined, 0u);
  EXPECT_EQ(CycleAt(first + 3 * kHour).examined, 0u);
  EXPECT_TRUE(Queued().empty());

  // The same slug pinged again is a new monitor: no recovery notice for the old one.
  const UnixMillis again = first + 4 * kHour;
  Monitor m = PingAt(*store_, "job", std::nullopt, again);
  EXPECT_EQ(m.alert.alert_count, 0);
  EXPECT_EQ(m.check_at, again + 5 * kMinute + 1);
  EXPECT_EQ(CycleAt(again).examined, 0u);
  EXPECT_TRUE(Queued().empty());
}

TEST_P(CheckerCycle, DeleteBetweenReadAndWriteWinsOverTheChecker) {
  PingAt(*store_, "job", 300, kT0);
  InterceptingStore racing(*store_);
  Checker checker(racing, clock_, {});
  racing.before_apply = [&](const std::string& slug) {
    racing.before_apply = nullptr;
    ASSERT_TRUE(Delete(slug, clock_.Now()));
  };
  clock_.Set(kT0 + 5 * kMinute + 1);
  Result<CycleStats> s = checker.RunCycle();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->examined, 1u);
  EXPECT_EQ(s->alerts_queued, 0u);
  EXPECT_EQ(s->conflicts, 1u);
  EXPECT_EQ(s->errors, 0u);
  EXPECT_TRUE(Queued().empty());
}

TEST_P(CheckerCycle, IntervalChangeWhileOverdueRecoversAndKeepsTheNewInterval) {
  PingAt(*store_, "job", 300, kT0);
  const UnixMillis first = kT0 + 5 * kMinute + 1;
  CycleAt(first);
  ASSERT_EQ(Queued().size(), 1u);

  const UnixMillis ping = first + 10 * kMinute;
  Monitor m = PingAt(*store_, "job", 3600, ping);
  EXPECT_EQ(m.interval_secs, 3600);
  EXPECT_EQ(m.next_due, ping + kHour);
  EXPECT_EQ(m.check_at, ping);
  CycleAt(ping);
  std::vector<PendingAlert> rec = Queued();
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_EQ(rec[0].alert.kind, AlertKind::kRecovered);
  EXPECT_EQ(Get("job").check_at, ping + kHour + 1);

  // The old 5-minute deadline no longer applies; the new hourly one does.
  EXPECT_EQ(CycleAt(ping + 30 * kMinute).examined, 0u);
  EXPECT_EQ(CycleAt(ping + kHour).examined, 0u);
  CycleAt(ping + kHour + 1);
  std::vector<PendingAlert> q = Queued();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].alert.kind, AlertKind::kOverdue);
  EXPECT_EQ(q[0].alert.interval_secs, 3600);
  EXPECT_EQ(AlertPlainText(q[0].alert, q[0].alert.at).find("interval: 1h |") != std::string::npos,
            true)
      << AlertPlainText(q[0].alert, q[0].alert.at);
}

TEST_P(CheckerCycle, PingBetweenReadAndWriteWinsAndNoOverdueIsQueued) {
  PingAt(*store_, "job", 300, kT0);
  InterceptingStore racing(*store_);
  Checker checker(racing, clock_, {});
  const UnixMillis now = kT0 + 5 * kMinute + 1;
  racing.before_apply = [&](const std::string& slug) {
    racing.before_apply = nullptr;
    PingAt(*store_, slug, std::nullopt, now);
  };
  clock_.Set(now);
  Result<CycleStats> s = checker.RunCycle();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->alerts_queued, 0u);
  EXPECT_EQ(s->conflicts, 1u);
  EXPECT_TRUE(Queued().empty());
  Monitor m = Get("job");
  EXPECT_EQ(m.alert.alert_count, 0);
  EXPECT_EQ(m.next_due, now + 5 * kMinute);
  EXPECT_EQ(m.check_at, now + 5 * kMinute + 1);
}

// --- scheduling ---

TEST_P(CheckerCycle, NextDueIsTheEarliestCheckTime) {
  EXPECT_EQ(*checker_.NextDue(), std::nullopt);
  PingAt(*store_, "a", 600, kT0);
  PingAt(*store_, "b", 300, kT0);
  EXPECT_EQ(*checker_.NextDue(), kT0 + 5 * kMinute + 1);
  CycleAt(kT0 + 5 * kMinute + 1);  // b alerted: next look at b is its repeat
  EXPECT_EQ(*checker_.NextDue(), kT0 + 10 * kMinute + 1);
  ASSERT_TRUE(Pause("a", kT0 + 6 * kMinute));
  EXPECT_EQ(*checker_.NextDue(), kT0 + 5 * kMinute + 1 + kHour);
  ASSERT_TRUE(Pause("b", kT0 + 6 * kMinute));
  EXPECT_EQ(*checker_.NextDue(), std::nullopt);
}

TEST_P(CheckerCycle, SecondCycleAtTheSameTimeExaminesNothing) {
  for (int i = 0; i < 5; ++i) PingAt(*store_, "m" + std::to_string(i), 300, kT0);
  const UnixMillis now = kT0 + 5 * kMinute + 1;
  CycleStats s1 = CycleAt(now);
  EXPECT_EQ(s1.examined, 5u);
  EXPECT_EQ(s1.alerts_queued, 5u);
  CycleStats s2 = CycleAt(now);
  EXPECT_EQ(s2.examined, 0u);
  EXPECT_EQ(s2.alerts_queued, 0u);
  EXPECT_EQ(Queued().size(), 5u);
}

// A monitor that was alerted, recovered by a ping and went overdue again before any
// cycle saw it (cron `heartbeat check`, or serve restarted). Announcing the recovery and
// the new outage, or staying quiet until the next repeat, are both fair; what must not
// happen is a monitor that stays due with nothing to do: the in-process checker would
// then look at it (and write it) again and again, every millisecond.
TEST_P(CheckerCycle, DueMonitorIsSettledAndNotExaminedAgainUntilItsNextEvent) {
  PingAt(*store_, "flap", 30, kT0);
  const UnixMillis first = kT0 + 30 * kSecond + 1;
  CycleAt(first);
  ASSERT_EQ(KindsOf(Queued()), std::vector<AlertKind>{AlertKind::kOverdue});
  PingAt(*store_, "flap", std::nullopt, first + 10 * kSecond);  // back: recovery due at once
  const UnixMillis now = first + 2 * kMinute;                   // and overdue again

  std::size_t busy_cycles = 0;
  while (CycleAt(now).examined > 0 && ++busy_cycles < 5) {
  }
  EXPECT_LE(busy_cycles, 2u) << "the monitor keeps being due at the same time";
  std::vector<AlertKind> kinds = KindsOf(Queued());
  EXPECT_TRUE(kinds.empty() ||
              kinds == (std::vector<AlertKind>{AlertKind::kRecovered, AlertKind::kOverdue}))
      << ::testing::PrintToString(kinds);

  Monitor m = Get("flap");
  ASSERT_TRUE(m.check_at.has_value());
  EXPECT_GT(*m.check_at, now + kSecond)
      << "rescheduled to " << (*m.check_at - now) << " ms from now";
  EXPECT_EQ(CycleAt(now + 1).examined, 0u);
  EXPECT_EQ(CycleAt(now + kSecond).examined, 0u);
  EXPECT_EQ(CycleAt(now + kMinute).examined, 0u);
  EXPECT_TRUE(Queued().empty());
}

// Expired monitors count as absent (store.h): the checker neither alerts for them nor
// keeps finding them due.
TEST_P(CheckerCycle, ExpiredMonitorIsNotAlertedAndNotExaminedAgain) {
  PingAt(*store_, "gone", 300, kT0);
  CycleAt(kT0 + 5 * kMinute + 1);
  ASSERT_EQ(Queued().size(), 1u);
  // Nobody ran the checker for 90 days; the monitor expired (expires_at = kT0 + 90 d).
  const UnixMillis later = kT0 + 90 * kDay + 30 * kMinute;
  CycleStats s = CycleAt(later);
  EXPECT_EQ(s.alerts_queued, 0u);
  EXPECT_EQ(s.errors, 0u);
  EXPECT_TRUE(Queued().empty());
  EXPECT_EQ(CycleAt(later).examined, 0u);
  EXPECT_EQ(CycleAt(later + kSecond).examined, 0u);
  Result<std::optional<UnixMillis>> next = checker_.NextDue();
  ASSERT_TRUE(next.ok());
  if (next->has_value()) {
    EXPECT_GT(**next, later + kSecond);
  }
}

// Expired monitors still in the file sort first by check_at (their repeats were due
// long ago). They must not hide the monitors that are really due behind them.
TEST_P(CheckerCycle, ExpiredMonitorsDoNotHoldBackDueOnesBehindThem) {
  for (const char* slug : {"old-a", "old-b", "old-c", "old-d"}) {
    PingAt(*store_, slug, 300, kT0);
  }
  CycleAt(kT0 + 5 * kMinute + 1);  // all four alerted; next look at their repeat
  ASSERT_EQ(Queued().size(), 4u);
  // 90 days later they have expired; a live monitor is due now.
  const UnixMillis later = kT0 + 91 * kDay;
  PingAt(*store_, "live", 60, later - 2 * kMinute);
  Checker small(*store_, clock_, {.repeat_ms = kHour, .batch = 2});
  clock_.Set(later);
  Result<CycleStats> s = small.RunCycle();
  ASSERT_TRUE(s.ok());
  std::vector<PendingAlert> q = Queued();
  ASSERT_EQ(q.size(), 1u) << "the live monitor's alert was not queued";
  EXPECT_EQ(q[0].alert.slug, "live");
  EXPECT_EQ(q[0].alert.kind, AlertKind::kOverdue);
}

TEST_P(CheckerOnSqlite, ExpiryRemovesExpiredMonitorsInBoundedBatches) {
  // Counts per batch follow SQLite's slug order; DynamoDB scans in hash order (the store
  // contract suite checks bounded expiry for both).
  for (int i = 0; i < 60; ++i) {
    char slug[8];
    std::snprintf(slug, sizeof slug, "m-%02d", i);
    // Even ones pinged at kT0 expire at kT0 + 90 d; odd ones a day later.
    PingAt(*store_, slug, 300, i % 2 == 0 ? kT0 : kT0 + kDay);
  }
  const UnixMillis now = kT0 + 90 * kDay + kSecond;
  std::size_t removed = 0;
  for (int call = 0; call < 6; ++call) {  // 60 rows, 10 examined per call: one pass
    auto n = Await<std::size_t>(
        [&](Callback<std::size_t> cb) { store_->DeleteExpired(now, 10, std::move(cb)); });
    ASSERT_TRUE(n.ok());
    EXPECT_LE(*n, 10u);
    EXPECT_GE(*n, 1u);  // every batch of 10 slugs in order holds 5 expired ones
    removed += *n;
  }
  EXPECT_EQ(removed, 30u);
  auto page = Await<MonitorPage>(
      [&](Callback<MonitorPage> cb) { store_->List("default", "", 1000, now, std::move(cb)); });
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->monitors.size(), 30u);
  // Removed for real, not only hidden: a later time still finds only the odd ones.
  auto page2 = Await<MonitorPage>([&](Callback<MonitorPage> cb) {
    store_->List("default", "", 1000, kT0 + kDay, std::move(cb));
  });
  ASSERT_TRUE(page2.ok());
  EXPECT_EQ(page2->monitors.size(), 30u);
  for (const Monitor& m : page2->monitors) EXPECT_EQ((m.slug.back() - '0') % 2, 1) << m.slug;
}

TEST_P(CheckerCycle, FullBatchesAreFollowedUntilEverythingDueIsHandled) {
  Checker small(*store_, clock_, {.repeat_ms = kHour, .batch = 2});
  for (int i = 0; i < 7; ++i) PingAt(*store_, "m" + std::to_string(i), 300, kT0);
  clock_.Set(kT0 + 5 * kMinute + 1);
  Result<CycleStats> s = small.RunCycle();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->examined, 7u);
  EXPECT_EQ(s->alerts_queued, 7u);
  EXPECT_EQ(Queued().size(), 7u);
}

// SPEC §6: the checker's work is proportional to what is due, not to the number of
// monitors.
TEST_P(CheckerCycle, CycleExaminesOnlyWhatIsDueAmongTwentyThousand) {
  // dynalite writes a few thousand items a second: fewer there, the same point.
  const int kMonitors = GetParam() == StoreKind::kDynamo ? 2'000 : 20'000;
  store_->LimitMonitors(2 * kMonitors);  // more than a project holds by default
  std::mutex mu;
  std::condition_variable cv;
  int done = 0;
  int failures = 0;
  for (int i = 0; i < kMonitors; ++i) {
    // Written without waiting for each: the store group-commits them.
    store_->Ping("quiet-" + std::to_string(i), 3600, kT0, [&](Result<Monitor> r) {
      std::lock_guard lock(mu);
      ++done;
      if (!r.ok()) ++failures;
      cv.notify_all();
    });
  }
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done == kMonitors; });
  }
  ASSERT_EQ(failures, 0);
  for (const char* slug : {"due-a", "due-b", "due-c"}) PingAt(*store_, slug, 60, kT0);

  const UnixMillis now = kT0 + 2 * kMinute;  // the three 1-minute monitors are overdue
  CycleStats s = CycleAt(now);
  EXPECT_EQ(s.examined, 3u);
  EXPECT_EQ(s.alerts_queued, 3u);
  std::vector<PendingAlert> q = Queued();
  ASSERT_EQ(q.size(), 3u);
  for (const auto& p : q) EXPECT_EQ(p.alert.slug.rfind("due-", 0), 0u) << p.alert.slug;
  EXPECT_EQ(CycleAt(now + kSecond).examined, 0u);
}

// --- atomicity and failures ---

TEST_P(CheckerOnSqlite, DecisionAndItsAlertAreWrittenTogetherOrNotAtAll) {
  // Needs a trigger to make the outbox refuse a write. In DynamoDB the alert is part of
  // the monitor's item: one PutItem writes both or neither.
  PingAt(*store_, "job", 300, kT0);
  PingAt(*store_, "bad", 300, kT0);
  PingAt(*store_, "other", 300, kT0);
  // The outbox refuses alerts of one monitor: its state change must not happen either,
  // and the others are not held up.
  Sql("CREATE TRIGGER refuse_bad BEFORE INSERT ON outbox WHEN NEW.slug = 'bad' "
      "BEGIN SELECT RAISE(ABORT, 'refused by test'); END");
  const UnixMillis now = kT0 + 5 * kMinute + 1;
  CycleStats s = CycleAt(now);
  EXPECT_EQ(s.examined, 3u);
  EXPECT_EQ(s.alerts_queued, 2u);
  EXPECT_EQ(s.errors, 1u);
  Monitor bad = Get("bad");
  EXPECT_EQ(bad.alert, AlertState{});
  EXPECT_EQ(bad.check_at, kT0 + 5 * kMinute + 1);  // still due: retried by the next cycle
  EXPECT_EQ(Get("job").alert.alert_count, 1);
  EXPECT_EQ(Get("other").alert.alert_count, 1);
  std::vector<PendingAlert> q = Queued();
  ASSERT_EQ(q.size(), 2u);
  for (const auto& p : q) EXPECT_NE(p.alert.slug, "bad");

  Sql("DROP TRIGGER refuse_bad");
  CycleStats again = CycleAt(now + kSecond);
  EXPECT_EQ(again.alerts_queued, 1u);
  std::vector<PendingAlert> q2 = Queued();
  ASSERT_EQ(q2.size(), 1u);
  EXPECT_EQ(q2[0].alert.slug, "bad");
  EXPECT_EQ(Get("bad").alert.alert_count, 1);
}

// --- two checkers on one store ---

struct QueuedAlert {
  AlertKind kind;
  UnixMillis at;
  UnixMillis deadline;
  friend bool operator==(const QueuedAlert&, const QueuedAlert&) = default;
};
using Outcome = std::map<std::string, std::vector<QueuedAlert>>;

// A busy afternoon for `monitors` monitors (30 s interval, 60 s repeat): rounds 20 s apart,
// each with a few pings first. `cycle` runs the checking of one round; what was queued
// is collected per monitor, in order.
Outcome RunScenario(Store& store, FakeClock& clock, int monitors,
                    const std::function<std::size_t()>& cycle, std::size_t* queued_total) {
  for (int i = 0; i < monitors; ++i) PingAt(store, "m" + std::to_string(i), 30, kT0);
  std::size_t total = 0;
  for (int round = 0; round < 25; ++round) {
    const UnixMillis now = kT0 + 31 * kSecond + round * 20 * kSecond;
    clock.Set(now);
    for (int i = 0; i < monitors; ++i) {
      if ((i + round) % 7 == 0) PingAt(store, "m" + std::to_string(i), std::nullopt, now);
      if ((i * 3 + round) % 11 == 0) FailAt(store, "m" + std::to_string(i), now);
    }
    total += cycle();
  }
  Outcome out;
  for (const PendingAlert& p : DrainOutbox(store, clock.Now())) {
    out[p.alert.slug].push_back({p.alert.kind, p.alert.at, p.alert.deadline});
  }
  *queued_total = total;
  return out;
}

// SPEC §6: two checkers racing on one store queue each alert once, and the same story as one
// checker alone (SQLite: two store objects on one file; DynamoDB: two on one table, where
// the decisions are conditional writes).
class CheckerConcurrency : public ::testing::TestWithParam<StoreKind> {};
INSTANTIATE_TEST_SUITE_P(Stores, CheckerConcurrency, BothStores(), StoreKindParamName);

TEST_P(CheckerConcurrency, TwoCheckersOnOneStoreQueueEachAlertExactlyOnce) {
  const CheckerOptions kOptions{.repeat_ms = 60 * kSecond, .batch = 16};
  // Fewer monitors on dynalite, whose every request is a round trip (under ASan, 120 took
  // a minute): still several checker batches a round, and hundreds of races.
  const int monitors = GetParam() == StoreKind::kSqlite ? 120 : 48;

  // The reference: one checker alone.
  TempDir lone_dir;
  FakeClock lone_clock(kT0);
  auto lone_store = OpenTestStore(GetParam(), lone_dir.path());
  Checker lone(*lone_store, lone_clock, kOptions);
  std::size_t lone_total = 0;
  Outcome expected = RunScenario(
      *lone_store, lone_clock, monitors,
      [&] {
        Result<CycleStats> s = lone.RunCycle();
        EXPECT_TRUE(s.ok());
        return s.ok() ? s->alerts_queued : 0;
      },
      &lone_total);
  ASSERT_GT(lone_total, 4u * monitors);  // the scenario does produce plenty of alerts

  // Two checkers, two store objects on one store, racing every round from two threads.
  TempDir dir;
  FakeClock clock(kT0);
  auto store_a = OpenTestStore(GetParam(), dir.path());
  auto store_b = OpenSecondTestStore(GetParam(), dir.path());
  Checker a(*store_a, clock, kOptions);
  Checker b(*store_b, clock, kOptions);
  std::size_t conflicts = 0;
  std::size_t errors = 0;
  std::size_t total = 0;
  Outcome got = RunScenario(
      *store_a, clock, monitors,
      [&] {
        std::promise<void> go;
        std::shared_future<void> start = go.get_future().share();
        auto run = [start](Checker& c) {
          start.wait();
          return c.RunCycle();
        };
        auto fa = std::async(std::launch::async, run, std::ref(a));
        auto fb = std::async(std::launch::async, run, std::ref(b));
        go.set_value();
        Result<CycleStats> ra = fa.get();
        Result<CycleStats> rb = fb.get();
        EXPECT_TRUE(ra.ok() && rb.ok());
        std::size_t queued = 0;
        for (const Result<CycleStats>* r : {&ra, &rb}) {
          if (!r->ok()) continue;
          queued += (*r)->alerts_queued;
          conflicts += (*r)->conflicts;
          errors += (*r)->errors;
        }
        return queued;
      },
      &total);

  EXPECT_EQ(errors, 0u);
  EXPECT_EQ(total, lone_total);
  EXPECT_EQ(got.size(), expected.size());
  for (const auto& [slug, alerts] : expected) {
    auto it = got.find(slug);
    ASSERT_NE(it, got.end()) << slug;
    EXPECT_EQ(it->second.size(), alerts.size()) << slug;
    EXPECT_TRUE(it->second == alerts) << slug << ": the racing checkers queued another story";
  }
  RecordProperty("conflicts", static_cast<int>(conflicts));
  store_b->Close();
  store_a->Close();
  lone_store->Close();
}

}  // namespace
}  // namespace heartbeat::testing
