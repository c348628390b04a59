#pragma once
// Rate limiting of failed authentication per client address: a token bucket of
// `burst` failures per address, refilled at one token per `refill`. An address with an
// empty bucket gets 429 with Retry-After for every request that needs a key, without
// its key being looked at, until a token is back. Keys are 256-bit random, so this is
// about floods (a misconfigured job hammering with a revoked key, a scanner) more than
// guessing: the defaults let any honest burst of mistakes through and cap a flood at ten
// failures a second.
//
// Thread-safe. The common case (no address limited, or a request that succeeds) costs
// one atomic load and no lock.

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/clock.h"

namespace heartbeat::http {

struct AuthLimiterOptions {
  int burst = 1000;                       // failures allowed in a row
  std::chrono::milliseconds refill{100};  // then ten more a second
  std::size_t max_tracked = 100'000;      // addresses remembered at most
};

class AuthLimiter {
 public:
  explicit AuthLimiter(AuthLimiterOptions options = {}) : options_(options) {}

  // Seconds to wait when `address` may not try now; nullopt when it may.
  std::optional<std::int64_t> RetryAfter(const std::string& address, UnixMillis now);

  // Records a failed authentication from `address`.
  void RecordFailure(const std::string& address, UnixMillis now);

 private:
  struct Bucket {
    double tokens;
    UnixMillis updated;
  };
  double Refill(Bucket& b, UnixMillis now) const;

  AuthLimiterOptions options_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;  // guarded by mu_
  std::atomic<std::size_t> tracked_{0};              // buckets_.size(), readable without the lock
};

}  // namespace heartbeat::http
