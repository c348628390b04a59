// Deliverer: the outbox sent through a Notifier, with a FakeClock over a real
// SqliteStore. Outcomes come either from a scripted in-test notifier or from the real
// TelegramNotifier + CurlHttpClient talking HTTP to FakeTelegram. Then CheckerService,
// the in-process checker of `serve`, end to end with the real clock.

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "checker/checker.h"
#include "checker/deliverer.h"
#include "checker/service.h"
#include "http_client/http_client.h"
#include "notify/telegram.h"
#include "store/sqlite/sqlite_store.h"
#include "support/captured_log.h"
#include "support/fake_clock.h"
#include "support/fake_telegram.h"
#include "support/forwarding_store.h"
#include "support/store_calls.h"
#include "support/temp_dir.h"
#include "support/test_stores.h"
#include "support/test_time.h"

namespace heartbeat::testing {
namespace {

using std::chrono::milliseconds;
using SteadyTime = std::chrono::steady_clock::time_point;

constexpr const char* kBotToken = "123456:TEST-token-never-logged";

// "14:23 UTC", computed here rather than by the code under test.
std::string ClockUtc(UnixMillis t) {
  std::int64_t secs_of_day = (t / 1000) % 86400;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d UTC", static_cast<int>(secs_of_day / 3600),
                static_cast<int>(secs_of_day % 3600 / 60));
  return buf;
}

SendOutcome Sent() { return {SendOutcome::Kind::kSent, std::nullopt, "sent"}; }
SendOutcome Retry() { return {SendOutcome::Kind::kRetry, std::nullopt, "HTTP 500"}; }
SendOutcome Rejected() { return {SendOutcome::Kind::kRejected, std::nullopt, "HTTP 400"}; }

struct SendCall {
  std::string slug;
  AlertKind kind;
  UnixMillis at;  // the alert's decision time
  SendOutcome::Kind outcome;
  SteadyTime started;
};

// A Notifier whose outcomes a test scripts per monitor (default: sent). Sends of a held
// monitor wait until it is released. Records every call as it starts.
class ScriptedNotifier final : public Notifier {
 public:
  void Script(const std::string& slug, std::vector<SendOutcome> outcomes) {
    std::lock_guard lock(mu_);
    for (auto& o : outcomes) script_[slug].push_back(std::move(o));
  }
  void Hold(const std::string& slug) {
    std::lock_guard lock(mu_);
    held_.insert(slug);
  }
  void Release(const std::string& slug) {
    {
      std::lock_guard lock(mu_);
      held_.erase(slug);
    }
    cv_.notify_all();
  }
  void ReleaseAll() {
    {
      std::lock_guard lock(mu_);
      held_.clear();
    }
    cv_.notify_all();
  }
  void SetDelay(milliseconds d) {
    std::lock_guard lock(mu_);
    delay_ = d;
  }

  SendOutcome Send(const Alert& alert) override {
    std::unique_lock lock(mu_);
    SendOutcome outcome = Sent();
    auto it = script_.find(alert.slug);
    if (it != script_.end() && !it->second.empty()) {
      outcome = it->second.front();
      it->second.pop_front();
    }
    calls_.push_back(
        {alert.slug, alert.kind, alert.at, outcome.kind, std::chrono::steady_clock::now()});
    cv_.notify_all();
    cv_.wait(lock, [&] { return held_.count(alert.slug) == 0; });
    milliseconds delay = delay_;
    lock.unlock();
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    return outcome;
  }

  std::vector<SendCall> Calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::vector<SendCall> CallsFor(const std::string& slug) const {
    std::vector<SendCall> out;
    for (const SendCall& c : Calls()) {
      if (c.slug == slug) out.push_back(c);
    }
    return out;
  }
  bool WaitForCalls(std::size_t n, milliseconds timeout) const {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return calls_.size() >= n; });
  }
  // Waits for a call for `slug`; returns when it started.
  std::optional<SteadyTime> WaitForCallOf(const std::string& slug, milliseconds timeout) const {
    std::unique_lock lock(mu_);
    std::optional<SteadyTime> started;
    cv_.wait_for(lock, timeout, [&] {
      for (const SendCall& c : calls_) {
        if (c.slug == slug) started = c.started;
      }
      return started.has_value();
    });
    return started;
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::map<std::string, std::deque<SendOutcome>> script_;  // guarded by mu_
  std::set<std::string> held_;                             // guarded by mu_
  std::vector<SendCall> calls_;                            // guarded by mu_
  milliseconds delay_{0};                                  // guarded by mu_
};

// Forwards to another store; can fail FinishAlert and RenewAlert, observes DueMonitors
// calls and renewals, and can hold EarliestCheck's answer (read from the store at once,
// returned when released).
class ObservedStore final : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;

  void HoldEarliestCheck() {
    std::lock_guard lock(mu_);
    hold_earliest_ = true;
    earliest_held_ = false;
  }
  // Waits until an EarliestCheck has read the store and is being held.
  bool WaitForHeldEarliestCheck(milliseconds timeout) {
    std::unique_lock lock(mu_);
    return earliest_cv_.wait_for(lock, timeout, [&] { return earliest_held_; });
  }
  void ReleaseEarliestCheck() {
    {
      std::lock_guard lock(mu_);
      hold_earliest_ = false;
    }
    earliest_cv_.notify_all();
  }
  // Runs on the caller's thread (the checker's, waiting for the answer): the store's own
  // threads are not blocked, so writes go on meanwhile.
  void EarliestCheck(Callback<std::optional<UnixMillis>> done) override {
    {
      std::lock_guard lock(mu_);
      if (!hold_earliest_) {
        inner_.EarliestCheck(std::move(done));
        return;
      }
    }
    std::promise<Result<std::optional<UnixMillis>>> answer;
    inner_.EarliestCheck(
        [&answer](Result<std::optional<UnixMillis>> r) { answer.set_value(std::move(r)); });
    Result<std::optional<UnixMillis>> r = answer.get_future().get();
    {
      std::unique_lock lock(mu_);
      earliest_held_ = true;
      earliest_cv_.notify_all();
      earliest_cv_.wait(lock, [&] { return !hold_earliest_; });
    }
    done(std::move(r));
  }

  std::atomic<int> fail_finish{0};      // this many FinishAlert calls fail (kUnavailable)
  std::atomic<int> finish_calls{0};     // FinishAlert calls, failed or not
  std::atomic<bool> fail_renew{false};  // RenewAlert fails (kUnavailable) while set

  void RenewAlert(const PendingAlert& alert, std::string owner, UnixMillis lease_until,
                  Callback<void> done) override {
    if (fail_renew.load()) {
      {
        std::lock_guard lock(mu_);
        ++renewals_failed_;
        renew_cv_.notify_all();
      }
      done(Unavailable("the store is stalled (injected by the test)"));
      return;
    }
    // Counted once the Deliverer has taken the answer: a test that saw a renewal refused
    // sees what the Deliverer made of it.
    inner_.RenewAlert(alert, std::move(owner), lease_until,
                      [this, lease_until, done = std::move(done)](Status s) {
                        const bool ok = s.ok();
                        const bool refused = !ok && s.error().code == ErrorCode::kConflict;
                        done(std::move(s));
                        std::lock_guard lock(mu_);
                        if (ok) renewed_until_ = std::max(renewed_until_, lease_until);
                        if (refused) ++renewals_refused_;
                        ++renewals_;
                        renew_cv_.notify_all();
                      });
  }
  // Waits until a renewal the store accepted set a lease to end at `until` or later.
  bool WaitForRenewalUntil(UnixMillis until, milliseconds timeout) {
    std::unique_lock lock(mu_);
    return renew_cv_.wait_for(lock, timeout, [&] { return renewed_until_ >= until; });
  }
  // Waits until `n` renewals failed (injected) / were refused by the store.
  bool WaitForFailedRenewals(int n, milliseconds timeout) {
    std::unique_lock lock(mu_);
    return renew_cv_.wait_for(lock, timeout, [&] { return renewals_failed_ >= n; });
  }
  bool WaitForRefusedRenewals(int n, milliseconds timeout) {
    std::unique_lock lock(mu_);
    return renew_cv_.wait_for(lock, timeout, [&] { return renewals_refused_ >= n; });
  }
  // Renewals the store answered, and those failed by the test.
  int RenewalsTried() const {
    std::lock_guard lock(mu_);
    return renewals_ + renewals_failed_;
  }

  // Steady times at which DueMonitors was called.
  std::vector<SteadyTime> DueCalls() const {
    std::lock_guard lock(mu_);
    return due_calls_;
  }

  void DueMonitors(UnixMillis now, std::size_t limit,
                   Callback<std::vector<Monitor>> done) override {
    {
      std::lock_guard lock(mu_);
      due_calls_.push_back(std::chrono::steady_clock::now());
    }
    inner_.DueMonitors(now, limit, std::move(done));
  }
  void FinishAlert(const PendingAlert& alert, std::string owner, Callback<void> done) override {
    ++finish_calls;
    if (fail_finish.fetch_sub(1) > 0) {
      done(Unavailable("database is locked (injected by the test)"));
      return;
    }
    inner_.FinishAlert(alert, std::move(owner), std::move(done));
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable earliest_cv_;
  std::condition_variable renew_cv_;
  std::vector<SteadyTime> due_calls_;  // guarded by mu_
  bool hold_earliest_ = false;         // guarded by mu_
  bool earliest_held_ = false;         // guarded by mu_
  UnixMillis renewed_until_ = 0;       // guarded by mu_
  int renewals_ = 0;                   // guarded by mu_
  int renewals_failed_ = 0;            // guarded by mu_
  int renewals_refused_ = 0;           // guarded by mu_
};

