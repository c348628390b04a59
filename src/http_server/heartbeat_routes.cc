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

// Not a coroutine: a bad interval is answered at once, and the coroutine that stores the
// ping keeps only what it needs in its frame.
asio::awaitable<Response> HeartbeatRoutes::Ping(RouteCall& call) {
  std::optional<std::int64_t> interval;
  if (call.param) {
    Result<std::int64_t> parsed = ParseInterval(*call.param);
    if (!parsed.ok()) return Ready(FromError(call.version(), parsed.error()));
    interval = *parsed;
  }
  return StorePing(call.version(), std::move(call.slug), interval, call.now);
}

asio::awaitable<Response> HeartbeatRoutes::Fail(RouteCall& call) {
  return StoreFail(call.version(), std::move(call.slug), call.now);
}

asio::awaitable<Response> HeartbeatRoutes::StorePing(unsigned v, std::string slug,
                                                     std::optional<std::int64_t> interval,
                                                     UnixMillis now) {
  Result<Monitor> m = co_await TimedStoreCall<Monitor>(calls_, ping_op_, [&](Callback<Monitor> cb) {
    store_.Ping(std::move(slug), interval, now, std::move(cb));
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
