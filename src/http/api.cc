#include "http/api.h"

#include <array>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <span>
#include <string>

#include "core/api_key.h"
#include "core/interval.h"
#include "core/slug.h"
#include "core/time_format.h"
#include "http/static_files.h"
#include "http/store_awaitable.h"

namespace heartbeat::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using bhttp::status;
using bhttp::verb;

namespace {

constexpr std::size_t kListPageSize = 1000;

enum class Route {
  kUnknown,
  kHealthz,
  kMetrics,
  kPing,      // /heartbeat/{slug}
  kFail,      // /heartbeat/{slug}/fail
  kMonitors,  // /monitors
  kMonitor,   // /monitors/{slug}
  kPause,     // /monitors/{slug}/pause
  kUnpause,   // /monitors/{slug}/unpause
};

struct Match {
  Route route = Route::kUnknown;
  std::string slug;
  bool has_slug = false;  // the path names a monitor (even an empty or invalid name)
};

Match MatchPath(std::span<const std::string> seg) {
  if (seg.size() == 1 && seg[0] == "healthz") return {Route::kHealthz, {}};
  if (seg.size() == 1 && seg[0] == "metrics") return {Route::kMetrics, {}};
  if (seg.size() == 1 && seg[0] == "monitors") return {Route::kMonitors, {}};
  if (seg.size() == 2 && seg[0] == "heartbeat") return {Route::kPing, seg[1], true};
  if (seg.size() == 3 && seg[0] == "heartbeat" && seg[2] == "fail")
    return {Route::kFail, seg[1], true};
  if (seg.size() == 2 && seg[0] == "monitors") return {Route::kMonitor, seg[1], true};
  if (seg.size() == 3 && seg[0] == "monitors" && seg[2] == "pause")
    return {Route::kPause, seg[1], true};
  if (seg.size() == 3 && seg[0] == "monitors" && seg[2] == "unpause") {
    return {Route::kUnpause, seg[1], true};
  }
  return {};
}

// The methods each route answers; anything else is a 405.
constexpr verb kReadMethods[] = {verb::get, verb::head};
constexpr verb kPingMethods[] = {verb::get, verb::post, verb::head};
constexpr verb kPostMethods[] = {verb::post};
constexpr verb kMonitorMethods[] = {verb::get, verb::head, verb::delete_};

std::span<const verb> AllowedMethods(Route route) {
  switch (route) {
    case Route::kHealthz:
    case Route::kMetrics:
    case Route::kMonitors:
      return kReadMethods;
    case Route::kPing:
      return kPingMethods;
    case Route::kFail:
    case Route::kPause:
    case Route::kUnpause:
      return kPostMethods;
    case Route::kMonitor:
      return kMonitorMethods;
    case Route::kUnknown:
      break;
  }
  return {};
}

std::string AllowHeader(std::span<const verb> verbs) {
  std::string out;
  for (verb v : verbs) {
    if (!out.empty()) out += ", ";
    out += std::string(bhttp::to_string(v));
  }
  return out;
}

// A 405 with its Allow header, or nothing when the request's method is allowed.
std::optional<Response> RefuseMethod(const Request& req, std::span<const verb> allowed) {
  if (std::find(allowed.begin(), allowed.end(), req.method()) != allowed.end()) {
    return std::nullopt;
  }
  Response res = ErrorResponse(req.version(), status::method_not_allowed,
                               "method " + std::string(req.method_string()) +
                                   " is not allowed here; use " + AllowHeader(allowed));
  res.set(bhttp::field::allow, AllowHeader(allowed));
  return res;
}

Response Json(unsigned version, status code, std::string body) {
  Response res{code, version};
  res.set(bhttp::field::content_type, "application/json");
  res.body() = std::move(body);
  return res;
}

// 429 for an address that failed authentication too often.
Response TooManyFailures(unsigned version, std::int64_t wait_secs) {
  Response res = ErrorResponse(version, status::too_many_requests,
                               "too many failed authentications from this address; retry in " +
                                   std::to_string(wait_secs) + " s");
  res.set(bhttp::field::retry_after, std::to_string(wait_secs));
  return res;
}

Response NoContent(unsigned version) { return Response{status::no_content, version}; }

Response FromError(unsigned version, const Error& e) {
  switch (e.code) {
    case ErrorCode::kInvalidArgument:
      return ErrorResponse(version, status::bad_request, e.message);
    case ErrorCode::kNotFound:
      return ErrorResponse(version, status::not_found, e.message);
    case ErrorCode::kUnavailable:
    case ErrorCode::kConflict:
      return ErrorResponse(version, status::service_unavailable,
                           "the store is unavailable, try again: " + e.message);
    case ErrorCode::kInternal:
      break;
  }
  return ErrorResponse(version, status::internal_server_error, "internal error: " + e.message);
}

boost::json::value OptionalSeconds(const std::optional<UnixMillis>& t) {
  if (!t) return nullptr;
  return ToUnixSeconds(*t);
}

// The bearer token of an Authorization header, or an empty view when it has none.
std::string_view BearerToken(std::string_view header) {
  constexpr std::string_view kScheme = "bearer";
  if (header.size() <= kScheme.size() + 1) return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    char c = header[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kScheme[i]) return {};
  }
  if (header[kScheme.size()] != ' ') return {};
  std::string_view token = header.substr(kScheme.size() + 1);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.find(' ') != std::string_view::npos) return {};
  return token;
}

}  // namespace

