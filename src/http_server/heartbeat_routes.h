#pragma once
// The routes a job calls (SPEC §4, §12): GET/POST/HEAD /heartbeat/{slug} (success),
// …/start, …/fail, …/log and …/{code} (an exit status), each with the settings, the run id
// and the body it carries. The ping is the hot path: one coroutine frame and the store call,
// nothing more.

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "core/clock.h"
#include "core/lifecycle.h"
#include "core/metrics.h"
#include "http_server/channel_routes.h"
#include "http_server/key_cache.h"
#include "http_server/route_support.h"
#include "http_server/router.h"
#include "store/store.h"

namespace heartbeat::http {

// The query parameters every signal takes.
inline constexpr QuerySpec kSignalQuery =
    QueryParameters("interval", "schedule", "tz", "grace", "max_runtime", "rid", "channels",
                    "repeat", "down_after");

// The query parameters of Healthchecks' ping URLs; others are ignored, as it does.
inline constexpr QuerySpec kHcPingQuery = LenientParameters("rid", "create");

// User-Agent headers are kept up to this many bytes.
inline constexpr std::size_t kUserAgentKept = 200;

class HeartbeatRoutes {
 public:
  // Registers the store operations "ping" and "fail" (and "signal": start, log, exit codes)
  // in `calls.metrics` (when set). `body_limit`: PING_BODY_LIMIT, the bytes of a body kept.
  // `keys`: the projects' ping keys, for Healthchecks' /ping/<ping_key>/<slug>.
  HeartbeatRoutes(Store& store, StoreCalls calls, WriteHook on_write,
                  std::int64_t body_limit = kDefaultPingBodyLimit, const KeyCache* keys = nullptr,
                  const ChannelDirectory* channels = nullptr);

  // Route handlers (see RouteHandler).
  boost::asio::awaitable<Response> Ping(RouteCall& call);
  boost::asio::awaitable<Response> Start(RouteCall& call);
  boost::asio::awaitable<Response> Fail(RouteCall& call);
  boost::asio::awaitable<Response> Log(RouteCall& call);
  boost::asio::awaitable<Response> ExitCode(RouteCall& call);  // call.number: the status

  // Healthchecks' ping URLs (SPEC §13, spec/healthchecks-compat.md): no API key; the
  // monitor named by its uuid (/ping/{uuid}…: call.uuid) or by its project's ping key and
  // its slug (/ping/{any}/{any}…: call.args), `kind` from the route, or an exit status
  // (call.number) when `kind` is none. Plain-text answers: OK, Created, not found, invalid
  // url format, invalid uuid format.
  boost::asio::awaitable<Response> HcPing(RouteCall& call, std::optional<SignalKind> kind);

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

  // Where a Healthchecks ping goes.
  struct HcTarget {
    std::string key;   // the monitor's key, for the slug form
    std::string uuid;  // the monitor's uuid, for the uuid form
    bool create = false;
  };
  // The signal of a request (the settings aside): rid, exit code, body and source.
  Result<Store::SignalCall> ReadSignal(const RouteCall& call, SignalKind kind,
                                       std::optional<int> exit_code) const;
  boost::asio::awaitable<Response> HcStore(unsigned v, HcTarget target, Store::SignalCall signal,
                                           bool bad_code, UnixMillis now);
  // The key of the monitor with `uuid`: remembered (a uuid never changes monitor while it
  // lives), else looked up. nullopt when there is none.
  boost::asio::awaitable<Result<std::optional<std::string>>> KeyOfUuid(const std::string& uuid,
                                                                       bool fresh, UnixMillis now);
  Response HcText(unsigned v, boost::beast::http::status code, std::string_view text) const;

  Store& store_;
  const KeyCache* keys_;
  const ChannelDirectory* channels_;  // `channels=` must name the project's (none: unchecked)
  StoreCalls calls_;
  WriteHook on_write_;
  std::int64_t body_limit_;
  std::string body_limit_text_;  // the Ping-Body-Limit header, made once
  // uuid → key of the monitors pinged by uuid; bounded (cleared when full).
  mutable std::shared_mutex uuid_mu_;
  std::unordered_map<std::string, std::string> uuid_keys_;
  StoreOpLabel ping_op_;
  StoreOpLabel lookup_op_;
  StoreOpLabel fail_op_;
  StoreOpLabel signal_op_;
};

}  // namespace heartbeat::http
