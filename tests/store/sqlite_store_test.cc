// What is particular to the SQLite store: the file, its schema versions, WAL, group
// commit, durability across a crash, and reads that never wait for the writer. The
// behaviour every store shares is in store_contract_test.cc.

#include "store/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/interval.h"
#include "core/monitor.h"
#include "store/sqlite/db.h"
#include "store/sqlite/page_cache.h"
#include "store/sqlite/schema.h"
#include "support/temp_dir.h"
#include "support/test_time.h"

namespace heartbeat {
namespace {

using testing::kT0;

using namespace std::chrono_literals;

// A plain SQLite connection (default VFS), as another process or the sqlite3 shell has.
class RawDb {
 public:
  explicit RawDb(const std::string& path, int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) {
    rc_ = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    sqlite3_busy_timeout(db_, 5000);
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3* get() const { return db_; }

  // Runs SQL; returns "" on success, else SQLite's message.
  std::string Exec(std::string_view sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err);
    std::string msg = rc == SQLITE_OK ? "" : (err != nullptr ? err : sqlite3_errstr(rc));
    sqlite3_free(err);
    return msg;
  }
  // The first column of the first row, or nullopt when there is none or it is NULL.
  std::optional<std::int64_t> Int(const std::string& sql) {
    std::optional<std::int64_t> out;
    Query(sql, [&](sqlite3_stmt* st) {
      if (sqlite3_column_type(st, 0) != SQLITE_NULL) out = sqlite3_column_int64(st, 0);
    });
    return out;
  }
  std::optional<std::string> Text(const std::string& sql) {
    std::optional<std::string> out;
    Query(sql, [&](sqlite3_stmt* st) {
      if (const unsigned char* p = sqlite3_column_text(st, 0))
        out = reinterpret_cast<const char*>(p);
    });
    return out;
  }

 private:
  template <class Fn>
  void Query(const std::string& sql, Fn&& on_first_row) {
    sqlite3_stmt* st = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr);
    ASSERT_EQ(rc, SQLITE_OK) << sql << ": " << sqlite3_errmsg(db_);
    rc = sqlite3_step(st);
    EXPECT_TRUE(rc == SQLITE_ROW || rc == SQLITE_DONE) << sql << ": " << sqlite3_errmsg(db_);
    if (rc == SQLITE_ROW) on_first_row(st);
    sqlite3_finalize(st);
  }

  sqlite3* db_ = nullptr;
  int rc_ = SQLITE_ERROR;
};

std::unique_ptr<SqliteStore> MustOpen(const std::string& path) {
  Result<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open({.path = path});
  EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error().message);
  return opened.ok() ? std::move(*opened) : nullptr;
}

Result<Monitor> Ping(Store& store, const std::string& slug, std::optional<std::int64_t> interval,
                     UnixMillis now) {
  return Await<Monitor>(
      [&](Callback<Monitor> cb) { store.Ping(slug, interval, now, std::move(cb)); });
}

std::optional<Monitor> Get(Store& store, const std::string& slug, UnixMillis now) {
  Result<std::optional<Monitor>> r = Await<std::optional<Monitor>>(
      [&](Callback<std::optional<Monitor>> cb) { store.Get(slug, now, std::move(cb)); });
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : std::nullopt;
}

// Counts answers to many asynchronous writes.
struct Tally {
  std::mutex mu;
  std::condition_variable cv;
  std::size_t answered = 0;
  std::size_t ok = 0;
  std::string first_error;

  heartbeat::Callback<Monitor> Done() {
    return [this](Result<Monitor> r) {
      std::lock_guard lock(mu);
      ++answered;
      if (r.ok()) {
        ++ok;
      } else if (first_error.empty()) {
        first_error = r.error().message;
      }
      cv.notify_all();
    };
  }
  std::size_t Answered() {
    std::lock_guard lock(mu);
    return answered;
  }
  bool WaitFor(std::size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [&] { return answered >= n; });
  }
};

// ---------------------------------------------------------------------------------------
// The file

TEST(SqliteStoreTest, DataSurvivesCloseAndReopen) {
  testing::TempDir dir;
  const std::string path = dir.file("heartbeat.db");
  {
    auto store = MustOpen(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(Ping(*store, "backup", 3600, kT0).ok());
    ASSERT_TRUE(Ping(*store, "paused", 60, kT0).ok());
    ASSERT_TRUE(Await<bool>([&](Callback<bool> cb) {
                  store->Pause("paused", kT0 + 1, std::move(cb));
                }).value());
    ASSERT_TRUE(Await<Monitor>([&](Callback<Monitor> cb) {
                  store->Fail("failed", kT0 + 2, std::move(cb));
                }).ok());
    ASSERT_TRUE(Await<void>([&](Callback<void> cb) {
                  store->AddKey({std::string(64, 'a'), "ci", kT0, std::nullopt}, std::move(cb));
                }).ok());
    ASSERT_TRUE(Await<void>([&](Callback<void> cb) {
                  store->TouchKeys({{std::string(64, 'a'), kT0 + 9}}, std::move(cb));
                }).ok());
    store->Close();
  }
  auto store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  std::optional<Monitor> backup = Get(*store, "backup", kT0 + 10);
  ASSERT_TRUE(backup.has_value());
  EXPECT_EQ(backup->interval_secs, 3600);
  EXPECT_EQ(backup->last_ping, kT0);
  EXPECT_EQ(backup->next_due, kT0 + 3'600'000);
  EXPECT_EQ(backup->created_at, kT0);
  EXPECT_EQ(backup->expires_at, kT0 + kExpiryMillis);
  EXPECT_FALSE(backup->paused);
  std::optional<Monitor> paused = Get(*store, "paused", kT0 + 10);
  ASSERT_TRUE(paused.has_value());
  EXPECT_TRUE(paused->paused);
  std::optional<Monitor> failed = Get(*store, "failed", kT0 + 10);
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->failed_at, kT0 + 2);
  EXPECT_EQ(failed->last_ping, std::nullopt);
  Result<std::vector<ApiKeyRecord>> keys = Await<std::vector<ApiKeyRecord>>(
      [&](Callback<std::vector<ApiKeyRecord>> cb) { store->ListKeys(std::move(cb)); });
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].key_hash, std::string(64, 'a'));
  EXPECT_EQ((*keys)[0].description, "ci");
  EXPECT_EQ((*keys)[0].last_used_at, kT0 + 9);
  store->Close();
}

