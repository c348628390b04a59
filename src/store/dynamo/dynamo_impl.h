#pragma once
// Inside DynamoStore (dynamo_store.h): what its operations share. Private to
// src/store/dynamo: dynamo_store.cc (lifetime, monitors), dynamo_outbox.cc (the checker's
// queries, the outbox), dynamo_keys.cc (API keys), dynamo_tables.cc (store init).
//
// Threads:
// - The store's thread runs `ioc`, on which every operation is a coroutine: it starts
//   there, resumes there after each DynamoDB request, and answers `done` there. State of
//   the store's own (the expiry cursor, the cached counts) is touched only there.
// - The HTTP client's event thread runs DynamoClient's callbacks, which only post the
//   result back to `ioc` (aws/dynamodb_awaitable.h).
// - Callers' threads only start operations (Run) and read Healthy().

#include <algorithm>
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "aws/dynamodb_awaitable.h"
#include "store/dynamo/dynamo_store.h"
#include "store/dynamo/monitor_item.h"

namespace heartbeat {
namespace dynamo {

// An operation's coroutine: its answer, or why not.
template <class T>
using Task = boost::asio::awaitable<Result<T>>;

// Read-modify-writes that lose a race (a ping landed between the read and the write) try
// again, this many times, and then report kUnavailable (the caller may retry later: a
// monitor pinged many times a second can outrun a few attempts). A checker's step tries
// again too, and its rule (core/lifecycle.h's ApplyCheck) reports kConflict on the fresh
// read; kNoRetry is for writes that are dropped when anything moved.
inline constexpr int kMutateAttempts = 12;
inline constexpr int kNoRetry = 0;

Error ToError(const aws::DynamoError& e, std::string_view what);

inline aws::AttributeValue S(std::string s) { return aws::AttributeValue::S(std::move(s)); }
inline aws::AttributeValue N(std::int64_t n) { return aws::AttributeValue::N(n); }

std::int64_t FloorDiv(std::int64_t a, std::int64_t b);

inline bool Live(const MonitorRecord& r, UnixMillis now) { return !r.monitor.expired(now); }

// The first revision of a new item: its creation time times 1000 plus a random part, so
// that an item deleted and created again never repeats a revision a writer may still hold.
std::int64_t FirstRevision(UnixMillis now);

// What a read-modify-write does with the item it read.
struct Change {
  enum class Kind { kNone, kPut, kDelete } kind = Kind::kNone;
  MonitorRecord record;  // for kPut

  static Change None() { return {}; }
  static Change Put(MonitorRecord r) { return {Kind::kPut, std::move(r)}; }
  static Change Remove() { return {Kind::kDelete, {}}; }
};

// A read-modify-write's decision: the change, and the operation's answer once it is written.
template <class T>
struct Outcome {
  Change change;
  T value;
};

// The condition of a read-modify-write's write: the item is as it was read.
struct WriteCondition {
  std::string expression;
  aws::ExpressionNames names;
  aws::ExpressionValues values;
};
// `rev` is the revision read, none when the item had none (the seed's items); `exists`
// false when there was no item.
WriteCondition AsRead(bool exists, std::optional<std::int64_t> rev);

// Restricts a scan of the monitors table to the items of `project` (core/project.h's keys).
void FilterProject(aws::ScanRequest& scan, std::string_view project);

}  // namespace dynamo

struct DynamoStore::Impl {
  using MonitorRecord = dynamo::MonitorRecord;
  template <class T>
  using Task = dynamo::Task<T>;

  DynamoStoreOptions options;
  std::unique_ptr<AsyncHttpClient> http;
  std::unique_ptr<aws::DynamoClient> client;
  std::atomic<bool> healthy{true};
  std::atomic<bool> probing{false};  // a probe of Healthy() is in flight

  boost::asio::io_context ioc{1};
  // Keeps `ioc` running between operations, until Close.
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work =
      boost::asio::make_work_guard(ioc);
  std::thread thread;  // the store's thread: runs ioc

  std::mutex mu;
  std::condition_variable idle_cv;
  std::size_t running = 0;  // operations accepted and not yet answered; guarded by mu
  bool closed = false;      // guarded by mu

  // Where DeleteExpired's scan goes on; on the store's thread only.
  std::optional<aws::Item> expiry_cursor;
  // The latest count of monitors, and when it was counted; on the store's thread only.
  std::optional<std::pair<UnixMillis, MonitorCounts>> counts;

