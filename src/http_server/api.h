#pragma once
// The HTTP API of SPEC §4: its route table (api.cc), the handlers of each resource
// (heartbeat_routes, monitor_routes, service_routes) and the Router that reads the table.
// Stateless apart from its references; safe to call from every I/O thread at once.

#include <boost/asio/awaitable.hpp>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/signal.h"
#include "http_server/auth_limiter.h"
#include "http_server/hc_api_routes.h"
#include "http_server/heartbeat_routes.h"
#include "http_server/key_cache.h"
#include "http_server/monitor_routes.h"
#include "http_server/route_support.h"
#include "http_server/router.h"
#include "http_server/server.h"
#include "http_server/service_routes.h"
#include "store/store.h"

namespace heartbeat::http {

struct ApiOptions {
  using WriteHook = http::WriteHook;
  WriteHook on_write;  // see WriteHook
  AuthLimiterOptions limiter;
  Metrics* metrics = nullptr;  // counts requests, pings, store latency; serves /metrics
  std::string metrics_token;   // METRICS_TOKEN: when set, /metrics needs it as Bearer
  // STORE_TIMEOUT: a request's store call answers 503 after it, whatever the store does.
  std::chrono::milliseconds store_timeout{5000};
  // PING_BODY_LIMIT: the bytes of a signal's body kept in the history.
  std::int64_t ping_body_limit = kDefaultPingBodyLimit;
  // PUBLIC_URL, without a final '/': the base of the absolute URLs of Healthchecks' API
  // (ping_url, update_url); empty: "http://" + the request's Host.
  std::string public_url;
  // The projects' channels (SPEC §14), kept by the caller (loaded from the store and
  // refreshed); none: the Api keeps its own, loaded by its channel routes' changes.
  ChannelDirectory* channels = nullptr;
  // Sends POST /channels/{name}/test's message.
  ChannelTester channel_tester;
};

class Api {
 public:
  using WriteHook = ApiOptions::WriteHook;
  using Options = ApiOptions;

  Api(Store& store, const KeyCache& keys, const Clock& clock, ApiOptions options = ApiOptions());

  boost::asio::awaitable<Response> Handle(const Request& req, const RequestContext& context) {
    return router_.Handle(req, context);
  }

  // The route table: every route of the API, declared once.
  // The route table: Table()'s rows and those of Healthchecks' ping URLs.
  std::vector<Route> Routes();
  std::vector<Route> Table();

 private:
  HeartbeatRoutes heartbeats_;
  MonitorRoutes monitors_;
  HcApiRoutes hc_api_;
  ChannelDirectory own_channels_;  // when ApiOptions::channels is none
  ChannelRoutes channels_;
  ServiceRoutes service_;
  Router router_;  // last: built from the handlers above
};

}  // namespace heartbeat::http
