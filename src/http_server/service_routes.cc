#include "http_server/service_routes.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include "core/project.h"
#include "http_server/route_support.h"
#include "http_server/static_files.h"

namespace heartbeat::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using bhttp::status;

ServiceRoutes::ServiceRoutes(Store& store, StoreCalls calls) : store_(store), calls_(calls) {
  if (calls_.metrics != nullptr) other_op_ = calls_.metrics->RegisterStoreOperation("other");
}

asio::awaitable<Response> ServiceRoutes::Healthz(RouteCall& call) {
  if (store_.Healthy()) return Ready(Json(call.version(), status::ok, R"({"ok":true})"));
  return Ready(
      ErrorResponse(call.version(), status::service_unavailable, "the store is not answering"));
}

asio::awaitable<Response> ServiceRoutes::ServeMetrics(RouteCall& call) {
  if (calls_.metrics == nullptr) {
    return Ready(ErrorResponse(call.version(), status::not_found, "metrics are not enabled"));
  }
  return Scrape(call.version(), call.now);
}

asio::awaitable<Response> ServiceRoutes::Scrape(unsigned v, UnixMillis now) {
  Result<MonitorCounts> counts = co_await TimedStoreCall<MonitorCounts>(
      calls_, other_op_,
      [&](Callback<MonitorCounts> cb) { store_.CountMonitors(now, std::move(cb)); });
  Result<std::int64_t> pending = co_await TimedStoreCall<std::int64_t>(
      calls_, other_op_,
      [&](Callback<std::int64_t> cb) { store_.CountPendingAlerts(std::move(cb)); });
  if (!counts.ok()) co_return FromError(v, counts.error());
  if (!pending.ok()) co_return FromError(v, pending.error());
  Response res{status::ok, v};
  res.set(bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  res.body() = calls_.metrics->Render(*counts, *pending);
  co_return res;
}

asio::awaitable<Response> ServiceRoutes::Whoami(RouteCall& call) {
  boost::json::object o;
  o["project"] = call.grant.project;
  o["role"] = RoleName(call.grant.read_only);
  return Ready(Json(call.version(), status::ok, boost::json::serialize(o)));
}

bool ServiceRoutes::IsStaticFile(std::string_view path) { return FindStaticFile(path).has_value(); }

asio::awaitable<Response> ServiceRoutes::ServeStaticFile(RouteCall& call) {
  // The router matched the path with IsStaticFile: the target parses and the file exists.
  auto url = boost::urls::parse_origin_form(call.req.target());
  std::optional<StaticFile> file = url ? FindStaticFile(url->path()) : std::nullopt;
  if (!file) return Ready(ErrorResponse(call.version(), status::not_found, "no such file"));
  Response res{status::ok, call.version()};
  res.set(bhttp::field::content_type, file->content_type);
  for (const auto& [name, value] : kStaticSecurityHeaders) res.set(name, value);
  res.body() = std::string(file->body);
  return Ready(std::move(res));
}

}  // namespace heartbeat::http
