#include "http_server/hc_api_routes.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <charconv>
#include <memory>

#include "core/cron.h"
#include "core/lifecycle.h"
#include "core/project.h"
#include "core/time_format.h"
#include "core/time_zone.h"

namespace heartbeat::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace json = boost::json;
using bhttp::status;

namespace {

constexpr std::size_t kListPageSize = 1000;
constexpr std::size_t kPingsListed = 1000;  // Healthchecks' cap
constexpr std::int64_t kMinTimeoutSecs = 60;
constexpr std::int64_t kMaxTimeoutSecs = 31'536'000;
constexpr std::int64_t kDefaultTimeoutSecs = 86'400;
constexpr std::int64_t kDefaultGraceSecs = 3'600;
constexpr std::size_t kMaxFieldLength = 100;  // name, slug, schedule

Error Invalid(std::string_view field, std::string_view problem) {
  return InvalidArgument("json validation error: " + std::string(field) + " " +
                         std::string(problem));
}

Response NotFoundAnswer(unsigned v) { return ErrorResponse(v, status::not_found, "not found"); }

// "2026-12-07T22:00:00+00:00": Healthchecks' isoformat, without the fraction.
std::string IsoSeconds(UnixMillis t) {
  std::string s = FormatRfc3339(t);  // ends in 'Z'
  s.pop_back();
  return s + "+00:00";
}

// Python's isoformat of a time with microseconds ("…:00.123000+00:00"; none when zero).
std::string IsoMicros(UnixMillis t) {
  std::string s = FormatRfc3339(t);
  s.pop_back();
  const std::int64_t ms = ((t % 1000) + 1000) % 1000;
  if (ms != 0) {
    char fraction[8];
    std::snprintf(fraction, sizeof fraction, ".%03lld", static_cast<long long>(ms));
    s += fraction;
    s += "000";
  }
  return s + "+00:00";
}

json::value IsoOrNull(const std::optional<UnixMillis>& t) {
  if (!t) return nullptr;
  return json::value(IsoSeconds(*t));
}

// The slug a client sees: a check stored under its uuid (created without a slug) has none.
std::string_view ShownSlug(const Monitor& m) {
  std::string_view slug = SlugOfKey(m.slug);
  return slug == m.uuid ? std::string_view() : slug;
}

std::vector<std::string_view> TagList(std::string_view tags) {
  std::vector<std::string_view> out;
  while (!tags.empty()) {
    std::size_t space = tags.find(' ');
    std::string_view tag = tags.substr(0, space);
    if (!tag.empty()) out.push_back(tag);
    if (space == std::string_view::npos) break;
    tags.remove_prefix(space + 1);
  }
  return out;
}

bool HasEveryTag(const Monitor& m, const std::vector<std::string>& wanted) {
  std::vector<std::string_view> tags = TagList(m.tags);
  return std::all_of(wanted.begin(), wanted.end(), [&](const std::string& tag) {
    return std::find(tags.begin(), tags.end(), tag) != tags.end();
  });
}

// A string field: absent, or a string; anything else (null included) is Healthchecks'
// "is not a string".
Result<std::optional<std::string>> StringField(const json::object& o, std::string_view field,
                                               std::size_t most = 0) {
  const json::value* v = o.if_contains(field);
  if (v == nullptr) return std::optional<std::string>();
  const json::string* s = v->if_string();
  if (s == nullptr) return Invalid(field, "is not a string");
  if (most != 0 && s->size() > most) return Invalid(field, "is too long");
  return std::optional<std::string>(std::string(*s));
}

// timeout and grace: whole seconds, 60 to 31536000.
Result<std::optional<std::int64_t>> SecondsField(const json::object& o, std::string_view field) {
  const json::value* v = o.if_contains(field);
  if (v == nullptr) return std::optional<std::int64_t>();
  std::int64_t n = 0;
  if (const std::int64_t* i = v->if_int64()) {
    n = *i;
  } else if (v->is_uint64()) {
    return Invalid(field, "is too large");
  } else {
    return Invalid(field, "is not a number");
  }
  if (n < kMinTimeoutSecs) return Invalid(field, "is too small");
  if (n > kMaxTimeoutSecs) return Invalid(field, "is too large");
  return std::optional<std::int64_t>(n);
}

bool SlugCharacters(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

// A schedule Healthchecks takes: a cron expression (one line of 5 fields), else OnCalendar.
// We take the cron expressions core/cron.h reads.
Status CheckSchedule(std::string_view expr) {
  std::size_t fields = 0;
  bool in_field = false;
  for (char c : expr) {
    const bool space = c == ' ' || c == '\t' || c == '\r' || c == '\n';
    if (!space && !in_field) ++fields;
    in_field = !space;
  }
  if (fields != 5 || expr.find('\n') != std::string_view::npos) {
    return Invalid("schedule",
                   "is not supported here: heartbeat takes 5-field cron expressions, not "
                   "OnCalendar expressions");
  }
  if (Result<CronSchedule> parsed = CronSchedule::Parse(expr); !parsed.ok()) {
    return Invalid("schedule", "is not a valid cron expression here: " + parsed.error().message);
  }
  return Ok{};
}

// The settings a spec gives: only the fields it has, and for a check it creates the
// defaults of a check created through Healthchecks' API.
MonitorSettings SettingsOf(const CheckSpec& spec, bool creating) {
  MonitorSettings s;
  s.name = spec.name;
  s.tags = spec.tags;
  s.desc = spec.desc;
  s.methods = spec.methods;
  s.manual_resume = spec.manual_resume;
  s.tz = spec.tz;
  // Healthchecks: a non-empty schedule makes a cron check (a timeout beside it is unused);
  // else a timeout makes a simple one.
  if (spec.schedule && !spec.schedule->empty()) {
    s.schedule = spec.schedule;
  } else if (spec.timeout) {
    s.interval_secs = spec.timeout;
  }
  if (spec.grace) {
    s.grace_secs = spec.grace;
    s.max_runtime_secs = spec.grace;  // a started run is down `grace` after its start
  }
  if (creating) {
    if (!s.schedule && !s.interval_secs) s.interval_secs = kDefaultTimeoutSecs;
    if (!s.grace_secs) {
      s.grace_secs = kDefaultGraceSecs;
      s.max_runtime_secs = kDefaultGraceSecs;
    }
    if (!s.manual_resume) s.manual_resume = false;
    if (!s.tz) s.tz = "UTC";
    if (!s.name) s.name = "";
  }
  return s;
}

// Whether `m` has every field of `spec.unique` as `spec` gives it (each one is given).
bool MatchesUnique(const Monitor& m, const CheckSpec& spec) {
  for (const std::string& field : spec.unique) {
    if (field == "name" && m.name != *spec.name) return false;
    if (field == "slug" && ShownSlug(m) != *spec.slug) return false;
    if (field == "tags" && m.tags != *spec.tags) return false;
    if (field == "timeout" && m.interval_secs != *spec.timeout) return false;
    if (field == "grace" && m.grace_secs != *spec.grace) return false;
  }
  return true;
}

bool UniqueFieldsGiven(const CheckSpec& spec) {
  if (spec.unique.empty()) return false;
  for (const std::string& field : spec.unique) {
    if ((field == "name" && !spec.name) || (field == "slug" && !spec.slug) ||
        (field == "tags" && !spec.tags) || (field == "timeout" && !spec.timeout) ||
        (field == "grace" && !spec.grace)) {
      return false;
    }
  }
  return true;
}

// Reads a whole non-negative number of a query parameter.
std::optional<std::int64_t> WholeNumber(std::string_view text) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 0) return std::nullopt;
  return n;
}