namespace {

RouteLabel LabelOf(Route route) {
  switch (route) {
    case Route::kHealthz:
      return RouteLabel::kHealthz;
    case Route::kMetrics:
      return RouteLabel::kMetrics;
    case Route::kPing:
      return RouteLabel::kPing;
    case Route::kFail:
      return RouteLabel::kFail;
    case Route::kMonitors:
      return RouteLabel::kMonitors;
    case Route::kMonitor:
      return RouteLabel::kMonitor;
    case Route::kPause:
      return RouteLabel::kPause;
    case Route::kUnpause:
      return RouteLabel::kUnpause;
    case Route::kUnknown:
      break;
  }
  return RouteLabel::kUnknown;
}

}  // namespace

std::string MonitorJson(const Monitor& m, UnixMillis now) {
  boost::json::object o;
  o["slug"] = m.slug;
  o["status"] = ToString(DeriveStatus(m, now));
  o["last_ping"] = OptionalSeconds(m.last_ping);
  o["next_due"] = ToUnixSeconds(m.next_due);
  o["interval_secs"] = m.interval_secs;
  o["paused"] = m.paused;
  o["failed"] = m.failed();
  o["alert_count"] = m.alert.alert_count;
  o["first_alerted_at"] = OptionalSeconds(m.alert.first_alerted_at);
  o["last_alerted_at"] = OptionalSeconds(m.alert.last_alerted_at);
  o["created_at"] = ToUnixSeconds(m.created_at);
  o["expires_at"] = ToUnixSeconds(m.expires_at);
  return boost::json::serialize(o);
}

template <class T, class Start>
asio::awaitable<Result<T>> Api::Timed(std::string_view op, Start start) {
  return AwaitStore<T>(std::move(start), [this, op, begin = clock_.Steady()] {
    if (options_.metrics != nullptr) {
      options_.metrics->ObserveStoreOperation(
          op, std::chrono::duration<double>(clock_.Steady() - begin).count());
    }
  });
}

asio::awaitable<Response> Api::Ready(Response res) { co_return res; }

asio::awaitable<Response> Api::Handle(const Request& req, const RequestContext& context) {
  auto begin = clock_.Steady();
  RouteLabel label = RouteLabel::kUnknown;
  Response res = co_await Route(req, context, label);
  if (options_.metrics != nullptr) {
    options_.metrics->ObserveRequest(
        label, res.result_int(), std::chrono::duration<double>(clock_.Steady() - begin).count());
  }
  co_return res;
}

