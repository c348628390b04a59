#include "http_server/monitor_routes.h"

#include <charconv>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/interval.h"
#include "core/project.h"
#include "core/time_format.h"

namespace heartbeat::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using bhttp::status;

namespace {

constexpr std::size_t kListPageSize = 1000;
constexpr std::size_t kDefaultPingsLimit = 100;
constexpr std::size_t kMaxPingsLimit = 1000;
constexpr std::int64_t kMaxSnoozeSecs = 365LL * 24 * 3600;

boost::json::value OptionalSeconds(const std::optional<UnixMillis>& t) {
  if (!t) return nullptr;
  return ToUnixSeconds(*t);
}

template <class T>
boost::json::value OrNull(const std::optional<T>& v) {
  if (!v) return nullptr;
  return boost::json::value(*v);
}

// A duration field of a PUT body as the text ParseSettings reads: text in the interval
// grammar, or whole seconds.
Result<std::string> DurationText(const boost::json::value& v, std::string_view field) {
  if (const boost::json::string* text = v.if_string()) return std::string(*text);
  if (const std::int64_t* n = v.if_int64()) return std::to_string(*n);
  if (v.is_uint64()) return InvalidArgument(std::string(field) + ": is too large");
  return InvalidArgument(std::string(field) +
                         ": must be a duration as text (\"15m\") or a whole number of seconds");
}

}  // namespace

Result<MonitorSettings> SettingsFromJson(std::string_view body) {
  SettingsText text;
  bool settings_all_channels = false;  // "channels": null
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return MonitorSettings{};
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(body, ec);
  if (ec) return InvalidArgument("the body is not valid JSON: " + ec.message());
  const boost::json::object* o = doc.if_object();
  if (o == nullptr) return InvalidArgument("the body must be a JSON object of settings");
  for (const auto& [key, value] : *o) {
    // The durations: null clears the run limit; the others take no null.
    std::optional<std::string>* duration = key == "interval"      ? &text.interval
                                           : key == "grace"       ? &text.grace
                                           : key == "max_runtime" ? &text.max_runtime
                                                                  : nullptr;
    if (duration != nullptr) {
      if (key == "max_runtime" && value.is_null()) {
        *duration = "0";
        continue;
      }
      Result<std::string> d = DurationText(value, key);
      if (!d.ok()) return d.error();
      *duration = std::move(*d);
    } else if (key == "schedule") {
      if (value.is_null()) {
        text.clear_schedule = true;
      } else if (const boost::json::string* expr = value.if_string()) {
        text.schedule = std::string(*expr);
      } else {
        return InvalidArgument("schedule: must be a cron expression as text, or null");
      }
    } else if (key == "channels") {
      if (value.is_null()) {
        settings_all_channels = true;
      } else if (const boost::json::string* names = value.if_string()) {
        text.channels = std::string(*names);
      } else if (const boost::json::array* list = value.if_array()) {
        std::string names_text;
        for (const boost::json::value& name : *list) {
          const boost::json::string* n = name.if_string();
          if (n == nullptr || n->find(',') != boost::json::string::npos) {
            return InvalidArgument("channels: must be a list of channel names");
          }
          if (!names_text.empty()) names_text += ',';
          names_text += *n;
        }
        // An empty list: no channel at all (the empty text).
        text.channels = std::move(names_text);
      } else {
        return InvalidArgument("channels: must be a list of channel names, or null for all");
      }
    } else if (key == "repeat") {
      Result<std::string> d = DurationText(value, key);
      if (!d.ok()) return d.error();
      text.repeat = std::move(*d);
    } else if (key == "down_after") {
      if (const std::int64_t* n = value.if_int64()) {
        text.down_after = std::to_string(*n);
      } else if (const boost::json::string* n = value.if_string()) {
        text.down_after = std::string(*n);
      } else {
        return InvalidArgument("down_after: must be a whole number");
      }
    } else if (key == "tz") {
      const boost::json::string* zone = value.if_string();
      if (zone == nullptr) return InvalidArgument("tz: must be a time zone name as text");
      text.tz = std::string(*zone);
    } else {
      return InvalidArgument("unknown field '" + std::string(key) +
                             "' (known: interval, schedule, tz, grace, max_runtime, channels, "
                             "repeat, down_after)");
    }
  }
  Result<MonitorSettings> settings = ParseSettings(text);
  if (settings.ok()) settings->all_channels = settings_all_channels;
  return settings;
}

