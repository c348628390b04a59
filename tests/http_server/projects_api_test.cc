// Projects, read-only keys and Healthchecks' ping URLs through the real API (SPEC §13,
// spec/healthchecks-compat.md): a key acts in its project only, route by route; a read-only
// key reads and never writes, route by route; MAX_MONITORS_PER_PROJECT; /ping/<uuid> and
// /ping/<ping_key>/<slug> with their plain-text answers. On the store in memory and on
// SQLite (whose fast path checks a ping's target itself).

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "support/http_client.h"
#include "support/store_kind.h"
#include "support/test_server.h"

namespace heartbeat::testing {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;

const std::string kRid = "0f0e0d0c-0b0a-4009-8807-060504030201";

class ProjectsApiTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  HttpResponse As(const std::string& key, const std::string& method, const std::string& target,
                  const std::string& body = {}) {
    return client_.Request(method, target, {{"Authorization", "Bearer " + key}}, body);
  }
  HttpResponse Plain(const std::string& method, const std::string& target,
                     const std::string& body = {}) {
    return client_.Request(method, target, {}, body);
  }
  json::object Monitor(const std::string& key, const std::string& slug) {
    HttpResponse res = As(key, "GET", "/monitors/" + slug);
    EXPECT_EQ(res.status, 200u) << res.body;
    return res.status == 200 ? res.json().as_object() : json::object();
  }
  std::vector<std::string> Slugs(const std::string& key) {
    std::vector<std::string> out;
    HttpResponse res = As(key, "GET", "/monitors");
    EXPECT_EQ(res.status, 200u) << res.body;
    const json::value doc = res.json();
    for (const json::value& m : doc.at("monitors").as_array()) {
      out.emplace_back(m.at("slug").as_string());
    }
    return out;
  }
  std::string Uuid(const std::string& key, const std::string& slug) {
    return std::string(Monitor(key, slug).at("uuid").as_string());
  }
  static void ExpectText(const HttpResponse& res, unsigned status, const std::string& body) {
    EXPECT_EQ(res.status, status) << res.body;
    EXPECT_EQ(res.body, body);
    EXPECT_EQ(res.header("content-type"), "text/plain; charset=utf-8");
    EXPECT_EQ(res.header("access-control-allow-origin"), "*");
    EXPECT_EQ(res.header("cache-control"), "no-cache");
    EXPECT_EQ(res.header("ping-body-limit"), "10000");
  }

  TestServer server_{{}, "", GetParam()};
  std::string billing_ping_key_ = server_.AddProject("billing");
  std::string key_ = server_.AddKey("default rw");
  std::string reader_ = server_.AddKey("default ro", "default", /*read_only=*/true);
  std::string billing_ = server_.AddKey("billing rw", "billing");
  HttpClient client_ = server_.Client();
};

INSTANTIATE_TEST_SUITE_P(Stores, ProjectsApiTest,
                         ::testing::Values(StoreKind::kMemory, StoreKind::kSqlite),
                         StoreKindParamName);

// --- projects -------------------------------------------------------------------------

TEST_P(ProjectsApiTest, TheSameSlugInTwoProjectsIsTwoMonitors) {
  ASSERT_EQ(As(key_, "GET", "/heartbeat/backup?interval=1h").status, 200u);
  ASSERT_EQ(As(billing_, "GET", "/heartbeat/backup?interval=2h").status, 200u);
  json::object mine = Monitor(key_, "backup");
  json::object theirs = Monitor(billing_, "backup");
  EXPECT_EQ(mine.at("project"), "default");
  EXPECT_EQ(theirs.at("project"), "billing");
  EXPECT_EQ(mine.at("slug"), "backup");
  EXPECT_EQ(theirs.at("slug"), "backup");
  EXPECT_EQ(mine.at("interval_secs").as_int64(), 3600);
  EXPECT_EQ(theirs.at("interval_secs").as_int64(), 7200);
  EXPECT_NE(mine.at("uuid"), theirs.at("uuid"));
  EXPECT_EQ(Slugs(key_), std::vector<std::string>{"backup"});
  EXPECT_EQ(Slugs(billing_), std::vector<std::string>{"backup"});
}