std::string PingsJson(const std::vector<PingRecord>& pings, const std::string& check_url) {
  json::array list;
  list.reserve(pings.size());
  for (const PingRecord& p : pings) {
    json::object o;
    o["type"] = ToString(p.kind);
    o["date"] = IsoMicros(p.at);
    o["n"] = p.n;
    o["scheme"] = "http";
    o["remote_addr"] = p.source.remote_addr;
    o["method"] = p.source.method;
    o["ua"] = p.source.user_agent;
    o["rid"] = p.rid ? json::value(*p.rid) : json::value(nullptr);
    o["body_url"] = p.body_bytes > 0
                        ? json::value(check_url + "/pings/" + std::to_string(p.n) + "/body")
                        : json::value(nullptr);
    // Healthchecks rounds to hundredths of a second.
    if (p.duration_ms) o["duration"] = static_cast<double>((*p.duration_ms + 5) / 10) / 100.0;
    list.push_back(std::move(o));
  }
  return json::serialize(json::object{{"pings", std::move(list)}});
}

// The answer of a store write that goes through Mutate.
using Mutated = Store::Mutated;

}  // namespace

Result<CheckSpec> ParseCheckSpec(std::string_view body) {
  CheckSpec spec;
  if (body.empty()) return spec;
  boost::system::error_code ec;
  json::value doc = json::parse(body, ec);
  if (ec) return InvalidArgument("could not parse request body");
  const json::object* o = doc.if_object();
  if (o == nullptr) return InvalidArgument("json validation error: value is not an object");
  // Healthchecks reports the first bad field in this order.
  struct StringSpec {
    std::string_view field;
    std::optional<std::string>* out;
    std::size_t most;
  };
  auto read = [&](const StringSpec& f) -> Status {
    Result<std::optional<std::string>> v = StringField(*o, f.field, f.most);
    if (!v.ok()) return v.error();
    *f.out = std::move(*v);
    return Ok{};
  };
  if (Status s = read({"channels", &spec.channels, 0}); !s.ok()) return s.error();
  if (Status s = read({"desc", &spec.desc, 0}); !s.ok()) return s.error();
  {
    Result<std::optional<std::int64_t>> grace = SecondsField(*o, "grace");
    if (!grace.ok()) return grace.error();
    spec.grace = *grace;
  }
  if (const json::value* v = o->if_contains("manual_resume")) {
    if (!v->is_bool()) return Invalid("manual_resume", "is not a boolean");
    spec.manual_resume = v->as_bool();
  }
  if (const json::value* v = o->if_contains("methods")) {
    const json::string* s = v->if_string();
    if (s == nullptr || (!s->empty() && *s != "POST")) {
      return Invalid("methods", "has unexpected value");
    }
    spec.methods = std::string(*s);
  }
  if (Status s = read({"name", &spec.name, kMaxFieldLength}); !s.ok()) return s.error();
  if (Status s = read({"schedule", &spec.schedule, kMaxFieldLength}); !s.ok()) return s.error();
  if (spec.schedule && !spec.schedule->empty()) {
    if (Status s = CheckSchedule(*spec.schedule); !s.ok()) return s.error();
  }
  if (Status s = read({"slug", &spec.slug, kMaxFieldLength}); !s.ok()) return s.error();
  if (spec.slug && !SlugCharacters(*spec.slug)) return Invalid("slug", "does not match pattern");
  if (Status s = read({"tags", &spec.tags, 0}); !s.ok()) return s.error();
  {
    Result<std::optional<std::int64_t>> timeout = SecondsField(*o, "timeout");
    if (!timeout.ok()) return timeout.error();
    spec.timeout = *timeout;
  }
  if (Status s = read({"tz", &spec.tz, 0}); !s.ok()) return s.error();
  if (spec.tz && !TimeZone::Load(*spec.tz).ok()) return Invalid("tz", "is not a valid timezone");
  if (const json::value* v = o->if_contains("unique")) {
    const json::array* list = v->if_array();
    if (list == nullptr) return Invalid("unique", "is not an array");
    for (const json::value& item : *list) {
      const json::string* s = item.if_string();
      if (s == nullptr) return Invalid("an item in 'unique'", "is not a string");
      if (*s != "name" && *s != "slug" && *s != "tags" && *s != "timeout" && *s != "grace") {
        return Invalid("an item in 'unique'", "has unexpected value");
      }
      spec.unique.emplace_back(*s);
    }
  }
  // What our monitors hold at most (core/lifecycle.cc: ValidateSettings).
  if (spec.tags && spec.tags->size() > 500) return Invalid("tags", "is too long (500 at most)");
  if (spec.desc && spec.desc->size() > 10'000) {
    return Invalid("desc", "is too long (10000 at most)");
  }
  return spec;
}

