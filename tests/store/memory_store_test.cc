// MemoryStore on its own (src/store/memory/memory_store.h): Mutate, the signals written
// on it in store.cc, the checker's queries, the outbox, keys and the callback thread. It
// links no other store, so that it runs while the SQLite and DynamoDB stores are being
// moved to the new Store interface; the store contract suite covers it too.

#include "store/memory/memory_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "core/interval.h"
#include "core/lifecycle.h"
#include "store/store.h"
#include "support/test_time.h"

namespace heartbeat {
namespace {

using testing::kDay;
using testing::kMinute;
using testing::kT0;

const std::string kHashA = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string kHashB = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
const std::string kHashA2 = "0123456789ab1111111111111111111111111111111111111111111111111111";

class MemoryStoreTest : public ::testing::Test {
 protected:
  Result<Store::Mutated> Mutate(const std::string& slug, Store::MutateFn fn) {
    return Await<Store::Mutated>(
        [&](Callback<Store::Mutated> cb) { store_.Mutate(slug, std::move(fn), std::move(cb)); });
  }
  Monitor Ping(const std::string& slug, std::optional<std::int64_t> interval, UnixMillis now) {
    Result<Monitor> r = Await<Monitor>(
        [&](Callback<Monitor> cb) { store_.Ping(slug, interval, now, std::move(cb)); });
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : Monitor{};
  }
  Monitor Fail(const std::string& slug, UnixMillis now) {
    Result<Monitor> r =
        Await<Monitor>([&](Callback<Monitor> cb) { store_.Fail(slug, now, std::move(cb)); });
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : Monitor{};
  }
  std::optional<Monitor> Get(const std::string& slug, UnixMillis now) {
    return Await<std::optional<Monitor>>(
               [&](Callback<std::optional<Monitor>> cb) { store_.Get(slug, now, std::move(cb)); })
        .value();
  }
  bool Pause(const std::string& slug, UnixMillis now) {
    return Await<bool>([&](Callback<bool> cb) { store_.Pause(slug, now, std::move(cb)); }).value();
  }
  bool Unpause(const std::string& slug, UnixMillis now) {
    return Await<bool>([&](Callback<bool> cb) { store_.Unpause(slug, now, std::move(cb)); })
        .value();
  }
  bool Delete(const std::string& slug, UnixMillis now) {
    return Await<bool>([&](Callback<bool> cb) { store_.Delete(slug, now, std::move(cb)); }).value();
  }
  std::vector<std::string> DueSlugs(UnixMillis now, std::size_t limit) {
    Result<std::vector<Monitor>> due = Await<std::vector<Monitor>>(
        [&](auto cb) { store_.DueMonitors(now, limit, std::move(cb)); });
    EXPECT_TRUE(due.ok());
    std::vector<std::string> slugs;
    if (!due.ok()) return slugs;
    for (const Monitor& m : *due) {
      slugs.push_back(m.slug);
    }
    return slugs;
  }
  std::optional<UnixMillis> EarliestCheck() {
    return Await<std::optional<UnixMillis>>([&](auto cb) { store_.EarliestCheck(std::move(cb)); })
        .value();
  }
  Status ApplyCheck(const Monitor& seen, UnixMillis now) {
    CheckStep step = Check(seen, now, 60 * kMinute, {"telegram"});
    return Await<void>(
        [&](Callback<void> cb) { store_.ApplyCheck(seen, step, now, std::move(cb)); });
  }

