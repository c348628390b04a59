#pragma once
// The routes about the service itself: GET /healthz, GET /metrics (SPEC §10), GET /whoami
// (the caller's key's project and role, for the dashboard) and the dashboard's static files
// under / and /ui/.

#include <boost/asio/awaitable.hpp>
#include <string_view>

#include "core/clock.h"
#include "core/metrics.h"
#include "http_server/route_support.h"
#include "http_server/router.h"
#include "store/store.h"

namespace heartbeat::http {

class ServiceRoutes {
 public:
  // Registers the store operation "other" (the counts read for /metrics) in `metrics`
  // (when set).
  ServiceRoutes(Store& store, StoreCalls calls);

  // Route handlers (see RouteHandler).
  boost::asio::awaitable<Response> Healthz(RouteCall& call);
  // 404 when metrics are not enabled.
  boost::asio::awaitable<Response> ServeMetrics(RouteCall& call);
  // 200 {"project":"<name>","role":"read-write"|"read-only"}: the caller's key's grant.
  static boost::asio::awaitable<Response> Whoami(RouteCall& call);
  static boost::asio::awaitable<Response> ServeStaticFile(RouteCall& call);

  // Whether `path` is one of the dashboard's files (a Route::matches_path).
  static bool IsStaticFile(std::string_view path);

 private:
  boost::asio::awaitable<Response> Scrape(unsigned v, UnixMillis now);

  Store& store_;
  StoreCalls calls_;
  StoreOpLabel other_op_;
};

}  // namespace heartbeat::http