// --- the Deliverer with a fake clock ---

// Leases of 600 ms (fake time) are renewed every 200 ms (real time): the tests move the
// fake clock by half a lease, wait for the renewal made at the new time, and let another
// sender look.
constexpr std::int64_t kShortLeaseMs = 600;

DelivererOptions ShortLease() {
  DelivererOptions o;
  o.lease_ms = kShortLeaseMs;
  return o;
}

class DelivererTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  ~DelivererTest() override { store_->Close(); }

  // Queues the FAILED alert of `slug` (fail, then a checker cycle) at `at`.
  void QueueFailed(const std::string& slug, UnixMillis at) {
    clock_.Set(at);
    FailAt(*store_, slug, at);
    RunChecker(at);
  }
  // Queues a FAILED alert for "job" and starts its send with `d`, which hangs in the
  // notifier until released: the alert is held, its lease running.
  // Three leases in half-lease steps: at each, the lease held by the first sender is
  // renewed (seen through `observed`), and sender `b` finds nothing it may take; `then` runs
  // after each step.
  template <class Observed>
  void ExpectHeldForThreeLeases(Observed& observed, Deliverer& b,
                                const std::function<void()>& then = {}) {
    bool renewing = true;
    for (int step = 1; step <= 6; ++step) {
      clock_.Advance(milliseconds(kShortLeaseMs / 2));
      if (renewing) {
        renewing = observed.WaitForRenewalUntil(clock_.Now() + kShortLeaseMs, milliseconds(3000));
        EXPECT_TRUE(renewing) << "no renewal at step " << step;
      }
      Result<DeliveryStats> other = b.DeliverReady();
      EXPECT_TRUE(other.ok() && other->sent + other->retried + other->rejected == 0u)
          << "another sender took the alert at step " << step;
      if (then) then();
    }
  }
  void StartHeldSend(Deliverer& d, std::chrono::milliseconds wait = std::chrono::seconds(5)) {
    notifier_.Hold("job");
    QueueFailed("job", kT0);
    Result<std::size_t> started = d.Dispatch();
    EXPECT_TRUE(started.ok() && *started == 1u);
    EXPECT_TRUE(notifier_.WaitForCalls(1, wait));
  }
  void RunChecker(UnixMillis at) {
    clock_.Set(at);
    Result<CycleStats> s = checker_.RunCycle();
    ASSERT_TRUE(s.ok());
  }
  DeliveryStats DeliverAt(Deliverer& d, UnixMillis at) {
    clock_.Set(at);
    Result<DeliveryStats> s = d.DeliverReady();
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return s.ok() ? *s : DeliveryStats{};
  }
  DeliveryStats DeliverAt(UnixMillis at) { return DeliverAt(deliverer_, at); }
  std::optional<UnixMillis> NextAttempt() {
    Result<std::optional<UnixMillis>> r = deliverer_.NextAttempt();
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : std::nullopt;
  }
  std::int64_t Pending() { return PendingIn(*store_); }

  TempDir dir_;
  FakeClock clock_{kT0};
  std::unique_ptr<Store> store_ = OpenTestStore(GetParam(), dir_.path());
  Checker checker_{*store_, clock_, {}};
  ScriptedNotifier notifier_;
  Deliverer deliverer_{*store_, notifier_, clock_, {}};
};

// The deliverer's unit suite runs on the store in memory; two deliverers on one store's
// data run on both persistent stores (DelivererOnTwoStores), and tests/e2e runs the binary
// on SQLite and DynamoDB.
INSTANTIATE_TEST_SUITE_P(Stores, DelivererTest, MemoryStoreOnly(), StoreKindParamName);

class DelivererOnTwoStores : public DelivererTest {};
INSTANTIATE_TEST_SUITE_P(Stores, DelivererOnTwoStores, BothStores(), StoreKindParamName);

TEST_P(DelivererTest, SentAlertIsRemovedAndNeverSentAgain) {
  QueueFailed("job", kT0);
  ASSERT_EQ(Pending(), 1);
  DeliveryStats s = DeliverAt(kT0);
  EXPECT_EQ(s.sent, 1u);
  EXPECT_EQ(s.retried + s.rejected + s.errors, 0u);
  ASSERT_EQ(notifier_.Calls().size(), 1u);
  EXPECT_EQ(notifier_.Calls()[0].kind, AlertKind::kFailed);
  EXPECT_EQ(Pending(), 0);
  EXPECT_EQ(NextAttempt(), std::nullopt);
  for (UnixMillis t : {kT0, kT0 + kSecond, kT0 + kMinute, kT0 + 10 * kMinute}) DeliverAt(t);
  EXPECT_EQ(notifier_.Calls().size(), 1u);
}