TEST_P(ProjectsApiTest, AnotherProjectsMonitorIsNotFoundOnEveryRoute) {
  ASSERT_EQ(As(key_, "POST", "/heartbeat/only-mine", "output\n").status, 200u);
  // Every route with a {slug}, from the billing key: nothing of default's is found, and
  // nothing of it changes.
  const std::vector<std::pair<std::string, std::string>> reads = {
      {"GET", "/monitors/only-mine"},
      {"GET", "/monitors/only-mine/pings"},
      {"GET", "/monitors/only-mine/pings/1/body"},
      {"GET", "/monitors/only-mine/flips"},
      {"DELETE", "/monitors/only-mine"},
      {"POST", "/monitors/only-mine/pause"},
      {"POST", "/monitors/only-mine/unpause"}};
  for (const auto& [method, target] : reads) {
    EXPECT_EQ(As(billing_, method, target).status, 404u) << method << " " << target;
  }
  EXPECT_TRUE(Slugs(billing_).empty());
  json::object still = Monitor(key_, "only-mine");
  EXPECT_EQ(still.at("paused"), false);
  EXPECT_EQ(As(key_, "GET", "/monitors/only-mine/pings/1/body").body, "output\n");
  // The signals of the billing key make billing's own monitor, never touch default's.
  for (const std::string path : {"/heartbeat/only-mine/fail", "/heartbeat/only-mine/start",
                                 "/heartbeat/only-mine/log", "/heartbeat/only-mine/3"}) {
    EXPECT_EQ(As(billing_, "POST", path).status, 200u) << path;
  }
  EXPECT_EQ(Monitor(key_, "only-mine").at("failed"), false);
  EXPECT_EQ(Monitor(key_, "only-mine").at("running"), false);
  EXPECT_EQ(Monitor(billing_, "only-mine").at("last_exit_code").as_int64(), 3);
  ASSERT_EQ(As(billing_, "DELETE", "/monitors/only-mine").status, 204u);
  EXPECT_EQ(As(key_, "GET", "/monitors/only-mine").status, 200u);
}

// --- read-only keys ---------------------------------------------------------------------

TEST_P(ProjectsApiTest, AReadOnlyKeyReadsEveryReadRoute) {
  ASSERT_EQ(As(key_, "POST", "/heartbeat/job", "hello").status, 200u);
  for (const std::string target : {"/monitors", "/monitors/job", "/monitors/job/pings",
                                   "/monitors/job/pings/1/body", "/monitors/job/flips"}) {
    HttpResponse res = As(reader_, "GET", target);
    EXPECT_EQ(res.status, 200u) << target << ": " << res.body;
    EXPECT_EQ(As(reader_, "HEAD", target).status, 200u) << target;
  }
}

TEST_P(ProjectsApiTest, AReadOnlyKeyIsRefusedEveryWriteRouteAndNothingChanges) {
  ASSERT_EQ(As(key_, "GET", "/heartbeat/job").status, 200u);
  json::object before = Monitor(key_, "job");
  // Every route that writes, with each of its methods: the signals (also by GET and HEAD)
  // and the changes of a monitor, for one that exists and one that does not.
  std::vector<std::pair<std::string, std::string>> writes;
  for (const std::string slug : {"job", "new-one"}) {
    for (const std::string method : {"GET", "POST", "HEAD"}) {
      for (const std::string tail : {"", "/start", "/fail", "/log", "/0", "/7"}) {
        writes.emplace_back(method, "/heartbeat/" + slug + tail);
      }
    }
    writes.emplace_back("PUT", "/monitors/" + slug);
    writes.emplace_back("DELETE", "/monitors/" + slug);
    writes.emplace_back("POST", "/monitors/" + slug + "/pause");
    writes.emplace_back("POST", "/monitors/" + slug + "/unpause");
  }
  for (const auto& [method, target] : writes) {
    HttpResponse res = As(reader_, method, target, method == "PUT" ? "{\"grace\":\"5m\"}" : "");
    EXPECT_EQ(res.status, 403u) << method << " " << target;
    if (method != "HEAD") {
      EXPECT_NE(res.body.find("read-only"), std::string::npos) << method << " " << target;
    }
  }
  EXPECT_EQ(Monitor(key_, "job"), before);
  EXPECT_EQ(Slugs(key_), std::vector<std::string>{"job"});
}