TEST(SqliteStoreTest, OpenCreatesAMissingParentDirectory) {
  testing::TempDir dir;
  const std::string path = dir.file("nested/deeper/heartbeat.db");
  ASSERT_FALSE(std::filesystem::exists(dir.file("nested")));
  auto store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(Ping(*store, "backup", std::nullopt, kT0).ok());
  store->Close();
  EXPECT_TRUE(std::filesystem::is_regular_file(path));
}

TEST(SqliteStoreTest, OpenFailsClearlyWhenTheParentIsAFile) {
  testing::TempDir dir;
  std::ofstream(dir.file("plain")) << "not a directory";
  Result<std::unique_ptr<SqliteStore>> opened =
      SqliteStore::Open({.path = dir.file("plain/heartbeat.db")});
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message.find(dir.file("plain")), std::string::npos)
      << opened.error().message;
}

TEST(SqliteStoreTest, TheFileIsInWalMode) {
  testing::TempDir dir;
  const std::string path = dir.file("heartbeat.db");
  auto store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(Ping(*store, "backup", std::nullopt, kT0).ok());
  RawDb raw(path, SQLITE_OPEN_READONLY);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw.Text("PRAGMA journal_mode"), "wal");
  EXPECT_TRUE(std::filesystem::exists(path + "-wal"));
  store->Close();
}

TEST(SqliteStoreTest, NewDatabaseHasTheCurrentSchemaVersion) {
  testing::TempDir dir;
  const std::string path = dir.file("heartbeat.db");
  auto store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  RawDb raw(path, SQLITE_OPEN_READONLY);
  EXPECT_EQ(raw.Int("PRAGMA user_version"), sqlite::CurrentSchemaVersion());
  EXPECT_GE(sqlite::CurrentSchemaVersion(), 2);
  store->Close();
}

// ---------------------------------------------------------------------------------------
// Schema versions

TEST(SqliteStoreTest, MigratesAVersion1Database) {
  testing::TempDir dir;
  const std::string path = dir.file("heartbeat.db");
  {
    RawDb raw(path);
    ASSERT_TRUE(raw.ok());
    ASSERT_EQ(raw.Exec(sqlite::Migrations()[0]), "");
    ASSERT_EQ(raw.Exec("PRAGMA user_version=1"), "");
    ASSERT_EQ(raw.Exec("INSERT INTO monitors (slug, interval_secs, last_ping, next_due, "
                       "created_at, expires_at, paused, first_alerted_at, last_alerted_at, "
                       "alert_count) VALUES ('legacy', 600, " +
                       std::to_string(kT0) + ", " + std::to_string(kT0 + 600'000) + ", " +
                       std::to_string(kT0 - 1'000) + ", " + std::to_string(kT0 + kExpiryMillis) +
                       ", 1, " + std::to_string(kT0 + 5) + ", " + std::to_string(kT0 + 6) + ", 2)"),
              "");
    ASSERT_EQ(raw.Exec("INSERT INTO api_keys (key_hash, description, created_at) VALUES ('" +
                       std::string(64, 'b') + "', 'old key', " + std::to_string(kT0) + ")"),
              "");
    ASSERT_EQ(raw.Int("PRAGMA user_version"), 1);
  }

  auto store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  {
    RawDb raw(path, SQLITE_OPEN_READONLY);
    EXPECT_EQ(raw.Int("PRAGMA user_version"), sqlite::CurrentSchemaVersion());
  }
  std::optional<Monitor> m = Get(*store, "legacy", kT0 + 1);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->interval_secs, 600);
  EXPECT_EQ(m->last_ping, kT0);
  EXPECT_EQ(m->next_due, kT0 + 600'000);
  EXPECT_EQ(m->created_at, kT0 - 1'000);
  EXPECT_EQ(m->expires_at, kT0 + kExpiryMillis);
  EXPECT_TRUE(m->paused);
  EXPECT_EQ(m->failed_at, std::nullopt);
  EXPECT_EQ(m->alert.first_alerted_at, kT0 + 5);
  EXPECT_EQ(m->alert.last_alerted_at, kT0 + 6);
  EXPECT_EQ(m->alert.alert_count, 2);

  // The new column works on the old row.
  Result<Monitor> failed =
      Await<Monitor>([&](Callback<Monitor> cb) { store->Fail("legacy", kT0 + 7, std::move(cb)); });
  ASSERT_TRUE(failed.ok()) << failed.error().message;
  EXPECT_EQ(failed->failed_at, kT0 + 7);
  Result<std::vector<ApiKeyRecord>> keys = Await<std::vector<ApiKeyRecord>>(
      [&](Callback<std::vector<ApiKeyRecord>> cb) { store->ListKeys(std::move(cb)); });
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].description, "old key");
  store->Close();

  // Opening again is a no-op for the schema.
  store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Get(*store, "legacy", kT0 + 8).value().failed_at, kT0 + 7);
  store->Close();
}

