#include "http_server/hc_api_routes.h"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <charconv>

#include "core/channel.h"
#include "core/lifecycle.h"
#include "core/project.h"

namespace heartbeat::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace json = boost::json;
using bhttp::status;

namespace {

constexpr std::size_t kListPageSize = 1000;
constexpr std::size_t kPingsListed = 1000;  // Healthchecks' cap

Response NotFoundAnswer(unsigned v) { return ErrorResponse(v, status::not_found, "not found"); }

// Reads a whole non-negative number of a query parameter.
std::optional<std::int64_t> WholeNumber(std::string_view text) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 0) return std::nullopt;
  return n;
}

// The answer of a store write that goes through Mutate.
using Mutated = Store::Mutated;

}  // namespace

HcApiRoutes::HcApiRoutes(Store& store, StoreCalls calls, WriteHook on_write, std::string public_url,
                         const ChannelDirectory* channels)
    : store_(store),
      calls_(calls),
      on_write_(std::move(on_write)),
      public_url_(std::move(public_url)),
      channels_(channels) {
  if (calls_.metrics != nullptr) {
    find_op_ = calls_.metrics->RegisterStoreOperation("hc_find");
    list_op_ = calls_.metrics->RegisterStoreOperation("hc_list");
    write_op_ = calls_.metrics->RegisterStoreOperation("hc_write");
    delete_op_ = calls_.metrics->RegisterStoreOperation("hc_delete");
    history_op_ = calls_.metrics->RegisterStoreOperation("hc_history");
  }
}

HcApiRoutes::Context HcApiRoutes::ContextOf(const RouteCall& call) const {
  Context c;
  c.http_version = call.version();
  c.project = call.grant.project;
  c.now = call.now;
  c.view.api_version = call.api_version;
  c.view.read_only = call.grant.read_only;
  if (channels_ != nullptr) {
    for (const Channel& ch : channels_->Of(call.grant.project)) {
      c.view.channels.push_back({ch.name, ChannelUuid(ch.key())});
    }
  }
  if (!public_url_.empty()) {
    c.view.base_url = public_url_;
  } else if (auto host = call.req.find(bhttp::field::host); host != call.req.end()) {
    c.view.base_url = "http://" + std::string(host->value());
  } else {
    c.view.base_url = "http://localhost";
  }
  return c;
}

asio::awaitable<Response> HcApiRoutes::Checks(RouteCall& call) {
  Context c = ContextOf(call);
  if (call.req.method() == bhttp::verb::post) {
    Result<CheckSpec> spec = ParseCheckSpec(call.req.body());
    if (!spec.ok()) return Ready(FromError(c.http_version, spec.error()));
    return Create(std::move(c), std::move(*spec));
  }
  // Every `tag` counts (the router keeps only the first of a repeated parameter).
  std::vector<std::string> tags;
  std::string slug;
  bool slug_seen = false;
  if (auto url = boost::urls::parse_origin_form(call.req.target())) {
    for (auto param : url->params(boost::urls::encoding_opts(true))) {
      if (param.key == "tag") tags.push_back(param.has_value ? param.value : std::string());
      if (param.key == "slug" && !slug_seen) {
        slug = param.value;
        slug_seen = true;
      }
    }
  }
  return List(std::move(c), std::move(tags), std::move(slug));
}

asio::awaitable<Response> HcApiRoutes::Check(RouteCall& call) {
  Context c = ContextOf(call);
  if (call.req.method() == bhttp::verb::post) {
    Result<CheckSpec> spec = ParseCheckSpec(call.req.body());
    if (!spec.ok()) return Ready(FromError(c.http_version, spec.error()));
    return Update(std::move(c), call.uuid, std::move(*spec));
  }
  if (call.req.method() == bhttp::verb::delete_) return Delete(std::move(c), call.uuid);
  return Get(std::move(c), call.uuid);
}

asio::awaitable<Response> HcApiRoutes::Pause(RouteCall& call) {
  return SetPaused(ContextOf(call), call.uuid, Action::kPause);
}

asio::awaitable<Response> HcApiRoutes::Resume(RouteCall& call) {
  return SetPaused(ContextOf(call), call.uuid, Action::kResume);
}

