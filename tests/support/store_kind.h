#pragma once
// The stores the store-level and end-to-end suites run on, as a test parameter:
//
//   INSTANTIATE_TEST_SUITE_P(Stores, MySuite, BothStores(), StoreKindParamName);
//
// BothStores() are the two persistent stores (suites that reopen a store's data, or run
// the heartbeat binary on it); AllStores() adds MemoryStore, for suites that only talk to
// the Store interface in one process.

#include <gtest/gtest.h>

#include <string>

namespace heartbeat::testing {

enum class StoreKind { kSqlite, kDynamo, kMemory };

inline std::string StoreKindName(StoreKind kind) {
  switch (kind) {
    case StoreKind::kSqlite:
      return "Sqlite";
    case StoreKind::kDynamo:
      return "Dynamo";
    case StoreKind::kMemory:
      return "Memory";
  }
  return "Unknown";
}

inline auto BothStores() { return ::testing::Values(StoreKind::kSqlite, StoreKind::kDynamo); }

inline auto AllStores() {
  return ::testing::Values(StoreKind::kSqlite, StoreKind::kDynamo, StoreKind::kMemory);
}

// The unit suites of the checker, the deliverer and the API: the store in memory (fast, no
// Node), since every store passes the same contract suite; the end-to-end suites run the
// binary on SQLite and DynamoDB.
inline auto MemoryStoreOnly() { return ::testing::Values(StoreKind::kMemory); }

inline std::string StoreKindParamName(const ::testing::TestParamInfo<StoreKind>& info) {
  return StoreKindName(info.param);
}

}  // namespace heartbeat::testing
