#include "http_server/monitor_routes.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "core/time_format.h"

namespace heartbeat::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using bhttp::status;

namespace {

constexpr std::size_t kListPageSize = 1000;

boost::json::value OptionalSeconds(const std::optional<UnixMillis>& t) {
  if (!t) return nullptr;
  return ToUnixSeconds(*t);
}

}  // namespace

std::string MonitorJson(const Monitor& m, UnixMillis now) {
  boost::json::object o;
  o["slug"] = m.slug;
  o["status"] = ToString(DeriveStatus(m, now));
  o["last_ping"] = OptionalSeconds(m.last_ping);
  o["next_due"] = ToUnixSeconds(m.next_due);
  o["interval_secs"] = m.interval_secs;
  // SPEC §12: the schedule (or null: the interval applies), its zone, the grace, when the
  // monitor alerts without a ping, and whether it is late (past next_due, within grace).
  o["schedule"] = m.schedule ? boost::json::value(*m.schedule) : boost::json::value(nullptr);
  o["tz"] = m.tz;
  o["grace_secs"] = m.grace_secs;
  o["alert_at"] = ToUnixSeconds(m.alert_at());
  o["late"] = IsLate(m, now);
  o["paused"] = m.paused;
  o["failed"] = m.failed();
  o["alert_count"] = m.alert.alert_count;
  o["first_alerted_at"] = OptionalSeconds(m.alert.first_alerted_at);
  o["last_alerted_at"] = OptionalSeconds(m.alert.last_alerted_at);
  o["created_at"] = ToUnixSeconds(m.created_at);
  o["expires_at"] = ToUnixSeconds(m.expires_at);
  return boost::json::serialize(o);
}

MonitorRoutes::MonitorRoutes(Store& store, StoreCalls calls, WriteHook on_write)
    : store_(store), calls_(calls), on_write_(std::move(on_write)) {
  if (calls_.metrics != nullptr) {
    get_op_ = calls_.metrics->RegisterStoreOperation("get");
    list_op_ = calls_.metrics->RegisterStoreOperation("list");
    delete_op_ = calls_.metrics->RegisterStoreOperation("delete");
    pause_op_ = calls_.metrics->RegisterStoreOperation("pause");
    unpause_op_ = calls_.metrics->RegisterStoreOperation("unpause");
  }
}

asio::awaitable<Response> MonitorRoutes::List(RouteCall& call) {
  return ListAll(call.version(), call.now);
}

asio::awaitable<Response> MonitorRoutes::GetOrDelete(RouteCall& call) {
  if (call.req.method() == bhttp::verb::delete_) {
    return Delete(call.version(), std::move(call.slug), call.now);
  }
  return Get(call.version(), std::move(call.slug), call.now);
}

asio::awaitable<Response> MonitorRoutes::Pause(RouteCall& call) {
  return SetPaused(call.version(), std::move(call.slug), true, call.now);
}

asio::awaitable<Response> MonitorRoutes::Unpause(RouteCall& call) {
  return SetPaused(call.version(), std::move(call.slug), false, call.now);
}

asio::awaitable<Response> MonitorRoutes::ListAll(unsigned v, UnixMillis now) {
  std::string body = R"({"monitors":[)";
  std::string after;
  bool first = true;
  for (;;) {
    Result<MonitorPage> page = co_await TimedStoreCall<MonitorPage>(
        calls_, list_op_,
        [&](Callback<MonitorPage> cb) { store_.List(after, kListPageSize, now, std::move(cb)); });
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

asio::awaitable<Response> MonitorRoutes::Get(unsigned v, std::string slug, UnixMillis now) {
  Result<std::optional<Monitor>> m = co_await TimedStoreCall<std::optional<Monitor>>(
      calls_, get_op_,
      [&](Callback<std::optional<Monitor>> cb) { store_.Get(slug, now, std::move(cb)); });
  if (!m.ok()) co_return FromError(v, m.error());
  if (!m->has_value()) co_return ErrorResponse(v, status::not_found, "no monitor " + slug);
  co_return Json(v, status::ok, MonitorJson(**m, now));
}

asio::awaitable<Response> MonitorRoutes::Delete(unsigned v, std::string slug, UnixMillis now) {
  Result<bool> found = co_await TimedStoreCall<bool>(
      calls_, delete_op_, [&](Callback<bool> cb) { store_.Delete(slug, now, std::move(cb)); });
  if (!found.ok()) co_return FromError(v, found.error());
  if (!*found) co_return ErrorResponse(v, status::not_found, "no monitor " + slug);
  co_return NoContent(v);
}

asio::awaitable<Response> MonitorRoutes::SetPaused(unsigned v, std::string slug, bool pause,
                                                   UnixMillis now) {
  Result<bool> found = co_await TimedStoreCall<bool>(calls_, pause ? pause_op_ : unpause_op_,
                                                     [&](Callback<bool> cb) {
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
  if (!pause && on_write_) on_write_(now);
  co_return NoContent(v);
}

}  // namespace heartbeat::http
