#pragma once
// What a job tells heartbeat (SPEC §12): a success, a start, a failure (with or without an
// exit code) or a log line, with the settings, the run id and the body it carries; and what
// the history keeps of each. Pure: no I/O, no clock.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace heartbeat {

enum class SignalKind { kSuccess, kStart, kFail, kLog };

std::string_view ToString(SignalKind kind);  // "success", "start", "fail", "log"
std::optional<SignalKind> SignalKindFromString(std::string_view text);

// The settings a signal (as query parameters) or a PUT may carry (SPEC §12); an absent
// field keeps what is stored.
struct MonitorSettings {
  std::optional<std::int64_t> interval_secs = std::nullopt;  // sets it, clears the schedule
  std::optional<std::string> schedule = std::nullopt;        // cron (core/cron.h)
  bool clear_schedule = false;                   // back to the interval (PUT's "schedule": null)
  std::optional<std::string> tz = std::nullopt;  // an IANA zone, for the schedule
  std::optional<std::int64_t> grace_secs = std::nullopt;  // 0 to 365 days
  // 30 s to 365 days; 0 clears it (no limit on a run).
  std::optional<std::int64_t> max_runtime_secs = std::nullopt;
  // What Healthchecks' API sets (Monitor): name up to 100 characters, tags up to 500, desc
  // up to 10,000, methods "" or "POST".
  std::optional<std::string> name = std::nullopt;
  std::optional<std::string> tags = std::nullopt;
  std::optional<std::string> desc = std::nullopt;
  std::optional<std::string> methods = std::nullopt;
  std::optional<bool> manual_resume = std::nullopt;
  // The uuid of a monitor this write creates (a lowercase UUID); ignored for one that
  // exists. The store draws a random one when none is given (its write of any monitor
  // without a uuid).
  std::optional<std::string> uuid = std::nullopt;
  // Alert policies (SPEC §14): the channels' names (an empty list: none; `all_channels`:
  // back to all of the project's), the repeat period (0: never), down_after (1 to 100).
  std::optional<std::vector<std::string>> channels = std::nullopt;
  bool all_channels = false;
  std::optional<std::int64_t> repeat_secs = std::nullopt;
  std::optional<std::int64_t> down_after = std::nullopt;

  bool empty() const { return at_most_interval() && !interval_secs; }
  // Whether only the interval is given (or nothing): what a store's fast ping path handles.
  bool at_most_interval() const {
    return !schedule && !clear_schedule && !tz && !grace_secs && !max_runtime_secs && !name &&
           !tags && !desc && !methods && !manual_resume && !channels && !all_channels &&
           !repeat_secs && !down_after;
  }
};

// PING_BODY_LIMIT's default: the bytes of a signal's body kept; PINGS_KEPT's: history
// entries kept per monitor.
inline constexpr std::int64_t kDefaultPingBodyLimit = 10'000;
inline constexpr std::int64_t kDefaultPingsKept = 100;

inline constexpr std::int64_t kMaxGraceSecs = 365LL * 24 * 3600;
inline constexpr std::int64_t kMaxDownAfter = 100;  // down_after: 1 to 100
inline constexpr std::int64_t kMinRepeatSecs = 30;  // repeat: 30 s to 365 days, or never
inline constexpr std::int64_t kMinRuntimeSecs = 30;
inline constexpr std::int64_t kMaxRuntimeSecs = 365LL * 24 * 3600;

// A signal as the lifecycle sees it.
struct Signal {
  SignalKind kind = SignalKind::kSuccess;
  MonitorSettings settings = {};
  std::optional<std::string> rid = std::nullopt;  // the run it belongs to (?rid=)
  std::optional<int> exit_code = std::nullopt;    // /{code}: 0 with kSuccess, 1-255 with kFail
  std::string body_tail = {};  // BodyTail of the body: a failure's alert quotes it
  // Which monitor it may reach (Healthchecks' URLs, SPEC §13): only the one with this uuid
  // (/ping/<uuid>), and none it would create unless `may_create` (/ping/<key>/<slug>
  // without ?create=1). CheckTarget says whether the monitor as stored is one.
  std::optional<std::string> target_uuid = std::nullopt;
  bool may_create = true;
};

// Where a signal came from, for the history.
struct SignalSource {
  std::string method;       // GET, POST, HEAD
  std::string remote_addr;  // the peer's address
  std::string user_agent;   // as sent, possibly empty
  friend bool operator==(const SignalSource&, const SignalSource&) = default;
};

// One entry of a monitor's history (GET /monitors/{slug}/pings).
struct PingRecord {
  std::int64_t n = 0;  // from 1 per monitor, never repeated
  UnixMillis at = 0;
  SignalKind kind = SignalKind::kSuccess;
  std::optional<int> exit_code;
  std::optional<std::string> rid;
  std::optional<std::int64_t> duration_ms;  // the run this signal ended, if it ended one
  SignalSource source;
  std::int64_t body_bytes = 0;  // the size of the body kept (body, when it was read)
  std::string body;             // the bytes as sent, up to PING_BODY_LIMIT; not always read

  friend bool operator==(const PingRecord&, const PingRecord&) = default;
};

// A status change of a monitor (GET /monitors/{slug}/flips): to "overdue" with its first
// alert, back to "ok" with its recovery.
struct Flip {
  UnixMillis at = 0;
  bool overdue = false;
  friend bool operator==(const Flip&, const Flip&) = default;
};

// How long the history of status changes is kept.
inline constexpr std::int64_t kFlipsKeptMillis = 90LL * 24 * 3600 * 1000;

// What an alert quotes of a body: its last 10 lines, at most 1,000 characters, as valid
// UTF-8 (a byte that is not becomes U+FFFD), without the trailing newline.
std::string BodyTail(std::string_view body);

// A run id as Healthchecks' clients send it: a UUID (any case), kept lowercase. Other text is
// kInvalidArgument ("rid: ...").
Result<std::string> ParseRunId(std::string_view text);

}  // namespace heartbeat