  // --- MAX_MONITORS_PER_PROJECT ---
  //
  // How many monitor items each project has, as this process knows it: counted by a Scan
  // (Select COUNT) when first needed and again once older than kProjectCountMaxAge, and
  // moved by the creations and deletions this process makes in between. A creating write
  // is allowed while count + pending (creations in flight) is under the limit; past it,
  // a write may only change an existing item (attribute_exists). Per process, and so
  // approximate across replicas: two replicas may each create up to the limit before their
  // next count sees the other's monitors. On the store's thread only.
  struct ProjectCount {
    std::int64_t count = 0;
    std::optional<UnixMillis> counted_at;  // none: never counted
    std::int64_t pending = 0;              // creating writes in flight
    bool Fresh(UnixMillis now) const {
      return counted_at && now >= *counted_at && now - *counted_at < kProjectCountMaxAge;
    }
    // Whether one more monitor fits under `limit` (MAX_MONITORS_PER_PROJECT), counting the
    // creations in flight but `own` (1 when the asking write has reserved its place).
    bool HasRoom(std::int64_t limit, std::int64_t own = 0) const {
      return count + pending - own < limit;
    }
  };
  static constexpr UnixMillis kProjectCountMaxAge = 60'000;
  std::map<std::string, ProjectCount, std::less<>> project_counts;
  // Counts the project's monitor items afresh (at `now`, for its age).
  Task<Ok> CountProject(std::string project, UnixMillis now);
  // Moves a known count by a creation (+1) or a deletion (-1) of this process.
  void MoveCount(std::string_view project, std::int64_t by) {
    auto it = project_counts.find(project);
    if (it != project_counts.end() && it->second.counted_at) {
      it->second.count = std::max<std::int64_t>(0, it->second.count + by);
    }
  }

  // --- the keys table's layout ---

  // Whether KEYS_TABLE is the original Rust service's (hash key api_key, keys in clear),
  // as its items show (none while the table is empty); on the store's thread only.
  std::optional<bool> rust_keys;
  void LearnKeysLayout(const aws::Item& item);
  // A PutItem of a new item of the keys table (attribute_not_exists), built by `build` for
  // the layout (true: the Rust service's); on an empty table, the layout the table takes.
  boost::asio::awaitable<aws::DynamoResult<aws::Nothing>> PutNew(
      std::function<aws::Item(bool rust)> build);
  // The hash of each key stored in clear, and the clear key that is its item's hash key
  // (as of the latest scan of the keys table); on the store's thread only.
  std::map<std::string, std::string> clear_items;
  // How many keys the latest scan found stored in clear (any thread).
  std::atomic<std::size_t> clear_keys{0};
  Task<bool> RustKeys();
  std::string KeysHashAttribute() const {
    return rust_keys.value_or(false) ? "api_key" : "key_hash";
  }

  std::string Home(const std::string& slug) const {
    return dynamo::HomePartition(slug, options.check_partitions);
  }

  // Runs the operation `op` on the store's thread and answers its result with `done`
  // there (never inside this call), marking the store healthy or not by it. After Close,
  // answers kUnavailable inside the call (and `op` never starts).
  template <class T>
  void Run(Callback<T> done, Task<T> op);

  // Healthy()'s probe, when DynamoDB has been quiet for a while and nothing is in flight.
  void ProbeWhenIdle();

  // A DynamoDB request, awaited: aws::Call on this store's client.
  template <class Op, class... Args>
  auto Call(Op op, Args&&... args) {
    return aws::Call(*client, op, std::forward<Args>(args)...);
  }

  // --- one monitor item ---

  Task<std::optional<MonitorRecord>> GetRecord(std::string slug);

  // The read-modify-write of one monitor item: reads it (strongly), lets `decide` say what
  // to write (a Result<Outcome<T>> of std::optional<MonitorRecord>), and writes it on the
  // condition that the item is still as read. When another writer came first, reads again
  // and decides again, up to `attempts` times in all; kNoRetry: kConflict at once.
  template <class T, class Decide>
  Task<T> Mutate(std::string slug, Decide decide, int attempts);

  // The write of a read-modify-write; the failure, if any.
  boost::asio::awaitable<std::optional<aws::DynamoError>> Write(std::string slug,
                                                                dynamo::Change change,
                                                                dynamo::WriteCondition condition);

  // --- the checker's partitions ---

  // Every record of the GSI partition `partition` with next_due <= `before_secs` (all of
  // them when none). A malformed item is skipped.
  Task<std::vector<MonitorRecord>> QueryPartition(std::string partition,
                                                  std::optional<std::int64_t> before_secs);
  Task<std::vector<MonitorRecord>> QueryAlerting() {
    return QueryPartition(dynamo::kAlertingPartition, std::nullopt);
  }

  // --- keys (dynamo_keys.cc) ---

  // An item of the keys table: an API key (hashed, or in clear in a table of the Rust
  // service) or a project.
  struct KeyItem {
    enum class Kind { kKey, kProject, kChannel } kind = Kind::kKey;
    ApiKeyRecord key;
    ProjectRecord project;
    ChannelRecord channel;
    std::string item_key;  // the value of its hash key attribute
  };
  Task<std::vector<KeyItem>> ScanKeyItems();
  Task<std::vector<ApiKeyRecord>> ScanKeys();

