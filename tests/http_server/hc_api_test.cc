// Healthchecks' management API (SPEC §13, spec/healthchecks-compat.md) through a real
// server on loopback, a real SQLite file and a FakeClock: every endpoint under /api/v1/,
// /api/v2/ and /api/v3/, the check JSON, each error shape, CORS, projects, read-only keys
// and the monitor limit.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <time.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/lifecycle.h"
#include "http_server/hc_check.h"
#include "support/test_server.h"

namespace heartbeat {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;
using testing::HttpClient;
using testing::HttpResponse;
using testing::StoreKind;
using testing::TestServer;

// "2026-…T…:…:…+00:00", computed independently of the production formatter.
std::string Iso(UnixMillis ms) {
  time_t secs = static_cast<time_t>(ms / 1000);
  tm parts{};
  gmtime_r(&secs, &parts);
  char out[40];
  strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%S+00:00", &parts);
  return out;
}

bool LooksLikeUuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// `res` is `code` with exactly {"error": message}.
void ExpectError(const HttpResponse& res, unsigned code, const std::string& message) {
  EXPECT_EQ(res.status, code) << res.body;
  EXPECT_EQ(res.header("content-type").rfind("application/json", 0), 0u);
  EXPECT_EQ(res.body, json::serialize(json::object{{"error", message}}));
}

class HcApiTest : public ::testing::Test {
 protected:
  explicit HcApiTest(std::string public_url = "")
      : server_({}, "", StoreKind::kSqlite, std::move(public_url)) {}

  HttpResponse Hc(const std::string& method, const std::string& target,
                  const std::string& body = {}, const std::string& key = {}) {
    return client_.Request(method, target, {{"X-Api-Key", key.empty() ? key_ : key}}, body);
  }
  // POST /api/v3/checks/ (or another version), which must answer `code`.
  json::object Create(const std::string& body, int version = 3, unsigned code = 201) {
    HttpResponse res = Hc("POST", "/api/v" + std::to_string(version) + "/checks/", body);
    EXPECT_EQ(res.status, code) << res.body;
    if (res.status != code) return {};
    return res.json().as_object();
  }
  json::object Read(const std::string& uuid, int version = 3, const std::string& key = {}) {
    HttpResponse res = Hc("GET", "/api/v" + std::to_string(version) + "/checks/" + uuid, {}, key);
    EXPECT_EQ(res.status, 200u) << res.body;
    if (res.status != 200) return {};
    return res.json().as_object();
  }
  json::array ListChecks(const std::string& query = {}, const std::string& key = {}) {
    HttpResponse res = Hc("GET", "/api/v3/checks/" + query, {}, key);
    EXPECT_EQ(res.status, 200u) << res.body;
    if (res.status != 200) return {};
    return res.json().at("checks").as_array();
  }
  // Our own API (Bearer), to see the monitor behind a check and to send signals.
  HttpResponse Ours(const std::string& method, const std::string& target,
                    const std::string& body = {}) {
    return client_.Request(method, target, {{"Authorization", "Bearer " + key_}}, body);
  }
  json::object Monitor(const std::string& slug) {
    HttpResponse res = Ours("GET", "/monitors/" + slug);
    EXPECT_EQ(res.status, 200u) << res.body;
    if (res.status != 200) return {};
    return res.json().as_object();
  }
  void Signal(const std::string& path, const std::string& body = {}) {
    HttpResponse res = Ours(body.empty() ? "GET" : "POST", "/heartbeat/" + path, body);
    ASSERT_EQ(res.status, 200u) << path << ": " << res.body;
  }
  static std::string Str(const json::object& o, const char* field) {
    return std::string(o.at(field).as_string());
  }

  UnixMillis Now() { return server_.clock().Now(); }
  void Advance(milliseconds d) { server_.clock().Advance(d); }
  std::string Base() { return "http://127.0.0.1"; }  // HttpClient's Host

