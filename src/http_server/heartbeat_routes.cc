#include "http_server/heartbeat_routes.h"

#include <boost/beast/http/field.hpp>

#include "core/time_format.h"

namespace heartbeat::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using bhttp::status;

HeartbeatRoutes::HeartbeatRoutes(Store& store, StoreCalls calls, WriteHook on_write,
                                 std::int64_t body_limit)
    : store_(store),
      calls_(calls),
      on_write_(std::move(on_write)),
      body_limit_(body_limit),
      body_limit_text_(std::to_string(body_limit)) {
  if (calls_.metrics != nullptr) {
    ping_op_ = calls_.metrics->RegisterStoreOperation("ping");
    fail_op_ = calls_.metrics->RegisterStoreOperation("fail");
    signal_op_ = calls_.metrics->RegisterStoreOperation("signal");
  }
}

Result<MonitorSettings> HeartbeatRoutes::SettingsFromQuery(const RouteCall& call) {
  return ParseSettings({.interval = call.Param("interval"),
                        .schedule = call.Param("schedule"),
                        .tz = call.Param("tz"),
                        .grace = call.Param("grace"),
                        .max_runtime = call.Param("max_runtime")});
}

asio::awaitable<Response> HeartbeatRoutes::Ping(RouteCall& call) {
  return Receive(call, SignalKind::kSuccess, std::nullopt);
}

asio::awaitable<Response> HeartbeatRoutes::Start(RouteCall& call) {
  return Receive(call, SignalKind::kStart, std::nullopt);
}

asio::awaitable<Response> HeartbeatRoutes::Fail(RouteCall& call) {
  return Receive(call, SignalKind::kFail, std::nullopt);
}

asio::awaitable<Response> HeartbeatRoutes::Log(RouteCall& call) {
  return Receive(call, SignalKind::kLog, std::nullopt);
}

asio::awaitable<Response> HeartbeatRoutes::ExitCode(RouteCall& call) {
  const std::int64_t code = call.number.value_or(0);
  if (code > 255) {
    return Ready(
        ErrorResponse(call.version(), status::bad_request,
                      "exit code: must be between 0 and 255, not " + std::to_string(code)));
  }
  return Receive(call, code == 0 ? SignalKind::kSuccess : SignalKind::kFail,
                 static_cast<int>(code));
}

// Not a coroutine: bad input is answered at once, and the coroutine that stores the
// signal keeps only what it needs in its frame.
asio::awaitable<Response> HeartbeatRoutes::Receive(RouteCall& call, SignalKind kind,
                                                   std::optional<int> exit_code) {
  Result<MonitorSettings> settings = SettingsFromQuery(call);
  if (!settings.ok()) return Ready(FromError(call.version(), settings.error()));
  Store::SignalCall signal{.signal = {.kind = kind,
                                      .settings = std::move(*settings),
                                      .rid = std::nullopt,
                                      .exit_code = exit_code}};
  if (std::optional<std::string> rid = call.Param("rid")) {
    Result<std::string> parsed = ParseRunId(*rid);
    if (!parsed.ok()) return Ready(FromError(call.version(), parsed.error()));
    signal.signal.rid = std::move(*parsed);
  }
  std::string_view body = call.req.body();
  if (kind == SignalKind::kFail && !body.empty()) signal.signal.body_tail = BodyTail(body);
  // What only the history keeps: not copied when it is off (PINGS_KEPT=0).
  if (store_.PingsKept() > 0) {
    if (body_limit_ > 0 && !body.empty()) {
      signal.body.assign(body.substr(0, static_cast<std::size_t>(body_limit_)));
    }
    signal.source.method = std::string(call.req.method_string());
    signal.source.remote_addr = call.context.client_address;
    if (auto ua = call.req.find(bhttp::field::user_agent); ua != call.req.end()) {
      signal.source.user_agent = std::string(ua->value().substr(0, kUserAgentKept));
    }
  }
  return StoreSignal(call.version(), call.key(), std::move(signal), call.now);
}

asio::awaitable<Response> HeartbeatRoutes::StoreSignal(unsigned v, std::string slug,
                                                       Store::SignalCall signal, UnixMillis now) {
  const SignalKind kind = signal.signal.kind;
  const StoreOpLabel op = kind == SignalKind::kSuccess ? ping_op_
                          : kind == SignalKind::kFail  ? fail_op_
                                                       : signal_op_;
  Result<Monitor> m = co_await TimedStoreCall<Monitor>(calls_, op, [&](Callback<Monitor> cb) {
    store_.Receive(std::move(slug), std::move(signal), now, std::move(cb));
  });
  if (!m.ok()) co_return FromError(v, m.error());
  if (on_write_ && m->check_at) on_write_(*m->check_at);
  if (kind == SignalKind::kSuccess && calls_.metrics != nullptr) calls_.metrics->CountPing();
  std::string body;
  body.reserve(112);
  body.append(R"({"ok":true,)");
  if (kind == SignalKind::kSuccess) {
    body.append(R"("next_due":")").append(FormatRfc3339(m->next_due)).append(R"(",)");
  }
  if (kind == SignalKind::kStart) body.append(R"("running":true,)");
  body.append(R"("status":")").append(ToString(DeriveStatus(*m, now))).append(R"("})");
  Response res = Json(v, status::ok, std::move(body));
  res.set("Ping-Body-Limit", body_limit_text_);
  co_return res;
}

}  // namespace heartbeat::http
