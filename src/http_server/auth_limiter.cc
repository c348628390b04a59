#include "http_server/auth_limiter.h"

#include <algorithm>
#include <cmath>

namespace heartbeat::http {

double AuthLimiter::Refill(Bucket& b, UnixMillis now) const {
  if (now > b.updated) {
    b.tokens = std::min<double>(options_.burst,
                                b.tokens + static_cast<double>(now - b.updated) /
                                               static_cast<double>(options_.refill.count()));
    b.updated = now;
  }
  return b.tokens;
}

std::optional<std::int64_t> AuthLimiter::RetryAfter(const std::string& address, UnixMillis now) {
  if (tracked_.load(std::memory_order_relaxed) == 0) return std::nullopt;
  std::lock_guard lock(mu_);
  auto it = buckets_.find(address);
  if (it == buckets_.end()) return std::nullopt;
  double tokens = Refill(it->second, now);
  if (tokens >= 1.0) {
    if (tokens >= options_.burst) {
      buckets_.erase(it);  // full again: forget the address
      tracked_.store(buckets_.size(), std::memory_order_relaxed);
    }
    return std::nullopt;
  }
  double wait_ms = (1.0 - tokens) * static_cast<double>(options_.refill.count());
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(wait_ms / 1000.0)));
}

void AuthLimiter::RecordFailure(const std::string& address, UnixMillis now) {
  std::lock_guard lock(mu_);
  auto it = buckets_.find(address);
  if (it == buckets_.end()) {
    if (buckets_.size() >= options_.max_tracked) {
      // Under a flood from many addresses, forget the ones that have recovered most.
      for (auto i = buckets_.begin(); i != buckets_.end();) {
        i = Refill(i->second, now) >= options_.burst - 1 ? buckets_.erase(i) : std::next(i);
      }
      if (buckets_.size() >= options_.max_tracked) buckets_.clear();
    }
    it = buckets_.emplace(address, Bucket{static_cast<double>(options_.burst), now}).first;
  }
  Refill(it->second, now);
  it->second.tokens = std::max(0.0, it->second.tokens - 1.0);
  tracked_.store(buckets_.size(), std::memory_order_relaxed);
}

}  // namespace heartbeat::http
