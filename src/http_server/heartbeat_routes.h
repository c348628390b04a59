#pragma once
// The routes a job calls (SPEC §4): the ping, GET/POST/HEAD /heartbeat/{slug}?interval=,
// and POST /heartbeat/{slug}/fail. The ping is the hot path: one coroutine frame and the
// store call, nothing more.

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

class HeartbeatRoutes {
 public:
  // Registers the store operations "ping" and "fail" in `calls.metrics` (when set).
  HeartbeatRoutes(Store& store, StoreCalls calls, WriteHook on_write);

  // Route handlers (see RouteHandler).
  boost::asio::awaitable<Response> Ping(RouteCall& call);  // call.param: the interval
  boost::asio::awaitable<Response> Fail(RouteCall& call);

 private:
  // The settings a ping carries (?interval, ?schedule, ?tz, ?grace), validated: a 400
  // names the field.
  static Result<MonitorSettings> SettingsFromQuery(const RouteCall& call);
  boost::asio::awaitable<Response> StorePing(unsigned v, std::string slug, MonitorSettings settings,
                                             UnixMillis now);
  boost::asio::awaitable<Response> StoreFail(unsigned v, std::string slug, UnixMillis now);

  Store& store_;
  StoreCalls calls_;
  WriteHook on_write_;
  StoreOpLabel ping_op_;
  StoreOpLabel fail_op_;
};

}  // namespace heartbeat::http