TEST_P(DelivererTest, FailedSendIsRetriedWithBackoffThatGrowsAndIsCappedAtFiveMinutes) {
  notifier_.Script("job", std::vector<SendOutcome>(12, Retry()));
  QueueFailed("job", kT0);
  UnixMillis t = kT0;
  for (int attempt = 1; attempt <= 12; ++attempt) {
    SCOPED_TRACE("attempt " + std::to_string(attempt));
    DeliveryStats s = DeliverAt(t);
    EXPECT_EQ(s.retried, 1u);
    ASSERT_EQ(notifier_.Calls().size(), static_cast<std::size_t>(attempt));
    EXPECT_EQ(Pending(), 1);
    std::optional<UnixMillis> next = NextAttempt();
    ASSERT_TRUE(next.has_value());
    const std::int64_t wait = *next - t;
    const std::int64_t full = std::min<std::int64_t>(1000LL << (attempt - 1), 300'000);
    EXPECT_GE(wait, full / 2);
    EXPECT_LE(wait, full);
    // Not one millisecond before its time.
    DeliveryStats early = DeliverAt(*next - 1);
    EXPECT_EQ(early.sent + early.retried + early.rejected, 0u);
    EXPECT_EQ(notifier_.Calls().size(), static_cast<std::size_t>(attempt));
    t = *next;
  }
  DeliveryStats last = DeliverAt(t);
  EXPECT_EQ(last.sent, 1u);
  EXPECT_EQ(notifier_.Calls().size(), 13u);
  EXPECT_EQ(Pending(), 0);
}

TEST(Backoff, JitterStaysInTheUpperHalfOfAWaitThatDoublesUpToFiveMinutes) {
  DelivererOptions options;  // base 1 s, cap 300 s
  std::mt19937_64 rng(42);
  for (std::int64_t attempts : {1, 2, 3, 5, 8, 9, 10, 11, 20, 63, 64, 1000}) {
    SCOPED_TRACE("attempts " + std::to_string(attempts));
    std::int64_t full = attempts >= 10 ? 300'000 : 1000LL << (attempts - 1);
    std::int64_t lo = full;
    std::int64_t hi = 0;
    for (int i = 0; i < 2000; ++i) {
      std::int64_t w = BackoffMillis(attempts, options, rng);
      ASSERT_GE(w, full / 2);
      ASSERT_LE(w, full);
      lo = std::min(lo, w);
      hi = std::max(hi, w);
    }
    // Spread over the range, not a fixed value.
    EXPECT_LT(lo, full / 2 + full / 10);
    EXPECT_GT(hi, full - full / 10);
  }
}

TEST_P(DelivererTest, RejectedAlertIsKeptOutOfTheQueueAndNotRetried) {
  notifier_.Script("job", {Rejected()});
  QueueFailed("job", kT0);
  DeliveryStats s = DeliverAt(kT0);
  EXPECT_EQ(s.rejected, 1u);
  EXPECT_EQ(Pending(), 0);
  EXPECT_EQ(NextAttempt(), std::nullopt);
  for (UnixMillis t : {kT0 + kSecond, kT0 + 10 * kMinute, kT0 + 59 * kMinute}) DeliverAt(t);
  EXPECT_EQ(notifier_.Calls().size(), 1u);
  // The monitor's next alert is not held back by the rejected one.
  RunChecker(kT0 + kHour);
  EXPECT_EQ(DeliverAt(kT0 + kHour).sent, 1u);
  ASSERT_EQ(notifier_.Calls().size(), 2u);
  EXPECT_EQ(notifier_.Calls()[1].kind, AlertKind::kRepeat);
}

TEST_P(DelivererTest, RecoveryNeverOvertakesAFailingFirstAlert) {
  notifier_.Script("job", {Retry(), Retry()});
  QueueFailed("job", kT0);
  EXPECT_EQ(DeliverAt(kT0).retried, 1u);
  // Back at once: the recovery is queued behind the undelivered FAILED.
  PingAt(*store_, "job", std::nullopt, kT0 + 100);
  RunChecker(kT0 + 100);
  EXPECT_EQ(Pending(), 2);
  // Before the retry is due, nothing of this monitor may go out.
  DeliveryStats early = DeliverAt(kT0 + 200);
  EXPECT_EQ(early.sent + early.retried, 0u);
  std::optional<UnixMillis> next = NextAttempt();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(DeliverAt(*next).retried, 1u);  // the FAILED again, failing again
  next = NextAttempt();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(DeliverAt(*next).sent, 1u);  // the FAILED
  EXPECT_EQ(DeliverAt(*next).sent, 1u);  // then the RECOVERED
  std::vector<AlertKind> kinds;
  for (const SendCall& c : notifier_.Calls()) kinds.push_back(c.kind);
  EXPECT_EQ(kinds, (std::vector<AlertKind>{AlertKind::kFailed, AlertKind::kFailed,
                                           AlertKind::kFailed, AlertKind::kRecovered}));
  EXPECT_EQ(Pending(), 0);
}

TEST_P(DelivererTest, PingWhileTheAlertIsInFlightQueuesTheRecoveryBehindIt) {
  notifier_.Hold("job");
  QueueFailed("job", kT0);
  auto in_flight = std::async(std::launch::async, [&] { return deliverer_.DeliverReady(); });
  EXPECT_TRUE(notifier_.WaitForCalls(1, milliseconds(5000)));

  // The job comes back while Telegram is still answering. (No ASSERT until the send is
  // released: the pending future would wait for it forever.)
  PingAt(*store_, "job", std::nullopt, kT0 + kSecond);
  clock_.Set(kT0 + kSecond);
  Result<CycleStats> cycle = checker_.RunCycle();
  EXPECT_TRUE(cycle.ok() && cycle->alerts_queued == 1u);
  EXPECT_EQ(Pending(), 2);

  // Another sender finds nothing it may take: the head of the queue is leased.
  Deliverer other(*store_, notifier_, clock_, {});
  Result<DeliveryStats> o = other.DeliverReady();
  EXPECT_TRUE(o.ok() && o->sent + o->retried + o->rejected == 0u);
  EXPECT_EQ(notifier_.Calls().size(), 1u);

  notifier_.Release("job");
  Result<DeliveryStats> first = in_flight.get();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->sent, 1u);
  EXPECT_EQ(DeliverAt(kT0 + kSecond).sent, 1u);
  std::vector<SendCall> calls = notifier_.Calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].kind, AlertKind::kFailed);
  EXPECT_EQ(calls[1].kind, AlertKind::kRecovered);
  EXPECT_EQ(Pending(), 0);
}

TEST_P(DelivererTest, SlowAndFailingSendsDoNotHoldUpOtherMonitorsInTheSameRound) {
  notifier_.Hold("slow");
  notifier_.Script("bad", {Retry()});
  clock_.Set(kT0);
  for (const char* slug : {"slow", "bad", "good"}) FailAt(*store_, slug, kT0);
  RunChecker(kT0);
  ASSERT_EQ(Pending(), 3);
  auto round = std::async(std::launch::async, [&] { return deliverer_.DeliverReady(); });
  // "good" and "bad" are sent while "slow" still hangs.
  EXPECT_TRUE(notifier_.WaitForCallOf("good", milliseconds(3000)).has_value());
  EXPECT_TRUE(notifier_.WaitForCallOf("bad", milliseconds(3000)).has_value());
  EXPECT_EQ(round.wait_for(milliseconds(0)), std::future_status::timeout);
  notifier_.Release("slow");
  Result<DeliveryStats> s = round.get();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->sent, 2u);
  EXPECT_EQ(s->retried, 1u);
  EXPECT_EQ(Pending(), 1);  // only "bad", waiting for its retry
}

TEST_P(DelivererOnTwoStores, TwoDeliverersOnOneStoreNeverSendTheSameAlertTwice) {
  constexpr int kMonitors = 60;
  notifier_.SetDelay(milliseconds(2));
  clock_.Set(kT0);
  for (int i = 0; i < kMonitors; ++i) {
    std::string slug = "m" + std::to_string(i);
    if (i % 3 == 0) notifier_.Script(slug, {Retry()});  // these go out on their 2nd attempt
    FailAt(*store_, slug, kT0);
  }
  RunChecker(kT0);
  ASSERT_EQ(Pending(), kMonitors);

  auto store_b = OpenSecondTestStore(GetParam(), dir_.path());
  Deliverer b(*store_b, notifier_, clock_, {});
  std::atomic<bool> stop{false};
  auto loop = [&stop](Deliverer& d) {
    while (!stop.load()) {
      Result<DeliveryStats> s = d.DeliverReady();
      if (!s.ok()) ADD_FAILURE() << s.error().message;
      std::this_thread::sleep_for(milliseconds(1));
    }
  };
  std::thread ta(loop, std::ref(deliverer_));
  std::thread tb(loop, std::ref(b));
  auto wait_for = [](const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(5));
    }
    return done();
  };
  // Every first attempt made and its outcome recorded: a failed one that is recorded
  // only after the clock moves would be due later than the moved clock, and never sent.
  auto outcomes = [&] {
    DeliveryStats x = deliverer_.totals();
    DeliveryStats y = b.totals();
    return x.sent + x.retried + y.sent + y.retried;
  };
  EXPECT_TRUE(wait_for([&] { return outcomes() == static_cast<std::size_t>(kMonitors); }));
  EXPECT_EQ(Pending(), kMonitors / 3);  // all but the retried ones
  clock_.Advance(milliseconds(5000));   // their retries come due (well within any lease)
  EXPECT_TRUE(wait_for([&] { return Pending() == 0; }));
  std::this_thread::sleep_for(milliseconds(50));
  stop = true;
  ta.join();
  tb.join();

  std::map<std::string, int> sent;
  std::map<std::string, int> attempts;
  for (const SendCall& c : notifier_.Calls()) {
    ++attempts[c.slug];
    if (c.outcome == SendOutcome::Kind::kSent) ++sent[c.slug];
  }
  EXPECT_EQ(deliverer_.totals().errors + b.totals().errors, 0u);  // every outcome recorded
  EXPECT_EQ(notifier_.Calls().size(), static_cast<std::size_t>(kMonitors + kMonitors / 3));
  for (int i = 0; i < kMonitors; ++i) {
    std::string slug = "m" + std::to_string(i);
    EXPECT_EQ(sent[slug], 1) << slug;
    EXPECT_EQ(attempts[slug], i % 3 == 0 ? 2 : 1) << slug;
  }
  store_b->Close();
}

