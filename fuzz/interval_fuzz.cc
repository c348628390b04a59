// Fuzzes heartbeat::ParseDuration and ParseInterval (src/core/interval.h) on arbitrary bytes.
// Checks, besides "no crash, no sanitizer report":
//  - ParseDuration succeeds with a value in [0, 10^12] (its documented overflow guard);
//  - ParseInterval succeeds iff ParseDuration does with a value in [30 s, 365 d], and
//    then with the same value;
//  - FormatIntervalCompact(v) parses back to v (with ParseDuration, and with ParseInterval
//    when v is a valid interval), and FormatDuration(v) is not empty;
//  - every error carries kInvalidArgument and a non-empty message.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/interval.h"

namespace {

[[noreturn]] void Fail(const char* what, std::string_view input, std::int64_t value) {
  std::fprintf(stderr, "interval_fuzz: %s (input '%.*s', value %lld)\n", what,
               static_cast<int>(input.size()), input.data(), static_cast<long long>(value));
  std::abort();
}

void CheckError(const heartbeat::Error& e, std::string_view input) {
  if (e.code != heartbeat::ErrorCode::kInvalidArgument)
    Fail("error is not InvalidArgument", input, 0);
  if (e.message.empty()) Fail("error without a message", input, 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using heartbeat::kMaxIntervalSecs;
  using heartbeat::kMinIntervalSecs;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  heartbeat::Result<std::int64_t> duration = heartbeat::ParseDuration(text);
  heartbeat::Result<std::int64_t> interval = heartbeat::ParseInterval(text);

  if (!duration.ok()) {
    CheckError(duration.error(), text);
    if (interval.ok()) Fail("ParseInterval accepts what ParseDuration refuses", text, *interval);
    CheckError(interval.error(), text);
    return 0;
  }

  const std::int64_t v = *duration;
  if (v < 0 || v > 1'000'000'000'000LL) Fail("ParseDuration out of [0, 1e12]", text, v);
  const bool in_bounds = v >= kMinIntervalSecs && v <= kMaxIntervalSecs;
  if (interval.ok() != in_bounds) {
    Fail(in_bounds ? "ParseInterval refuses a duration within bounds"
                   : "ParseInterval accepts a duration out of bounds",
         text, v);
  }
  if (interval.ok()) {
    if (*interval != v) Fail("ParseInterval and ParseDuration disagree", text, *interval);
    if (*interval < kMinIntervalSecs || *interval > kMaxIntervalSecs) {
      Fail("ParseInterval out of [30, 365 d]", text, *interval);
    }
  } else {
    CheckError(interval.error(), text);
  }

  // Round trip through the compact form used in alerts.
  const std::string compact = heartbeat::FormatIntervalCompact(v);
  heartbeat::Result<std::int64_t> back = heartbeat::ParseDuration(compact);
  if (!back.ok() || *back != v) Fail("FormatIntervalCompact does not parse back", compact, v);
  if (in_bounds) {
    heartbeat::Result<std::int64_t> back_interval = heartbeat::ParseInterval(compact);
    if (!back_interval.ok() || *back_interval != v) {
      Fail("FormatIntervalCompact does not parse back as an interval", compact, v);
    }
  }
  if (heartbeat::FormatDuration(v).empty()) Fail("FormatDuration is empty", text, v);
  return 0;
}
