#pragma once
// The two stores every store-level and end-to-end suite runs on, as a test parameter:
//
//   INSTANTIATE_TEST_SUITE_P(Stores, MySuite, BothStores(), StoreKindParamName);

#include <gtest/gtest.h>

#include <string>

namespace heartbeat::testing {

enum class StoreKind { kSqlite, kDynamo };

inline std::string StoreKindName(StoreKind kind) {
  return kind == StoreKind::kSqlite ? "Sqlite" : "Dynamo";
}

inline auto BothStores() { return ::testing::Values(StoreKind::kSqlite, StoreKind::kDynamo); }

inline std::string StoreKindParamName(const ::testing::TestParamInfo<StoreKind>& info) {
  return StoreKindName(info.param);
}

}  // namespace heartbeat::testing
