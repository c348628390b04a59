// The Store contract (src/store/store.h), as one value-parameterized suite that every
// implementation must pass. Each implementation adds one StoreFactory and one
// INSTANTIATE_TEST_SUITE_P at the bottom of this file.
//
// Times are explicit Unix milliseconds around kT0: the store has no clock of its own.

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core/interval.h"
#include "core/monitor.h"
#include "core/project.h"
#include "store/memory/memory_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "support/expect_monitor.h"
#include "support/temp_dir.h"
#include "support/test_stores.h"
#include "support/test_time.h"

namespace heartbeat {
namespace {

using testing::kDay;
using testing::kHour;
using testing::kMinute;
using testing::kSecond;
using testing::kT0;

struct StoreFactory {
  std::string name;
  // A fresh store keeping its data under `dir` (an empty directory owned by the test).
  std::function<std::unique_ptr<Store>(const std::string& dir)> make;
  // Optional: sets a monitor's alert state behind the store's back, as the checker would,
  // so that the tests can see Pause and a fresh start clear it. Tests that need it are
  // skipped when it is missing.
  std::function<void(const std::string& dir, const std::string& slug, UnixMillis alerted_at,
                     std::int64_t alert_count)>
      set_alert_state;
};

std::ostream& operator<<(std::ostream& os, const StoreFactory& f) { return os << f.name; }

// Two distinct 64-hex-digit hashes, and one that shares the first 12 digits with kHashA.
const std::string kHashA = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string kHashB = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
const std::string kHashA2 = "0123456789ab1111111111111111111111111111111111111111111111111111";

using testing::ExpectSameMonitor;

class StoreContractTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    store_ = GetParam().make(dir_.path());
    ASSERT_NE(store_, nullptr) << "the factory could not make a store";
  }
  void TearDown() override {
    if (store_) store_->Close();
  }

  Store& store() { return *store_; }

  Result<Monitor> Ping(const std::string& slug, std::optional<std::int64_t> interval,
                       UnixMillis now) {
    return Await<Monitor>(
        [&](Callback<Monitor> cb) { store_->Ping(slug, interval, now, std::move(cb)); });
  }
  // A ping that must succeed; returns the monitor it reports.
  Monitor MustPing(const std::string& slug, std::optional<std::int64_t> interval, UnixMillis now) {
    Result<Monitor> r = Ping(slug, interval, now);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : Monitor{};
  }
  Result<Monitor> Fail(const std::string& slug, UnixMillis now) {
    return Await<Monitor>([&](Callback<Monitor> cb) { store_->Fail(slug, now, std::move(cb)); });
  }
  Monitor MustFail(const std::string& slug, UnixMillis now) {
    Result<Monitor> r = Fail(slug, now);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : Monitor{};
  }
  // The monitor, or nullopt; a store error fails the test.
  std::optional<Monitor> Get(const std::string& slug, UnixMillis now) {
    Result<std::optional<Monitor>> r = Await<std::optional<Monitor>>(
        [&](Callback<std::optional<Monitor>> cb) { store_->Get(slug, now, std::move(cb)); });
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : std::nullopt;
  }
  Result<MonitorPage> List(const std::string& after, std::size_t limit, UnixMillis now) {
    return Await<MonitorPage>([&](Callback<MonitorPage> cb) {
      store_->List("default", after, limit, now, std::move(cb));
    });
  }
  // Every slug listed at `now`, following next_after page by page.
  std::vector<std::string> ListAll(std::size_t limit, UnixMillis now) {
    std::vector<std::string> slugs;
    std::string after;
    for (int pages = 0; pages < 10'000; ++pages) {
      Result<MonitorPage> page = List(after, limit, now);
      EXPECT_TRUE(page.ok());
      if (!page.ok()) break;
      EXPECT_LE(page->monitors.size(), limit);
      for (const Monitor& m : page->monitors) slugs.push_back(m.slug);
      if (!page->next_after) break;
      after = *page->next_after;
    }
    return slugs;
  }
  Result<bool> Delete(const std::string& slug, UnixMillis now) {
    return Await<bool>([&](Callback<bool> cb) { store_->Delete(slug, now, std::move(cb)); });
  }
  Result<bool> Pause(const std::string& slug, UnixMillis now) {
    return Await<bool>([&](Callback<bool> cb) { store_->Pause(slug, now, std::move(cb)); });
  }
  Result<bool> Unpause(const std::string& slug, UnixMillis now) {
    return Await<bool>([&](Callback<bool> cb) { store_->Unpause(slug, now, std::move(cb)); });
  }
  Result<std::size_t> DeleteExpired(UnixMillis now, std::size_t limit) {
    return Await<std::size_t>(
        [&](Callback<std::size_t> cb) { store_->DeleteExpired(now, limit, std::move(cb)); });
  }
  Status AddKey(const std::string& hash, const std::string& description, UnixMillis created) {
    return Await<void>([&](Callback<void> cb) {
      store_->AddKey(ApiKeyRecord{hash, description, created, std::nullopt}, std::move(cb));
    });
  }
  std::vector<ApiKeyRecord> ListKeys() {
    Result<std::vector<ApiKeyRecord>> r = Await<std::vector<ApiKeyRecord>>(
        [&](Callback<std::vector<ApiKeyRecord>> cb) { store_->ListKeys(std::move(cb)); });
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    if (!r.ok()) return {};
    std::vector<ApiKeyRecord> keys = std::move(*r);
    std::sort(keys.begin(), keys.end(),
              [](const ApiKeyRecord& a, const ApiKeyRecord& b) { return a.key_hash < b.key_hash; });
    return keys;
  }
  std::optional<ApiKeyRecord> FindKey(const std::string& hash) {
    for (ApiKeyRecord& k : ListKeys()) {
      if (k.key_hash == hash) return k;
    }
    return std::nullopt;
  }
  Status RevokeKey(const std::string& id) {
    return Await<void>([&](Callback<void> cb) { store_->RevokeKey(id, std::move(cb)); });
  }
  Status TouchKeys(std::vector<std::pair<std::string, UnixMillis>> uses) {
    return Await<void>(
        [&](Callback<void> cb) { store_->TouchKeys(std::move(uses), std::move(cb)); });
  }

  // Pings every slug at once (all submitted before waiting) and waits for all answers.
  void PingMany(const std::vector<std::string>& slugs, std::optional<std::int64_t> interval,
                UnixMillis now) {
    EXPECT_EQ(testing::PingAllAtOnce(*store_, slugs, interval, now), 0u);
  }