namespace {

std::string PingsJson(const std::vector<PingRecord>& pings) {
  boost::json::array list;
  list.reserve(pings.size());
  for (const PingRecord& p : pings) {
    boost::json::object o;
    o["n"] = p.n;
    o["at"] = FormatRfc3339Millis(p.at);
    o["kind"] = ToString(p.kind);
    o["exit_code"] = OrNull(p.exit_code);
    o["rid"] = OrNull(p.rid);
    o["duration_ms"] = OrNull(p.duration_ms);
    o["method"] = p.source.method;
    o["remote_addr"] = p.source.remote_addr;
    o["user_agent"] = p.source.user_agent;
    o["body_bytes"] = p.body_bytes;
    list.push_back(std::move(o));
  }
  boost::json::object out;
  out["pings"] = std::move(list);
  return boost::json::serialize(out);
}

}  // namespace

std::string MonitorJson(const Monitor& m, UnixMillis now) {
  boost::json::object o;
  o["slug"] = SlugOfKey(m.slug);
  o["project"] = ProjectOfKey(m.slug);
  o["uuid"] = m.uuid;
  o["status"] = ToString(DeriveStatus(m, now));
  o["last_ping"] = OptionalSeconds(m.last_ping);
  o["next_due"] = ToUnixSeconds(m.next_due);
  o["interval_secs"] = m.interval_secs;
  // SPEC §12: the schedule (or null: the interval applies), its zone, the grace, when the
  // monitor alerts without a ping, and whether it is late (past next_due, within grace).
  o["schedule"] = m.schedule ? boost::json::value(*m.schedule) : boost::json::value(nullptr);
  o["tz"] = m.tz;
  o["grace_secs"] = m.grace_secs;
  o["max_runtime_secs"] = OrNull(m.max_runtime_secs);
  o["alert_at"] = ToUnixSeconds(m.alert_at());
  o["late"] = IsLate(m, now);
  // Runs: whether one is running, the latest start, the latest duration and exit code.
  o["running"] = m.running;
  o["last_start"] = OptionalSeconds(m.last_start);
  o["last_duration_ms"] = OrNull(m.last_duration_ms);
  o["last_exit_code"] = OrNull(m.last_exit_code);
  o["paused"] = m.paused;
  o["failed"] = m.failed();
  o["alert_count"] = m.alert.alert_count;
  o["first_alerted_at"] = OptionalSeconds(m.alert.first_alerted_at);
  o["last_alerted_at"] = OptionalSeconds(m.alert.last_alerted_at);
  // Alert policies (SPEC §14): channels (null: all of the project's), repeat (null: the
  // server's ALERT_REPEAT_INTERVAL, 0: never), down_after, snooze, acknowledgement.
  if (m.channels) {
    boost::json::array names;
    for (const std::string& name : *m.channels) names.emplace_back(name);
    o["channels"] = std::move(names);
  } else {
    o["channels"] = nullptr;
  }
  o["repeat_secs"] = OrNull(m.repeat_secs);
  o["down_after"] = m.down_after;
  o["snoozed_until"] = m.snoozed(now) ? OptionalSeconds(m.snoozed_until) : nullptr;
  o["acknowledged"] = m.alert.acknowledged;
  o["created_at"] = ToUnixSeconds(m.created_at);
  o["expires_at"] = ToUnixSeconds(m.expires_at);
  return boost::json::serialize(o);
}

MonitorRoutes::MonitorRoutes(Store& store, StoreCalls calls, WriteHook on_write,
                             const ChannelDirectory* channels)
    : store_(store), calls_(calls), on_write_(std::move(on_write)), channels_(channels) {
  if (calls_.metrics != nullptr) {
    get_op_ = calls_.metrics->RegisterStoreOperation("get");
    list_op_ = calls_.metrics->RegisterStoreOperation("list");
    delete_op_ = calls_.metrics->RegisterStoreOperation("delete");
    pause_op_ = calls_.metrics->RegisterStoreOperation("pause");
    unpause_op_ = calls_.metrics->RegisterStoreOperation("unpause");
    put_op_ = calls_.metrics->RegisterStoreOperation("configure");
    history_op_ = calls_.metrics->RegisterStoreOperation("history");
    snooze_op_ = calls_.metrics->RegisterStoreOperation("snooze");
  }
}

