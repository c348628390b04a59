#pragma once
// Store on Amazon DynamoDB (or any engine that speaks its JSON protocol), with the seed's
// two tables: monitors (see monitor_item.h for the item layout and how the GSIs
// overdue-check-index and uuid-index are used) and API keys (hash key key_hash; only
// hashes are stored, but for the clear keys of a Rust-layout table until migrated), which
// also holds the projects (items "project:<name>") and the channels (items
// "channel:<project>/<name>"; adding one exactly as stored succeeds, for a retried write
// whose answer was lost, as AddKey). A keys table
// of the original Rust service (hash key api_key, keys in clear) is read as it is: its
// keys are accepted until `heartbeat keys migrate` hashes them (dynamo_keys.cc).
//
// Threads: the store has one of its own, on which every operation runs as a coroutine
// (boost::asio::awaitable) that reads top to bottom: it starts there, awaits its DynamoDB
// requests there, and answers `done` there. The requests go out on one AsyncHttpClient,
// whose event thread only hands each answer back to the store's thread: no thread waits
// for DynamoDB. Callers' threads only start operations. (dynamo_impl.h has the details;
// the operations are in dynamo_store.cc, dynamo_outbox.cc and dynamo_keys.cc.)
//
// Writes:
// - A ping is one UpdateItem, with or without an interval (the stored interval is read by
//   the update expression itself), then, unless PINGS_KEPT=0, one BatchWriteItem to the
//   history table (the entry, and the removal of the one no longer kept); a ping on an
//   expired, running or scheduled item goes through the read-modify-write instead.
// - Everything else that must read before it writes (fail, pause, unpause, the checker's
//   decisions, the outbox) is a read-modify-write of the whole item, conditional on the
//   item's revision `rev`: two writers racing on one monitor cannot both win. Alerts wait
//   in the monitor's own item (its outbox), so a decision and the alert it queues are one
//   conditional write: DynamoDB has no cross-item transaction that dynalite also offers.
// - Deleting a monitor drops the alerts still waiting for it, as the SQLite store does.
// - A write that creates a monitor is held to MAX_MONITORS_PER_PROJECT by this process's
//   count of the project's items (dynamo_impl.h, ProjectCount): per process, so replicas
//   creating at the same moment may pass the limit by a few. The ping's UpdateItem creates
//   only while that count is known and leaves room; otherwise it only updates an existing
//   item, and a creation goes through the read-modify-write, which counts first.
//
// Reads are strongly consistent where it matters (Get, the read of a read-modify-write);
// the checker's queries go to the GSI, which is eventually consistent: a monitor changed a
// moment ago may be seen in its old state, and the conditional write then loses (kConflict)
// instead of acting on it.
//
// For operators: (README, "On DynamoDB"); in prose, with the request client's retries:
// (docs/ENGINEERING.md, "DynamoDB store internals").

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "aws/dynamodb.h"
#include "http_client/async_http_client.h"
#include "store/store.h"

namespace heartbeat {

struct DynamoStoreOptions {
  std::string monitors_table = "heartbeat-monitors";
  std::string keys_table = "heartbeat-api-keys";
  std::string pings_table = "heartbeat-pings";  // PINGS_TABLE: the history
  // GSI partition values to spread monitors over ("CHECK" when 1; "CHECK#0".. otherwise).
  int check_partitions = 1;
  aws::DynamoClientOptions client;
  std::size_t max_connections = 128;  // to the DynamoDB endpoint
  // Counting monitors by status (/metrics' heartbeat_monitors) reads the whole table; a count
  // younger than this is answered again instead, so that a Prometheus scrape every 15 s
  // does not cost a full Scan every 15 s. 0: always count afresh.
  std::chrono::milliseconds counts_max_age{60'000};
  // STORE_TIMEOUT: the most an operation takes, its requests and retries included. At the
  // deadline it answers kUnavailable even if a request is still out (a write may then still
  // land, as after any 503 the client retries). Open also bounds each DynamoDB operation
  // of `client` by it (operation_timeout), so that nothing it left behind goes on for long.
  // 0: no deadline.
  std::chrono::milliseconds store_timeout{5'000};
  // Healthy() turns false once requests have waited this long with no answer at all from
  // DynamoDB (a stalled endpoint), before their deadline.
  std::chrono::milliseconds stall_after{2'000};
};

class DynamoStore final : public Store {
 public:
  // Starts the HTTP client. Makes no request: a missing table shows in the first
  // operation (and in Healthy()) rather than stopping the process.
  static Result<std::unique_ptr<DynamoStore>> Open(DynamoStoreOptions options);
  ~DynamoStore() override;

  // `heartbeat store init`: creates the tables (with both GSIs) when missing, waits until
  // they are ACTIVE, checks that an existing monitors table has the GSI overdue-check-index,
  // adds uuid-index to one that lacks it (DynamoDB builds it in the background; until then
  // a lookup by uuid scans), gives every monitor item without a uuid one (items of the
  // seed), and turns TTL on expires_at on. An engine without TTL support (dynalite:
  // UnknownOperationException) is reported in `ttl_note` rather than failing, as expired
  // monitors are also removed by heartbeat itself; any other refusal of TTL is an error.
  // `notes` (optional) gets one line for each other thing worth telling the operator.
  Status InitTables(std::string* ttl_note, std::vector<std::string>* notes = nullptr);

  // `heartbeat keys migrate`: when KEYS_TABLE is the original Rust service's (hash key
  // api_key, keys in clear), copies each key stored in clear into a hashed entry (default
  // project, read-write, the same description and created_at) and deletes the clear item;
  // answers how many it moved (0 once done). nullopt: the table is of our own layout, and
  // there is nothing to migrate.
  void MigrateKeys(Callback<std::optional<std::size_t>> done);
  // How many keys the latest read of the keys table found stored in clear (the Rust
  // service's layout); 0 before the first. Thread-safe.
  std::size_t ClearTextKeys() const;

  // Requests to DynamoDB in flight now, and the most at once so far.
  std::int64_t InFlight() const;
  std::int64_t MaxInFlight() const;
  // Of those, the requests on a connection to DynamoDB (sent, awaiting the answer), now and
  // at most so far: at most max_connections; the rest wait in the client for one.
  std::int64_t OnConnections() const;
  std::int64_t MaxOnConnections() const;
  // Requests sent to DynamoDB so far, every retry counted.
  std::int64_t RequestsSent() const;
  // Items its queries and scans evaluated so far (filtered-out items included).
  std::int64_t ItemsScanned() const;

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

  // False when the latest operation failed with kUnavailable (a timeout too), or when
  // requests have waited stall_after with no answer from DynamoDB. When DynamoDB has not
  // answered for a second and nothing is in flight, it also starts one cheap probe (a
  // GetItem of a key no monitor has), so that a stall shows within about stall_after of
  // the first call even on an idle server; one probe at a time, none while busy.
  bool Healthy() const override;
  // Closes the HTTP client: requests in flight and later ones fail at once.
  void Interrupt() override;
  void Close() override;

  struct Impl;  // dynamo_impl.h: shared by the operations' coroutines

 protected:
  // The hot path: one UpdateItem, whether the monitor exists or not, then the history
  // entry; writes exactly what SignalMutation (core/lifecycle.h) writes
  // (tests/store/fast_ping_property_test.cc).
  void PlainPing(std::string slug, SignalCall call, UnixMillis now,
                 Callback<Monitor> done) override;

 private:
  explicit DynamoStore(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace heartbeat