// Telegram took the message, but recording that failed for a moment (the file was
// locked by another process): the alert must not go out a second time.
TEST_P(DelivererTest, SuccessfulSendWhoseRecordFailedOnceIsNotSentAgain) {
  ObservedStore flaky(*store_);
  Deliverer d(flaky, notifier_, clock_, {});
  QueueFailed("job", kT0);
  // The removal fails, and so do the deliverer's next tries (one at each later round):
  // the alert is left sent but unrecorded for a while, its lease running out meanwhile.
  flaky.fail_finish = 3;
  DeliveryStats s = DeliverAt(d, kT0);
  EXPECT_EQ(s.sent, 1u);
  EXPECT_EQ(s.errors, 1u);
  // Later rounds, past the lease (30 s) and further.
  for (UnixMillis t : {kT0 + kSecond, kT0 + 31 * kSecond, kT0 + 2 * kMinute, kT0 + 10 * kMinute}) {
    DeliverAt(d, t);
  }
  EXPECT_EQ(notifier_.Calls().size(), 1u) << "the FAILED alert was sent more than once";
}

// --- leases renewed while an alert is being sent or recorded ---

// Telegram is slow, not down: the send outlasts its lease many times over. The lease is
// renewed meanwhile, so another sender on the same store's data (another process: a
// replica, `heartbeat check`, the Lambda) never claims the alert, and it goes out once.
TEST_P(DelivererOnTwoStores, ASendLongerThanTheLeaseKeepsItSoNoOtherSenderSendsItToo) {
  ObservedStore observed(*store_);
  Deliverer a(observed, notifier_, clock_, ShortLease());
  auto store_b = OpenSecondTestStore(GetParam(), dir_.path());
  ScriptedNotifier telegram_b;  // never held: a send by b would end at once
  Deliverer b(*store_b, telegram_b, clock_, ShortLease());
  notifier_.Hold("job");
  QueueFailed("job", kT0);
  auto round = std::async(std::launch::async, [&] { return a.DeliverReady(); });
  EXPECT_TRUE(notifier_.WaitForCalls(1, milliseconds(5000)));

  // Three leases in half-lease steps. (No ASSERT until the send is released: the pending
  // future would wait for it forever.)
  ExpectHeldForThreeLeases(observed, b);
  notifier_.Release("job");
  Result<DeliveryStats> first = round.get();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->sent, 1u);
  EXPECT_EQ(first->errors, 0u);  // its removal found it still leased to a
  EXPECT_EQ(notifier_.Calls().size(), 1u);
  EXPECT_TRUE(telegram_b.Calls().empty()) << "the alert was sent twice";
  EXPECT_EQ(Pending(), 0);
  b.Stop();
  store_b->Close();
}

// Telegram took the message, and recording that keeps failing (the store unavailable to
// this process): the alert stays leased to its sender, which alone remembers that it was
// sent, for as long as it lives; no other sender sends it again.
TEST_P(DelivererOnTwoStores, ASentAlertWhoseRecordKeepsFailingStaysLeasedWhileItsSenderLives) {
  ObservedStore observed(*store_);
  Deliverer a(observed, notifier_, clock_, ShortLease());
  auto store_b = OpenSecondTestStore(GetParam(), dir_.path());
  ScriptedNotifier telegram_b;
  Deliverer b(*store_b, telegram_b, clock_, ShortLease());
  QueueFailed("job", kT0);
  observed.fail_finish = 1'000'000;
  DeliveryStats s = DeliverAt(a, kT0);
  EXPECT_EQ(s.sent, 1u);
  EXPECT_EQ(s.errors, 1u);

  // The other process looks first, then the sender's own round retries the record.
  ExpectHeldForThreeLeases(observed, b, [&] { EXPECT_TRUE(a.DeliverReady().ok()); });
  EXPECT_TRUE(telegram_b.Calls().empty()) << "the alert was sent twice";
  EXPECT_EQ(Pending(), 1);

  observed.fail_finish = 0;  // the store is back: the next round records it
  ASSERT_TRUE(a.DeliverReady().ok());
  EXPECT_EQ(Pending(), 0);
  EXPECT_EQ(notifier_.Calls().size(), 1u);
  b.Stop();
  store_b->Close();
}

// A renewal that fails (the store unavailable) is tried again at the next tick; one the
// store refuses (the lease was lost: another sender took the alert meanwhile) is logged
// as a warning and not tried again.
TEST_P(DelivererTest, AFailedRenewalIsTriedAgainAndARefusedOneIsLoggedAndDropped) {
  CapturedLog log;
  ObservedStore observed(*store_);
  {
    Deliverer a(observed, notifier_, clock_, ShortLease());
    StartHeldSend(a);

    // The store is unreachable for this sender past the lease's end: each tick tries again.
    observed.fail_renew = true;
    EXPECT_TRUE(observed.WaitForFailedRenewals(2, milliseconds(3000)));
    // Meanwhile another sender claims it, and is the one to send it.
    clock_.Advance(milliseconds(kShortLeaseMs));
    ScriptedNotifier telegram_b;
    Deliverer b(*store_, telegram_b, clock_, ShortLease());
    Result<DeliveryStats> other = b.DeliverReady();
    EXPECT_TRUE(other.ok() && other->sent == 1u);

    // Back: the next renewal is refused, and none follows it.
    observed.fail_renew = false;
    EXPECT_TRUE(observed.WaitForRefusedRenewals(1, milliseconds(3000)));
    const int tried = observed.RenewalsTried();
    std::this_thread::sleep_for(milliseconds(3 * kShortLeaseMs / 3 + 100));  // three ticks
    EXPECT_EQ(observed.RenewalsTried(), tried) << "a lost lease was renewed again";
    notifier_.Release("job");
    a.WaitIdle();
  }
  const std::string lines = log.Release();
  EXPECT_NE(lines.find("renewing the lease of alert"), std::string::npos) << lines;
  EXPECT_NE(lines.find("was lost to another sender: it may be sent twice"), std::string::npos)
      << lines;
}

