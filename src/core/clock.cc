#include "core/clock.h"

namespace heartbeat {

UnixMillis SystemClock::Now() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::chrono::steady_clock::time_point SystemClock::Steady() const {
  return std::chrono::steady_clock::now();
}

Clock& RealClock() {
  static SystemClock clock;
  return clock;
}

}  // namespace heartbeat