asio::awaitable<Response> HcApiRoutes::Pings(RouteCall& call) {
  return ListPings(ContextOf(call), call.uuid);
}

asio::awaitable<Response> HcApiRoutes::PingBody(RouteCall& call) {
  return ReadBody(ContextOf(call), call.uuid, call.number.value_or(0));
}

Result<std::pair<UnixMillis, std::optional<UnixMillis>>> HcApiRoutes::FlipsWindow(
    const RouteCall& call) {
  UnixMillis since = call.now - kFlipsKeptMillis;
  std::optional<UnixMillis> until;
  for (std::string_view name : {"seconds", "start", "end"}) {
    std::optional<std::string> text = call.Param(name);
    if (!text) continue;
    std::optional<std::int64_t> n = WholeNumber(*text);
    if (!n || *n > kMaxTimeoutSecs * 1000) {
      return InvalidArgument(std::string(name) + ": must be a whole number of seconds");
    }
    if (name == "seconds") since = std::max(since, call.now - *n * 1000);
    if (name == "start") since = std::max(since, *n * 1000);
    if (name == "end") until = *n * 1000;
  }
  return std::pair(since, until);
}

asio::awaitable<Response> HcApiRoutes::Flips(RouteCall& call) {
  auto window = FlipsWindow(call);
  if (!window.ok()) return Ready(FromError(call.version(), window.error()));
  return ListFlips(ContextOf(call), call.uuid, window->first, window->second);
}

asio::awaitable<Response> HcApiRoutes::CheckByUniqueKey(RouteCall& call) {
  return ByUniqueKey(ContextOf(call), call.args.at(0), false, 0, std::nullopt);
}

asio::awaitable<Response> HcApiRoutes::FlipsByUniqueKey(RouteCall& call) {
  auto window = FlipsWindow(call);
  if (!window.ok()) return Ready(FromError(call.version(), window.error()));
  return ByUniqueKey(ContextOf(call), call.args.at(0), true, window->first, window->second);
}

asio::awaitable<Response> HcApiRoutes::Channels(RouteCall& call) {
  json::array list;
  if (channels_ != nullptr) {
    for (const Channel& ch : channels_->Of(call.grant.project)) {
      list.push_back(json::object{
          {"id", ChannelUuid(ch.key())}, {"name", ch.name}, {"kind", ToString(ch.kind)}});
    }
  }
  return Ready(Json(call.version(), status::ok,
                    json::serialize(json::object{{"channels", std::move(list)}})));
}

Result<MonitorSettings> HcApiRoutes::SettingsOf(const Context& c, const CheckSpec& spec,
                                                bool creating) {
  MonitorSettings settings = CheckSettings(spec, creating);
  if (Status s = ApplyCheckChannels(spec, c.view.channels, settings); !s.ok()) return s.error();
  return settings;
}

asio::awaitable<Response> HcApiRoutes::ServiceStatus(RouteCall& call) {
  Response res{status::ok, call.version()};
  res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
  res.body() = "OK";
  return Ready(std::move(res));
}

asio::awaitable<Result<std::optional<Monitor>>> HcApiRoutes::Find(const Context& c,
                                                                  const std::string& uuid) {
  using Found = std::optional<Monitor>;
  Result<Found> m = co_await TimedStoreCall<Found>(
      calls_, find_op_, [&](Callback<Found> cb) { store_.FindByUuid(uuid, c.now, std::move(cb)); });
  if (!m.ok()) co_return m.error();
  // Another project's check is no check to this key.
  if (m->has_value() && ProjectOfKey((*m)->slug) != c.project) co_return Found();
  co_return std::move(*m);
}

asio::awaitable<Result<std::vector<Monitor>>> HcApiRoutes::All(const Context& c) {
  std::vector<Monitor> out;
  std::string after;
  for (;;) {
    Result<MonitorPage> page =
        co_await TimedStoreCall<MonitorPage>(calls_, list_op_, [&](Callback<MonitorPage> cb) {
          store_.List(c.project, after, kListPageSize, c.now, std::move(cb));
        });
    if (!page.ok()) co_return page.error();
    for (Monitor& m : page->monitors) out.push_back(std::move(m));
    if (!page->next_after) break;
    after = *page->next_after;
  }
  co_return out;
}

