#pragma once
// Delivers the outbox: claims ready alerts (the oldest of each monitor, leased so that no
// other sender takes it meanwhile), sends them in parallel, and records each outcome:
// sent -> removed; refused (Telegram's 400) -> kept as rejected, logged loudly, never
// retried; anything else -> retried with exponential backoff and jitter (capped), or
// after the receiver's own retry_after. One slow or failing send never holds up the
// alerts of other monitors. Synchronous: run it on a thread that may block.

#include <cstdint>
#include <mutex>
#include <random>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "notify/notifier.h"
#include "store/store.h"

namespace heartbeat {

struct DelivererOptions {
  std::size_t batch = 100;                // alerts claimed (and sent in parallel) per round
  std::int64_t lease_ms = 30'000;         // longer than any send can take (15 s)
  std::int64_t backoff_base_ms = 1'000;   // first retry after about a second
  std::int64_t backoff_cap_ms = 300'000;  // never more than 5 minutes apart
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

  // Claims and sends what is ready, one round. Fails only when the outbox cannot be read.
  Result<DeliveryStats> DeliverReady();

  // When the next pending alert becomes ready; nullopt when none is pending.
  Result<std::optional<UnixMillis>> NextAttempt();

 private:
  // Sends one claimed alert and records the outcome; runs on its own thread.
  std::pair<SendOutcome::Kind, Status> SendOne(const PendingAlert& p);

  Store& store_;
  Notifier& notifier_;
  const Clock& clock_;
  DelivererOptions options_;
  std::string owner_;  // this sender's lease name
  std::mutex rng_mu_;
  std::mt19937_64 rng_;  // guarded by rng_mu_
};

}  // namespace heartbeat