// --- MAX_MONITORS_PER_PROJECT -----------------------------------------------------------

TEST_P(ProjectsApiTest, ACreationPastTheLimitIsRefusedAndChangesNothing) {
  server_.store().LimitMonitors(2);
  ASSERT_EQ(As(key_, "GET", "/heartbeat/one").status, 200u);
  ASSERT_EQ(As(key_, "PUT", "/monitors/two", "{}").status, 201u);
  for (const auto& [method, target] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/heartbeat/three"},
                                                        {"POST", "/heartbeat/three/fail"},
                                                        {"POST", "/heartbeat/three/start"},
                                                        {"PUT", "/monitors/three"}}) {
    HttpResponse res = As(key_, method, target, method == "PUT" ? "{}" : "");
    EXPECT_EQ(res.status, 403u) << target;
    EXPECT_NE(res.body.find("limit"), std::string::npos) << res.body;
  }
  // Healthchecks' ?create=1 answers as Healthchecks does.
  ExpectText(Plain("GET", "/ping/" + server_.PingKey("default") + "/three?create=1"), 404,
             "not found");
  EXPECT_EQ(Slugs(key_), (std::vector<std::string>{"one", "two"}));
  // What exists still takes pings, and another project has its own count.
  EXPECT_EQ(As(key_, "GET", "/heartbeat/one").status, 200u);
  EXPECT_EQ(As(billing_, "GET", "/heartbeat/three").status, 200u);
  // A deletion makes room.
  ASSERT_EQ(As(key_, "DELETE", "/monitors/one").status, 204u);
  EXPECT_EQ(As(key_, "GET", "/heartbeat/three").status, 200u);
}

// --- Healthchecks' ping URLs ----------------------------------------------------------

TEST_P(ProjectsApiTest, PingByUuidAnswersOkInPlainTextAndPings) {
  ASSERT_EQ(As(key_, "PUT", "/monitors/job", "{\"interval\":\"1h\"}").status, 201u);
  const std::string uuid = Uuid(key_, "job");
  ExpectText(Plain("GET", "/ping/" + uuid), 200, "OK");
  json::object m = Monitor(key_, "job");
  EXPECT_EQ(m.at("last_ping").as_int64(), server_.clock().Now() / 1000);
  ExpectText(Plain("POST", "/ping/" + uuid + "/"), 200, "OK");  // the trailing slash
  EXPECT_EQ(Plain("HEAD", "/ping/" + uuid).status, 200u);
  // The uuid of another project's monitor works too: it is its own secret.
  ASSERT_EQ(As(billing_, "GET", "/heartbeat/theirs").status, 200u);
  ExpectText(Plain("GET", "/ping/" + Uuid(billing_, "theirs")), 200, "OK");
  // OPTIONS: CORS.
  HttpResponse options = Plain("OPTIONS", "/ping/" + uuid);
  EXPECT_EQ(options.status, 204u);
  EXPECT_EQ(options.header("access-control-allow-origin"), "*");
}

