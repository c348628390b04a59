#pragma once
// The routes a job calls (SPEC §4, §12): GET/POST/HEAD /heartbeat/{slug} (success),
// …/start, …/fail, …/log and …/{code} (an exit status), each with the settings, the run id
// and the body it carries. The ping is the hot path: one coroutine frame and the store call,
// nothing more.

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/lifecycle.h"
#include "core/metrics.h"
#include "http_server/route_support.h"
#include "http_server/router.h"
#include "store/store.h"

namespace heartbeat::http {

// The query parameters every signal takes.
inline constexpr QuerySpec kSignalQuery =
    QueryParameters("interval", "schedule", "tz", "grace", "max_runtime", "rid");

// User-Agent headers are kept up to this many bytes.
inline constexpr std::size_t kUserAgentKept = 200;

class HeartbeatRoutes {
 public:
  // Registers the store operations "ping" and "fail" (and "signal": start, log, exit codes)
  // in `calls.metrics` (when set). `body_limit`: PING_BODY_LIMIT, the bytes of a body kept.
  HeartbeatRoutes(Store& store, StoreCalls calls, WriteHook on_write,
                  std::int64_t body_limit = kDefaultPingBodyLimit);

  // Route handlers (see RouteHandler).
  boost::asio::awaitable<Response> Ping(RouteCall& call);
  boost::asio::awaitable<Response> Start(RouteCall& call);
  boost::asio::awaitable<Response> Fail(RouteCall& call);
  boost::asio::awaitable<Response> Log(RouteCall& call);
  boost::asio::awaitable<Response> ExitCode(RouteCall& call);  // call.number: the status

  std::int64_t body_limit() const { return body_limit_; }

  // The settings a signal carries (?interval, ?schedule, ?tz, ?grace, ?max_runtime),
  // validated: a 400 names the field.
  static Result<MonitorSettings> SettingsFromQuery(const RouteCall& call);

 private:
  // Reads the signal of `kind` from the call (settings, rid, body, source) and stores it,
  // or answers the 400 at once.
  boost::asio::awaitable<Response> Receive(RouteCall& call, SignalKind kind,
                                           std::optional<int> exit_code);
  boost::asio::awaitable<Response> StoreSignal(unsigned v, std::string slug,
                                               Store::SignalCall signal, UnixMillis now);

  Store& store_;
  StoreCalls calls_;
  WriteHook on_write_;
  std::int64_t body_limit_;
  std::string body_limit_text_;  // the Ping-Body-Limit header, made once
  StoreOpLabel ping_op_;
  StoreOpLabel fail_op_;
  StoreOpLabel signal_op_;
};

}  // namespace heartbeat::http
