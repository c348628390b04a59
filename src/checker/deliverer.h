#pragma once
// Delivers the outbox: claims ready alerts (the oldest of each monitor and channel, leased
// so that no other sender takes it meanwhile), sends them in parallel, and records each outcome:
// sent -> removed; refused (Telegram's 400) -> kept as rejected, logged loudly, never
// retried; anything else -> retried with exponential backoff and jitter (capped), or
// after the receiver's own retry_after. One slow or failing send never holds up the
// alerts of other monitors.
//
// Threads: sends run on a fixed pool of `DelivererOptions::senders` threads that the
// Deliverer owns (created with it, joined by Stop or the destructor), never a thread per
// alert. An alert is claimed only when a sender is free to take it at once, so no
// claimed alert waits in a queue while its lease runs out, and a send that hangs for its
// whole timeout holds one sender: with N senders, up to N - 1 hanging sends leave the
// others' alerts going out without delay. One channel never has more than `per_channel`
// sends in flight (the claim itself takes no more: Store::ClaimAlerts' room), and a channel
// that answered 429 is not claimed for until its retry_after has passed. Dispatch, DeliverReady,
// NextAttempt and RecordSent's store calls block the calling thread (run them on a thread that may
// block); the outcome of a send is recorded on its sending thread. No call sleeps: a
// failed record is retried by the next Dispatch.
//
// Leases: an alert stays leased to this Deliverer from its claim until its outcome is
// recorded: while it is being sent, while the outcome is being written, and, when the
// removal of a sent alert failed, until a later Dispatch records it. A thread of the
// Deliverer's own renews those leases every lease_ms / 3 (real time) to now + lease_ms, so
// that no other sender (another replica, `heartbeat check`, the Lambda) claims an alert
// however long its send or its record takes. A renewal the store refuses (kConflict: the
// lease was lost, the alert may go out twice) is logged as a warning and not tried again;
// one that fails otherwise (the store unavailable) is tried again at the next tick. The
// renewals are asynchronous: a slow store never delays the next tick's other renewals.
// An alert this Deliverer sent is never sent by it again, even when its lease was lost
// before the removal was recorded: it is remembered, and recorded if claimed again (not
// before: once a renewal or a record was refused, the store would refuse the record too).

#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/result.h"
#include "notify/notifier.h"
#include "store/store.h"

namespace heartbeat {

struct DelivererOptions {
  std::size_t batch = 100;  // alerts claimed (and sent in parallel) per round
  // How long a claim holds an alert. Renewed every lease_ms / 3 while the alert is being
  // sent or recorded, so it need not outlast a send (Telegram's timeout is 60 s): it bounds
  // how long an alert waits after its sender died.
  std::int64_t lease_ms = 30'000;
  std::int64_t backoff_base_ms = 1'000;   // first retry after about a second
  std::int64_t backoff_cap_ms = 300'000;  // never more than 5 minutes apart
  // Sending threads: at most this many sends at once. Large enough that a few hanging
  // sends (Telegram down: each waits its whole timeout) leave plenty for other monitors;
  // an alert claimed beyond this waits for the next free sender, unclaimed.
  std::size_t senders = 64;
  // Sends to one channel at once, at most: a channel that hangs holds this many senders,
  // never all of them, so the other channels' alerts go out meanwhile (SPEC §14).
  std::size_t per_channel = 16;
  // Channels (keys) never claimed: their alerts stay pending, untried (the environment's
  // `telegram` while TELEGRAM_* is not set).
  std::vector<std::string> skip_channels = {};
  Metrics* metrics = nullptr;  // alerts sent and failed, when set
};

struct DeliveryStats {
  std::size_t sent = 0;
  std::size_t retried = 0;
  std::size_t rejected = 0;
  std::size_t errors = 0;  // store failures while recording an outcome
};

// The wait before attempt `attempts` + 1: base * 2^(attempts-1), capped, with jitter
// drawn uniformly from the upper half, so that retries of many alerts spread out.
std::int64_t BackoffMillis(std::int64_t attempts, const DelivererOptions& options,
                           std::mt19937_64& rng);

class Deliverer {
 public:
  Deliverer(Store& store, Notifier& notifier, const Clock& clock, DelivererOptions options);
  // Stop().
  ~Deliverer();

  // First records the alerts sent earlier whose record failed. Then claims what is ready,
  // as many alerts as there are free senders (and at most `batch`), and starts sending
  // them without waiting: an alert that hangs for its whole timeout delays no other, and
  // the next Dispatch can claim other monitors' alerts meanwhile (the ones in flight are
  // leased). Returns how many sends were started: 0 when no sender is free, without
  // claiming. Fails with kUnavailable after Stop.
  Result<std::size_t> Dispatch();

  // Waits until every started send has finished and its outcome is recorded: no send of
  // this Deliverer is running when it returns (the sending threads stay, for the next).
  void WaitIdle();

  // One synchronous round, for `heartbeat check`, the Lambda and tests: up to `batch`
  // alerts claimed (more than `senders` only as senders free up), sent, and their
  // outcomes recorded before it returns (WaitIdle).
  Result<DeliveryStats> DeliverReady();