// Version 6 rebuilt `monitors` as a rowid table: every column of a version 5 row, its
// history and the checker's index come through.
TEST(SqliteStoreTest, MigratesAVersion5Database) {
  testing::TempDir dir;
  const std::string path = dir.file("heartbeat.db");
  {
    RawDb raw(path);
    ASSERT_TRUE(raw.ok());
    for (std::size_t v = 0; v < 5; ++v) ASSERT_EQ(raw.Exec(sqlite::Migrations()[v]), "");
    ASSERT_EQ(raw.Exec("PRAGMA user_version=5"), "");
    const std::string t = std::to_string(kT0);
    ASSERT_EQ(raw.Exec("INSERT INTO monitors (slug, interval_secs, last_ping, next_due, "
                       "created_at, expires_at, paused, failed_at, first_alerted_at, "
                       "last_alerted_at, alert_count, check_at, down_since, schedule, tz, "
                       "grace_secs, max_runtime_secs, last_start, running, run_rid, "
                       "last_duration_ms, last_exit_code, fail_tail, pings_seq) VALUES "
                       "('nightly', 86400, " +
                       t + ", " + t + " + 1000, " + t + " - 5000, " + t + " + 9000000, 0, " + t +
                       " + 2, " + t + " + 3, " + t + " + 4, 2, " + t + " + 6, " + t +
                       " + 3, '0 3 * * *', 'Europe/Riga', 900, 3600, " + t +
                       " + 1, 1, 'run-7', 4200, 3, 'disk full', 2)"),
              "");
    ASSERT_EQ(raw.Exec("INSERT INTO pings (slug, n, at, kind, exit_code, rid, duration_ms, "
                       "method, remote_addr, user_agent, body_bytes, body) VALUES "
                       "('nightly', 1, " +
                       t +
                       ", 'start', NULL, 'run-7', NULL, 'GET', "
                       "'10.0.0.1', 'curl', 0, NULL), ('nightly', 2, " +
                       t +
                       " + 1, 'fail', 3, NULL, NULL, 'POST', '10.0.0.1', 'curl', 9, "
                       "'disk full')"),
              "");
  }

  auto store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  {
    RawDb raw(path, SQLITE_OPEN_READONLY);
    EXPECT_EQ(raw.Int("PRAGMA user_version"), sqlite::CurrentSchemaVersion());
  }
  std::optional<Monitor> m = Get(*store, "nightly", kT0 + 1);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->interval_secs, 86400);
  EXPECT_EQ(m->last_ping, kT0);
  EXPECT_EQ(m->next_due, kT0 + 1000);
  EXPECT_EQ(m->created_at, kT0 - 5000);
  EXPECT_EQ(m->expires_at, kT0 + 9'000'000);
  EXPECT_FALSE(m->paused);
  EXPECT_EQ(m->failed_at, kT0 + 2);
  EXPECT_EQ(m->alert.first_alerted_at, kT0 + 3);
  EXPECT_EQ(m->alert.last_alerted_at, kT0 + 4);
  EXPECT_EQ(m->alert.alert_count, 2);
  EXPECT_EQ(m->check_at, kT0 + 6);
  EXPECT_EQ(m->alert.down_since, kT0 + 3);
  EXPECT_EQ(m->schedule, "0 3 * * *");
  EXPECT_EQ(m->tz, "Europe/Riga");
  EXPECT_EQ(m->grace_secs, 900);
  EXPECT_EQ(m->max_runtime_secs, 3600);
  EXPECT_EQ(m->last_start, kT0 + 1);
  EXPECT_TRUE(m->running);
  EXPECT_EQ(m->run_rid, "run-7");
  EXPECT_EQ(m->last_duration_ms, 4200);
  EXPECT_EQ(m->last_exit_code, 3);
  EXPECT_EQ(m->fail_tail, "disk full");
  EXPECT_EQ(m->pings_seq, 2);

  // The history reads as before, and the checker's index finds the monitor.
  auto pings = Await<std::optional<std::vector<PingRecord>>>(
      [&](Callback<std::optional<std::vector<PingRecord>>> cb) {
        store->ListPings("nightly", 10, kT0 + 1, std::move(cb));
      });
  ASSERT_TRUE(pings.ok() && pings->has_value());
  ASSERT_EQ((*pings)->size(), 2u);
  EXPECT_EQ((**pings)[0].n, 2);
  EXPECT_EQ((**pings)[0].exit_code, 3);
  EXPECT_EQ((**pings)[1].rid, "run-7");
  auto due = Await<std::vector<Monitor>>(
      [&](Callback<std::vector<Monitor>> cb) { store->DueMonitors(kT0 + 7, 10, std::move(cb)); });
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].slug, "nightly");
  {
    RawDb raw(path, SQLITE_OPEN_READONLY);
    EXPECT_EQ(raw.Int("SELECT count(*) FROM sqlite_master WHERE name = 'monitors_check_at'"), 1);
  }
  store->Close();
}

