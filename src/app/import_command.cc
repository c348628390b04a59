// `heartbeat import healthchecks` (SPEC §13): copies the checks of a Healthchecks project,
// read with its v3 API, into a project of ours, each under its own uuid, so that its
// /ping/<uuid> URL keeps working once it points here.

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/commands.h"
#include "app/components.h"
#include "core/interval.h"
#include "core/lifecycle.h"
#include "core/project.h"
#include "core/utf8.h"
#include "http_client/http_client.h"
#include "http_server/hc_check.h"

namespace heartbeat::app {

namespace {

namespace json = boost::json;

constexpr std::string_view kChecksPath = "/api/v3/checks/";
// A key-taken refusal of the write, told apart from the store's own errors by this start.
constexpr std::string_view kSlugTaken = "the slug is taken by another monitor";

// One check as Healthchecks lists it, read into what we keep of it.
struct ImportedCheck {
  std::string uuid;
  std::string slug;  // the check's slug, or its uuid when it has none
  MonitorSettings settings;
  bool paused = false;
};

// The outcome of one check, one line of the output.
struct Outcome {
  enum class Kind { kCreated, kUpdated, kSkipped, kFailed };
  Kind kind;
  std::string slug;
  std::string note;  // in parentheses after the slug; empty for none
};

std::string_view KindWord(Outcome::Kind kind) {
  switch (kind) {
    case Outcome::Kind::kCreated:
      return "created";
    case Outcome::Kind::kUpdated:
      return "updated";
    case Outcome::Kind::kSkipped:
      return "skipped";
    case Outcome::Kind::kFailed:
      return "failed";
  }
  return "failed";
}

// The last segment of a URL's path when it is a uuid (Healthchecks' ping_url and update_url
// end with the check's uuid; versions before the "uuid" field give only those).
std::optional<std::string> UuidAtEnd(std::string_view url) {
  std::size_t slash = url.rfind('/');
  std::string_view last = slash == std::string_view::npos ? url : url.substr(slash + 1);
  if (!IsUuid(last)) return std::nullopt;
  return std::string(last);
}

// The check's uuid: its "uuid", else the end of its "update_url" or "ping_url". None in the
// answer to a read-only key, which carries "unique_key" instead.
std::optional<std::string> CheckUuid(const json::object& check) {
  if (const json::value* uuid = check.if_contains("uuid"); uuid && uuid->is_string()) {
    return std::string(uuid->get_string());
  }
  for (std::string_view field : {"update_url", "ping_url"}) {
    const json::value* url = check.if_contains(field);
    if (!url || !url->is_string()) continue;
    if (std::optional<std::string> uuid = UuidAtEnd(url->get_string())) return uuid;
  }
  return std::nullopt;
}

Result<std::string> StringField(const json::object& check, std::string_view field) {
  const json::value* v = check.if_contains(field);
  if (!v || v->is_null()) return std::string();
  if (!v->is_string()) return InvalidArgument(std::string(field) + ": not a string");
  return std::string(v->get_string());
}

// Whole seconds ("timeout", "grace"): Healthchecks sends integers; a whole double is taken too.
Result<std::int64_t> SecondsField(const json::object& check, std::string_view field) {
  const json::value* v = check.if_contains(field);
  if (!v) return InvalidArgument(std::string(field) + ": missing");
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(v->get_uint64());
  }
  if (v->is_double()) {
    double d = v->get_double();
    if (d >= 0 && d <= 1e12 && d == static_cast<double>(static_cast<std::int64_t>(d))) {
      return static_cast<std::int64_t>(d);
    }
  }
  return InvalidArgument(std::string(field) + ": not a whole number of seconds");
}

// The check as we store it: Healthchecks' timeout is our interval, its grace our grace and
// the limit of a started run (a run times out `grace` after its start there); every value
// passes the rules a PUT's pass (ValidateSettings). `uuid` is the check's, already read.
Result<ImportedCheck> ReadCheck(const json::object& check, std::string uuid) {
  ImportedCheck out;
  out.uuid = std::move(uuid);
  if (!IsUuid(out.uuid)) return InvalidArgument("uuid: not a lowercase UUID");
  Result<std::string> slug = StringField(check, "slug");
  if (!slug.ok()) return slug.error();
  out.slug = slug->empty() ? out.uuid : *slug;
  if (!IsCheckSlug(out.slug)) {
    return InvalidArgument("slug: only a-z, 0-9, '-' and '_', at most 100 characters");
  }
  // Healthchecks' fields, mapped to ours by the rule its API's creations use
  // (http_server/hc_check.h: CheckSettings, with its defaults).
  http::CheckSpec spec;
  for (auto [field, target] :
       {std::pair{"name", &spec.name}, std::pair{"tags", &spec.tags}, std::pair{"desc", &spec.desc},
        std::pair{"methods", &spec.methods}}) {
    Result<std::string> value = StringField(check, field);
    if (!value.ok()) return value.error();
    *target = std::move(*value);
  }
  if (const json::value* v = check.if_contains("manual_resume")) {
    if (!v->is_bool()) return InvalidArgument("manual_resume: not a boolean");
    spec.manual_resume = v->get_bool();
  }
  Result<std::int64_t> grace = SecondsField(check, "grace");
  if (!grace.ok()) return grace.error();
  spec.grace = *grace;
  if (check.contains("schedule")) {
    Result<std::string> schedule = StringField(check, "schedule");
    if (!schedule.ok()) return schedule.error();
    Result<std::string> tz = StringField(check, "tz");
    if (!tz.ok()) return tz.error();
    spec.schedule = std::move(*schedule);
    if (!tz->empty()) spec.tz = std::move(*tz);
  }
  if (!spec.schedule || spec.schedule->empty()) {
    Result<std::int64_t> timeout = SecondsField(check, "timeout");
    if (!timeout.ok()) return timeout.error();
    // ParseInterval holds our interval's bounds (and names the interval in its error).
    Result<std::int64_t> interval = ParseInterval(std::to_string(*timeout));
    if (!interval.ok()) return InvalidArgument("timeout: " + interval.error().message);
    spec.timeout = *interval;
  }
  MonitorSettings& s = out.settings;
  s = http::CheckSettings(spec, /*creating=*/true);
  s.uuid = out.uuid;
  Result<std::string> status = StringField(check, "status");
  if (!status.ok()) return status.error();
  out.paused = *status == "paused";
  if (Status valid = ValidateSettings(s); !valid.ok()) return valid.error();
  return out;
}

// What a check's line calls a check we refuse: its slug when it is one, else its uuid.
std::string NameOf(const json::object& check, const std::string& uuid) {
  Result<std::string> slug = StringField(check, "slug");
  if (slug.ok() && IsCheckSlug(*slug)) return *slug;
  return IsUuid(uuid) ? uuid : std::string("(a check without a valid slug or uuid)");
}

// The monitor as stored, made to match the check: its settings (Configured: created when
// there is no live monitor), then paused or resumed. `current`, when live, has the
// check's uuid: another uuid under the key is refused (kConflict starting kSlugTaken).
// Nothing is written when nothing would change.
Result<Mutation> ImportWrite(const std::optional<Monitor>& current, const std::string& key,
                             const ImportedCheck& check, UnixMillis now) {
  const bool live = IsLive(current, now);
  if (live && current->uuid != check.uuid) {
    return Conflict(std::string(kSlugTaken) + ", uuid " + current->uuid + "; not overwritten");
  }
  if (live) {
    Monitor wanted = *current;
    ApplySettings(wanted, check.settings);
    if (wanted == *current && current->paused == check.paused) return Mutation::Keep();
  }
  Monitor next = Configured(current, key, check.settings, now);
  std::optional<Monitor> toggled;
  if (check.paused && !next.paused) toggled = Paused(next, now);
  if (!check.paused && next.paused) toggled = Unpaused(next, now);
  if (toggled) next = std::move(*toggled);
  return SignalWrite(current, std::move(next), now);
}

// Imports one check into `project` of `store`.
Outcome ImportCheck(Store& store, std::string_view project, const ImportedCheck& check,
                    UnixMillis now) {
  using Kind = Outcome::Kind;
  Result<std::optional<Monitor>> found = Await<std::optional<Monitor>>(
      [&](Callback<std::optional<Monitor>> cb) { store.FindByUuid(check.uuid, now, cb); });
  if (!found.ok()) return {Kind::kFailed, check.slug, found.error().message};
  std::string key = MonitorKey(project, check.slug);
  std::string note;
  if (*found) {
    const Monitor& existing = **found;
    if (ProjectOfKey(existing.slug) != project) {
      return {Kind::kSkipped, check.slug,
              "its uuid is already monitor " + std::string(SlugOfKey(existing.slug)) +
                  " of project " + std::string(ProjectOfKey(existing.slug))};
    }
    // A check renamed in Healthchecks since an earlier import: its monitor keeps its slug
    // (a move would lose its history), and its uuid, which is what the ping URLs name.
    if (existing.slug != key) {
      note = "Healthchecks' slug is now " + check.slug + "; the monitor keeps its own";
      key = existing.slug;
    }
  }
  const std::string slug(SlugOfKey(key));
  Result<Store::Mutated> written = Await<Store::Mutated>([&](Callback<Store::Mutated> cb) {
    store.Mutate(
        key,
        [key, check, now](const std::optional<Monitor>& current) {
          return ImportWrite(current, key, check, now);
        },
        cb);
  });
  if (!written.ok()) {
    const Error& e = written.error();
    if (e.code == ErrorCode::kConflict && e.message.starts_with(kSlugTaken)) {
      return {Kind::kSkipped, slug, e.message};
    }
    return {Kind::kFailed, slug, e.message};
  }
  if (!IsLive(written->before, now)) return {Kind::kCreated, slug, note};
  if (written->after == written->before) {
    return {Kind::kSkipped, slug, note.empty() ? "unchanged" : "unchanged; " + note};
  }
  return {Kind::kUpdated, slug, note};
}

// A short, printable excerpt of an answer's body, for error messages.
std::string Excerpt(std::string_view body) {
  std::string text = ValidUtf8(body.substr(0, 200));
  std::replace_if(
      text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return text;
}

// The checks of the project the key belongs to: the "checks" of GET /api/v3/checks/, or
// the message that says why not.
Result<json::array> FetchChecks(HttpClient& http, const std::string& base,
                                const std::string& api_key) {
  HttpRequest request;
  request.method = "GET";
  request.url = base + std::string(kChecksPath);
  request.headers = {{"X-Api-Key", api_key}, {"Accept", "application/json"}};
  request.connect_timeout = std::chrono::seconds(10);
  request.total_timeout = std::chrono::seconds(60);
  HttpResult answer = http.Send(request);
  if (!answer.transport_ok) return Unavailable("cannot reach " + base + ": " + answer.error);
  const std::string not_healthchecks = base + " does not look like a Healthchecks server (";
  if (answer.status == 401 || answer.status == 403) {
    return Forbidden("the API key was refused by " + base + " (HTTP " +
                     std::to_string(answer.status) + ": " + Excerpt(answer.body) + ")");
  }
  if (answer.status >= 300 && answer.status < 400) {
    const std::string* location = answer.Header("location");
    return InvalidArgument(base + " redirects GET " + std::string(kChecksPath) + " to " +
                           (location ? *location : std::string("elsewhere")) +
                           "; give the base URL it redirects to as --url");
  }
  if (answer.status == 404) {
    return NotFound(not_healthchecks + "GET " + std::string(kChecksPath) + " answered 404)");
  }
  if (answer.status != 200) {
    return Unavailable(base + " answered HTTP " + std::to_string(answer.status) + " to GET " +
                       std::string(kChecksPath) + ": " + Excerpt(answer.body));
  }
  boost::system::error_code ec;
  json::value parsed = json::parse(answer.body, ec);
  if (ec) {
    return InvalidArgument(not_healthchecks + "its answer to GET " + std::string(kChecksPath) +
                           " is not JSON: " + Excerpt(answer.body) + ")");
  }
  const json::value* checks =
      parsed.is_object() ? parsed.get_object().if_contains("checks") : nullptr;
  if (!checks || !checks->is_array()) {
    return InvalidArgument(not_healthchecks + "its answer to GET " + std::string(kChecksPath) +
                           " has no \"checks\" list)");
  }
  return checks->get_array();
}

}  // namespace

int RunImportHealthchecks(const Config& config, const ImportOptions& options) {
  if (Status s = ValidateProjectName(options.project); !s.ok()) {
    std::cerr << "heartbeat: --project: " << s.error().message << "\n";
    return kExitUsage;
  }
  std::string base = options.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (!base.starts_with("http://") && !base.starts_with("https://")) {
    std::cerr << "heartbeat: --url: give the server's base URL, http:// or https://, e.g. "
                 "https://healthchecks.io\n";
    return kExitUsage;
  }

  auto opened = OpenStoreOrReport(config, CreateStore::kNo);
  if (!opened.ok()) return kExitFailure;
  Store& store = **opened;
  auto fail = [&](std::string_view message) {
    store.Close();
    std::cerr << "heartbeat: " << message << "\n";
    return kExitFailure;
  };
  Result<std::vector<ProjectRecord>> projects = StoreProjects(store);
  if (!projects.ok()) return fail("cannot read the projects: " + projects.error().message);
  if (std::none_of(projects->begin(), projects->end(),
                   [&](const ProjectRecord& p) { return p.name == options.project; })) {
    return fail("no project named " + options.project +
                "; create it with `heartbeat projects add " + options.project + "`");
  }

  CurlHttpClient http;
  Result<json::array> checks = FetchChecks(http, base, options.api_key);
  if (!checks.ok()) return fail(checks.error().message);
  // Every uuid first: a read-only key's answer has none, and then nothing is written.
  std::vector<std::optional<std::string>> uuids;
  for (const json::value& check : *checks) {
    if (!check.is_object()) {
      return fail(base +
                  " does not look like a Healthchecks server (a check that is not a "
                  "JSON object)");
    }
    uuids.push_back(CheckUuid(check.get_object()));
    if (!uuids.back()) {
      return fail(base +
                  " gave no uuid for its checks, as Healthchecks does for a read-only API key; "
                  "import needs the project's read-write API key (its settings, API Access), "
                  "to give each monitor the uuid its ping URLs name");
    }
  }

  int counts[4] = {0, 0, 0, 0};
  for (std::size_t i = 0; i < checks->size(); ++i) {
    const UnixMillis now = RealClock().Now();
    const json::object& object = (*checks)[i].get_object();
    Result<ImportedCheck> check = ReadCheck(object, *uuids[i]);
    Outcome outcome = check.ok() ? ImportCheck(store, options.project, *check, now)
                                 : Outcome{Outcome::Kind::kFailed, NameOf(object, *uuids[i]),
                                           check.error().message};
    ++counts[static_cast<int>(outcome.kind)];
    std::cout << KindWord(outcome.kind) << " " << outcome.slug;
    if (!outcome.note.empty()) std::cout << " (" << outcome.note << ")";
    std::cout << "\n";
  }
  std::cout.flush();
  store.Close();
  std::cerr << counts[0] << " created, " << counts[1] << " updated, " << counts[2] << " skipped, "
            << counts[3] << " failed\n";
  return counts[3] == 0 ? kExitOk : kExitFailure;
}

}  // namespace heartbeat::app
