#include "http_server/hc_check.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>

#include "core/cron.h"
#include "core/channel.h"
#include "core/project.h"
#include "core/time_format.h"
#include "core/time_zone.h"
#include "core/utf8.h"

namespace heartbeat::http {

namespace json = boost::json;

namespace {

constexpr std::int64_t kDefaultTimeoutSecs = 86'400;
constexpr std::int64_t kDefaultGraceSecs = 3'600;
constexpr std::size_t kMaxFieldLength = 100;  // name, slug, schedule

Error Invalid(std::string_view field, std::string_view problem) {
  return InvalidArgument("json validation error: " + std::string(field) + " " +
                         std::string(problem));
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

}  // namespace

// "2026-12-07T22:00:00+00:00": Healthchecks' isoformat, without the fraction.
std::string IsoSeconds(UnixMillis t) {
  std::string s = FormatRfc3339(t);  // ends in 'Z'
  s.pop_back();
  return s + "+00:00";
}

// The slug a client sees: a check stored under its uuid (created without a slug) has none.
std::string_view ShownSlug(const Monitor& m) {
  std::string_view slug = SlugOfKey(m.slug);
  return slug == m.uuid ? std::string_view() : slug;
}

bool HasEveryTag(const Monitor& m, const std::vector<std::string>& wanted) {
  std::vector<std::string_view> tags = TagList(m.tags);
  return std::all_of(wanted.begin(), wanted.end(), [&](const std::string& tag) {
    return std::find(tags.begin(), tags.end(), tag) != tags.end();
  });
}

// The settings a spec gives: only the fields it has, and for a check it creates the
// defaults of a check created through Healthchecks' API.
MonitorSettings CheckSettings(const CheckSpec& spec, bool creating) {
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
  if (spec.slug && !spec.slug->empty() && !IsCheckSlug(*spec.slug)) {
    return Invalid("slug", "does not match pattern");
  }
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

Status ApplyCheckChannels(const CheckSpec& spec, const std::vector<HcChannel>& channels,
                          MonitorSettings& settings) {
  if (!spec.channels) return Ok{};
  if (*spec.channels == "*") {
    settings.all_channels = true;
    return Ok{};
  }
  std::vector<std::string> names;
  for (const std::string& id : SplitNameList(*spec.channels)) {
    auto it = std::find_if(channels.begin(), channels.end(),
                           [&](const HcChannel& c) { return c.id == id || c.name == id; });
    if (it == channels.end()) {
      return InvalidArgument("invalid channel identifier: " + ValidUtf8(id.substr(0, 100)));
    }
    names.push_back(it->name);
  }
  settings.channels = std::move(names);
  return Ok{};
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
    // The ids of the channels its alerts go to (SPEC §14: all of the project's by default).
    std::string ids;
    for (const HcChannel& ch : view.channels) {
      if (m.channels &&
          std::find(m.channels->begin(), m.channels->end(), ch.name) == m.channels->end()) {
        continue;
      }
      if (!ids.empty()) ids += ',';
      ids += ch.id;
    }
    o["channels"] = ids;
  }
  if (m.schedule) {
    o["schedule"] = *m.schedule;
    o["tz"] = m.tz;
  } else {
    o["timeout"] = m.interval_secs;
  }
  return json::serialize(o);
}

}  // namespace heartbeat::http