// Version 8 (channels and policies): a version 7 monitor reads with the policies'
// defaults, and an alert queued before the upgrade goes to the environment's channel,
// `telegram`, naming its monitor's uuid, still in order behind the one before it.
TEST(SqliteStoreTest, MigratesAVersion7DatabaseWithPendingAlertsToTheTelegramChannel) {
  testing::TempDir dir;
  const std::string path = dir.file("heartbeat.db");
  const std::string uuid = "0b0e6f2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b";
  {
    RawDb raw(path);
    ASSERT_TRUE(raw.ok());
    for (std::size_t v = 0; v < 7; ++v) ASSERT_EQ(raw.Exec(sqlite::Migrations()[v]), "");
    ASSERT_EQ(raw.Exec("PRAGMA user_version=7"), "");
    const std::string t = std::to_string(kT0);
    ASSERT_EQ(
        raw.Exec("INSERT INTO monitors (slug, interval_secs, last_ping, next_due, "
                 "created_at, expires_at, failed_at, first_alerted_at, last_alerted_at, "
                 "alert_count, check_at, down_since, uuid) VALUES ('db', 300, " +
                 t + ", " + t + " + 300000, " + t + ", " + t + " + 9000000, " + t + " + 1, " + t +
                 " + 2, " + t + " + 2, 1, " + t + " + 3600000, " + t + " + 1, '" + uuid + "')"),
        "");
    const std::string entry =
        "INSERT INTO outbox (slug, kind, interval_secs, deadline, decided_at, down_since, "
        "next_attempt_at, state) VALUES ('db', ";
    ASSERT_EQ(raw.Exec(entry + "'repeat', 300, " + t + ", " + t + " + 1, " + t + " + 1, " + t +
                       " + 1, 'rejected')"),
              "");
    ASSERT_EQ(raw.Exec(entry + "'failed', 300, " + t + ", " + t + " + 2, " + t + " + 1, " + t +
                       " + 2, 'pending')"),
              "");
    ASSERT_EQ(raw.Exec(entry + "'recovered', 300, " + t + ", " + t + " + 5, " + t + " + 1, " + t +
                       " + 5, 'pending')"),
              "");
  }

  auto store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  {
    RawDb raw(path, SQLITE_OPEN_READONLY);
    EXPECT_EQ(raw.Int("PRAGMA user_version"), sqlite::CurrentSchemaVersion());
    EXPECT_EQ(raw.Int("SELECT count(*) FROM outbox WHERE channel = 'telegram'"), 3);
    EXPECT_EQ(raw.Int("SELECT count(*) FROM sqlite_master WHERE name = 'outbox_pending' AND "
                      "sql LIKE '%slug, channel, id%'"),
              1);
  }
  std::optional<Monitor> m = Get(*store, "db", kT0 + 3);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->channels, std::nullopt);
  EXPECT_EQ(m->repeat_secs, std::nullopt);
  EXPECT_EQ(m->down_after, 1);
  EXPECT_EQ(m->fail_streak, 0);
  EXPECT_EQ(m->snoozed_until, std::nullopt);
  EXPECT_FALSE(m->alert.acknowledged);
  EXPECT_EQ(m->failed_at, kT0 + 1);

  auto claim = [&](UnixMillis now) {
    return Await<std::vector<PendingAlert>>([&](Callback<std::vector<PendingAlert>> cb) {
             store->ClaimAlerts(now, 30'000, 10, "me", {}, std::move(cb));
           })
        .value();
  };
  std::vector<PendingAlert> first = claim(kT0 + 10);
  ASSERT_EQ(first.size(), 1u);  // the rejected one holds nothing back; the later one waits
  EXPECT_EQ(first[0].alert.kind, AlertKind::kFailed);
  EXPECT_EQ(first[0].alert.channel, "telegram");
  EXPECT_EQ(first[0].alert.uuid, uuid);
  ASSERT_TRUE(Await<void>([&](Callback<void> cb) {
                store->FinishAlert(first[0], "me", std::move(cb));
              }).ok());
  std::vector<PendingAlert> second = claim(kT0 + 10);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].alert.kind, AlertKind::kRecovered);
  EXPECT_EQ(second[0].alert.channel, "telegram");

  // The channels table is there.
  ASSERT_TRUE(Await<void>([&](Callback<void> cb) {
                store->AddChannel({.project = "default",
                                   .name = "ops",
                                   .kind = "webhook",
                                   .config = "{}",
                                   .created_at = kT0},
                                  std::move(cb));
              }).ok());
  store->Close();
}