asio::awaitable<Response> Api::ServeMetrics(const Request& req, const RequestContext& context) {
  const unsigned v = req.version();
  if (!options_.metrics_token.empty()) {
    // A wrong metrics token is a failed authentication like any other.
    if (auto wait = auth_limiter_.RetryAfter(context.client_address, clock_.Now())) {
      co_return TooManyFailures(v, *wait);
    }
    auto auth = req.find(bhttp::field::authorization);
    std::string_view token = auth == req.end() ? std::string_view() : BearerToken(auth->value());
    if (!ConstantTimeEquals(token, options_.metrics_token)) {
      auth_limiter_.RecordFailure(context.client_address, clock_.Now());
      Response res = ErrorResponse(v, status::unauthorized,
                                   "/metrics needs Authorization: Bearer <METRICS_TOKEN>");
      res.set(bhttp::field::www_authenticate, "Bearer");
      co_return res;
    }
  }
  if (options_.metrics == nullptr) {
    co_return ErrorResponse(v, status::not_found, "metrics are not enabled");
  }
  const UnixMillis now = clock_.Now();
  Result<MonitorCounts> counts = co_await Timed<MonitorCounts>(
      "other", [&](Callback<MonitorCounts> cb) { store_.CountMonitors(now, std::move(cb)); });
  Result<std::int64_t> pending = co_await Timed<std::int64_t>(
      "other", [&](Callback<std::int64_t> cb) { store_.CountPendingAlerts(std::move(cb)); });
  if (!counts.ok()) co_return FromError(v, counts.error());
  if (!pending.ok()) co_return FromError(v, pending.error());
  Response res{status::ok, v};
  res.set(bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  res.body() = options_.metrics->Render(*counts, *pending);
  co_return res;
}

// Not a coroutine: the request is checked at once, and the coroutine that answers it
// (each endpoint its own, with a frame no larger than it needs) is returned.
asio::awaitable<Response> Api::Route(const Request& req, const RequestContext& context,
                                     RouteLabel& label) {
  const unsigned v = req.version();
  auto parsed = boost::urls::parse_origin_form(req.target());
  if (!parsed) return Ready(ErrorResponse(v, status::bad_request, "malformed request target"));
  const boost::urls::url_view& url = *parsed;

  // No endpoint has more than three segments: a fourth is kept only to tell such paths
  // apart, and a path that long is only looked for among the static files.
  std::array<std::string, 4> segments;
  std::size_t count = 0;
  for (auto seg : url.segments()) {
    if (count == segments.size()) break;
    segments[count++] = seg;
  }
  Match match = MatchPath(std::span<const std::string>(segments.data(), count));
  label = LabelOf(match.route);
  if (match.route == Route::kUnknown) {
    // The dashboard: static files under / and /ui/, no key needed (the page asks for one).
    if (auto file = FindStaticFile(url.path())) {
      label = RouteLabel::kDashboard;
      if (auto refused = RefuseMethod(req, kReadMethods)) return Ready(std::move(*refused));
      Response res{status::ok, v};
      res.set(bhttp::field::content_type, file->content_type);
      for (const auto& [name, value] : kStaticSecurityHeaders) res.set(name, value);
      res.body() = std::string(file->body);
      return Ready(std::move(res));
    }
    return Ready(
        ErrorResponse(v, status::not_found, "no such endpoint: " + std::string(url.path())));
  }

  const UnixMillis now = clock_.Now();
  if (match.route == Route::kMetrics) {
    if (auto refused = RefuseMethod(req, AllowedMethods(match.route))) {
      return Ready(std::move(*refused));
    }
    return ServeMetrics(req, context);
  }
  if (match.route != Route::kHealthz) {
    // An address that failed too often waits, whatever key it sends now.
    if (auto wait = auth_limiter_.RetryAfter(context.client_address, now)) {
      return Ready(TooManyFailures(v, *wait));
    }
    auto auth = req.find(bhttp::field::authorization);
    if (auth == req.end()) {
      auth_limiter_.RecordFailure(context.client_address, now);
      Response res = ErrorResponse(v, status::unauthorized,
                                   "missing API key: send Authorization: Bearer <api_key>");
      res.set(bhttp::field::www_authenticate, "Bearer");
      return Ready(std::move(res));
    }
    std::string_view token = BearerToken(auth->value());
    if (token.empty()) {
      auth_limiter_.RecordFailure(context.client_address, now);
      Response res = ErrorResponse(v, status::unauthorized,
                                   "malformed Authorization header: expected Bearer <api_key>");
      res.set(bhttp::field::www_authenticate, "Bearer");
      return Ready(std::move(res));
    }
    if (!keys_.Authenticate(token, now)) {
      auth_limiter_.RecordFailure(context.client_address, now);
      Response res = ErrorResponse(v, status::unauthorized, "invalid or revoked API key");
      res.set(bhttp::field::www_authenticate, "Bearer error=\"invalid_token\"");
      return Ready(std::move(res));
    }
  }

  // Query: only `interval`, only on pings, at most once.
  std::optional<std::string> interval_text;
  for (auto param : url.params(boost::urls::encoding_opts(true))) {
    if (param.key == "interval" && match.route == Route::kPing) {
      if (interval_text)
        return Ready(ErrorResponse(v, status::bad_request, "interval given twice"));
      interval_text = param.has_value ? param.value : std::string();
      continue;
    }
    return Ready(
        ErrorResponse(v, status::bad_request, "unknown query parameter '" + param.key + "'"));
  }

  if (auto refused = RefuseMethod(req, AllowedMethods(match.route))) {
    return Ready(std::move(*refused));
  }

  if (match.has_slug) {
    if (Status s = ValidateSlug(match.slug); !s.ok()) {
      return Ready(ErrorResponse(v, status::bad_request, s.error().message));
    }
  }

  switch (match.route) {
    case Route::kHealthz:
      if (store_.Healthy()) return Ready(Json(v, status::ok, R"({"ok":true})"));
      return Ready(ErrorResponse(v, status::service_unavailable, "the store is not answering"));

    case Route::kPing: {
      std::optional<std::int64_t> interval;
      if (interval_text) {
        Result<std::int64_t> parsed_interval = ParseInterval(*interval_text);
        if (!parsed_interval.ok()) return Ready(FromError(v, parsed_interval.error()));
        interval = *parsed_interval;
      }
      return Ping(v, std::move(match.slug), interval, now);
    }
    case Route::kFail:
      return Fail(v, std::move(match.slug), now);
    case Route::kMonitors:
      return List(v, now);
    case Route::kMonitor:
      if (req.method() == verb::delete_) return Delete(v, std::move(match.slug), now);
      return Get(v, std::move(match.slug), now);
    case Route::kPause:
    case Route::kUnpause:
      return SetPaused(v, std::move(match.slug), match.route == Route::kPause, now);

    case Route::kMetrics:  // answered above
    case Route::kUnknown:
      break;
  }
  return Ready(ErrorResponse(v, status::not_found, "no such endpoint"));
}

asio::awaitable<Response> Api::Ping(unsigned v, std::string slug,
                                    std::optional<std::int64_t> interval, UnixMillis now) {
  Result<Monitor> m = co_await Timed<Monitor>("ping", [&](Callback<Monitor> cb) {
    store_.Ping(std::move(slug), interval, now, std::move(cb));
  });
  if (!m.ok()) co_return FromError(v, m.error());
  if (options_.on_write && m->check_at) options_.on_write(*m->check_at);
  if (options_.metrics != nullptr) options_.metrics->CountPing();
  std::string body;
  body.reserve(96);
  body.append(R"({"ok":true,"next_due":")")
      .append(FormatRfc3339(m->next_due))
      .append(R"(","status":")")
      .append(ToString(DeriveStatus(*m, now)))
      .append(R"("})");
  co_return Json(v, status::ok, std::move(body));
}