asio::awaitable<Response> HcApiRoutes::List(Context c, std::vector<std::string> tags,
                                            std::string slug) {
  Result<std::vector<Monitor>> all = co_await All(c);
  if (!all.ok()) co_return FromError(c.http_version, all.error());
  std::string body = R"({"checks":[)";
  bool first = true;
  for (const Monitor& m : *all) {
    if (!HasEveryTag(m, tags)) continue;
    if (!slug.empty() && ShownSlug(m) != slug) continue;
    if (!first) body += ',';
    first = false;
    body += CheckJson(m, c.now, c.view);
  }
  body += "]}";
  co_return Json(c.http_version, status::ok, std::move(body));
}

asio::awaitable<Response> HcApiRoutes::ByUniqueKey(Context c, std::string unique_key, bool flips,
                                                   UnixMillis since,
                                                   std::optional<UnixMillis> until) {
  const bool sha1 = unique_key.size() == 40 &&
                    unique_key.find_first_not_of("0123456789abcdef") == std::string::npos;
  if (!sha1) co_return NotFoundAnswer(c.http_version);
  // Healthchecks looks through the project's checks too: a key is a hash, not an index.
  Result<std::vector<Monitor>> all = co_await All(c);
  if (!all.ok()) co_return FromError(c.http_version, all.error());
  for (const Monitor& m : *all) {
    if (UniqueKey(m.uuid) != unique_key) continue;
    if (!flips) co_return Json(c.http_version, status::ok, CheckJson(m, c.now, c.view));
    co_return co_await ListFlips(std::move(c), m.uuid, since, until);
  }
  co_return NotFoundAnswer(c.http_version);
}

asio::awaitable<Response> HcApiRoutes::Create(Context c, CheckSpec spec) {
  // "unique": an existing check with the same values of those fields is updated instead.
  if (UniqueFieldsGiven(spec)) {
    Result<std::vector<Monitor>> all = co_await All(c);
    if (!all.ok()) co_return FromError(c.http_version, all.error());
    for (const Monitor& m : *all) {
      if (!MatchesUnique(m, spec)) continue;
      if (spec.slug && *spec.slug != ShownSlug(m)) {
        co_return ErrorResponse(c.http_version, status::bad_request,
                                "slug: a check's slug cannot be changed here (it is its key)");
      }
      Result<MonitorSettings> update = SettingsOf(c, spec, false);
      if (!update.ok()) co_return FromError(c.http_version, update.error());
      co_return co_await Apply(std::move(c), m.slug, m.uuid, std::move(*update));
    }
  }
  Result<std::string> uuid = GenerateUuid();
  if (!uuid.ok()) co_return FromError(c.http_version, uuid.error());
  // v1 and v2 derive a slug from the name; a check without one is kept under its uuid.
  std::string slug = spec.slug                               ? *spec.slug
                     : (c.view.api_version < 3 && spec.name) ? Slugify(*spec.name)
                                                             : std::string();
  if (slug.empty()) slug = *uuid;
  Result<MonitorSettings> created = SettingsOf(c, spec, true);
  if (!created.ok()) co_return FromError(c.http_version, created.error());
  MonitorSettings settings = std::move(*created);
  settings.uuid = *uuid;
  if (Status valid = ValidateSettings(settings); !valid.ok()) {
    co_return FromError(c.http_version, valid.error());
  }
  const std::string key = MonitorKey(c.project, slug);
  Result<Mutated> m =
      co_await TimedStoreCall<Mutated>(calls_, write_op_, [&, now = c.now](Callback<Mutated> cb) {
        store_.Mutate(
            key,
            [key, settings, now](const std::optional<Monitor>& current) -> Result<Mutation> {
              if (IsLive(current, now)) return Mutation::Keep();  // the slug is taken
              return SignalWrite(current, Configured(current, key, settings, now), now);
            },
            std::move(cb));
      });
  if (!m.ok()) co_return FromError(c.http_version, m.error());
  if (IsLive(m->before, c.now) || !m->after) {
    co_return ErrorResponse(
        c.http_version, status::conflict,
        "slug: '" + slug + "' is taken by another check of this project (a slug names one check)");
  }
  if (on_write_ && m->after->check_at) on_write_(*m->after->check_at);
  co_return Json(c.http_version, status::created, CheckJson(*m->after, c.now, c.view));
}