// The history is a log swept from its old end (ping_log.h). With a small window: busy
// monitors' old entries go, so the log stays near twice what it keeps, and a monitor
// pinged rarely keeps its entries (with their bodies), moved to the end as the sweep
// reaches them; a deleted monitor's and a fresh start's entries go too.
TEST(SqliteStoreTest, TheHistoryLogStaysBoundedAndKeepsARareMonitorsEntries) {
  testing::TempDir dir;
  const std::string path = dir.file("heartbeat.db");
  Result<std::unique_ptr<SqliteStore>> opened =
      SqliteStore::Open({.path = path, .pings_min_window = 8});
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  SqliteStore& store = **opened;
  store.KeepPings(5);
  auto signal = [&](const std::string& slug, SignalKind kind, std::string body, UnixMillis at) {
    Result<Monitor> m = Await<Monitor>([&](Callback<Monitor> cb) {
      store.Receive(slug,
                    Store::SignalCall{.signal = {.kind = kind},
                                      .source = {"POST", "10.0.0.1", "test"},
                                      .body = std::move(body)},
                    at, std::move(cb));
    });
    ASSERT_TRUE(m.ok()) << m.error().message;
  };
  auto history = [&](const std::string& slug, UnixMillis at) {
    auto r = Await<std::optional<std::vector<PingRecord>>>(
        [&](Callback<std::optional<std::vector<PingRecord>>> cb) {
          store.ListPings(slug, 100, at, std::move(cb));
        });
    EXPECT_TRUE(r.ok());
    std::vector<std::int64_t> ns;
    if (r.ok() && r->has_value()) {
      for (const PingRecord& p : **r) ns.push_back(p.n);
    }
    return ns;
  };
  auto body = [&](const std::string& slug, std::int64_t n, UnixMillis at) {
    auto r = Await<std::optional<std::string>>([&](Callback<std::optional<std::string>> cb) {
      store.PingBody(slug, n, at, std::move(cb));
    });
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->value_or("(none)") : "(error)";
  };

  // The rare monitor: a start, a failure with a body (core's path), three plain pings.
  UnixMillis t = kT0;
  signal("rare", SignalKind::kStart, "", ++t);
  signal("rare", SignalKind::kFail, "disk full", ++t);
  for (int i = 0; i < 3; ++i) signal("rare", SignalKind::kSuccess, "ok " + std::to_string(i), ++t);
  signal("gone", SignalKind::kSuccess, "", ++t);
  ASSERT_TRUE(Await<bool>([&](Callback<bool> cb) { store.Delete("gone", t, std::move(cb)); }).ok());
  // Three busy monitors, 400 pings each.
  for (int i = 0; i < 400; ++i) {
    for (const char* slug : {"a", "b", "c"}) signal(slug, SignalKind::kSuccess, "", ++t);
  }

  EXPECT_EQ(history("rare", t), (std::vector<std::int64_t>{5, 4, 3, 2, 1}));
  EXPECT_EQ(body("rare", 2, t), "disk full");
  EXPECT_EQ(body("rare", 5, t), "ok 2");
  for (const char* slug : {"a", "b", "c"}) {
    EXPECT_EQ(history(slug, t), (std::vector<std::int64_t>{400, 399, 398, 397, 396})) << slug;
  }
  // 1,206 entries were written; the log keeps about twice the 20 it must (the window is
  // 2 × 5 × 4 monitors), plus what arrives between two sweeps.
  {
    RawDb raw(path, SQLITE_OPEN_READONLY);
    const std::int64_t rows = raw.Int("SELECT count(*) FROM pings").value_or(-1);
    EXPECT_GT(rows, 20);
    EXPECT_LE(rows, 40 + 64);
  }
  // The rare monitor's entries were moved (its generation moved on) and read the same.
  {
    RawDb raw(path, SQLITE_OPEN_READONLY);
    EXPECT_GE(raw.Int("SELECT pings_gen FROM monitors WHERE slug = 'rare'").value_or(-1), 1);
  }

  // Past its expiry, a monitor starts afresh: its old entries are not its history.
  const UnixMillis later = t + kExpiryMillis + 1;
  signal("rare", SignalKind::kSuccess, "", later);
  EXPECT_EQ(history("rare", later), std::vector<std::int64_t>{1});
  EXPECT_EQ(body("rare", 1, later), "(none)");
  store.Close();
}