  TestServer server_;
  std::string key_ = server_.AddKey();
  HttpClient client_ = server_.Client();
};

// --- status, keys, CORS, routing -----------------------------------------------------------

TEST_F(HcApiTest, StatusAnswersOkWithoutAKeyWithAndWithoutTheSlash) {
  for (const char* target : {"/api/v1/status/", "/api/v3/status", "/api/v2/status/"}) {
    HttpResponse res = client_.Request("GET", target);
    EXPECT_EQ(res.status, 200u) << target;
    EXPECT_EQ(res.body, "OK") << target;
    EXPECT_EQ(res.header("content-type").rfind("text/plain", 0), 0u) << target;
  }
  EXPECT_EQ(client_.Request("GET", "/api/v4/status/").status, 404u);
}

TEST_F(HcApiTest, AMissingOrWrongKeyIsHealthchecks401) {
  ExpectError(client_.Request("GET", "/api/v3/checks/"), 401, "missing api key");
  ExpectError(client_.Request("GET", "/api/v3/checks/", {{"X-Api-Key", "nope"}}), 401,
              "wrong api key");
  ExpectError(client_.Request("POST", "/api/v1/checks/", {}, R"({"name":"x"})"), 401,
              "missing api key");
  // A Bearer header is not Healthchecks' way: still missing.
  ExpectError(client_.Request("GET", "/api/v3/checks/", {{"Authorization", "Bearer " + key_}}), 401,
              "missing api key");
}

TEST_F(HcApiTest, TheKeyMayComeInThePostBody) {
  HttpResponse res = client_.Request("POST", "/api/v3/checks/", {},
                                     R"({"api_key":")" + key_ + R"(","name":"in body"})");
  ASSERT_EQ(res.status, 201u) << res.body;
  EXPECT_EQ(res.json().at("name"), json::value("in body"));
}

TEST_F(HcApiTest, EveryAnswerCarriesCorsAndOptionsIs204) {
  std::string uuid = Str(Create(R"({"slug":"cors"})"), "uuid");
  const std::map<std::string, std::string> routes = {
      {"/api/v3/checks/", "GET, POST"},
      {"/api/v3/checks/" + uuid, "GET, POST, DELETE"},
      {"/api/v3/checks/" + uuid + "/pause", "POST"},
      {"/api/v3/checks/" + uuid + "/resume", "POST"},
      {"/api/v3/checks/" + uuid + "/pings/", "GET"},
      {"/api/v3/checks/" + uuid + "/pings/1/body", "GET"},
      {"/api/v3/checks/" + uuid + "/flips/", "GET"},
      {"/api/v3/channels/", "GET"},
      {"/api/v3/status/", "GET"},
  };
  for (const auto& [target, methods] : routes) {
    HttpResponse options = client_.Request("OPTIONS", target);  // no key: still 204
    EXPECT_EQ(options.status, 204u) << target;
    EXPECT_EQ(options.header("access-control-allow-origin"), "*") << target;
    EXPECT_EQ(options.header("access-control-allow-headers"), "X-Api-Key") << target;
    EXPECT_EQ(options.header("access-control-allow-methods"), methods) << target;
    // Answers, errors included, carry them too.
    for (const std::string& key : {key_, std::string("wrong")}) {
      HttpResponse res = Hc("GET", target, {}, key);
      EXPECT_EQ(res.header("access-control-allow-origin"), "*") << target << " " << res.status;
      EXPECT_EQ(res.header("access-control-allow-methods"), methods) << target;
    }
  }
}

TEST_F(HcApiTest, AWrongMethodIs405) {
  HttpResponse res = Hc("PUT", "/api/v3/checks/");
  EXPECT_EQ(res.status, 405u);
  EXPECT_EQ(res.header("allow"), "GET, POST");
  EXPECT_EQ(Hc("GET", "/api/v3/checks/00000000-0000-4000-8000-000000000000/pause").status, 405u);
}

TEST_F(HcApiTest, AnUnknownOrMalformedUuidIsNotFound) {
  const std::string unknown = "/api/v3/checks/00000000-0000-4000-8000-000000000000";
  ExpectError(Hc("GET", unknown), 404, "not found");
  ExpectError(Hc("POST", unknown, R"({"name":"x"})"), 404, "not found");
  ExpectError(Hc("DELETE", unknown), 404, "not found");
  ExpectError(Hc("POST", unknown + "/pause"), 404, "not found");
  ExpectError(Hc("POST", unknown + "/resume"), 404, "not found");
  ExpectError(Hc("GET", unknown + "/pings/"), 404, "not found");
  ExpectError(Hc("GET", unknown + "/pings/1/body"), 404, "not found");
  ExpectError(Hc("GET", unknown + "/flips/"), 404, "not found");
  // Upper case is no uuid of ours: no route.
  EXPECT_EQ(Hc("GET", "/api/v3/checks/00000000-0000-4000-8000-00000000000A").status, 404u);
}

// --- create --------------------------------------------------------------------------------

TEST_F(HcApiTest, CreateAnswers201WithTheWholeCheckAndItsDefaults) {
  json::object c = Create(R"({"name":"Nightly backup","slug":"nightly","tags":"prod db",
                              "desc":"the dump","unknown_field":[1,2]})");
  ASSERT_FALSE(c.empty());
  const std::string uuid = Str(c, "uuid");
  EXPECT_TRUE(LooksLikeUuid(uuid)) << uuid;
  EXPECT_EQ(Str(c, "name"), "Nightly backup");
  EXPECT_EQ(Str(c, "slug"), "nightly");
  EXPECT_EQ(Str(c, "tags"), "prod db");
  EXPECT_EQ(Str(c, "desc"), "the dump");
  EXPECT_EQ(c.at("timeout"), json::value(86400));
  EXPECT_EQ(c.at("grace"), json::value(3600));
  EXPECT_FALSE(c.contains("schedule"));
  EXPECT_FALSE(c.contains("tz"));
  EXPECT_EQ(c.at("n_pings"), json::value(0));
  EXPECT_EQ(Str(c, "status"), "new");
  EXPECT_EQ(c.at("started"), json::value(false));
  EXPECT_TRUE(c.at("last_ping").is_null());
  EXPECT_TRUE(c.at("next_ping").is_null());
  EXPECT_EQ(c.at("manual_resume"), json::value(false));
  EXPECT_EQ(Str(c, "methods"), "");
  EXPECT_EQ(Str(c, "ping_url"), Base() + "/ping/" + uuid);
  EXPECT_EQ(Str(c, "update_url"), Base() + "/api/v3/checks/" + uuid);
  EXPECT_EQ(Str(c, "pause_url"), Base() + "/api/v3/checks/" + uuid + "/pause");
  EXPECT_EQ(Str(c, "resume_url"), Base() + "/api/v3/checks/" + uuid + "/resume");
  EXPECT_EQ(Str(c, "channels"), "");
  EXPECT_FALSE(c.contains("unique_key"));
  EXPECT_FALSE(c.contains("last_duration"));
  // Read back: the same object.
  EXPECT_EQ(Read(uuid), c);
  // Behind it, our monitor: the slug is its key, timeout its interval, grace its grace and
  // the limit of a started run.
  json::object m = Monitor("nightly");
  EXPECT_EQ(Str(m, "uuid"), uuid);
  EXPECT_EQ(m.at("interval_secs"), json::value(86400));
  EXPECT_EQ(m.at("grace_secs"), json::value(3600));
  EXPECT_EQ(m.at("max_runtime_secs"), json::value(3600));
}