  // Queues an alert for `slug` (which must exist) decided at `at`, as the checker would.
  void QueueAlert(const std::string& slug, AlertKind kind, UnixMillis at) {
    Result<Store::Mutated> r =
        Mutate(slug, [&](const std::optional<Monitor>& current) -> Result<Mutation> {
          Alert alert;
          alert.kind = kind;
          alert.slug = slug;
          alert.at = at;
          alert.channel = "telegram";
          Mutation m = Mutation::Put(*current);
          m.alerts.push_back(std::move(alert));
          return m;
        });
    ASSERT_TRUE(r.ok());
  }
  std::vector<PendingAlert> Claim(UnixMillis now, const std::string& owner, std::size_t limit = 10,
                                  std::int64_t lease_ms = 30'000) {
    return Await<std::vector<PendingAlert>>(
               [&](auto cb) { store_.ClaimAlerts(now, lease_ms, limit, owner, {}, std::move(cb)); })
        .value();
  }
  Status Finish(const PendingAlert& a, const std::string& owner) {
    return Await<void>([&](auto cb) { store_.FinishAlert(a, owner, std::move(cb)); });
  }
  Status Retry(const PendingAlert& a, const std::string& owner, UnixMillis next) {
    return Await<void>([&](auto cb) { store_.RetryAlert(a, owner, next, "503", std::move(cb)); });
  }
  Status Reject(const PendingAlert& a, const std::string& owner) {
    return Await<void>([&](auto cb) { store_.RejectAlert(a, owner, "400", std::move(cb)); });
  }
  std::optional<UnixMillis> EarliestAttempt() {
    return Await<std::optional<UnixMillis>>(
               [&](auto cb) { store_.EarliestAlertAttempt(std::move(cb)); })
        .value();
  }
  std::int64_t CountPending() {
    return Await<std::int64_t>([&](auto cb) { store_.CountPendingAlerts(std::move(cb)); }).value();
  }
  Status AddKey(const std::string& hash, UnixMillis created) {
    return Await<void>([&](auto cb) {
      store_.AddKey(ApiKeyRecord{hash, "d", created, std::nullopt}, std::move(cb));
    });
  }
  Status RevokeKey(const std::string& id) {
    return Await<void>([&](auto cb) { store_.RevokeKey(id, std::move(cb)); });
  }
  std::vector<ApiKeyRecord> ListKeys() {
    return Await<std::vector<ApiKeyRecord>>([&](auto cb) { store_.ListKeys(std::move(cb)); })
        .value();
  }