TEST_P(ProjectsApiTest, PingByUuidCarriesStartFailLogExitCodesRidsAndBodies) {
  ASSERT_EQ(As(key_, "PUT", "/monitors/job", "{}").status, 201u);
  const std::string base = "/ping/" + Uuid(key_, "job");
  ExpectText(Plain("POST", base + "/start?rid=" + kRid), 200, "OK");
  EXPECT_EQ(Monitor(key_, "job").at("running"), true);
  server_.clock().Advance(milliseconds(1500));
  ExpectText(Plain("POST", base + "/0?rid=" + kRid, "done\n"), 200, "OK");
  json::object m = Monitor(key_, "job");
  EXPECT_EQ(m.at("running"), false);
  EXPECT_EQ(m.at("last_duration_ms").as_int64(), 1500);
  EXPECT_EQ(m.at("last_exit_code").as_int64(), 0);
  ExpectText(Plain("POST", base + "/log", "a line"), 200, "OK");
  ExpectText(Plain("POST", base + "/fail", "boom"), 200, "OK");
  EXPECT_EQ(Monitor(key_, "job").at("failed"), true);
  ExpectText(Plain("GET", base + "/255"), 200, "OK");
  EXPECT_EQ(Monitor(key_, "job").at("last_exit_code").as_int64(), 255);
  json::array pings = As(key_, "GET", "/monitors/job/pings").json().at("pings").as_array();
  ASSERT_EQ(pings.size(), 5u);
  EXPECT_EQ(pings[0].at("kind"), "fail");
  EXPECT_EQ(pings[1].at("kind"), "fail");
  EXPECT_EQ(pings[2].at("kind"), "log");
  EXPECT_EQ(pings[3].at("kind"), "success");
  EXPECT_EQ(pings[3].at("rid").as_string(), kRid);
  EXPECT_EQ(As(key_, "GET",
               "/monitors/job/pings/" + std::to_string(pings[2].at("n").as_int64()) + "/body")
                .body,
            "a line");
}

TEST_P(ProjectsApiTest, PingByUuidErrorsAreHealthchecksPlainText) {
  ASSERT_EQ(As(key_, "PUT", "/monitors/job", "{}").status, 201u);
  const std::string uuid = Uuid(key_, "job");
  const std::string unknown = "11111111-2222-4333-8444-555555555555";
  ExpectText(Plain("GET", "/ping/" + unknown), 404, "not found");
  // An exit status above 255 is checked after the lookup.
  ExpectText(Plain("GET", "/ping/" + unknown + "/256"), 404, "not found");
  ExpectText(Plain("GET", "/ping/" + uuid + "/256"), 400, "invalid url format");
  ExpectText(Plain("GET", "/ping/" + uuid + "?rid=nope"), 400, "invalid uuid format");
  ExpectText(Plain("GET", "/ping/" + uuid + "?rid="), 400, "invalid uuid format");
  // An upper-case rid is a uuid (case-insensitive); unknown parameters are ignored.
  std::string upper = kRid;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ExpectText(Plain("GET", "/ping/" + uuid + "/start?rid=" + upper + "&foo=bar"), 200, "OK");
  // An upper-case uuid is no route of Healthchecks'.
  std::string upper_uuid = uuid;
  for (char& c : upper_uuid) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(Plain("GET", "/ping/" + upper_uuid).status, 404u);
  // A deleted monitor's uuid is gone, also once remembered; a monitor made again under
  // the same slug has a new uuid.
  ASSERT_EQ(As(key_, "DELETE", "/monitors/job").status, 204u);
  ExpectText(Plain("GET", "/ping/" + uuid), 404, "not found");
  ASSERT_EQ(As(key_, "GET", "/heartbeat/job").status, 200u);
  EXPECT_NE(Uuid(key_, "job"), uuid);
  ExpectText(Plain("GET", "/ping/" + uuid), 404, "not found");
  EXPECT_EQ(Slugs(key_), std::vector<std::string>{"job"});
}