TEST_F(HcApiTest, TimeoutGraceScheduleAndTheOtherFieldsAreStored) {
  json::object c = Create(R"({"slug":"s","timeout":120,"grace":60,"manual_resume":true,
                              "methods":"POST","channels":"*"})");
  EXPECT_EQ(c.at("timeout"), json::value(120));
  EXPECT_EQ(c.at("grace"), json::value(60));
  EXPECT_EQ(c.at("manual_resume"), json::value(true));
  EXPECT_EQ(Str(c, "methods"), "POST");
  json::object m = Monitor("s");
  EXPECT_EQ(m.at("interval_secs"), json::value(120));
  EXPECT_EQ(m.at("max_runtime_secs"), json::value(60));

  json::object cron = Create(R"({"slug":"cron","schedule":"0 3 * * *","tz":"Europe/Riga",
                                 "timeout":600})");
  EXPECT_EQ(Str(cron, "schedule"), "0 3 * * *");
  EXPECT_EQ(Str(cron, "tz"), "Europe/Riga");
  EXPECT_FALSE(cron.contains("timeout"));  // a schedule wins, as in Healthchecks
  EXPECT_EQ(Monitor("cron").at("schedule"), json::value("0 3 * * *"));

  json::object utc = Create(R"({"slug":"cron-utc","schedule":"*/5 * * * *"})");
  EXPECT_EQ(Str(utc, "tz"), "UTC");
}

TEST_F(HcApiTest, V3WithoutASlugKeepsTheCheckUnderItsUuidAndShowsNoSlug) {
  json::object c = Create(R"({"name":"No Slug Here"})");
  const std::string uuid = Str(c, "uuid");
  EXPECT_EQ(Str(c, "slug"), "");
  EXPECT_EQ(Str(Monitor(uuid), "uuid"), uuid);
  // Two of them do not collide.
  json::object other = Create(R"({"name":"No Slug Here"})");
  EXPECT_NE(Str(other, "uuid"), uuid);
  EXPECT_EQ(ListChecks().size(), 2u);
}

TEST_F(HcApiTest, V1AndV2DeriveTheSlugFromTheName) {
  json::object v1 = Create(R"({"name":"My Nightly  Backup!"})", 1);
  EXPECT_EQ(Str(v1, "slug"), "my-nightly-backup");
  EXPECT_EQ(Str(v1, "update_url"), Base() + "/api/v1/checks/" + Str(v1, "uuid"));
  json::object v2 = Create(R"({"name":"DB -- dump_2"})", 2);
  EXPECT_EQ(Str(v2, "slug"), "db-dump_2");
  json::object explicit_slug = Create(R"({"name":"Other Name","slug":"given"})", 1);
  EXPECT_EQ(Str(explicit_slug, "slug"), "given");
  EXPECT_EQ(Str(Monitor("my-nightly-backup"), "uuid"), Str(v1, "uuid"));
}

TEST(HcSlugify, FollowsDjangoOnAscii) {
  EXPECT_EQ(http::Slugify("Hello World"), "hello-world");
  EXPECT_EQ(http::Slugify("  --Hello--World__  "), "hello-world");
  EXPECT_EQ(http::Slugify("a_b c!d"), "a_b-cd");
  EXPECT_EQ(http::Slugify("Crème brûlée"), "crme-brle");
  EXPECT_EQ(http::Slugify("!!!"), "");
  EXPECT_EQ(http::Slugify("_-_a b_-"), "a-b");
}

TEST_F(HcApiTest, UniqueUpdatesTheMatchingCheckWith200) {
  json::object first = Create(R"({"name":"web","tags":"a","timeout":300,"unique":["name"]})");
  json::object again = Create(R"({"name":"web","tags":"b","unique":["name"]})", 3, 200);
  EXPECT_EQ(Str(again, "uuid"), Str(first, "uuid"));
  EXPECT_EQ(Str(again, "tags"), "b");
  EXPECT_EQ(again.at("timeout"), json::value(300));  // not given: kept
  // Every unique field must match; a field listed but absent finds nothing.
  json::object other = Create(R"({"name":"web","tags":"c","unique":["name","tags"]})");
  EXPECT_NE(Str(other, "uuid"), Str(first, "uuid"));
  json::object none = Create(R"({"tags":"b","unique":["name"]})");
  EXPECT_NE(Str(none, "uuid"), Str(first, "uuid"));
  json::object by_timeout = Create(R"({"timeout":300,"grace":3600,"desc":"t",
                                       "unique":["timeout","grace"]})",
                                   3, 200);
  EXPECT_EQ(Str(by_timeout, "uuid"), Str(first, "uuid"));
  EXPECT_EQ(ListChecks().size(), 3u);
}

TEST_F(HcApiTest, CreatingATakenSlugIs409AndChangesNothing) {
  json::object c = Create(R"({"slug":"taken","name":"one"})");
  HttpResponse res = Hc("POST", "/api/v3/checks/", R"({"slug":"taken","name":"two"})");
  EXPECT_EQ(res.status, 409u);
  EXPECT_THAT(res.body, HasSubstr("taken"));
  EXPECT_EQ(Str(Read(Str(c, "uuid")), "name"), "one");
}