TEST(SqliteStoreTest, RefusesADatabaseFromANewerHeartbeat) {
  testing::TempDir dir;
  const std::string path = dir.file("heartbeat.db");
  const int newer = sqlite::CurrentSchemaVersion() + 1;
  {
    RawDb raw(path);
    ASSERT_TRUE(raw.ok());
    for (std::string_view migration : sqlite::Migrations()) ASSERT_EQ(raw.Exec(migration), "");
    ASSERT_EQ(raw.Exec("PRAGMA user_version=" + std::to_string(newer)), "");
  }
  Result<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open({.path = path});
  ASSERT_FALSE(opened.ok());
  const std::string& msg = opened.error().message;
  EXPECT_NE(msg.find("schema version " + std::to_string(newer)), std::string::npos) << msg;
  EXPECT_NE(msg.find("newer"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  RawDb raw(path, SQLITE_OPEN_READONLY);
  EXPECT_EQ(raw.Int("PRAGMA user_version"), newer);  // left alone
}

// ---------------------------------------------------------------------------------------
// Group commit and visibility

TEST(SqliteStoreTest, GroupCommitsManyPingsInFewTransactions) {
  testing::TempDir dir;
  auto store = MustOpen(dir.file("heartbeat.db"));
  ASSERT_NE(store, nullptr);
  constexpr std::size_t kPings = 2000;
  const std::uint64_t commits_before = store->commits();
  const std::uint64_t ops_before = store->committed_ops();
  Tally tally;
  for (std::size_t i = 0; i < kPings; ++i) {
    store->Ping("job-" + std::to_string(i % 500), std::nullopt, kT0 + static_cast<UnixMillis>(i),
                tally.Done());
  }
  ASSERT_TRUE(tally.WaitFor(kPings, 60s));
  EXPECT_EQ(tally.ok, kPings) << tally.first_error;
  const std::uint64_t commits = store->commits() - commits_before;
  EXPECT_GE(commits, 1u);
  EXPECT_LE(commits, kPings / 20) << "group commit did not group";
  EXPECT_EQ(store->committed_ops() - ops_before, kPings);
  // The last ping of each slug won.
  std::optional<Monitor> m = Get(*store, "job-7", kT0 + 5'000);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->last_ping, kT0 + 1'500 + 7);
  store->Close();
}

// Under writes that never pause, the background checkpointer copies the WAL into the
// database and the writer finishes each pass between two transactions, so that the WAL
// starts over from its beginning: its file stays near the checkpoint size instead of
// growing with every page ever written.
TEST(SqliteStoreTest, WalStartsOverUnderSteadyWrites) {
  testing::TempDir dir;
  const std::string path = dir.file("heartbeat.db");
  Result<std::unique_ptr<SqliteStore>> opened =
      SqliteStore::Open({.path = path, .checkpoint_pages = 256, .checkpoint_hard_pages = 1 << 30});
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  SqliteStore& store = **opened;
  constexpr std::size_t kRounds = 100;
  constexpr std::size_t kPerRound = 500;
  const std::uint64_t commits_before = store.commits();
  std::uintmax_t largest_wal = 0;
  Tally tally;
  for (std::size_t round = 0; round < kRounds; ++round) {
    for (std::size_t i = 0; i < kPerRound; ++i) {
      std::size_t n = round * kPerRound + i;
      store.Ping("job-" + std::to_string(n * 7919 % 5000), std::nullopt,
                 kT0 + static_cast<UnixMillis>(n), tally.Done());
    }
    ASSERT_TRUE(tally.WaitFor((round + 1) * kPerRound, 60s));
    std::error_code ec;
    largest_wal = std::max(largest_wal, std::filesystem::file_size(path + "-wal", ec));
  }
  EXPECT_EQ(tally.ok, kRounds * kPerRound) << tally.first_error;
  // Each commit here writes hundreds of 1 KiB pages: without restarts the WAL would hold
  // them all (tens of MiB).
  const std::uint64_t commits = store.commits() - commits_before;
  ASSERT_GE(commits, kRounds);
  EXPECT_LT(largest_wal, 12u << 20) << commits << " commits";
  std::optional<Monitor> last =
      Get(store, "job-" + std::to_string((kRounds * kPerRound - 1) * 7919 % 5000), kT0 + 10'000);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->last_ping, kT0 + static_cast<UnixMillis>(kRounds * kPerRound - 1));
  store.Close();
}

// Every commit asks the page cache to drop pages past the end of the database, and after
// a B-tree rebalance SQLite's own cache answers by walking all its pages. With the
// adapter (page_cache.h) installed, the commits of a ping-like load, random keys inserted
// and rows moved in an index, are answered without that walk, and the data is intact.
TEST(SqliteStoreTest, CommitsSkipThePageCacheWalk) {
  testing::TempDir dir;
  // The first use of SQLite in this process, as in heartbeat: it installs the adapter.
  Result<std::unique_ptr<sqlite::Connection>> opened =
      sqlite::Connection::Open(dir.file("pages.db"), true);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  ASSERT_TRUE(sqlite::InstallPageCache());
  sqlite::Connection& db = **opened;
  ASSERT_TRUE(db.Exec("CREATE TABLE t (k TEXT PRIMARY KEY, due INTEGER) WITHOUT ROWID;"
                      "CREATE INDEX t_due ON t (due);")
                  .ok());
  constexpr int kCommits = 300;
  constexpr int kPerCommit = 100;
  const sqlite::PageCacheCounters before = sqlite::PageCacheCountersNow();
  for (int c = 0; c < kCommits; ++c) {
    ASSERT_TRUE(db.Exec("BEGIN IMMEDIATE").ok());
    for (int i = 0; i < kPerCommit; ++i) {
      int n = c * kPerCommit + i;
      Result<sqlite::Statement*> st = db.Prepare(
          "INSERT INTO t (k, due) VALUES (?1, ?2) ON CONFLICT (k) DO UPDATE SET due = ?2");
      ASSERT_TRUE(st.ok());
      (*st)->Bind(1, "job-" + std::to_string(n * 7919 % 20'000));
      (*st)->Bind(2, std::int64_t{n});
      ASSERT_TRUE((*st)->Run().ok());
    }
    ASSERT_TRUE(db.Exec("COMMIT").ok());
  }
  const sqlite::PageCacheCounters after = sqlite::PageCacheCountersNow();
  EXPECT_GE(after.skipped - before.skipped, static_cast<std::uint64_t>(kCommits));
  Result<sqlite::Statement*> check = db.Prepare("PRAGMA integrity_check");
  ASSERT_TRUE(check.ok());
  ASSERT_TRUE(*(*check)->Step());
  EXPECT_EQ((*check)->Text(0), "ok");
  Result<sqlite::Statement*> count = db.Prepare("SELECT count(*), max(due) FROM t");
  ASSERT_TRUE(count.ok());
  ASSERT_TRUE(*(*count)->Step());
  EXPECT_EQ((*count)->Int(0), 20'000);
  EXPECT_EQ((*count)->Int(1), kCommits * kPerCommit - 1);
}

TEST(SqliteStoreTest, AnAcknowledgedWriteIsVisibleToAnotherConnection) {
  testing::TempDir dir;
  const std::string path = dir.file("heartbeat.db");
  auto store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(Ping(*store, "backup", 3600, kT0).ok());
  {
    RawDb raw(path, SQLITE_OPEN_READONLY);
    ASSERT_TRUE(raw.ok());
    EXPECT_EQ(raw.Int("SELECT interval_secs FROM monitors WHERE slug = 'backup'"), 3600);
    EXPECT_EQ(raw.Int("SELECT last_ping FROM monitors WHERE slug = 'backup'"), kT0);
    EXPECT_EQ(raw.Int("SELECT next_due FROM monitors WHERE slug = 'backup'"), kT0 + 3'600'000);
  }
  Tally tally;
  for (int i = 0; i < 500; ++i) {
    store->Ping("job-" + std::to_string(i), std::nullopt, kT0 + 1, tally.Done());
  }
  ASSERT_TRUE(tally.WaitFor(500, 60s));
  ASSERT_EQ(tally.ok, 500u) << tally.first_error;
  RawDb raw(path, SQLITE_OPEN_READONLY);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM monitors"), 501);
  store->Close();
}

// Operations committed in one transaction: one that fails is undone alone.
TEST(SqliteStoreTest, AFailingOperationDoesNotUndoTheOthersInItsGroup) {
  testing::TempDir dir;
  const std::string path = dir.file("heartbeat.db");
  auto store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  const std::string hash(64, 'c');
  ASSERT_TRUE(Await<void>([&](Callback<void> cb) {
                store->AddKey({hash, "first", kT0, std::nullopt}, std::move(cb));
              }).ok());

  // Hold the write lock so that everything below queues up and commits as one group.
  RawDb locker(path);
  ASSERT_TRUE(locker.ok());
  ASSERT_EQ(locker.Exec("BEGIN IMMEDIATE"), "");
  std::promise<Result<Monitor>> p1, p2, p3;
  std::promise<Status> dup, revoke, touch;
  store->Ping("before", 60, kT0 + 1, [&](Result<Monitor> r) { p1.set_value(std::move(r)); });
  store->AddKey({hash, "duplicate", kT0 + 2, std::nullopt},
                [&](Status s) { dup.set_value(std::move(s)); });
  store->Ping("between", 120, kT0 + 3, [&](Result<Monitor> r) { p2.set_value(std::move(r)); });
  store->RevokeKey("dddddddddddd", [&](Status s) { revoke.set_value(std::move(s)); });
  store->TouchKeys({{hash, kT0 + 4}}, [&](Status s) { touch.set_value(std::move(s)); });
  store->Fail("after", kT0 + 5, [&](Result<Monitor> r) { p3.set_value(std::move(r)); });
  std::this_thread::sleep_for(50ms);
  ASSERT_EQ(locker.Exec("ROLLBACK"), "");

  EXPECT_TRUE(p1.get_future().get().ok());
  Status d = dup.get_future().get();
  EXPECT_FALSE(d.ok());
  EXPECT_TRUE(p2.get_future().get().ok());
  Status r = revoke.get_future().get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(touch.get_future().get().ok());
  EXPECT_TRUE(p3.get_future().get().ok());

  EXPECT_EQ(Get(*store, "before", kT0 + 10).value().interval_secs, 60);
  EXPECT_EQ(Get(*store, "between", kT0 + 10).value().interval_secs, 120);
  EXPECT_EQ(Get(*store, "after", kT0 + 10).value().failed_at, kT0 + 5);
  Result<std::vector<ApiKeyRecord>> keys = Await<std::vector<ApiKeyRecord>>(
      [&](Callback<std::vector<ApiKeyRecord>> cb) { store->ListKeys(std::move(cb)); });
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].description, "first");
  EXPECT_EQ((*keys)[0].last_used_at, kT0 + 4);
  store->Close();
}

// While the writer cannot commit (another connection holds the write lock), 5000 pings
// queue up unacknowledged; reads still answer at once.
TEST(SqliteStoreTest, ReadsAreNotBlockedByQueuedWrites) {
  testing::TempDir dir;
  const std::string path = dir.file("heartbeat.db");
  auto store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(Ping(*store, "probe", 600, kT0).ok());

  RawDb locker(path);
  ASSERT_TRUE(locker.ok());
  ASSERT_EQ(locker.Exec("BEGIN IMMEDIATE"), "");  // the write lock, held

  constexpr std::size_t kPings = 5000;
  Tally tally;
  for (std::size_t i = 0; i < kPings; ++i) {
    store->Ping("job-" + std::to_string(i), std::nullopt, kT0 + 1, tally.Done());
  }

  std::promise<Result<std::optional<Monitor>>> got;
  auto got_future = got.get_future();
  auto started = std::chrono::steady_clock::now();
  store->Get("probe", kT0 + 2,
             [&got](Result<std::optional<Monitor>> r) { got.set_value(std::move(r)); });
  std::promise<Result<MonitorPage>> listed;
  auto listed_future = listed.get_future();
  store->List("default", "", 10, kT0 + 2,
              [&listed](Result<MonitorPage> r) { listed.set_value(std::move(r)); });
  bool read_done = got_future.wait_for(2s) == std::future_status::ready &&
                   listed_future.wait_for(2s) == std::future_status::ready;
  auto read_time = std::chrono::steady_clock::now() - started;
  std::size_t acked_during_read = tally.Answered();

  ASSERT_EQ(locker.Exec("ROLLBACK"), "");  // let the writer go
  ASSERT_TRUE(tally.WaitFor(kPings, 60s));
  EXPECT_EQ(tally.ok, kPings) << tally.first_error;

  ASSERT_TRUE(read_done) << "reads waited behind the queued writes";
  EXPECT_LT(read_time, 2s);
  EXPECT_EQ(acked_during_read, 0u);  // the writes really were stuck
  Result<std::optional<Monitor>> r = got_future.get();
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->last_ping, kT0);
  Result<MonitorPage> page = listed_future.get();
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->monitors.size(), 1u);  // none of the queued pings was visible yet
  EXPECT_EQ(page->monitors[0].slug, "probe");

  EXPECT_TRUE(Get(*store, "job-4999", kT0 + 3).has_value());
  store->Close();
}

// ---------------------------------------------------------------------------------------
// Crash durability: nothing acknowledged is lost

constexpr int kWindow = 32;  // pings in flight in the child

// In the child: pings job-<first>, job-<first+1>, ... keeping kWindow in flight, and
// writes each acknowledged number to `fd`. Runs until killed.
[[noreturn]] void PingUntilKilled(const std::string& path, int fd, std::int32_t first) {
  Result<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open({.path = path});
  if (!opened.ok()) _exit(3);
  SqliteStore& store = **opened;
  // Every ping creates a monitor, thousands a round: past MAX_MONITORS_PER_PROJECT's default.
  store.LimitMonitors(std::numeric_limits<std::int64_t>::max());
  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0;
  for (std::int32_t n = first; n < first + 50'000'000; ++n) {
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return in_flight < kWindow; });
      ++in_flight;
    }
    store.Ping("job-" + std::to_string(n), std::nullopt, kT0 + n,
               [&mu, &cv, &in_flight, fd, n](Result<Monitor> r) {
                 if (!r.ok()) _exit(4);
                 // Acknowledged: tell the parent (4-byte writes to a pipe are atomic).
                 if (write(fd, &n, sizeof n) != static_cast<ssize_t>(sizeof n)) _exit(5);
                 std::lock_guard lock(mu);
                 --in_flight;
                 cv.notify_one();
               });
  }
  _exit(6);
}

