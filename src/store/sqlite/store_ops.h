#pragma once
// SqliteStore's plumbing, shared by its implementation files: the write operation queued
// for the writer, and the Write/Read templates that every operation goes through.

#include "store/sqlite/sqlite_store.h"

namespace heartbeat {

using sqlite::Connection;

struct SqliteStore::WriteOp {
  virtual ~WriteOp() = default;
  // Whether the operation runs several writing statements and so needs a savepoint to be
  // undone as a whole; a single writing statement (perhaps followed by reads) is atomic
  // by itself.
  bool needs_savepoint = true;
  // Runs the operation inside the open transaction; false when it failed.
  virtual bool Execute(Connection& db) = 0;
  virtual void Abort(Error e) = 0;
  virtual void Complete() = 0;
};

// The operation's function is held as it is, not in a std::function: one allocation per
// write instead of two.
template <class T, class Fn>
struct SqliteStore::TypedWriteOp final : SqliteStore::WriteOp {
  TypedWriteOp(Fn f, Callback<T> d) : fn(std::move(f)), done(std::move(d)) {}
  Fn fn;
  Callback<T> done;
  std::optional<Result<T>> result;

  bool Execute(Connection& db) override {
    result.emplace(fn(db));
    return result->ok();
  }
  void Abort(Error e) override { result.emplace(std::move(e)); }
  void Complete() override { done(std::move(*result)); }
};

template <class T, class Fn>
void SqliteStore::Write(Callback<T> done, Fn fn, Atomicity atomicity) {
  auto op = std::make_unique<TypedWriteOp<T, Fn>>(std::move(fn), std::move(done));
  op->needs_savepoint = atomicity == Atomicity::kSeveralStatements;
  {
    std::lock_guard lock(write_mu_);
    if (!write_closed_) {
      write_queue_.push_back(std::move(op));
      write_cv_.notify_one();
      return;
    }
  }
  op->done(Unavailable("the store is closed"));
}

template <class T>
void SqliteStore::Read(Callback<T> done, std::function<Result<T>(Connection&)> fn) {
  {
    std::lock_guard lock(read_mu_);
    if (!read_closed_) {
      read_queue_.emplace_back([this, done, fn = std::move(fn)](Connection* db) {
        if (db == nullptr) {
          healthy_.store(false);
          done(Unavailable("the database cannot be opened for reading"));
          return;
        }
        Result<T> r = fn(*db);
        if (!r.ok() && r.error().code == ErrorCode::kUnavailable) healthy_.store(false);
        done(std::move(r));
      });
      read_cv_.notify_one();
      return;
    }
  }
  done(Unavailable("the store is closed"));
}

}  // namespace heartbeat