asio::awaitable<Response> HcApiRoutes::Get(Context c, std::string uuid) {
  Result<std::optional<Monitor>> m = co_await Find(c, uuid);
  if (!m.ok()) co_return FromError(c.http_version, m.error());
  if (!m->has_value()) co_return NotFoundAnswer(c.http_version);
  co_return Json(c.http_version, status::ok, CheckJson(**m, c.now, c.view));
}

asio::awaitable<Response> HcApiRoutes::Update(Context c, std::string uuid, CheckSpec spec) {
  Result<std::optional<Monitor>> m = co_await Find(c, uuid);
  if (!m.ok()) co_return FromError(c.http_version, m.error());
  if (!m->has_value()) co_return NotFoundAnswer(c.http_version);
  const Monitor& check = **m;
  if (spec.slug && *spec.slug != ShownSlug(check)) {
    co_return ErrorResponse(c.http_version, status::bad_request,
                            "slug: a check's slug cannot be changed here (it is its key; this "
                            "one's is '" +
                                std::string(ShownSlug(check)) + "')");
  }
  Result<MonitorSettings> update = SettingsOf(c, spec, false);
  if (!update.ok()) co_return FromError(c.http_version, update.error());
  co_return co_await Apply(std::move(c), check.slug, check.uuid, std::move(*update));
}

asio::awaitable<Response> HcApiRoutes::Apply(Context c, std::string key, std::string uuid,
                                             MonitorSettings settings) {
  if (Status valid = ValidateSettings(settings); !valid.ok()) {
    co_return FromError(c.http_version, valid.error());
  }
  Result<Mutated> m =
      co_await TimedStoreCall<Mutated>(calls_, write_op_, [&, now = c.now](Callback<Mutated> cb) {
        store_.Mutate(
            key,
            [key, uuid, settings, now](const std::optional<Monitor>& current) -> Result<Mutation> {
              // Still the check that was found (not deleted, nor replaced under its slug).
              if (!IsLive(current, now) || current->uuid != uuid) return Mutation::Keep();
              return SignalWrite(current, Configured(current, key, settings, now), now);
            },
            std::move(cb));
      });
  if (!m.ok()) co_return FromError(c.http_version, m.error());
  if (!IsLive(m->before, c.now) || m->before->uuid != uuid || !m->after) {
    co_return NotFoundAnswer(c.http_version);
  }
  if (on_write_ && m->after->check_at) on_write_(*m->after->check_at);
  co_return Json(c.http_version, status::ok, CheckJson(*m->after, c.now, c.view));
}

asio::awaitable<Response> HcApiRoutes::Delete(Context c, std::string uuid) {
  Result<std::optional<Monitor>> m = co_await Find(c, uuid);
  if (!m.ok()) co_return FromError(c.http_version, m.error());
  if (!m->has_value()) co_return NotFoundAnswer(c.http_version);
  const std::string key = (*m)->slug;
  Result<bool> found = co_await TimedStoreCall<bool>(
      calls_, delete_op_,
      [&, now = c.now](Callback<bool> cb) { store_.Delete(key, now, std::move(cb)); });
  if (!found.ok()) co_return FromError(c.http_version, found.error());
  if (!*found) co_return NotFoundAnswer(c.http_version);
  co_return Json(c.http_version, status::ok, CheckJson(**m, c.now, c.view));
}