// Telegram took the message, its record failed, and the sender's renewals failed too,
// until another sender claimed the alert and sent it again ("Never twice", window 3). The
// first sender's next renewal is refused: that says once that the alert may have gone out
// twice, and the first sender does not try a record the store could only refuse.
TEST_P(DelivererTest, ASentAlertWhoseRenewalWasRefusedIsNotRecordedAgain) {
  CapturedLog log;
  ObservedStore observed(*store_);
  {
    Deliverer a(observed, notifier_, clock_, ShortLease());
    QueueFailed("job", kT0);
    observed.fail_finish = 1'000'000;
    observed.fail_renew = true;
    DeliveryStats s = DeliverAt(a, kT0);
    EXPECT_EQ(s.sent, 1u);
    EXPECT_EQ(s.errors, 1u);
    EXPECT_TRUE(observed.WaitForFailedRenewals(1, milliseconds(3000)));
    clock_.Advance(milliseconds(kShortLeaseMs));
    ScriptedNotifier telegram_b;
    Deliverer b(*store_, telegram_b, clock_, ShortLease());
    Result<DeliveryStats> other = b.DeliverReady();
    EXPECT_TRUE(other.ok() && other->sent == 1u);

    // The store answers the first sender again.
    observed.fail_finish = 0;
    observed.fail_renew = false;
    EXPECT_TRUE(observed.WaitForRefusedRenewals(1, milliseconds(3000)));
    const int finishes = observed.finish_calls.load();
    EXPECT_TRUE(a.DeliverReady().ok());
    EXPECT_EQ(observed.finish_calls.load(), finishes) << "a record bound to be refused was tried";
    EXPECT_EQ(notifier_.Calls().size(), 1u);
  }
  const std::string lines = log.Release();
  std::size_t warnings = 0;
  for (std::size_t at = lines.find("it may be sent twice"); at != std::string::npos;
       at = lines.find("it may be sent twice", at + 1)) {
    ++warnings;
  }
  EXPECT_EQ(warnings, 1u) << lines;
}

// A process never sends an alert twice itself, even when it lost the lease meanwhile:
// here its renewals fail while its send hangs, another sender claims the alert and fails
// to send it, and when the alert comes round again the first sender, which did send it,
// records it instead of sending it again.
TEST_P(DelivererTest, ASenderThatLostTheLeaseOfAnAlertItSentNeverSendsItAgain) {
  ObservedStore observed(*store_);
  Deliverer a(observed, notifier_, clock_, ShortLease());
  StartHeldSend(a);
  observed.fail_renew = true;
  clock_.Advance(milliseconds(kShortLeaseMs));
  ScriptedNotifier telegram_b;
  telegram_b.Script("job", {Retry()});
  Deliverer b(*store_, telegram_b, clock_, ShortLease());
  Result<DeliveryStats> other = b.DeliverReady();
  EXPECT_TRUE(other.ok() && other->retried == 1u);
  // a's send went through after all; its removal finds the lease gone.
  notifier_.Release("job");
  a.WaitIdle();
  observed.fail_renew = false;
  EXPECT_EQ(a.totals().sent, 1u);
  EXPECT_EQ(Pending(), 1);

  std::optional<UnixMillis> next = NextAttempt();
  ASSERT_TRUE(next.has_value());
  clock_.Set(*next);
  Result<DeliveryStats> again = a.DeliverReady();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(notifier_.Calls().size(), 1u) << "the sender sent the alert a second time";
  EXPECT_EQ(Pending(), 0);
  EXPECT_EQ(telegram_b.Calls().size(), 1u);
}

// Stop ends the renewing thread at once, not at the end of its wait (a third of the
// 30 s lease).
TEST_P(DelivererTest, StopDoesNotWaitForTheNextRenewal) {
  StartHeldSend(deliverer_, milliseconds(3000));
  // The renewing thread now waits out 10 s before it renews this alert's lease.
  auto stopped = std::async(std::launch::async, [&] { deliverer_.Stop(); });
  std::this_thread::sleep_for(milliseconds(50));
  notifier_.Release("job");
  EXPECT_EQ(stopped.wait_for(milliseconds(3000)), std::future_status::ready)
      << "Stop waited for the renewing thread's next tick";
  stopped.get();
  EXPECT_EQ(Pending(), 0);
}

// A Notifier that leaves thread-local state behind in each sending thread, released
// slowly when the thread ends, as OpenSSL's per-thread error state is. Counts the sends
// running now; each takes a little while.
class ThreadLocalStateNotifier final : public Notifier {
 public:
  SendOutcome Send(const Alert& /*alert*/) override {
    running.fetch_add(1);
    thread_local ThreadState state{this};
    std::this_thread::sleep_for(milliseconds(20));
    finished.fetch_add(1);
    running.fetch_sub(1);
    return Sent();
  }
  std::atomic<int> running{0};
  std::atomic<int> finished{0};
  std::atomic<int> created{0};   // sending threads that sent
  std::atomic<int> released{0};  // ... whose thread-local state is gone

 private:
  struct ThreadState {
    explicit ThreadState(ThreadLocalStateNotifier* o) : owner(o) { owner->created.fetch_add(1); }
    ThreadLocalStateNotifier* owner;
    ~ThreadState() {
      std::this_thread::sleep_for(milliseconds(200));
      owner->released.fetch_add(1);
    }
  };
};

// When a round is over, none of its sends is still running. The sending threads are a
// pool that outlives rounds; Stop, or else the destructor, joins them, their thread-local
// state released. Sending threads used to be detached, and one could still be on its way
// out as the process exited: LeakSanitizer then reported the OpenSSL state it was freeing
// as a leak.
TEST_P(DelivererTest, ARoundEndsOnlyWhenItsSendsHaveEndedAndStopJoinsTheSendingThreads) {
  ThreadLocalStateNotifier notifier;
  {
    Deliverer d(*store_, notifier, clock_, {});
    QueueFailed("a", kT0);
    QueueFailed("b", kT0);
    DeliveryStats s = DeliverAt(d, kT0);
    EXPECT_EQ(s.sent, 2u);
    EXPECT_EQ(notifier.running.load(), 0) << "a send outlived its round";
    EXPECT_EQ(notifier.finished.load(), 2);
    d.Stop();
    EXPECT_GE(notifier.created.load(), 1);
    EXPECT_EQ(notifier.released.load(), notifier.created.load())
        << "a sending thread outlived Stop";
    d.Stop();  // idempotent
  }
  {
    Deliverer d(*store_, notifier, clock_, {});
    QueueFailed("c", kT0 + kSecond);
    EXPECT_EQ(DeliverAt(d, kT0 + kSecond).sent, 1u);
  }
  EXPECT_EQ(notifier.finished.load(), 3);
  EXPECT_EQ(notifier.released.load(), notifier.created.load())
      << "a sending thread outlived its Deliverer";
}

// A Notifier that counts the sends running at once, around a ScriptedNotifier.
class CountingNotifier final : public Notifier {
 public:
  explicit CountingNotifier(Notifier& inner) : inner_(inner) {}
  SendOutcome Send(const Alert& alert) override {
    int now = running_.fetch_add(1) + 1;
    int seen = most_.load();
    while (now > seen && !most_.compare_exchange_weak(seen, now)) {
    }
    SendOutcome outcome = inner_.Send(alert);
    running_.fetch_sub(1);
    return outcome;
  }
  int most() const { return most_.load(); }

 private:
  Notifier& inner_;
  std::atomic<int> running_{0};
  std::atomic<int> most_{0};
};

// The sending threads are a fixed pool: never more sends at once than senders, and an
// alert is claimed only when a sender is free to take it, so none waits leased (its lease
// running out) behind sends that hang: another deliverer can take it meanwhile.
TEST_P(DelivererTest, NoMoreSendsRunAtOnceThanThereAreSendersAndTheRestStaysUnclaimed) {
  CountingNotifier counting(notifier_);
  DelivererOptions options;
  options.senders = 3;
  Deliverer d(*store_, counting, clock_, options);
  clock_.Set(kT0);
  for (const char* slug : {"m1", "m2", "m3", "m4", "m5"}) {
    notifier_.Hold(slug);
    FailAt(*store_, slug, kT0);
  }
  RunChecker(kT0);
  Result<std::size_t> started = d.Dispatch();
  EXPECT_TRUE(started.ok() && *started == 3u);
  EXPECT_TRUE(notifier_.WaitForCalls(3, milliseconds(3000)));
  EXPECT_EQ(d.FreeSenders(), 0u);
  started = d.Dispatch();
  EXPECT_TRUE(started.ok() && *started == 0u);
  Deliverer other(*store_, notifier_, clock_, {});
  started = other.Dispatch();
  EXPECT_TRUE(started.ok() && *started == 2u) << "alerts were claimed with no sender free";
  EXPECT_TRUE(notifier_.WaitForCalls(5, milliseconds(3000)));
  notifier_.ReleaseAll();
  d.WaitIdle();
  other.WaitIdle();
  EXPECT_EQ(counting.most(), 3);
  EXPECT_EQ(d.totals().sent, 3u);
  EXPECT_EQ(other.totals().sent, 2u);
  EXPECT_EQ(Pending(), 0);
}

