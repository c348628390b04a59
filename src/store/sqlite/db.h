#pragma once
// Thin RAII wrappers over the SQLite C API: a connection and cached prepared statements.
// Not thread-safe: each connection belongs to one thread.

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.h"

namespace heartbeat::sqlite {

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt_); }

  // Resets the statement and clears its bindings, ready for a new execution.
  void Reset();
  void Bind(int index, std::int64_t value);
  void Bind(int index, std::string_view value);
  // Binds text without copying it: `value` must stay valid until the statement has run
  // (SQLite reads it only while stepping). Saves a malloc and a copy per call.
  void BindView(int index, std::string_view value);
  // Binds bytes as a BLOB without copying them (as BindView).
  void BindBlobView(int index, std::string_view value);
  void Bind(int index, std::optional<std::int64_t> value);
  void BindNull(int index);

  // Advances: true when a row is available, false when done; an error otherwise.
  Result<bool> Step();
  // Steps until done, ignoring rows.
  Status Run();

  std::int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::optional<std::int64_t> OptionalInt(int col) const;
  std::string Text(int col) const;
  std::optional<std::string> OptionalText(int col) const;  // nullopt for NULL
  std::string Blob(int col) const;                         // the bytes; empty for NULL

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class Connection {
 public:
  // Opens (creating if allowed) the database file and applies the connection settings:
  // WAL, synchronous=FULL, a busy timeout, foreign keys.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, bool create);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  Status Exec(std::string_view sql);
  // A prepared statement cached for the life of the connection, keyed by its SQL text.
  Result<Statement*> Prepare(const char* sql);
  std::int64_t Changes() const { return sqlite3_changes64(db_); }
  sqlite3* raw() const { return db_; }
  Error LastError(std::string_view context) const;

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<const char*, std::unique_ptr<Statement>> cache_;
};

// Maps an SQLite result code to our error kinds: busy/locked/io/full -> kUnavailable.
Error SqliteError(sqlite3* db, int rc, std::string_view context);

// Runs a single-row, single-column query (through the statement cache) whose value may
// be NULL or missing.
Result<std::optional<std::int64_t>> OptionalScalar(Connection& db, const char* sql);
// The same with parameters, bound in order to ?1, ?2, ... (integers or text).
template <class... Args>
Result<std::optional<std::int64_t>> OptionalScalar(Connection& db, const char* sql,
                                                   const Args&... args) {
  Result<Statement*> st = db.Prepare(sql);
  if (!st.ok()) return st.error();
  int index = 0;
  ((*st)->Bind(++index, args), ...);
  Result<bool> row = (*st)->Step();
  if (!row.ok()) return row.error();
  std::optional<std::int64_t> v = *row ? (*st)->OptionalInt(0) : std::nullopt;
  (*st)->Reset();
  return v;
}

}  // namespace heartbeat::sqlite
