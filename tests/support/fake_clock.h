#pragma once
// A clock that never ticks by itself: tests move it with Advance / Set.

#include <atomic>
#include <chrono>

#include "core/clock.h"
#include "support/test_time.h"

namespace heartbeat::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(UnixMillis start = kT0) : now_(start) {}

  UnixMillis Now() const override { return now_.load(); }
  std::chrono::steady_clock::time_point Steady() const override {
    return std::chrono::steady_clock::time_point(std::chrono::milliseconds(now_.load()));
  }

  void Set(UnixMillis t) { now_.store(t); }
  void Advance(std::chrono::milliseconds d) { now_.fetch_add(d.count()); }

 private:
  std::atomic<UnixMillis> now_;
};

}  // namespace heartbeat::testing
