#include "http_server/heartbeat_routes.h"

#include "core/interval.h"
#include "core/time_format.h"

namespace heartbeat::http {

namespace asio = boost::asio;
using boost::beast::http::status;

HeartbeatRoutes::HeartbeatRoutes(Store& store, StoreCalls calls, WriteHook on_write)
    : store_(store), calls_(calls), on_write_(std::move(on_write)) {
  if (calls_.metrics != nullptr) {
    ping_op_ = calls_.metrics->RegisterStoreOperation("ping");
    fail_op_ = calls_.metrics->RegisterStoreOperation("fail");
  }
}

// Not a coroutine: bad settings are answered at once, and the coroutine that stores the
// ping keeps only what it needs in its frame.
asio::awaitable<Response> HeartbeatRoutes::Ping(RouteCall& call) {
  Result<MonitorSettings> settings = SettingsFromQuery(call);
  if (!settings.ok()) return Ready(FromError(call.version(), settings.error()));
  return StorePing(call.version(), std::move(call.slug), std::move(*settings), call.now);
}

Result<MonitorSettings> HeartbeatRoutes::SettingsFromQuery(const RouteCall& call) {
  MonitorSettings s;
  if (std::optional<std::string> interval = call.Param("interval")) {
    Result<std::int64_t> parsed = ParseInterval(*interval);
    if (!parsed.ok()) return parsed.error();
    s.interval_secs = *parsed;
  }
  s.schedule = call.Param("schedule");
  s.tz = call.Param("tz");
  if (std::optional<std::string> grace = call.Param("grace")) {
    Result<std::int64_t> parsed = ParseDuration(*grace);
    if (!parsed.ok()) return InvalidArgument("grace: " + parsed.error().message);
    s.grace_secs = *parsed;
  }
  if (Status valid = ValidateSettings(s); !valid.ok()) return valid.error();
  return s;
}

asio::awaitable<Response> HeartbeatRoutes::Fail(RouteCall& call) {
  return StoreFail(call.version(), std::move(call.slug), call.now);
}

asio::awaitable<Response> HeartbeatRoutes::StorePing(unsigned v, std::string slug,
                                                     MonitorSettings settings, UnixMillis now) {
  Result<Monitor> m = co_await TimedStoreCall<Monitor>(calls_, ping_op_, [&](Callback<Monitor> cb) {
    store_.PingWith(std::move(slug), std::move(settings), now, std::move(cb));
  });
  if (!m.ok()) co_return FromError(v, m.error());
  if (on_write_ && m->check_at) on_write_(*m->check_at);
  if (calls_.metrics != nullptr) calls_.metrics->CountPing();
  std::string body;
  body.reserve(96);
  body.append(R"({"ok":true,"next_due":")")
      .append(FormatRfc3339(m->next_due))
      .append(R"(","status":")")
      .append(ToString(DeriveStatus(*m, now)))
      .append(R"("})");
  co_return Json(v, status::ok, std::move(body));
}

asio::awaitable<Response> HeartbeatRoutes::StoreFail(unsigned v, std::string slug, UnixMillis now) {
  Result<Monitor> m = co_await TimedStoreCall<Monitor>(calls_, fail_op_, [&](Callback<Monitor> cb) {
    store_.Fail(std::move(slug), now, std::move(cb));
  });
  if (!m.ok()) co_return FromError(v, m.error());
  if (on_write_ && m->check_at) on_write_(*m->check_at);
  co_return Json(
      v, status::ok,
      R"({"ok":true,"status":")" + std::string(ToString(DeriveStatus(*m, now))) + R"("})");
}

}  // namespace heartbeat::http
