#pragma once
#include <string>

#include "core/clock.h"

namespace heartbeat {

// "2026-11-27T23:22:39Z": RFC 3339, UTC, whole seconds (milliseconds are truncated).
std::string FormatRfc3339(UnixMillis t);

// "23:22 UTC", for alert messages.
std::string FormatClockUtc(UnixMillis t);

// Whole Unix seconds, rounding toward minus infinity.
inline std::int64_t ToUnixSeconds(UnixMillis t) { return t / 1000 - (t % 1000 < 0 ? 1 : 0); }

}  // namespace heartbeat
