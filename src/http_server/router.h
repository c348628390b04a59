#pragma once
// Routing as one table (SPEC §11): each route is declared once, as a Route, and the Router
// reads that table for everything a request goes through before its handler: matching the
// path, the API key or metrics token, the query, 405 with Allow, the {slug}, the metrics
// label and the dispatch. Safe to call from every I/O thread at once.

#include <array>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/url/url_view.hpp>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/project.h"
#include "http_server/auth_limiter.h"
#include "http_server/key_cache.h"
#include "http_server/server.h"

namespace heartbeat::http {

// Who may call a route.
enum class Access {
  kPublic,  // anyone
  // Authorization: Bearer <api key>, checked before anything else about the request (a
  // caller without a key learns nothing of the route: no 400, no 405). Any key may read;
  // the handler acts in the key's project (RouteCall::grant).
  kApiKey,
  // The same, for a route that writes: a read-only key is refused with 403.
  kApiKeyWrite,
  // Healthchecks' management API (SPEC §13): the key in X-Api-Key (or "api_key" in a JSON
  // body), refused with Healthchecks' 401 {"error":"missing api key"} or "wrong api key".
  kHcApiKey,
  kHcApiKeyWrite,  // the same, for a route that writes
  // Authorization: Bearer <METRICS_TOKEN> when a token is configured, else anyone; checked
  // after the method.
  kMetricsToken,
};

// The query string a route takes.
struct QuerySpec {
  enum class Kind {
    kNothing,     // any parameter is a 400
    kParameters,  // each of `names` at most once; any other parameter is a 400
    kIgnored,     // anything, unread
    // each of `names` (the first time it is given); any other parameter is ignored
    // (Healthchecks' URLs, whose clients add what they like)
    kLenient,
  };
  Kind kind = Kind::kNothing;
  std::array<std::string_view, 12> names{};  // the empty ones are unused
};
inline constexpr QuerySpec kNoQuery{};
inline constexpr QuerySpec kAnyQuery{QuerySpec::Kind::kIgnored, {}};
template <class... Names>
constexpr QuerySpec QueryParameters(Names... names) {
  static_assert(sizeof...(Names) <= 12, "at most 12 query parameters");
  return {QuerySpec::Kind::kParameters, {std::string_view(names)...}};
}
template <class... Names>
constexpr QuerySpec LenientParameters(Names... names) {
  static_assert(sizeof...(Names) <= 12, "at most 12 query parameters");
  return {QuerySpec::Kind::kLenient, {std::string_view(names)...}};
}

// What a handler gets: the request and what the router read from it.
struct RouteCall {
  const Request& req;
  const RequestContext& context;
  std::string slug;  // the {slug} of the path, a valid slug; empty if none
  // The path's number ({code} or {n}: 1 to 10 decimal digits), if the pattern has one.
  std::optional<std::int64_t> number;
  // The route's query parameters that were given (each at most once), with their values.
  std::vector<std::pair<std::string_view, std::string>> params;
  UnixMillis now;  // the clock's time when the request was routed
  // The caller's key's project and role (a route of Access kApiKey*, kHcApiKey*); the
  // default project for the others.
  KeyGrant grant = {};
  std::string uuid;               // the {uuid} of the path (lowercase); empty if none
  std::vector<std::string> args;  // the {any} segments of the path, in order
  int api_version = 0;            // {v}: 1, 2 or 3 (Healthchecks' /api/v1/...)

  unsigned version() const { return req.version(); }
  // The key of the {slug}'s monitor in the caller's project (core/project.h).
  std::string key() const { return MonitorKey(grant.project, slug); }
  // The value of query parameter `name`, if it was given.
  std::optional<std::string> Param(std::string_view name) const {
    for (const auto& [key, value] : params) {
      if (key == name) return value;
    }
    return std::nullopt;
  }
};

// Returns the coroutine that answers the call. It is called at once, and `call` dies when
// it returns, before the coroutine runs: the coroutine must own what it uses of `call`
// (`req` and `context` outlive it). Must not block.
using RouteHandler = std::function<boost::asio::awaitable<Response>(RouteCall& call)>;

// One row of the table.
struct Route {
  // "/monitors/{slug}/pause": literal segments, at most one {slug} and at most one number
  // ({code} or {n}, which match 1 to 10 decimal digits only), compared with the path's
  // percent-decoded segments. Also the route's name in error messages. Healthchecks'
  // routes may also have a {uuid} (a lowercase UUID, else no match), {any} segments
  // (any non-empty text) and a {v} (v1, v2 or v3).
  std::string_view pattern;
  // Instead of the pattern, a predicate on the path (the dashboard's files); tried in
  // table order like the patterns.
  bool (*matches_path)(std::string_view path) = nullptr;
  // Any other method is answered 405 with these in Allow, in this order.
  std::vector<boost::beast::http::verb> methods;
  Access access = Access::kApiKey;
  // Its value of the `route` label of heartbeat_http_request_duration_seconds.
  std::string_view label;
  QuerySpec query = kNoQuery;
  RouteHandler handler;
  // The path also matches with one '/' more at its end (Healthchecks' clients send both).
  bool trailing_slash = false;
  // Every answer carries Healthchecks' CORS headers, and OPTIONS answers 204 before
  // anything else is checked.
  bool cors = false;
};

struct RouterOptions {
  AuthLimiterOptions limiter;  // failed API keys and metrics tokens, per client address
  Metrics* metrics = nullptr;  // when set, every request is timed under its route's label
  std::string metrics_token;   // Access::kMetricsToken: the token, or empty for none
};

class Router {
 public:
  // The label of requests that match no route (or cannot be parsed).
  static constexpr std::string_view kUnknownLabel = "unknown";

  // Registers the routes' labels (in table order, then kUnknownLabel) and the status codes
  // the API answers with in `options.metrics`. A malformed table (a bad pattern, no
  // method, no handler) throws std::invalid_argument: it is a start-up error.
  Router(std::vector<Route> routes, const KeyCache& keys, const Clock& clock,
         RouterOptions options = {});

  boost::asio::awaitable<Response> Handle(const Request& req, const RequestContext& context);

 private:
  struct Entry {
    Route route;
    std::vector<std::string> segments;  // the pattern's; the parameters' are empty
    std::optional<std::size_t> slug_at;
    std::optional<std::size_t> number_at;
    std::optional<std::size_t> uuid_at;
    std::optional<std::size_t> version_at;
    std::vector<std::size_t> any_at;
    std::string allow;  // the Allow header of a 405
    RouteLabel label;
  };

  // Checks the request and returns the coroutine of its handler, or a ready answer; sets
  // `label` to the matched route's. Not a coroutine: its locals do not swell a frame.
  boost::asio::awaitable<Response> Dispatch(const Request& req, const RequestContext& context,
                                            RouteLabel& label, const Entry*& matched);
  // The first entry that matches; the path is decoded only for a predicate.
  const Entry* Match(std::span<std::string> segments, const boost::urls::url_view& url) const;
  // A 401, 403 or 429 when the request may not call `entry`'s route, or nothing; sets
  // `grant` to the key's.
  std::optional<Response> Authorize(const Entry& entry, const Request& req,
                                    const RequestContext& context, UnixMillis now, KeyGrant& grant);

  std::vector<Entry> entries_;
  const KeyCache& keys_;
  const Clock& clock_;
  RouterOptions options_;
  AuthLimiter auth_limiter_;
  RouteLabel unknown_label_;
};

}  // namespace heartbeat::http
