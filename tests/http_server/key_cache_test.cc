// The key cache: what it accepts, and that what a thread remembers of the last key it
// accepted (key_cache.h) never outlives a refresh or crosses to another cache.

#include "http_server/key_cache.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/api_key.h"
#include "store/sqlite/sqlite_store.h"
#include "support/temp_dir.h"
#include "support/test_time.h"

namespace heartbeat {
namespace {

using testing::kT0;

class KeyCacheTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteStore> OpenStore(const std::string& name) {
    Result<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open({.path = dir_.file(name)});
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error().message);
    return opened.ok() ? std::move(*opened) : nullptr;
  }
  static std::string AddKey(Store& store) {
    Result<std::string> key = GenerateApiKey();
    EXPECT_TRUE(key.ok());
    Status added = Await<void>([&](Callback<void> cb) {
      store.AddKey({HashApiKey(*key), "test", kT0, std::nullopt}, std::move(cb));
    });
    EXPECT_TRUE(added.ok()) << (added.ok() ? "" : added.error().message);
    return *key;
  }
  static void Revoke(Store& store, const std::string& key) {
    Status revoked = Await<void>(
        [&](Callback<void> cb) { store.RevokeKey(KeyIdFromHash(HashApiKey(key)), std::move(cb)); });
    ASSERT_TRUE(revoked.ok()) << revoked.error().message;
  }
  static void Refresh(KeyCache& keys) {
    Status s = Await<void>([&](Callback<void> cb) { keys.Refresh(std::move(cb)); });
    ASSERT_TRUE(s.ok()) << s.error().message;
  }

  testing::TempDir dir_;
};

TEST_F(KeyCacheTest, ARememberedKeyIsRejectedOnceARefreshSawItRevoked) {
  std::unique_ptr<SqliteStore> store = OpenStore("a.db");
  const std::string key = AddKey(*store);
  KeyCache keys(*store);
  Refresh(keys);
  // Accepted twice on this thread: the second time from what the thread remembers.
  ASSERT_TRUE(keys.Authenticate(key, kT0));
  ASSERT_TRUE(keys.Authenticate(key, kT0 + 1));
  Revoke(*store, key);
  EXPECT_TRUE(keys.Authenticate(key, kT0 + 2));  // until the next refresh, as documented
  Refresh(keys);
  EXPECT_FALSE(keys.Authenticate(key, kT0 + 3));
  EXPECT_FALSE(keys.Authenticate(key, kT0 + 4));
}

TEST_F(KeyCacheTest, WhatOneCacheRemembersIsNotAcceptedByAnother) {
  std::unique_ptr<SqliteStore> first_store = OpenStore("a.db");
  std::unique_ptr<SqliteStore> second_store = OpenStore("b.db");
  const std::string key = AddKey(*first_store);
  (void)AddKey(*second_store);
  // The second cache is made where the first one was, as a test or a restart might: the
  // memory address does not make them the same cache.
  auto first = std::make_unique<KeyCache>(*first_store);
  Refresh(*first);
  ASSERT_TRUE(first->Authenticate(key, kT0));
  first.reset();
  auto second = std::make_unique<KeyCache>(*second_store);
  Refresh(*second);
  EXPECT_FALSE(second->Authenticate(key, kT0));
}

TEST_F(KeyCacheTest, ADifferentKeyIsLookedUpNotTakenForTheRememberedOne) {
  std::unique_ptr<SqliteStore> store = OpenStore("a.db");
  const std::string key = AddKey(*store);
  const std::string other = AddKey(*store);
  KeyCache keys(*store);
  Refresh(keys);
  ASSERT_TRUE(keys.Authenticate(key, kT0));
  EXPECT_TRUE(keys.Authenticate(other, kT0));
  std::string almost = key;
  almost.back() = almost.back() == '0' ? '1' : '0';
  EXPECT_FALSE(keys.Authenticate(almost, kT0));
  EXPECT_FALSE(keys.Authenticate(key.substr(0, 63), kT0));
  EXPECT_TRUE(keys.Authenticate(key, kT0));
}

// Uses are recorded also when the key was remembered: the store learns the last use.
TEST_F(KeyCacheTest, UsesOfARememberedKeyAreRecorded) {
  std::unique_ptr<SqliteStore> store = OpenStore("a.db");
  const std::string key = AddKey(*store);
  KeyCache keys(*store);
  Refresh(keys);
  ASSERT_TRUE(keys.Authenticate(key, kT0 + 1000));
  ASSERT_TRUE(keys.Authenticate(key, kT0 + 5000));
  Status flushed = Await<void>([&](Callback<void> cb) { keys.FlushUses(std::move(cb)); });
  ASSERT_TRUE(flushed.ok());
  Result<std::vector<ApiKeyRecord>> listed = Await<std::vector<ApiKeyRecord>>(
      [&](Callback<std::vector<ApiKeyRecord>> cb) { store->ListKeys(std::move(cb)); });
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].last_used_at, kT0 + 5000);
}

}  // namespace
}  // namespace heartbeat
