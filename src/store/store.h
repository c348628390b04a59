#pragma once
// The Store: where monitors, their outbox of alerts and API keys live. It persists and
// does not decide: every change of a monitor's state is a rule of core/lifecycle.h applied
// through Mutate. Implemented by MemoryStore, SqliteStore (one file, a single
// group-committing writer) and DynamoStore.
//
// Every operation is asynchronous: it returns at once and calls `done` exactly once, on a
// thread owned by the store (never inside the call itself), so that an I/O thread never
// waits for a disk or a network. Callbacks must not block; they usually post the result
// back to the caller's executor. A write is reported successful only once it is durable.
//
// Times are Unix milliseconds supplied by the caller, so that the store has no clock of
// its own and tests drive it with a fake one. Expired monitors (expires_at <= now) are
// treated as absent by every operation.

#include <cstdint>
#include <functional>
#include <future>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/alert.h"
#include "core/channel.h"
#include "core/clock.h"
#include "core/lifecycle.h"
#include "core/monitor.h"
#include "core/project.h"
#include "core/result.h"
#include "core/signal.h"

namespace heartbeat {

template <class T>
using Callback = std::function<void(Result<T>)>;

struct MonitorPage {
  std::vector<Monitor> monitors;          // sorted by slug
  std::optional<std::string> next_after;  // pass as `after` to get the next page; none at the end
};

// An alert waiting in the outbox, claimed by one sender for a while (its lease). The
// outbox holds one entry per (alert, channel): each channel's queue of a monitor goes out
// in order, independently of its other channels.
struct PendingAlert {
  // Increasing per monitor: alerts go out in id order per monitor and channel. Unique per
  // monitor (alert.slug, across its channels), not necessarily across monitors.
  std::int64_t id = 0;
  Alert alert;
  std::int64_t attempts = 0;
  UnixMillis created_at = 0;
};

struct ApiKeyRecord {
  std::string key_hash;  // hex SHA-256; the key itself is never stored
  std::string description;
  UnixMillis created_at = 0;
  std::optional<UnixMillis> last_used_at;
  std::string project{kDefaultProject};  // the one project it acts in
  bool read_only = false;
  // A key of the original Rust service's table, stored there in clear (DynamoDB only):
  // accepted as it is until `heartbeat keys migrate` hashes it.
  bool clear_text = false;
};

// A project (SPEC §13) and the ping key of its Healthchecks-style ping URLs.
struct ProjectRecord {
  std::string name;
  std::string ping_key;  // 22 characters of [a-z0-9]
  UnixMillis created_at = 0;
};

// What one claim of alerts may take (ClaimAlerts): nothing of a channel (key) in `skip`,
// and of any other channel at most `per_channel` minus `in_flight`'s count for it (what the
// sender is sending to it now), so that one channel never holds more than per_channel of
// its senders.
struct ClaimRoom {
  std::vector<std::string> skip = {};
  std::map<std::string, std::size_t> in_flight = {};
  std::size_t per_channel = std::numeric_limits<std::size_t>::max();
  // How many alerts of `channel` the claim may take.
  std::size_t For(const std::string& channel) const;
};

// What one claim has taken of each channel, against its room: each store's claim asks it
// of every ready head, oldest first.
class ClaimBudget {
 public:
  explicit ClaimBudget(const ClaimRoom& room) : room_(room) {}
  // Whether one more alert of `channel` fits the room; counts it when it does.
  bool Take(const std::string& channel);

 private:
  const ClaimRoom& room_;
  std::map<std::string, std::size_t> taken_;
};

class Store {
 public:
  virtual ~Store() = default;

  // --- monitors ---

  // The one read-modify-write of a monitor, through which every change of its state goes:
  // reads the monitor as stored (absent, or perhaps expired), runs `fn` on it (the rules
  // are core/lifecycle.h's) and writes what it says, atomically: on SQLite inside the
  // writer's transaction, on DynamoDB as a write conditioned on the revision read, read
  // and tried again when another writer came first. `fn` must be pure and cheap: it may
  // run more than once, on a store thread. Its error is the answer, and nothing is written.
  // Answers the monitor as read and as written (after = before for kKeep, none after
  // kDelete). A queued alert goes into the monitor's outbox in the same write.
  struct Mutated {
    std::optional<Monitor> before;
    std::optional<Monitor> after;
  };
  using MutateFn = std::function<Result<Mutation>(const std::optional<Monitor>& current)>;
  virtual void Mutate(std::string slug, MutateFn fn, Callback<Mutated> done) = 0;

