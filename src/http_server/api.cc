#include "http_server/api.h"

#include <algorithm>
#include <iterator>

namespace heartbeat::http {

using boost::beast::http::verb;

// The resources register their store operations, then the router its routes' labels: the
// order of registration is the order of the series in /metrics.
Api::Api(Store& store, const KeyCache& keys, const Clock& clock, ApiOptions options)
    : heartbeats_(store, StoreCalls{clock, options.metrics, options.store_timeout},
                  options.on_write, options.ping_body_limit, &keys,
                  options.channels != nullptr ? options.channels : &own_channels_),
      monitors_(store, StoreCalls{clock, options.metrics, options.store_timeout}, options.on_write,
                options.channels != nullptr ? options.channels : &own_channels_),
      hc_api_(store, StoreCalls{clock, options.metrics, options.store_timeout}, options.on_write,
              std::move(options.public_url),
              options.channels != nullptr ? options.channels : &own_channels_),
      channels_(store, StoreCalls{clock, options.metrics, options.store_timeout},
                options.channels != nullptr ? *options.channels : own_channels_,
                std::move(options.channel_tester)),
      service_(store, StoreCalls{clock, options.metrics, options.store_timeout}),
      router_(Routes(), keys, clock,
              RouterOptions{.limiter = options.limiter,
                            .metrics = options.metrics,
                            .metrics_token = std::move(options.metrics_token)}) {}

namespace {

// Healthchecks' ping URLs (SPEC §13): no key, the uuid or the ping key is the secret; a
// signal per suffix, by uuid (first: a uuid is no ping key) or by ping key and slug. Each
// is a row of the table, made from this list.
struct HcPingRow {
  std::string_view pattern;
  std::string_view label;
  std::optional<SignalKind> kind;  // none: an exit status, {code}
};
constexpr HcPingRow kHcPingRows[] = {
    {"/ping/{uuid}", "hc_ping", SignalKind::kSuccess},
    {"/ping/{uuid}/start", "hc_start", SignalKind::kStart},
    {"/ping/{uuid}/fail", "hc_fail", SignalKind::kFail},
    {"/ping/{uuid}/log", "hc_log", SignalKind::kLog},
    {"/ping/{uuid}/{code}", "hc_exit_code", std::nullopt},
    {"/ping/{any}/{any}", "hc_ping", SignalKind::kSuccess},
    {"/ping/{any}/{any}/start", "hc_start", SignalKind::kStart},
    {"/ping/{any}/{any}/fail", "hc_fail", SignalKind::kFail},
    {"/ping/{any}/{any}/log", "hc_log", SignalKind::kLog},
    {"/ping/{any}/{any}/{code}", "hc_exit_code", std::nullopt},
};

}  // namespace

std::vector<Route> Api::Routes() {
  std::vector<Route> routes = Table();
  // After the signals of /heartbeat, before /monitors: the order of the series in /metrics.
  auto at = std::find_if(routes.begin(), routes.end(),
                         [](const Route& r) { return r.pattern == "/monitors"; });
  std::vector<Route> hc;
  for (const HcPingRow& row : kHcPingRows) {
    hc.push_back(
        {.pattern = row.pattern,
         .methods = {verb::get, verb::post, verb::head},
         .access = Access::kPublic,
         .label = row.label,
         .query = kHcPingQuery,
         .handler = [this, kind = row.kind](RouteCall& c) { return heartbeats_.HcPing(c, kind); },
         // Healthchecks takes /ping/<uuid>/ too, and only that one.
         .trailing_slash = row.pattern == "/ping/{uuid}",
         .cors = true});
  }
  routes.insert(at, std::make_move_iterator(hc.begin()), std::make_move_iterator(hc.end()));
  return routes;
}

std::vector<Route> Api::Table() {
  using enum Access;
  return {
      // The signals (SPEC §4, §12); {code} matches digits only, so it comes after the
      // named ones only for clarity.
      {.pattern = "/heartbeat/{slug}",
       .methods = {verb::get, verb::post, verb::head},
       .access = kApiKeyWrite,
       .label = "ping",
       .query = kSignalQuery,
       .handler = [this](RouteCall& c) { return heartbeats_.Ping(c); }},
      {.pattern = "/heartbeat/{slug}/start",
       .methods = {verb::get, verb::post, verb::head},
       .access = kApiKeyWrite,
       .label = "start",
       .query = kSignalQuery,
       .handler = [this](RouteCall& c) { return heartbeats_.Start(c); }},
      {.pattern = "/heartbeat/{slug}/fail",
       .methods = {verb::get, verb::post, verb::head},
       .access = kApiKeyWrite,
       .label = "fail",
       .query = kSignalQuery,
       .handler = [this](RouteCall& c) { return heartbeats_.Fail(c); }},
      {.pattern = "/heartbeat/{slug}/log",
       .methods = {verb::get, verb::post, verb::head},
       .access = kApiKeyWrite,
       .label = "log",
       .query = kSignalQuery,
       .handler = [this](RouteCall& c) { return heartbeats_.Log(c); }},
      {.pattern = "/heartbeat/{slug}/{code}",
       .methods = {verb::get, verb::post, verb::head},
       .access = kApiKeyWrite,
       .label = "exit_code",
       .query = kSignalQuery,
       .handler = [this](RouteCall& c) { return heartbeats_.ExitCode(c); }},
      {.pattern = "/monitors",
       .methods = {verb::get, verb::head},
       .access = kApiKey,
       .label = "monitors",
       .handler = [this](RouteCall& c) { return monitors_.List(c); }},
      {.pattern = "/monitors/{slug}",
       .methods = {verb::get, verb::head, verb::put, verb::delete_},
       .access = kApiKey,
       .label = "monitor",
       .handler = [this](RouteCall& c) { return monitors_.GetOrDelete(c); }},
      {.pattern = "/monitors/{slug}/pings",
       .methods = {verb::get, verb::head},
       .access = kApiKey,
       .label = "pings",
       .query = QueryParameters("limit"),
       .handler = [this](RouteCall& c) { return monitors_.Pings(c); }},
      {.pattern = "/monitors/{slug}/pings/{n}/body",
       .methods = {verb::get, verb::head},
       .access = kApiKey,
       .label = "ping_body",
       .handler = [this](RouteCall& c) { return monitors_.PingBody(c); }},
      {.pattern = "/monitors/{slug}/flips",
       .methods = {verb::get, verb::head},
       .access = kApiKey,
       .label = "flips",
       .handler = [this](RouteCall& c) { return monitors_.Flips(c); }},
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
      {.pattern = "/monitors/{slug}/snooze",
       .methods = {verb::post},
       .access = kApiKey,
       .label = "snooze",
       .query = QueryParameters("for"),
       .handler = [this](RouteCall& c) { return monitors_.Snooze(c); }},
      {.pattern = "/monitors/{slug}/unsnooze",
       .methods = {verb::post},
       .access = kApiKey,
       .label = "unsnooze",
       .handler = [this](RouteCall& c) { return monitors_.Unsnooze(c); }},
      // Channels (SPEC §14)
      {.pattern = "/channels",
       .methods = {verb::get, verb::head, verb::post},
       .access = kApiKey,
       .label = "channels",
       .handler = [this](RouteCall& c) { return channels_.ListOrAdd(c); }},
      {.pattern = "/channels/{any}",
       .methods = {verb::delete_},
       .access = kApiKeyWrite,
       .label = "channel",
       .handler = [this](RouteCall& c) { return channels_.Remove(c); }},
      {.pattern = "/channels/{any}/test",
       .methods = {verb::post},
       .access = kApiKeyWrite,
       .label = "channel_test",
       .handler = [this](RouteCall& c) { return channels_.Test(c); }},
      // The caller's key's project and role (the dashboard labels its keys with them).
      {.pattern = "/whoami",
       .methods = {verb::get, verb::head},
       .access = kApiKey,
       .label = "whoami",
       .handler = &ServiceRoutes::Whoami},
      // Healthchecks' management API (SPEC §13)
      {.pattern = "/api/{v}/checks",
       .methods = {verb::get, verb::post},
       .access = kHcApiKey,
       .label = "hc_checks",
       .query = LenientParameters("tag", "slug"),
       .handler = [this](RouteCall& c) { return hc_api_.Checks(c); },
       .trailing_slash = true,
       .cors = true},
      {.pattern = "/api/{v}/checks/{uuid}",
       .methods = {verb::get, verb::post, verb::delete_},
       .access = kHcApiKey,
       .label = "hc_check",
       .query = LenientParameters(),
       .handler = [this](RouteCall& c) { return hc_api_.Check(c); },
       .trailing_slash = true,
       .cors = true},
      // After {uuid}: a read-only key's look-up by unique_key (40 hex digits, else 404).
      {.pattern = "/api/{v}/checks/{any}",
       .methods = {verb::get},
       .access = kHcApiKey,
       .label = "hc_check",
       .query = LenientParameters(),
       .handler = [this](RouteCall& c) { return hc_api_.CheckByUniqueKey(c); },
       .trailing_slash = true,
       .cors = true},
      {.pattern = "/api/{v}/checks/{uuid}/pause",
       .methods = {verb::post},
       .access = kHcApiKeyWrite,
       .label = "hc_pause",
       .query = LenientParameters(),
       .handler = [this](RouteCall& c) { return hc_api_.Pause(c); },
       .trailing_slash = true,
       .cors = true},
      {.pattern = "/api/{v}/checks/{uuid}/resume",
       .methods = {verb::post},
       .access = kHcApiKeyWrite,
       .label = "hc_resume",
       .query = LenientParameters(),
       .handler = [this](RouteCall& c) { return hc_api_.Resume(c); },
       .trailing_slash = true,
       .cors = true},
      // Pings, bodies and channels: read-write keys only, as Healthchecks has them.
      {.pattern = "/api/{v}/checks/{uuid}/pings",
       .methods = {verb::get},
       .access = kHcApiKeyWrite,
       .label = "hc_pings",
       .query = LenientParameters(),
       .handler = [this](RouteCall& c) { return hc_api_.Pings(c); },
       .trailing_slash = true,
       .cors = true},
      {.pattern = "/api/{v}/checks/{uuid}/pings/{n}/body",
       .methods = {verb::get},
       .access = kHcApiKeyWrite,
       .label = "hc_ping_body",
       .query = LenientParameters(),
       .handler = [this](RouteCall& c) { return hc_api_.PingBody(c); },
       .trailing_slash = true,
       .cors = true},
      {.pattern = "/api/{v}/checks/{uuid}/flips",
       .methods = {verb::get},
       .access = kHcApiKey,
       .label = "hc_flips",
       .query = LenientParameters("seconds", "start", "end"),
       .handler = [this](RouteCall& c) { return hc_api_.Flips(c); },
       .trailing_slash = true,
       .cors = true},
      {.pattern = "/api/{v}/checks/{any}/flips",
       .methods = {verb::get},
       .access = kHcApiKey,
       .label = "hc_flips",
       .query = LenientParameters("seconds", "start", "end"),
       .handler = [this](RouteCall& c) { return hc_api_.FlipsByUniqueKey(c); },
       .trailing_slash = true,
       .cors = true},
      {.pattern = "/api/{v}/channels",
       .methods = {verb::get},
       .access = kHcApiKeyWrite,
       .label = "hc_channels",
       .query = LenientParameters(),
       .handler = [this](RouteCall& c) { return hc_api_.Channels(c); },
       .trailing_slash = true,
       .cors = true},
      {.pattern = "/api/{v}/status",
       .methods = {verb::get},
       .access = kPublic,
       .label = "hc_status",
       .query = LenientParameters(),
       .handler = &HcApiRoutes::ServiceStatus,
       .trailing_slash = true,
       .cors = true},
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
