#pragma once
// Delivers the outbox: claims ready alerts (the oldest of each monitor, leased so that no
// other sender takes it meanwhile), sends them in parallel, and records each outcome:
// sent -> removed; refused (Telegram's 400) -> kept as rejected, logged loudly, never
// retried; anything else -> retried with exponential backoff and jitter (capped), or
// after the receiver's own retry_after. One slow or failing send never holds up the
// alerts of other monitors. Synchronous: run it on a thread that may block.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/result.h"
#include "notify/notifier.h"
#include "store/store.h"

namespace heartbeat {

struct DelivererOptions {
  std::size_t batch = 100;                // alerts claimed (and sent in parallel) per round
  std::int64_t lease_ms = 30'000;         // longer than any send can take (15 s)
  std::int64_t backoff_base_ms = 1'000;   // first retry after about a second
  std::int64_t backoff_cap_ms = 300'000;  // never more than 5 minutes apart
  Metrics* metrics = nullptr;             // alerts sent and failed, when set
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
  // Waits for the sends in flight.
  ~Deliverer();

  // Claims what is ready and starts sending it, each alert on its own thread, without
  // waiting: an alert that hangs for its whole timeout delays no other, and the next
  // Dispatch can claim other monitors' alerts meanwhile (the ones in flight are leased).
  // Returns how many sends were started.
  Result<std::size_t> Dispatch();

  // Waits until every started send has finished and its outcome is recorded, and its
  // thread has ended (its thread-local state, OpenSSL's among it, released).
  void WaitIdle();

  // Dispatch, then WaitIdle: one synchronous round, for `heartbeat check` and tests.
  Result<DeliveryStats> DeliverReady();

  // Runs after each send's outcome is recorded (on the sending thread).
  void SetOnDone(std::function<void()> on_done) { on_done_ = std::move(on_done); }

  // When the next pending alert becomes ready; nullopt when none is pending.
  Result<std::optional<UnixMillis>> NextAttempt();

  // Totals since construction.
  DeliveryStats totals() const;

 private:
  // Sends one claimed alert and records the outcome; runs on its own thread.
  void SendOne(const PendingAlert& p);
  // Records a delivered alert, retrying briefly while the lease is still ours.
  Status RecordSent(const PendingAlert& p);

  Store& store_;
  Notifier& notifier_;
  const Clock& clock_;
  DelivererOptions options_;
  std::string owner_;  // this sender's lease name
  std::function<void()> on_done_;

  // Joins the threads of finished sends.
  void JoinFinished();

  struct Sender {
    std::thread thread;
    bool done = false;  // guarded by mu_: the thread touches nothing more
  };

  mutable std::mutex mu_;
  std::condition_variable idle_cv_;
  std::size_t inflight_ = 0;   // guarded by mu_
  std::list<Sender> senders_;  // guarded by mu_: one per send started, until joined
  DeliveryStats totals_;       // guarded by mu_
  // Sent, but the store did not take the news: never send these again, only record them.
  std::map<std::pair<std::string, std::int64_t>, PendingAlert>
      sent_unrecorded_;  // by (slug, id)  // guarded by mu_
  std::mt19937_64 rng_;  // guarded by mu_
};

}  // namespace heartbeat