  // The signals, each Mutate with its rule of core/lifecycle.h.

  // What a signal carries (SPEC §12): the signal, where it came from, and its body (the
  // bytes kept, at most PING_BODY_LIMIT).
  struct SignalCall {
    Signal signal;
    SignalSource source = {};
    std::string body = {};
  };
  // A signal (SignalMutation): the monitor's new state and, unless history is off, its
  // history entry, in one write; entries past the last PingsKept() of the monitor go.
  // Answers the monitor as written. A success carrying at most an interval takes the
  // store's fast path (PlainPing).
  void Receive(std::string slug, SignalCall call, UnixMillis now, Callback<Monitor> done);
  // Receive with a success carrying `settings` (valid: ValidateSettings), no body.
  void PingWith(std::string slug, MonitorSettings settings, UnixMillis now, Callback<Monitor> done);
  void Ping(std::string slug, std::optional<std::int64_t> interval_secs, UnixMillis now,
            Callback<Monitor> done);
  // Receive with a failure, no body.
  void Fail(std::string slug, UnixMillis now, Callback<Monitor> done);

  // PUT /monitors/{slug} (Configured; `settings` valid): answers the monitor as read and as
  // written (before is none when it was created).
  void Configure(std::string slug, MonitorSettings settings, UnixMillis now,
                 Callback<Mutated> done);

  // How many history entries are kept per monitor (PINGS_KEPT); 0 keeps none, and a signal
  // then writes nothing but the monitor. Set before the first operation.
  void KeepPings(std::int64_t kept) { pings_kept_ = kept; }
  std::int64_t PingsKept() const { return pings_kept_; }

  // The write of a signal on the monitor as stored (a store's slow path): CheckTarget, then
  // SignalMutation. (A monitor it creates without a uuid gets one from the store's write,
  // as every write that leaves a monitor without one.)
  static Result<Mutation> SignalWriteOf(const std::optional<Monitor>& current,
                                        std::string_view slug, const SignalCall& call,
                                        bool keep_history, UnixMillis now);

  // --- history ---

  // The monitor's history, newest first, at most `limit` entries, bodies not read (only
  // their size); nullopt when there is no live monitor.
  virtual void ListPings(std::string slug, std::size_t limit, UnixMillis now,
                         Callback<std::optional<std::vector<PingRecord>>> done) = 0;
  // The body of history entry `n`; nullopt when there is no live monitor, no such entry
  // (or it was pruned) or it had no body.
  virtual void PingBody(std::string slug, std::int64_t n, UnixMillis now,
                        Callback<std::optional<std::string>> done) = 0;
  // The monitor's status changes at or after `since`, newest first; nullopt when there is
  // no live monitor.
  virtual void ListFlips(std::string slug, UnixMillis since, UnixMillis now,
                         Callback<std::optional<std::vector<Flip>>> done) = 0;

  // Paused and Unpaused; each reports false when the monitor is absent or expired.
  void Pause(std::string slug, UnixMillis now, Callback<bool> done);
  void Unpause(std::string slug, UnixMillis now, Callback<bool> done);
  // Snoozed (until `until`), Unsnoozed and Acknowledged; each reports false when the
  // monitor is absent or expired.
  void Snooze(std::string slug, UnixMillis until, UnixMillis now, Callback<bool> done);
  void Unsnooze(std::string slug, UnixMillis now, Callback<bool> done);
  void Acknowledge(std::string slug, UnixMillis now, Callback<bool> done);

  // The monitor, or nullopt if absent or expired.
  virtual void Get(std::string slug, UnixMillis now, Callback<std::optional<Monitor>> done) = 0;

  // The live monitor whose uuid is `uuid`, or nullopt. (DynamoDB reads an index that may
  // lag a creation by a moment.)
  virtual void FindByUuid(std::string uuid, UnixMillis now,
                          Callback<std::optional<Monitor>> done) = 0;

