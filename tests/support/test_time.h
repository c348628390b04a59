#pragma once
// Durations and a start time the tests share, in milliseconds.

#include "core/clock.h"

namespace heartbeat::testing {

inline constexpr UnixMillis kSecond = 1'000;
inline constexpr UnixMillis kMinute = 60 * kSecond;
inline constexpr UnixMillis kHour = 60 * kMinute;
inline constexpr UnixMillis kDay = 24 * kHour;

// 2026-09-21T14:13:20Z: a whole second, where the fake clocks of most tests start.
inline constexpr UnixMillis kT0 = 1'790'000'000'000;

}  // namespace heartbeat::testing
