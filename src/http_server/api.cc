#include "http_server/api.h"

namespace heartbeat::http {

using boost::beast::http::verb;

// The resources register their store operations, then the router its routes' labels: the
// order of registration is the order of the series in /metrics.
Api::Api(Store& store, const KeyCache& keys, const Clock& clock, ApiOptions options)
    : heartbeats_(store, StoreCalls{clock, options.metrics, options.store_timeout},
                  options.on_write),
      monitors_(store, StoreCalls{clock, options.metrics, options.store_timeout}, options.on_write),
      service_(store, StoreCalls{clock, options.metrics, options.store_timeout}),
      router_(Routes(), keys, clock,
              RouterOptions{.limiter = options.limiter,
                            .metrics = options.metrics,
                            .metrics_token = std::move(options.metrics_token)}) {}

std::vector<Route> Api::Routes() {
  using enum Access;
  return {
      {.pattern = "/heartbeat/{slug}",
       .methods = {verb::get, verb::post, verb::head},
       .access = kApiKey,
       .label = "ping",
       .query = QueryParameters("interval", "schedule", "tz", "grace"),
       .handler = [this](RouteCall& c) { return heartbeats_.Ping(c); }},
      {.pattern = "/heartbeat/{slug}/fail",
       .methods = {verb::post},
       .access = kApiKey,
       .label = "fail",
       .handler = [this](RouteCall& c) { return heartbeats_.Fail(c); }},
      {.pattern = "/monitors",
       .methods = {verb::get, verb::head},
       .access = kApiKey,
       .label = "monitors",
       .handler = [this](RouteCall& c) { return monitors_.List(c); }},
      {.pattern = "/monitors/{slug}",
       .methods = {verb::get, verb::head, verb::delete_},
       .access = kApiKey,
       .label = "monitor",
       .handler = [this](RouteCall& c) { return monitors_.GetOrDelete(c); }},
      {.pattern = "/monitors/{slug}/pause",
       .methods = {verb::post},
       .access = kApiKey,
       .label = "pause",
       .handler = [this](RouteCall& c) { return monitors_.Pause(c); }},
      {.pattern = "/monitors/{slug}/unpause",
       .methods = {verb::post},
       .access = kApiKey,
       .label = "unpause",
       .handler = [this](RouteCall& c) { return monitors_.Unpause(c); }},
      {.pattern = "/healthz",
       .methods = {verb::get, verb::head},
       .access = kPublic,
       .label = "healthz",
       .handler = [this](RouteCall& c) { return service_.Healthz(c); }},
      {.pattern = "/metrics",
       .methods = {verb::get, verb::head},
       .access = kMetricsToken,
       .label = "metrics",
       .query = kAnyQuery,
       .handler = [this](RouteCall& c) { return service_.ServeMetrics(c); }},
      // The dashboard, last: the page itself asks for an API key.
      {.pattern = "/ui/",
       .matches_path = &ServiceRoutes::IsStaticFile,
       .methods = {verb::get, verb::head},
       .access = kPublic,
       .label = "dashboard",
       .query = kAnyQuery,
       .handler = &ServiceRoutes::ServeStaticFile},
  };
}

}  // namespace heartbeat::http