  // Up to `limit` monitors of `project` with key > `after` (all from the start when
  // empty), by key (core/project.h: MonitorKey).
  virtual void List(std::string project, std::string after, std::size_t limit, UnixMillis now,
                    Callback<MonitorPage> done) = 0;

  // The most monitors a project may hold (MAX_MONITORS_PER_PROJECT): a write that would
  // create one more fails with core's MonitorLimitReached and changes nothing. Set before
  // the first operation.
  void LimitMonitors(std::int64_t limit) { max_monitors_ = limit; }
  std::int64_t MaxMonitors() const { return max_monitors_; }

  // Deletes the monitor and its alerts; reports false when it was absent or expired.
  virtual void Delete(std::string slug, UnixMillis now, Callback<bool> done) = 0;

  // How many live monitors are in each status at `now` (reads them all: for metrics
  // scrapes, not for hot paths).
  virtual void CountMonitors(UnixMillis now, Callback<MonitorCounts> done) = 0;

  // Removes expired monitors, doing a bounded amount of work (about `limit` monitors
  // examined or removed); reports how many went. Called periodically.
  virtual void DeleteExpired(UnixMillis now, std::size_t limit, Callback<std::size_t> done) = 0;

  // --- the checker ---
  //
  // A monitor's check_at (core/lifecycle.h) is kept by every write; these read by it.

  // Up to `limit` monitors with check_at <= now, earliest first.
  virtual void DueMonitors(UnixMillis now, std::size_t limit,
                           Callback<std::vector<Monitor>> done) = 0;

  // The earliest check_at of any monitor; nullopt when none is scheduled.
  virtual void EarliestCheck(Callback<std::optional<UnixMillis>> done) = 0;

  // Writes the checker's step on `seen` (as DueMonitors returned it) with ApplyCheck: the
  // new alert state and check time, and the decided alert queued in the outbox, in one
  // write; kConflict, with nothing written, when the monitor changed meanwhile (a ping,
  // another checker). An expired monitor is removed.
  void ApplyCheck(const Monitor& seen, const CheckStep& step, UnixMillis now, Callback<void> done);

  // --- the outbox of alerts ---

  // Claims, for `owner` until now + lease_ms, the oldest pending alert of each monitor and
  // channel that is ready (next attempt due, not leased by another), up to `limit`, oldest
  // first, within `room` (per channel: none of a skipped one, at most room.For() of the
  // others). An alert whose older sibling of the same monitor and channel is still pending
  // is never claimed: per monitor and channel, alerts go out in order.
  virtual void ClaimAlerts(UnixMillis now, std::int64_t lease_ms, std::size_t limit,
                           std::string owner, ClaimRoom room,
                           Callback<std::vector<PendingAlert>> done) = 0;
  // The next four take an alert as ClaimAlerts returned it (its id and its monitor).
  // Removes a delivered alert. kConflict when `owner` no longer holds its lease (or the
  // monitor, and with it its alerts, was deleted).
  virtual void FinishAlert(const PendingAlert& alert, std::string owner, Callback<void> done) = 0;
  // Extends the lease while the alert is still being sent or its outcome recorded: sets
  // its end to `lease_until`, so that no other sender claims it before then. kConflict,
  // with nothing changed, when `owner` no longer holds it (as FinishAlert: another sender
  // took it, or it was finished, retried, rejected or deleted meanwhile).
  virtual void RenewAlert(const PendingAlert& alert, std::string owner, UnixMillis lease_until,
                          Callback<void> done) = 0;
  // Releases the lease and schedules the next attempt.
  virtual void RetryAlert(const PendingAlert& alert, std::string owner, UnixMillis next_attempt_at,
                          std::string error, Callback<void> done) = 0;
  // Marks an alert the receiver refused for good: kept for inspection, never sent again,
  // and no longer holding back the alerts queued after it.
  virtual void RejectAlert(const PendingAlert& alert, std::string owner, std::string error,
                           Callback<void> done) = 0;
  // When the next pending alert can be claimed (its attempt time, or its lease's end);
  // nullopt when none is pending.
  virtual void EarliestAlertAttempt(Callback<std::optional<UnixMillis>> done) = 0;
  // How many alerts wait to be delivered.
  virtual void CountPendingAlerts(Callback<std::int64_t> done) = 0;

  // --- API keys ---