TEST_P(ProjectsApiTest, PingBySlugNeedsThePingKeyAndCreatesOnlyWithCreateOne) {
  const std::string base = "/ping/" + billing_ping_key_;
  ExpectText(Plain("GET", base + "/db-backup"), 404, "not found");
  ExpectText(Plain("GET", base + "/db-backup?create=true"), 404, "not found");
  EXPECT_TRUE(Slugs(billing_).empty());
  ExpectText(Plain("GET", base + "/db-backup?create=1"), 201, "Created");
  ExpectText(Plain("GET", base + "/db-backup?create=1"), 200, "OK");
  ExpectText(Plain("GET", base + "/db-backup"), 200, "OK");
  EXPECT_EQ(Slugs(billing_), std::vector<std::string>{"db-backup"});
  EXPECT_TRUE(Slugs(key_).empty());  // in billing, not default
  // Healthchecks' slugs may hold '_'.
  ExpectText(Plain("POST", base + "/db_backup_2/start?create=1"), 201, "Created");
  // Capitals are a bad URL; an unknown or malformed ping key is not found.
  ExpectText(Plain("GET", base + "/DB-backup"), 400, "invalid url format");
  ExpectText(Plain("GET", "/ping/abcdefghijklmnopqrstuv/db-backup"), 404, "not found");
  ExpectText(Plain("GET", "/ping/short/db-backup"), 404, "not found");
  // The signals.
  ExpectText(Plain("POST", base + "/db-backup/start?rid=" + kRid), 200, "OK");
  ExpectText(Plain("POST", base + "/db-backup/1?rid=" + kRid, "exit 1"), 200, "OK");
  json::object m = Monitor(billing_, "db-backup");
  EXPECT_EQ(m.at("failed"), true);
  EXPECT_EQ(m.at("last_exit_code").as_int64(), 1);
  ExpectText(Plain("GET", base + "/db-backup/log"), 200, "OK");
  ExpectText(Plain("GET", base + "/db-backup/fail"), 200, "OK");
  ExpectText(Plain("GET", base + "/db-backup/300"), 400, "invalid url format");
  ExpectText(Plain("GET", base + "/no-such/300"), 404, "not found");
  ExpectText(Plain("GET", base + "/db-backup?rid=x"), 400, "invalid uuid format");
}

TEST_P(ProjectsApiTest, ARotatedPingKeyStopsWorking) {
  const std::string old_key = billing_ping_key_;
  ExpectText(Plain("GET", "/ping/" + old_key + "/job?create=1"), 201, "Created");
  const std::string fresh = *GeneratePingKey();
  ASSERT_TRUE(Await<void>([&](Callback<void> cb) {
                server_.store().SetPingKey("billing", fresh, std::move(cb));
              }).ok());
  server_.RefreshKeys();
  ExpectText(Plain("GET", "/ping/" + old_key + "/job"), 404, "not found");
  ExpectText(Plain("GET", "/ping/" + fresh + "/job"), 200, "OK");
}

TEST_P(ProjectsApiTest, RunitorsFlowStartsThenEndsARunWithItsCodeAndOutput) {
  // runitor: POST /start?rid=R, run, then POST /<exit code>?rid=R with the output.
  ASSERT_EQ(As(key_, "PUT", "/monitors/nightly", "{\"interval\":\"1d\",\"grace\":\"1h\"}").status,
            201u);
  const std::string base = "/ping/" + Uuid(key_, "nightly");
  ExpectText(client_.Request("POST", base + "/start?rid=" + kRid,
                             {{"User-Agent", "runitor/v1.3.0 (+https://bdd.fi/x/runitor)"}}, ""),
             200, "OK");
  server_.clock().Advance(milliseconds(42'000));
  ExpectText(client_.Request("POST", base + "/3?rid=" + kRid,
                             {{"User-Agent", "runitor/v1.3.0 (+https://bdd.fi/x/runitor)"}},
                             "step 1\nstep 2 failed\n"),
             200, "OK");
  json::object m = Monitor(key_, "nightly");
  EXPECT_EQ(m.at("running"), false);
  EXPECT_EQ(m.at("failed"), true);
  EXPECT_EQ(m.at("last_exit_code").as_int64(), 3);
  EXPECT_EQ(m.at("last_duration_ms").as_int64(), 42'000);
  json::array pings = As(key_, "GET", "/monitors/nightly/pings").json().at("pings").as_array();
  ASSERT_EQ(pings.size(), 2u);
  EXPECT_EQ(pings[0].at("kind"), "fail");
  EXPECT_EQ(pings[0].at("exit_code").as_int64(), 3);
  EXPECT_EQ(pings[0].at("duration_ms").as_int64(), 42'000);
  EXPECT_EQ(pings[0].at("user_agent"), "runitor/v1.3.0 (+https://bdd.fi/x/runitor)");
  EXPECT_EQ(pings[1].at("kind"), "start");
  EXPECT_EQ(As(key_, "GET",
               "/monitors/nightly/pings/" + std::to_string(pings[0].at("n").as_int64()) + "/body")
                .body,
            "step 1\nstep 2 failed\n");
}

}  // namespace
}  // namespace heartbeat::testing