TEST_F(HcApiTest, BadBodiesAreHealthchecks400sAndCreateNothing) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{", "could not parse request body"},
      {"[1]", "json validation error: value is not an object"},
      {R"({"name":5})", "json validation error: name is not a string"},
      {R"({"name":null})", "json validation error: name is not a string"},
      {R"({"name":")" + std::string(101, 'n') + R"("})", "json validation error: name is too long"},
      {R"({"tags":["a"]})", "json validation error: tags is not a string"},
      {R"({"desc":null})", "json validation error: desc is not a string"},
      {R"({"timeout":59})", "json validation error: timeout is too small"},
      {R"({"timeout":31536001})", "json validation error: timeout is too large"},
      {R"({"timeout":"60"})", "json validation error: timeout is not a number"},
      {R"({"timeout":null})", "json validation error: timeout is not a number"},
      {R"({"grace":90.5})", "json validation error: grace is not a number"},
      {R"({"grace":30})", "json validation error: grace is too small"},
      {R"({"manual_resume":"yes"})", "json validation error: manual_resume is not a boolean"},
      {R"({"methods":"GET"})", "json validation error: methods has unexpected value"},
      {R"({"slug":"Upper"})", "json validation error: slug does not match pattern"},
      {R"({"slug":7})", "json validation error: slug is not a string"},
      {R"({"tz":"Mars/Olympus"})", "json validation error: tz is not a valid timezone"},
      {R"({"unique":"name"})", "json validation error: unique is not an array"},
      {R"({"unique":["uuid"]})", "json validation error: an item in 'unique' has unexpected value"},
      {R"({"channels":false})", "json validation error: channels is not a string"},
      {R"({"schedule":"not cron"})",
       "json validation error: schedule is not supported here: heartbeat takes 5-field cron "
       "expressions, not OnCalendar expressions"},
  };
  for (const auto& [body, message] : cases) {
    ExpectError(Hc("POST", "/api/v3/checks/", body), 400, message);
  }
  // A schedule Healthchecks would take and we do not names the schedule.
  HttpResponse calendar = Hc("POST", "/api/v3/checks/", R"({"schedule":"Mon *-*-* 02:00"})");
  EXPECT_EQ(calendar.status, 400u);
  EXPECT_THAT(calendar.body, HasSubstr("schedule"));
  HttpResponse bad_cron = Hc("POST", "/api/v3/checks/", R"({"schedule":"61 * * * *"})");
  EXPECT_EQ(bad_cron.status, 400u);
  EXPECT_THAT(bad_cron.body, HasSubstr("json validation error: schedule"));
  EXPECT_TRUE(ListChecks().empty());
}

TEST_F(HcApiTest, ProjectLimitRefusesACreationWith403) {
  server_.store().LimitMonitors(1);
  Create(R"({"slug":"one"})");
  HttpResponse res = Hc("POST", "/api/v3/checks/", R"({"slug":"two"})");
  EXPECT_EQ(res.status, 403u) << res.body;
  EXPECT_THAT(res.body, HasSubstr("limit"));
  EXPECT_EQ(ListChecks().size(), 1u);
  // An update of the existing one is no creation.
  Create(R"({"slug":"one","desc":"d","unique":["slug"]})", 3, 200);
}

// --- list and read -------------------------------------------------------------------------

