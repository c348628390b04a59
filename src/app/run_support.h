#pragma once
// The pieces of `heartbeat run` (SPEC §12) that need no child process: its options and
// their checks, the ping URLs, the run ID, the output's tail, the exit code of a wait
// status, and the retried sending of a ping. The command itself is app/run_command.cc.

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/config.h"
#include "core/clock.h"
#include "core/result.h"
#include "core/signal.h"
#include "http_client/http_client.h"

namespace heartbeat::app {

inline constexpr char kDefaultHeartbeatUrl[] = "http://127.0.0.1:3000";

// The command line of `heartbeat run`: flags, else HEARTBEAT_URL / HEARTBEAT_API_KEY.
struct RunOptions {
  std::string slug;
  std::string url = kDefaultHeartbeatUrl;  // the server's base URL
  std::string key;                         // secret: never printed
  std::optional<std::string> interval;     // as given: the server parses them again
  std::optional<std::string> schedule;
  std::optional<std::string> tz;
  std::optional<std::string> grace;
  std::vector<std::string> command;  // the program, then its arguments
};

// Fills the URL and the key from the environment (the variables that are set and not
// empty); call it before the flags are read, so that flags win.
void ApplyRunEnvironment(const Environment& env, RunOptions& options);

// Where `heartbeat run`'s own options end: the index in argv of the first "--" after
// argv[1] == "run", or nullopt (another command, or no "--"). The words after it are the
// command, never read as options.
std::optional<int> RunSeparatorIndex(int argc, const char* const* argv);

// The usage checks, before anything is sent or started: a valid slug, a command, an
// http(s) URL, not both an interval and a schedule, an interval, grace and cron expression
// that parse and are in range (the zone is left to the server: the machine running the
// job may have no tz database). The message names the option; the caller exits 2.
Status ValidateRunOptions(const RunOptions& options);

// Percent-encodes everything but RFC 3986's unreserved characters (a space is "%20").
std::string PercentEncode(std::string_view text);

// POST {url}/heartbeat/{slug}/start?rid=RID plus the settings given, and
// POST {url}/heartbeat/{slug}/{code}?rid=RID. An empty rid is left out.
std::string StartPingUrl(const RunOptions& options, std::string_view rid);
std::string EndPingUrl(const RunOptions& options, std::string_view rid, int exit_code);

// The URL without anything that may be a secret (user:password@) or noise (path, query),
// for messages: "https://hb.example.com".
std::string ServerForMessages(std::string_view url);

// A random UUID version 4, lowercase ("0f8b…-4…-[89ab]…-…"), from OpenSSL's CSPRNG.
Result<std::string> NewRunId();

// The exit code a shell would report for a waitpid status: the code, or 128+N when the
// signal N ended it (at most 255).
int ExitCodeOfWaitStatus(int status);

// The last bytes of a stream, bounded whatever its length: Append costs amortised O(n) and
// holds at most about twice the limit. Not thread-safe.
class OutputTail {
 public:
  explicit OutputTail(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  void Append(std::string_view data);
  // Lowers (or raises) the bound; what is held is cut to it at the next Contents().
  void SetLimit(std::size_t max_bytes) { max_bytes_ = max_bytes; }
  // The last `max_bytes` bytes at most. When the stream was cut, it starts after the
  // first line break of that window, so that it begins with a whole line (unless the
  // window holds a single line, which is then kept cut).
  std::string Contents() const;
  // Bytes appended in all.
  std::size_t total() const { return total_; }

 private:
  std::size_t max_bytes_;
  std::string buffer_;
  std::size_t total_ = 0;
};

inline constexpr std::size_t kTailBytes =
    static_cast<std::size_t>(kDefaultPingBodyLimit);  // SPEC §12's default PING_BODY_LIMIT

// How a ping is retried: up to `attempts` tries while it fails in transport or answers a
// 5xx, 408 or 429, waiting `first_backoff`, then 3 times more, between them; each try at
// most `attempt_timeout` (and `connect_timeout` to connect), all of them within `budget`.
struct PingPolicy {
  int attempts = 3;
  std::chrono::milliseconds first_backoff{300};
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds attempt_timeout{5000};
  std::chrono::milliseconds budget{15000};
};
// The start ping delays the command: a dead server costs about a second (refused) and at
// most 6 s (silent).
inline constexpr PingPolicy kStartPingPolicy{
    3, std::chrono::milliseconds(250), std::chrono::milliseconds(2000),
    std::chrono::milliseconds(3000), std::chrono::milliseconds(6000)};
// The end ping delays only the wrapper's exit.
inline constexpr PingPolicy kEndPingPolicy{};

struct PingOutcome {
  bool ok = false;   // a 2xx answer
  int attempts = 0;  // tries made
  HttpResult last;   // the last try's result
  // When not ok: one line, without the key, for "heartbeat run: warning: ".
  std::string warning;
};

// Whether a result is worth another try: no answer, a 5xx, 408 or 429. Any other 4xx
// (a bad key, bad settings) would answer the same again.
bool ShouldRetry(const HttpResult& result);

// Sends a request with a PingPolicy. `sleep` waits (tests advance a fake clock instead).
class PingSender {
 public:
  using Sleep = std::function<void(std::chrono::milliseconds)>;
  PingSender(HttpClient& client, const Clock& clock, Sleep sleep)
      : client_(client), clock_(clock), sleep_(std::move(sleep)) {}

  // `what` names the ping in the warning ("start ping"); `server` is ServerForMessages.
  PingOutcome Send(HttpRequest request, const PingPolicy& policy, std::string_view what,
                   std::string_view server);

 private:
  HttpClient& client_;
  const Clock& clock_;
  Sleep sleep_;
};

}  // namespace heartbeat::app
