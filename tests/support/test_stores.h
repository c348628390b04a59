#pragma once
// The stores that store-level suites run against: SQLite in a test's directory,
// DynamoDB on the shared dynalite of the test binary (tables of its own per store), and
// MemoryStore (the directory unused).
//
//   std::unique_ptr<Store> s = OpenTestStore(StoreKind::kDynamo, dir.path());
//
// Dynamo tables are created the way `heartbeat store init` creates them (InitTables).

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/dynamo/dynamo_store.h"
#include "store/dynamo/monitor_item.h"
#include "store/memory/memory_store.h"
#include "store/sqlite/sqlite_store.h"
#include "support/dynalite.h"
#include "support/store_kind.h"

namespace heartbeat::testing {

struct DynamoTables {
  std::string monitors;
  std::string keys;
  std::string pings = {};  // none: a fresh one of its own
};

// The tables of the Dynamo store opened for each directory (for tests that reach behind
// the store's back).
inline std::map<std::string, DynamoTables>& DynamoTablesByDir() {
  static std::map<std::string, DynamoTables> tables;
  return tables;
}
inline std::mutex& DynamoTablesMutex() {
  static std::mutex mu;
  return mu;
}

inline DynamoStoreOptions TestDynamoOptions(const DynamoTables& tables, int check_partitions = 1) {
  DynamoStoreOptions o;
  o.monitors_table = tables.monitors;
  o.keys_table = tables.keys;
  o.pings_table = tables.pings.empty() ? Dynalite::UniqueTableName("pings") : tables.pings;
  o.check_partitions = check_partitions;
  o.client = Dynalite::Shared().ClientOptions();
  o.counts_max_age = std::chrono::milliseconds(0);  // the suites count right after changes
  // The suites run on loaded machines and under sanitizers, and list megabytes: a deadline
  // far from theirs. STORE_TIMEOUT's own are tested on a stalled endpoint (DynamoStallTest,
  // tests/e2e/fault_dynamo_test.cc).
  o.store_timeout = std::chrono::seconds(60);
  return o;
}

// A Dynamo store on fresh tables of the shared dynalite.
inline std::unique_ptr<DynamoStore> OpenTestDynamoStore(const std::string& dir,
                                                        int check_partitions = 1) {
  DynamoTables tables{Dynalite::UniqueTableName("monitors"), Dynalite::UniqueTableName("keys"),
                      Dynalite::UniqueTableName("pings")};
  auto store = DynamoStore::Open(TestDynamoOptions(tables, check_partitions));
  if (!store.ok()) throw std::runtime_error("open the DynamoDB store: " + store.error().message);
  std::string note;
  Status init = (*store)->InitTables(&note);
  if (!init.ok()) throw std::runtime_error("create the tables: " + init.error().message);
  {
    std::lock_guard lock(DynamoTablesMutex());
    DynamoTablesByDir()[dir] = tables;
  }
  return std::move(*store);
}

inline DynamoTables DynamoTablesOf(const std::string& dir) {
  std::lock_guard lock(DynamoTablesMutex());
  return DynamoTablesByDir().at(dir);
}

// The history log's sweep starts as soon as the log passes twice what it keeps (no floor
// of 1,024 entries), so that the suites that write histories run it, and move the chains of
// monitors they stop pinging (store/sqlite/ping_log.h).
inline std::unique_ptr<SqliteStore> OpenTestSqliteStore(const std::string& dir) {
  auto store = SqliteStore::Open({.path = dir + "/heartbeat.db", .pings_min_window = 1});
  if (!store.ok()) throw std::runtime_error("open the SQLite store: " + store.error().message);
  return std::move(*store);
}

inline std::unique_ptr<Store> OpenTestStore(StoreKind kind, const std::string& dir) {
  if (kind == StoreKind::kSqlite) return OpenTestSqliteStore(dir);
  if (kind == StoreKind::kMemory) return std::make_unique<MemoryStore>();
  return OpenTestDynamoStore(dir);
}

// Pings every slug at once (all submitted before waiting for any) and waits for every
// answer; returns how many failed.
inline std::size_t PingAllAtOnce(Store& store, const std::vector<std::string>& slugs,
                                 std::optional<std::int64_t> interval, UnixMillis now) {
  std::mutex mu;
  std::condition_variable cv;
  std::size_t answered = 0;
  std::size_t failed = 0;
  for (const std::string& slug : slugs) {
    store.Ping(slug, interval, now, [&](Result<Monitor> r) {
      std::lock_guard lock(mu);
      ++answered;
      if (!r.ok()) ++failed;
      cv.notify_all();
    });
  }
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return answered == slugs.size(); });
  return failed;
}

// A second store on the data of the store OpenTestStore opened for `dir` (as a second
// process would open it). Not for MemoryStore, whose data no second store can see.
inline std::unique_ptr<Store> OpenSecondTestStore(StoreKind kind, const std::string& dir) {
  if (kind == StoreKind::kSqlite) return OpenTestSqliteStore(dir);
  if (kind == StoreKind::kMemory) {
    throw std::runtime_error("a MemoryStore's data cannot be opened by a second store");
  }
  auto store = DynamoStore::Open(TestDynamoOptions(DynamoTablesOf(dir)));
  if (!store.ok()) throw std::runtime_error("open the DynamoDB store: " + store.error().message);
  return std::move(*store);
}

}  // namespace heartbeat::testing