asio::awaitable<Response> MonitorRoutes::List(RouteCall& call) {
  return ListAll(call.version(), call.grant.project, call.now);
}

asio::awaitable<Response> MonitorRoutes::GetOrDelete(RouteCall& call) {
  if (call.req.method() == bhttp::verb::delete_) {
    return Delete(call.version(), call.key(), call.now);
  }
  if (call.req.method() == bhttp::verb::put) {
    Result<MonitorSettings> settings = SettingsFromJson(call.req.body());
    if (!settings.ok()) return Ready(FromError(call.version(), settings.error()));
    if (channels_ != nullptr) {
      Status named = CheckChannelNames(*settings, call.grant.project, *channels_);
      if (!named.ok()) return Ready(FromError(call.version(), named.error()));
    }
    return Put(call.version(), call.key(), std::move(*settings), call.now);
  }
  return Get(call.version(), call.key(), call.now);
}

asio::awaitable<Response> MonitorRoutes::Pings(RouteCall& call) {
  std::size_t limit = kDefaultPingsLimit;
  if (std::optional<std::string> text = call.Param("limit")) {
    std::size_t n = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
    if (ec != std::errc() || end != text->data() + text->size() || n < 1 || n > kMaxPingsLimit) {
      return Ready(ErrorResponse(call.version(), status::bad_request,
                                 "limit: must be a whole number from 1 to 1000"));
    }
    limit = n;
  }
  return ListPings(call.version(), call.key(), limit, call.now);
}

asio::awaitable<Response> MonitorRoutes::PingBody(RouteCall& call) {
  return ReadBody(call.version(), call.key(), call.number.value_or(0), call.now);
}

asio::awaitable<Response> MonitorRoutes::Flips(RouteCall& call) {
  return ListFlips(call.version(), call.key(), call.now);
}

asio::awaitable<Response> MonitorRoutes::Put(unsigned v, std::string slug, MonitorSettings settings,
                                             UnixMillis now) {
  Result<Store::Mutated> m =
      co_await TimedStoreCall<Store::Mutated>(calls_, put_op_, [&](Callback<Store::Mutated> cb) {
        store_.Configure(slug, std::move(settings), now, std::move(cb));
      });
  if (!m.ok()) co_return FromError(v, m.error());
  if (!m->after) co_return FromError(v, Internal("the write left no monitor"));
  if (on_write_ && m->after->check_at) on_write_(*m->after->check_at);
  const bool created = !IsLive(m->before, now);
  co_return Json(v, created ? status::created : status::ok, MonitorJson(*m->after, now));
}

asio::awaitable<Response> MonitorRoutes::ListPings(unsigned v, std::string slug, std::size_t limit,
                                                   UnixMillis now) {
  using Pings = std::optional<std::vector<PingRecord>>;
  Result<Pings> pings = co_await TimedStoreCall<Pings>(
      calls_, history_op_,
      [&](Callback<Pings> cb) { store_.ListPings(slug, limit, now, std::move(cb)); });
  if (!pings.ok()) co_return FromError(v, pings.error());
  if (!pings->has_value()) co_return ErrorResponse(v, status::not_found, "no monitor " + slug);
  co_return Json(v, status::ok, PingsJson(**pings));
}

asio::awaitable<Response> MonitorRoutes::ReadBody(unsigned v, std::string slug, std::int64_t n,
                                                  UnixMillis now) {
  using Body = std::optional<std::string>;
  Result<Body> body = co_await TimedStoreCall<Body>(calls_, history_op_, [&](Callback<Body> cb) {
    store_.PingBody(slug, n, now, std::move(cb));
  });
  if (!body.ok()) co_return FromError(v, body.error());
  if (!body->has_value()) {
    co_return ErrorResponse(v, status::not_found,
                            "no body of ping " + std::to_string(n) + " of monitor " + slug +
                                " (none was sent, it was pruned, or there is no such monitor)");
  }
  Response res{status::ok, v};
  res.set(bhttp::field::content_type, "application/octet-stream");
  res.body() = std::move(**body);
  res.prepare_payload();
  co_return res;
}

