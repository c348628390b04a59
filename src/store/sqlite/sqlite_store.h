#pragma once
// Store on one SQLite file (WAL, synchronous=FULL).
//
// Writes go to a single writer thread that group-commits: it takes every operation queued
// while it was busy and runs them in one transaction, each inside its own savepoint, so
// that one failing operation does not undo the others. Durability is pipelined: the writer
// commits without waiting for the disk (synchronous=NORMAL on its connection) and hands
// the batch to a syncer thread, which fdatasyncs the WAL and only then runs the batch's
// callbacks. While the disk syncs one group, the writer already executes the next, and one
// fdatasync acknowledges every commit written before it began. An acknowledged write is
// thus exactly as durable as with synchronous=FULL (the WAL is on disk before the answer),
// at a fraction of the syncs. Other connections keep synchronous=FULL, so checkpoints sync
// the WAL before copying it and the database file after.
//
// Reads run on a small pool of reader threads with their own connections and never wait
// for the writer (WAL). A read may see a write that is committed but not yet
// acknowledged.
//
// The file is watched: at most a second apart, and before each group is acknowledged, the
// open database file is compared with the one at its path (link count, device and inode).
// Once it was deleted, moved away or replaced, the store is lost for good: what it would
// write goes to a file nobody will open again, so every write fails from then on,
// Healthy() is false and Fatal() says why (a server stops on it). The WAL's frames go into
// the file still open (one moved away keeps all it acknowledged) and the WAL is emptied,
// so that no file put at the path later takes them for its own.
//
// A full disk is not fatal: the WAL's space is reserved before its frames are buffered
// (coalescing_vfs.h), so a full disk fails the commit (503), and writes work again once
// there is room; Healthy() is false meanwhile, and an idle store tries a small write once
// a second to find out. A failed fsync (or a failed write of the WAL) is fatal, as in
// PostgreSQL: the kernel may have dropped the pages it could not write, so nothing after
// it can be trusted; Fatal() says so, and a restart recovers from what is on disk.
//
// The same in prose, with the checkpointer's passes: (docs/ENGINEERING.md, "SQLite store
// internals"); what each part cost and saved: (docs/ENGINEERING.md, "What made a ping
// cheaper").

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite/db.h"
#include "store/sqlite/ping_log.h"
#include "store/sqlite/project_counts.h"
#include "store/store.h"

namespace heartbeat {

struct SqliteStoreOptions {
  std::string path;
  // Whether Open may create the file (and its parent directory) when it is missing. The
  // commands choose (app/components.h: only `store init` and `keys add` may); without it a
  // missing file is kNotFound and nothing is made. With it, a missing file whose -wal is
  // still there with frames in it (a database deleted while open) is refused all the same.
  bool create = true;
  std::size_t reader_threads = 2;
  // Upper bound on the operations committed together, to bound a batch's latency.
  std::size_t max_batch = 4096;
  // WAL size (pages) at which the checkpointer thread copies it back into the database
  // file. Larger means fewer copies of a page that many pings rewrite, and fewer of the
  // writer's pauses to start the WAL over (one per checkpoint, a few ms: at 64 MiB they
  // came every second under full load and set the p99 latency). 128 MiB of WAL at most
  // in normal operation.
  int checkpoint_pages = 131072;
  // WAL size (pages) at which the writer itself checkpoints (and so pauses), when the
  // checkpointer cannot keep up: bounds the WAL's size (512 MiB).
  int checkpoint_hard_pages = 524288;
  // The checkpointer hands the end of a checkpoint (the frames committed during its last
  // pass, copied by the writer while it pauses) to the writer once a pass copied at most
  // this many pages (or no commit arrived during it); until then it goes again.
  int checkpoint_handoff_pages = 1024;
  // The history's log is swept only once it is longer than this many entries (and than
  // twice what it keeps): see ping_log.h.
  std::int64_t pings_min_window = sqlite::PingLog::kDefaultMinWindow;
};

class SqliteStore final : public Store {
 public:
  // Opens the file, or creates it (and its parent directory) when `options.create` says so,
  // migrates the schema, and starts the writer and the readers. A missing file without
  // `create`: kNotFound, naming the path.
  static Result<std::unique_ptr<SqliteStore>> Open(SqliteStoreOptions options);
  ~SqliteStore() override;