// Forks a pinging child, collects its acknowledgements for `run` after the first, then
// SIGKILLs it. Returns the acknowledged numbers.
std::vector<std::int32_t> RunAndKill(const std::string& path, std::int32_t first,
                                     std::chrono::milliseconds run, int* child_status) {
  int fds[2];
  if (pipe(fds) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return {};
  }
  pid_t pid = fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    return {};
  }
  if (pid == 0) {
    close(fds[0]);
    PingUntilKilled(path, fds[1], first);
  }
  close(fds[1]);

  std::string bytes;
  auto read_some = [&](int timeout_ms) -> bool {  // false at EOF
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return true;
    char buf[4096];
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) return false;
    bytes.append(buf, static_cast<std::size_t>(n));
    return true;
  };
  // Wait for the first acknowledgement (the child opens the store first), then run.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (bytes.empty() && std::chrono::steady_clock::now() < deadline) {
    if (!read_some(50)) break;
  }
  deadline = std::chrono::steady_clock::now() + run;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!read_some(10)) break;
  }
  kill(pid, SIGKILL);
  waitpid(pid, child_status, 0);
  // Whatever the child wrote before it died is still in the pipe.
  while (read_some(1000)) {
  }
  close(fds[0]);

  std::vector<std::int32_t> acked(bytes.size() / sizeof(std::int32_t));
  std::memcpy(acked.data(), bytes.data(), acked.size() * sizeof(std::int32_t));
  EXPECT_EQ(bytes.size() % sizeof(std::int32_t), 0u);
  return acked;
}

