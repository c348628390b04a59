#pragma once
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"

namespace heartbeat {

// "2026-11-27T23:22:39Z": RFC 3339, UTC, whole seconds (milliseconds are truncated).
std::string FormatRfc3339(UnixMillis t);
// "2026-11-27T23:22:39.123Z": the same with the milliseconds.
std::string FormatRfc3339Millis(UnixMillis t);

// Reads an RFC 3339 time with its offset: "2021-03-28T01:30:00+02:00", "2026-11-27T23:22:39Z",
// with an optional fraction of a second (kept to the millisecond, truncated); 't', 'z' and a
// space for 'T' are accepted too. Errors (kInvalidArgument) quote the text.
Result<UnixMillis> ParseRfc3339(std::string_view text);

// "23:22 UTC", for alert messages.
std::string FormatClockUtc(UnixMillis t);

// Whole Unix seconds, rounding toward minus infinity.
inline std::int64_t ToUnixSeconds(UnixMillis t) { return t / 1000 - (t % 1000 < 0 ? 1 : 0); }

}  // namespace heartbeat
