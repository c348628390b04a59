#include "http_server/heartbeat_routes.h"

#include <boost/beast/http/field.hpp>

#include <algorithm>
#include <cctype>

#include "core/project.h"
#include "core/time_format.h"

namespace heartbeat::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using bhttp::status;

HeartbeatRoutes::HeartbeatRoutes(Store& store, StoreCalls calls, WriteHook on_write,
                                 std::int64_t body_limit, const KeyCache* keys,
                                 const ChannelDirectory* channels)
    : store_(store),
      keys_(keys),
      channels_(channels),
      calls_(calls),
      on_write_(std::move(on_write)),
      body_limit_(body_limit),
      body_limit_text_(std::to_string(body_limit)) {
  if (calls_.metrics != nullptr) {
    ping_op_ = calls_.metrics->RegisterStoreOperation("ping");
    fail_op_ = calls_.metrics->RegisterStoreOperation("fail");
    signal_op_ = calls_.metrics->RegisterStoreOperation("signal");
    lookup_op_ = calls_.metrics->RegisterStoreOperation("lookup");
  }
}

Result<MonitorSettings> HeartbeatRoutes::SettingsFromQuery(const RouteCall& call) {
  return ParseSettings({.interval = call.Param("interval"),
                        .schedule = call.Param("schedule"),
                        .tz = call.Param("tz"),
                        .grace = call.Param("grace"),
                        .max_runtime = call.Param("max_runtime"),
                        .channels = call.Param("channels"),
                        .repeat = call.Param("repeat"),
                        .down_after = call.Param("down_after")});
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

Result<Store::SignalCall> HeartbeatRoutes::ReadSignal(const RouteCall& call, SignalKind kind,
                                                      std::optional<int> exit_code) const {
  Store::SignalCall signal{.signal = {.kind = kind, .rid = std::nullopt, .exit_code = exit_code}};
  if (std::optional<std::string> rid = call.Param("rid")) {
    Result<std::string> parsed = ParseRunId(*rid);
    if (!parsed.ok()) return parsed.error();
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
  return signal;
}

// Not a coroutine: bad input is answered at once, and the coroutine that stores the
// signal keeps only what it needs in its frame.
asio::awaitable<Response> HeartbeatRoutes::Receive(RouteCall& call, SignalKind kind,
                                                   std::optional<int> exit_code) {
  Result<MonitorSettings> settings = SettingsFromQuery(call);
  if (!settings.ok()) return Ready(FromError(call.version(), settings.error()));
  if (channels_ != nullptr) {
    if (Status named = CheckChannelNames(*settings, call.grant.project, *channels_); !named.ok()) {
      return Ready(FromError(call.version(), named.error()));
    }
  }
  Result<Store::SignalCall> signal = ReadSignal(call, kind, exit_code);
  if (!signal.ok()) return Ready(FromError(call.version(), signal.error()));
  signal->signal.settings = std::move(*settings);
  return StoreSignal(call.version(), call.key(), std::move(*signal), call.now);
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

// ---- Healthchecks' ping URLs ----

Response HeartbeatRoutes::HcText(unsigned v, status code, std::string_view text) const {
  Response res{code, v};
  res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
  res.set(bhttp::field::cache_control, "no-cache");
  res.set("Ping-Body-Limit", body_limit_text_);
  res.body() = std::string(text);
  return res;
}

asio::awaitable<Response> HeartbeatRoutes::HcPing(RouteCall& call, std::optional<SignalKind> kind) {
  const unsigned v = call.version();
  HcTarget target;
  if (call.uuid.empty()) {
    // /ping/<ping_key>/<slug>: a slug with capitals is a bad URL, one with other characters
    // no URL of Healthchecks' at all; then the ping key names the project.
    const std::string& slug = call.args.at(1);
    std::string lower = slug;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!IsCheckSlug(lower)) return Ready(HcText(v, status::not_found, "not found"));
    if (lower != slug) return Ready(HcText(v, status::bad_request, "invalid url format"));
    std::optional<std::string> project = keys_ != nullptr && IsPingKey(call.args[0])
                                             ? keys_->ProjectOfPingKey(call.args[0])
                                             : std::nullopt;
    if (!project) return Ready(HcText(v, status::not_found, "not found"));
    target.key = MonitorKey(*project, slug);
    target.create = call.Param("create") == "1";
  } else {
    target.uuid = std::move(call.uuid);
  }
  std::optional<int> exit_code;
  bool bad_code = false;
  if (!kind) {
    const std::int64_t code = call.number.value_or(0);
    bad_code = code > 255;
    exit_code = static_cast<int>(bad_code ? 0 : code);
    kind = code == 0 ? SignalKind::kSuccess : SignalKind::kFail;
  }
  Result<Store::SignalCall> signal = ReadSignal(call, *kind, exit_code);
  if (!signal.ok()) return Ready(HcText(v, status::bad_request, "invalid uuid format"));
  return HcStore(v, std::move(target), std::move(*signal), bad_code, call.now);
}

asio::awaitable<Result<std::optional<std::string>>> HeartbeatRoutes::KeyOfUuid(
    const std::string& uuid, bool fresh, UnixMillis now) {
  if (!fresh) {
    std::shared_lock lock(uuid_mu_);
    if (auto it = uuid_keys_.find(uuid); it != uuid_keys_.end()) co_return it->second;
  }
  Result<std::optional<Monitor>> m = co_await TimedStoreCall<std::optional<Monitor>>(
      calls_, lookup_op_,
      [&](Callback<std::optional<Monitor>> cb) { store_.FindByUuid(uuid, now, std::move(cb)); });
  if (!m.ok()) co_return m.error();
  std::unique_lock lock(uuid_mu_);
  if (!m->has_value()) {
    uuid_keys_.erase(uuid);
    co_return std::optional<std::string>();
  }
  constexpr std::size_t kMaxRemembered = 100'000;
  if (uuid_keys_.size() >= kMaxRemembered) uuid_keys_.clear();
  uuid_keys_.insert_or_assign(uuid, (*m)->slug);
  co_return std::optional<std::string>((*m)->slug);
}

asio::awaitable<Response> HeartbeatRoutes::HcStore(unsigned v, HcTarget target,
                                                   Store::SignalCall signal, bool bad_code,
                                                   UnixMillis now) {
  const bool by_uuid = !target.uuid.empty();
  // A uuid's monitor may have been deleted (or its key reused) since it was remembered: a
  // "not found" from a remembered key looks the uuid up once more.
  for (bool fresh : {false, true}) {
    if (by_uuid) {
      Result<std::optional<std::string>> key = co_await KeyOfUuid(target.uuid, fresh, now);
      if (!key.ok()) co_return FromError(v, key.error());
      if (!key->has_value()) co_return HcText(v, status::not_found, "not found");
      target.key = std::move(**key);
      signal.signal.target_uuid = target.uuid;
      signal.signal.may_create = false;
    } else {
      signal.signal.may_create = target.create;
    }
    if (bad_code) {
      // An exit status above 255 is a bad URL, but only for a monitor that exists.
      Result<std::optional<Monitor>> m = co_await TimedStoreCall<std::optional<Monitor>>(
          calls_, lookup_op_,
          [&](Callback<std::optional<Monitor>> cb) { store_.Get(target.key, now, std::move(cb)); });
      if (!m.ok()) co_return FromError(v, m.error());
      if (!m->has_value()) co_return HcText(v, status::not_found, "not found");
      co_return HcText(v, status::bad_request, "invalid url format");
    }
    const SignalKind kind = signal.signal.kind;
    const StoreOpLabel op = kind == SignalKind::kSuccess ? ping_op_
                            : kind == SignalKind::kFail  ? fail_op_
                                                         : signal_op_;
    Store::SignalCall attempt = fresh || !by_uuid ? std::move(signal) : signal;
    Result<Monitor> m = co_await TimedStoreCall<Monitor>(calls_, op, [&](Callback<Monitor> cb) {
      store_.Receive(target.key, std::move(attempt), now, std::move(cb));
    });
    if (!m.ok()) {
      const ErrorCode code = m.error().code;
      if (code == ErrorCode::kNotFound && by_uuid && !fresh) continue;
      // A project at its limit: Healthchecks answers a refused creation as not found.
      if (code == ErrorCode::kNotFound || code == ErrorCode::kForbidden) {
        co_return HcText(v, status::not_found, "not found");
      }
      co_return FromError(v, m.error());
    }
    if (on_write_ && m->check_at) on_write_(*m->check_at);
    if (kind == SignalKind::kSuccess && calls_.metrics != nullptr) calls_.metrics->CountPing();
    const bool created = target.create && m->created_at == now && m->pings_seq == 1;
    co_return created ? HcText(v, status::created, "Created") : HcText(v, status::ok, "OK");
  }
  co_return HcText(v, status::not_found, "not found");
}

}  // namespace heartbeat::http
