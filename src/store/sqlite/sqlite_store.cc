#include "store/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "core/api_key.h"
#include "core/interval.h"
#include "store/sqlite/coalescing_vfs.h"
#include "store/sqlite/monitor_row.h"
#include "store/sqlite/ping_log.h"
#include "store/sqlite/project_counts.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/store_ops.h"

namespace heartbeat {

using sqlite::Connection;
using sqlite::ReadMonitor;
using sqlite::Statement;

namespace {

// Runs a parameterless statement through the connection's statement cache (not parsed
// again each time, as Exec would).
Status RunCached(Connection& db, const char* sql) {
  Result<Statement*> st = db.Prepare(sql);
  if (!st.ok()) return st.error();
  return (*st)->Run();
}

// Queues `a` in the outbox of its monitor and channel, ready at once.
Status QueueAlert(Connection& db, const Alert& a) {
  Result<Statement*> ins = db.Prepare(
      "INSERT INTO outbox (slug, kind, interval_secs, last_ping, deadline, decided_at, "
      "down_since, next_attempt_at, exit_code, body_tail, run_started_at, max_runtime_secs, "
      "channel, uuid) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?6, ?8, ?9, ?10, ?11, ?12, ?13)");
  if (!ins.ok()) return ins.error();
  (*ins)->Bind(12, a.channel);
  (*ins)->Bind(13, a.uuid);
  (*ins)->Bind(8, a.exit_code ? std::optional<std::int64_t>(*a.exit_code) : std::nullopt);
  (*ins)->Bind(9, a.body_tail);
  (*ins)->Bind(10, a.run_started_at);
  (*ins)->Bind(11, a.max_runtime_secs);
  (*ins)->Bind(1, a.slug);
  (*ins)->Bind(2, ToString(a.kind));
  (*ins)->Bind(3, a.interval_secs);
  (*ins)->Bind(4, a.last_ping);
  (*ins)->Bind(5, a.deadline);
  (*ins)->Bind(6, a.at);
  (*ins)->Bind(7, a.down_since);
  return (*ins)->Run();
}

// Runs a cached statement with the slug as ?1.
Status RunForSlug(Connection& db, const char* sql, std::string_view slug) {
  Result<Statement*> st = db.Prepare(sql);
  if (!st.ok()) return st.error();
  (*st)->BindView(1, slug);
  return (*st)->Run();
}

// Everything kept of a monitor besides its row: its alerts (unless `keep_alerts`: a monitor
// that expired leaves its pending alerts to be delivered), its history and its flips.
Status DropMonitorData(Connection& db, std::string_view slug, bool keep_alerts) {
  if (!keep_alerts) {
    if (Status s = RunForSlug(db, "DELETE FROM outbox WHERE slug = ?1", slug); !s.ok()) return s;
  }
  // Its history: left to the log's sweep (ping_log.h), once no row names it.
  if (Status s = sqlite::PingLog::Forget(db, slug); !s.ok()) return s;
  return RunForSlug(db, "DELETE FROM flips WHERE slug = ?1", slug);
}

// Adds a status change of `slug`, and forgets those older than kFlipsKeptMillis.
Status AddFlip(Connection& db, std::string_view slug, const Flip& flip) {
  Result<Statement*> ins =
      db.Prepare("INSERT OR REPLACE INTO flips (slug, at, overdue) VALUES (?1, ?2, ?3)");
  if (!ins.ok()) return ins.error();
  (*ins)->BindView(1, slug);
  (*ins)->Bind(2, flip.at);
  (*ins)->Bind(3, static_cast<std::int64_t>(flip.overdue ? 1 : 0));
  if (Status s = (*ins)->Run(); !s.ok()) return s;
  Result<Statement*> prune = db.Prepare("DELETE FROM flips WHERE slug = ?1 AND at < ?2");
  if (!prune.ok()) return prune.error();
  (*prune)->BindView(1, slug);
  (*prune)->Bind(2, flip.at - kFlipsKeptMillis);
  return (*prune)->Run();
}

// The one read-modify-write of a monitor, inside the writer's transaction (Mutate, and a
// ping the fast path leaves to the rules of core). A creation counts against the
// project's MAX_MONITORS_PER_PROJECT.
Result<Store::Mutated> MutateRow(Connection& db, const std::string& slug, const Store::MutateFn& fn,
                                 const sqlite::WriterState& w) {
  Result<Statement*> read =
      db.Prepare("SELECT " HEARTBEAT_MONITOR_COLUMNS " FROM monitors WHERE slug = ?1");
  if (!read.ok()) return read.error();
  (*read)->Bind(1, slug);
  Result<bool> row = (*read)->Step();
  if (!row.ok()) return row.error();
  Store::Mutated result;
  if (*row) result.before = ReadMonitor(**read);
  (*read)->Reset();

  Result<Mutation> change = fn(result.before);
  if (!change.ok()) return change.error();
  switch (change->kind) {
    case Mutation::Kind::kKeep:
      result.after = result.before;
      return result;
    case Mutation::Kind::kDelete: {
      if (Status s = RunForSlug(db, "DELETE FROM monitors WHERE slug = ?1", slug); !s.ok()) {
        return s.error();
      }
      if (result.before) w.counts.Release(slug);
      if (Status s = DropMonitorData(db, slug, /*keep_alerts=*/true); !s.ok()) return s.error();
      return result;
    }
    case Mutation::Kind::kPut:
      break;
  }
  Monitor& next = change->monitor;
  next.slug = slug;
  // A write that leaves a monitor without a uuid (a Mutate that creates one without it, or
  // changes one from before uuids) gives it one: uuids are unique, '' too.
  if (next.uuid.empty()) {
    Result<std::string> uuid = GenerateUuid();
    if (!uuid.ok()) return uuid.error();
    next.uuid = std::move(*uuid);
  }
  if (!result.before) {
    if (Status s = w.counts.Reserve(db, slug, w.max_monitors); !s.ok()) return s.error();
  }
  Result<Statement*> put = db.Prepare(
      "INSERT INTO monitors (" HEARTBEAT_MONITOR_COLUMNS
      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
      "?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, "
      "?35, ?36) "
      "ON CONFLICT (slug) DO UPDATE SET interval_secs = ?2, last_ping = ?3, next_due = ?4, "
      "created_at = ?5, expires_at = ?6, paused = ?7, failed_at = ?8, first_alerted_at = ?9, "
      "last_alerted_at = ?10, alert_count = ?11, check_at = ?12, down_since = ?13, "
      "schedule = ?14, tz = ?15, grace_secs = ?16, max_runtime_secs = ?17, last_start = ?18, "
      "running = ?19, run_rid = ?20, last_duration_ms = ?21, last_exit_code = ?22, "
      "fail_tail = ?23, pings_seq = ?24, uuid = ?25, name = ?26, tags = ?27, "
      "description = ?28, methods = ?29, manual_resume = ?30, channels = ?31, "
      "repeat_secs = ?32, down_after = ?33, fail_streak = ?34, snoozed_until = ?35, "
      "alert_acknowledged = ?36");
  if (!put.ok()) return put.error();
  sqlite::BindMonitor(**put, next);
  if (Status s = (*put)->Run(); !s.ok()) return s.error();
  if (change->fresh && result.before) {
    if (Status s = DropMonitorData(db, slug, /*keep_alerts=*/false); !s.ok()) return s.error();
  }
  for (Alert& alert : change->alerts) {
    alert.slug = slug;  // the outbox it goes into
    if (Status s = QueueAlert(db, alert); !s.ok()) return s.error();
  }
  if (change->record) {
    if (Status s = w.log.Append(db, slug, *change->record, w.kept); !s.ok()) return s.error();
  }
  if (change->flip) {
    if (Status s = AddFlip(db, slug, *change->flip); !s.ok()) return s.error();
  }
  result.after = std::move(next);
  return result;
}

// What SQLite says when it may not write ("unable to open database file", "attempt to
// write a readonly database") does not say where: when the file or its directory is not
// writable, `e` names which (the WAL and its index are created beside the file).
Error Explained(Error e, const std::string& path) {
  auto not_writable = [](const std::string& p) -> std::string {
    if (::access(p.c_str(), W_OK) == 0 || errno == ENOENT) return {};
    return std::strerror(errno);
  };
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  if (std::string why = not_writable(dir); !why.empty()) {
    e.message = "the data directory " + dir + " is not writable (" + why + "); heartbeat creates " +
                path + "-wal and " + path + "-shm there: " + e.message;
  } else if (why = not_writable(path); !why.empty()) {
    e.message = "the database file " + path + " is not writable (" + why + "): " + e.message;
  }
  return e;
}

}  // namespace

// ---- write and read plumbing ----

void SqliteStore::WriterLoop(std::unique_ptr<Connection> db) {
  std::vector<std::unique_ptr<WriteOp>> batch;
  auto last_probe = std::chrono::steady_clock::now();
  auto last_file_check = last_probe;
  bool wal_emptied = false;  // once lost: the WAL copied into the file we have and emptied
  for (;;) {
    {
      std::unique_lock lock(write_mu_);
      write_cv_.wait_for(lock, std::chrono::seconds(1),
                         [&] { return write_closed_ || !write_queue_.empty(); });
      if (write_queue_.empty() && write_closed_) break;
      if (write_queue_.size() <= options_.max_batch) {
        batch.swap(write_queue_);
      } else {
        auto end = write_queue_.begin() + static_cast<std::ptrdiff_t>(options_.max_batch);
        std::move(write_queue_.begin(), end, std::back_inserter(batch));
        write_queue_.erase(write_queue_.begin(), end);
      }
    }
    if (!batch.empty()) {
      {
        // At most one committed group waits for the disk while another syncs: work that
        // arrives meanwhile joins the next, larger transaction instead of making many
        // small ones that the same fdatasync would acknowledge anyway.
        std::unique_lock lock(sync_mu_);
        sync_cv_.wait(lock, [&] { return sync_queue_.empty(); });
      }
      {
        std::lock_guard lock(write_mu_);
        std::size_t room = options_.max_batch - std::min(options_.max_batch, batch.size());
        std::size_t take = std::min(room, write_queue_.size());
        std::move(write_queue_.begin(), write_queue_.begin() + static_cast<std::ptrdiff_t>(take),
                  std::back_inserter(batch));
        write_queue_.erase(write_queue_.begin(),
                           write_queue_.begin() + static_cast<std::ptrdiff_t>(take));
      }
      CommitBatch(*db, batch);
      batch.clear();
      last_probe = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - last_probe >= std::chrono::seconds(1)) {
      // Idle: make sure the file still answers, so that /healthz tells the truth. After a
      // failed write (a full disk), only a write tells whether writes work again.
      if (!healthy_.load()) {
        healthy_.store(ProbeWrite(*db));
      } else {
        Result<Statement*> st = db->Prepare("SELECT count(*) FROM api_keys");
        healthy_.store(st.ok() && (*st)->Run().ok());
      }
      last_probe = std::chrono::steady_clock::now();
    }
    // Busy or idle, once a second: is the file we write still the one at the path? (The
    // syncer also looks before each acknowledgement; this catches it with no writes.)
    if (std::chrono::steady_clock::now() - last_file_check >= std::chrono::seconds(1)) {
      (void)CheckFile();
      last_file_check = std::chrono::steady_clock::now();
    }
    if (!wal_emptied && file_gone_.load(std::memory_order_acquire)) wal_emptied = EmptyWal(*db);
  }
  if (!wal_emptied && file_gone_.load(std::memory_order_acquire)) (void)EmptyWal(*db);
}

bool SqliteStore::ProbeWrite(Connection& db) {
  if (fatal_.load(std::memory_order_acquire) || sqlite::CoalescingVfsFailed()) return false;
  if (!RunCached(db, "BEGIN IMMEDIATE").ok()) return false;
  Result<std::optional<std::int64_t>> version = sqlite::OptionalScalar(db, "PRAGMA user_version");
  const bool written = version.ok() && version->has_value() &&
                       db.Exec("PRAGMA user_version = " + std::to_string(**version)).ok() &&
                       RunCached(db, "COMMIT").ok();
  if (!written) (void)db.Exec("ROLLBACK");
  return written;
}

bool SqliteStore::EmptyWal(Connection& db) {
  // SQLite leaves the WAL behind when it closes a database that has moved, and a file put
  // at the path later would take its frames for its own (stray pages of another database).
  // So the frames go into the file we have open (one moved away keeps everything it
  // acknowledged), and the WAL is truncated to nothing. Waits for the readers (busy
  // timeout); false when it could not, to be tried again.
  return sqlite3_wal_checkpoint_v2(db.raw(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr,
                                   nullptr) == SQLITE_OK;
}

bool SqliteStore::CheckFile() {
  if (fatal_.load(std::memory_order_acquire)) return false;
  struct stat open_file {};
  struct stat at_path {};
  std::string reason;
  if (::fstat(db_fd_, &open_file) == 0 && open_file.st_nlink == 0) {
    reason = "the database file " + options_.path + " was deleted";
  } else if (::stat(options_.path.c_str(), &at_path) != 0) {
    // Another error (a permission changed, EIO) says nothing about which file is there.
    if (errno != ENOENT && errno != ENOTDIR) return true;
    reason = "the database file " + options_.path + " was moved away or deleted";
  } else if (at_path.st_dev != db_dev_ || at_path.st_ino != db_ino_) {
    reason = "the database file " + options_.path + " was replaced by another file";
  } else {
    return true;
  }
  file_gone_.store(true, std::memory_order_release);
  SetFatal(reason +
           " while heartbeat had it open; what it writes now would be lost. Put the file "
           "back, or create a new one with `heartbeat store init`, then start heartbeat again");
  return false;
}

void SqliteStore::WriteFailed(const std::string& why) {
  std::string explained = Explained(Unavailable(why), options_.path).message;
  {
    std::lock_guard lock(fatal_mu_);
    last_failure_ = std::move(explained);
  }
  healthy_.store(false);
}

std::string SqliteStore::LastFailure() const {
  std::lock_guard lock(fatal_mu_);
  return last_failure_;
}

void SqliteStore::SetFatal(std::string reason) {
  {
    std::lock_guard lock(fatal_mu_);
    if (!fatal_.load(std::memory_order_relaxed)) {
      fatal_reason_ = std::move(reason);
      fatal_.store(true, std::memory_order_release);
    }
  }
  healthy_.store(false);
}

std::string SqliteStore::SyncFailed(const std::string& what) const {
  // As PostgreSQL does since 2018: after a failed fsync the kernel may have dropped the
  // dirty pages and marked them clean, so a later fsync that succeeds proves nothing.
  return what +
         "; what the kernel holds for the file can no longer be trusted, so heartbeat "
         "stops (a restart recovers the database from what is on disk)";
}

void SqliteStore::CheckpointSynced(int rc) {
  if (rc == SQLITE_IOERR_FSYNC) {
    SetFatal(SyncFailed("a checkpoint's fsync of " + options_.path + " or its -wal failed"));
  }
}

std::optional<std::string> SqliteStore::Fatal() const {
  if (!fatal_.load(std::memory_order_acquire)) return std::nullopt;
  std::lock_guard lock(fatal_mu_);
  return fatal_reason_;
}

void SqliteStore::CommitBatch(Connection& db, std::vector<std::unique_ptr<WriteOp>>& batch) {
  auto begin = [&]() -> Status {
    if (sqlite::CoalescingVfsFailed()) {
      SetFatal(SyncFailed("a write to " + options_.path + "-wal failed (an I/O error)"));
    }
    if (fatal_.load(std::memory_order_acquire)) return Unavailable(*Fatal());
    return RunCached(db, "BEGIN IMMEDIATE");
  };
  Status begun = begin();
  if (!begun.ok()) {
    WriteFailed(begun.error().message);
    for (auto& op : batch) op->Abort(Unavailable(begun.error().message));
    for (auto& op : batch) op->Complete();
    return;
  }
  for (auto& op : batch) {
    // A failing operation is rolled back alone: by its savepoint, or by SQLite itself
    // when it is a single statement.
    if (!op->needs_savepoint) {
      op->Execute(db);
      continue;
    }
    (void)RunCached(db, "SAVEPOINT op");
    if (!op->Execute(db)) (void)RunCached(db, "ROLLBACK TO op");
    (void)RunCached(db, "RELEASE op");
  }
  Status committed = RunCached(db, "COMMIT");
  if (!committed.ok()) {
    (void)db.Exec("ROLLBACK");
    WriteFailed(committed.error().message);
    for (auto& op : batch) {
      op->Abort(Unavailable("the write was not saved: " + committed.error().message));
    }
    for (auto& op : batch) op->Complete();
    return;
  }
  commits_.fetch_add(1, std::memory_order_relaxed);
  // Committed but not yet durable: the syncer acknowledges it after the next fdatasync.
  {
    std::lock_guard lock(sync_mu_);
    std::move(batch.begin(), batch.end(), std::back_inserter(sync_queue_));
  }
  sync_cv_.notify_all();
  batch.clear();

  const bool finish = finish_checkpoint_.load(std::memory_order_acquire);
  if (finish || writer_wal_pages_ >= options_.checkpoint_hard_pages) {
    // The background checkpoint has copied nearly everything (or fell behind): with no
    // write in progress, one pass here copies the rest, and the next commit starts the
    // WAL over from its beginning. Without this the WAL never restarts under steady
    // writes: each background pass ends behind the writer, and the WAL only grows.
    int log = 0;
    int done = 0;
    const int rc =
        sqlite3_wal_checkpoint_v2(db.raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
    CheckpointSynced(rc);
    writer_wal_pages_ = 0;
    // SQLITE_BUSY: another connection's checkpoint holds the lock and nothing was copied;
    // try again after the next commit (the background thread stays asleep meanwhile). Any
    // other outcome (done, or a reader's snapshot kept some frames) hands the WAL back
    // to the background thread.
    if (finish && rc != SQLITE_BUSY) {
      std::lock_guard lock(checkpoint_mu_);
      finish_checkpoint_.store(false, std::memory_order_release);
    }
  }
}

void SqliteStore::SyncLoop() {
  std::vector<std::unique_ptr<WriteOp>> batch;
  for (;;) {
    {
      std::unique_lock lock(sync_mu_);
      sync_cv_.wait(lock, [&] { return sync_closed_ || !sync_queue_.empty(); });
      if (sync_queue_.empty()) return;  // closed and drained
      batch.swap(sync_queue_);
    }
    sync_cv_.notify_all();  // the writer may commit the next group
    // fdatasync covers every WAL frame written before it started, whichever descriptor
    // wrote it: all commits in `batch` (and perhaps more) become durable here.
    Status synced = SyncWal();
    if (synced.ok() && sqlite::CoalescingVfsFailed()) {
      SetFatal(SyncFailed("a write to " + options_.path + "-wal failed (an I/O error)"));
      synced = Unavailable(*Fatal());
    }
    // Durable, but in the file at the path? A file deleted or replaced since the last
    // look takes these writes with it: they are refused, not acknowledged.
    if (synced.ok() && !CheckFile()) synced = Unavailable(*Fatal());
    if (synced.ok()) {
      healthy_.store(true);
      committed_ops_.fetch_add(batch.size(), std::memory_order_relaxed);
    } else {
      WriteFailed(synced.error().message);
      for (auto& op : batch) {
        op->Abort(Unavailable("the write may not be durable: " + synced.error().message));
      }
    }
    for (auto& op : batch) op->Complete();
    batch.clear();
  }
}

Status SqliteStore::SyncWal() {
  if (wal_fd_ < 0) {
    wal_fd_ = ::open((options_.path + "-wal").c_str(), O_RDWR | O_CLOEXEC);
    if (wal_fd_ < 0) return Unavailable(std::string("open the WAL: ") + std::strerror(errno));
  }
  if (::fdatasync(wal_fd_) != 0) {
    SetFatal(SyncFailed("fdatasync of " + options_.path + "-wal failed: " + std::strerror(errno)));
    return Unavailable(*Fatal());
  }
  return Ok{};
}

void SqliteStore::ReaderLoop() {
  Result<std::unique_ptr<Connection>> opened = Connection::Open(options_.path, false);
  Connection* db = opened.ok() ? opened->get() : nullptr;
  for (;;) {
    std::function<void(Connection*)> job;
    {
      std::unique_lock lock(read_mu_);
      read_cv_.wait(lock, [&] { return read_closed_ || !read_queue_.empty(); });
      if (read_queue_.empty()) return;
      job = std::move(read_queue_.front());
      read_queue_.pop_front();
    }
    job(db);
  }
}

int SqliteStore::OnWalCommit(void* self, sqlite3* /*db*/, const char* /*name*/, int pages) {
  auto* store = static_cast<SqliteStore*>(self);
  store->writer_wal_pages_ = pages;
  if (pages >= store->options_.checkpoint_pages) {
    std::lock_guard lock(store->checkpoint_mu_);
    // While the writer is to finish a pass itself, a background pass started now would
    // hold the checkpoint lock when the writer's pass runs, right after this commit, and
    // make it fail: under load that happened at every commit and the WAL never restarted.
    if (store->finish_checkpoint_.load(std::memory_order_relaxed)) return SQLITE_OK;
    store->wal_pages_ = pages;
    store->checkpoint_cv_.notify_one();
  }
  return SQLITE_OK;
}

void SqliteStore::CheckpointLoop() {
  Result<std::unique_ptr<Connection>> opened = Connection::Open(options_.path, false);
  int previous_done = 0;  // frames copied by the previous pass, in this WAL
  for (;;) {
    {
      std::unique_lock lock(checkpoint_mu_);
      checkpoint_cv_.wait(lock, [&] { return checkpoint_closed_ || wal_pages_ > 0; });
      if (checkpoint_closed_) return;
      wal_pages_ = 0;
    }
    if (!opened.ok()) continue;
    // PASSIVE: copies what it can without blocking the writer or the readers; the WAL
    // starts over from its beginning at the first commit after a complete pass.
    int log = 0;
    int done = 0;
    const int rc = sqlite3_wal_checkpoint_v2((*opened)->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                             &log, &done);
    CheckpointSynced(rc);
    // Not all copied (a reader's snapshot holds frames) or failed: the next commit asks again.
    if (rc != SQLITE_OK || log <= 0 || done != log) continue;
    // Everything that was there is copied. The WAL can only start over after a pass that
    // ends with nothing left, which only the writer can make, between two transactions:
    // it finishes with the frames committed since this pass began, pausing for them. So
    // hand it the end only when they are few: this pass was short (no commit arrived
    // during it, or it copied little). Otherwise go again at once: each pass copies what
    // the writer wrote during the one before, and they shrink.
    const int copied = done >= previous_done ? done - previous_done : done;
    previous_done = done;
    std::lock_guard lock(checkpoint_mu_);
    if (wal_pages_ == 0 || copied <= options_.checkpoint_handoff_pages) {
      finish_checkpoint_.store(true, std::memory_order_release);
      wal_pages_ = 0;  // commits do not ask again until the writer has had its turn
      previous_done = 0;
    }
  }
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(SqliteStoreOptions options) {
  std::filesystem::path path(options.path);
  std::error_code ec;
  // Another error than "not there" (a directory we may not read) is SQLite's to report.
  const bool missing = !std::filesystem::exists(path, ec) && !ec;
  if (missing && !options.create) return NotFound("no database at " + options.path);
  std::error_code wal_ec;
  const std::uintmax_t wal_size = std::filesystem::file_size(options.path + "-wal", wal_ec);
  if (missing && !wal_ec && wal_size > 0) {
    // What is left of a database deleted while open (by a process killed before it could
    // clean up): SQLite would take that WAL for the new file's and fill it with stray
    // pages of the old one.
    return Unavailable("no database at " + options.path + ", but its write-ahead log " +
                       options.path + "-wal is there: move it and " + options.path +
                       "-shm away (or put the database back) first");
  }
  if (options.create && path.has_parent_path()) {
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
      return Unavailable("cannot create directory " + path.parent_path().string() + ": " +
                         ec.message());
    }
  }
  Result<std::unique_ptr<Connection>> db = Connection::Open(options.path, options.create);
  if (!db.ok()) return Explained(db.error(), options.path);
  if (Status s = sqlite::Migrate(**db); !s.ok()) {
    return Explained(s.error().Wrap(options.path), options.path);
  }

  std::unique_ptr<SqliteStore> store(new SqliteStore(std::move(options)));
  // The file as opened, to notice when the path names another one (CheckFile).
  store->db_fd_ = ::open(store->options_.path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat opened {};
  if (store->db_fd_ < 0 || ::fstat(store->db_fd_, &opened) != 0) {
    return Unavailable("open " + store->options_.path + ": " + std::strerror(errno));
  }
  store->db_dev_ = opened.st_dev;
  store->db_ino_ = opened.st_ino;
  // The writer commits without syncing; the syncer thread fdatasyncs the WAL and only
  // then acknowledges, so that commits and syncs overlap (see sqlite_store.h).
  if (Status s = (*db)->Exec("PRAGMA wal_autocheckpoint=0; PRAGMA synchronous=NORMAL"); !s.ok()) {
    return s.error();
  }
  sqlite3_wal_hook((*db)->raw(), &SqliteStore::OnWalCommit, store.get());
  store->checkpointer_ = std::thread([s = store.get()] { s->CheckpointLoop(); });
  store->syncer_ = std::thread([s = store.get()] { s->SyncLoop(); });
  store->writer_ = std::thread(
      [s = store.get(), conn = std::move(*db)]() mutable { s->WriterLoop(std::move(conn)); });
  for (std::size_t i = 0; i < std::max<std::size_t>(1, store->options_.reader_threads); ++i) {
    store->readers_.emplace_back([s = store.get()] { s->ReaderLoop(); });
  }
  return store;
}

SqliteStore::SqliteStore(SqliteStoreOptions options)
    : options_(std::move(options)), ping_log_(options_.pings_min_window) {}

SqliteStore::~SqliteStore() { Close(); }

void SqliteStore::Close() {
  std::call_once(close_once_, [this] {
    healthy_.store(false);  // /healthz: a closed store does not answer
    {
      std::lock_guard lock(write_mu_);
      write_closed_ = true;
    }
    write_cv_.notify_all();
    if (writer_.joinable()) writer_.join();
    {
      std::lock_guard lock(sync_mu_);
      sync_closed_ = true;
    }
    sync_cv_.notify_all();
    if (syncer_.joinable()) syncer_.join();
    if (wal_fd_ >= 0) ::close(wal_fd_);
    {
      std::lock_guard lock(read_mu_);
      read_closed_ = true;
    }
    read_cv_.notify_all();
    for (auto& t : readers_) t.join();
    {
      std::lock_guard lock(checkpoint_mu_);
      checkpoint_closed_ = true;
    }
    checkpoint_cv_.notify_all();
    if (checkpointer_.joinable()) checkpointer_.join();
    if (db_fd_ >= 0) ::close(db_fd_);  // last: every connection is closed (see db_fd_)
  });
}

// ---- monitors ----

void SqliteStore::PlainPing(std::string slug, SignalCall call, UnixMillis now,
                            Callback<Monitor> done) {
  Write<Monitor>(
      std::move(done),
      [this, slug = std::move(slug), call = std::move(call), now,
       kept = PingsKept()](Connection& db) -> Result<Monitor> {
        const std::optional<std::int64_t>& interval_secs = call.signal.settings.interval_secs;
        const std::optional<int>& exit_code = call.signal.exit_code;
        // One statement for the monitor (and one more for a new one). Left to the rules of
        // core (the slow path below):
        // an expired row (it starts afresh, its history gone), a running one (the ping may
        // end its run), and a scheduled one pinged without an interval (its next deadline
        // is the schedule's, not a sum SQL can make). An UPDATE first, not an upsert: an
        // upsert builds the whole new row for its INSERT before it finds the conflict,
        // and nearly every ping is to a monitor that exists.
        Result<Statement*> st = db.Prepare(
            "UPDATE monitors SET "
            "interval_secs = coalesce(?2, interval_secs), "
            "last_ping = ?3, "
            "next_due = ?3 + coalesce(?2, interval_secs) * 1000, "
            "schedule = NULL, "
            "expires_at = ?3 + ?4, failed_at = NULL, fail_streak = 0, fail_tail = '', "
            "last_exit_code = ?5, "
            "pings_seq = pings_seq + 1, "
            // With the history kept, the entry appended below becomes the head.
            "pings_prev = pings_head, "
            "pings_head = CASE WHEN ?6 THEN " HEARTBEAT_PINGS_NEXT_ID
            " ELSE pings_head END, "
            // Paused: never. Alerted: the recovery is due now. Else once the grace after
            // the down_after-th deadline from now has passed (FirstAlertDueAt; down_after
            // clamped to 1..kMaxDownAfter as there).
            "check_at = CASE WHEN paused THEN NULL WHEN alert_count > 0 THEN ?3 "
            "ELSE ?3 + coalesce(?2, interval_secs) * 1000 * max(1, min(down_after, ?8)) "
            "+ grace_secs * 1000 + 1 END "
            "WHERE slug = ?1 AND expires_at > ?3 AND running = 0 "
            "AND (schedule IS NULL OR ?2 IS NOT NULL) AND (paused = 0 OR manual_resume = 1) "
            "AND (?7 IS NULL OR uuid = ?7)");
        if (!st.ok()) return st.error();
        // The slug outlives the statements' runs: no copy into SQLite (the busiest
        // statements of all).
        const std::optional<std::int64_t> code =
            exit_code ? std::optional<std::int64_t>(*exit_code) : std::nullopt;
        (*st)->BindView(1, slug);
        (*st)->Bind(2, interval_secs);
        (*st)->Bind(3, now);
        (*st)->Bind(4, kExpiryMillis);
        (*st)->Bind(5, code);
        (*st)->Bind(6, static_cast<std::int64_t>(kept > 0 ? 1 : 0));
        (*st)->Bind(8, kMaxDownAfter);
        const std::optional<std::string>& target_uuid = call.signal.target_uuid;
        if (target_uuid) {
          (*st)->BindView(7, *target_uuid);
        } else {
          (*st)->BindNull(7);
        }
        if (Status s = (*st)->Run(); !s.ok()) return s.error();
        bool written = db.Changes() > 0;
        sqlite::WriterState w = Writer();
        // No such row, or one the WHERE above leaves to core: a new monitor is made here,
        // unless the slug is taken, the signal may not create one, or its project is full
        // (core then says why).
        if (!written && call.signal.may_create && !target_uuid &&
            w.counts.Reserve(db, slug, w.max_monitors).ok()) {
          Result<std::string> uuid = GenerateUuid();
          if (!uuid.ok()) return uuid.error();
          Result<Statement*> ins = db.Prepare(
              "INSERT INTO monitors (slug, interval_secs, last_ping, next_due, created_at, "
              "expires_at, check_at, last_exit_code, pings_seq, pings_head, uuid) VALUES (?1, "
              "?2, ?3, ?3 + ?2 * 1000, ?3, ?3 + ?4, ?3 + ?2 * 1000 + 1, ?5, 1, "
              "CASE WHEN ?6 THEN " HEARTBEAT_PINGS_NEXT_ID
              " END, ?7) "
              "ON CONFLICT (slug) DO NOTHING");
          if (!ins.ok()) return ins.error();
          (*ins)->BindView(1, slug);
          (*ins)->Bind(2, interval_secs.value_or(kDefaultIntervalSecs));
          (*ins)->Bind(3, now);
          (*ins)->Bind(4, kExpiryMillis);
          (*ins)->Bind(5, code);
          (*ins)->Bind(6, static_cast<std::int64_t>(kept > 0 ? 1 : 0));
          (*ins)->BindView(7, *uuid);
          if (Status s = (*ins)->Run(); !s.ok()) return s.error();
          written = db.Changes() > 0;
          if (!written) w.counts.Release(slug);
        }
        if (!written) {
          // The WHERE above: the rules of core, in this transaction.
          Result<Mutated> m = MutateRow(
              db, slug,
              [&](const std::optional<Monitor>& current) {
                return SignalWriteOf(current, slug, call, kept > 0, now);
              },
              w);
          if (!m.ok()) return m.error();
          return std::move(*m->after);
        }
        // The row is read back by its key rather than with RETURNING, which passes it
        // through a temporary table: callgrind counts ~60k instructions per ping with
        // RETURNING and ~40k this way, the writer's largest cost. A read or a history
        // write that failed after the UPDATE leaves the ping recorded and reports an
        // error: the same as an answer lost on the way back, which a client retries
        // harmlessly (the history then skips a number).
        Result<Statement*> read = db.Prepare("SELECT " HEARTBEAT_MONITOR_COLUMNS
                                             ", pings_head, pings_prev, pings_gen "
                                             "FROM monitors WHERE slug = ?1");
        if (!read.ok()) return read.error();
        (*read)->BindView(1, slug);
        Result<bool> found = (*read)->Step();
        if (!found.ok()) return found.error();
        if (!*found) return Internal("the monitor just written is not there");
        Result<Monitor> m = ReadMonitor(**read);
        const std::optional<std::int64_t> id = (*read)->OptionalInt(sqlite::kMonitorColumnCount);
        const sqlite::PingChain chain{.prev = (*read)->OptionalInt(sqlite::kMonitorColumnCount + 1),
                                      .gen = (*read)->Int(sqlite::kMonitorColumnCount + 2)};
        (*read)->Reset();
        if (kept == 0 || !id) return m;
        PingRecord r{.n = m->pings_seq,
                     .at = now,
                     .kind = SignalKind::kSuccess,
                     .exit_code = exit_code,
                     .rid = call.signal.rid,
                     .duration_ms = std::nullopt,
                     .source = call.source,
                     .body_bytes = static_cast<std::int64_t>(call.body.size()),
                     .body = {}};
        r.body = std::move(call.body);
        if (Status s = ping_log_.AppendAt(db, slug, r, *id, chain, kept); !s.ok()) {
          return s.error();
        }
        return m;
      },
      Atomicity::kOneStatement);
}

void SqliteStore::Mutate(std::string slug, MutateFn fn, Callback<Mutated> done) {
  Write<Mutated>(
      std::move(done),
      [this, slug = std::move(slug), fn = std::move(fn)](Connection& db) -> Result<Mutated> {
        return MutateRow(db, slug, fn, Writer());
      });
}

void SqliteStore::Get(std::string slug, UnixMillis now, Callback<std::optional<Monitor>> done) {
  Read<std::optional<Monitor>>(
      std::move(done),
      [slug = std::move(slug), now](Connection& db) -> Result<std::optional<Monitor>> {
        Result<Statement*> st = db.Prepare("SELECT " HEARTBEAT_MONITOR_COLUMNS
                                           " "
                                           "FROM monitors WHERE slug = ?1 AND expires_at > ?2");
        if (!st.ok()) return st.error();
        (*st)->Bind(1, slug);
        (*st)->Bind(2, now);
        Result<bool> row = (*st)->Step();
        if (!row.ok()) return row.error();
        if (!*row) return std::optional<Monitor>();
        Monitor m = ReadMonitor(**st);
        (*st)->Reset();
        return std::optional<Monitor>(std::move(m));
      });
}

void SqliteStore::FindByUuid(std::string uuid, UnixMillis now,
                             Callback<std::optional<Monitor>> done) {
  Read<std::optional<Monitor>>(
      std::move(done),
      [uuid = std::move(uuid), now](Connection& db) -> Result<std::optional<Monitor>> {
        Result<Statement*> st =
            db.Prepare("SELECT " HEARTBEAT_MONITOR_COLUMNS
                       " FROM monitors WHERE uuid = ?1 AND uuid != '' AND expires_at > ?2");
        if (!st.ok()) return st.error();
        (*st)->Bind(1, uuid);
        (*st)->Bind(2, now);
        Result<bool> row = (*st)->Step();
        if (!row.ok()) return row.error();
        std::optional<Monitor> m;
        if (*row) m = ReadMonitor(**st);
        (*st)->Reset();
        return m;
      });
}

void SqliteStore::List(std::string project, std::string after, std::size_t limit, UnixMillis now,
                       Callback<MonitorPage> done) {
  Read<MonitorPage>(std::move(done),
                    [project = std::move(project), after = std::move(after), limit,
                     now](Connection& db) -> Result<MonitorPage> {
                      // Another project's keys are a range of the slug index; the default project's
                      // are those without a '/'.
                      const bool is_default = project == kDefaultProject;
                      Result<Statement*> st =
                          is_default
                              ? db.Prepare("SELECT " HEARTBEAT_MONITOR_COLUMNS
                                           " FROM monitors WHERE slug > ?1 AND expires_at > ?2 "
                                           "AND instr(slug, '/') = 0 ORDER BY slug LIMIT ?3")
                              : db.Prepare("SELECT " HEARTBEAT_MONITOR_COLUMNS
                                           " FROM monitors WHERE slug > max(?1, ?4) AND slug < ?5 "
                                           "AND expires_at > ?2 ORDER BY slug LIMIT ?3");
                      if (!st.ok()) return st.error();
                      (*st)->Bind(1, after);
                      (*st)->Bind(2, now);
                      (*st)->Bind(3, static_cast<std::int64_t>(limit) + 1);
                      if (!is_default) {
                        (*st)->Bind(4, KeyRangeBegin(project));
                        (*st)->Bind(5, KeyRangeEnd(project));
                      }
                      MonitorPage page;
                      if (limit == 0) return page;
                      for (;;) {
                        Result<bool> row = (*st)->Step();
                        if (!row.ok()) return row.error();
                        if (!*row) break;
                        if (page.monitors.size() == limit) {
                          page.next_after = page.monitors.back().slug;
                          break;
                        }
                        page.monitors.push_back(ReadMonitor(**st));
                      }
                      (*st)->Reset();
                      return page;
                    });
}

void SqliteStore::Delete(std::string slug, UnixMillis now, Callback<bool> done) {
  Write<bool>(std::move(done), [this, slug = std::move(slug), now](Connection& db) -> Result<bool> {
    Result<Statement*> st = db.Prepare("DELETE FROM monitors WHERE slug = ?1 RETURNING expires_at");
    if (!st.ok()) return st.error();
    (*st)->Bind(1, slug);
    Result<bool> row = (*st)->Step();
    if (!row.ok()) return row.error();
    bool found = *row && (*st)->Int(0) > now;
    if (*row) project_counts_.Release(slug);
    if (Status s = (*st)->Run(); !s.ok()) return s.error();
    // Its alerts go with it (a sender holding one finds its lease gone), as in the
    // DynamoDB store, where they live in the monitor's item; so does its history.
    if (Status s = DropMonitorData(db, slug, /*keep_alerts=*/false); !s.ok()) return s.error();
    return found;
  });
}

// ---- history ----

void SqliteStore::ListPings(std::string slug, std::size_t limit, UnixMillis now,
                            Callback<std::optional<std::vector<PingRecord>>> done) {
  Read<std::optional<std::vector<PingRecord>>>(
      std::move(done),
      [slug = std::move(slug), limit, now,
       kept = PingsKept()](Connection& db) -> Result<std::optional<std::vector<PingRecord>>> {
        return sqlite::PingLog::Newest(db, slug, limit, now, kept);
      });
}

void SqliteStore::PingBody(std::string slug, std::int64_t n, UnixMillis now,
                           Callback<std::optional<std::string>> done) {
  Read<std::optional<std::string>>(std::move(done),
                                   [slug = std::move(slug), n, now, kept = PingsKept()](
                                       Connection& db) -> Result<std::optional<std::string>> {
                                     return sqlite::PingLog::Body(db, slug, n, now, kept);
                                   });
}

void SqliteStore::ListFlips(std::string slug, UnixMillis since, UnixMillis now,
                            Callback<std::optional<std::vector<Flip>>> done) {
  Read<std::optional<std::vector<Flip>>>(
      std::move(done),
      [slug = std::move(slug), since,
       now](Connection& db) -> Result<std::optional<std::vector<Flip>>> {
        Result<Statement*> mon =
            db.Prepare("SELECT 1 FROM monitors WHERE slug = ?1 AND expires_at > ?2");
        if (!mon.ok()) return mon.error();
        (*mon)->Bind(1, slug);
        (*mon)->Bind(2, now);
        Result<bool> found = (*mon)->Step();
        if (!found.ok()) return found.error();
        (*mon)->Reset();
        if (!*found) return std::optional<std::vector<Flip>>();
        Result<Statement*> st = db.Prepare(
            "SELECT at, overdue FROM flips WHERE slug = ?1 AND at >= ?2 ORDER BY at DESC");
        if (!st.ok()) return st.error();
        (*st)->Bind(1, slug);
        (*st)->Bind(2, since);
        std::vector<Flip> out;
        for (;;) {
          Result<bool> row = (*st)->Step();
          if (!row.ok()) return row.error();
          if (!*row) break;
          out.push_back(Flip{.at = (*st)->Int(0), .overdue = (*st)->Int(1) != 0});
        }
        (*st)->Reset();
        return std::optional<std::vector<Flip>>(std::move(out));
      });
}

void SqliteStore::DeleteExpired(UnixMillis now, std::size_t limit, Callback<std::size_t> done) {
  Write<std::size_t>(std::move(done), [this, now, limit](Connection& db) -> Result<std::size_t> {
    // No index on expires_at: it would cost every ping a random page write. Expiry is not
    // urgent (reads already hide expired rows), so each call examines the next `limit`
    // rows in slug order from where the previous call stopped, and wraps around.
    Result<Statement*> scan =
        db.Prepare("SELECT slug, expires_at FROM monitors WHERE slug > ?1 ORDER BY slug LIMIT ?2");
    if (!scan.ok()) return scan.error();
    (*scan)->Bind(1, expiry_cursor_);
    (*scan)->Bind(2, static_cast<std::int64_t>(limit));
    std::vector<std::string> expired;
    std::size_t seen = 0;
    std::string last;
    for (;;) {
      Result<bool> row = (*scan)->Step();
      if (!row.ok()) return row.error();
      if (!*row) break;
      ++seen;
      last = (*scan)->Text(0);
      if ((*scan)->Int(1) <= now) expired.push_back(last);
    }
    (*scan)->Reset();
    expiry_cursor_ = seen < limit ? std::string() : last;
    Result<Statement*> del =
        db.Prepare("DELETE FROM monitors WHERE slug = ?1 AND expires_at <= ?2");
    if (!del.ok()) return del.error();
    for (const std::string& slug : expired) {
      (*del)->Reset();
      (*del)->Bind(1, slug);
      (*del)->Bind(2, now);
      if (Status s = (*del)->Run(); !s.ok()) return s.error();
      if (db.Changes() > 0) project_counts_.Release(slug);
      if (Status s = DropMonitorData(db, slug, /*keep_alerts=*/true); !s.ok()) return s.error();
    }
    return expired.size();
  });
}

// ---- API keys ----

void SqliteStore::AddKey(ApiKeyRecord key, Callback<void> done) {
  Write<void>(
      std::move(done),
      [key = std::move(key)](Connection& db) -> Status {
        Result<Statement*> st = db.Prepare(
            "INSERT INTO api_keys (key_hash, description, created_at, project, read_only) "
            "VALUES (?1, ?2, ?3, ?4, ?5)");
        if (!st.ok()) return st.error();
        (*st)->Bind(1, key.key_hash);
        (*st)->Bind(2, key.description);
        (*st)->Bind(3, key.created_at);
        (*st)->Bind(4, key.project);
        (*st)->Bind(5, static_cast<std::int64_t>(key.read_only ? 1 : 0));
        return (*st)->Run();
      },
      Atomicity::kOneStatement);
}

void SqliteStore::ListKeys(Callback<std::vector<ApiKeyRecord>> done) {
  Read<std::vector<ApiKeyRecord>>(
      std::move(done), [](Connection& db) -> Result<std::vector<ApiKeyRecord>> {
        Result<Statement*> st = db.Prepare(
            "SELECT key_hash, description, created_at, last_used_at, project, read_only "
            "FROM api_keys ORDER BY created_at, key_hash");
        if (!st.ok()) return st.error();
        std::vector<ApiKeyRecord> keys;
        for (;;) {
          Result<bool> row = (*st)->Step();
          if (!row.ok()) return row.error();
          if (!*row) break;
          keys.push_back({.key_hash = (*st)->Text(0),
                          .description = (*st)->Text(1),
                          .created_at = (*st)->Int(2),
                          .last_used_at = (*st)->OptionalInt(3),
                          .project = (*st)->Text(4),
                          .read_only = (*st)->Int(5) != 0});
        }
        (*st)->Reset();
        return keys;
      });
}

void SqliteStore::RevokeKey(std::string id, Callback<void> done) {
  Write<void>(
      std::move(done),
      [id = std::move(id)](Connection& db) -> Status {
        if (Status s = CheckKeyId(id); !s.ok()) return s;
        Result<Statement*> find =
            db.Prepare("SELECT key_hash FROM api_keys WHERE substr(key_hash, 1, length(?1)) = ?1");
        if (!find.ok()) return find.error();
        (*find)->Bind(1, id);
        std::vector<std::string> matches;
        for (;;) {
          Result<bool> row = (*find)->Step();
          if (!row.ok()) return row.error();
          if (!*row) break;
          matches.push_back((*find)->Text(0));
        }
        (*find)->Reset();
        Result<std::string> hash = ResolveKeyId(id, matches);
        if (!hash.ok()) return hash.error();
        Result<Statement*> st = db.Prepare("DELETE FROM api_keys WHERE key_hash = ?1");
        if (!st.ok()) return st.error();
        (*st)->Bind(1, *hash);
        return (*st)->Run();
      },
      Atomicity::kOneStatement);
}

void SqliteStore::TouchKeys(std::vector<std::pair<std::string, UnixMillis>> uses,
                            Callback<void> done) {
  Write<void>(std::move(done), [uses = std::move(uses)](Connection& db) -> Status {
    Result<Statement*> st = db.Prepare(
        "UPDATE api_keys SET last_used_at = max(coalesce(last_used_at, 0), ?2) "
        "WHERE key_hash = ?1");
    if (!st.ok()) return st.error();
    for (const auto& [hash, when] : uses) {
      (*st)->Reset();
      (*st)->Bind(1, hash);
      (*st)->Bind(2, when);
      if (Status s = (*st)->Run(); !s.ok()) return s;
    }
    return Ok{};
  });
}

// ---- projects ----

void SqliteStore::AddProject(ProjectRecord project, Callback<void> done) {
  Write<void>(std::move(done), [project = std::move(project)](Connection& db) -> Status {
    Result<std::optional<std::int64_t>> taken =
        sqlite::OptionalScalar(db, "SELECT count(*) FROM projects WHERE name = ?1 OR ping_key = ?2",
                               project.name, project.ping_key);
    if (!taken.ok()) return taken.error();
    if (taken->value_or(0) > 0) return Conflict("project " + project.name + " exists already");
    Result<Statement*> st =
        db.Prepare("INSERT INTO projects (name, ping_key, created_at) VALUES (?1, ?2, ?3)");
    if (!st.ok()) return st.error();
    (*st)->Bind(1, project.name);
    (*st)->Bind(2, project.ping_key);
    (*st)->Bind(3, project.created_at);
    return (*st)->Run();
  });
}

void SqliteStore::ListProjects(Callback<std::vector<ProjectRecord>> done) {
  Read<std::vector<ProjectRecord>>(
      std::move(done), [](Connection& db) -> Result<std::vector<ProjectRecord>> {
        Result<Statement*> st =
            db.Prepare("SELECT name, ping_key, created_at FROM projects ORDER BY name");
        if (!st.ok()) return st.error();
        std::vector<ProjectRecord> out;
        for (;;) {
          Result<bool> row = (*st)->Step();
          if (!row.ok()) return row.error();
          if (!*row) break;
          out.push_back({(*st)->Text(0), (*st)->Text(1), (*st)->Int(2)});
        }
        (*st)->Reset();
        return out;
      });
}

void SqliteStore::RemoveProject(std::string name, UnixMillis now, Callback<void> done) {
  Write<void>(std::move(done), [name = std::move(name), now](Connection& db) -> Status {
    if (name == kDefaultProject) return InvalidArgument("the default project cannot be removed");
    Result<std::optional<std::int64_t>> found =
        sqlite::OptionalScalar(db, "SELECT count(*) FROM projects WHERE name = ?1", name);
    if (!found.ok()) return found.error();
    if (found->value_or(0) == 0) return NotFound("no project named " + name);
    Result<std::optional<std::int64_t>> live = sqlite::OptionalScalar(
        db, "SELECT count(*) FROM monitors WHERE slug >= ?1 AND slug < ?2 AND expires_at > ?3",
        KeyRangeBegin(name), KeyRangeEnd(name), now);
    if (!live.ok()) return live.error();
    if (live->value_or(0) > 0) {
      return Conflict("project " + name + " still has " + std::to_string(**live) +
                      " monitors; delete them first");
    }
    Result<std::optional<std::int64_t>> keys =
        sqlite::OptionalScalar(db, "SELECT count(*) FROM api_keys WHERE project = ?1", name);
    if (!keys.ok()) return keys.error();
    if (keys->value_or(0) > 0) {
      return Conflict("project " + name + " still has API keys; revoke them first");
    }
    Result<Statement*> st = db.Prepare("DELETE FROM projects WHERE name = ?1");
    if (!st.ok()) return st.error();
    (*st)->Bind(1, name);
    return (*st)->Run();
  });
}

void SqliteStore::SetPingKey(std::string name, std::string ping_key, Callback<void> done) {
  Write<void>(std::move(done),
              [name = std::move(name), ping_key = std::move(ping_key)](Connection& db) -> Status {
                Result<Statement*> st =
                    db.Prepare("UPDATE projects SET ping_key = ?2 WHERE name = ?1");
                if (!st.ok()) return st.error();
                (*st)->Bind(1, name);
                (*st)->Bind(2, ping_key);
                if (Status s = (*st)->Run(); !s.ok()) return s;
                if (db.Changes() == 0) return NotFound("no project named " + name);
                return Ok{};
              });
}

// ---- channels ----

void SqliteStore::AddChannel(ChannelRecord channel, Callback<void> done) {
  Write<void>(
      std::move(done),
      [channel = std::move(channel)](Connection& db) -> Status {
        Result<Statement*> st = db.Prepare(
            "INSERT INTO channels (project, name, kind, config, created_at) "
            "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (project, name) DO NOTHING");
        if (!st.ok()) return st.error();
        (*st)->Bind(1, channel.project);
        (*st)->Bind(2, channel.name);
        (*st)->Bind(3, channel.kind);
        (*st)->Bind(4, channel.config);
        (*st)->Bind(5, channel.created_at);
        if (Status s = (*st)->Run(); !s.ok()) return s;
        if (db.Changes() == 0)
          return Conflict("a channel named " + channel.name + " already exists");
        return Ok{};
      },
      Atomicity::kOneStatement);
}

void SqliteStore::ListChannels(Callback<std::vector<ChannelRecord>> done) {
  Read<std::vector<ChannelRecord>>(
      std::move(done), [](Connection& db) -> Result<std::vector<ChannelRecord>> {
        Result<Statement*> st = db.Prepare(
            "SELECT project, name, kind, config, created_at FROM channels "
            "ORDER BY project, name");
        if (!st.ok()) return st.error();
        std::vector<ChannelRecord> out;
        for (;;) {
          Result<bool> row = (*st)->Step();
          if (!row.ok()) return row.error();
          if (!*row) break;
          out.push_back({.project = (*st)->Text(0),
                         .name = (*st)->Text(1),
                         .kind = (*st)->Text(2),
                         .config = (*st)->Text(3),
                         .created_at = (*st)->Int(4)});
        }
        (*st)->Reset();
        return out;
      });
}

void SqliteStore::RemoveChannel(std::string project, std::string name, Callback<void> done) {
  Write<void>(
      std::move(done),
      [project = std::move(project), name = std::move(name)](Connection& db) -> Status {
        Result<Statement*> st = db.Prepare("DELETE FROM channels WHERE project = ?1 AND name = ?2");
        if (!st.ok()) return st.error();
        (*st)->Bind(1, project);
        (*st)->Bind(2, name);
        if (Status s = (*st)->Run(); !s.ok()) return s;
        if (db.Changes() == 0) return NotFound("no channel named " + name);
        return Ok{};
      },
      Atomicity::kOneStatement);
}

}  // namespace heartbeat
