#pragma once
// The time source. Nothing outside clock.cc reads the system clocks: everything that
// needs the time takes a Clock&, so that tests drive it with FakeClock and never sleep.

#include <chrono>
#include <cstdint>

namespace heartbeat {

// Milliseconds since the Unix epoch (UTC). Time is kept to the millisecond inside.
using UnixMillis = std::int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, for timestamps stored and shown.
  virtual UnixMillis Now() const = 0;
  // Monotonic time, for waits, timeouts and back-off.
  virtual std::chrono::steady_clock::time_point Steady() const = 0;
};

// The real clocks. Thread-safe.
class SystemClock final : public Clock {
 public:
  UnixMillis Now() const override;
  std::chrono::steady_clock::time_point Steady() const override;
};

// The process-wide real clock.
Clock& RealClock();

}  // namespace heartbeat
