// The SQLite store and its file: opened without `create`, a missing file is an error and
// nothing is made; a file deleted, moved or replaced under the open store makes it lost
// for good (writes refused, Healthy() false, Fatal() naming the path). The same end to
// end, through the binary: tests/e2e/fault_db_test.cc.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "store/sqlite/sqlite_store.h"
#include "support/temp_dir.h"
#include "support/test_time.h"

namespace heartbeat {
namespace {

using testing::kT0;

std::unique_ptr<SqliteStore> OpenFileStore(const std::string& path, bool create) {
  Result<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open({.path = path, .create = create});
  if (!opened.ok()) {
    ADD_FAILURE() << opened.error().message;
    return nullptr;
  }
  return std::move(*opened);
}

Result<Monitor> PingOnce(Store& store, const std::string& slug) {
  return Await<Monitor>(
      [&](Callback<Monitor> cb) { store.Ping(slug, std::nullopt, kT0, std::move(cb)); });
}

std::optional<Monitor> GetOnce(Store& store, const std::string& slug) {
  Result<std::optional<Monitor>> got = Await<std::optional<Monitor>>(
      [&](Callback<std::optional<Monitor>> cb) { store.Get(slug, kT0, std::move(cb)); });
  EXPECT_TRUE(got.ok()) << got.error().message;
  return got.ok() ? *got : std::nullopt;
}

// Waits, for at most 10 s (a loaded machine), until the store says it is lost.
bool WaitUntilLost(const Store& store) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (store.Fatal()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

TEST(SqliteFileTest, WithoutCreateAMissingFileIsNotFoundNamingThePathAndNothingIsMade) {
  testing::TempDir dir;
  const std::string path = dir.file("sub/heartbeat.db");
  Result<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open({.path = path, .create = false});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, ErrorCode::kNotFound);
  EXPECT_NE(opened.error().message.find(path), std::string::npos) << opened.error().message;
  EXPECT_FALSE(std::filesystem::exists(dir.file("sub")));
}

// The remains of a database deleted while open: a new file would take that WAL for its own.
TEST(SqliteFileTest, CreateRefusesAMissingFileWhoseWalIsStillThere) {
  testing::TempDir dir;
  const std::string path = dir.file("heartbeat.db");
  std::ofstream(path + "-wal") << "frames of a deleted database";
  std::ofstream(dir.file("empty.db-wal"));  // an empty one (as a lost store leaves) is no harm
  auto empty_wal = OpenFileStore(dir.file("empty.db"), true);
  ASSERT_NE(empty_wal, nullptr);
  empty_wal->Close();
  Result<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open({.path = path, .create = true});
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message.find(path + "-wal"), std::string::npos)
      << opened.error().message;
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(SqliteFileTest, WithoutCreateAnExistingFileOpens) {
  testing::TempDir dir;
  const std::string path = dir.file("heartbeat.db");
  auto created = OpenFileStore(path, true);
  ASSERT_NE(created, nullptr);
  ASSERT_TRUE(PingOnce(*created, "backup").ok());
  created->Close();
  auto store = OpenFileStore(path, false);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(PingOnce(*store, "backup").ok());
  EXPECT_TRUE(store->Healthy());
  EXPECT_FALSE(store->Fatal().has_value());
  store->Close();
}

// The write that follows the deletion is refused, not acknowledged: the syncer looks
// before it answers.
TEST(SqliteFileTest, DeletedFileRefusesTheNextWriteAndLosesTheStoreForGood) {
  testing::TempDir dir;
  const std::string path = dir.file("heartbeat.db");
  auto store = OpenFileStore(path, true);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(PingOnce(*store, "before").ok());

  ASSERT_TRUE(std::filesystem::remove(path));
  Result<Monitor> after = PingOnce(*store, "after");
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(after.error().message.find(path), std::string::npos) << after.error().message;
  EXPECT_FALSE(store->Healthy());
  ASSERT_TRUE(store->Fatal().has_value());
  EXPECT_NE(store->Fatal()->find(path + " was deleted"), std::string::npos) << *store->Fatal();
  EXPECT_FALSE(PingOnce(*store, "later").ok());  // for good
  store->Close();
  EXPECT_FALSE(std::filesystem::exists(path)) << "closing the store made the file again";
  // No frames left for a new file at the path to take for its own.
  EXPECT_TRUE(!std::filesystem::exists(path + "-wal") ||
              std::filesystem::file_size(path + "-wal") == 0);
  auto fresh = OpenFileStore(path, true);
  ASSERT_NE(fresh, nullptr);
  EXPECT_FALSE(GetOnce(*fresh, "before").has_value());
  fresh->Close();
}

// No write at all: the writer's once-a-second look finds it.
TEST(SqliteFileTest, FileReplacedWhileIdleIsNoticedWithinSeconds) {
  testing::TempDir dir;
  const std::string path = dir.file("heartbeat.db");
  auto other = OpenFileStore(dir.file("other.db"), true);
  ASSERT_NE(other, nullptr);
  other->Close();
  auto store = OpenFileStore(path, true);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(PingOnce(*store, "before").ok());

  std::filesystem::rename(path, path + ".moved");
  std::filesystem::rename(dir.file("other.db"), path);
  ASSERT_TRUE(WaitUntilLost(*store));
  EXPECT_NE(store->Fatal()->find(path + " was replaced"), std::string::npos) << *store->Fatal();
  EXPECT_FALSE(store->Healthy());
  EXPECT_FALSE(PingOnce(*store, "after").ok());
  store->Close();

  // The file put there is left as it was, and the one moved away has all that was
  // acknowledged.
  auto now_there = OpenFileStore(path, false);
  ASSERT_NE(now_there, nullptr);
  EXPECT_FALSE(GetOnce(*now_there, "before").has_value());
  now_there->Close();
  auto moved = OpenFileStore(path + ".moved", false);
  ASSERT_NE(moved, nullptr);
  EXPECT_TRUE(GetOnce(*moved, "before").has_value());
  moved->Close();
}

TEST(SqliteFileTest, FileMovedAwayWhileIdleIsNoticedWithinSeconds) {
  testing::TempDir dir;
  const std::string path = dir.file("heartbeat.db");
  auto store = OpenFileStore(path, true);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(PingOnce(*store, "before").ok());

  std::filesystem::rename(path, path + ".moved");
  ASSERT_TRUE(WaitUntilLost(*store));
  EXPECT_NE(store->Fatal()->find(path + " was moved away"), std::string::npos) << *store->Fatal();
  store->Close();
}

}  // namespace
}  // namespace heartbeat