TEST(SqliteStoreTest, NothingAcknowledgedIsLostWhenTheProcessIsKilled) {
  testing::TempDir dir;
  const std::string path = dir.file("heartbeat.db");
  constexpr int kRounds = 3;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::int32_t first = round * 10'000'000;
    int status = 0;
    std::vector<std::int32_t> acked = RunAndKill(path, first, 300ms, &status);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the child ended by itself, status " << status;
    // Enough acknowledged writes, some in flight at the kill, for the test to mean something.
    ASSERT_GE(acked.size(), 300u);

    auto store = MustOpen(path);
    ASSERT_NE(store, nullptr);
    std::size_t missing = 0;
    std::string first_missing;
    // One read of each acknowledged slug; they were all pinged once, at kT0 + n.
    for (std::int32_t n : acked) {
      ASSERT_GE(n, first);
      std::optional<Monitor> m = Get(*store, "job-" + std::to_string(n), kT0 + n + 1);
      if (!m.has_value() || m->last_ping != kT0 + n) {
        if (missing++ == 0) first_missing = "job-" + std::to_string(n);
      }
    }
    EXPECT_EQ(missing, 0u) << "of " << acked.size() << " acknowledged pings, " << missing
                           << " were lost, the first " << first_missing;
    store->Close();
  }
}

}  // namespace
}  // namespace heartbeat