// With N senders, N - 1 sends that hang for their whole timeout leave a sender for every
// other alert: they go out one after another, and a round claims more as senders free up.
TEST_P(DelivererTest, SendsHangingOnAllButOneSenderHoldUpNoOtherAlert) {
  DelivererOptions options;
  options.senders = 3;
  Deliverer d(*store_, notifier_, clock_, options);
  clock_.Set(kT0);
  for (const char* slug : {"stuck1", "stuck2"}) {
    notifier_.Hold(slug);
    FailAt(*store_, slug, kT0);
  }
  RunChecker(kT0);
  Result<std::size_t> started = d.Dispatch();
  EXPECT_TRUE(started.ok() && *started == 2u);
  for (const char* slug : {"a", "b", "c", "d"}) FailAt(*store_, slug, kT0 + 1);
  RunChecker(kT0 + 1);
  auto round = std::async(std::launch::async, [&] { return d.DeliverReady(); });
  bool all = true;
  for (const char* slug : {"a", "b", "c", "d"}) {
    all = notifier_.WaitForCallOf(slug, milliseconds(3000)).has_value() && all;
  }
  EXPECT_TRUE(all) << "an alert waited for the hanging sends";
  // The round waits for every send of this deliverer, the hanging ones among them.
  EXPECT_EQ(round.wait_for(milliseconds(100)), std::future_status::timeout);
  notifier_.ReleaseAll();
  Result<DeliveryStats> s = round.get();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->sent, 6u);
  EXPECT_EQ(Pending(), 0);
}

// Answers at once, but for the channels it is told to hold (until Release) or to refuse
// once with a 429 and its retry_after; counts the sends in flight per channel.
class ChannelsNotifier final : public Notifier {
 public:
  void Hold(const std::string& channel) {
    std::lock_guard lock(mu_);
    held_.insert(channel);
  }
  void Release() {
    std::lock_guard lock(mu_);
    held_.clear();
    cv_.notify_all();
  }
  void TooManyOnce(const std::string& channel, std::chrono::seconds retry_after) {
    std::lock_guard lock(mu_);
    limited_[channel] = retry_after;
  }
  SendOutcome Send(const Alert& alert) override {
    std::unique_lock lock(mu_);
    tried_[alert.channel].push_back(alert.slug);
    if (auto l = limited_.find(alert.channel); l != limited_.end()) {
      SendOutcome out{SendOutcome::Kind::kRetry, l->second, "429"};
      limited_.erase(l);
      return out;
    }
    const int now = ++in_flight_[alert.channel];
    most_[alert.channel] = std::max(most_[alert.channel], now);
    cv_.wait(lock, [&] { return held_.count(alert.channel) == 0; });
    --in_flight_[alert.channel];
    sent_[alert.channel].push_back(alert.slug);
    cv_.notify_all();
    return SendOutcome{SendOutcome::Kind::kSent, std::nullopt, ""};
  }
  std::size_t Sent(const std::string& channel) {
    std::lock_guard lock(mu_);
    return sent_[channel].size();
  }
  std::size_t Tried(const std::string& channel) {
    std::lock_guard lock(mu_);
    return tried_[channel].size();
  }
  int Most(const std::string& channel) {
    std::lock_guard lock(mu_);
    return most_[channel];
  }
  bool WaitSent(const std::string& channel, std::size_t n, milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return sent_[channel].size() >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> held_;
  std::map<std::string, std::chrono::seconds> limited_;
  std::map<std::string, std::vector<std::string>> tried_, sent_;
  std::map<std::string, int> in_flight_, most_;
};

// SPEC §14: a channel that hangs holds at most per_channel senders; every other channel's
// alerts go out meanwhile.
TEST_P(DelivererTest, AHangingChannelHoldsNoMoreThanItsShareOfTheSenders) {
  ChannelsNotifier notifier;
  notifier.Hold("slow");
  DelivererOptions options;
  options.senders = 6;
  options.per_channel = 2;
  Deliverer d(*store_, notifier, clock_, options);
  Checker checker(*store_, clock_, {.channels_of = [](std::string_view) {
    return std::vector<std::string>{"slow", "fast"};
  }});
  for (int i = 0; i < 5; ++i) FailAt(*store_, "job-" + std::to_string(i), kT0);
  clock_.Set(kT0);
  ASSERT_TRUE(checker.RunCycle().ok());
  EXPECT_EQ(Pending(), 10);
  auto round = std::async(std::launch::async, [&] { return d.DeliverReady(); });
  EXPECT_TRUE(notifier.WaitSent("fast", 5, milliseconds(5000))) << "fast waited for slow";
  EXPECT_EQ(notifier.Most("slow"), 2);
  EXPECT_EQ(notifier.Tried("slow"), 2u);
  notifier.Release();
  ASSERT_TRUE(round.get().ok());
  // The rest of the slow channel's alerts, in later rounds.
  for (int i = 0; i < 5 && Pending() > 0; ++i) ASSERT_TRUE(d.DeliverReady().ok());
  EXPECT_EQ(notifier.Sent("slow"), 5u);
  EXPECT_LE(notifier.Most("slow"), 2);
  EXPECT_EQ(Pending(), 0);
}

// A 429 with retry_after pauses its whole channel (no alert to it is tried before then),
// never another channel.
TEST_P(DelivererTest, ARateLimitedChannelIsNotTriedAgainBeforeItsRetryAfter) {
  ChannelsNotifier notifier;
  notifier.TooManyOnce("limited", std::chrono::seconds(30));
  DelivererOptions options;
  options.per_channel = 1;
  Deliverer d(*store_, notifier, clock_, options);
  Checker checker(*store_, clock_, {.channels_of = [](std::string_view) {
    return std::vector<std::string>{"limited", "other"};
  }});
  for (int i = 0; i < 3; ++i) FailAt(*store_, "job-" + std::to_string(i), kT0);
  clock_.Set(kT0);
  ASSERT_TRUE(checker.RunCycle().ok());
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(d.DeliverReady().ok());
  EXPECT_EQ(notifier.Sent("other"), 3u);
  EXPECT_EQ(notifier.Tried("limited"), 1u);  // the 429; the other two wait for the channel
  clock_.Set(kT0 + 29'000);
  ASSERT_TRUE(d.DeliverReady().ok());
  EXPECT_EQ(notifier.Tried("limited"), 1u);
  clock_.Set(kT0 + 30'001);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(d.DeliverReady().ok());
  EXPECT_EQ(notifier.Sent("limited"), 3u);
  EXPECT_EQ(Pending(), 0);
}

// Stop lets the sends in flight finish (each bounded by the notifier's timeout), and
// starts no more.
TEST_P(DelivererTest, StopWaitsForTheSendsInFlightAndStartsNoMore) {
  StartHeldSend(deliverer_, milliseconds(3000));
  auto stopped = std::async(std::launch::async, [&] { deliverer_.Stop(); });
  EXPECT_EQ(stopped.wait_for(milliseconds(200)), std::future_status::timeout)
      << "Stop returned with a send in flight";
  notifier_.Release("job");
  EXPECT_EQ(stopped.wait_for(milliseconds(5000)), std::future_status::ready);
  stopped.get();
  EXPECT_EQ(deliverer_.totals().sent, 1u);
  EXPECT_EQ(Pending(), 0);
  QueueFailed("other", kT0 + kSecond);
  Result<std::size_t> after = deliverer_.Dispatch();
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, ErrorCode::kUnavailable);
  EXPECT_FALSE(deliverer_.DeliverReady().ok());
  EXPECT_EQ(notifier_.Calls().size(), 1u);
  EXPECT_EQ(Pending(), 1);  // left for whoever delivers next
  deliverer_.Stop();
}

// --- the Deliverer with the real Telegram notifier against FakeTelegram ---

class TelegramDelivery : public DelivererTest {
 protected:
  TelegramOptions Options() {
    TelegramOptions o;
    o.api_url = telegram_.url();
    o.bot_token = kBotToken;
    o.chat_id = "-100123";
    o.connect_timeout = milliseconds(2000);
    o.total_timeout = milliseconds(5000);
    return o;
  }

  FakeTelegram telegram_;
  CurlHttpClient http_;
  TelegramNotifier notifier_tg_{http_, Options()};
  Deliverer tg_{*store_, notifier_tg_, clock_, {}};
};

INSTANTIATE_TEST_SUITE_P(Stores, TelegramDelivery, MemoryStoreOnly(), StoreKindParamName);

TEST_P(TelegramDelivery, MessageGoesToTheChatAsMarkdownV2) {
  QueueFailed("db-backup", kT0);
  DeliveryStats s = DeliverAt(tg_, kT0);
  EXPECT_EQ(s.sent, 1u);
  std::vector<TelegramMessage> got = telegram_.Delivered();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].token, kBotToken);
  EXPECT_EQ(got[0].chat_id, "-100123");
  EXPECT_EQ(got[0].parse_mode, "MarkdownV2");
  EXPECT_EQ(got[0].text, "❌ FAILED: `db-backup` \\| reported failure at 14:13 UTC");
  EXPECT_EQ(Pending(), 0);
}