  virtual void AddKey(ApiKeyRecord key, Callback<void> done) = 0;
  virtual void ListKeys(Callback<std::vector<ApiKeyRecord>> done) = 0;
  // Deletes the key whose hash starts with `id` (the 12-character key ID, or the whole
  // hash). NotFound when none matches, InvalidArgument when the ID is malformed or matches
  // several keys.
  virtual void RevokeKey(std::string id, Callback<void> done) = 0;
  // Records when keys were last used: (key_hash, time) pairs, batched by the caller.
  virtual void TouchKeys(std::vector<std::pair<std::string, UnixMillis>> uses,
                         Callback<void> done) = 0;

  // --- projects ---

  // Adds a project: kConflict when its name (or ping key) is taken.
  virtual void AddProject(ProjectRecord project, Callback<void> done) = 0;
  // Every project, by name. The default one is there once EnsureDefaultProject ran.
  virtual void ListProjects(Callback<std::vector<ProjectRecord>> done) = 0;
  // Removes an empty project: NotFound when there is none, kConflict when it still holds a
  // live monitor or a key, InvalidArgument for the default project.
  virtual void RemoveProject(std::string name, UnixMillis now, Callback<void> done) = 0;
  // Replaces the project's ping key: NotFound when there is no such project.
  virtual void SetPingKey(std::string name, std::string ping_key, Callback<void> done) = 0;
  // Adds the default project, with a new ping key, unless it exists.
  void EnsureDefaultProject(UnixMillis now, Callback<void> done);

  // --- channels (SPEC §14) ---

  // Adds a channel: kConflict when its project has one of that name.
  virtual void AddChannel(ChannelRecord channel, Callback<void> done) = 0;
  // Every channel of every project, by project and name.
  virtual void ListChannels(Callback<std::vector<ChannelRecord>> done) = 0;
  // Removes a channel: NotFound when the project has none of that name. Alerts queued to
  // it stay, and are refused when their turn comes.
  virtual void RemoveChannel(std::string project, std::string name, Callback<void> done) = 0;

  // --- health and lifetime ---

  // Cheap and non-blocking: whether the store answered its latest operation or probe.
  virtual bool Healthy() const = 0;

  // Cheap and non-blocking: why the store is lost for good, when it is (a SQLite file
  // deleted or replaced under it: every write since fails and none ever will succeed
  // again); nullopt while it is not. A server polls it and stops, for its supervisor to
  // notice. A store that cannot be lost keeps the default.
  virtual std::optional<std::string> Fatal() const { return std::nullopt; }

  // Cheap and non-blocking: why the latest write failed, for the log line a server writes
  // when Healthy() turns false; empty when the store does not say.
  virtual std::string LastFailure() const { return {}; }

  // For a process stopping: fails at once every operation waiting on a network answer, and
  // every later one, so that a stalled store does not hold the shutdown for a
  // STORE_TIMEOUT per phase. Nothing acknowledged is affected (what fails was never
  // answered). Thread-safe; Close must still be called. A local store keeps the default.
  virtual void Interrupt() {}

  // Stops taking operations, completes everything already accepted (writes made durable),
  // and returns when done. Idempotent. Operations after Close fail with kUnavailable; the
  // store has no threads left then, so their callback runs inside the call.
  virtual void Close() = 0;

 protected:
  // The fast path of a success that carries at most an interval and no run to end: it must
  // write exactly what SignalMutation writes (tests/store/fast_ping_property_test.cc holds
  // each store to it). The default is Mutate.
  virtual void PlainPing(std::string slug, SignalCall call, UnixMillis now, Callback<Monitor> done);
  // Receive through Mutate.
  void MutateSignal(std::string slug, SignalCall call, UnixMillis now, Callback<Monitor> done);

 private:
  std::int64_t pings_kept_ = kDefaultPingsKept;
  std::int64_t max_monitors_ = kDefaultMaxMonitorsPerProject;
};

// Runs an asynchronous store call and waits for its result. For the CLI and tests only:
// never on an I/O thread.
template <class T, class Fn>
Result<T> Await(Fn&& start) {
  std::promise<Result<T>> promise;
  auto future = promise.get_future();
  start([&promise](Result<T> r) { promise.set_value(std::move(r)); });
  return future.get();
}

}  // namespace heartbeat