TEST_F(HcApiTest, ListFiltersByEveryTagAndBySlug) {
  Create(R"({"slug":"a","tags":"prod db"})");
  Create(R"({"slug":"b","tags":"prod"})");
  Create(R"({"slug":"c","tags":"dbx"})");
  auto slugs = [&](const std::string& query) {
    std::vector<std::string> out;
    for (const json::value& c : ListChecks(query)) out.emplace_back(c.at("slug").as_string());
    return out;
  };
  EXPECT_EQ(slugs(""), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(slugs("?tag=prod"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(slugs("?tag=prod&tag=db"), (std::vector<std::string>{"a"}));
  EXPECT_EQ(slugs("?tag=db"), (std::vector<std::string>{"a"}));  // whole tags only
  EXPECT_EQ(slugs("?tag=prod&tag=nothing"), (std::vector<std::string>{}));
  EXPECT_EQ(slugs("?slug=b"), (std::vector<std::string>{"b"}));
  EXPECT_EQ(slugs("?slug=b&tag=db"), (std::vector<std::string>{}));
  EXPECT_EQ(slugs("?whatever=1"), (std::vector<std::string>{"a", "b", "c"}));  // ignored
  // Without the trailing slash too.
  HttpResponse res = Hc("GET", "/api/v3/checks?tag=dbx");
  ASSERT_EQ(res.status, 200u);
  EXPECT_EQ(res.json().at("checks").as_array().size(), 1u);
}

TEST_F(HcApiTest, ReadAnswersWithAndWithoutTheSlashInEveryVersion) {
  const std::string uuid = Str(Create(R"({"slug":"r"})"), "uuid");
  for (int v : {1, 2, 3}) {
    for (const std::string& tail : {std::string(), std::string("/")}) {
      HttpResponse res = Hc("GET", "/api/v" + std::to_string(v) + "/checks/" + uuid + tail);
      ASSERT_EQ(res.status, 200u) << res.body;
      EXPECT_EQ(res.json().at("update_url"),
                json::value(Base() + "/api/v" + std::to_string(v) + "/checks/" + uuid));
    }
  }
}

// --- statuses ------------------------------------------------------------------------------

TEST_F(HcApiTest, StatusFollowsPingsLatenessAndRuns) {
  const std::string uuid = Str(Create(R"({"slug":"job","timeout":600,"grace":120})"), "uuid");
  EXPECT_EQ(Str(Read(uuid), "status"), "new");
  Signal("job");
  const UnixMillis pinged = Now();
  json::object up = Read(uuid);
  EXPECT_EQ(Str(up, "status"), "up");
  EXPECT_EQ(Str(up, "last_ping"), Iso(pinged));
  EXPECT_EQ(Str(up, "next_ping"), Iso(pinged + 600'000));
  EXPECT_EQ(up.at("n_pings"), json::value(1));
  Advance(seconds(601));
  EXPECT_EQ(Str(Read(uuid), "status"), "grace");
  Advance(seconds(120));
  json::object down = Read(uuid);
  EXPECT_EQ(Str(down, "status"), "down");
  EXPECT_TRUE(down.at("next_ping").is_null());

  // A run: "started" in v1, a flag in v2 and v3; down `grace` after its start.
  Signal("job");
  Signal("job/start");
  EXPECT_EQ(Str(Read(uuid, 1), "status"), "started");
  json::object v3 = Read(uuid, 3);
  EXPECT_EQ(Str(v3, "status"), "up");
  EXPECT_EQ(v3.at("started"), json::value(true));
  EXPECT_EQ(Read(uuid, 2).at("started"), json::value(true));
  Advance(seconds(121));
  EXPECT_EQ(Str(Read(uuid, 1), "status"), "down");
  EXPECT_EQ(Str(Read(uuid, 3), "status"), "down");
}

TEST_F(HcApiTest, LastDurationIsShownInSecondsOnceARunEnded) {
  const std::string uuid = Str(Create(R"({"slug":"timed"})"), "uuid");
  Signal("timed/start");
  Advance(seconds(42));
  Signal("timed");
  json::object c = Read(uuid);
  EXPECT_EQ(c.at("last_duration"), json::value(42));
  EXPECT_EQ(c.at("started"), json::value(false));
}

// --- update --------------------------------------------------------------------------------

TEST_F(HcApiTest, UpdateChangesOnlyTheGivenFields) {
  json::object c = Create(R"({"slug":"u","name":"before","tags":"t1","desc":"d","timeout":300})");
  const std::string uuid = Str(c, "uuid");
  HttpResponse res = Hc("POST", "/api/v3/checks/" + uuid, R"({"name":"after","grace":600})");
  ASSERT_EQ(res.status, 200u) << res.body;
  json::object u = res.json().as_object();
  EXPECT_EQ(Str(u, "name"), "after");
  EXPECT_EQ(u.at("grace"), json::value(600));
  EXPECT_EQ(Str(u, "tags"), "t1");
  EXPECT_EQ(Str(u, "desc"), "d");
  EXPECT_EQ(u.at("timeout"), json::value(300));
  EXPECT_EQ(Str(u, "slug"), "u");
  EXPECT_EQ(Read(uuid), u);
  EXPECT_EQ(Monitor("u").at("max_runtime_secs"), json::value(600));

  // A schedule replaces the timeout; a timeout clears the schedule.
  json::object cron =
      Hc("POST", "/api/v3/checks/" + uuid + "/", R"({"schedule":"0 * * * *"})").json().as_object();
  EXPECT_EQ(Str(cron, "schedule"), "0 * * * *");
  EXPECT_FALSE(cron.contains("timeout"));
  json::object simple =
      Hc("POST", "/api/v3/checks/" + uuid, R"({"timeout":900})").json().as_object();
  EXPECT_EQ(simple.at("timeout"), json::value(900));
  EXPECT_FALSE(simple.contains("schedule"));
  EXPECT_TRUE(Monitor("u").at("schedule").is_null());

  // v1 keeps the slug when the name changes (the slug is the check's key here).
  json::object v1 =
      Hc("POST", "/api/v1/checks/" + uuid, R"({"name":"Renamed"})").json().as_object();
  EXPECT_EQ(Str(v1, "slug"), "u");
}

TEST_F(HcApiTest, UpdateRefusesAnotherSlugAndBadFields) {
  const std::string uuid = Str(Create(R"({"slug":"keep","name":"n"})"), "uuid");
  HttpResponse res = Hc("POST", "/api/v3/checks/" + uuid, R"({"slug":"other","name":"m"})");
  EXPECT_EQ(res.status, 400u);
  EXPECT_THAT(res.body, HasSubstr("slug cannot be changed"));
  // The same slug is fine.
  EXPECT_EQ(Hc("POST", "/api/v3/checks/" + uuid, R"({"slug":"keep"})").status, 200u);
  ExpectError(Hc("POST", "/api/v3/checks/" + uuid, R"({"timeout":1})"), 400,
              "json validation error: timeout is too small");
  ExpectError(Hc("POST", "/api/v3/checks/" + uuid, "nope"), 400, "could not parse request body");
  EXPECT_EQ(Str(Read(uuid), "name"), "n");
}

// --- delete, pause, resume -----------------------------------------------------------------

TEST_F(HcApiTest, DeleteAnswersTheCheckAsItWas) {
  json::object c = Create(R"({"slug":"gone","name":"bye"})");
  const std::string uuid = Str(c, "uuid");
  HttpResponse res = Hc("DELETE", "/api/v3/checks/" + uuid);
  ASSERT_EQ(res.status, 200u) << res.body;
  EXPECT_EQ(res.json().as_object(), c);
  ExpectError(Hc("GET", "/api/v3/checks/" + uuid), 404, "not found");
  ExpectError(Hc("DELETE", "/api/v3/checks/" + uuid), 404, "not found");
  EXPECT_EQ(Ours("GET", "/monitors/gone").status, 404u);
}

TEST_F(HcApiTest, PauseAndResume) {
  const std::string uuid = Str(Create(R"({"slug":"p"})"), "uuid");
  ExpectError(Hc("POST", "/api/v3/checks/" + uuid + "/resume"), 409, "check is not paused");
  Signal("p");
  HttpResponse paused = Hc("POST", "/api/v3/checks/" + uuid + "/pause");
  ASSERT_EQ(paused.status, 200u) << paused.body;
  EXPECT_EQ(paused.json().at("status"), json::value("paused"));
  EXPECT_EQ(Monitor("p").at("paused"), json::value(true));
  // Pausing again is fine.
  EXPECT_EQ(Hc("POST", "/api/v3/checks/" + uuid + "/pause/").status, 200u);
  HttpResponse resumed = Hc("POST", "/api/v3/checks/" + uuid + "/resume/");
  ASSERT_EQ(resumed.status, 200u) << resumed.body;
  EXPECT_EQ(resumed.json().at("status"), json::value("up"));
  EXPECT_EQ(Monitor("p").at("paused"), json::value(false));
  ExpectError(Hc("POST", "/api/v3/checks/" + uuid + "/resume"), 409, "check is not paused");
}

TEST_F(HcApiTest, APingResumesAPausedCheckUnlessManualResume) {
  const std::string auto_uuid = Str(Create(R"({"slug":"auto"})"), "uuid");
  const std::string manual_uuid = Str(Create(R"({"slug":"manual","manual_resume":true})"), "uuid");
  Hc("POST", "/api/v3/checks/" + auto_uuid + "/pause");
  Hc("POST", "/api/v3/checks/" + manual_uuid + "/pause");
  Signal("auto");
  Signal("manual");
  EXPECT_EQ(Str(Read(auto_uuid), "status"), "up");
  EXPECT_EQ(Str(Read(manual_uuid), "status"), "paused");
}

// --- pings, bodies, flips, channels --------------------------------------------------------

TEST_F(HcApiTest, PingsAreListedNewestFirstInHealthchecksShape) {
  const std::string uuid = Str(Create(R"({"slug":"h"})"), "uuid");
  const std::string rid = "6b3c1e0a-90f4-4c1b-9a35-1f0e2d3c4b5a";
  Signal("h/start?rid=" + rid);
  const UnixMillis started = Now();
  Advance(milliseconds(1500));
  Signal("h?rid=" + rid, "all good\n");
  Signal("h/fail");
  Signal("h/log", "a line");
  HttpResponse res = Hc("GET", "/api/v3/checks/" + uuid + "/pings/");
  ASSERT_EQ(res.status, 200u) << res.body;
  json::array pings = res.json().at("pings").as_array();
  ASSERT_EQ(pings.size(), 4u) << res.body;
  std::vector<std::string> types;
  for (const json::value& p : pings) types.emplace_back(p.at("type").as_string());
  EXPECT_EQ(types, (std::vector<std::string>{"log", "fail", "success", "start"}));
  json::object success = pings[2].as_object();
  EXPECT_EQ(success.at("n"), json::value(2));
  EXPECT_EQ(Str(success, "date"), Iso(started + 1500).substr(0, 19) + ".500000+00:00");
  EXPECT_EQ(Str(success, "scheme"), "http");
  EXPECT_EQ(Str(success, "method"), "POST");
  EXPECT_EQ(Str(success, "remote_addr"), "127.0.0.1");
  EXPECT_EQ(Str(success, "rid"), rid);
  EXPECT_EQ(success.at("duration"), json::value(1.5));
  EXPECT_EQ(Str(success, "body_url"), Base() + "/api/v3/checks/" + uuid + "/pings/2/body");
  json::object start = pings[3].as_object();
  EXPECT_EQ(Str(start, "date"), Iso(started));  // no fraction on a whole second
  EXPECT_TRUE(start.at("body_url").is_null());
  EXPECT_FALSE(start.contains("duration"));
  EXPECT_TRUE(pings[1].at("rid").is_null());
  // Without the slash too.
  EXPECT_EQ(Hc("GET", "/api/v3/checks/" + uuid + "/pings").status, 200u);

  HttpResponse body = Hc("GET", "/api/v3/checks/" + uuid + "/pings/2/body");
  ASSERT_EQ(body.status, 200u);
  EXPECT_EQ(body.body, "all good\n");
  EXPECT_EQ(body.header("content-type"), "text/plain");
  ExpectError(Hc("GET", "/api/v3/checks/" + uuid + "/pings/1/body"), 404, "not found");
  ExpectError(Hc("GET", "/api/v3/checks/" + uuid + "/pings/99/body"), 404, "not found");
}

TEST_F(HcApiTest, FlipsAreTimestampAndUp) {
  const std::string uuid = Str(Create(R"({"slug":"f"})"), "uuid");
  HttpResponse empty = Hc("GET", "/api/v3/checks/" + uuid + "/flips/");
  ASSERT_EQ(empty.status, 200u);
  EXPECT_EQ(empty.body, R"({"flips":[]})");
  Signal("f/fail");
  const UnixMillis failed = Now();
  Store& store = server_.store();
  auto check_all = [&] {
    auto due = Await<std::vector<heartbeat::Monitor>>(
        [&](Callback<std::vector<heartbeat::Monitor>> cb) { store.DueMonitors(Now(), 100, cb); });
    ASSERT_TRUE(due.ok());
    for (const heartbeat::Monitor& m : *due) {
      CheckStep step = Check(m, Now(), 3'600'000, {"telegram"});
      Status s = Await<void>([&](Callback<void> cb) { store.ApplyCheck(m, step, Now(), cb); });
      ASSERT_TRUE(s.ok());
    }
  };
  check_all();
  Advance(seconds(10));
  Signal("f");
  const UnixMillis recovered = Now();
  check_all();
  HttpResponse res = Hc("GET", "/api/v3/checks/" + uuid + "/flips");
  ASSERT_EQ(res.status, 200u) << res.body;
  EXPECT_EQ(res.body,
            json::serialize(json::object{
                {"flips", json::array{json::object{{"timestamp", Iso(recovered)}, {"up", 1}},
                                      json::object{{"timestamp", Iso(failed)}, {"up", 0}}}}}));
  // ?seconds= keeps the recent ones; ?end= those before it.
  Advance(seconds(5));
  HttpResponse recent = Hc("GET", "/api/v3/checks/" + uuid + "/flips/?seconds=10");
  EXPECT_EQ(recent.json().at("flips").as_array().size(), 1u) << recent.body;
  HttpResponse before =
      Hc("GET", "/api/v3/checks/" + uuid + "/flips/?end=" + std::to_string(recovered / 1000));
  ASSERT_EQ(before.json().at("flips").as_array().size(), 1u) << before.body;
  EXPECT_EQ(before.json().at("flips").as_array()[0].at("up"), json::value(0));
  EXPECT_EQ(Hc("GET", "/api/v3/checks/" + uuid + "/flips/?seconds=x").status, 400u);
}

TEST_F(HcApiTest, ChannelsAreEmptyUntilTheProjectHasSome) {
  for (const char* target : {"/api/v3/channels/", "/api/v1/channels"}) {
    HttpResponse res = Hc("GET", target);
    EXPECT_EQ(res.status, 200u) << target;
    EXPECT_EQ(res.body, R"({"channels":[]})");
  }
}

// SPEC §14 through Healthchecks' API: /channels/ lists the project's channels with a stable
// id; a check's "channels" are the ids its alerts go to; create and update take "*", "" or a
// list of ids or names.
TEST_F(HcApiTest, ChannelsAreListedAndAChecksChannelsAreItsRoute) {
  for (const char* name : {"ops", "mail"}) {
    HttpResponse added = Ours("POST", "/channels",
                              std::string(R"({"name":")") + name +
                                  R"(","kind":"slack","url":"https://hooks.slack.com/x"})");
    ASSERT_EQ(added.status, 201u) << added.body;
  }
  HttpResponse list = Hc("GET", "/api/v3/channels/");
  ASSERT_EQ(list.status, 200u);
  const json::array channels = list.json().at("channels").as_array();
  ASSERT_EQ(channels.size(), 2u) << list.body;
  std::map<std::string, std::string> id_of;
  for (const json::value& c : channels) {
    EXPECT_EQ(c.at("kind").as_string(), "slack");
    const std::string id(c.at("id").as_string());
    EXPECT_TRUE(IsUuid(id)) << id;
    id_of[std::string(c.at("name").as_string())] = id;
  }
  EXPECT_EQ(Hc("GET", "/api/v3/channels/").body, list.body);  // the same ids again
  // All by default; a list of an id and a name; none; unknown refused.
  json::object all = Create(R"({"slug":"a"})");
  EXPECT_EQ(Str(all, "channels").size(), 2 * 36 + 1);
  json::object some = Create(R"({"slug":"b","channels":")" + id_of["ops"] + R"("})");
  EXPECT_EQ(Str(some, "channels"), id_of["ops"]);
  EXPECT_EQ(Monitor("b").at("channels"), json::parse(R"(["ops"])"));
  HttpResponse update =
      Hc("POST", "/api/v3/checks/" + Str(some, "uuid"), R"({"channels":"mail, ops"})");
  ASSERT_EQ(update.status, 200u) << update.body;
  EXPECT_EQ(Monitor("b").at("channels"), json::parse(R"(["mail","ops"])"));
  ASSERT_EQ(Hc("POST", "/api/v3/checks/" + Str(some, "uuid"), R"({"channels":""})").status, 200u);
  EXPECT_EQ(Monitor("b").at("channels"), json::parse("[]"));
  EXPECT_EQ(Str(Read(Str(some, "uuid")), "channels"), "");
  ASSERT_EQ(Hc("POST", "/api/v3/checks/" + Str(some, "uuid"), R"({"channels":"*"})").status, 200u);
  EXPECT_TRUE(Monitor("b").at("channels").is_null());
  HttpResponse bad = Hc("POST", "/api/v3/checks/", R"({"slug":"c","channels":"nope"})");
  EXPECT_EQ(bad.status, 400u) << bad.body;
  EXPECT_EQ(Str(bad.json().as_object(), "error"), "invalid channel identifier: nope");
}

// --- projects and read-only keys -----------------------------------------------------------

TEST_F(HcApiTest, AKeySeesOnlyTheChecksOfItsProject) {
  server_.AddProject("team");
  const std::string team_key = server_.AddKey("team", "team");
  const std::string ours = Str(Create(R"({"slug":"same"})"), "uuid");
  HttpResponse created = Hc("POST", "/api/v3/checks/", R"({"slug":"same"})", team_key);
  ASSERT_EQ(created.status, 201u) << created.body;  // the same slug in another project
  const std::string theirs = Str(created.json().as_object(), "uuid");
  EXPECT_EQ(ListChecks({}, team_key).size(), 1u);
  EXPECT_EQ(ListChecks().size(), 1u);
  EXPECT_EQ(Str(ListChecks({}, team_key)[0].as_object(), "uuid"), theirs);
  const std::string other = "/api/v3/checks/" + ours;
  ExpectError(Hc("GET", other, {}, team_key), 404, "not found");
  ExpectError(Hc("POST", other, R"({"name":"x"})", team_key), 404, "not found");
  ExpectError(Hc("DELETE", other, {}, team_key), 404, "not found");
  ExpectError(Hc("POST", other + "/pause", {}, team_key), 404, "not found");
  ExpectError(Hc("POST", other + "/resume", {}, team_key), 404, "not found");
  ExpectError(Hc("GET", other + "/pings/", {}, team_key), 404, "not found");
  ExpectError(Hc("GET", other + "/pings/1/body", {}, team_key), 404, "not found");
  ExpectError(Hc("GET", other + "/flips/", {}, team_key), 404, "not found");
  const std::string by_unique_key = "/api/v3/checks/" + http::UniqueKey(ours);
  ExpectError(Hc("GET", by_unique_key, {}, team_key), 404, "not found");
  ExpectError(Hc("GET", by_unique_key + "/flips", {}, team_key), 404, "not found");
  EXPECT_EQ(Hc("GET", by_unique_key).status, 200u);
  // Unique lookups stay in the project too.
  HttpResponse unique =
      Hc("POST", "/api/v3/checks/", R"({"slug":"same","unique":["slug"],"desc":"t"})", team_key);
  ASSERT_EQ(unique.status, 200u) << unique.body;
  EXPECT_EQ(Str(unique.json().as_object(), "uuid"), theirs);
  EXPECT_EQ(Str(Read(ours), "desc"), "");
}

TEST_F(HcApiTest, ReadOnlyKeysReadChecksAndFlipsOnly) {
  const std::string ro = server_.AddKey("ro", std::string(kDefaultProject), true);
  json::object c = Create(R"({"slug":"ro","name":"watched"})");
  const std::string uuid = Str(c, "uuid");
  json::object seen = Read(uuid, 3, ro);
  EXPECT_EQ(Str(seen, "name"), "watched");
  EXPECT_EQ(Str(seen, "unique_key"), http::UniqueKey(uuid));
  for (const char* hidden :
       {"uuid", "ping_url", "update_url", "pause_url", "resume_url", "channels"}) {
    EXPECT_FALSE(seen.contains(hidden)) << hidden;
  }
  json::array listed = ListChecks({}, ro);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_FALSE(listed[0].as_object().contains("uuid"));
  EXPECT_EQ(Hc("GET", "/api/v3/checks/" + uuid + "/flips/", {}, ro).status, 200u);
  // Healthchecks' look-ups by unique_key, for any key of the project.
  const std::string unique_key = http::UniqueKey(uuid);
  EXPECT_EQ(Read(unique_key, 3, ro), seen);
  EXPECT_EQ(Read(unique_key + "/", 1, key_).at("uuid"), json::value(uuid));
  HttpResponse flips = Hc("GET", "/api/v3/checks/" + unique_key + "/flips/", {}, ro);
  EXPECT_EQ(flips.status, 200u);
  EXPECT_EQ(flips.body, R"({"flips":[]})");
  ExpectError(Hc("GET", "/api/v3/checks/" + std::string(40, 'a'), {}, ro), 404, "not found");
  ExpectError(Hc("GET", "/api/v3/checks/" + std::string(40, 'a') + "/flips", {}, ro), 404,
              "not found");
  ExpectError(Hc("GET", "/api/v3/checks/not-a-key", {}, ro), 404, "not found");
  // Every write, and what Healthchecks keeps for read-write keys: 403.
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"POST", "/api/v3/checks/"},
      {"POST", "/api/v3/checks/" + uuid},
      {"DELETE", "/api/v3/checks/" + uuid},
      {"POST", "/api/v3/checks/" + uuid + "/pause"},
      {"POST", "/api/v3/checks/" + uuid + "/resume"},
      {"GET", "/api/v3/checks/" + uuid + "/pings/"},
      {"GET", "/api/v3/checks/" + uuid + "/pings/1/body"},
      {"GET", "/api/v3/channels/"},
  };
  for (const auto& [method, target] : refused) {
    HttpResponse res = Hc(method, target, R"({"name":"changed"})", ro);
    EXPECT_EQ(res.status, 403u) << method << " " << target;
    EXPECT_THAT(res.body, HasSubstr("read-only")) << method << " " << target;
  }
  EXPECT_EQ(Read(uuid), c);
  EXPECT_EQ(ListChecks().size(), 1u);
}

TEST(HcUniqueKey, IsTheSha1OfTheFirstSixteenHexDigits) {
  // hashlib.sha1(b"0123456789abcdef").hexdigest()
  EXPECT_EQ(http::UniqueKey("01234567-89ab-cdef-0123-456789abcdef"),
            "fe5567e8d769550852182cdf69d74bb16dff8e29");
}

// --- absolute URLs -------------------------------------------------------------------------

TEST_F(HcApiTest, UrlsFollowTheHostHeaderWithoutPublicUrl) {
  HttpResponse res =
      client_.Request("POST", "/api/v2/checks/",
                      {{"X-Api-Key", key_}, {"Host", "hc.example.net:8080"}}, R"({"slug":"host"})");
  ASSERT_EQ(res.status, 201u) << res.body;
  json::object c = res.json().as_object();
  const std::string uuid = Str(c, "uuid");
  EXPECT_EQ(Str(c, "ping_url"), "http://hc.example.net:8080/ping/" + uuid);
  EXPECT_EQ(Str(c, "update_url"), "http://hc.example.net:8080/api/v2/checks/" + uuid);
}

class HcApiPublicUrlTest : public HcApiTest {
 protected:
  HcApiPublicUrlTest() : HcApiTest("https://beat.example.com/base") {}
};

TEST_F(HcApiPublicUrlTest, UrlsStartWithPublicUrl) {
  HttpResponse res =
      client_.Request("POST", "/api/v3/checks/", {{"X-Api-Key", key_}, {"Host", "internal:9000"}},
                      R"({"slug":"pub"})");
  ASSERT_EQ(res.status, 201u) << res.body;
  json::object c = res.json().as_object();
  const std::string uuid = Str(c, "uuid");
  EXPECT_EQ(Str(c, "ping_url"), "https://beat.example.com/base/ping/" + uuid);
  EXPECT_EQ(Str(c, "update_url"), "https://beat.example.com/base/api/v3/checks/" + uuid);
  EXPECT_EQ(Str(c, "pause_url"), "https://beat.example.com/base/api/v3/checks/" + uuid + "/pause");
}

}  // namespace
}  // namespace heartbeat