std::string Slugify(std::string_view name) {
  std::string out;
  bool dash = false;  // a run of spaces or '-' is pending
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const bool word = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (c == ' ' || c == '-' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      dash = true;
    } else if (word) {
      if (dash && !out.empty()) out += '-';
      dash = false;
      out += c;
    }
  }
  // Django strips "-_" from both ends.
  const std::size_t begin = out.find_first_not_of("-_");
  if (begin == std::string::npos) return {};
  out = out.substr(begin, out.find_last_not_of("-_") - begin + 1);
  return out.substr(0, kMaxFieldLength);
}

std::string UniqueKey(std::string_view uuid) {
  std::string hex;
  for (char c : uuid) {
    if (c != '-' && hex.size() < 16) hex += c;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(hex.data(), hex.size(), digest.data(), &size, EVP_sha1(), nullptr) != 1) {
    return {};
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

std::string_view CheckStatus(const Monitor& m, UnixMillis now, int api_version) {
  if (m.paused) return "paused";
  if (DeriveStatus(m, now) == MonitorStatus::kOverdue) return "down";
  if (api_version == 1 && m.running) return "started";
  if (!m.last_ping) return "new";
  if (IsLate(m, now)) return "grace";
  return "up";
}

std::string CheckJson(const Monitor& m, UnixMillis now, const CheckView& view) {
  const std::string_view status = CheckStatus(m, now, view.api_version);
  json::object o;
  o["name"] = m.name;
  o["slug"] = ShownSlug(m);
  o["tags"] = m.tags;
  o["desc"] = m.desc;
  o["grace"] = m.grace_secs;
  o["n_pings"] = m.pings_seq;
  o["status"] = status;
  o["started"] = m.running;
  o["last_ping"] = IsoOrNull(m.last_ping);
  // When the next ping is expected; none while new, paused or down (as Healthchecks).
  o["next_ping"] = status == "up" || status == "grace" || status == "started"
                       ? IsoOrNull(m.last_ping ? std::optional(m.next_due) : std::nullopt)
                       : json::value(nullptr);
  o["manual_resume"] = m.manual_resume;
  o["methods"] = m.methods;
  // No keyword filters here: Healthchecks' fields say so.
  for (const char* field : {"subject", "subject_fail", "start_kw", "success_kw", "failure_kw"}) {
    o[field] = "";
  }
  for (const char* field :
       {"filter_subject", "filter_body", "filter_http_body", "filter_default_fail"}) {
    o[field] = false;
  }
  if (m.last_duration_ms && *m.last_duration_ms > 0) {
    o["last_duration"] = *m.last_duration_ms / 1000;
  }
  if (view.read_only) {
    o["unique_key"] = UniqueKey(m.uuid);
  } else {
    o["uuid"] = m.uuid;
    o["ping_url"] = view.base_url + "/ping/" + m.uuid;
    const std::string update_url =
        view.base_url + "/api/v" + std::to_string(view.api_version) + "/checks/" + m.uuid;
    o["update_url"] = update_url;
    o["pause_url"] = update_url + "/pause";
    o["resume_url"] = update_url + "/resume";
    o["channels"] = "";  // no channels yet (SPEC §14)
  }
  if (m.schedule) {
    o["schedule"] = *m.schedule;
    o["tz"] = m.tz;
  } else {
    o["timeout"] = m.interval_secs;
  }
  return json::serialize(o);
}

HcApiRoutes::HcApiRoutes(Store& store, StoreCalls calls, WriteHook on_write, std::string public_url)
    : store_(store),
      calls_(calls),
      on_write_(std::move(on_write)),
      public_url_(std::move(public_url)) {
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
  // No channels until SPEC §14's arrive.
  return Ready(Json(call.version(), status::ok, R"({"channels":[]})"));
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
      co_return co_await Apply(std::move(c), m.slug, m.uuid, SettingsOf(spec, false));
    }
  }
  Result<std::string> uuid = GenerateUuid();
  if (!uuid.ok()) co_return FromError(c.http_version, uuid.error());
  // v1 and v2 derive a slug from the name; a check without one is kept under its uuid.
  std::string slug = spec.slug                               ? *spec.slug
                     : (c.view.api_version < 3 && spec.name) ? Slugify(*spec.name)
                                                             : std::string();
  if (slug.empty()) slug = *uuid;
  MonitorSettings settings = SettingsOf(spec, true);
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
  co_return co_await Apply(std::move(c), check.slug, check.uuid, SettingsOf(spec, false));
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