  // Refuses further Dispatch, waits for the sends in flight (each bounded by the
  // notifier's own timeout: a Send cannot be cut short from here; their leases are renewed
  // meanwhile), then ends the renewals (waiting for those the store has not answered) and
  // joins the sending threads, whose thread-local state (OpenSSL's among it) is released
  // by then. Idempotent; not to be called from a sending thread (the on-done callback).
  void Stop();

  // Runs on the sending thread after each send's outcome is recorded and its sender is
  // free again (a Dispatch then finds it free). Set it only while no send is in flight.
  void SetOnDone(std::function<void()> on_done) { on_done_ = std::move(on_done); }

  // Senders not busy with a send now.
  std::size_t FreeSenders() const;

  // When the next pending alert becomes ready; nullopt when none is pending.
  Result<std::optional<UnixMillis>> NextAttempt();

  // Totals since construction.
  DeliveryStats totals() const;

 private:
  // Claims up to `limit` alerts (fewer when fewer senders are free) and starts them.
  Result<std::size_t> Dispatch(std::size_t limit);
  // The task of a sending thread: SendOne, then frees its sender and calls on_done_.
  void RunSend(const PendingAlert& p);
  // Sends one claimed alert and records the outcome.
  void SendOne(const PendingAlert& p);
  // Records a delivered alert once; a failure is left for the next Dispatch to retry.
  Status RecordSent(const PendingAlert& p);
  // Marks a held alert as being recorded (EndHoldUnlessUnrecorded clears the mark); a
  // renewal refused meanwhile is then the record's doing, not a lost lease.
  void MarkRecording(const PendingAlert& p);

  // What a claim may take now (ClaimAlerts' room): no alert of a channel skipped or within
  // its service's 429 wait, and of the others per_channel less this Deliverer's sends in
  // flight to it. Under mu_.
  ClaimRoom Room(UnixMillis now);
  // Whether a channel has per_channel sends in flight. Under mu_.
  bool AnyChannelFull() const;

  // The renewing thread: every lease_ms / 3 while alerts are held, renews their leases.
  void RenewLoop();
  // A renewal's answer, on a store thread.
  void Renewed(const PendingAlert& p, const Status& status);

  using AlertKey = std::pair<std::string, std::int64_t>;  // (slug, id)
  static AlertKey KeyOf(const PendingAlert& p) { return {p.alert.slug, p.id}; }
  // Once an outcome's record is over: the alert stays held (its lease renewed, its
  // recording flag down) only while it is sent, unrecorded and not lost; otherwise its
  // hold ends. The one rule for RunSend and Dispatch's retried records. Under mu_.
  void EndHoldUnlessUnrecorded(const AlertKey& key);

  // An alert whose lease this Deliverer holds and renews.
  struct Held {
    PendingAlert alert;
    bool recording = false;  // its outcome is being written
    bool renewing = false;   // a renewal is waiting for the store's answer
  };

  Store& store_;
  Notifier& notifier_;
  const Clock& clock_;
  DelivererOptions options_;
  std::string owner_;  // this sender's lease name
  std::function<void()> on_done_;

  mutable std::mutex mu_;
  std::condition_variable idle_cv_;  // busy_ or inflight_ went down
  bool stopped_ = false;             // guarded by mu_
  // Senders taken: reserved by a Dispatch for its claim, then one per send until its
  // outcome is recorded. Never more than options_.senders.
  std::size_t busy_ = 0;      // guarded by mu_
  std::size_t inflight_ = 0;  // guarded by mu_: sends started and not yet fully done
  std::map<std::string, std::size_t> channel_sends_;  // guarded by mu_: in flight, by channel
  std::map<std::string, UnixMillis> channel_wait_;    // guarded by mu_: its 429's end
  bool last_claim_capped_ = false;  // guarded by mu_: the last claim filled a channel's room
  std::size_t sends_ended_ = 0;     // guarded by mu_: sends whose sender is free again
  DeliveryStats totals_;            // guarded by mu_
  // Sent, but the store did not take the news: never send these again, only record them
  // (also when this process claims them again). `lost`: the lease went to another sender, so
  // only a new claim of this process records it; the next Dispatch does not try.
  struct Unrecorded {
    PendingAlert alert;
    bool lost = false;
  };
  std::map<AlertKey, Unrecorded> sent_unrecorded_;  // guarded by mu_
  std::mt19937_64 rng_;                             // guarded by mu_
  // Claimed and not yet recorded (sent_unrecorded_'s among them, until a renewal is
  // refused): the leases the renewing thread keeps.
  std::map<AlertKey, Held> held_;     // guarded by mu_
  std::size_t renewals_ = 0;          // guarded by mu_: renewals the store has not answered
  bool renew_stopped_ = false;        // guarded by mu_: set by Stop once no send is in flight
  std::condition_variable renew_cv_;  // held_ filled, a renewal answered, or renew_stopped_
  std::once_flag stop_once_;

  std::thread renewer_;            // runs RenewLoop; joined by Stop
  boost::asio::thread_pool pool_;  // the sending threads; last, so it goes first
};

}  // namespace heartbeat