asio::awaitable<Response> MonitorRoutes::ListFlips(unsigned v, std::string slug, UnixMillis now) {
  using Flips = std::optional<std::vector<Flip>>;
  Result<Flips> flips =
      co_await TimedStoreCall<Flips>(calls_, history_op_, [&](Callback<Flips> cb) {
        store_.ListFlips(slug, now - kFlipsKeptMillis, now, std::move(cb));
      });
  if (!flips.ok()) co_return FromError(v, flips.error());
  if (!flips->has_value()) co_return ErrorResponse(v, status::not_found, "no monitor " + slug);
  boost::json::array list;
  for (const Flip& f : **flips) {
    list.push_back(boost::json::object{{"at", FormatRfc3339Millis(f.at)},
                                       {"status", f.overdue ? "overdue" : "ok"}});
  }
  co_return Json(v, status::ok,
                 boost::json::serialize(boost::json::object{{"flips", std::move(list)}}));
}

asio::awaitable<Response> MonitorRoutes::Pause(RouteCall& call) {
  return SetState(call.version(), call.key(), StateChange::kPause, call.now, 0);
}

asio::awaitable<Response> MonitorRoutes::Unpause(RouteCall& call) {
  return SetState(call.version(), call.key(), StateChange::kUnpause, call.now, 0);
}

asio::awaitable<Response> MonitorRoutes::Snooze(RouteCall& call) {
  std::optional<std::string> text = call.Param("for");
  if (!text)
    return Ready(ErrorResponse(call.version(), status::bad_request,
                               "for: how long to snooze is required (?for=2h)"));
  Result<std::int64_t> secs = ParseDuration(*text);
  if (!secs.ok() || *secs < 60 || *secs > kMaxSnoozeSecs) {
    return Ready(ErrorResponse(call.version(), status::bad_request,
                               "for: must be a duration from 1m to 365d (e.g. 2h)"));
  }
  return SetState(call.version(), call.key(), StateChange::kSnooze, call.now,
                  call.now + *secs * 1000);
}

asio::awaitable<Response> MonitorRoutes::Unsnooze(RouteCall& call) {
  return SetState(call.version(), call.key(), StateChange::kUnsnooze, call.now, 0);
}

asio::awaitable<Response> MonitorRoutes::ListAll(unsigned v, std::string project, UnixMillis now) {
  std::string body = R"({"monitors":[)";
  std::string after;
  bool first = true;
  for (;;) {
    Result<MonitorPage> page =
        co_await TimedStoreCall<MonitorPage>(calls_, list_op_, [&](Callback<MonitorPage> cb) {
          store_.List(project, after, kListPageSize, now, std::move(cb));
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

asio::awaitable<Response> MonitorRoutes::SetState(unsigned v, std::string slug, StateChange change,
                                                  UnixMillis now, UnixMillis until) {
  const StoreOpLabel op = change == StateChange::kPause     ? pause_op_
                          : change == StateChange::kUnpause ? unpause_op_
                                                            : snooze_op_;
  Result<bool> found = co_await TimedStoreCall<bool>(calls_, op, [&](Callback<bool> cb) {
    switch (change) {
      case StateChange::kPause:
        return store_.Pause(slug, now, std::move(cb));
      case StateChange::kUnpause:
        return store_.Unpause(slug, now, std::move(cb));
      case StateChange::kSnooze:
        return store_.Snooze(slug, until, now, std::move(cb));
      case StateChange::kUnsnooze:
        return store_.Unsnooze(slug, now, std::move(cb));
    }
  });
  if (!found.ok()) co_return FromError(v, found.error());
  if (!*found) co_return ErrorResponse(v, status::not_found, "no monitor " + slug);
  // Unpause restarts the deadline, perhaps at once (a failure reported while paused), and
  // unsnooze releases what the snooze held: let the checker look.
  if ((change == StateChange::kUnpause || change == StateChange::kUnsnooze) && on_write_) {
    on_write_(now);
  }
  co_return NoContent(v);
}

}  // namespace heartbeat::http