asio::awaitable<Response> Api::Fail(unsigned v, std::string slug, UnixMillis now) {
  Result<Monitor> m = co_await Timed<Monitor>(
      "fail", [&](Callback<Monitor> cb) { store_.Fail(std::move(slug), now, std::move(cb)); });
  if (!m.ok()) co_return FromError(v, m.error());
  if (options_.on_write && m->check_at) options_.on_write(*m->check_at);
  co_return Json(
      v, status::ok,
      R"({"ok":true,"status":")" + std::string(ToString(DeriveStatus(*m, now))) + R"("})");
}

asio::awaitable<Response> Api::List(unsigned v, UnixMillis now) {
  std::string body = R"({"monitors":[)";
  std::string after;
  bool first = true;
  for (;;) {
    Result<MonitorPage> page = co_await Timed<MonitorPage>("list", [&](Callback<MonitorPage> cb) {
      store_.List(after, kListPageSize, now, std::move(cb));
    });
    if (!page.ok()) co_return FromError(v, page.error());
    for (const Monitor& m : page->monitors) {
      if (!first) body += ',';
      first = false;
      body += MonitorJson(m, now);
    }
    if (!page->next_after) break;
    after = *page->next_after;
  }
  body += "]}";
  co_return Json(v, status::ok, std::move(body));
}

asio::awaitable<Response> Api::Get(unsigned v, std::string slug, UnixMillis now) {
  Result<std::optional<Monitor>> m = co_await Timed<std::optional<Monitor>>(
      "get", [&](Callback<std::optional<Monitor>> cb) { store_.Get(slug, now, std::move(cb)); });
  if (!m.ok()) co_return FromError(v, m.error());
  if (!m->has_value()) co_return ErrorResponse(v, status::not_found, "no monitor " + slug);
  co_return Json(v, status::ok, MonitorJson(**m, now));
}

asio::awaitable<Response> Api::Delete(unsigned v, std::string slug, UnixMillis now) {
  Result<bool> found = co_await Timed<bool>(
      "delete", [&](Callback<bool> cb) { store_.Delete(slug, now, std::move(cb)); });
  if (!found.ok()) co_return FromError(v, found.error());
  if (!*found) co_return ErrorResponse(v, status::not_found, "no monitor " + slug);
  co_return NoContent(v);
}

asio::awaitable<Response> Api::SetPaused(unsigned v, std::string slug, bool pause, UnixMillis now) {
  Result<bool> found = co_await Timed<bool>(pause ? "pause" : "unpause", [&](Callback<bool> cb) {
    if (pause) {
      store_.Pause(slug, now, std::move(cb));
    } else {
      store_.Unpause(slug, now, std::move(cb));
    }
  });
  if (!found.ok()) co_return FromError(v, found.error());
  if (!*found) co_return ErrorResponse(v, status::not_found, "no monitor " + slug);
  // Unpause restarts the deadline, perhaps at once (a failure reported while paused): let
  // the checker look.
  if (!pause && options_.on_write) options_.on_write(now);
  co_return NoContent(v);
}

}  // namespace heartbeat::http
