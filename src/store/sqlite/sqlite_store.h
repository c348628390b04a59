#pragma once
// Store on one SQLite file (WAL, synchronous=FULL).
//
// Writes go to a single writer thread that group-commits: it takes every operation queued
// while the previous commit was syncing and runs them in one transaction, each inside its
// own savepoint, so that one failing operation does not undo the others; callbacks run
// after COMMIT returns, i.e. once the data is durable. Reads run on a small pool of
// reader threads with their own connections and never wait for the writer (WAL).

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite/db.h"
#include "store/store.h"

namespace heartbeat {

struct SqliteStoreOptions {
  std::string path;
  std::size_t reader_threads = 2;
  // Upper bound on the operations committed together, to bound a batch's latency.
  std::size_t max_batch = 4096;
};

class SqliteStore final : public Store {
 public:
  // Opens or creates the file (and its parent directory), migrates the schema, and starts
  // the writer and the readers.
  static Result<std::unique_ptr<SqliteStore>> Open(SqliteStoreOptions options);
  ~SqliteStore() override;

  void Ping(std::string slug, std::optional<std::int64_t> interval_secs, UnixMillis now,
            Callback<Monitor> done) override;
  void Fail(std::string slug, UnixMillis now, Callback<Monitor> done) override;
  void Get(std::string slug, UnixMillis now, Callback<std::optional<Monitor>> done) override;
  void List(std::string after, std::size_t limit, UnixMillis now,
            Callback<MonitorPage> done) override;
  void Delete(std::string slug, UnixMillis now, Callback<bool> done) override;
  void Pause(std::string slug, UnixMillis now, Callback<bool> done) override;
  void Unpause(std::string slug, UnixMillis now, Callback<bool> done) override;
  void DeleteExpired(UnixMillis now, std::size_t limit, Callback<std::size_t> done) override;

  void AddKey(ApiKeyRecord key, Callback<void> done) override;
  void ListKeys(Callback<std::vector<ApiKeyRecord>> done) override;
  void RevokeKey(std::string id, Callback<void> done) override;
  void TouchKeys(std::vector<std::pair<std::string, UnixMillis>> uses,
                 Callback<void> done) override;

  bool Healthy() const override { return healthy_.load(std::memory_order_relaxed); }
  void Close() override;

  // Number of transactions committed so far (for tests and benchmarks of group commit).
  std::uint64_t commits() const { return commits_.load(); }

 private:
  struct WriteOp;
  template <class T>
  struct TypedWriteOp;

  explicit SqliteStore(SqliteStoreOptions options);

  template <class T>
  void Write(Callback<T> done, std::function<Result<T>(sqlite::Connection&)> fn);
  template <class T>
  void Read(Callback<T> done, std::function<Result<T>(sqlite::Connection&)> fn);

  void WriterLoop(std::unique_ptr<sqlite::Connection> db);
  void CommitBatch(sqlite::Connection& db, std::vector<std::unique_ptr<WriteOp>>& batch);
  void ReaderLoop();

  SqliteStoreOptions options_;
  std::atomic<bool> healthy_{true};
  std::atomic<std::uint64_t> commits_{0};

  std::mutex write_mu_;
  std::condition_variable write_cv_;
  std::vector<std::unique_ptr<WriteOp>> write_queue_;  // guarded by write_mu_
  bool write_closed_ = false;                          // guarded by write_mu_
  std::thread writer_;

  std::mutex read_mu_;
  std::condition_variable read_cv_;
  std::deque<std::function<void(sqlite::Connection*)>> read_queue_;  // guarded by read_mu_
  bool read_closed_ = false;                                         // guarded by read_mu_
  std::vector<std::thread> readers_;

  std::once_flag close_once_;
};

}  // namespace heartbeat
