#pragma once
// The HTTP API of SPEC §4: routing, authentication, validation, JSON. Stateless apart
// from its references; safe to call from every I/O thread at once.

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/metrics.h"
#include "http/auth_limiter.h"
#include "http/server.h"
#include "store/key_cache.h"
#include "store/store.h"

namespace heartbeat::http {

struct ApiOptions {
  // Called on the I/O thread after a ping, a fail or an unpause was stored, with the time
  // the monitor's next check became due: the in-process checker uses it to wake early.
  // Must be cheap.
  using WriteHook = std::function<void(UnixMillis)>;
  WriteHook on_write;
  AuthLimiterOptions limiter;
  Metrics* metrics = nullptr;  // counts requests, pings, store latency; serves /metrics
  std::string metrics_token;   // METRICS_TOKEN: when set, /metrics needs it as Bearer
};

class Api {
 public:
  using WriteHook = ApiOptions::WriteHook;

  using Options = ApiOptions;

  Api(Store& store, const KeyCache& keys, const Clock& clock, ApiOptions options = ApiOptions())
      : store_(store),
        keys_(keys),
        clock_(clock),
        options_(std::move(options)),
        auth_limiter_(options_.limiter) {}

  boost::asio::awaitable<Response> Handle(const Request& req, const RequestContext& context);

 private:
  // Checks the request and returns the coroutine of its endpoint, or a ready answer.
  boost::asio::awaitable<Response> Route(const Request& req, const RequestContext& context,
                                         RouteLabel& label);
  static boost::asio::awaitable<Response> Ready(Response res);
  // The endpoints that call the store. A coroutine keeps in its frame every local of
  // every branch, and Asio reuses only small frames: one each keeps them small.
  boost::asio::awaitable<Response> Ping(unsigned v, std::string slug,
                                        std::optional<std::int64_t> interval, UnixMillis now);
  boost::asio::awaitable<Response> Fail(unsigned v, std::string slug, UnixMillis now);
  boost::asio::awaitable<Response> List(unsigned v, UnixMillis now);
  boost::asio::awaitable<Response> Get(unsigned v, std::string slug, UnixMillis now);
  boost::asio::awaitable<Response> Delete(unsigned v, std::string slug, UnixMillis now);
  boost::asio::awaitable<Response> SetPaused(unsigned v, std::string slug, bool pause,
                                             UnixMillis now);
  boost::asio::awaitable<Response> ServeMetrics(const Request& req, const RequestContext& context);
  // A store call, timed for the metrics under `op`.
  template <class T, class Start>
  boost::asio::awaitable<Result<T>> Timed(std::string_view op, Start start);

  Store& store_;
  const KeyCache& keys_;
  const Clock& clock_;
  Options options_;
  AuthLimiter auth_limiter_;
};

// The JSON object of one monitor, as listed by GET /monitors.
std::string MonitorJson(const Monitor& m, UnixMillis now);

}  // namespace heartbeat::http