  // Queues the FAILED alert of `slug` decided at `at`, as the checker does: a fail, then
  // the checker's step on the monitor as DueMonitors reads it, its project having the
  // channels `channels`.
  void QueueFailedAlert(const std::string& slug, UnixMillis at,
                        const std::vector<std::string>& channels = {"telegram"}) {
    MustFail(slug, at);
    Result<std::vector<Monitor>> due = Await<std::vector<Monitor>>(
        [&](Callback<std::vector<Monitor>> cb) { store_->DueMonitors(at, 100, std::move(cb)); });
    ASSERT_TRUE(due.ok()) << due.error().message;
    auto seen =
        std::find_if(due->begin(), due->end(), [&](const Monitor& m) { return m.slug == slug; });
    ASSERT_NE(seen, due->end()) << slug << " is not due after its fail";
    CheckStep step = Check(*seen, at, 60 * kMinute, channels);
    ASSERT_TRUE(step.decision.has_value());
    Status applied =
        Await<void>([&](Callback<void> cb) { store_->ApplyCheck(*seen, step, at, std::move(cb)); });
    ASSERT_TRUE(applied.ok()) << applied.error().message;
  }
  std::vector<PendingAlert> Claim(UnixMillis now, const std::string& owner,
                                  std::int64_t lease_ms = 30'000, std::size_t limit = 10,
                                  std::vector<std::string> skip = {}) {
    return ClaimWithin(now, owner, ClaimRoom{.skip = std::move(skip)}, lease_ms, limit);
  }
  std::vector<PendingAlert> ClaimWithin(UnixMillis now, const std::string& owner, ClaimRoom room,
                                        std::int64_t lease_ms = 30'000, std::size_t limit = 10) {
    Result<std::vector<PendingAlert>> r =
        Await<std::vector<PendingAlert>>([&](Callback<std::vector<PendingAlert>> cb) {
          store_->ClaimAlerts(now, lease_ms, limit, owner, std::move(room), std::move(cb));
        });
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : std::vector<PendingAlert>{};
  }
  // Queues `alerts` in the outbox of `slug` (which must exist) in one write, as ApplyCheck
  // queues a decision's alert to each of its channels; `fresh`: as a monitor started anew.
  void QueueAlerts(const std::string& slug, std::vector<Alert> alerts, bool fresh = false) {
    Result<Store::Mutated> r = Await<Store::Mutated>([&](Callback<Store::Mutated> cb) {
      store_->Mutate(
          slug,
          [&](const std::optional<Monitor>& current) -> Result<Mutation> {
            if (!current) return NotFound("no monitor " + slug);
            Mutation m = Mutation::Put(*current);
            m.alerts = alerts;
            m.fresh = fresh;
            return m;
          },
          std::move(cb));
    });
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  // An alert of `kind` decided at `at`, to the channel `channel` (a key).
  static Alert AlertTo(const std::string& channel, AlertKind kind, UnixMillis at) {
    return Alert{.kind = kind,
                 .slug = "",
                 .uuid = "11111111-2222-4333-8444-555555555555",
                 .interval_secs = 300,
                 .last_ping = kT0,
                 .deadline = kT0,
                 .at = at,
                 .down_since = kT0,
                 .channel = channel};
  }
  // The claimed alerts as "channel:kind" strings, sorted.
  static std::vector<std::string> Names(const std::vector<PendingAlert>& claimed) {
    std::vector<std::string> out;
    for (const PendingAlert& p : claimed) {
      out.push_back(p.alert.slug + "@" + p.alert.channel + ":" +
                    std::string(ToString(p.alert.kind)));
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  Status AddChannel(ChannelRecord channel) {
    return Await<void>(
        [&](Callback<void> cb) { store_->AddChannel(std::move(channel), std::move(cb)); });
  }
  std::vector<ChannelRecord> ListChannels() {
    Result<std::vector<ChannelRecord>> r = Await<std::vector<ChannelRecord>>(
        [&](Callback<std::vector<ChannelRecord>> cb) { store_->ListChannels(std::move(cb)); });
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : std::vector<ChannelRecord>{};
  }
  Status RemoveChannel(const std::string& project, const std::string& name) {
    return Await<void>(
        [&](Callback<void> cb) { store_->RemoveChannel(project, name, std::move(cb)); });
  }

  Status Renew(const PendingAlert& a, const std::string& owner, UnixMillis lease_until) {
    return Await<void>(
        [&](Callback<void> cb) { store_->RenewAlert(a, owner, lease_until, std::move(cb)); });
  }
  Status Finish(const PendingAlert& a, const std::string& owner) {
    return Await<void>([&](Callback<void> cb) { store_->FinishAlert(a, owner, std::move(cb)); });
  }
  Status Retry(const PendingAlert& a, const std::string& owner, UnixMillis next_attempt_at) {
    return Await<void>([&](Callback<void> cb) {
      store_->RetryAlert(a, owner, next_attempt_at, "HTTP 500", std::move(cb));
    });
  }
  Status Reject(const PendingAlert& a, const std::string& owner) {
    return Await<void>(
        [&](Callback<void> cb) { store_->RejectAlert(a, owner, "HTTP 400", std::move(cb)); });
  }
  std::optional<UnixMillis> EarliestAlertAttempt() {
    Result<std::optional<UnixMillis>> r =
        Await<std::optional<UnixMillis>>([&](Callback<std::optional<UnixMillis>> cb) {
          store_->EarliestAlertAttempt(std::move(cb));
        });
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : std::nullopt;
  }
  std::int64_t PendingAlerts() {
    Result<std::int64_t> r = Await<std::int64_t>(
        [&](Callback<std::int64_t> cb) { store_->CountPendingAlerts(std::move(cb)); });
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : -1;
  }

  // Gives `slug` an alert state (as the checker would), or skips the test.
  bool SetAlertState(const std::string& slug, UnixMillis alerted_at, std::int64_t count) {
    if (!GetParam().set_alert_state) return false;
    GetParam().set_alert_state(dir_.path(), slug, alerted_at, count);
    std::optional<Monitor> m = Get(slug, alerted_at);
    EXPECT_TRUE(m.has_value());
    if (m) {
      EXPECT_EQ(m->alert.first_alerted_at, alerted_at);
      EXPECT_EQ(m->alert.alert_count, count);
    }
    return true;
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

// ---------------------------------------------------------------------------------------
// Ping

TEST_P(StoreContractTest, FirstPingCreatesWithTheDefaultInterval) {
  Monitor m = MustPing("backup", std::nullopt, kT0);
  EXPECT_EQ(m.slug, "backup");
  EXPECT_EQ(m.interval_secs, 300);
  EXPECT_EQ(m.last_ping, kT0);
  EXPECT_EQ(m.next_due, kT0 + 300'000);
  EXPECT_EQ(m.created_at, kT0);
  EXPECT_EQ(m.expires_at, kT0 + kExpiryMillis);
  EXPECT_FALSE(m.paused);
  EXPECT_EQ(m.failed_at, std::nullopt);
  EXPECT_EQ(m.alert.first_alerted_at, std::nullopt);
  EXPECT_EQ(m.alert.last_alerted_at, std::nullopt);
  EXPECT_EQ(m.alert.alert_count, 0);

  std::optional<Monitor> got = Get("backup", kT0 + 1);
  ASSERT_TRUE(got.has_value());
  ExpectSameMonitor(*got, m);
}

TEST_P(StoreContractTest, FirstPingWithAnIntervalUsesIt) {
  Monitor m = MustPing("backup", 3600, kT0 + 7);
  EXPECT_EQ(m.interval_secs, 3600);
  EXPECT_EQ(m.next_due, kT0 + 7 + 3'600'000);
  EXPECT_EQ(m.last_ping, kT0 + 7);
}

TEST_P(StoreContractTest, PingWithAnIntervalReplacesTheStoredOne) {
  MustPing("backup", 3600, kT0);
  Monitor m = MustPing("backup", 90, kT0 + 10'001);
  EXPECT_EQ(m.interval_secs, 90);
  EXPECT_EQ(m.next_due, kT0 + 10'001 + 90'000);
  EXPECT_EQ(m.last_ping, kT0 + 10'001);
  EXPECT_EQ(m.created_at, kT0);
  std::optional<Monitor> got = Get("backup", kT0 + 10'002);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->interval_secs, 90);
}

TEST_P(StoreContractTest, PingWithoutAnIntervalKeepsTheStoredOne) {
  MustPing("backup", 7200, kT0);
  Monitor m = MustPing("backup", std::nullopt, kT0 + 123'457);
  EXPECT_EQ(m.interval_secs, 7200);
  EXPECT_EQ(m.next_due, kT0 + 123'457 + 7'200'000);
  EXPECT_EQ(m.last_ping, kT0 + 123'457);
  EXPECT_EQ(m.created_at, kT0);
}

TEST_P(StoreContractTest, PingMovesTheExpiry) {
  MustPing("backup", std::nullopt, kT0);
  Monitor m = MustPing("backup", std::nullopt, kT0 + 30 * kDay + 3);
  EXPECT_EQ(m.expires_at, kT0 + 30 * kDay + 3 + kExpiryMillis);
  // Alive past the first expiry, because the second ping moved it.
  std::optional<Monitor> got = Get("backup", kT0 + kExpiryMillis + 1);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->expires_at, kT0 + 30 * kDay + 3 + kExpiryMillis);
}

TEST_P(StoreContractTest, PingClearsAReportedFailure) {
  MustFail("backup", kT0);
  Monitor m = MustPing("backup", std::nullopt, kT0 + 5'000);
  EXPECT_EQ(m.failed_at, std::nullopt);
  EXPECT_EQ(m.last_ping, kT0 + 5'000);
  EXPECT_EQ(m.next_due, kT0 + 5'000 + 300'000);
  std::optional<Monitor> got = Get("backup", kT0 + 5'001);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->failed_at, std::nullopt);
}

TEST_P(StoreContractTest, PingOnAPausedMonitorIsRecordedButItStaysPaused) {
  MustPing("backup", 600, kT0);
  ASSERT_EQ(Pause("backup", kT0 + 1'000).value(), true);
  Monitor m = MustPing("backup", std::nullopt, kT0 + 2'000);
  EXPECT_TRUE(m.paused);
  EXPECT_EQ(m.last_ping, kT0 + 2'000);
  EXPECT_EQ(m.next_due, kT0 + 2'000 + 600'000);
  std::optional<Monitor> got = Get("backup", kT0 + 2'001);
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(got->paused);
  EXPECT_EQ(got->last_ping, kT0 + 2'000);
}

TEST_P(StoreContractTest, PingKeepsAlertStateOfALiveMonitor) {
  MustPing("backup", 60, kT0);
  if (!SetAlertState("backup", kT0 + 2 * kMinute, 2)) GTEST_SKIP() << "no alert-state hook";
  Monitor m = MustPing("backup", std::nullopt, kT0 + 3 * kMinute);
  // Alert state belongs to the checker: a ping on a live monitor leaves it alone.
  EXPECT_EQ(m.alert.first_alerted_at, kT0 + 2 * kMinute);
  EXPECT_EQ(m.alert.alert_count, 2);
  EXPECT_EQ(m.created_at, kT0);
}

TEST_P(StoreContractTest, MonitorsAreIndependent) {
  MustPing("a", 60, kT0);
  MustPing("b", 120, kT0 + 1);
  std::optional<Monitor> a = Get("a", kT0 + 2);
  std::optional<Monitor> b = Get("b", kT0 + 2);
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(a->interval_secs, 60);
  EXPECT_EQ(a->next_due, kT0 + 60'000);
  EXPECT_EQ(b->interval_secs, 120);
  EXPECT_EQ(b->next_due, kT0 + 1 + 120'000);
}

// ---------------------------------------------------------------------------------------
// Fail

// /metrics' heartbeat_monitors{status}: live monitors by the API's status, failed ones
// among the overdue, expired ones not at all.
TEST_P(StoreContractTest, CountsMonitorsByStatus) {
  MustPing("ok-1", 600, kT0);
  MustPing("ok-2", 600, kT0);
  MustPing("late", 60, kT0);
  MustFail("failed", kT0);
  MustPing("paused", 60, kT0);
  ASSERT_TRUE(Pause("paused", kT0).value());
  MustPing("expired", 60, kT0 - kExpiryMillis - kDay);
  auto c = Await<MonitorCounts>(
      [&](Callback<MonitorCounts> cb) { store_->CountMonitors(kT0 + 2 * kMinute, std::move(cb)); });
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->ok, 2);
  EXPECT_EQ(c->overdue, 2);
  EXPECT_EQ(c->failed, 1);
  EXPECT_EQ(c->paused, 1);
}

TEST_P(StoreContractTest, FailCreatesAnOverdueMonitor) {
  Monitor m = MustFail("backup", kT0 + 42);
  EXPECT_EQ(m.slug, "backup");
  EXPECT_EQ(m.interval_secs, kDefaultIntervalSecs);
  EXPECT_EQ(m.last_ping, std::nullopt);
  EXPECT_EQ(m.failed_at, kT0 + 42);
  EXPECT_EQ(m.next_due, kT0 + 42);
  EXPECT_EQ(m.created_at, kT0 + 42);
  EXPECT_EQ(m.expires_at, kT0 + 42 + kExpiryMillis);
  EXPECT_FALSE(m.paused);
  EXPECT_EQ(m.alert.alert_count, 0);

  std::optional<Monitor> got = Get("backup", kT0 + 43);
  ASSERT_TRUE(got.has_value());
  ExpectSameMonitor(*got, m);
  EXPECT_EQ(DeriveStatus(*got, kT0 + 43), MonitorStatus::kOverdue);
}

TEST_P(StoreContractTest, FailOnAnExistingMonitorMakesItOverdueAndKeepsTheEarliestFailure) {
  MustPing("backup", 3600, kT0);
  Monitor first = MustFail("backup", kT0 + 10'000);
  EXPECT_EQ(first.failed_at, kT0 + 10'000);
  EXPECT_EQ(first.next_due, kT0 + 10'000);
  EXPECT_EQ(first.last_ping, kT0);  // the last successful ping is kept
  EXPECT_EQ(first.interval_secs, 3600);
  EXPECT_EQ(first.created_at, kT0);
  EXPECT_EQ(first.expires_at, kT0 + 10'000 + kExpiryMillis);

  Monitor second = MustFail("backup", kT0 + 20'000);
  EXPECT_EQ(second.failed_at, kT0 + 10'000);  // the earliest report stands
  EXPECT_LE(second.next_due, kT0 + 20'000);   // still overdue
  EXPECT_EQ(second.last_ping, kT0);
  EXPECT_EQ(second.interval_secs, 3600);
  EXPECT_EQ(second.expires_at, kT0 + 20'000 + kExpiryMillis);

  std::optional<Monitor> got = Get("backup", kT0 + 20'001);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->failed_at, kT0 + 10'000);
  EXPECT_EQ(DeriveStatus(*got, kT0 + 20'001), MonitorStatus::kOverdue);
}

TEST_P(StoreContractTest, FailOnAPausedMonitorIsRecordedAndItStaysPaused) {
  MustPing("backup", 600, kT0);
  ASSERT_EQ(Pause("backup", kT0 + 1).value(), true);
  Monitor m = MustFail("backup", kT0 + 2);
  EXPECT_TRUE(m.paused);
  EXPECT_EQ(m.failed_at, kT0 + 2);
  std::optional<Monitor> got = Get("backup", kT0 + 3);
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(got->paused);
  EXPECT_EQ(got->failed_at, kT0 + 2);
}

TEST_P(StoreContractTest, FailOnAnExpiredMonitorStartsItAfresh) {
  MustPing("backup", 3600, kT0);
  ASSERT_EQ(Pause("backup", kT0 + 1).value(), true);
  UnixMillis later = kT0 + kExpiryMillis + 5;
  Monitor m = MustFail("backup", later);
  EXPECT_EQ(m.created_at, later);
  EXPECT_EQ(m.interval_secs, kDefaultIntervalSecs);
  EXPECT_EQ(m.last_ping, std::nullopt);
  EXPECT_EQ(m.failed_at, later);
  EXPECT_EQ(m.next_due, later);
  EXPECT_FALSE(m.paused);
  EXPECT_EQ(m.expires_at, later + kExpiryMillis);
}

// ---------------------------------------------------------------------------------------
// Expiry: expired monitors are absent to every operation

TEST_P(StoreContractTest, GetReportsAbsentForUnknownMonitors) {
  EXPECT_EQ(Get("nothing-here", kT0), std::nullopt);
  MustPing("backup", std::nullopt, kT0);
  EXPECT_EQ(Get("backup2", kT0 + 1), std::nullopt);
  EXPECT_EQ(Get("backu", kT0 + 1), std::nullopt);
}

TEST_P(StoreContractTest, MonitorExpiresExactlyNinetyDaysAfterItsLastPing) {
  MustPing("backup", std::nullopt, kT0);
  EXPECT_TRUE(Get("backup", kT0 + kExpiryMillis - 1).has_value());
  EXPECT_EQ(Get("backup", kT0 + kExpiryMillis), std::nullopt);
  EXPECT_EQ(Get("backup", kT0 + kExpiryMillis + 365 * kDay), std::nullopt);
}

TEST_P(StoreContractTest, ExpiredMonitorsAreAbsentToEveryOperation) {
  MustPing("gone", 60, kT0);
  MustPing("alive", 60, kT0 + kDay);
  UnixMillis now = kT0 + kExpiryMillis + 1;

  EXPECT_EQ(Get("gone", now), std::nullopt);
  Result<MonitorPage> page = List("", 100, now);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->monitors.size(), 1u);
  EXPECT_EQ(page->monitors[0].slug, "alive");
  EXPECT_EQ(Pause("gone", now).value(), false);
  EXPECT_EQ(Unpause("gone", now).value(), false);
  EXPECT_EQ(Delete("gone", now).value(), false);
  // None of them brought it back.
  EXPECT_EQ(Get("gone", now), std::nullopt);
  EXPECT_TRUE(Get("alive", now).has_value());
}

TEST_P(StoreContractTest, ExpiredPausedMonitorIsAbsentToUnpause) {
  MustPing("gone", 60, kT0);
  ASSERT_EQ(Pause("gone", kT0 + 1).value(), true);
  UnixMillis now = kT0 + kExpiryMillis + 1;
  EXPECT_EQ(Unpause("gone", now).value(), false);
  EXPECT_EQ(Get("gone", now), std::nullopt);
}

TEST_P(StoreContractTest, PingOnAnExpiredMonitorStartsItAfresh) {
  MustPing("backup", 3600, kT0);
  MustFail("backup", kT0 + 1);
  ASSERT_EQ(Pause("backup", kT0 + 2).value(), true);
  MustFail("backup", kT0 + 3);  // failed while paused
  bool with_alerts = SetAlertState("backup", kT0 + 4, 3);

  UnixMillis later = kT0 + 3 + kExpiryMillis;  // the last Fail moved the expiry here
  ASSERT_EQ(Get("backup", later), std::nullopt);
  Monitor m = MustPing("backup", std::nullopt, later);
  EXPECT_EQ(m.created_at, later);
  EXPECT_EQ(m.interval_secs, kDefaultIntervalSecs);  // not the old 3600
  EXPECT_EQ(m.last_ping, later);
  EXPECT_EQ(m.next_due, later + 300'000);
  EXPECT_EQ(m.expires_at, later + kExpiryMillis);
  EXPECT_FALSE(m.paused);
  EXPECT_EQ(m.failed_at, std::nullopt);
  EXPECT_EQ(m.alert.first_alerted_at, std::nullopt);
  EXPECT_EQ(m.alert.last_alerted_at, std::nullopt);
  EXPECT_EQ(m.alert.alert_count, 0);
  std::optional<Monitor> got = Get("backup", later + 1);
  ASSERT_TRUE(got.has_value());
  ExpectSameMonitor(*got, m);
  if (!with_alerts) GTEST_SKIP() << "alert state not checked: no alert-state hook";
}

TEST_P(StoreContractTest, PingWithAnIntervalOnAnExpiredMonitorUsesIt) {
  MustPing("backup", 3600, kT0);
  UnixMillis later = kT0 + kExpiryMillis + 10;
  Monitor m = MustPing("backup", 120, later);
  EXPECT_EQ(m.created_at, later);
  EXPECT_EQ(m.interval_secs, 120);
  EXPECT_EQ(m.next_due, later + 120'000);
}

// ---------------------------------------------------------------------------------------
// Pause / Unpause

TEST_P(StoreContractTest, PauseClearsFailureAndAlertState) {
  MustPing("backup", 60, kT0);
  MustFail("backup", kT0 + 1'000);
  bool with_alerts = SetAlertState("backup", kT0 + 2'000, 4);

  Result<bool> paused = Pause("backup", kT0 + 3'000);
  ASSERT_TRUE(paused.ok());
  EXPECT_TRUE(*paused);
  std::optional<Monitor> got = Get("backup", kT0 + 3'001);
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(got->paused);
  EXPECT_EQ(got->failed_at, std::nullopt);
  EXPECT_EQ(got->alert.first_alerted_at, std::nullopt);
  EXPECT_EQ(got->alert.last_alerted_at, std::nullopt);
  EXPECT_EQ(got->alert.alert_count, 0);
  EXPECT_EQ(got->last_ping, kT0);
  EXPECT_EQ(got->interval_secs, 60);
  EXPECT_EQ(DeriveStatus(*got, kT0 + 3'001), MonitorStatus::kPaused);
  if (!with_alerts) GTEST_SKIP() << "alert state not checked: no alert-state hook";
}

TEST_P(StoreContractTest, PauseReportsAbsentForUnknownMonitors) {
  EXPECT_EQ(Pause("nothing-here", kT0).value(), false);
  EXPECT_EQ(Get("nothing-here", kT0), std::nullopt);  // not created
}

TEST_P(StoreContractTest, PauseTwiceStaysPausedAndReportsFound) {
  MustPing("backup", 60, kT0);
  EXPECT_EQ(Pause("backup", kT0 + 1).value(), true);
  EXPECT_EQ(Pause("backup", kT0 + 2).value(), true);
  std::optional<Monitor> got = Get("backup", kT0 + 3);
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(got->paused);
}

TEST_P(StoreContractTest, UnpauseStartsAFreshPeriod) {
  MustPing("backup", 600, kT0);
  ASSERT_EQ(Pause("backup", kT0 + 1'000).value(), true);
  UnixMillis now = kT0 + 5 * kDay + 17;  // long overdue by the old deadline
  Result<bool> unpaused = Unpause("backup", now);
  ASSERT_TRUE(unpaused.ok());
  EXPECT_TRUE(*unpaused);
  std::optional<Monitor> got = Get("backup", now);
  ASSERT_TRUE(got.has_value());
  EXPECT_FALSE(got->paused);
  EXPECT_EQ(got->next_due, now + 600'000);
  EXPECT_EQ(got->last_ping, kT0);
  EXPECT_EQ(got->failed_at, std::nullopt);
  EXPECT_EQ(DeriveStatus(*got, now), MonitorStatus::kOk);
}

TEST_P(StoreContractTest, UnpauseAfterAFailureWhilePausedIsDueAtOnce) {
  MustPing("backup", 600, kT0);
  ASSERT_EQ(Pause("backup", kT0 + 1'000).value(), true);
  MustFail("backup", kT0 + 2'000);
  UnixMillis now = kT0 + 9'000;
  ASSERT_EQ(Unpause("backup", now).value(), true);
  std::optional<Monitor> got = Get("backup", now);
  ASSERT_TRUE(got.has_value());
  EXPECT_FALSE(got->paused);
  EXPECT_EQ(got->next_due, now);
  EXPECT_EQ(got->failed_at, kT0 + 2'000);
  EXPECT_EQ(DeriveStatus(*got, now + 1), MonitorStatus::kOverdue);
}

TEST_P(StoreContractTest, UnpauseOnAMonitorThatIsNotPausedChangesNothing) {
  MustPing("backup", 600, kT0);
  MustFail("backup", kT0 + 500);
  std::optional<Monitor> before = Get("backup", kT0 + 1'000);
  ASSERT_TRUE(before.has_value());
  Result<bool> unpaused = Unpause("backup", kT0 + 60'000);
  ASSERT_TRUE(unpaused.ok());
  EXPECT_TRUE(*unpaused);  // found
  std::optional<Monitor> after = Get("backup", kT0 + 60'001);
  ASSERT_TRUE(after.has_value());
  ExpectSameMonitor(*after, *before);
  EXPECT_EQ(after->next_due, kT0 + 500);
}

TEST_P(StoreContractTest, UnpauseReportsAbsentForUnknownMonitors) {
  EXPECT_EQ(Unpause("nothing-here", kT0).value(), false);
  EXPECT_EQ(Get("nothing-here", kT0), std::nullopt);
}

// ---------------------------------------------------------------------------------------
// List

TEST_P(StoreContractTest, ListOnAnEmptyStoreIsEmpty) {
  Result<MonitorPage> page = List("", 10, kT0);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->monitors.empty());
  EXPECT_EQ(page->next_after, std::nullopt);
}

TEST_P(StoreContractTest, ListIsSortedBySlugWithWholeMonitors) {
  // Byte order: '-' < digits < letters.
  std::vector<std::string> slugs = {"zeta", "a-b", "ab", "a", "b0", "a0", "9-lives", "alpha"};
  for (std::size_t i = 0; i < slugs.size(); ++i) {
    MustPing(slugs[i], 60 + static_cast<std::int64_t>(i), kT0 + static_cast<UnixMillis>(i));
  }
  Result<MonitorPage> page = List("", 100, kT0 + 100);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->next_after, std::nullopt);
  std::vector<std::string> want = slugs;
  std::sort(want.begin(), want.end());
  ASSERT_EQ(page->monitors.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(page->monitors[i].slug, want[i]) << "at " << i;
  }
  // Each entry is the whole monitor.
  for (const Monitor& m : page->monitors) {
    auto it = std::find(slugs.begin(), slugs.end(), m.slug);
    ASSERT_NE(it, slugs.end());
    auto i = static_cast<std::int64_t>(it - slugs.begin());
    EXPECT_EQ(m.interval_secs, 60 + i);
    EXPECT_EQ(m.last_ping, kT0 + i);
    EXPECT_EQ(m.next_due, kT0 + i + (60 + i) * 1000);
  }
}

TEST_P(StoreContractTest, ListStartsStrictlyAfterTheGivenSlug) {
  for (const char* s : {"a", "b", "c", "d"}) MustPing(s, std::nullopt, kT0);
  Result<MonitorPage> page = List("b", 10, kT0 + 1);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->monitors.size(), 2u);
  EXPECT_EQ(page->monitors[0].slug, "c");
  EXPECT_EQ(page->monitors[1].slug, "d");
  // `after` need not exist.
  page = List("bb", 10, kT0 + 1);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->monitors.size(), 2u);
  EXPECT_EQ(page->monitors[0].slug, "c");
  page = List("d", 10, kT0 + 1);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->monitors.empty());
  EXPECT_EQ(page->next_after, std::nullopt);
}

TEST_P(StoreContractTest, ListLimitAndNextAfter) {
  for (const char* s : {"a", "b", "c", "d", "e"}) MustPing(s, std::nullopt, kT0);
  Result<MonitorPage> page = List("", 2, kT0 + 1);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->monitors.size(), 2u);
  EXPECT_EQ(page->monitors[0].slug, "a");
  EXPECT_EQ(page->monitors[1].slug, "b");
  ASSERT_TRUE(page->next_after.has_value());
  EXPECT_EQ(*page->next_after, "b");

  page = List(*page->next_after, 2, kT0 + 1);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->monitors.size(), 2u);
  EXPECT_EQ(page->monitors[0].slug, "c");
  EXPECT_EQ(page->monitors[1].slug, "d");
  ASSERT_TRUE(page->next_after.has_value());

  page = List(*page->next_after, 2, kT0 + 1);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->monitors.size(), 1u);
  EXPECT_EQ(page->monitors[0].slug, "e");
  EXPECT_EQ(page->next_after, std::nullopt);
}

// Runs `body` in a forked child, so that a crash fails one test instead of ending the
// run, and returns its exit code (128 + the signal when it was killed by one).
int RunInChild(const std::function<int()>& body) {
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) _exit(body());
  if (pid < 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST_P(StoreContractTest, ListWithLimitZeroReturnsNoMonitors) {
  MustPing("a", std::nullopt, kT0);
  MustPing("b", std::nullopt, kT0);
  store().Close();  // no store thread may be running across the fork
  int code = RunInChild([&] {
    std::unique_ptr<Store> s = GetParam().make(dir_.path());
    if (!s) return 10;
    Result<MonitorPage> page = Await<MonitorPage>(
        [&](Callback<MonitorPage> cb) { s->List("default", "", 0, kT0 + 1, std::move(cb)); });
    int rc = !page.ok() ? 11 : !page->monitors.empty() ? 12 : 0;
    s->Close();
    return rc;
  });
  EXPECT_EQ(code, 0) << "List(after, 0, now) must answer an empty page; exit code 128 + 11 "
                        "is a SIGSEGV, 1 an AddressSanitizer report";
}

TEST_P(StoreContractTest, ListPaginatesThousandsWithoutDuplicatesOrGaps) {
  constexpr int kCount = 2500;
  std::vector<std::string> slugs;
  for (int i = 0; i < kCount; ++i) slugs.push_back("job-" + std::to_string(i));
  PingMany(slugs, std::nullopt, kT0);
  std::sort(slugs.begin(), slugs.end());

  std::vector<std::string> listed;
  std::vector<std::size_t> page_sizes;
  std::string after;
  for (int pages = 0; pages < 10; ++pages) {
    Result<MonitorPage> page = List(after, 1000, kT0 + 1);
    ASSERT_TRUE(page.ok());
    page_sizes.push_back(page->monitors.size());
    for (const Monitor& m : page->monitors) listed.push_back(m.slug);
    if (!page->next_after) break;
    ASSERT_FALSE(page->monitors.empty());
    EXPECT_EQ(*page->next_after, page->monitors.back().slug);
    after = *page->next_after;
  }
  EXPECT_EQ(page_sizes, (std::vector<std::size_t>{1000, 1000, 500}));
  ASSERT_EQ(listed.size(), slugs.size());
  EXPECT_EQ(listed, slugs);  // sorted, no duplicates, no gaps
}

TEST_P(StoreContractTest, ListHidesExpiredMonitorsAcrossPages) {
  std::vector<std::string> old_slugs;
  std::vector<std::string> new_slugs;
  for (int i = 0; i < 30; ++i) {
    char slug[16];
    std::snprintf(slug, sizeof slug, "m-%02d", i);
    (i % 3 == 0 ? new_slugs : old_slugs).push_back(slug);
  }
  PingMany(old_slugs, std::nullopt, kT0);
  PingMany(new_slugs, std::nullopt, kT0 + kDay);
  UnixMillis now = kT0 + kExpiryMillis;  // the old ones expire exactly now
  std::vector<std::string> listed = ListAll(4, now);
  EXPECT_EQ(listed, new_slugs);
  // Before the expiry, all of them.
  EXPECT_EQ(ListAll(7, now - 1).size(), 30u);
}

// ---------------------------------------------------------------------------------------
// Delete

TEST_P(StoreContractTest, DeleteRemovesTheMonitor) {
  MustPing("backup", 600, kT0);
  MustPing("other", 600, kT0);
  Result<bool> deleted = Delete("backup", kT0 + 1);
  ASSERT_TRUE(deleted.ok());
  EXPECT_TRUE(*deleted);
  EXPECT_EQ(Get("backup", kT0 + 2), std::nullopt);
  EXPECT_TRUE(Get("other", kT0 + 2).has_value());
  EXPECT_EQ(Delete("backup", kT0 + 3).value(), false);
  Result<MonitorPage> page = List("", 10, kT0 + 3);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->monitors.size(), 1u);
  EXPECT_EQ(page->monitors[0].slug, "other");
  // A ping afterwards creates it anew.
  Monitor m = MustPing("backup", std::nullopt, kT0 + 4);
  EXPECT_EQ(m.created_at, kT0 + 4);
  EXPECT_EQ(m.interval_secs, kDefaultIntervalSecs);
}

TEST_P(StoreContractTest, DeleteReportsAbsentForUnknownMonitors) {
  EXPECT_EQ(Delete("nothing-here", kT0).value(), false);
}

// ---------------------------------------------------------------------------------------
// DeleteExpired

TEST_P(StoreContractTest, DeleteExpiredRemovesOnlyExpiredMonitors) {
  MustPing("old", std::nullopt, kT0);
  MustPing("new", std::nullopt, kT0 + kDay);
  UnixMillis now = kT0 + kExpiryMillis;

  EXPECT_EQ(DeleteExpired(kT0 + kExpiryMillis - 1, 100).value(), 0u);
  Result<std::size_t> removed = DeleteExpired(now, 100);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1u);
  EXPECT_TRUE(Get("new", now).has_value());
  // Really gone: asked about an earlier time, when it was alive, it is still absent.
  EXPECT_EQ(Get("old", kT0 + 1), std::nullopt);
  EXPECT_TRUE(Get("new", kT0 + kDay + 1).has_value());
  EXPECT_EQ(DeleteExpired(now, 100).value(), 0u);
}

TEST_P(StoreContractTest, DeleteExpiredWithASmallLimitEventuallyRemovesAllExpired) {
  constexpr std::size_t kLimit = 16;
  std::vector<std::string> expiring;
  std::vector<std::string> staying;
  for (int i = 0; i < 300; ++i) {
    char slug[16];
    std::snprintf(slug, sizeof slug, "job-%03d", i);
    (i % 3 == 1 ? staying : expiring).push_back(slug);
  }
  PingMany(expiring, std::nullopt, kT0);
  PingMany(staying, std::nullopt, kT0 + kDay);

  // Move any cursor into the middle first, so that the scan must wrap to find all.
  for (int i = 0; i < 7; ++i) {
    Result<std::size_t> none = DeleteExpired(kT0 + 1, kLimit);
    ASSERT_TRUE(none.ok());
    EXPECT_EQ(*none, 0u);
  }

  UnixMillis now = kT0 + kExpiryMillis + 1;
  std::size_t total = 0;
  int calls = 0;
  while (total < expiring.size() && calls < 1'000) {
    Result<std::size_t> removed = DeleteExpired(now, kLimit);
    ASSERT_TRUE(removed.ok()) << removed.error().message;
    EXPECT_LE(*removed, kLimit);  // bounded work per call
    total += *removed;
    ++calls;
  }
  EXPECT_EQ(total, expiring.size());
  EXPECT_GT(calls, 1);  // it really did the work in bounded pieces
  // Nothing expired is left to find, however often it looks.
  for (int i = 0; i < 40; ++i) EXPECT_EQ(DeleteExpired(now, kLimit).value(), 0u);
  // The live ones all remain; the expired are gone even when asked about the past.
  EXPECT_EQ(ListAll(1000, now), staying);
  for (const std::string& slug : expiring) {
    ASSERT_EQ(Get(slug, kT0 + 1), std::nullopt) << slug;
  }
}

// ---------------------------------------------------------------------------------------
// The outbox: renewing a lease

void ExpectConflict(const Status& s, const char* what) {
  ASSERT_FALSE(s.ok()) << what << " succeeded";
  EXPECT_EQ(s.error().code, ErrorCode::kConflict) << what << ": " << s.error().message;
}

TEST_P(StoreContractTest, RenewedLeaseKeepsAnotherOwnerFromClaimingPastItsFirstEnd) {
  QueueFailedAlert("job", kT0);
  std::vector<PendingAlert> a = Claim(kT0, "a", 30'000);
  ASSERT_EQ(a.size(), 1u);
  // Still sending 20 s later: a renews to then + 30 s.
  Status renewed = Renew(a[0], "a", kT0 + 50'000);
  ASSERT_TRUE(renewed.ok()) << renewed.error().message;
  EXPECT_TRUE(Claim(kT0 + 30'000, "b").empty()) << "claimed where the first lease ended";
  EXPECT_TRUE(Claim(kT0 + 49'999, "b").empty());
  EXPECT_EQ(EarliestAlertAttempt(), kT0 + 50'000);
  // Renewed again, then finished by its owner: nobody else ever had it.
  ASSERT_TRUE(Renew(a[0], "a", kT0 + 70'000).ok());
  EXPECT_TRUE(Claim(kT0 + 69'999, "b").empty());
  ASSERT_TRUE(Finish(a[0], "a").ok());
  EXPECT_EQ(PendingAlerts(), 0);
}

TEST_P(StoreContractTest, RenewedLeaseEndsWhereRenewedForOthersToClaim) {
  QueueFailedAlert("job", kT0);
  std::vector<PendingAlert> a = Claim(kT0, "a", 30'000);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_TRUE(Renew(a[0], "a", kT0 + 50'000).ok());
  // Its owner died: the renewed lease runs out, and another sender takes the alert.
  std::vector<PendingAlert> b = Claim(kT0 + 50'000, "b");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].id, a[0].id);
  EXPECT_EQ(b[0].attempts, 2);
  ExpectConflict(Renew(a[0], "a", kT0 + 80'000), "renewal by the owner whose lease was taken");
  ASSERT_TRUE(Finish(b[0], "b").ok());
}

TEST_P(StoreContractTest, RenewalByANonOwnerOrAfterTheLeaseWasTakenIsAConflictAndChangesNothing) {
  QueueFailedAlert("job", kT0);
  std::vector<PendingAlert> a = Claim(kT0, "a", 30'000);
  ASSERT_EQ(a.size(), 1u);
  // Not b's lease: refused in FinishAlert's words, and a's lease still ends at +30 s.
  Status by_b = Renew(a[0], "b", kT0 + 90'000);
  ExpectConflict(by_b, "renewal by a non-owner");
  Status finish_by_b = Finish(a[0], "b");
  ExpectConflict(finish_by_b, "finish by a non-owner");
  if (!by_b.ok() && !finish_by_b.ok()) {
    EXPECT_EQ(by_b.error().message, finish_by_b.error().message);
  }
  EXPECT_EQ(EarliestAlertAttempt(), kT0 + 30'000);

  // At its end c takes it; a's renewal comes too late, and changes nothing of c's lease.
  std::vector<PendingAlert> c = Claim(kT0 + 30'000, "c", 30'000);
  ASSERT_EQ(c.size(), 1u);
  ExpectConflict(Renew(a[0], "a", kT0 + 31'000 + 30'000), "renewal after the lease was taken");
  EXPECT_EQ(EarliestAlertAttempt(), kT0 + 60'000);
  ExpectConflict(Finish(a[0], "a"), "finish by the owner whose lease was taken");
  EXPECT_TRUE(Claim(kT0 + 59'999, "d").empty());
  std::vector<PendingAlert> d = Claim(kT0 + 60'000, "d");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].id, a[0].id);
  EXPECT_EQ(d[0].attempts, 3);
}

TEST_P(StoreContractTest, RenewalOfAFinishedRetriedOrRejectedAlertIsAConflict) {
  for (const char* slug : {"finished", "retried", "rejected"}) QueueFailedAlert(slug, kT0);
  std::map<std::string, PendingAlert> claimed;
  for (PendingAlert& p : Claim(kT0, "a", 30'000)) claimed[p.alert.slug] = p;
  ASSERT_EQ(claimed.size(), 3u);

  ASSERT_TRUE(Finish(claimed["finished"], "a").ok());
  ExpectConflict(Renew(claimed["finished"], "a", kT0 + 60'000), "renewal of a finished alert");
  ASSERT_TRUE(Reject(claimed["rejected"], "a").ok());
  ExpectConflict(Renew(claimed["rejected"], "a", kT0 + 60'000), "renewal of a rejected alert");
  ASSERT_TRUE(Retry(claimed["retried"], "a", kT0 + 5'000).ok());
  ExpectConflict(Renew(claimed["retried"], "a", kT0 + 60'000), "renewal of a retried alert");

  // Nothing came back: only the retried alert is pending, due at its retry time, unleased.
  EXPECT_EQ(PendingAlerts(), 1);
  EXPECT_EQ(EarliestAlertAttempt(), kT0 + 5'000);
  std::vector<PendingAlert> again = Claim(kT0 + 5'000, "b");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].alert.slug, "retried");
}

// ---------------------------------------------------------------------------------------
// API keys

TEST_P(StoreContractTest, AddKeyAndListKeysRoundTrip) {
  EXPECT_TRUE(ListKeys().empty());
  ASSERT_TRUE(AddKey(kHashB, "ci runner", kT0).ok());
  ASSERT_TRUE(AddKey(kHashA, "backup host", kT0 + 1'000).ok());
  std::vector<ApiKeyRecord> keys = ListKeys();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].key_hash, kHashA);
  EXPECT_EQ(keys[0].description, "backup host");
  EXPECT_EQ(keys[0].created_at, kT0 + 1'000);
  EXPECT_EQ(keys[0].last_used_at, std::nullopt);
  EXPECT_EQ(keys[1].key_hash, kHashB);
  EXPECT_EQ(keys[1].description, "ci runner");
  EXPECT_EQ(keys[1].created_at, kT0);
  EXPECT_EQ(keys[1].last_used_at, std::nullopt);
}

TEST_P(StoreContractTest, AddKeyRejectsADuplicateHash) {
  ASSERT_TRUE(AddKey(kHashA, "first", kT0).ok());
  Status again = AddKey(kHashA, "second", kT0 + 1);
  EXPECT_FALSE(again.ok());
  std::vector<ApiKeyRecord> keys = ListKeys();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].description, "first");
  EXPECT_EQ(keys[0].created_at, kT0);
}

TEST_P(StoreContractTest, RevokeKeyByTwelveCharacterId) {
  ASSERT_TRUE(AddKey(kHashA, "a", kT0).ok());
  ASSERT_TRUE(AddKey(kHashB, "b", kT0).ok());
  Status revoked = RevokeKey(kHashA.substr(0, 12));
  ASSERT_TRUE(revoked.ok()) << revoked.error().message;
  std::vector<ApiKeyRecord> keys = ListKeys();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].key_hash, kHashB);
  // Gone: a second revocation finds nothing.
  Status again = RevokeKey(kHashA.substr(0, 12));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
}

TEST_P(StoreContractTest, RevokeKeyByFullHash) {
  ASSERT_TRUE(AddKey(kHashA, "a", kT0).ok());
  ASSERT_TRUE(AddKey(kHashB, "b", kT0).ok());
  Status revoked = RevokeKey(kHashB);
  ASSERT_TRUE(revoked.ok()) << revoked.error().message;
  std::vector<ApiKeyRecord> keys = ListKeys();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].key_hash, kHashA);
}

TEST_P(StoreContractTest, RevokeKeyUnknownIdIsNotFound) {
  ASSERT_TRUE(AddKey(kHashA, "a", kT0).ok());
  Status revoked = RevokeKey("aaaaaaaaaaaa");
  ASSERT_FALSE(revoked.ok());
  EXPECT_EQ(revoked.error().code, ErrorCode::kNotFound);
  // A full hash that differs from a stored one in its last digit.
  std::string near = kHashA.substr(0, 63) + "e";
  revoked = RevokeKey(near);
  ASSERT_FALSE(revoked.ok());
  EXPECT_EQ(revoked.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(ListKeys().size(), 1u);
}

TEST_P(StoreContractTest, RevokeKeyMalformedIdIsInvalidArgument) {
  ASSERT_TRUE(AddKey(kHashA, "a", kT0).ok());
  std::string upper = "0123456789AB";  // the key's ID, uppercased
  for (const std::string& id : {upper, kHashA.substr(0, 11), std::string("0123456789ag"),
                                std::string(""), std::string("0123456789ab "), kHashA + "0"}) {
    Status revoked = RevokeKey(id);
    ASSERT_FALSE(revoked.ok()) << "id '" << id << "'";
    EXPECT_EQ(revoked.error().code, ErrorCode::kInvalidArgument) << "id '" << id << "'";
  }
  EXPECT_EQ(ListKeys().size(), 1u);  // nothing was revoked
}

TEST_P(StoreContractTest, RevokeKeyAmbiguousIdIsInvalidArgument) {
  ASSERT_TRUE(AddKey(kHashA, "a", kT0).ok());
  ASSERT_TRUE(AddKey(kHashA2, "a2", kT0).ok());
  ASSERT_EQ(kHashA.substr(0, 12), kHashA2.substr(0, 12));
  Status revoked = RevokeKey(kHashA.substr(0, 12));
  ASSERT_FALSE(revoked.ok());
  EXPECT_EQ(revoked.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ListKeys().size(), 2u);
  // More of the hash tells them apart.
  ASSERT_TRUE(RevokeKey(kHashA2.substr(0, 16)).ok());
  std::vector<ApiKeyRecord> keys = ListKeys();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].key_hash, kHashA);
}

TEST_P(StoreContractTest, TouchKeysSetsLastUsedAndNeverMovesItBack) {
  ASSERT_TRUE(AddKey(kHashA, "a", kT0).ok());
  ASSERT_TRUE(AddKey(kHashB, "b", kT0).ok());

  ASSERT_TRUE(TouchKeys({{kHashA, kT0 + 5'000}}).ok());
  std::optional<ApiKeyRecord> a = FindKey(kHashA);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->last_used_at, kT0 + 5'000);
  std::optional<ApiKeyRecord> b = FindKey(kHashB);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->last_used_at, std::nullopt);  // untouched

  ASSERT_TRUE(TouchKeys({{kHashA, kT0 + 1'000}}).ok());  // older: ignored
  EXPECT_EQ(FindKey(kHashA).value().last_used_at, kT0 + 5'000);

  // A batch: several keys, the same key twice out of order, and an unknown hash.
  ASSERT_TRUE(TouchKeys({{kHashA, kT0 + 9'000},
                         {kHashB, kT0 + 7'000},
                         {kHashA, kT0 + 8'000},
                         {kHashA2, kT0 + 9'999}})
                  .ok());
  EXPECT_EQ(FindKey(kHashA).value().last_used_at, kT0 + 9'000);
  EXPECT_EQ(FindKey(kHashB).value().last_used_at, kT0 + 7'000);
  EXPECT_EQ(FindKey(kHashA2), std::nullopt);  // touching does not create keys
  EXPECT_EQ(ListKeys().size(), 2u);
  // created_at and description untouched.
  EXPECT_EQ(FindKey(kHashA).value().created_at, kT0);
  EXPECT_EQ(FindKey(kHashA).value().description, "a");
}

// ---------------------------------------------------------------------------------------
// Callbacks, health and lifetime

// Runs `start` and returns the id of the thread that ran its callback, or the caller's
// own id when the callback ran inside the call.
template <class T, class Fn>
std::thread::id CallbackThread(Fn&& start) {
  std::promise<std::thread::id> where;
  std::future<std::thread::id> future = where.get_future();
  start([&where](Result<T>) { where.set_value(std::this_thread::get_id()); });
  return future.get();
}

TEST_P(StoreContractTest, CallbacksRunOnAStoreThreadNeverInsideTheCall) {
  const std::thread::id me = std::this_thread::get_id();
  Store& s = store();
  EXPECT_NE(CallbackThread<Monitor>([&](auto cb) { s.Ping("a", std::nullopt, kT0, cb); }), me);
  EXPECT_NE(CallbackThread<Monitor>([&](auto cb) { s.Fail("b", kT0, cb); }), me);
  EXPECT_NE(CallbackThread<std::optional<Monitor>>([&](auto cb) { s.Get("a", kT0, cb); }), me);
  EXPECT_NE(CallbackThread<MonitorPage>([&](auto cb) { s.List("default", "", 10, kT0, cb); }), me);
  EXPECT_NE(CallbackThread<bool>([&](auto cb) { s.Pause("a", kT0, cb); }), me);
  EXPECT_NE(CallbackThread<bool>([&](auto cb) { s.Unpause("a", kT0, cb); }), me);
  EXPECT_NE(CallbackThread<bool>([&](auto cb) { s.Delete("a", kT0, cb); }), me);
  EXPECT_NE(CallbackThread<std::size_t>([&](auto cb) { s.DeleteExpired(kT0, 10, cb); }), me);
  EXPECT_NE(CallbackThread<void>([&](auto cb) {
              s.AddKey(ApiKeyRecord{kHashA, "a", kT0, std::nullopt}, cb);
            }),
            me);
  EXPECT_NE(CallbackThread<std::vector<ApiKeyRecord>>([&](auto cb) { s.ListKeys(cb); }), me);
  EXPECT_NE(CallbackThread<void>([&](auto cb) { s.TouchKeys({{kHashA, kT0}}, cb); }), me);
  EXPECT_NE(CallbackThread<void>([&](auto cb) { s.RevokeKey("aaaaaaaaaaaa", cb); }), me);
  EXPECT_NE(CallbackThread<void>([&](auto cb) { s.RevokeKey(kHashA.substr(0, 12), cb); }), me);
}

TEST_P(StoreContractTest, RevokeKeyMalformedIdCallbackRunsOnAStoreThread) {
  // The contract holds for refusals too: `done` never runs inside the call.
  const std::thread::id me = std::this_thread::get_id();
  EXPECT_NE(CallbackThread<void>([&](auto cb) { store().RevokeKey("NOT-HEX", cb); }), me);
}

// --- the history (SPEC §12) ---

TEST_P(StoreContractTest, HistoryKeepsTheLastPingsKeptEntriesNewestFirstWithTheirBodies) {
  store().KeepPings(3);
  for (int i = 1; i <= 5; ++i) {
    Store::SignalCall call{.signal = {.kind = SignalKind::kLog},
                           .source = {"POST", "10.0.0.1", "curl/8"},
                           .body = "body " + std::to_string(i)};
    ASSERT_TRUE(Await<Monitor>([&](Callback<Monitor> cb) {
                  store().Receive("job", call, kT0 + i * kSecond, std::move(cb));
                }).ok());
  }
  auto pings = Await<std::optional<std::vector<PingRecord>>>(
      [&](Callback<std::optional<std::vector<PingRecord>>> cb) {
        store().ListPings("job", 100, kT0 + 6 * kSecond, std::move(cb));
      });
  ASSERT_TRUE(pings.ok() && pings->has_value());
  std::vector<std::int64_t> numbers;
  for (const PingRecord& p : **pings) numbers.push_back(p.n);
  EXPECT_EQ(numbers, (std::vector<std::int64_t>{5, 4, 3}));
  EXPECT_EQ((**pings)[0].at, kT0 + 5 * kSecond);
  EXPECT_EQ((**pings)[0].body_bytes, 6);
  EXPECT_EQ((**pings)[0].source.user_agent, "curl/8");
  auto body = [&](std::int64_t n) {
    auto r = Await<std::optional<std::string>>([&](Callback<std::optional<std::string>> cb) {
      store().PingBody("job", n, kT0 + 6 * kSecond, std::move(cb));
    });
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : std::nullopt;
  };
  EXPECT_EQ(body(5), "body 5");
  EXPECT_EQ(body(3), "body 3");
  EXPECT_EQ(body(2), std::nullopt) << "pruned";
  // Deleted: no history; created again: numbered from 1.
  ASSERT_TRUE(Delete("job", kT0 + 7 * kSecond).ok());
  auto gone = Await<std::optional<std::vector<PingRecord>>>(
      [&](Callback<std::optional<std::vector<PingRecord>>> cb) {
        store().ListPings("job", 100, kT0 + 7 * kSecond, std::move(cb));
      });
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  EXPECT_EQ(MustPing("job", std::nullopt, kT0 + 8 * kSecond).pings_seq, 1);
  EXPECT_EQ(body(5), std::nullopt);
}

TEST_P(StoreContractTest, FlipsAreWrittenWithTheFirstAlertAndTheRecovery) {
  MustFail("job", kT0);
  auto check = [&](UnixMillis now) {
    std::optional<Monitor> m = Get("job", now);
    ASSERT_TRUE(m.has_value());
    CheckStep step = Check(*m, now, kHour, {"telegram"});
    ASSERT_TRUE(Await<void>([&](Callback<void> cb) {
                  store().ApplyCheck(*m, step, now, std::move(cb));
                }).ok());
  };
  check(kT0);
  MustPing("job", std::nullopt, kT0 + kMinute);
  check(kT0 + kMinute);
  auto flips =
      Await<std::optional<std::vector<Flip>>>([&](Callback<std::optional<std::vector<Flip>>> cb) {
        store().ListFlips("job", kT0 - kDay, kT0 + kMinute, std::move(cb));
      });
  ASSERT_TRUE(flips.ok() && flips->has_value());
  EXPECT_EQ(**flips, (std::vector<Flip>{{.at = kT0 + kMinute, .overdue = false},
                                        {.at = kT0, .overdue = true}}));
  auto none =
      Await<std::optional<std::vector<Flip>>>([&](Callback<std::optional<std::vector<Flip>>> cb) {
        store().ListFlips("absent", kT0 - kDay, kT0, std::move(cb));
      });
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

// The outbox keeps what SPEC §12's alert texts say: a failure's exit code and quoted tail,
// a timed-out run's start and limit.
TEST_P(StoreContractTest, TheOutboxKeepsTheExitCodeTheTailAndTheRunOfAnAlert) {
  auto receive = [&](const std::string& slug, Signal signal, UnixMillis now) {
    ASSERT_TRUE(Await<Monitor>([&](Callback<Monitor> cb) {
                  store().Receive(slug, Store::SignalCall{.signal = std::move(signal)}, now,
                                  std::move(cb));
                }).ok());
  };
  receive("failing", {.kind = SignalKind::kFail, .exit_code = 3, .body_tail = "disk `full`\n\\x"},
          kT0);
  receive(
      "slow",
      {.kind = SignalKind::kStart, .settings = {.interval_secs = 86'400, .max_runtime_secs = 60}},
      kT0);
  const UnixMillis later = kT0 + 61 * kSecond;
  for (const std::string slug : {"failing", "slow"}) {
    std::optional<Monitor> m = Get(slug, later);
    ASSERT_TRUE(m.has_value());
    CheckStep step = Check(*m, later, kHour, {"telegram"});
    ASSERT_TRUE(step.decision.has_value()) << slug;
    ASSERT_TRUE(Await<void>([&](Callback<void> cb) {
                  store().ApplyCheck(*m, step, later, std::move(cb));
                }).ok());
  }
  std::vector<PendingAlert> claimed = Claim(later, "owner");
  ASSERT_EQ(claimed.size(), 2u);
  std::sort(claimed.begin(), claimed.end(), [](const PendingAlert& a, const PendingAlert& b) {
    return a.alert.slug < b.alert.slug;
  });
  const Alert& failed = claimed[0].alert;
  EXPECT_EQ(failed.kind, AlertKind::kFailed);
  EXPECT_EQ(failed.exit_code, 3);
  EXPECT_EQ(failed.body_tail, "disk `full`\n\\x");
  const Alert& slow = claimed[1].alert;
  EXPECT_EQ(slow.kind, AlertKind::kTimedOut);
  EXPECT_EQ(slow.run_started_at, kT0);
  EXPECT_EQ(slow.max_runtime_secs, 60);
  EXPECT_EQ(slow.down_since, kT0 + 60 * kSecond);
}

// A run's limit comes long before the next deadline (a daily job allowed a minute): the
// checker must still find the monitor by it, and the wake-up must be set for it.
TEST_P(StoreContractTest, ARunningMonitorIsDueAtItsRunDeadlineBeforeItsNextDeadline) {
  auto receive = [&](Signal signal, UnixMillis now) {
    Result<Monitor> m = Await<Monitor>([&](Callback<Monitor> cb) {
      store().Receive("nightly", Store::SignalCall{.signal = std::move(signal)}, now,
                      std::move(cb));
    });
    EXPECT_TRUE(m.ok());
    return m;
  };
  auto due = [&](UnixMillis at) {
    Result<std::vector<Monitor>> r = Await<std::vector<Monitor>>(
        [&](Callback<std::vector<Monitor>> cb) { store().DueMonitors(at, 100, std::move(cb)); });
    EXPECT_TRUE(r.ok());
    std::vector<std::string> slugs;
    for (const Monitor& m : r.value()) slugs.push_back(m.slug);
    return slugs;
  };
  MustPing("nightly", 86'400, kT0);
  Result<Monitor> started =
      receive({.kind = SignalKind::kStart, .settings = {.max_runtime_secs = 60}}, kT0 + kSecond);
  ASSERT_TRUE(started.ok());
  ASSERT_TRUE(started->check_at.has_value());
  EXPECT_LT(*started->check_at, started->next_due);
  EXPECT_EQ(due(*started->check_at - 1), std::vector<std::string>{});
  EXPECT_EQ(due(*started->check_at), std::vector<std::string>{"nightly"});
  Result<std::optional<UnixMillis>> earliest = Await<std::optional<UnixMillis>>(
      [&](Callback<std::optional<UnixMillis>> cb) { store().EarliestCheck(std::move(cb)); });
  ASSERT_TRUE(earliest.ok());
  EXPECT_EQ(*earliest, started->check_at);

  // Its end: back to the next deadline.
  ASSERT_TRUE(receive({.kind = SignalKind::kSuccess}, kT0 + 30 * kSecond).ok());
  EXPECT_EQ(due(*started->check_at), std::vector<std::string>{});
}

TEST_P(StoreContractTest, HealthyOnAWorkingStore) {
  EXPECT_TRUE(store().Healthy());
  MustPing("backup", std::nullopt, kT0);
  EXPECT_TRUE(Get("backup", kT0).has_value());
  EXPECT_TRUE(store().Healthy());
}

TEST_P(StoreContractTest, CloseCompletesAcceptedWritesFirst) {
  constexpr int kCount = 200;
  std::atomic<int> ok{0};
  std::atomic<int> answered{0};
  for (int i = 0; i < kCount; ++i) {
    store().Ping("job-" + std::to_string(i), std::nullopt, kT0, [&](Result<Monitor> r) {
      if (r.ok()) ok.fetch_add(1);
      answered.fetch_add(1);
    });
  }
  store().Close();
  // Every callback has run by the time Close returns, and every write succeeded.
  EXPECT_EQ(answered.load(), kCount);
  EXPECT_EQ(ok.load(), kCount);
}

TEST_P(StoreContractTest, OperationsAfterCloseFailUnavailable) {
  MustPing("backup", std::nullopt, kT0);
  ASSERT_TRUE(AddKey(kHashA, "a", kT0).ok());
  store().Close();
  store().Close();  // idempotent

  auto expect_unavailable = [](const auto& r, const char* what) {
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.error().code, ErrorCode::kUnavailable) << what << ": " << r.error().message;
  };
  expect_unavailable(Ping("backup", std::nullopt, kT0 + 1), "Ping");
  expect_unavailable(Fail("backup", kT0 + 1), "Fail");
  expect_unavailable(Await<std::optional<Monitor>>([&](Callback<std::optional<Monitor>> cb) {
                       store().Get("backup", kT0 + 1, std::move(cb));
                     }),
                     "Get");
  expect_unavailable(List("", 10, kT0 + 1), "List");
  expect_unavailable(Delete("backup", kT0 + 1), "Delete");
  expect_unavailable(Pause("backup", kT0 + 1), "Pause");
  expect_unavailable(Unpause("backup", kT0 + 1), "Unpause");
  expect_unavailable(DeleteExpired(kT0 + 1, 10), "DeleteExpired");
  expect_unavailable(AddKey(kHashB, "b", kT0), "AddKey");
  expect_unavailable(Await<std::vector<ApiKeyRecord>>([&](Callback<std::vector<ApiKeyRecord>> cb) {
                       store().ListKeys(std::move(cb));
                     }),
                     "ListKeys");
  expect_unavailable(RevokeKey(kHashA.substr(0, 12)), "RevokeKey");
  expect_unavailable(TouchKeys({{kHashA, kT0 + 1}}), "TouchKeys");
  store().Close();  // still idempotent
}

// ---------------------------------------------------------------------------------------
// Projects, uuids, the limit, keys' projects and roles (SPEC §13)

Result<std::optional<Monitor>> FindByUuid(Store& store, const std::string& uuid, UnixMillis now) {
  return Await<std::optional<Monitor>>(
      [&](Callback<std::optional<Monitor>> cb) { store.FindByUuid(uuid, now, std::move(cb)); });
}

Result<Monitor> Signal(Store& store, const std::string& slug, heartbeat::Signal signal,
                       UnixMillis now) {
  return Await<Monitor>([&](Callback<Monitor> cb) {
    store.Receive(slug, Store::SignalCall{.signal = std::move(signal)}, now, std::move(cb));
  });
}

Result<Store::Mutated> Configure(Store& store, const std::string& slug, MonitorSettings settings,
                                 UnixMillis now) {
  return Await<Store::Mutated>([&](Callback<Store::Mutated> cb) {
    store.Configure(slug, std::move(settings), now, std::move(cb));
  });
}

std::vector<std::string> ListProjectSlugs(Store& store, const std::string& project,
                                          std::size_t limit, UnixMillis now) {
  std::vector<std::string> slugs;
  std::string after;
  for (int pages = 0; pages < 100; ++pages) {
    Result<MonitorPage> page = Await<MonitorPage>(
        [&](Callback<MonitorPage> cb) { store.List(project, after, limit, now, std::move(cb)); });
    EXPECT_TRUE(page.ok()) << (page.ok() ? "" : page.error().message);
    if (!page.ok()) break;
    for (const Monitor& m : page->monitors) slugs.push_back(m.slug);
    if (!page->next_after) break;
    after = *page->next_after;
  }
  return slugs;
}

std::vector<ProjectRecord> ListProjects(Store& store) {
  Result<std::vector<ProjectRecord>> r = Await<std::vector<ProjectRecord>>(
      [&](Callback<std::vector<ProjectRecord>> cb) { store.ListProjects(std::move(cb)); });
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : std::vector<ProjectRecord>{};
}

Status AddProject(Store& store, const std::string& name, const std::string& ping_key,
                  UnixMillis now) {
  return Await<void>([&](Callback<void> cb) {
    store.AddProject(ProjectRecord{.name = name, .ping_key = ping_key, .created_at = now},
                     std::move(cb));
  });
}

Status RemoveProject(Store& store, const std::string& name, UnixMillis now) {
  return Await<void>([&](Callback<void> cb) { store.RemoveProject(name, now, std::move(cb)); });
}

TEST_P(StoreContractTest, EveryMonitorGetsAUuidAtCreationThatNoLaterWriteChanges) {
  Monitor created = MustPing("backup", 300, kT0);
  EXPECT_TRUE(IsUuid(created.uuid)) << created.uuid;
  EXPECT_EQ(MustPing("backup", std::nullopt, kT0 + kMinute).uuid, created.uuid);
  EXPECT_EQ(MustPing("backup", 60, kT0 + 2 * kMinute).uuid, created.uuid);
  EXPECT_EQ(MustFail("backup", kT0 + 3 * kMinute).uuid, created.uuid);
  ASSERT_TRUE(Pause("backup", kT0 + 4 * kMinute).ok());
  ASSERT_TRUE(Unpause("backup", kT0 + 5 * kMinute).ok());
  Result<Store::Mutated> configured = Configure(
      store(), "backup", {.grace_secs = 60, .uuid = "00000000-0000-4000-8000-000000000000"},
      kT0 + 6 * kMinute);
  ASSERT_TRUE(configured.ok()) << configured.error().message;
  EXPECT_EQ(configured->after->uuid, created.uuid) << "a uuid is fixed at creation";
  EXPECT_EQ(Get("backup", kT0 + 7 * kMinute)->uuid, created.uuid);
  EXPECT_NE(MustPing("other", 300, kT0).uuid, created.uuid);
  EXPECT_NE(MustFail("failed-first", kT0).uuid, "");
}

// A Mutate whose rule creates a monitor without a uuid (core's functions called directly)
// still leaves it one, and a distinct one each time.
TEST_P(StoreContractTest, AWriteWithoutAUuidGivesTheMonitorOne) {
  std::set<std::string> uuids;
  for (const std::string slug : {"one", "two"}) {
    Result<Store::Mutated> r = Await<Store::Mutated>([&](Callback<Store::Mutated> cb) {
      store().Mutate(
          slug,
          [&](const std::optional<Monitor>& current) {
            return Result<Mutation>(
                SignalWrite(current, Pinged(current, slug, std::nullopt, kT0), kT0));
          },
          std::move(cb));
    });
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(IsUuid(r->after->uuid)) << r->after->uuid;
    EXPECT_EQ(Get(slug, kT0)->uuid, r->after->uuid);
    uuids.insert(r->after->uuid);
  }
  EXPECT_EQ(uuids.size(), 2u);
}

TEST_P(StoreContractTest, ACreationKeepsTheUuidItIsGiven) {
  const std::string uuid = "0f1e2d3c-4b5a-4968-8776-655443322110";
  Result<Store::Mutated> created =
      Configure(store(), "imported", {.interval_secs = 600, .uuid = uuid}, kT0);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created->after->uuid, uuid);
  EXPECT_EQ(Get("imported", kT0)->uuid, uuid);
}

TEST_P(StoreContractTest, FindByUuidFindsOnlyALiveMonitorWithThatUuid) {
  Monitor a = MustPing("alpha", 300, kT0);
  Monitor b = MustPing("ops/beta", 300, kT0);
  Result<std::optional<Monitor>> found = FindByUuid(store(), a.uuid, kT0 + 1);
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->slug, "alpha");
  found = FindByUuid(store(), b.uuid, kT0 + 1);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->slug, "ops/beta");
  found = FindByUuid(store(), "12345678-1234-4234-8234-123456789abc", kT0 + 1);
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());
  found = FindByUuid(store(), a.uuid, kT0 + kExpiryMillis);
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value()) << "expired";
  ASSERT_TRUE(*Delete("ops/beta", kT0 + 2));
  found = FindByUuid(store(), b.uuid, kT0 + 3);
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value()) << "deleted";
}

TEST_P(StoreContractTest, ASignalForAUuidReachesOnlyThatMonitorAndCreatesNothing) {
  Monitor a = MustPing("alpha", 300, kT0);
  Result<Monitor> r =
      Signal(store(), "alpha", {.target_uuid = "12345678-1234-4234-8234-123456789abc"}, kT0 + 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(Get("alpha", kT0 + 2)->last_ping, kT0) << "another uuid's ping changed it";
  r = Signal(store(), "alpha", {.target_uuid = a.uuid}, kT0 + 3);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->last_ping, kT0 + 3);
  r = Signal(store(), "absent", {.target_uuid = a.uuid}, kT0 + 4);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(Get("absent", kT0 + 5).has_value());
  r = Signal(store(), "absent", {.may_create = false}, kT0 + 6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(Get("absent", kT0 + 7).has_value());
  r = Signal(store(), "alpha", {.may_create = false}, kT0 + 8);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->last_ping, kT0 + 8);
}

TEST_P(StoreContractTest, APingResumesAPausedMonitorWithoutManualResume) {
  ASSERT_TRUE(Configure(store(), "hc", {.interval_secs = 300, .manual_resume = false}, kT0).ok());
  EXPECT_FALSE(Get("hc", kT0)->manual_resume);
  ASSERT_TRUE(*Pause("hc", kT0 + 1));
  Monitor pinged = MustPing("hc", std::nullopt, kT0 + 2);
  EXPECT_FALSE(pinged.paused);
  EXPECT_FALSE(Get("hc", kT0 + 3)->paused);
  // The seed's rule stays the default.
  MustPing("seedlike", 300, kT0);
  EXPECT_TRUE(Get("seedlike", kT0)->manual_resume);
  ASSERT_TRUE(*Pause("seedlike", kT0 + 1));
  EXPECT_TRUE(MustPing("seedlike", std::nullopt, kT0 + 2).paused);
}

TEST_P(StoreContractTest, HealthchecksFieldsRoundTrip) {
  ASSERT_TRUE(Configure(store(), "hc",
                        {.interval_secs = 300,
                         .name = "Nightly backup",
                         .tags = "prod db",
                         .desc = "the dump",
                         .methods = "POST",
                         .manual_resume = false},
                        kT0)
                  .ok());
  MustPing("hc", std::nullopt, kT0 + 1);
  std::optional<Monitor> m = Get("hc", kT0 + 2);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->name, "Nightly backup");
  EXPECT_EQ(m->tags, "prod db");
  EXPECT_EQ(m->desc, "the dump");
  EXPECT_EQ(m->methods, "POST");
  EXPECT_FALSE(m->manual_resume);
  ASSERT_TRUE(Configure(store(), "hc", {.name = "", .tags = ""}, kT0 + 3).ok());
  m = Get("hc", kT0 + 4);
  EXPECT_EQ(m->name, "");
  EXPECT_EQ(m->tags, "");
  EXPECT_EQ(m->desc, "the dump");
}

TEST_P(StoreContractTest, ListShowsOnlyTheProjectsMonitors) {
  PingMany({"alpha", "beta", "ops/alpha", "ops/gamma", "ops/delta", "dev/alpha", "opsx/alpha"}, 300,
           kT0);
  EXPECT_EQ(ListProjectSlugs(store(), "default", 10, kT0 + 1),
            (std::vector<std::string>{"alpha", "beta"}));
  EXPECT_EQ(ListProjectSlugs(store(), "ops", 10, kT0 + 1),
            (std::vector<std::string>{"ops/alpha", "ops/delta", "ops/gamma"}));
  EXPECT_EQ(ListProjectSlugs(store(), "ops", 1, kT0 + 1),
            (std::vector<std::string>{"ops/alpha", "ops/delta", "ops/gamma"}))
      << "page by page";
  EXPECT_EQ(ListProjectSlugs(store(), "dev", 10, kT0 + 1), (std::vector<std::string>{"dev/alpha"}));
  EXPECT_TRUE(ListProjectSlugs(store(), "none", 10, kT0 + 1).empty());
}

TEST_P(StoreContractTest, ProjectsAreAddedListedGivenANewPingKeyAndRemovedWhenEmpty) {
  ASSERT_TRUE(Await<void>([&](Callback<void> cb) {
                store().EnsureDefaultProject(kT0, std::move(cb));
              }).ok());
  ASSERT_TRUE(Await<void>([&](Callback<void> cb) {
                store().EnsureDefaultProject(kT0 + 1, std::move(cb));
              }).ok())
      << "idempotent";
  const std::string key1 = "abcdefghij0123456789ab";
  const std::string key2 = "bbcdefghij0123456789ab";
  ASSERT_TRUE(AddProject(store(), "ops", key1, kT0 + 2).ok());
  Status again = AddProject(store(), "ops", key2, kT0 + 3);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  std::vector<ProjectRecord> projects = ListProjects(store());
  ASSERT_EQ(projects.size(), 2u);
  EXPECT_EQ(projects[0].name, "default");
  EXPECT_EQ(projects[0].created_at, kT0);
  EXPECT_TRUE(IsPingKey(projects[0].ping_key)) << projects[0].ping_key;
  EXPECT_EQ(projects[1].name, "ops");
  EXPECT_EQ(projects[1].ping_key, key1);
  EXPECT_EQ(projects[1].created_at, kT0 + 2);

  ASSERT_TRUE(
      Await<void>([&](Callback<void> cb) { store().SetPingKey("ops", key2, std::move(cb)); }).ok());
  EXPECT_EQ(ListProjects(store())[1].ping_key, key2);
  Status missing =
      Await<void>([&](Callback<void> cb) { store().SetPingKey("nope", key1, std::move(cb)); });
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

  Status removed = RemoveProject(store(), "default", kT0 + 4);
  ASSERT_FALSE(removed.ok());
  EXPECT_EQ(removed.error().code, ErrorCode::kInvalidArgument);
  removed = RemoveProject(store(), "nope", kT0 + 4);
  ASSERT_FALSE(removed.ok());
  EXPECT_EQ(removed.error().code, ErrorCode::kNotFound);

  MustPing("ops/job", 300, kT0 + 5);
  removed = RemoveProject(store(), "ops", kT0 + 6);
  ASSERT_FALSE(removed.ok());
  EXPECT_EQ(removed.error().code, ErrorCode::kConflict) << "a live monitor";
  ASSERT_TRUE(*Delete("ops/job", kT0 + 7));
  ASSERT_TRUE(Await<void>([&](Callback<void> cb) {
                store().AddKey(ApiKeyRecord{.key_hash = kHashA,
                                            .description = "ops key",
                                            .created_at = kT0,
                                            .last_used_at = std::nullopt,
                                            .project = "ops"},
                               std::move(cb));
              }).ok());
  removed = RemoveProject(store(), "ops", kT0 + 8);
  ASSERT_FALSE(removed.ok());
  EXPECT_EQ(removed.error().code, ErrorCode::kConflict) << "a key";
  ASSERT_TRUE(RevokeKey(kHashA).ok());
  removed = RemoveProject(store(), "ops", kT0 + 9);
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  projects = ListProjects(store());
  ASSERT_EQ(projects.size(), 1u);
  EXPECT_EQ(projects[0].name, "default");
  EXPECT_TRUE(ListKeys().empty()) << "projects are no keys";
}

TEST_P(StoreContractTest, AProjectWhoseMonitorsExpiredCanBeRemoved) {
  ASSERT_TRUE(AddProject(store(), "ops", "abcdefghij0123456789ab", kT0).ok());
  MustPing("ops/old", 300, kT0);
  Status removed = RemoveProject(store(), "ops", kT0 + kExpiryMillis);
  EXPECT_TRUE(removed.ok()) << removed.error().message;
}

TEST_P(StoreContractTest, KeysKeepTheirProjectAndRole) {
  ASSERT_TRUE(Await<void>([&](Callback<void> cb) {
                store().AddKey(ApiKeyRecord{.key_hash = kHashA,
                                            .description = "reader",
                                            .created_at = kT0,
                                            .last_used_at = std::nullopt,
                                            .project = "ops",
                                            .read_only = true},
                               std::move(cb));
              }).ok());
  ASSERT_TRUE(AddKey(kHashB, "writer", kT0).ok());
  std::vector<ApiKeyRecord> keys = ListKeys();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].project, "ops");
  EXPECT_TRUE(keys[0].read_only);
  EXPECT_FALSE(keys[0].clear_text);
  EXPECT_EQ(keys[1].project, "default");
  EXPECT_FALSE(keys[1].read_only);
  ASSERT_TRUE(TouchKeys({{kHashA, kT0 + 5}}).ok());
  EXPECT_EQ(FindKey(kHashA)->last_used_at, kT0 + 5);
  EXPECT_TRUE(FindKey(kHashA)->read_only);
}

TEST_P(StoreContractTest, TheLimitRefusesACreationPastItAndChangesNothing) {
  store().LimitMonitors(2);
  MustPing("first", 300, kT0);
  MustPing("second", std::nullopt, kT0 + 1);
  Result<Monitor> third = Ping("third", 300, kT0 + 2);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code, ErrorCode::kForbidden) << third.error().message;
  EXPECT_NE(third.error().message.find("limit"), std::string::npos) << third.error().message;
  EXPECT_FALSE(Get("third", kT0 + 3).has_value());
  Result<Monitor> failed = Fail("third", kT0 + 3);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::kForbidden);
  Result<Store::Mutated> put = Configure(store(), "third", {.interval_secs = 60}, kT0 + 3);
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().code, ErrorCode::kForbidden);
  EXPECT_FALSE(Get("third", kT0 + 4).has_value());
  EXPECT_EQ(ListAll(10, kT0 + 4), (std::vector<std::string>{"first", "second"}));
  // What exists still takes every signal.
  EXPECT_EQ(MustPing("first", std::nullopt, kT0 + 5).last_ping, kT0 + 5);
  EXPECT_TRUE(MustFail("second", kT0 + 6).failed());
  // Another project has room of its own.
  MustPing("ops/third", 300, kT0 + 7);
  // A deletion makes room.
  ASSERT_TRUE(*Delete("first", kT0 + 8));
  EXPECT_TRUE(Ping("third", 300, kT0 + 9).ok());
}

// ---------------------------------------------------------------------------------------
// Channels and alert policies (SPEC §14)

TEST_P(StoreContractTest, EveryAlertPolicyFieldRoundTrips) {
  MustPing("db", 300, kT0);
  auto write = [&](std::function<void(Monitor&)> change) {
    Result<Store::Mutated> r = Await<Store::Mutated>([&](Callback<Store::Mutated> cb) {
      store().Mutate(
          "db",
          [&](const std::optional<Monitor>& current) -> Result<Mutation> {
            Monitor m = *current;
            change(m);
            return Mutation::Put(std::move(m));
          },
          std::move(cb));
    });
    ASSERT_TRUE(r.ok()) << r.error().message;
  };
  write([](Monitor& m) {
    m.channels = std::vector<std::string>{"ops", "telegram", "team-mail"};
    m.repeat_secs = 900;
    m.down_after = 3;
    m.fail_streak = 2;
    m.failed_at = kT0 + 1;
    m.snoozed_until = kT0 + kHour + 7;
    m.alert = {.first_alerted_at = kT0 + 2,
               .last_alerted_at = kT0 + 2,
               .alert_count = 1,
               .down_since = kT0 + 1,
               .acknowledged = true};
  });
  std::optional<Monitor> m = Get("db", kT0 + 3);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->channels, (std::vector<std::string>{"ops", "telegram", "team-mail"}));
  EXPECT_EQ(m->repeat_secs, 900);
  EXPECT_EQ(m->down_after, 3);
  EXPECT_EQ(m->fail_streak, 2);
  EXPECT_EQ(m->snoozed_until, kT0 + kHour + 7);
  EXPECT_TRUE(m->alert.acknowledged);

  // A ping (the fast path) ends the streak of failures and keeps every policy.
  Monitor pinged = MustPing("db", std::nullopt, kT0 + 4);
  m = Get("db", kT0 + 5);
  ASSERT_TRUE(m.has_value());
  for (const Monitor* after : {&pinged, &*m}) {
    EXPECT_EQ(after->fail_streak, 0);
    EXPECT_EQ(after->failed_at, std::nullopt);
    EXPECT_EQ(after->channels, (std::vector<std::string>{"ops", "telegram", "team-mail"}));
    EXPECT_EQ(after->repeat_secs, 900);
    EXPECT_EQ(after->down_after, 3);
    EXPECT_EQ(after->snoozed_until, kT0 + kHour + 7);
    EXPECT_TRUE(after->alert.acknowledged);
  }

  // No channels at all is not "all channels"; "never" (0) is not "the default".
  write([](Monitor& m) {
    m.channels = std::vector<std::string>{};
    m.repeat_secs = 0;
    m.snoozed_until = std::nullopt;
    m.alert = {};
  });
  m = Get("db", kT0 + 6);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->channels, std::vector<std::string>{});
  EXPECT_EQ(m->repeat_secs, 0);
  EXPECT_EQ(m->snoozed_until, std::nullopt);
  EXPECT_FALSE(m->alert.acknowledged);
  write([](Monitor& m) {
    m.channels = std::nullopt;
    m.repeat_secs = std::nullopt;
    m.down_after = 1;
  });
  m = Get("db", kT0 + 7);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->channels, std::nullopt);
  EXPECT_EQ(m->repeat_secs, std::nullopt);
  EXPECT_EQ(m->down_after, 1);
}

TEST_P(StoreContractTest, PolicySettingsAndFailuresAreKeptThroughTheStoresRules) {
  ASSERT_TRUE(Configure(store(), "job",
                        {.interval_secs = 300,
                         .channels = std::vector<std::string>{"ops"},
                         .repeat_secs = 600,
                         .down_after = 2},
                        kT0)
                  .ok());
  MustFail("job", kT0 + 1);
  MustFail("job", kT0 + 2);
  std::optional<Monitor> m = Get("job", kT0 + 3);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->fail_streak, 2);
  EXPECT_EQ(m->channels, std::vector<std::string>{"ops"});
  EXPECT_EQ(m->repeat_secs, 600);
  EXPECT_EQ(m->down_after, 2);
  ASSERT_TRUE(Await<bool>([&](Callback<bool> cb) {
                store().Snooze("job", kT0 + kHour, kT0 + 3, std::move(cb));
              }).value());
  EXPECT_EQ(Get("job", kT0 + 4)->snoozed_until, kT0 + kHour);
  // A success ends the streak, through whichever path the store takes.
  MustPing("job", std::nullopt, kT0 + 5);
  m = Get("job", kT0 + 6);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->fail_streak, 0);
  EXPECT_EQ(m->snoozed_until, kT0 + kHour);
  // down_after 2: the first alert waits for the second missed deadline.
  EXPECT_EQ(m->check_at, kT0 + 5 + 2 * 300'000 + 1);
}

// Alerted with repeat `never`: nothing to look at until a ping (core's NextCheckAt says
// none), which a store must keep as none, not take for "as after a ping".
TEST_P(StoreContractTest, AnAlertedMonitorThatNeverRepeatsIsNotDueUntilAPing) {
  ASSERT_TRUE(Configure(store(), "job", {.interval_secs = 300, .repeat_secs = 0}, kT0).ok());
  QueueFailedAlert("job", kT0 + 1);
  std::optional<Monitor> m = Get("job", kT0 + 2);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->alert.alert_count, 1);
  EXPECT_EQ(m->check_at, std::nullopt);
  auto due = [&](UnixMillis now) {
    return Await<std::vector<Monitor>>([&](Callback<std::vector<Monitor>> cb) {
             store().DueMonitors(now, 100, std::move(cb));
           })
        .value()
        .size();
  };
  EXPECT_EQ(due(kT0 + kDay), 0u);
  // A ping: its recovery is due at once.
  MustPing("job", std::nullopt, kT0 + kHour);
  EXPECT_EQ(Get("job", kT0 + kHour)->check_at, kT0 + kHour);
  EXPECT_EQ(due(kT0 + kHour), 1u);
}

TEST_P(StoreContractTest, AnAlertFannedOutToTwoChannelsIsTwoEntries) {
  MustPing("db", 300, kT0 - 1);
  const std::string uuid = Get("db", kT0)->uuid;
  QueueFailedAlert("db", kT0, {"telegram", "ops"});
  EXPECT_EQ(PendingAlerts(), 2);
  EXPECT_EQ(EarliestAlertAttempt(), kT0);
  std::vector<PendingAlert> claimed = Claim(kT0, "a");
  EXPECT_EQ(Names(claimed), (std::vector<std::string>{"db@ops:failed", "db@telegram:failed"}));
  for (const PendingAlert& p : claimed) {
    EXPECT_EQ(p.alert.uuid, uuid);
    EXPECT_EQ(p.alert.at, kT0);
    EXPECT_EQ(p.attempts, 1);
  }
  // Delivered to one channel, the other still waits.
  ASSERT_EQ(claimed.size(), 2u);
  ASSERT_TRUE(Finish(claimed[0], "a").ok());
  EXPECT_EQ(PendingAlerts(), 1);
}

TEST_P(StoreContractTest, ChannelsOfOneMonitorAreClaimedIndependently) {
  MustPing("db", 300, kT0 - 1);
  QueueAlerts("db", {AlertTo("a", AlertKind::kOverdue, kT0), AlertTo("b", AlertKind::kOverdue, kT0),
                     AlertTo("a", AlertKind::kRecovered, kT0 + 1),
                     AlertTo("b", AlertKind::kRecovered, kT0 + 1)});
  EXPECT_EQ(PendingAlerts(), 4);
  std::vector<PendingAlert> heads = Claim(kT0 + 1, "s1");
  ASSERT_EQ(Names(heads), (std::vector<std::string>{"db@a:overdue", "db@b:overdue"}));
  std::map<std::string, PendingAlert> by_channel;
  for (const PendingAlert& p : heads) by_channel[p.alert.channel] = p;

  // a's head is still leased: b's next one goes regardless once b's head is delivered.
  ASSERT_TRUE(Finish(by_channel["b"], "s1").ok());
  std::vector<PendingAlert> next = Claim(kT0 + 2, "s2");
  ASSERT_EQ(Names(next), (std::vector<std::string>{"db@b:recovered"}));
  ASSERT_TRUE(Finish(next[0], "s2").ok());

  // a's head is retried later: a's recovery waits behind it, in order.
  ASSERT_TRUE(Retry(by_channel["a"], "s1", kT0 + 20'000).ok());
  EXPECT_TRUE(Claim(kT0 + 19'999, "s2").empty());
  EXPECT_EQ(EarliestAlertAttempt(), kT0 + 20'000);
  std::vector<PendingAlert> again = Claim(kT0 + 20'000, "s2");
  ASSERT_EQ(Names(again), (std::vector<std::string>{"db@a:overdue"}));
  EXPECT_EQ(again[0].attempts, 2);
  ASSERT_TRUE(Finish(again[0], "s2").ok());
  std::vector<PendingAlert> last = Claim(kT0 + 20'000, "s2");
  ASSERT_EQ(Names(last), (std::vector<std::string>{"db@a:recovered"}));
  ASSERT_TRUE(Finish(last[0], "s2").ok());
  EXPECT_EQ(PendingAlerts(), 0);
  EXPECT_EQ(EarliestAlertAttempt(), std::nullopt);
}

TEST_P(StoreContractTest, ARetriedHeadOfOneChannelNeverHoldsBackAnother) {
  MustPing("db", 300, kT0 - 1);
  QueueAlerts("db",
              {AlertTo("a", AlertKind::kOverdue, kT0), AlertTo("b", AlertKind::kOverdue, kT0)});
  std::vector<PendingAlert> heads = Claim(kT0, "s1");
  ASSERT_EQ(heads.size(), 2u);
  for (const PendingAlert& p : heads) {
    // a's delivery fails and waits a minute; b's lease lapses (its sender died).
    if (p.alert.channel == "a") {
      ASSERT_TRUE(Retry(p, "s1", kT0 + kMinute).ok());
    }
  }
  EXPECT_EQ(EarliestAlertAttempt(), kT0 + 30'000);  // b's lease ends first
  std::vector<PendingAlert> b = Claim(kT0 + 30'000, "s2");
  ASSERT_EQ(Names(b), (std::vector<std::string>{"db@b:overdue"}));
  EXPECT_EQ(EarliestAlertAttempt(), kT0 + kMinute);
  // A later alert to b goes while a still waits.
  ASSERT_TRUE(Finish(b[0], "s2").ok());
  QueueAlerts("db", {AlertTo("b", AlertKind::kRepeat, kT0 + 40'000)});
  std::vector<PendingAlert> repeat = Claim(kT0 + 40'000, "s2");
  ASSERT_EQ(Names(repeat), (std::vector<std::string>{"db@b:repeat"}));
}

TEST_P(StoreContractTest, OrderIsKeptWithinOneMonitorAndChannel) {
  MustPing("db", 300, kT0 - 1);
  QueueAlerts("db", {AlertTo("a", AlertKind::kOverdue, kT0)});
  QueueAlerts("db", {AlertTo("a", AlertKind::kRepeat, kT0 + 1)});
  QueueAlerts("db", {AlertTo("a", AlertKind::kRecovered, kT0 + 2)});
  std::vector<std::string> sent;
  for (int i = 0; i < 5; ++i) {
    std::vector<PendingAlert> claimed = Claim(kT0 + 10, "s");
    if (claimed.empty()) break;
    ASSERT_EQ(claimed.size(), 1u) << "two alerts of one monitor and channel at once";
    sent.push_back(std::string(ToString(claimed[0].alert.kind)));
    EXPECT_TRUE(Claim(kT0 + 10, "other").empty());
    ASSERT_TRUE(Finish(claimed[0], "s").ok());
  }
  EXPECT_EQ(sent, (std::vector<std::string>{"overdue", "repeat", "recovered"}));
}

TEST_P(StoreContractTest, ClaimSkipsTheChannelsItIsToldTo) {
  MustPing("db", 300, kT0 - 1);
  MustPing("team/db", 300, kT0 - 1);
  QueueAlerts("db",
              {AlertTo("a", AlertKind::kOverdue, kT0), AlertTo("b", AlertKind::kOverdue, kT0)});
  QueueAlerts("team/db", {AlertTo("team/a", AlertKind::kOverdue, kT0)});
  EXPECT_EQ(Names(Claim(kT0, "s", 30'000, 10, {"a", "team/a"})),
            (std::vector<std::string>{"db@b:overdue"}));
  // The skipped ones are neither leased nor counted as attempts.
  std::vector<PendingAlert> rest = Claim(kT0, "t", 30'000, 10, {"b"});
  EXPECT_EQ(Names(rest), (std::vector<std::string>{"db@a:overdue", "team/db@team/a:overdue"}));
  for (const PendingAlert& p : rest) EXPECT_EQ(p.attempts, 1);
  EXPECT_TRUE(Claim(kT0, "u").empty());
}

TEST_P(StoreContractTest, AClaimTakesNoMoreOfAChannelThanItsRoom) {
  // Three monitors with an alert to each of channels a and b, queued in that order.
  for (const char* slug : {"m1", "m2", "m3"}) {
    MustPing(slug, 300, kT0 - 1);
    QueueAlerts(slug,
                {AlertTo("a", AlertKind::kOverdue, kT0), AlertTo("b", AlertKind::kOverdue, kT0)});
  }
  // a: 2 per channel, 1 already in flight: room for 1; b: room for 2. Oldest first.
  std::vector<PendingAlert> claimed =
      ClaimWithin(kT0, "s", ClaimRoom{.in_flight = {{"a", 1}}, .per_channel = 2});
  EXPECT_EQ(Names(claimed),
            (std::vector<std::string>{"m1@a:overdue", "m1@b:overdue", "m2@b:overdue"}));
  // The rest, taken when the room allows; the limit still counts.
  EXPECT_EQ(Names(ClaimWithin(kT0, "t", ClaimRoom{.per_channel = 1}, 30'000, 1)),
            (std::vector<std::string>{"m2@a:overdue"}));
  EXPECT_EQ(Names(ClaimWithin(kT0, "t", ClaimRoom{})),
            (std::vector<std::string>{"m3@a:overdue", "m3@b:overdue"}));
}

// Two claims of one sender in the same millisecond, the first with room for channel a
// only: the second takes b's head, never a's again (a store that spots a retried claim by
// its lease must not mistake the first claim for it).
TEST_P(StoreContractTest, TwoClaimsOfOneSenderInOneMillisecondTakeEachHeadOnce) {
  MustPing("m", 300, kT0 - 1);
  QueueAlerts("m",
              {AlertTo("a", AlertKind::kOverdue, kT0), AlertTo("b", AlertKind::kOverdue, kT0)});
  EXPECT_EQ(Names(ClaimWithin(kT0, "s", ClaimRoom{.skip = {"b"}})),
            (std::vector<std::string>{"m@a:overdue"}));
  EXPECT_EQ(Names(ClaimWithin(kT0, "s", ClaimRoom{.skip = {"a"}})),
            (std::vector<std::string>{"m@b:overdue"}));
  EXPECT_TRUE(ClaimWithin(kT0, "s", ClaimRoom{}).empty());
}

TEST_P(StoreContractTest, EarliestAlertAttemptLooksAtTheHeadOfEachChannel) {
  MustPing("db", 300, kT0 - 1);
  QueueAlerts("db",
              {AlertTo("a", AlertKind::kOverdue, kT0), AlertTo("b", AlertKind::kOverdue, kT0)});
  std::vector<PendingAlert> heads = Claim(kT0, "s");
  ASSERT_EQ(heads.size(), 2u);
  for (const PendingAlert& p : heads) {
    ASSERT_TRUE(Retry(p, "s", p.alert.channel == "a" ? kT0 + 50'000 : kT0 + 20'000).ok());
  }
  // Behind a's head: ready at once, but not claimable before its head.
  QueueAlerts("db", {AlertTo("a", AlertKind::kRecovered, kT0 + 1)});
  EXPECT_EQ(EarliestAlertAttempt(), kT0 + 20'000);
  EXPECT_TRUE(Claim(kT0 + 19'999, "s").empty());
  std::vector<PendingAlert> b = Claim(kT0 + 20'000, "s");
  ASSERT_EQ(Names(b), (std::vector<std::string>{"db@b:overdue"}));
  ASSERT_TRUE(Finish(b[0], "s").ok());
  EXPECT_EQ(EarliestAlertAttempt(), kT0 + 50'000);
}

TEST_P(StoreContractTest, ARejectedAlertOnOneChannelHoldsBackNothing) {
  MustPing("db", 300, kT0 - 1);
  QueueAlerts("db", {AlertTo("a", AlertKind::kOverdue, kT0), AlertTo("b", AlertKind::kOverdue, kT0),
                     AlertTo("a", AlertKind::kRecovered, kT0 + 1)});
  std::vector<PendingAlert> heads = Claim(kT0 + 1, "s");
  ASSERT_EQ(heads.size(), 2u);
  for (const PendingAlert& p : heads) {
    if (p.alert.channel == "a") {
      ASSERT_TRUE(Reject(p, "s").ok());
    }
  }
  EXPECT_EQ(PendingAlerts(), 2);  // b's head (leased) and a's recovery
  std::vector<PendingAlert> next = Claim(kT0 + 1, "t");
  EXPECT_EQ(Names(next), (std::vector<std::string>{"db@a:recovered"}));
}

TEST_P(StoreContractTest, DeleteAndAFreshStartDropTheAlertsOfEveryChannel) {
  MustPing("db", 300, kT0 - 1);
  QueueAlerts("db",
              {AlertTo("a", AlertKind::kOverdue, kT0), AlertTo("b", AlertKind::kOverdue, kT0)});
  ASSERT_TRUE(Delete("db", kT0).value());
  EXPECT_EQ(PendingAlerts(), 0);
  EXPECT_TRUE(Claim(kT0, "s").empty());

  MustPing("db", 300, kT0 + 1);
  QueueAlerts("db", {AlertTo("a", AlertKind::kOverdue, kT0 + 1),
                     AlertTo("b", AlertKind::kOverdue, kT0 + 1)});
  QueueAlerts("db", {AlertTo("b", AlertKind::kFailed, kT0 + 2)}, /*fresh=*/true);
  EXPECT_EQ(PendingAlerts(), 1);
  EXPECT_EQ(Names(Claim(kT0 + 2, "s")), (std::vector<std::string>{"db@b:failed"}));
}

TEST_P(StoreContractTest, ChannelsAreAddedListedByProjectAndNameAndRemoved) {
  EXPECT_TRUE(ListChannels().empty());
  const ChannelRecord tg{.project = "default",
                         .name = "telegram",
                         .kind = "telegram",
                         .config = R"({"bot_token":"1:x","chat_id":"-100"})",
                         .created_at = kT0};
  const ChannelRecord ops{.project = "default",
                          .name = "ops",
                          .kind = "webhook",
                          .config = R"({"url":"https://example.com/h?a=\"b\"","method":"POST"})",
                          .created_at = kT0 + 1};
  const ChannelRecord team{.project = "team",
                           .name = "ops",
                           .kind = "email",
                           .config = R"({"to":["ops@example.com"]})",
                           .created_at = kT0 + 2};
  ASSERT_TRUE(AddChannel(tg).ok());
  ASSERT_TRUE(AddChannel(team).ok());
  ASSERT_TRUE(AddChannel(ops).ok());  // the same name in another project
  EXPECT_EQ(ListChannels(), (std::vector<ChannelRecord>{ops, tg, team}));

  ChannelRecord again = ops;
  again.kind = "slack";
  Status taken = AddChannel(again);
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().code, ErrorCode::kConflict);
  EXPECT_EQ(taken.error().message, "a channel named ops already exists");
  EXPECT_EQ(ListChannels(), (std::vector<ChannelRecord>{ops, tg, team}));  // unchanged

  ASSERT_TRUE(RemoveChannel("default", "ops").ok());
  EXPECT_EQ(ListChannels(), (std::vector<ChannelRecord>{tg, team}));
  for (auto [project, name] : {std::pair<std::string, std::string>{"default", "ops"},
                               {"default", "mail"},
                               {"other", "telegram"}}) {
    Status gone = RemoveChannel(project, name);
    ASSERT_FALSE(gone.ok()) << project << "/" << name;
    EXPECT_EQ(gone.error().code, ErrorCode::kNotFound) << project << "/" << name;
  }
  // Channels are neither keys nor projects.
  EXPECT_TRUE(ListKeys().empty());
  // Removed, the name is free again.
  ASSERT_TRUE(AddChannel(again).ok());
  EXPECT_EQ(ListChannels(), (std::vector<ChannelRecord>{again, tg, team}));
}

// ---------------------------------------------------------------------------------------
// Implementations

std::unique_ptr<Store> MakeSqliteStore(const std::string& dir) {
  Result<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open({.path = dir + "/heartbeat.db"});
  if (!opened.ok()) {
    ADD_FAILURE() << "open: " << opened.error().message;
    return nullptr;
  }
  return std::move(*opened);
}

// Writes alert state with a separate connection, as another process could.
void SetSqliteAlertState(const std::string& dir, const std::string& slug, UnixMillis alerted_at,
                         std::int64_t count) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2((dir + "/heartbeat.db").c_str(), &db, SQLITE_OPEN_READWRITE, nullptr),
            SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "UPDATE monitors SET first_alerted_at = ?2, last_alerted_at = ?2, "
                               "alert_count = ?3 WHERE slug = ?1",
                               -1, &st, nullptr),
            SQLITE_OK);
  sqlite3_bind_text(st, 1, slug.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, alerted_at);
  sqlite3_bind_int64(st, 3, count);
  EXPECT_EQ(sqlite3_step(st), SQLITE_DONE);
  EXPECT_EQ(sqlite3_changes(db), 1);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

std::unique_ptr<Store> MakeDynamoStore(const std::string& dir) {
  try {
    return testing::OpenTestDynamoStore(dir);
  } catch (const std::exception& e) {
    ADD_FAILURE() << e.what();
    return nullptr;
  }
}

// Writes alert state with a client of the test's own, as the Rust checker would (its
// seconds, plus our milliseconds).
void SetDynamoAlertState(const std::string& dir, const std::string& slug, UnixMillis alerted_at,
                         std::int64_t count) {
  static std::unique_ptr<AsyncHttpClient> http = MakeCurlMultiHttpClient();
  static aws::DynamoClient client(*http, testing::Dynalite::Shared().ClientOptions());
  aws::Item times;
  dynamo::SetTime(times, "t", alerted_at);
  aws::UpdateItemRequest u;
  u.table = testing::DynamoTablesOf(dir).monitors;
  u.key = {{"slug", aws::AttributeValue::S(slug)}};
  u.update =
      "SET first_alerted_at = :s, first_alerted_at_frac_ms = :f, last_alerted_at = :s, "
      "last_alerted_at_frac_ms = :f, alert_count = :n, rev = rev + :one";
  u.condition = "attribute_exists(slug)";
  u.values = {{":s", times.at("t")},
              {":f", times.at("t_frac_ms")},
              {":n", aws::AttributeValue::N(count)},
              {":one", aws::AttributeValue::N(1)}};
  auto r = testing::AwaitDynamo<std::optional<aws::Item>>(
      [&](auto cb) { client.UpdateItem(u, std::move(cb)); });
  ASSERT_TRUE(r.ok()) << r.error().message;
}

// The MemoryStore made for each test directory, for the alert-state hook: its data lives
// in the store object. An entry outlives its store, but a test only uses its own.
std::map<std::string, Store*>& MemoryStoresByDir() {
  static std::map<std::string, Store*> stores;
  return stores;
}

std::unique_ptr<Store> MakeMemoryStore(const std::string& dir) {
  auto store = std::make_unique<MemoryStore>();
  MemoryStoresByDir()[dir] = store.get();
  return store;
}

// Writes alert state through Mutate, as the checker would.
void SetMemoryAlertState(const std::string& dir, const std::string& slug, UnixMillis alerted_at,
                         std::int64_t count) {
  Store* store = MemoryStoresByDir().at(dir);
  Store::MutateFn set = [&](const std::optional<Monitor>& current) -> Result<Mutation> {
    if (!current) return NotFound("no monitor " + slug);
    Monitor m = *current;
    m.alert.first_alerted_at = alerted_at;
    m.alert.last_alerted_at = alerted_at;
    m.alert.alert_count = count;
    return Mutation::Put(std::move(m));
  };
  Result<Store::Mutated> r = Await<Store::Mutated>(
      [&](Callback<Store::Mutated> cb) { store->Mutate(slug, set, std::move(cb)); });
  ASSERT_TRUE(r.ok()) << r.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Stores, StoreContractTest,
    ::testing::Values(StoreFactory{"Sqlite", MakeSqliteStore, SetSqliteAlertState},
                      StoreFactory{"Dynamo", MakeDynamoStore, SetDynamoAlertState},
                      StoreFactory{"Memory", MakeMemoryStore, SetMemoryAlertState}),
    [](const ::testing::TestParamInfo<StoreFactory>& info) { return info.param.name; });

}  // namespace
}  // namespace heartbeat