  void Mutate(std::string slug, MutateFn fn, Callback<Mutated> done) override;
  void Get(std::string slug, UnixMillis now, Callback<std::optional<Monitor>> done) override;
  void FindByUuid(std::string uuid, UnixMillis now, Callback<std::optional<Monitor>> done) override;
  void List(std::string project, std::string after, std::size_t limit, UnixMillis now,
            Callback<MonitorPage> done) override;
  void Delete(std::string slug, UnixMillis now, Callback<bool> done) override;
  void CountMonitors(UnixMillis now, Callback<MonitorCounts> done) override;
  void DeleteExpired(UnixMillis now, std::size_t limit, Callback<std::size_t> done) override;

  void ListPings(std::string slug, std::size_t limit, UnixMillis now,
                 Callback<std::optional<std::vector<PingRecord>>> done) override;
  void PingBody(std::string slug, std::int64_t n, UnixMillis now,
                Callback<std::optional<std::string>> done) override;
  void ListFlips(std::string slug, UnixMillis since, UnixMillis now,
                 Callback<std::optional<std::vector<Flip>>> done) override;

  void DueMonitors(UnixMillis now, std::size_t limit, Callback<std::vector<Monitor>> done) override;
  void EarliestCheck(Callback<std::optional<UnixMillis>> done) override;
  void ClaimAlerts(UnixMillis now, std::int64_t lease_ms, std::size_t limit, std::string owner,
                   ClaimRoom room, Callback<std::vector<PendingAlert>> done) override;
  void FinishAlert(const PendingAlert& alert, std::string owner, Callback<void> done) override;
  void RenewAlert(const PendingAlert& alert, std::string owner, UnixMillis lease_until,
                  Callback<void> done) override;
  void RetryAlert(const PendingAlert& alert, std::string owner, UnixMillis next_attempt_at,
                  std::string error, Callback<void> done) override;
  void RejectAlert(const PendingAlert& alert, std::string owner, std::string error,
                   Callback<void> done) override;
  void EarliestAlertAttempt(Callback<std::optional<UnixMillis>> done) override;
  void CountPendingAlerts(Callback<std::int64_t> done) override;

  void AddKey(ApiKeyRecord key, Callback<void> done) override;
  void ListKeys(Callback<std::vector<ApiKeyRecord>> done) override;
  void RevokeKey(std::string id, Callback<void> done) override;
  void TouchKeys(std::vector<std::pair<std::string, UnixMillis>> uses,
                 Callback<void> done) override;

  void AddProject(ProjectRecord project, Callback<void> done) override;
  void ListProjects(Callback<std::vector<ProjectRecord>> done) override;
  void RemoveProject(std::string name, UnixMillis now, Callback<void> done) override;
  void SetPingKey(std::string name, std::string ping_key, Callback<void> done) override;

  void AddChannel(ChannelRecord channel, Callback<void> done) override;
  void ListChannels(Callback<std::vector<ChannelRecord>> done) override;
  void RemoveChannel(std::string project, std::string name, Callback<void> done) override;

  bool Healthy() const override {
    return healthy_.load(std::memory_order_relaxed) && !fatal_.load(std::memory_order_acquire);
  }
  std::optional<std::string> Fatal() const override;
  std::string LastFailure() const override;
  void Close() override;

  // Number of transactions committed so far (for tests and benchmarks of group commit).
  std::uint64_t commits() const { return commits_.load(); }
  // Number of write operations committed so far.
  std::uint64_t committed_ops() const { return committed_ops_.load(); }

 protected:
  // The hot path: one upsert statement instead of a read and a write, and the history
  // entry; writes exactly what SignalMutation (core/lifecycle.h) writes
  // (tests/store/fast_ping_property_test.cc).
  void PlainPing(std::string slug, SignalCall call, UnixMillis now,
                 Callback<Monitor> done) override;

 private:
  struct WriteOp;
  template <class T, class Fn>
  struct TypedWriteOp;

  explicit SqliteStore(SqliteStoreOptions options);

  enum class Atomicity { kOneStatement, kSeveralStatements };
  // `fn` is a callable Result<T>(sqlite::Connection&), run on the writer thread.
  template <class T, class Fn>
  void Write(Callback<T> done, Fn fn, Atomicity atomicity = Atomicity::kSeveralStatements);
  template <class T>
  void Read(Callback<T> done, std::function<Result<T>(sqlite::Connection&)> fn);

