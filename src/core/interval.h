#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace heartbeat {

inline constexpr std::int64_t kMinIntervalSecs = 30;
inline constexpr std::int64_t kMaxIntervalSecs = 365LL * 24 * 3600;
inline constexpr std::int64_t kDefaultIntervalSecs = 5 * 60;

// Parses a duration: a plain integer (seconds) or a sequence of <integer><unit>, with
// spaces allowed between and inside the parts ("1h 30m", "90 seconds", "2h30m").
// Units: s sec secs second seconds, m min mins minute minutes, h hr hrs hour hours,
// d day days, w week weeks. Returns whole seconds, or InvalidArgument naming the problem.
// Does not check the interval bounds; see ParseInterval.
Result<std::int64_t> ParseDuration(std::string_view text);

// ParseDuration plus the monitor interval bounds: 30 s to 365 d inclusive.
Result<std::int64_t> ParseInterval(std::string_view text);

// "1h 7m", "5m", "45s", "2d 3h", "0s": the largest unit and the next one when it is not
// zero (so 1 d 5 min is "1d"), for messages.
std::string FormatDuration(std::int64_t seconds);

// "5m", "1h30m", "2d": the exact duration in compact form, for the interval field of alerts.
std::string FormatIntervalCompact(std::int64_t seconds);

}  // namespace heartbeat