TEST_P(TelegramDelivery, TooManyRequestsIsRetriedExactlyAfterRetryAfter) {
  telegram_.Enqueue(TelegramReply::TooManyRequests(7));
  QueueFailed("job", kT0);
  DeliveryStats s = DeliverAt(tg_, kT0);
  EXPECT_EQ(s.retried, 1u);
  EXPECT_EQ(telegram_.Requests(), 1u);
  EXPECT_TRUE(telegram_.Delivered().empty());
  EXPECT_EQ(NextAttempt(), kT0 + 7 * kSecond);
  DeliverAt(tg_, kT0 + 7 * kSecond - 1);
  EXPECT_EQ(telegram_.Requests(), 1u);
  EXPECT_EQ(DeliverAt(tg_, kT0 + 7 * kSecond).sent, 1u);
  EXPECT_EQ(telegram_.Requests(), 2u);
  ASSERT_EQ(telegram_.Delivered().size(), 1u);
  EXPECT_EQ(Pending(), 0);
}

TEST_P(TelegramDelivery, ServerErrorAndRefusedConnectionAreRetriedUntilDeliveredOnce) {
  telegram_.Enqueue(TelegramReply::ServerError());
  QueueFailed("job", kT0);
  EXPECT_EQ(DeliverAt(tg_, kT0).retried, 1u);
  std::optional<UnixMillis> next = NextAttempt();
  ASSERT_TRUE(next.has_value());
  EXPECT_GE(*next - kT0, 500);
  EXPECT_LE(*next - kT0, 1000);

  telegram_.Down();
  UnixMillis t = *next;
  EXPECT_EQ(DeliverAt(tg_, t).retried, 1u);  // connection refused
  next = NextAttempt();
  ASSERT_TRUE(next.has_value());
  EXPECT_GE(*next - t, 1000);
  EXPECT_LE(*next - t, 2000);
  EXPECT_EQ(Pending(), 1);

  telegram_.Up();
  EXPECT_EQ(DeliverAt(tg_, *next).sent, 1u);
  EXPECT_EQ(telegram_.Delivered().size(), 1u);
  EXPECT_EQ(telegram_.Requests(), 2u);  // the 500, then the delivery
  EXPECT_EQ(Pending(), 0);
  DeliverAt(tg_, *next + kHour);
  EXPECT_EQ(telegram_.Requests(), 2u);
}

TEST_P(TelegramDelivery, BadRequestIsRejectedAndTheMonitorsNextAlertGoesOut) {
  QueueFailed("job", kT0);
  PingAt(*store_, "job", std::nullopt, kT0 + kSecond);
  RunChecker(kT0 + kSecond);
  ASSERT_EQ(Pending(), 2);  // FAILED, then RECOVERED

  telegram_.Enqueue(TelegramReply::BadRequest());
  DeliveryStats s = DeliverAt(tg_, kT0 + kSecond);
  EXPECT_EQ(s.rejected, 1u);
  EXPECT_EQ(Pending(), 1);
  EXPECT_EQ(DeliverAt(tg_, kT0 + kSecond).sent, 1u);
  std::vector<TelegramMessage> got = telegram_.Delivered();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].text.rfind("✅ RECOVERED: `job` \\(was down ", 0), 0u) << got[0].text;
  // The rejected FAILED is never tried again.
  DeliverAt(tg_, kT0 + kMinute);
  DeliverAt(tg_, kT0 + kHour);
  EXPECT_EQ(telegram_.Requests(), 2u);
  EXPECT_EQ(Pending(), 0);
}

// --- CheckerService: the in-process checker, real clock, real HTTP ---

class Service : public ::testing::TestWithParam<StoreKind> {
 protected:
  ~Service() override {
    scripted_.ReleaseAll();
    if (service_) service_->Stop();
    store_->Close();
  }
  void Start(Notifier* notifier, DelivererOptions options = {}) {
    if (notifier != nullptr) {
      deliverer_ = std::make_unique<Deliverer>(observed_, *notifier, RealClock(), options);
    }
    service_ = std::make_unique<CheckerService>(checker_, deliverer_.get(), RealClock());
    service_->Start();
  }
  // What the API does: write, then tell the service when the monitor is next due.
  Monitor Fail(const std::string& slug) {
    Monitor m = FailAt(*store_, slug, RealClock().Now());
    if (m.check_at) service_->Wake(*m.check_at);
    return m;
  }
  Monitor Ping(const std::string& slug, std::optional<std::int64_t> interval = std::nullopt) {
    Monitor m = PingAt(*store_, slug, interval, RealClock().Now());
    if (m.check_at) service_->Wake(*m.check_at);
    return m;
  }
  TelegramOptions Options() {
    TelegramOptions o;
    o.api_url = telegram_.url();
    o.bot_token = kBotToken;
    o.chat_id = "42";
    return o;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_ = OpenTestStore(GetParam(), dir_.path());
  ObservedStore observed_{*store_};
  Checker checker_{observed_, RealClock(), {}};  // repeat every hour
  FakeTelegram telegram_;
  CurlHttpClient http_;
  TelegramNotifier telegram_notifier_{http_, Options()};
  ScriptedNotifier scripted_;
  std::unique_ptr<Deliverer> deliverer_;
  std::unique_ptr<CheckerService> service_;
};

INSTANTIATE_TEST_SUITE_P(Stores, Service, MemoryStoreOnly(), StoreKindParamName);

TEST_P(Service, FailIsDeliveredToTelegramWithinOneSecond) {
  Start(&telegram_notifier_);
  std::this_thread::sleep_for(milliseconds(300));  // settled into its sleep
  auto start = std::chrono::steady_clock::now();
  Monitor m = Fail("nightly");
  ASSERT_TRUE(telegram_.WaitForDelivered(1, milliseconds(1000)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1000));
  std::vector<TelegramMessage> got = telegram_.Delivered();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].text, "❌ FAILED: `nightly` \\| reported failure at " + ClockUtc(*m.failed_at));
  EXPECT_EQ(got[0].chat_id, "42");
}