  void WriterLoop(std::unique_ptr<sqlite::Connection> db);
  void CommitBatch(sqlite::Connection& db, std::vector<std::unique_ptr<WriteOp>>& batch);
  void ReaderLoop();
  void CheckpointLoop();
  void SyncLoop();
  Status SyncWal();
  // Compares the open database file with the one at the path; when it was deleted, moved
  // or replaced, marks the store lost (once) and returns false. Any thread.
  bool CheckFile();
  // Records why a write failed (LastFailure) and marks the store unhealthy. Any thread.
  void WriteFailed(const std::string& why);
  // Marks the store lost for good, for `reason` (the first reason is kept). Any thread.
  void SetFatal(std::string reason);
  // The reason for a failed sync or a failed write of the WAL, which ends the process.
  std::string SyncFailed(const std::string& what) const;
  // After a checkpoint that returned `rc`: a failed fsync is fatal, as for the WAL's.
  void CheckpointSynced(int rc);
  // Once the file is gone: the WAL's frames into the open file, and the WAL emptied.
  // Writer thread.
  bool EmptyWal(sqlite::Connection& db);
  // While idle after a failed write: whether a write would succeed now (a full disk that
  // has room again). Rewrites the schema version with its own value. Writer thread.
  bool ProbeWrite(sqlite::Connection& db);
  static int OnWalCommit(void* self, sqlite3* db, const char* name, int pages);

  SqliteStoreOptions options_;
  std::atomic<bool> healthy_{true};
  std::atomic<std::uint64_t> commits_{0};
  std::atomic<std::uint64_t> committed_ops_{0};

  // A read-only descriptor of our own on the database file, for CheckFile's fstat, and the
  // file's identity when opened. Closed last in Close, after every connection: closing any
  // descriptor of a file drops the process's POSIX locks on it, SQLite's included.
  int db_fd_ = -1;
  dev_t db_dev_ = 0;
  ino_t db_ino_ = 0;
  // Set once, with fatal_reason_, never cleared: the store is lost for good (Fatal()).
  std::atomic<bool> fatal_{false};
  mutable std::mutex fatal_mu_;
  std::string fatal_reason_;  // guarded by fatal_mu_
  std::string last_failure_;  // guarded by fatal_mu_: why the latest failed write failed
  // Set (before fatal_) when the fatal fault is that the file at the path is not ours.
  std::atomic<bool> file_gone_{false};

  std::mutex write_mu_;
  std::condition_variable write_cv_;
  std::vector<std::unique_ptr<WriteOp>> write_queue_;  // guarded by write_mu_
  bool write_closed_ = false;                          // guarded by write_mu_
  std::thread writer_;

  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  std::vector<std::unique_ptr<WriteOp>> sync_queue_;  // guarded by sync_mu_: committed ops
  bool sync_closed_ = false;                          // guarded by sync_mu_
  int wal_fd_ = -1;                                   // syncer thread only
  std::thread syncer_;

  std::mutex read_mu_;
  std::condition_variable read_cv_;
  std::deque<std::function<void(sqlite::Connection*)>> read_queue_;  // guarded by read_mu_
  bool read_closed_ = false;                                         // guarded by read_mu_
  std::vector<std::thread> readers_;

  // Checkpoints copy the WAL back into the database file on their own thread, so that the
  // writer never stops to do it (auto-checkpointing is off on the writer's connection).
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  int wal_pages_ = 0;         // guarded by checkpoint_mu_: WAL size after the last commit
  int writer_wal_pages_ = 0;  // writer thread only: WAL size after its last commit
  sqlite::PingLog ping_log_;  // writer thread only
  sqlite::ProjectCounts project_counts_;  // writer thread only
  // The writer thread's state for one write.
  sqlite::WriterState Writer() { return {ping_log_, project_counts_, PingsKept(), MaxMonitors()}; }
  // Set (under checkpoint_mu_) by the checkpointer after a complete pass, cleared by the
  // writer after its own; while set, commits do not wake the checkpointer.
  std::atomic<bool> finish_checkpoint_{false};
  bool checkpoint_closed_ = false;  // guarded by checkpoint_mu_
  std::thread checkpointer_;

  std::once_flag close_once_;
  std::string expiry_cursor_;  // owned by the writer thread: where DeleteExpired goes on
};

}  // namespace heartbeat
