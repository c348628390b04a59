#pragma once
// MemoryStore: the Store (store/store.h) in memory, for the unit tests of the checker and
// the API, and as the plainest reading of the store contract. Nothing is persisted: a
// write is "durable" once it is in the maps, and a second MemoryStore never sees the
// data of the first.
//
// Threads: every operation does its work at once, inside the call, under the one mutex
// `mu_`, and queues its callback with the result; one worker thread owned by the store
// runs the queued callbacks in the order the operations were made, never holding `mu_`.
// A callback may therefore call the store again. So the effect of an operation is visible
// to every operation made after it returns, even before its callback has run, and
// Mutate's `fn` runs exactly once, inside the call and under `mu_` (it must still be
// pure and cheap, and must not call the store).
//
// Close stops taking operations, runs every queued callback and joins the worker; it must
// not be called from a callback (the worker would wait for itself). After Close, every
// operation answers kUnavailable inside the call, as store.h says. The destructor closes.
//
// Outbox: as the SQLite store's. Alert ids increase across the store (so per monitor and
// channel too). Only the oldest pending alert of each (monitor, channel) is ever
// claimable; a rejected alert is kept (counted nowhere, claimed never) and stops holding
// back the ones after it.
// Delete removes a monitor's alerts, rejected ones included; a monitor removed by
// DeleteExpired or by Mutate's kDelete (the checker's expiry) keeps its pending alerts,
// which are still delivered.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "store/store.h"

namespace heartbeat {

class MemoryStore final : public Store {
 public:
  MemoryStore();
  ~MemoryStore() override;
  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

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

  // True until Close.
  bool Healthy() const override;
  void Close() override;

 private:
  // An alert in the outbox, with its delivery state.
  struct OutboxEntry {
    PendingAlert pending;
    bool rejected = false;
    UnixMillis next_attempt_at = 0;
    std::optional<std::string> lease_owner;
    std::optional<UnixMillis> lease_until;
    std::string last_error;
  };

  // Runs `work` under mu_ and queues `done` with its result, or answers kUnavailable
  // inside the call once closed.
  template <class T, class Work>
  void Run(Callback<T> done, Work&& work);
  void WorkerLoop();

  // A monitor's history: its last PingsKept() signals by number, its status changes.
  struct History {
    std::map<std::int64_t, PingRecord> pings;
    std::vector<Flip> flips;  // oldest first
  };

  // The writes that keep the check_at index in step with the monitors; under mu_.
  // EraseMonitor takes its history with it.
  void PutMonitor(Monitor m);
  void EraseMonitor(const std::string& slug);
  // Adds a write's history entry and flip, pruning what is no longer kept; under mu_.
  void AddHistory(const std::string& slug, Mutation& mutation);
  // The live monitor's history, or nullptr; under mu_.
  const History* LiveHistory(const std::string& slug, UnixMillis now);
  void DropAlerts(const std::string& slug);  // every alert of the monitor, rejected ones too
  // Calls `fn` on each stored monitor of `project` (expired ones too), by key; under mu_.
  template <class Fn>
  void ForEachInProject(std::string_view project, Fn fn) const;
  // The outbox entry `alert` names, if `owner` holds its lease; under mu_.
  Result<OutboxEntry*> Leased(const PendingAlert& alert, const std::string& owner);
  // The oldest pending alert of each (monitor, channel), in id order; under mu_.
  std::vector<OutboxEntry*> Heads();

  std::mutex mu_;  // guards the members from here to the blank line
  std::condition_variable work_cv_;
  bool closed_ = false;
  std::deque<std::function<void()>> completed_;            // callbacks for the worker, in order
  std::map<std::string, Monitor> monitors_;                // by slug, expired ones included
  std::set<std::pair<UnixMillis, std::string>> by_check_;  // (check_at, slug)
  std::map<std::int64_t, OutboxEntry> outbox_;             // by id
  std::map<std::string, History> history_;                 // by slug
  std::int64_t next_alert_id_ = 1;
  std::map<std::string, ApiKeyRecord> keys_;                               // by key_hash
  std::map<std::string, ProjectRecord> projects_;                          // by name
  std::map<std::pair<std::string, std::string>, ChannelRecord> channels_;  // by (project, name)
  std::string expiry_cursor_;  // where DeleteExpired goes on from

  std::atomic<bool> healthy_{true};  // false once closed; read without mu_ by Healthy
  std::mutex close_mu_;  // serialises Close, so that every caller returns after the join
  std::thread worker_;   // runs WorkerLoop; joined by Close
};

}  // namespace heartbeat