asio::awaitable<Response> HcApiRoutes::SetPaused(Context c, std::string uuid, Action action) {
  Result<std::optional<Monitor>> found = co_await Find(c, uuid);
  if (!found.ok()) co_return FromError(c.http_version, found.error());
  if (!found->has_value()) co_return NotFoundAnswer(c.http_version);
  const std::string key = (*found)->slug;
  Result<Mutated> m =
      co_await TimedStoreCall<Mutated>(calls_, write_op_, [&, now = c.now](Callback<Mutated> cb) {
        store_.Mutate(
            key,
            [uuid, action, now](const std::optional<Monitor>& current) -> Result<Mutation> {
              if (!IsLive(current, now) || current->uuid != uuid) return Mutation::Keep();
              if (action == Action::kPause) {
                if (current->paused) return Mutation::Keep();
                return Mutation::Put(*Paused(current, now));
              }
              if (!current->paused) return Mutation::Keep();  // answered 409
              return Mutation::Put(*Unpaused(current, now));
            },
            std::move(cb));
      });
  if (!m.ok()) co_return FromError(c.http_version, m.error());
  if (!IsLive(m->before, c.now) || m->before->uuid != uuid || !m->after) {
    co_return NotFoundAnswer(c.http_version);
  }
  if (action == Action::kResume) {
    if (!m->before->paused) {
      co_return ErrorResponse(c.http_version, status::conflict, "check is not paused");
    }
    // The deadline restarts: let the checker look.
    if (on_write_) on_write_(c.now);
  }
  co_return Json(c.http_version, status::ok, CheckJson(*m->after, c.now, c.view));
}

asio::awaitable<Response> HcApiRoutes::ListPings(Context c, std::string uuid) {
  Result<std::optional<Monitor>> found = co_await Find(c, uuid);
  if (!found.ok()) co_return FromError(c.http_version, found.error());
  if (!found->has_value()) co_return NotFoundAnswer(c.http_version);
  const std::string key = (*found)->slug;
  using Pings = std::optional<std::vector<PingRecord>>;
  Result<Pings> pings =
      co_await TimedStoreCall<Pings>(calls_, history_op_, [&, now = c.now](Callback<Pings> cb) {
        store_.ListPings(key, kPingsListed, now, std::move(cb));
      });
  if (!pings.ok()) co_return FromError(c.http_version, pings.error());
  if (!pings->has_value()) co_return NotFoundAnswer(c.http_version);
  const std::string check_url =
      c.view.base_url + "/api/v" + std::to_string(c.view.api_version) + "/checks/" + uuid;
  co_return Json(c.http_version, status::ok, PingsJson(**pings, check_url));
}

asio::awaitable<Response> HcApiRoutes::ReadBody(Context c, std::string uuid, std::int64_t n) {
  Result<std::optional<Monitor>> found = co_await Find(c, uuid);
  if (!found.ok()) co_return FromError(c.http_version, found.error());
  if (!found->has_value()) co_return NotFoundAnswer(c.http_version);
  const std::string key = (*found)->slug;
  using Body = std::optional<std::string>;
  Result<Body> body = co_await TimedStoreCall<Body>(
      calls_, history_op_,
      [&, now = c.now](Callback<Body> cb) { store_.PingBody(key, n, now, std::move(cb)); });
  if (!body.ok()) co_return FromError(c.http_version, body.error());
  if (!body->has_value() || (*body)->empty()) co_return NotFoundAnswer(c.http_version);
  Response res{status::ok, c.http_version};
  res.set(bhttp::field::content_type, "text/plain");
  res.body() = std::move(**body);
  co_return res;
}

asio::awaitable<Response> HcApiRoutes::ListFlips(Context c, std::string uuid, UnixMillis since,
                                                 std::optional<UnixMillis> until) {
  Result<std::optional<Monitor>> found = co_await Find(c, uuid);
  if (!found.ok()) co_return FromError(c.http_version, found.error());
  if (!found->has_value()) co_return NotFoundAnswer(c.http_version);
  const std::string key = (*found)->slug;
  using Flips = std::optional<std::vector<Flip>>;
  Result<Flips> flips = co_await TimedStoreCall<Flips>(
      calls_, history_op_,
      [&, now = c.now](Callback<Flips> cb) { store_.ListFlips(key, since, now, std::move(cb)); });
  if (!flips.ok()) co_return FromError(c.http_version, flips.error());
  if (!flips->has_value()) co_return NotFoundAnswer(c.http_version);
  json::array list;
  for (const Flip& f : **flips) {
    if (until && f.at >= *until) continue;
    list.push_back(json::object{{"timestamp", IsoSeconds(f.at)}, {"up", f.overdue ? 0 : 1}});
  }
  co_return Json(c.http_version, status::ok,
                 json::serialize(json::object{{"flips", std::move(list)}}));
}

}  // namespace heartbeat::http
