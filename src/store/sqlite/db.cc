#include "store/sqlite/db.h"

#include <mutex>

#include "store/sqlite/coalescing_vfs.h"
#include "store/sqlite/page_cache.h"

namespace heartbeat::sqlite {

Error SqliteError(sqlite3* db, int rc, std::string_view context) {
  std::string message =
      std::string(context) + ": " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
      return Unavailable(std::move(message));
    default:
      return Internal(std::move(message));
  }
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void Statement::Bind(int index, std::int64_t value) { sqlite3_bind_int64(stmt_, index, value); }

void Statement::Bind(int index, std::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
}

void Statement::BindView(int index, std::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
}

void Statement::BindBlobView(int index, std::string_view value) {
  sqlite3_bind_blob(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
}

void Statement::Bind(int index, std::optional<std::int64_t> value) {
  if (value) {
    Bind(index, *value);
  } else {
    BindNull(index);
  }
}

void Statement::BindNull(int index) { sqlite3_bind_null(stmt_, index); }

Result<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error e = SqliteError(db_, rc, "sqlite step");
  sqlite3_reset(stmt_);
  return e;
}

Status Statement::Run() {
  for (;;) {
    Result<bool> row = Step();
    if (!row.ok()) return row.error();
    if (!*row) return Ok{};
  }
}

std::optional<std::int64_t> Statement::OptionalInt(int col) const {
  if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_int64(stmt_, col);
}

std::string Statement::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), n);
}

std::string Statement::Blob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return p == nullptr ? std::string() : std::string(static_cast<const char*>(p), n);
}

std::optional<std::string> Statement::OptionalText(int col) const {
  if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
  return Text(col);
}

namespace {

// Process-wide settings, made before SQLite initializes (the first open or VFS
// registration). No memory statistics: heartbeat never reads them, and keeping them
// takes a global mutex on every allocation, about 5% of a ping's instructions. The page
// cache that skips empty truncations: see page_cache.h.
void ConfigureLibrary() {
  static std::once_flag once;
  std::call_once(once, [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    InstallPageCache();
  });
}

}  // namespace

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path, bool create) {
  ConfigureLibrary();
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, CoalescingVfsName());
  if (rc != SQLITE_OK) {
    Error e = SqliteError(db, rc, "open " + path);
    sqlite3_close(db);
    return e;
  }
  std::unique_ptr<Connection> conn(new Connection(db));
  sqlite3_extended_result_codes(db, 1);
  // Another process (the CLI, `heartbeat check`) may hold the write lock briefly.
  sqlite3_busy_timeout(db, 5000);
  // Small pages: a ping rewrites a few random pages (row, deadline index), and every
  // rewritten page is appended whole to the WAL and synced, so bytes per commit scale
  // with the page size. Takes effect only when the file is created.
  Status s = conn->Exec(
      "PRAGMA page_size=1024;"
      "PRAGMA cache_size=-65536;"
      "PRAGMA journal_mode=WAL;"
      "PRAGMA synchronous=FULL;"
      "PRAGMA foreign_keys=ON;"
      "PRAGMA temp_store=MEMORY;");
  if (!s.ok()) return s.error().Wrap("configure " + path);
  return conn;
}

Connection::~Connection() {
  cache_.clear();  // finalize statements before closing
  sqlite3_close(db_);
}

Status Connection::Exec(std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    Error e = SqliteError(db_, rc, "exec");
    e.message = "sqlite: " + msg;
    return e;
  }
  return Ok{};
}

Result<Statement*> Connection::Prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) {
    it->second->Reset();
    return it->second.get();
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, "prepare");
  auto owned = std::make_unique<Statement>(db_, stmt);
  Statement* raw = owned.get();
  cache_.emplace(sql, std::move(owned));
  return raw;
}

Error Connection::LastError(std::string_view context) const {
  return SqliteError(db_, sqlite3_errcode(db_), context);
}

Result<std::optional<std::int64_t>> OptionalScalar(Connection& db, const char* sql) {
  Result<Statement*> st = db.Prepare(sql);
  if (!st.ok()) return st.error();
  Result<bool> row = (*st)->Step();
  if (!row.ok()) return row.error();
  std::optional<std::int64_t> v = *row ? (*st)->OptionalInt(0) : std::nullopt;
  (*st)->Reset();
  return v;
}

}  // namespace heartbeat::sqlite