  // --- the history table (dynamo_history.cc) ---

  // After a monitor's write: its history entry (and the removal of the entry `kept` before
  // it) and its status change, in one BatchWriteItem.
  Task<Ok> AddHistory(std::string slug, std::optional<PingRecord> record, std::optional<Flip> flip,
                      std::int64_t kept);
  // Every history entry and status change of the monitor (deleted, or started afresh).
  Task<Ok> DropHistory(std::string slug);

 private:
  template <class T>
  boost::asio::awaitable<void> Answer(Task<T> op, Callback<T> done, bool hop);
};

// ---------------------------------------------------------------------------------------

template <class T>
void DynamoStore::Impl::Run(Callback<T> done, Task<T> op) {
  bool closed_now;
  {
    std::lock_guard lock(mu);
    closed_now = closed;
    if (!closed_now) ++running;
  }
  if (closed_now) return done(Unavailable("the store is closed"));
  // Started from the store's thread (a `done` that calls the store again), co_spawn would
  // run the operation inside this call up to its first request: Answer hops first.
  const bool hop = ioc.get_executor().running_in_this_thread();
  boost::asio::co_spawn(ioc, Answer<T>(std::move(op), std::move(done), hop), boost::asio::detached);
}

template <class T>
boost::asio::awaitable<void> DynamoStore::Impl::Answer(Task<T> op, Callback<T> done, bool hop) {
  if (hop) co_await boost::asio::post(ioc, boost::asio::use_awaitable);
  // The operation's deadline (store_timeout): whichever comes first, the operation's end or
  // the timer, answers; both run on this thread. An operation past its deadline goes on
  // until its request in flight ends (by the client's operation_timeout, the same length)
  // and may still write; its caller has had kUnavailable.
  struct Waiting {
    explicit Waiting(boost::asio::io_context& ioc) : timer(ioc) {}
    boost::asio::steady_timer timer;
    std::optional<Callback<T>> done;  // empty once answered
  };
  auto waiting = std::make_shared<Waiting>(ioc);
  waiting->done.emplace(std::move(done));
  if (options.store_timeout.count() > 0) {
    waiting->timer.expires_after(options.store_timeout);
    waiting->timer.async_wait([this, waiting](const boost::system::error_code& ec) {
      if (ec || !waiting->done) return;
      Callback<T> answer = std::move(*waiting->done);
      waiting->done.reset();
      healthy.store(false);
      answer(Unavailable("no answer from DynamoDB within " +
                         std::to_string(options.store_timeout.count()) + " ms"));
    });
  }
  std::optional<Result<T>> r;
  try {
    r.emplace(co_await std::move(op));
  } catch (const std::exception& e) {  // the last net: no operation stops the store's thread
    r.emplace(Internal(std::string("DynamoDB store: ") + e.what()));
  }
  waiting->timer.cancel();
  healthy.store(r->ok() || r->error().code != ErrorCode::kUnavailable);
  if (waiting->done) {
    Callback<T> answer = std::move(*waiting->done);
    waiting->done.reset();
    answer(std::move(*r));
  }
  std::lock_guard lock(mu);
  if (--running == 0) idle_cv.notify_all();
}

template <class T, class Decide>
dynamo::Task<T> DynamoStore::Impl::Mutate(std::string slug, Decide decide, int attempts) {
  for (;;) {
    Result<std::optional<MonitorRecord>> read = co_await GetRecord(slug);
    if (!read.ok()) co_return read.error();
    std::optional<MonitorRecord>& current = *read;
    const bool exists = current.has_value();
    std::optional<std::int64_t> rev;
    if (exists && current->raw.count("rev") > 0) rev = current->rev;

    Result<dynamo::Outcome<T>> outcome = decide(std::move(current));
    if (!outcome.ok()) co_return outcome.error();
    if (outcome->change.kind == dynamo::Change::Kind::kNone) co_return std::move(outcome->value);

    dynamo::WriteCondition as_read = dynamo::AsRead(exists, rev);
    std::optional<aws::DynamoError> failed =
        co_await Write(slug, std::move(outcome->change), std::move(as_read));
    if (!failed) co_return std::move(outcome->value);
    if (failed->kind != aws::DynamoErrorKind::kConditionalCheckFailed) {
      co_return dynamo::ToError(*failed, "write monitor " + slug);
    }
    if (attempts == dynamo::kNoRetry) co_return Conflict("monitor " + slug + " changed meanwhile");
    if (attempts <= 1) {
      co_return Unavailable("monitor " + slug + " kept changing under a write; try again");
    }
    --attempts;  // another writer came first: read again
  }
}

}  // namespace heartbeat