TEST_P(Service, OverdueIsDeliveredWithinOneSecondOfTheDeadline) {
  Start(&telegram_notifier_);
  Monitor m = Ping("tick", 1);  // below the API's 30 s minimum: the store takes any interval
  ASSERT_TRUE(telegram_.WaitForDelivered(1, milliseconds(3000)));
  UnixMillis arrived = RealClock().Now();
  EXPECT_GT(arrived, m.next_due);
  EXPECT_LT(arrived - m.next_due, 1000)
      << "first alert " << arrived - m.next_due << " ms after the deadline";
  std::vector<TelegramMessage> got = telegram_.Delivered();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].text, "⚠️ OVERDUE: `tick` \\| interval: 1s \\| last: " +
                             ClockUtc(*m.last_ping) + " \\| 0s late");
}

TEST_P(Service, PingWakesTheCheckerForAnEarlyRecovery) {
  Start(&telegram_notifier_);
  Fail("job");
  ASSERT_TRUE(telegram_.WaitForDelivered(1, milliseconds(1000)));
  // Nothing is due for an hour: the checker sleeps its longest (1 s) between looks.
  // Ping just after it looked, so that only a wake-up can explain a quick recovery.
  std::size_t looks = observed_.DueCalls().size();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (observed_.DueCalls().size() == looks && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(2));
  }
  ASSERT_GT(observed_.DueCalls().size(), looks);
  std::this_thread::sleep_for(milliseconds(100));
  auto pinged = std::chrono::steady_clock::now();
  Ping("job");
  ASSERT_TRUE(telegram_.WaitForDelivered(2, milliseconds(2000)));
  auto latency = std::chrono::steady_clock::now() - pinged;
  EXPECT_LT(latency, milliseconds(400))
      << "recovery took " << std::chrono::duration_cast<milliseconds>(latency).count() << " ms";
  const std::string text = telegram_.Delivered()[1].text;
  EXPECT_EQ(text.rfind("✅ RECOVERED: `job` \\(was down ", 0), 0u) << text;
  EXPECT_TRUE(text.ends_with("s\\)")) << text;
}

// SPEC §5: the first alert within 1 s of the deadline, and one failed send never stops
// the others. A send that hangs (Telegram timing out after 15 s) must not delay the
// first alert of another monitor.
TEST_P(Service, HangingSendOfOneMonitorDoesNotDelayAnotherMonitorsFirstAlert) {
  scripted_.Hold("stuck");
  Start(&scripted_);
  Fail("stuck");
  ASSERT_TRUE(scripted_.WaitForCallOf("stuck", milliseconds(1000)).has_value());
  auto failed = std::chrono::steady_clock::now();
  Fail("other");
  std::optional<SteadyTime> sent = scripted_.WaitForCallOf("other", milliseconds(2500));
  scripted_.Release("stuck");
  ASSERT_TRUE(sent.has_value()) << "the other monitor's alert waited for the hanging send";
  EXPECT_LT(*sent - failed, milliseconds(1000))
      << "the other monitor's alert went out "
      << std::chrono::duration_cast<milliseconds>(*sent - failed).count() << " ms after its fail";
  service_->Stop();
}

// A write made while the checker is looking for its next deadline, after the look read
// the store: the look misses it, and the write's wake-up came while a cycle was running
// (when the service counts on that look). The alert must still go out at once, not at
// the checker's next look a second later.
TEST_P(Service, AFailWhileTheCheckerLooksForItsNextDeadlineIsNotLeftForItsNextLook) {
  Start(&scripted_);
  observed_.HoldEarliestCheck();
  // The checker's next look (within its 1 s sleep) reads "nothing due" and is held.
  ASSERT_TRUE(observed_.WaitForHeldEarliestCheck(milliseconds(3000)));
  auto failed = std::chrono::steady_clock::now();
  Fail("job");
  observed_.ReleaseEarliestCheck();
  std::optional<SteadyTime> sent = scripted_.WaitForCallOf("job", milliseconds(2500));
  ASSERT_TRUE(sent.has_value());
  EXPECT_LT(*sent - failed, milliseconds(500))
      << "the alert went out " << std::chrono::duration_cast<milliseconds>(*sent - failed).count()
      << " ms after the fail: its wake-up was lost";
  service_->Stop();
}

// Every sender busy with a hanging send: the alert that comes due meanwhile waits for a
// free sender, and goes out as soon as one is free (its send wakes the delivery), not at
// the delivery's next look a second later.
TEST_P(Service, AnAlertWaitingForAFreeSenderGoesOutAsSoonAsOneIsFree) {
  DelivererOptions options;
  options.senders = 2;
  scripted_.Hold("stuck1");
  scripted_.Hold("stuck2");
  Start(&scripted_, options);
  Fail("stuck1");
  Fail("stuck2");
  ASSERT_TRUE(scripted_.WaitForCallOf("stuck1", milliseconds(2000)).has_value());
  ASSERT_TRUE(scripted_.WaitForCallOf("stuck2", milliseconds(2000)).has_value());
  Fail("other");
  // Queued, and found no free sender: the delivery waits for one, up to its 1 s.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (PendingIn(*store_) < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_TRUE(scripted_.CallsFor("other").empty()) << "more sends at once than senders";
  auto released = std::chrono::steady_clock::now();
  scripted_.Release("stuck1");
  std::optional<SteadyTime> sent = scripted_.WaitForCallOf("other", milliseconds(2500));
  scripted_.ReleaseAll();
  ASSERT_TRUE(sent.has_value());
  EXPECT_LT(*sent - released, milliseconds(500))
      << "the alert went out " << std::chrono::duration_cast<milliseconds>(*sent - released).count()
      << " ms after a sender was free";
  service_->Stop();
}

// Stop ends both loops, lets the send in flight finish, and may be called again (the
// fixture's destructor does); nothing looks at the store after it.
TEST_P(Service, StopWaitsForTheSendInFlightThenNothingRunsAndAgainIsHarmless) {
  scripted_.Hold("stuck");
  Start(&scripted_);
  Fail("stuck");
  ASSERT_TRUE(scripted_.WaitForCallOf("stuck", milliseconds(2000)).has_value());
  auto stopped = std::async(std::launch::async, [&] { service_->Stop(); });
  EXPECT_EQ(stopped.wait_for(milliseconds(200)), std::future_status::timeout)
      << "Stop returned with a send in flight";
  scripted_.Release("stuck");
  EXPECT_EQ(stopped.wait_for(milliseconds(3000)), std::future_status::ready);
  stopped.get();
  service_->Stop();
  std::size_t looks = observed_.DueCalls().size();
  Fail("later");  // its Wake finds no loop, and harms nothing
  std::this_thread::sleep_for(milliseconds(1200));
  EXPECT_EQ(observed_.DueCalls().size(), looks);
  EXPECT_EQ(scripted_.Calls().size(), 1u);
}

TEST_P(Service, WithoutDelivererAlertsAreDecidedAndKeptPending) {
  Start(nullptr);
  Fail("job");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (PendingIn(*store_) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(PendingIn(*store_), 1);
  std::this_thread::sleep_for(milliseconds(1200));
  EXPECT_EQ(PendingIn(*store_), 1);
  EXPECT_EQ(telegram_.Requests(), 0u);
  service_->Stop();
  // Whoever delivers later finds it intact.
  std::vector<PendingAlert> claimed =
      *Await<std::vector<PendingAlert>>([&](Callback<std::vector<PendingAlert>> cb) {
        store_->ClaimAlerts(RealClock().Now(), 1000, 10, "later", {}, std::move(cb));
      });
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].alert.kind, AlertKind::kFailed);
  EXPECT_EQ(claimed[0].alert.slug, "job");
}

}  // namespace
}  // namespace heartbeat::testing