  MemoryStore store_;
};

// ---- Mutate ----

TEST_F(MemoryStoreTest, MutatePutWritesAndAnswersBothStates) {
  Monitor first = Ping("a", 60, kT0);
  Monitor next = first;
  next.interval_secs = 120;
  Result<Store::Mutated> r = Mutate("a", [&](const std::optional<Monitor>& current) {
    EXPECT_EQ(current, first);
    return Result<Mutation>(Mutation::Put(next));
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->before, first);
  EXPECT_EQ(r->after, next);
  EXPECT_EQ(Get("a", kT0 + 1), next);
}

TEST_F(MemoryStoreTest, MutateKeepWritesNothingAndAnswersBeforeAsAfter) {
  Monitor first = Ping("a", 60, kT0);
  Result<Store::Mutated> r =
      Mutate("a", [](const std::optional<Monitor>&) { return Result<Mutation>(Mutation::Keep()); });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->before, first);
  EXPECT_EQ(r->after, first);
  // Of an absent monitor: nothing before, nothing after, nothing created.
  r = Mutate("b", [](const std::optional<Monitor>& current) {
    EXPECT_EQ(current, std::nullopt);
    return Result<Mutation>(Mutation::Keep());
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->before, std::nullopt);
  EXPECT_EQ(r->after, std::nullopt);
  EXPECT_EQ(Get("b", kT0), std::nullopt);
}

TEST_F(MemoryStoreTest, MutateDeleteRemovesAndAnswersNoneAfter) {
  Monitor first = Ping("a", 60, kT0);
  Result<Store::Mutated> r = Mutate(
      "a", [](const std::optional<Monitor>&) { return Result<Mutation>(Mutation::Delete()); });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->before, first);
  EXPECT_EQ(r->after, std::nullopt);
  EXPECT_EQ(Get("a", kT0 + 1), std::nullopt);
  EXPECT_EQ(EarliestCheck(), std::nullopt);  // no longer due either
}

TEST_F(MemoryStoreTest, MutateErrorIsTheAnswerAndNothingIsWritten) {
  Monitor first = Ping("a", 60, kT0);
  Result<Store::Mutated> r = Mutate(
      "a", [](const std::optional<Monitor>&) -> Result<Mutation> { return Conflict("moved"); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_EQ(r.error().message, "moved");
  EXPECT_EQ(Get("a", kT0 + 1), first);
  EXPECT_EQ(CountPending(), 0);
}

TEST_F(MemoryStoreTest, MutatePutWithAnAlertQueuesItInTheSameWrite) {
  Ping("a", 60, kT0);
  QueueAlert("a", AlertKind::kOverdue, kT0 + 2 * kMinute);
  EXPECT_EQ(CountPending(), 1);
  EXPECT_EQ(EarliestAttempt(), kT0 + 2 * kMinute);
  std::vector<PendingAlert> claimed = Claim(kT0 + 2 * kMinute, "me");
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].alert.slug, "a");
  EXPECT_EQ(claimed[0].alert.kind, AlertKind::kOverdue);
  EXPECT_EQ(claimed[0].created_at, kT0 + 2 * kMinute);
  EXPECT_EQ(claimed[0].attempts, 1);
}

TEST_F(MemoryStoreTest, MutateReadsAnExpiredMonitorAsStored) {
  Monitor first = Ping("a", 60, kT0);
  ASSERT_EQ(Get("a", kT0 + kExpiryMillis), std::nullopt);
  // Expired or not, `fn` gets the monitor as stored: the rules of lifecycle.h decide.
  Result<Store::Mutated> r =
      Mutate("a", [](const std::optional<Monitor>&) { return Result<Mutation>(Mutation::Keep()); });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->before, first);
}

TEST_F(MemoryStoreTest, MutatePutOfAnotherSlugIsRefused) {
  Monitor other = NewMonitor("b", 60, kT0);
  Result<Store::Mutated> r = Mutate(
      "a", [&](const std::optional<Monitor>&) { return Result<Mutation>(Mutation::Put(other)); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInternal);
  EXPECT_EQ(Get("a", kT0), std::nullopt);
  EXPECT_EQ(Get("b", kT0), std::nullopt);
}

// ---- the signals of store.cc ----

TEST_F(MemoryStoreTest, PingCreatesWithTheDefaultIntervalAndIsDueAfterTheDeadline) {
  Monitor m = Ping("a", std::nullopt, kT0);
  EXPECT_EQ(m.interval_secs, kDefaultIntervalSecs);
  EXPECT_EQ(m.created_at, kT0);
  EXPECT_EQ(m.next_due, kT0 + kDefaultIntervalSecs * 1000);
  EXPECT_EQ(m.check_at, m.next_due + 1);
  EXPECT_EQ(Get("a", kT0 + 1), m);
}

TEST_F(MemoryStoreTest, FailMakesItOverdueAndDueAtOnce) {
  Ping("a", 600, kT0);
  Monitor m = Fail("a", kT0 + 5'000);
  EXPECT_EQ(m.failed_at, kT0 + 5'000);
  EXPECT_EQ(m.next_due, kT0 + 5'000);
  EXPECT_EQ(DueSlugs(kT0 + 5'000, 10), std::vector<std::string>{"a"});
}

TEST_F(MemoryStoreTest, PauseAndUnpauseReportWhetherTheMonitorWasFound) {
  EXPECT_FALSE(Pause("a", kT0));
  EXPECT_FALSE(Unpause("a", kT0));
  EXPECT_EQ(Get("a", kT0), std::nullopt);  // not created

  Ping("a", 600, kT0);
  EXPECT_TRUE(Pause("a", kT0 + 1));
  EXPECT_TRUE(Get("a", kT0 + 2)->paused);
  EXPECT_EQ(EarliestCheck(), std::nullopt);  // paused: never due
  EXPECT_TRUE(Unpause("a", kT0 + 10'000));
  std::optional<Monitor> m = Get("a", kT0 + 10'000);
  ASSERT_TRUE(m.has_value());
  EXPECT_FALSE(m->paused);
  EXPECT_EQ(m->next_due, kT0 + 10'000 + 600'000);
  EXPECT_EQ(EarliestCheck(), kT0 + 10'000 + 600'000 + 1);
  // Not paused: found, unchanged.
  EXPECT_TRUE(Unpause("a", kT0 + 20'000));
  EXPECT_EQ(Get("a", kT0 + 20'000), m);
}

TEST_F(MemoryStoreTest, AnExpiredMonitorIsAbsentUntilAPingStartsItAfresh) {
  Ping("a", 3600, kT0);
  UnixMillis later = kT0 + kExpiryMillis;
  EXPECT_EQ(Get("a", later), std::nullopt);
  EXPECT_FALSE(Pause("a", later));
  EXPECT_FALSE(Delete("a", later));
  Monitor m = Ping("a", std::nullopt, later);
  EXPECT_EQ(m.created_at, later);
  EXPECT_EQ(m.interval_secs, kDefaultIntervalSecs);
}

TEST_F(MemoryStoreTest, DeleteExpiredRemovesOnlyExpiredMonitorsAFewAtATime) {
  for (int i = 0; i < 10; ++i) Ping("old-" + std::to_string(i), 60, kT0);
  Ping("new", 60, kT0 + kDay);
  UnixMillis now = kT0 + kExpiryMillis;
  std::size_t total = 0;
  for (int calls = 0; calls < 20; ++calls) {
    std::size_t removed =
        Await<std::size_t>([&](auto cb) { store_.DeleteExpired(now, 3, std::move(cb)); }).value();
    EXPECT_LE(removed, 3u);
    total += removed;
  }
  EXPECT_EQ(total, 10u);
  EXPECT_EQ(Get("old-1", kT0 + 1), std::nullopt);  // gone even for the past
  EXPECT_TRUE(Get("new", now).has_value());
}

// ---- the checker ----

TEST_F(MemoryStoreTest, DueMonitorsComeEarliestFirstUpToTheLimit) {
  Ping("late", 600, kT0);
  Ping("early", 60, kT0);
  Ping("middle", 300, kT0);
  Ping("paused", 30, kT0);
  ASSERT_TRUE(Pause("paused", kT0));
  EXPECT_EQ(EarliestCheck(), kT0 + 60'001);
  EXPECT_TRUE(DueSlugs(kT0 + 60'000, 10).empty());
  EXPECT_EQ(DueSlugs(kT0 + 60'001, 10), std::vector<std::string>{"early"});
  EXPECT_EQ(DueSlugs(kT0 + kDay, 10), (std::vector<std::string>{"early", "middle", "late"}));
  EXPECT_EQ(DueSlugs(kT0 + kDay, 2), (std::vector<std::string>{"early", "middle"}));
}

TEST_F(MemoryStoreTest, ApplyCheckQueuesTheAlertOrConflictsWhenTheMonitorMoved) {
  Ping("a", 60, kT0);
  UnixMillis now = kT0 + 2 * kMinute;
  std::optional<Monitor> seen = Get("a", now);
  ASSERT_TRUE(seen.has_value());
  Ping("a", std::nullopt, now);  // moves it under the checker
  Status moved = ApplyCheck(*seen, now);
  ASSERT_FALSE(moved.ok());
  EXPECT_EQ(moved.error().code, ErrorCode::kConflict);
  EXPECT_EQ(CountPending(), 0);

  now += 2 * kMinute;
  seen = Get("a", now);
  ASSERT_TRUE(ApplyCheck(*seen, now).ok());
  EXPECT_EQ(Get("a", now)->alert.alert_count, 1);
  std::vector<PendingAlert> claimed = Claim(now, "me");
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].alert.kind, AlertKind::kOverdue);
}

TEST_F(MemoryStoreTest, ApplyCheckRemovesAnExpiredMonitor) {
  Ping("a", 60, kT0);
  Monitor seen = Get("a", kT0).value();
  UnixMillis now = kT0 + kExpiryMillis;
  ASSERT_EQ(DueSlugs(now, 10), std::vector<std::string>{"a"});  // due, expired or not
  ASSERT_TRUE(ApplyCheck(seen, now).ok());
  EXPECT_TRUE(DueSlugs(now, 10).empty());
  EXPECT_EQ(Get("a", kT0 + 1), std::nullopt);
}

// ---- the outbox ----

TEST_F(MemoryStoreTest, OnlyTheOldestPendingAlertOfEachMonitorIsClaimed) {
  Ping("a", 60, kT0);
  Ping("b", 60, kT0);
  QueueAlert("a", AlertKind::kOverdue, kT0 + 1);
  QueueAlert("a", AlertKind::kRecovered, kT0 + 2);
  QueueAlert("b", AlertKind::kFailed, kT0 + 3);
  EXPECT_EQ(CountPending(), 3);
  std::vector<PendingAlert> claimed = Claim(kT0 + 10, "me");
  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_EQ(claimed[0].alert.kind, AlertKind::kOverdue);
  EXPECT_EQ(claimed[1].alert.kind, AlertKind::kFailed);
  EXPECT_LT(claimed[0].id, claimed[1].id);
  // Its successor waits until the first is finished, whatever the lease does.
  ASSERT_TRUE(Retry(claimed[0], "me", kT0 + 10).ok());
  std::vector<PendingAlert> again = Claim(kT0 + 10, "me");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, claimed[0].id);
  EXPECT_EQ(again[0].attempts, 2);
  ASSERT_TRUE(Finish(again[0], "me").ok());
  again = Claim(kT0 + 10, "me");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].alert.kind, AlertKind::kRecovered);
  EXPECT_GT(again[0].id, claimed[0].id);
}

TEST_F(MemoryStoreTest, ALeasedAlertIsNotClaimedAgainUntilItsLeaseEnds) {
  Ping("a", 60, kT0);
  QueueAlert("a", AlertKind::kOverdue, kT0);
  std::vector<PendingAlert> mine = Claim(kT0, "me", 10, 30'000);
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(EarliestAttempt(), kT0 + 30'000);
  EXPECT_TRUE(Claim(kT0 + 29'999, "other").empty());
  std::vector<PendingAlert> theirs = Claim(kT0 + 30'000, "other");
  ASSERT_EQ(theirs.size(), 1u);
  EXPECT_EQ(theirs[0].attempts, 2);
  // The first sender lost it: each of its answers is a conflict, and changes nothing.
  for (const Status& s :
       {Finish(mine[0], "me"), Retry(mine[0], "me", kT0), Reject(mine[0], "me")}) {
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::kConflict);
  }
  EXPECT_EQ(CountPending(), 1);
  EXPECT_TRUE(Finish(theirs[0], "other").ok());
  EXPECT_EQ(CountPending(), 0);
  EXPECT_EQ(EarliestAttempt(), std::nullopt);
}

TEST_F(MemoryStoreTest, RetryReleasesTheLeaseUntilTheNextAttempt) {
  Ping("a", 60, kT0);
  QueueAlert("a", AlertKind::kOverdue, kT0);
  std::vector<PendingAlert> claimed = Claim(kT0, "me");
  ASSERT_EQ(claimed.size(), 1u);
  ASSERT_TRUE(Retry(claimed[0], "me", kT0 + 5'000).ok());
  EXPECT_EQ(EarliestAttempt(), kT0 + 5'000);
  EXPECT_TRUE(Claim(kT0 + 4'999, "other").empty());
  EXPECT_EQ(Claim(kT0 + 5'000, "other").size(), 1u);
  // Released: the old owner's lease is gone even before anyone claims it again.
  EXPECT_EQ(Finish(claimed[0], "me").error().code, ErrorCode::kConflict);
}

TEST_F(MemoryStoreTest, ARejectedAlertIsKeptOutAndNoLongerHoldsBackTheNext) {
  Ping("a", 60, kT0);
  QueueAlert("a", AlertKind::kOverdue, kT0);
  QueueAlert("a", AlertKind::kRecovered, kT0 + 1);
  std::vector<PendingAlert> claimed = Claim(kT0 + 1, "me");
  ASSERT_EQ(claimed.size(), 1u);
  ASSERT_TRUE(Reject(claimed[0], "me").ok());
  EXPECT_EQ(CountPending(), 1);
  std::vector<PendingAlert> next = Claim(kT0 + 1, "me");
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].alert.kind, AlertKind::kRecovered);
  ASSERT_TRUE(Finish(next[0], "me").ok());
  EXPECT_TRUE(Claim(kT0 + kDay, "me").empty());  // the rejected one never again
  EXPECT_EQ(EarliestAttempt(), std::nullopt);
}

TEST_F(MemoryStoreTest, ClaimTakesUpToTheLimitOldestFirst) {
  for (const char* s : {"a", "b", "c"}) {
    Ping(s, 60, kT0);
    QueueAlert(s, AlertKind::kOverdue, kT0);
  }
  std::vector<PendingAlert> claimed = Claim(kT0, "me", 2);
  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_EQ(claimed[0].alert.slug, "a");
  EXPECT_EQ(claimed[1].alert.slug, "b");
  EXPECT_EQ(Claim(kT0, "other", 5).size(), 1u);
}

TEST_F(MemoryStoreTest, DeleteTakesTheMonitorsAlertsWithIt) {
  Ping("a", 60, kT0);
  Ping("b", 60, kT0);
  QueueAlert("a", AlertKind::kOverdue, kT0);
  QueueAlert("a", AlertKind::kRepeat, kT0 + 1);
  QueueAlert("b", AlertKind::kOverdue, kT0 + 2);
  std::vector<PendingAlert> claimed = Claim(kT0 + 2, "me");
  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_TRUE(Delete("a", kT0 + 3));
  EXPECT_EQ(CountPending(), 1);
  EXPECT_EQ(Finish(claimed[0], "me").error().code, ErrorCode::kConflict);
  EXPECT_TRUE(Finish(claimed[1], "me").ok());
}

// ---- keys ----

TEST_F(MemoryStoreTest, KeysAreAddedOnceListedAndRevokedByAnUnambiguousPrefix) {
  ASSERT_TRUE(AddKey(kHashB, kT0).ok());
  ASSERT_TRUE(AddKey(kHashA, kT0 + 1).ok());
  ASSERT_TRUE(AddKey(kHashA2, kT0).ok());
  Status dup = AddKey(kHashA, kT0 + 2);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, ErrorCode::kInvalidArgument);
  std::vector<ApiKeyRecord> keys = ListKeys();
  ASSERT_EQ(keys.size(), 3u);  // by creation, then hash
  EXPECT_EQ(keys[0].key_hash, kHashA2);
  EXPECT_EQ(keys[1].key_hash, kHashB);
  EXPECT_EQ(keys[2].key_hash, kHashA);

  Status s = RevokeKey("0123456789AB");
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.error().message,
            "a key ID is 12 to 64 lowercase hex characters, as `keys list` shows");
  s = RevokeKey("0123456789ab");
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.error().message, "the ID 0123456789ab matches several keys; give more of it");
  s = RevokeKey("aaaaaaaaaaaa");
  EXPECT_EQ(s.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(s.error().message, "no API key with ID aaaaaaaaaaaa");
  EXPECT_EQ(ListKeys().size(), 3u);
  ASSERT_TRUE(RevokeKey(kHashA.substr(0, 16)).ok());
  ASSERT_TRUE(RevokeKey(kHashB).ok());
  keys = ListKeys();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].key_hash, kHashA2);
}

TEST_F(MemoryStoreTest, TouchKeysOnlyMovesLastUsedForward) {
  ASSERT_TRUE(AddKey(kHashA, kT0).ok());
  auto touch = [&](std::vector<std::pair<std::string, UnixMillis>> uses) {
    ASSERT_TRUE(Await<void>([&](auto cb) { store_.TouchKeys(uses, std::move(cb)); }).ok());
  };
  touch({{kHashA, kT0 + 9}, {kHashA, kT0 + 5}, {kHashB, kT0 + 20}});
  std::vector<ApiKeyRecord> keys = ListKeys();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].last_used_at, kT0 + 9);
}

// ---- callbacks and lifetime ----

TEST_F(MemoryStoreTest, CallbacksRunInOrderOnOneStoreThreadAndMayCallTheStore) {
  std::promise<void> finished;
  std::vector<int> order;
  std::vector<std::thread::id> threads;
  // Holds the worker until both calls below are made, so that the Get the first callback
  // makes is queued after the Pause.
  std::promise<void> gate;
  std::shared_future<void> opened = gate.get_future().share();
  store_.EarliestCheck([opened](Result<std::optional<UnixMillis>>) { opened.wait(); });
  store_.Ping("a", 60, kT0, [&](Result<Monitor>) {
    order.push_back(1);
    threads.push_back(std::this_thread::get_id());
    store_.Get("a", kT0, [&](Result<std::optional<Monitor>> r) {
      EXPECT_TRUE(r.ok() && r->has_value());
      order.push_back(3);
      threads.push_back(std::this_thread::get_id());
      finished.set_value();
    });
  });
  store_.Pause("a", kT0, [&](Result<bool>) {
    order.push_back(2);
    threads.push_back(std::this_thread::get_id());
  });
  gate.set_value();
  finished.get_future().wait();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  ASSERT_EQ(threads.size(), 3u);
  EXPECT_NE(threads[0], std::this_thread::get_id());
  EXPECT_EQ(threads[0], threads[1]);
  EXPECT_EQ(threads[1], threads[2]);
}

TEST_F(MemoryStoreTest, CloseRunsEveryQueuedCallbackThenAnswersUnavailableInsideTheCall) {
  std::atomic<int> answered{0};
  for (int i = 0; i < 100; ++i) {
    store_.Ping("job-" + std::to_string(i), std::nullopt, kT0,
                [&](Result<Monitor> r) { answered += r.ok() ? 1 : 1000; });
  }
  EXPECT_TRUE(store_.Healthy());
  store_.Close();
  EXPECT_EQ(answered.load(), 100);
  EXPECT_FALSE(store_.Healthy());
  std::thread::id where;
  std::optional<ErrorCode> code;
  store_.Mutate(
      "a", [](const std::optional<Monitor>&) { return Result<Mutation>(Mutation::Keep()); },
      [&](Result<Store::Mutated> r) {
        where = std::this_thread::get_id();
        if (!r.ok()) code = r.error().code;
      });
  EXPECT_EQ(where, std::this_thread::get_id());
  EXPECT_EQ(code, ErrorCode::kUnavailable);
  store_.Close();  // idempotent
}

}  // namespace
}  // namespace heartbeat
