// The HTTP API of SPEC §4 through a real server on loopback, a real SQLite file and a
// FakeClock: every endpoint, its exact JSON shapes and status codes, authentication,
// routing errors, and the monitor semantics that the API exposes.

#include <gtest/gtest.h>
#include <time.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/api_key.h"
#include "core/project.h"
#include "support/test_server.h"

namespace heartbeat {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::HttpClient;
using testing::HttpResponse;
using testing::MemoryStoreOnly;
using testing::StoreKind;
using testing::StoreKindParamName;
using testing::TestServer;

constexpr std::int64_t kDay = 24 * 3600;

// RFC 3339 in UTC, whole seconds, computed independently of the production formatter.
std::string Rfc3339(UnixMillis ms) {
  time_t secs = static_cast<time_t>(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
  tm parts{};
  gmtime_r(&secs, &parts);
  char out[32];
  strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return out;
}

std::int64_t Secs(UnixMillis ms) { return ms / 1000; }

std::set<std::string> AllowSet(const std::string& allow) {
  std::set<std::string> out;
  std::string item;
  for (char c : allow + ",") {
    if (c == ',') {
      if (!item.empty()) out.insert(item);
      item.clear();
    } else if (c != ' ') {
      item += c;
    }
  }
  return out;
}

// An error answer: the given status and {"error": "<non-empty sentence>"} as JSON.
void ExpectJsonError(const HttpResponse& res, unsigned status, bool head = false) {
  EXPECT_EQ(res.status, status);
  EXPECT_EQ(res.header("content-type").rfind("application/json", 0), 0u)
      << "content-type: " << res.header("content-type");
  if (head) {
    EXPECT_TRUE(res.body.empty());
    return;
  }
  json::value v;
  ASSERT_NO_THROW(v = res.json()) << res.body;
  ASSERT_TRUE(v.is_object()) << res.body;
  const json::object& o = v.as_object();
  EXPECT_EQ(o.size(), 1u) << res.body;
  ASSERT_TRUE(o.contains("error")) << res.body;
  ASSERT_TRUE(o.at("error").is_string()) << res.body;
  EXPECT_FALSE(o.at("error").as_string().empty()) << res.body;
}

class ApiTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  HttpResponse Call(const std::string& method, const std::string& target,
                    const std::string& body = {}) {
    return client_.Request(method, target, {{"Authorization", "Bearer " + key_}}, body);
  }
  HttpResponse Get(const std::string& target) { return Call("GET", target); }

  // GET /monitors/{slug}, which must answer 200 with an object.
  json::object Monitor(const std::string& slug) {
    HttpResponse res = Get("/monitors/" + slug);
    EXPECT_EQ(res.status, 200u) << res.body;
    json::value v = res.status == 200 ? res.json() : json::value(json::object());
    EXPECT_TRUE(v.is_object());
    return v.is_object() ? v.as_object() : json::object();
  }

  json::array List() {
    HttpResponse res = Get("/monitors");
    EXPECT_EQ(res.status, 200u) << res.body;
    json::value v = res.json();
    return v.as_object().at("monitors").as_array();
  }

  std::vector<std::string> ListedSlugs() {
    std::vector<std::string> out;
    for (const json::value& m : List()) out.emplace_back(m.at("slug").as_string());
    return out;
  }

  // Pings and expects 200 "ok"; returns next_due.
  std::string Ping(const std::string& slug, const std::string& query = {}) {
    HttpResponse res = Get("/heartbeat/" + slug + query);
    EXPECT_EQ(res.status, 200u) << res.body;
    return res.status == 200 ? std::string(res.json().at("next_due").as_string()) : "";
  }

  UnixMillis Now() { return server_.clock().Now(); }
  void Advance(milliseconds d) { server_.clock().Advance(d); }

  // Creates project `project` (unless it is the default one) and a key acting in it.
  std::string AddKeyIn(const std::string& project, bool read_only) {
    if (project != kDefaultProject) {
      Status added = Await<void>([&](Callback<void> cb) {
        server_.store().AddProject({project, *GeneratePingKey(), Now()}, std::move(cb));
      });
      EXPECT_TRUE(added.ok() || added.error().code == ErrorCode::kConflict);
    }
    std::string key = *GenerateApiKey();
    ApiKeyRecord record{HashApiKey(key), project + " key", Now(), std::nullopt};
    record.project = project;
    record.read_only = read_only;
    Status s =
        Await<void>([&](Callback<void> cb) { server_.store().AddKey(record, std::move(cb)); });
    EXPECT_TRUE(s.ok());
    server_.RefreshKeys();
    return key;
  }

  TestServer server_{{}, "", GetParam()};
  std::string key_ = server_.AddKey();
  HttpClient client_ = server_.Client();
};

// The API's unit suite runs on the store in memory; tests/e2e runs the binary on SQLite and
// DynamoDB.
INSTANTIATE_TEST_SUITE_P(Stores, ApiTest, MemoryStoreOnly(), StoreKindParamName);

// --- pings ------------------------------------------------------------------------------

TEST_P(ApiTest, PingAnswersExactlyOkNextDueAndStatus) {
  HttpResponse res = Get("/heartbeat/backup");
  EXPECT_EQ(res.status, 200u);
  EXPECT_EQ(res.header("content-type").rfind("application/json", 0), 0u);
  json::value v = res.json();
  ASSERT_TRUE(v.is_object());
  const json::object& o = v.as_object();
  EXPECT_EQ(o.size(), 3u) << res.body;
  EXPECT_EQ(o.at("ok"), json::value(true));
  EXPECT_EQ(o.at("status"), json::value("ok"));
  // The fake clock starts at 2026-09-21T14:13:20Z; the default interval is 5 minutes.
  EXPECT_EQ(o.at("next_due"), json::value("2026-09-21T14:18:20Z"));
  EXPECT_EQ(o.at("next_due"), json::value(Rfc3339(Now() + 300'000)));
}

TEST_P(ApiTest, PingNextDueIsNowPlusIntervalInWholeSecondsUtc) {
  server_.clock().Set(1'790'000'000'750);  // not on a whole second
  HttpResponse res = Get("/heartbeat/backup?interval=1h30m");
  ASSERT_EQ(res.status, 200u);
  EXPECT_EQ(res.json().at("next_due"), json::value("2026-09-21T15:43:20Z"));
  EXPECT_EQ(Monitor("backup").at("next_due"), json::value(1'790'005'400));
  EXPECT_EQ(Monitor("backup").at("last_ping"), json::value(1'790'000'000));
}

TEST_P(ApiTest, PingByPostWorksLikeGet) {
  HttpResponse res = Call("POST", "/heartbeat/nightly?interval=10m", "job output");
  EXPECT_EQ(res.status, 200u);
  json::object o = res.json().as_object();
  EXPECT_EQ(o.size(), 3u);
  EXPECT_EQ(o.at("ok"), json::value(true));
  EXPECT_EQ(o.at("status"), json::value("ok"));
  EXPECT_EQ(o.at("next_due"), json::value(Rfc3339(Now() + 600'000)));

  HttpResponse empty = Call("POST", "/heartbeat/nightly");
  EXPECT_EQ(empty.status, 200u);
  EXPECT_EQ(Monitor("nightly").at("interval_secs"), json::value(600));
}

TEST_P(ApiTest, PingByHeadHasNoBodyAndRecordsThePing) {
  HttpResponse res = Call("HEAD", "/heartbeat/probe?interval=2m");
  EXPECT_EQ(res.status, 200u);
  EXPECT_TRUE(res.body.empty());
  EXPECT_EQ(res.header("content-type").rfind("application/json", 0), 0u);
  json::object m = Monitor("probe");
  EXPECT_EQ(m.at("interval_secs"), json::value(120));
  EXPECT_EQ(m.at("last_ping"), json::value(Secs(Now())));
  // The connection is still in step: the next request on it is answered normally.
  EXPECT_EQ(Get("/monitors/probe").status, 200u);
}

TEST_P(ApiTest, FirstPingWithoutIntervalDefaultsToFiveMinutes) {
  Ping("fresh");
  json::object m = Monitor("fresh");
  EXPECT_EQ(m.at("interval_secs"), json::value(300));
  EXPECT_EQ(m.at("last_ping"), json::value(Secs(Now())));
  EXPECT_EQ(m.at("next_due"), json::value(Secs(Now()) + 300));
  EXPECT_EQ(m.at("status"), json::value("ok"));
}

TEST_P(ApiTest, FirstPingWithIntervalUsesIt) {
  EXPECT_EQ(Ping("hourly", "?interval=1h"), Rfc3339(Now() + 3'600'000));
  EXPECT_EQ(Monitor("hourly").at("interval_secs"), json::value(3600));
}

TEST_P(ApiTest, PingWithoutIntervalKeepsStoredInterval) {
  Ping("job", "?interval=1h");
  Advance(seconds(600));
  EXPECT_EQ(Ping("job"), Rfc3339(Now() + 3'600'000));
  json::object m = Monitor("job");
  EXPECT_EQ(m.at("interval_secs"), json::value(3600));
  EXPECT_EQ(m.at("last_ping"), json::value(Secs(Now())));
  EXPECT_EQ(m.at("next_due"), json::value(Secs(Now()) + 3600));
}

TEST_P(ApiTest, PingWithIntervalUpdatesStoredInterval) {
  Ping("job", "?interval=1h");
  Advance(seconds(60));
  EXPECT_EQ(Ping("job", "?interval=2m"), Rfc3339(Now() + 120'000));
  EXPECT_EQ(Monitor("job").at("interval_secs"), json::value(120));
  Advance(seconds(60));
  Ping("job");
  EXPECT_EQ(Monitor("job").at("interval_secs"), json::value(120));
}

// --- the interval grammar through a query string -----------------------------------------

TEST_P(ApiTest, IntervalGrammarIsAcceptedThroughTheQueryString) {
  const std::vector<std::pair<std::string, std::int64_t>> cases = {
      {"1h%2030m", 5400},
      {"1h+30m", 5400},  // '+' is a space in a query string
      {"90%20seconds", 90},
      {"300", 300},
      {"5m", 300},
      {"1h", 3600},
      {"2h30m", 9000},
      {"1%20h%2030%20m", 5400},
      {"1h%20%2030m", 5400},
      {"30s", 30},
      {"30sec", 30},
      {"30secs", 30},
      {"30second", 30},
      {"30seconds", 30},
      {"1m", 60},
      {"1min", 60},
      {"1mins", 60},
      {"1minute", 60},
      {"1minutes", 60},
      {"1h", 3600},
      {"1hr", 3600},
      {"1hrs", 3600},
      {"1hour", 3600},
      {"1hours", 3600},
      {"1d", 86400},
      {"1day", 86400},
      {"1days", 86400},
      {"1w", 604800},
      {"1week", 604800},
      {"1weeks", 604800},
      {"1w2d3h4m5s", 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5},
  };
  int n = 0;
  for (const auto& [query, secs] : cases) {
    std::string slug = "grammar-" + std::to_string(n++);
    HttpResponse res = Get("/heartbeat/" + slug + "?interval=" + query);
    ASSERT_EQ(res.status, 200u) << query << ": " << res.body;
    EXPECT_EQ(res.json().at("next_due"), json::value(Rfc3339(Now() + secs * 1000))) << query;
    EXPECT_EQ(Monitor(slug).at("interval_secs"), json::value(secs)) << query;
  }
}

TEST_P(ApiTest, IntervalBoundsAreThirtySecondsToThreeHundredSixtyFiveDaysInclusive) {
  EXPECT_EQ(Ping("low", "?interval=30"), Rfc3339(Now() + 30'000));
  EXPECT_EQ(Ping("low-s", "?interval=30s"), Rfc3339(Now() + 30'000));
  EXPECT_EQ(Ping("high", "?interval=365d"), Rfc3339(Now() + 365 * kDay * 1000));
  EXPECT_EQ(Ping("high-s", "?interval=31536000"), Rfc3339(Now() + 365 * kDay * 1000));
  EXPECT_EQ(Monitor("high").at("interval_secs"), json::value(31'536'000));

  for (const std::string bad :
       {"29", "29s", "0", "0s", "365d1s", "31536001", "366d", "53w", "99999999999999999999999"}) {
    HttpResponse res = Get("/heartbeat/out-of-range?interval=" + bad);
    ExpectJsonError(res, 400);
  }
  EXPECT_EQ(Get("/monitors/out-of-range").status, 404u);
}

TEST_P(ApiTest, EmptyIntervalIsRejected) {
  ExpectJsonError(Get("/heartbeat/empty?interval="), 400);
  ExpectJsonError(Get("/heartbeat/empty?interval"), 400);
  ExpectJsonError(Get("/heartbeat/empty?interval=%20"), 400);
  ExpectJsonError(Get("/heartbeat/empty?interval=+"), 400);
  EXPECT_EQ(Get("/monitors/empty").status, 404u);
}

TEST_P(ApiTest, MalformedIntervalIsRejectedWithAnErrorSentence) {
  for (const std::string bad :
       {"5x", "5%20parsecs", "abc", "m", "h1", "1h30", "-5m", "1.5h", "5M", "1H", "5m%2C1h",
        "1h-30m", "0x20", "5mm", "%E2%80%8B5m", "1%09h%0A"}) {
    HttpResponse res = Get("/heartbeat/malformed?interval=" + bad);
    ExpectJsonError(res, 400);
    if (res.status == 400) {
      std::string message(res.json().at("error").as_string());
      EXPECT_NE(message.find("interval"), std::string::npos) << bad << ": " << message;
    }
  }
  EXPECT_EQ(Get("/monitors/malformed").status, 404u);
}

TEST_P(ApiTest, BadIntervalChangesNothing) {
  Ping("steady", "?interval=1h");
  UnixMillis pinged = Now();
  Advance(seconds(120));
  ExpectJsonError(Get("/heartbeat/steady?interval=7parsecs"), 400);
  json::object m = Monitor("steady");
  EXPECT_EQ(m.at("interval_secs"), json::value(3600));
  EXPECT_EQ(m.at("last_ping"), json::value(Secs(pinged)));
  EXPECT_EQ(m.at("next_due"), json::value(Secs(pinged) + 3600));
}

TEST_P(ApiTest, IntervalGivenTwiceIsRejected) {
  ExpectJsonError(Get("/heartbeat/twice?interval=1m&interval=2m"), 400);
  ExpectJsonError(Get("/heartbeat/twice?interval=5m&interval=5m"), 400);
  EXPECT_EQ(Get("/monitors/twice").status, 404u);
}

TEST_P(ApiTest, UnknownQueryParameterIsRejected) {
  ExpectJsonError(Get("/heartbeat/q?foo=1"), 400);
  ExpectJsonError(Get("/heartbeat/q?interval=5m&foo=1"), 400);
  ExpectJsonError(Get("/heartbeat/q?Interval=5m"), 400);
  ExpectJsonError(Get("/heartbeat/q?verbose"), 400);
  ExpectJsonError(Call("POST", "/heartbeat/q/fail?foo=1"), 400);
  EXPECT_EQ(Get("/monitors/q").status, 404u);
  ExpectJsonError(Get("/monitors?foo=1"), 400);
  Ping("q");
  ExpectJsonError(Get("/monitors/q?foo=1"), 400);
  ExpectJsonError(Call("DELETE", "/monitors/q?foo=1"), 400);
  ExpectJsonError(Call("POST", "/monitors/q/pause?foo=1"), 400);
  EXPECT_EQ(Monitor("q").at("status"), json::value("ok"));
}

// --- fail -----------------------------------------------------------------------------------

TEST_P(ApiTest, FailAnswersExactlyOkAndOverdue) {
  HttpResponse res = Call("POST", "/heartbeat/cron/fail");
  EXPECT_EQ(res.status, 200u);
  EXPECT_EQ(res.header("content-type").rfind("application/json", 0), 0u);
  json::value v = res.json();
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v.as_object().size(), 2u) << res.body;
  EXPECT_EQ(v.at("ok"), json::value(true));
  EXPECT_EQ(v.at("status"), json::value("overdue"));
}

TEST_P(ApiTest, FailCreatesOverdueMonitorWithNullLastPing) {
  ASSERT_EQ(Call("POST", "/heartbeat/cron/fail").status, 200u);
  json::object m = Monitor("cron");
  EXPECT_EQ(m.at("slug"), json::value("cron"));
  EXPECT_TRUE(m.at("last_ping").is_null()) << json::serialize(m);
  EXPECT_EQ(m.at("status"), json::value("overdue"));
  EXPECT_EQ(m.at("interval_secs"), json::value(300));
  ASSERT_TRUE(m.contains("failed"));
  EXPECT_EQ(m.at("failed"), json::value(true));
  json::array list = List();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_TRUE(list[0].at("last_ping").is_null());
  EXPECT_EQ(list[0].at("status"), json::value("overdue"));
}

TEST_P(ApiTest, FailMakesRunningMonitorOverdueAtOnceAndPingRecoversIt) {
  Ping("cron", "?interval=1h");
  UnixMillis pinged = Now();
  Advance(seconds(10));
  HttpResponse res = Call("POST", "/heartbeat/cron/fail");
  ASSERT_EQ(res.status, 200u);
  EXPECT_EQ(res.json().at("status"), json::value("overdue"));
  json::object m = Monitor("cron");
  EXPECT_EQ(m.at("status"), json::value("overdue"));
  EXPECT_EQ(m.at("last_ping"), json::value(Secs(pinged)));
  EXPECT_EQ(m.at("interval_secs"), json::value(3600));
  EXPECT_EQ(m.at("failed"), json::value(true));

  Advance(seconds(10));
  HttpResponse ping = Get("/heartbeat/cron");
  ASSERT_EQ(ping.status, 200u);
  EXPECT_EQ(ping.json().at("status"), json::value("ok"));
  json::object after = Monitor("cron");
  EXPECT_EQ(after.at("status"), json::value("ok"));
  EXPECT_EQ(after.at("last_ping"), json::value(Secs(Now())));
  EXPECT_TRUE(!after.contains("failed") || after.at("failed") == json::value(false));
}

TEST_P(ApiTest, FailOnPausedMonitorIsRecordedAndTakesEffectOnUnpause) {
  Ping("cron", "?interval=1h");
  ASSERT_EQ(Call("POST", "/monitors/cron/pause").status, 204u);
  HttpResponse res = Call("POST", "/heartbeat/cron/fail");
  ASSERT_EQ(res.status, 200u);
  EXPECT_EQ(res.json().at("ok"), json::value(true));
  EXPECT_EQ(Monitor("cron").at("status"), json::value("paused"));
  ASSERT_EQ(Call("POST", "/monitors/cron/unpause").status, 204u);
  json::object m = Monitor("cron");
  EXPECT_EQ(m.at("status"), json::value("overdue"));
  EXPECT_EQ(m.at("failed"), json::value(true));
}

TEST_P(ApiTest, FailMovesTheExpiry) {
  ASSERT_EQ(Call("POST", "/heartbeat/failed-only/fail").status, 200u);
  Ping("pinged");
  Advance(seconds(60 * kDay));
  ASSERT_EQ(Call("POST", "/heartbeat/pinged/fail").status, 200u);
  Advance(seconds(30 * kDay));
  ExpectJsonError(Get("/monitors/failed-only"), 404);
  EXPECT_EQ(ListedSlugs(), std::vector<std::string>{"pinged"});
  EXPECT_EQ(Monitor("pinged").at("status"), json::value("overdue"));
  Advance(seconds(60 * kDay));
  ExpectJsonError(Get("/monitors/pinged"), 404);
}

TEST_P(ApiTest, FailAcceptsGetPostAndHeadAndNoOtherMethod) {
  for (const std::string method : {"PUT", "DELETE", "PATCH"}) {
    HttpResponse res = Call(method, "/heartbeat/cron/fail");
    ExpectJsonError(res, 405);
    EXPECT_EQ(AllowSet(res.header("allow")), (std::set<std::string>{"GET", "POST", "HEAD"}))
        << method;
  }
  EXPECT_EQ(Get("/monitors/cron").status, 404u);
  for (const std::string method : {"GET", "HEAD"}) {
    const std::string slug = method == "GET" ? "cron-get" : "cron-head";
    HttpResponse res = Call(method, "/heartbeat/" + slug + "/fail");
    EXPECT_EQ(res.status, 200u) << method;
    EXPECT_EQ(Monitor(slug).at("status"), json::value("overdue"));
  }
}

// --- monitors -------------------------------------------------------------------------------

TEST_P(ApiTest, ListIsEmptyAtFirst) {
  HttpResponse res = Get("/monitors");
  EXPECT_EQ(res.status, 200u);
  EXPECT_EQ(res.header("content-type").rfind("application/json", 0), 0u);
  EXPECT_EQ(res.json(), json::parse(R"({"monitors":[]})"));
}

TEST_P(ApiTest, ListIsSortedBySlugWithTheDocumentedFields) {
  Ping("zeta", "?interval=1m");
  Advance(seconds(1));
  Ping("alpha", "?interval=2m");
  Advance(seconds(1));
  Ping("mid-1");
  Advance(seconds(1));
  Ping("0day", "?interval=1d");
  Ping("alpha-2");
  ASSERT_EQ(Call("POST", "/heartbeat/failing/fail").status, 200u);

  HttpResponse res = Get("/monitors");
  ASSERT_EQ(res.status, 200u);
  json::value v = res.json();
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v.as_object().size(), 1u) << res.body;
  EXPECT_EQ(ListedSlugs(),
            (std::vector<std::string>{"0day", "alpha", "alpha-2", "failing", "mid-1", "zeta"}));

  const UnixMillis t0 = 1'790'000'000'000;
  for (const json::value& item : v.at("monitors").as_array()) {
    const json::object& m = item.as_object();
    for (const char* field : {"slug", "status", "last_ping", "next_due", "interval_secs"}) {
      EXPECT_TRUE(m.contains(field)) << field << " missing in " << json::serialize(m);
    }
    EXPECT_TRUE(m.at("slug").is_string());
    EXPECT_TRUE(m.at("status").is_string());
    EXPECT_TRUE(m.at("next_due").is_int64());
    EXPECT_TRUE(m.at("interval_secs").is_int64());
    EXPECT_TRUE(m.at("last_ping").is_int64() || m.at("last_ping").is_null());
  }
  json::object zeta = v.at("monitors").as_array()[5].as_object();
  EXPECT_EQ(zeta.at("slug"), json::value("zeta"));
  EXPECT_EQ(zeta.at("status"), json::value("ok"));
  EXPECT_EQ(zeta.at("last_ping"), json::value(Secs(t0)));
  EXPECT_EQ(zeta.at("next_due"), json::value(Secs(t0) + 60));
  EXPECT_EQ(zeta.at("interval_secs"), json::value(60));
  json::object alpha = v.at("monitors").as_array()[1].as_object();
  EXPECT_EQ(alpha.at("last_ping"), json::value(Secs(t0) + 1));
  EXPECT_EQ(alpha.at("next_due"), json::value(Secs(t0) + 1 + 120));
  EXPECT_EQ(alpha.at("interval_secs"), json::value(120));
  json::object failing = v.at("monitors").as_array()[3].as_object();
  EXPECT_TRUE(failing.at("last_ping").is_null());
  EXPECT_EQ(failing.at("status"), json::value("overdue"));
}

TEST_P(ApiTest, ListReturnsEveryMonitorBeyondOnePage) {
  // Created through the store in one burst (group-committed), then listed over HTTP.
  constexpr int kCount = 1005;
  std::mutex mu;
  std::condition_variable cv;
  int done = 0;
  int failed = 0;
  for (int i = 0; i < kCount; ++i) {
    char slug[16];
    std::snprintf(slug, sizeof slug, "m-%04d", kCount - 1 - i);
    server_.store().Ping(slug, std::nullopt, Now(), [&](Result<heartbeat::Monitor> r) {
      std::lock_guard lock(mu);
      ++done;
      if (!r.ok()) ++failed;
      cv.notify_all();
    });
  }
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done == kCount; });
  }
  ASSERT_EQ(failed, 0);
  std::vector<std::string> slugs = ListedSlugs();
  ASSERT_EQ(slugs.size(), static_cast<std::size_t>(kCount));
  for (int i = 0; i < kCount; ++i) {
    char slug[16];
    std::snprintf(slug, sizeof slug, "m-%04d", i);
    ASSERT_EQ(slugs[i], slug);
  }
}

TEST_P(ApiTest, GetMonitorReturnsTheBareObjectAsListed) {
  Ping("web", "?interval=90s");
  Ping("worker");
  HttpResponse res = Get("/monitors/web");
  EXPECT_EQ(res.status, 200u);
  EXPECT_EQ(res.header("content-type").rfind("application/json", 0), 0u);
  json::value v = res.json();
  ASSERT_TRUE(v.is_object());
  EXPECT_FALSE(v.as_object().contains("monitors"));
  EXPECT_EQ(v.at("slug"), json::value("web"));
  EXPECT_EQ(v.at("status"), json::value("ok"));
  EXPECT_EQ(v.at("last_ping"), json::value(Secs(Now())));
  EXPECT_EQ(v.at("next_due"), json::value(Secs(Now()) + 90));
  EXPECT_EQ(v.at("interval_secs"), json::value(90));
  json::array list = List();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0], v);
}

TEST_P(ApiTest, GetAbsentMonitorIs404) {
  ExpectJsonError(Get("/monitors/ghost"), 404);
  Ping("other");
  ExpectJsonError(Get("/monitors/ghost"), 404);
}

TEST_P(ApiTest, DeleteAnswers204ThenTheMonitorIsGone) {
  Ping("doomed");
  Ping("kept");
  HttpResponse res = Call("DELETE", "/monitors/doomed");
  EXPECT_EQ(res.status, 204u);
  EXPECT_TRUE(res.body.empty());
  ExpectJsonError(Get("/monitors/doomed"), 404);
  EXPECT_EQ(ListedSlugs(), std::vector<std::string>{"kept"});
  ExpectJsonError(Call("DELETE", "/monitors/doomed"), 404);
  ExpectJsonError(Call("DELETE", "/monitors/never-was"), 404);
}

TEST_P(ApiTest, DeletedMonitorStartsAfreshOnTheNextPing) {
  Ping("again", "?interval=1h");
  ASSERT_EQ(Call("DELETE", "/monitors/again").status, 204u);
  Ping("again");
  EXPECT_EQ(Monitor("again").at("interval_secs"), json::value(300));
}

TEST_P(ApiTest, PauseAndUnpauseOfAbsentMonitorAre404) {
  ExpectJsonError(Call("POST", "/monitors/ghost/pause"), 404);
  ExpectJsonError(Call("POST", "/monitors/ghost/unpause"), 404);
  EXPECT_TRUE(List().empty());
}

TEST_P(ApiTest, PauseAnswers204AndMakesStatusPaused) {
  Ping("nap", "?interval=1m");
  HttpResponse res = Call("POST", "/monitors/nap/pause");
  EXPECT_EQ(res.status, 204u);
  EXPECT_TRUE(res.body.empty());
  EXPECT_EQ(Monitor("nap").at("status"), json::value("paused"));
  // Past the deadline a paused monitor is still paused, not overdue.
  Advance(seconds(3600));
  EXPECT_EQ(Monitor("nap").at("status"), json::value("paused"));
  EXPECT_EQ(List()[0].at("status"), json::value("paused"));
  // Pausing twice is fine.
  EXPECT_EQ(Call("POST", "/monitors/nap/pause").status, 204u);
}

TEST_P(ApiTest, PingToPausedMonitorIsRecordedButStaysPaused) {
  Ping("nap", "?interval=1m");
  ASSERT_EQ(Call("POST", "/monitors/nap/pause").status, 204u);
  Advance(seconds(600));
  HttpResponse res = Get("/heartbeat/nap?interval=2m");
  ASSERT_EQ(res.status, 200u);
  json::object o = res.json().as_object();
  EXPECT_EQ(o.size(), 3u) << res.body;
  EXPECT_EQ(o.at("ok"), json::value(true));
  EXPECT_EQ(o.at("status"), json::value("paused"));
  EXPECT_EQ(o.at("next_due"), json::value(Rfc3339(Now() + 120'000)));
  json::object m = Monitor("nap");
  EXPECT_EQ(m.at("status"), json::value("paused"));
  EXPECT_EQ(m.at("last_ping"), json::value(Secs(Now())));
  EXPECT_EQ(m.at("interval_secs"), json::value(120));
}

TEST_P(ApiTest, UnpauseStartsAFreshPeriod) {
  Ping("nap", "?interval=1m");
  ASSERT_EQ(Call("POST", "/monitors/nap/pause").status, 204u);
  Advance(seconds(600));
  HttpResponse res = Call("POST", "/monitors/nap/unpause");
  EXPECT_EQ(res.status, 204u);
  EXPECT_TRUE(res.body.empty());
  const UnixMillis unpaused = Now();
  json::object m = Monitor("nap");
  EXPECT_EQ(m.at("status"), json::value("ok"));
  EXPECT_EQ(m.at("next_due"), json::value(Secs(unpaused) + 60));
  Advance(seconds(60));
  EXPECT_EQ(Monitor("nap").at("status"), json::value("ok"));
  Advance(milliseconds(1));
  EXPECT_EQ(Monitor("nap").at("status"), json::value("overdue"));
}

TEST_P(ApiTest, UnpauseOfRunningMonitorAnswers204) {
  Ping("awake");
  EXPECT_EQ(Call("POST", "/monitors/awake/unpause").status, 204u);
  EXPECT_EQ(Monitor("awake").at("status"), json::value("ok"));
}

// --- status and expiry ---------------------------------------------------------------------

TEST_P(ApiTest, StatusIsOkAtNextDueAndOverdueOnceItPasses) {
  Ping("tick", "?interval=1m");
  Advance(seconds(59));
  EXPECT_EQ(Monitor("tick").at("status"), json::value("ok"));
  Advance(seconds(1));  // now == next_due exactly
  EXPECT_EQ(Monitor("tick").at("status"), json::value("ok"));
  EXPECT_EQ(List()[0].at("status"), json::value("ok"));
  Advance(milliseconds(1));
  EXPECT_EQ(Monitor("tick").at("status"), json::value("overdue"));
  EXPECT_EQ(List()[0].at("status"), json::value("overdue"));
  Advance(seconds(3600));
  EXPECT_EQ(Monitor("tick").at("status"), json::value("overdue"));
  HttpResponse ping = Get("/heartbeat/tick");
  ASSERT_EQ(ping.status, 200u);
  EXPECT_EQ(ping.json().at("status"), json::value("ok"));
  EXPECT_EQ(Monitor("tick").at("status"), json::value("ok"));
}

TEST_P(ApiTest, MonitorExpiresNinetyDaysAfterItsLastPing) {
  Ping("old", "?interval=1h");
  Ping("young");
  Advance(seconds(90 * kDay - 1));
  Ping("young");
  EXPECT_EQ(Monitor("old").at("status"), json::value("overdue"));
  Advance(seconds(1));
  ExpectJsonError(Get("/monitors/old"), 404);
  EXPECT_EQ(ListedSlugs(), std::vector<std::string>{"young"});
  ExpectJsonError(Call("DELETE", "/monitors/old"), 404);
  ExpectJsonError(Call("POST", "/monitors/old/pause"), 404);
  ExpectJsonError(Call("POST", "/monitors/old/unpause"), 404);
  // A ping after expiry starts a new monitor, with the default interval.
  Ping("old");
  EXPECT_EQ(Monitor("old").at("interval_secs"), json::value(300));
}

TEST_P(ApiTest, PingMovesTheExpiry) {
  Ping("kept-alive");
  Advance(seconds(60 * kDay));
  Ping("kept-alive");
  Advance(seconds(60 * kDay));
  EXPECT_EQ(Monitor("kept-alive").at("status"), json::value("overdue"));
  Advance(seconds(30 * kDay));
  ExpectJsonError(Get("/monitors/kept-alive"), 404);
  EXPECT_TRUE(List().empty());
}

// --- healthz --------------------------------------------------------------------------------

TEST_P(ApiTest, HealthzAnswersOkWithoutAuthentication) {
  HttpResponse res = client_.Request("GET", "/healthz");
  EXPECT_EQ(res.status, 200u);
  EXPECT_EQ(res.header("content-type").rfind("application/json", 0), 0u);
  EXPECT_EQ(res.json(), json::parse(R"({"ok":true})"));
  HttpResponse bad_key = client_.Request("GET", "/healthz", {{"Authorization", "Bearer nope"}});
  EXPECT_EQ(bad_key.status, 200u);
  HttpResponse with_key = Get("/healthz");
  EXPECT_EQ(with_key.status, 200u);
  EXPECT_EQ(with_key.json(), json::parse(R"({"ok":true})"));
}

// --- authentication -------------------------------------------------------------------------

struct Route {
  std::string method;
  std::string target;
};

const std::vector<Route>& AuthenticatedRoutes() {
  static const std::vector<Route> routes = {
      {"GET", "/heartbeat/svc"},
      {"POST", "/heartbeat/svc"},
      {"HEAD", "/heartbeat/svc"},
      {"GET", "/heartbeat/svc?interval=5m"},
      {"POST", "/heartbeat/svc/fail"},
      {"GET", "/heartbeat/svc/fail"},
      {"POST", "/heartbeat/svc/start"},
      {"POST", "/heartbeat/svc/log"},
      {"POST", "/heartbeat/svc/0"},
      {"POST", "/heartbeat/svc/3"},
      {"PUT", "/monitors/svc"},
      {"PUT", "/monitors/other"},
      {"GET", "/monitors/svc/pings"},
      {"GET", "/monitors/svc/pings/1/body"},
      {"GET", "/monitors/svc/flips"},
      {"GET", "/monitors"},
      {"GET", "/monitors/svc"},
      {"DELETE", "/monitors/svc"},
      {"POST", "/monitors/svc/pause"},
      {"POST", "/monitors/svc/unpause"},
      // A slug that does not exist yet: authentication comes before any 404.
      {"GET", "/monitors/other"},
      {"DELETE", "/monitors/other"},
      {"POST", "/monitors/other/pause"},
      {"GET", "/heartbeat/other"},
  };
  return routes;
}

void ExpectUnauthorized(const HttpResponse& res, const Route& route, const std::string& how) {
  SCOPED_TRACE(route.method + " " + route.target + " with " + how);
  ExpectJsonError(res, 401, route.method == "HEAD");
  EXPECT_NE(res.header("www-authenticate").find("Bearer"), std::string::npos)
      << "WWW-Authenticate: '" << res.header("www-authenticate") << "'";
}

TEST_P(ApiTest, EveryApiRouteNeedsAValidBearerKey) {
  Ping("svc", "?interval=1h");
  const UnixMillis pinged = Now();
  Advance(seconds(5));
  const std::vector<std::pair<std::string, std::optional<std::string>>> credentials = {
      {"no Authorization header", std::nullopt},
      {"Basic scheme", "Basic dXNlcjpwYXNzd29yZA=="},
      {"Basic scheme with the key", "Basic " + key_},
      {"scheme only", "Bearer"},
      {"empty token", "Bearer "},
      {"blank token", "Bearer    "},
      {"empty header", ""},
      {"key without scheme", key_},
      {"other scheme", "Token " + key_},
      {"unknown key", "Bearer 0000000000000000000000000000000000000000000000000000000000000000"},
      {"garbage key", "Bearer not-a-key"},
      {"key with extra character", "Bearer " + key_ + "0"},
      {"truncated key", "Bearer " + key_.substr(0, 63)},
      {"two tokens", "Bearer " + key_ + " " + key_},
      {"scheme glued to key", "Bearer" + key_},
  };
  for (const auto& [how, header] : credentials) {
    for (const Route& route : AuthenticatedRoutes()) {
      std::map<std::string, std::string> headers;
      if (header) headers["Authorization"] = *header;
      HttpResponse res = client_.Request(route.method, route.target, headers);
      ExpectUnauthorized(res, route, how);
    }
  }
  // Nothing changed: svc is neither deleted, paused, failed nor pinged; nothing was created.
  EXPECT_EQ(ListedSlugs(), std::vector<std::string>{"svc"});
  json::object m = Monitor("svc");
  EXPECT_EQ(m.at("status"), json::value("ok"));
  EXPECT_EQ(m.at("last_ping"), json::value(Secs(pinged)));
  EXPECT_EQ(m.at("interval_secs"), json::value(3600));
  EXPECT_TRUE(!m.contains("failed") || m.at("failed") == json::value(false));
}

TEST_P(ApiTest, RevokedKeyIsRejectedOnEveryRoute) {
  std::string other = server_.AddKey("other");
  Ping("svc");
  ASSERT_EQ(client_.Authed("GET", "/monitors", other).status, 200u);

  std::string id = KeyIdFromHash(HashApiKey(other));
  Status revoked =
      Await<void>([&](Callback<void> cb) { server_.store().RevokeKey(id, std::move(cb)); });
  ASSERT_TRUE(revoked.ok()) << revoked.error().message;
  server_.RefreshKeys();

  for (const Route& route : AuthenticatedRoutes()) {
    HttpResponse res =
        client_.Request(route.method, route.target, {{"Authorization", "Bearer " + other}});
    ExpectUnauthorized(res, route, "revoked key");
  }
  // The key that was not revoked still works, and nothing changed.
  EXPECT_EQ(ListedSlugs(), std::vector<std::string>{"svc"});
  EXPECT_EQ(Monitor("svc").at("status"), json::value("ok"));
}

TEST_P(ApiTest, BearerSchemeIsCaseInsensitive) {
  EXPECT_EQ(client_.Request("GET", "/monitors", {{"Authorization", "bearer " + key_}}).status,
            200u);
  EXPECT_EQ(client_.Request("GET", "/monitors", {{"Authorization", "BEARER " + key_}}).status,
            200u);
}

TEST_P(ApiTest, SeveralKeysAreAcceptedAtOnce) {
  std::string second = server_.AddKey("second");
  EXPECT_EQ(client_.Authed("GET", "/heartbeat/a", key_).status, 200u);
  EXPECT_EQ(client_.Authed("GET", "/heartbeat/b", second).status, 200u);
  EXPECT_EQ(ListedSlugs(), (std::vector<std::string>{"a", "b"}));
}

// --- whoami -----------------------------------------------------------------------------

TEST_P(ApiTest, WhoamiNamesTheProjectAndRoleOfTheCallersKey) {
  EXPECT_EQ(Get("/whoami").json(), json::parse(R"({"project":"default","role":"read-write"})"));
  const std::string writer = AddKeyIn("ops", false);
  const std::string reader = AddKeyIn("ops", true);
  const std::string default_reader = AddKeyIn(std::string(kDefaultProject), true);

  HttpResponse res = client_.Authed("GET", "/whoami", writer);
  EXPECT_EQ(res.status, 200u);
  EXPECT_EQ(res.header("content-type").rfind("application/json", 0), 0u);
  EXPECT_EQ(res.json(), json::parse(R"({"project":"ops","role":"read-write"})"));
  res = client_.Authed("GET", "/whoami", reader);
  EXPECT_EQ(res.status, 200u);
  EXPECT_EQ(res.json(), json::parse(R"({"project":"ops","role":"read-only"})"));
  res = client_.Authed("GET", "/whoami", default_reader);
  EXPECT_EQ(res.status, 200u);
  EXPECT_EQ(res.json(), json::parse(R"({"project":"default","role":"read-only"})"));
  // HEAD: the same answer without its body, to a read-only key too.
  res = client_.Authed("HEAD", "/whoami", reader);
  EXPECT_EQ(res.status, 200u);
  EXPECT_TRUE(res.body.empty());
}

TEST_P(ApiTest, WhoamiWithoutAValidKeyIs401) {
  HttpResponse res = client_.Request("GET", "/whoami");
  ExpectJsonError(res, 401);
  EXPECT_EQ(res.header("www-authenticate"), "Bearer");
  ExpectJsonError(client_.Authed("GET", "/whoami", key_ + "0"), 401);
  ExpectJsonError(client_.Request("GET", "/whoami", {{"Authorization", "Basic " + key_}}), 401);
  ExpectJsonError(client_.Request("HEAD", "/whoami"), 401, /*head=*/true);
}

TEST_P(ApiTest, WhoamiOnlyReads) {
  HttpResponse res = client_.Authed("POST", "/whoami", key_);
  ExpectJsonError(res, 405);
  EXPECT_EQ(res.header("allow"), "GET, HEAD");
}

TEST_P(ApiTest, KeyUseReachesTheStore) {
  std::string hash = HashApiKey(key_);
  auto last_used = [&]() -> std::optional<UnixMillis> {
    Result<std::vector<ApiKeyRecord>> keys = Await<std::vector<ApiKeyRecord>>(
        [&](Callback<std::vector<ApiKeyRecord>> cb) { server_.store().ListKeys(std::move(cb)); });
    EXPECT_TRUE(keys.ok());
    for (const ApiKeyRecord& k : *keys) {
      if (k.key_hash == hash) return k.last_used_at;
    }
    ADD_FAILURE() << "key not listed";
    return std::nullopt;
  };
  auto flush = [&] {
    Status s = Await<void>([&](Callback<void> cb) { server_.keys().FlushUses(std::move(cb)); });
    ASSERT_TRUE(s.ok()) << s.error().message;
  };

  flush();
  EXPECT_FALSE(last_used().has_value());
  Advance(seconds(3600));
  ASSERT_EQ(Get("/monitors").status, 200u);
  flush();
  EXPECT_EQ(last_used(), std::optional<UnixMillis>(Now()));
  Advance(seconds(60));
  ASSERT_EQ(Get("/heartbeat/used").status, 200u);
  flush();
  EXPECT_EQ(last_used(), std::optional<UnixMillis>(Now()));
  // A rejected request is not a use of the key.
  const UnixMillis used = Now();
  Advance(seconds(60));
  ASSERT_EQ(client_.Request("GET", "/monitors", {{"Authorization", "Bearer wrong"}}).status, 401u);
  flush();
  EXPECT_EQ(last_used(), std::optional<UnixMillis>(used));
}

TEST_P(ApiTest, UnauthenticatedRequestIs401WhateverElseIsWrongWithIt) {
  // SPEC §4: a missing key is a 401 on every known API path, so nothing about the request
  // is validated (or revealed) for a client without a key.
  const std::vector<Route> requests = {
      {"GET", "/heartbeat/BAD_SLUG"},
      {"PUT", "/heartbeat/x"},
      {"GET", "/monitors/x/pause"},
      {"GET", "/heartbeat/x?interval=5parsecs"},
      {"GET", "/heartbeat/x?interval="},
      {"GET", "/heartbeat/x?foo=1"},
      {"GET", "/heartbeat/x?interval=1m&interval=2m"},
      {"GET", "/monitors?foo=1"},
  };
  for (const Route& r : requests) {
    ExpectUnauthorized(client_.Request(r.method, r.target), r, "no Authorization header");
  }
}

// --- routing errors -------------------------------------------------------------------------

TEST_P(ApiTest, UnknownPathsAre404WithOrWithoutAuth) {
  // "/" and "/ui/..." are the dashboard's (SPEC §6), so they are not listed here.
  for (const std::string path :
       {"/nope", "/heartbeat", "/heartbeat/a/b/c", "/heartbeat/a/fail/x", "/heartbeat/a/pause",
        "/monitors/a/b", "/monitors/a/pause/x", "/monitors/a/fail", "/healthz/x", "/monitor",
        "/monitors/a/b/c/d", "/HEARTBEAT/a", "/api/monitors"}) {
    SCOPED_TRACE(path);
    ExpectJsonError(client_.Request("GET", path), 404);
    ExpectJsonError(client_.Request("POST", path), 404);
    ExpectJsonError(Get(path), 404);
  }
  EXPECT_TRUE(List().empty());
}

TEST_P(ApiTest, WrongMethodOnKnownPathIs405WithAllow) {
  Ping("x");
  struct Case {
    std::string method;
    std::string target;
    std::set<std::string> required;  // methods the Allow header must list
  };
  const std::vector<Case> cases = {
      {"PUT", "/heartbeat/x", {"GET", "POST", "HEAD"}},
      {"DELETE", "/heartbeat/x", {"GET", "POST", "HEAD"}},
      {"PATCH", "/heartbeat/x", {"GET", "POST", "HEAD"}},
      {"DELETE", "/heartbeat/x/fail", {"GET", "POST", "HEAD"}},
      {"PUT", "/heartbeat/x/fail", {"GET", "POST", "HEAD"}},
      {"PUT", "/heartbeat/x/start", {"GET", "POST", "HEAD"}},
      {"DELETE", "/heartbeat/x/3", {"GET", "POST", "HEAD"}},
      {"POST", "/monitors/x/pings", {"GET"}},
      {"DELETE", "/monitors/x/pings/1/body", {"GET"}},
      {"POST", "/monitors", {"GET"}},
      {"DELETE", "/monitors", {"GET"}},
      {"PUT", "/monitors", {"GET"}},
      {"PATCH", "/monitors/x", {"GET", "DELETE"}},
      {"POST", "/monitors/x", {"GET", "DELETE"}},
      {"POST", "/monitors/x", {"GET", "PUT", "DELETE"}},
      {"GET", "/monitors/x/pause", {"POST"}},
      {"DELETE", "/monitors/x/pause", {"POST"}},
      {"GET", "/monitors/x/unpause", {"POST"}},
      {"PUT", "/monitors/x/unpause", {"POST"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.method + " " + c.target);
    HttpResponse res = Call(c.method, c.target);
    ExpectJsonError(res, 405);
    std::set<std::string> allow = AllowSet(res.header("allow"));
    for (const std::string& m : c.required) EXPECT_TRUE(allow.count(m)) << res.header("allow");
    EXPECT_FALSE(allow.count(c.method)) << res.header("allow");
  }
  // None of them had an effect.
  json::object m = Monitor("x");
  EXPECT_EQ(m.at("status"), json::value("ok"));
  EXPECT_EQ(ListedSlugs(), std::vector<std::string>{"x"});
}

TEST_P(ApiTest, BadSlugIs400OnEverySlugRoute) {
  const std::vector<std::string> bad_slugs = {
      "ABC",   "Abc",           "a_b",   std::string(65, 'a'),
      "-abc",  "abc-",          "-",     "a%2Fb",
      "%2F",   "a%2fb",         "a.b",   "a%20b",
      "a+b",   "%C3%A9t%C3%A9", "a%00b", "a~b",
      "a%5Cb", "a:b",
  };
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"GET", "/heartbeat/{}"},         {"POST", "/heartbeat/{}"},
      {"HEAD", "/heartbeat/{}"},        {"GET", "/heartbeat/{}?interval=5m"},
      {"POST", "/heartbeat/{}/fail"},   {"GET", "/monitors/{}"},
      {"DELETE", "/monitors/{}"},       {"POST", "/monitors/{}/pause"},
      {"POST", "/monitors/{}/unpause"},
  };
  for (const std::string& slug : bad_slugs) {
    for (const auto& [method, pattern] : routes) {
      std::string target = pattern;
      target.replace(target.find("{}"), 2, slug);
      SCOPED_TRACE(method + " " + target);
      ExpectJsonError(Call(method, target), 400, method == "HEAD");
    }
  }
  EXPECT_TRUE(List().empty());
}

TEST_P(ApiTest, SlugLimitsAreInclusive) {
  const std::string longest(64, 'z');
  for (const std::string& slug :
       {std::string("a"), std::string("0"), std::string("a-b-1"), std::string("a--b"), longest}) {
    EXPECT_EQ(Get("/heartbeat/" + slug).status, 200u) << slug;
    EXPECT_EQ(Monitor(slug).at("slug"), json::value(slug));
  }
  EXPECT_EQ(List().size(), 5u);
}

TEST_P(ApiTest, OddRequestsNeverLeakAsServerErrors) {
  // Requests whose exact answer the contract leaves open: whatever they get, it is not a
  // 5xx, and an error is a JSON error.
  const std::vector<Route> requests = {
      {"GET", "/heartbeat/x?interval=%FF"},
      {"GET", "/heartbeat/x?interval=%"},
      {"GET", "/heartbeat/%"},
      {"GET", "/heartbeat/x?=5m"},
      {"GET", "/heartbeat/x?&&"},
      {"GET", "/heartbeat/%FF%FE"},
      {"GET", "/monitors/x%00"},
      {"GET", "/heartbeat/x?interval=1h&"},
      {"OPTIONS", "/heartbeat/x"},
      {"TRACE", "/monitors"},
      {"GET", "/heartbeat//x"},
      {"GET", "/monitors/"},
  };
  for (const Route& r : requests) {
    SCOPED_TRACE(r.method + " " + r.target);
    HttpResponse res = Call(r.method, r.target);
    EXPECT_LT(res.status, 500u);
    if (res.status >= 400) ExpectJsonError(res, res.status);
  }
}

// --- store unavailable ----------------------------------------------------------------------

// A closed store answers every operation as unavailable: the simplest store outage.
TEST_P(ApiTest, UnavailableStoreMakesEveryApiRoute503) {
  Ping("svc");
  server_.store().Close();
  for (const Route& r : AuthenticatedRoutes()) {
    SCOPED_TRACE(r.method + " " + r.target);
    ExpectJsonError(Call(r.method, r.target), 503, r.method == "HEAD");
  }
  // Bad input is still the client's fault, and authentication still comes first.
  ExpectJsonError(Get("/heartbeat/x?interval=1parsec"), 400);
  ExpectJsonError(Get("/heartbeat/BAD"), 400);
  ExpectJsonError(Get("/nope"), 404);
  ExpectJsonError(client_.Request("GET", "/monitors"), 401);
}

TEST_P(ApiTest, HealthzAnswers503WhenTheStoreIsUnavailable) {
  ASSERT_EQ(client_.Request("GET", "/healthz").status, 200u);
  server_.store().Close();
  ASSERT_EQ(Get("/monitors").status, 503u);  // the store no longer answers
  ExpectJsonError(client_.Request("GET", "/healthz"), 503);
}

}  // namespace
}  // namespace heartbeat

namespace heartbeat::testing {
namespace {

// Rate limiting of failed authentication per client address (SPEC §4: 429 with
// Retry-After), with a small burst so that the test stays short.
TEST(AuthRateLimit, FailedAuthenticationsFromOneAddressGet429WithRetryAfter) {
  TempDir dir;
  auto opened = SqliteStore::Open({.path = dir.file("h.db")});
  ASSERT_TRUE(opened.ok());
  SqliteStore& store = **opened;
  KeyCache keys(store);
  FakeClock clock;
  std::string key = *GenerateApiKey();
  ASSERT_TRUE(Await<void>([&](Callback<void> cb) {
                store.AddKey({HashApiKey(key), "t", clock.Now(), std::nullopt}, std::move(cb));
              }).ok());
  ASSERT_TRUE(Await<void>([&](Callback<void> cb) { keys.Refresh(std::move(cb)); }).ok());
  http::ApiOptions api_options;
  api_options.limiter = {.burst = 5, .refill = std::chrono::milliseconds(2000)};
  http::Api api(store, keys, clock, api_options);
  http::ServerOptions options;
  options.bind = "127.0.0.1:0";
  options.threads = 1;
  http::Server server(options, [&](const http::Request& req, const http::RequestContext& ctx) {
    return api.Handle(req, ctx);
  });
  ASSERT_TRUE(server.Start().ok());
  HttpClient client(server.port());
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(client.Authed("GET", "/monitors", "wrong").status, 401u) << i;
  }
  HttpResponse limited = client.Authed("GET", "/monitors", "wrong");
  EXPECT_EQ(limited.status, 429u);
  EXPECT_EQ(limited.header("retry-after"), "2");
  EXPECT_FALSE(limited.json().at("error").as_string().empty());
  // While limited, even the right key waits: the address may not try.
  EXPECT_EQ(client.Authed("GET", "/monitors", key).status, 429u);
  // /healthz needs no key and is never limited.
  EXPECT_EQ(client.Request("GET", "/healthz").status, 200u);
  // A token comes back after `refill`.
  clock.Advance(std::chrono::milliseconds(2000));
  EXPECT_EQ(client.Authed("GET", "/monitors", key).status, 200u);
  EXPECT_EQ(client.Authed("GET", "/monitors", "wrong").status, 401u);
  EXPECT_EQ(client.Authed("GET", "/monitors", "wrong").status, 429u);
  client.Close();
  server.Stop();
  store.Close();
}

TEST(AuthRateLimit, LimiterForgetsAnAddressOnceItsBucketIsFull) {
  http::AuthLimiter limiter({.burst = 2, .refill = std::chrono::milliseconds(1000)});
  limiter.RecordFailure("10.0.0.1", 0);
  limiter.RecordFailure("10.0.0.1", 0);
  EXPECT_EQ(limiter.RetryAfter("10.0.0.1", 0), 1);
  EXPECT_FALSE(limiter.RetryAfter("10.0.0.2", 0).has_value());  // others unaffected
  EXPECT_FALSE(limiter.RetryAfter("10.0.0.1", 1000).has_value());
  EXPECT_FALSE(limiter.RetryAfter("10.0.0.1", 5000).has_value());
}

// --- schedules, zones and grace (SPEC §12) ----------------------------------------------

// The test clock starts at 2026-09-21T14:13:20Z (Unix 1,790,000,000): 17:13:20 in Riga
// (UTC+3 in September). The next 03:00 there is 2026-09-22T00:00:00Z.
TEST_P(ApiTest, APingSetsAScheduleInAZoneWithAGrace) {
  HttpResponse res = Get("/heartbeat/backup?schedule=0+3+*+*+*&tz=Europe/Riga&grace=15m");
  ASSERT_EQ(res.status, 200u) << res.body;
  EXPECT_EQ(res.json().at("next_due"), json::value("2026-09-22T00:00:00Z"));
  json::object m = Monitor("backup");
  EXPECT_EQ(m.at("schedule"), json::value("0 3 * * *"));
  EXPECT_EQ(m.at("tz"), json::value("Europe/Riga"));
  EXPECT_EQ(m.at("grace_secs"), json::value(900));
  EXPECT_EQ(m.at("next_due"), json::value(1'790'035'200));
  EXPECT_EQ(m.at("alert_at"), json::value(1'790'035'200 + 900));
  EXPECT_EQ(m.at("late"), json::value(false));
  // A plain ping keeps the settings and expects the next 03:00.
  Advance(milliseconds(1'790'035'260'000 - Now()));  // 03:01 in Riga
  EXPECT_EQ(Ping("backup"), "2026-09-23T00:00:00Z");
  // An interval replaces the schedule; the grace stays.
  EXPECT_EQ(Ping("backup", "?interval=1h"), Rfc3339(Now() + 3'600'000));
  json::object after = Monitor("backup");
  EXPECT_EQ(after.at("schedule"), json::value(nullptr));
  EXPECT_EQ(after.at("grace_secs"), json::value(900));
}

TEST_P(ApiTest, AMonitorIsLateDuringItsGraceAndOverdueAfterIt) {
  ASSERT_EQ(Ping("job", "?interval=5m&grace=10m").empty(), false);
  Advance(milliseconds(5 * 60'000 + 1'000));
  json::object late = Monitor("job");
  EXPECT_EQ(late.at("status"), json::value("ok"));
  EXPECT_EQ(late.at("late"), json::value(true));
  Advance(milliseconds(10 * 60'000));
  json::object overdue = Monitor("job");
  EXPECT_EQ(overdue.at("status"), json::value("overdue"));
  EXPECT_EQ(overdue.at("late"), json::value(false));
}

TEST_P(ApiTest, BadSettingsAre400NamingTheFieldAndChangeNothing) {
  Ping("kept", "?interval=10m");
  const json::object before = Monitor("kept");
  struct Case {
    std::string query;
    std::string field;
  };
  for (const Case& c : std::vector<Case>{
           {"?schedule=0+25+*+*+*", "schedule: "},
           {"?schedule=0+0+30+2+*", "schedule: "},
           {"?schedule=*+*+*+*", "schedule: "},
           {"?schedule=0+3+*+*+*&tz=Mars/Olympus", "tz: "},
           {"?interval=5m&schedule=0+3+*+*+*", "interval and schedule"},
           {"?grace=-5m", "grace: "},
           {"?grace=366d", "grace: "},
           {"?grace=soon", "grace: "},
           {"?schedule=0+3+*+*+*&schedule=0+4+*+*+*", "schedule given twice"},
       }) {
    for (const std::string slug : {"kept", "never-made"}) {
      HttpResponse res = Get("/heartbeat/" + slug + c.query);
      EXPECT_EQ(res.status, 400u) << c.query << " " << res.body;
      std::string error = res.status == 400 ? std::string(res.json().at("error").as_string()) : "";
      EXPECT_EQ(error.find(c.field), 0u) << c.query << ": " << error;
    }
  }
  EXPECT_EQ(Monitor("kept"), before);
  EXPECT_EQ(Get("/monitors/never-made").status, 404u);
}

}  // namespace
}  // namespace heartbeat::testing

// --- runs, exit codes, bodies and history (SPEC §12) ---------------------------------------

namespace heartbeat {
namespace {

class RunsApiTest : public ApiTest {
 protected:
  json::array Pings(const std::string& slug, const std::string& query = {}) {
    HttpResponse res = Get("/monitors/" + slug + "/pings" + query);
    EXPECT_EQ(res.status, 200u) << res.body;
    if (res.status != 200) return {};
    return res.json().at("pings").as_array();
  }
  // One step of the checker on every due monitor, as the checker takes it.
  void RunCheck() {
    Store& store = server_.store();
    auto due = Await<std::vector<heartbeat::Monitor>>(
        [&](Callback<std::vector<heartbeat::Monitor>> cb) { store.DueMonitors(Now(), 100, cb); });
    ASSERT_TRUE(due.ok());
    for (const heartbeat::Monitor& m : *due) {
      CheckStep step = Check(m, Now(), 3'600'000, {"telegram"});
      Status s = Await<void>([&](Callback<void> cb) { store.ApplyCheck(m, step, Now(), cb); });
      EXPECT_TRUE(s.ok());
    }
  }
};
INSTANTIATE_TEST_SUITE_P(Stores, RunsApiTest, MemoryStoreOnly(), StoreKindParamName);

const std::string kRid = "6b3c1e0a-90f4-4c1b-9a35-1f0e2d3c4b5a";

TEST_P(RunsApiTest, AMonitorObjectHasTheRunFields) {
  Ping("svc");
  json::object m = Monitor("svc");
  for (const char* field : {"max_runtime_secs", "running", "last_start", "last_duration_ms",
                            "last_exit_code", "alert_at", "late", "schedule", "tz", "grace_secs"}) {
    EXPECT_TRUE(m.contains(field)) << field << " missing in " << json::serialize(m);
  }
  EXPECT_EQ(m.at("running"), json::value(false));
  EXPECT_TRUE(m.at("last_start").is_null());
  EXPECT_TRUE(m.at("max_runtime_secs").is_null());
}

TEST_P(RunsApiTest, StartThenExitCodeWithTheSameRidRecordsARun) {
  HttpResponse started = Call("POST", "/heartbeat/job/start?rid=" + kRid);
  ASSERT_EQ(started.status, 200u) << started.body;
  EXPECT_EQ(started.body, R"({"ok":true,"running":true,"status":"ok"})");
  EXPECT_EQ(started.header("ping-body-limit"), "10000");
  json::object m = Monitor("job");
  EXPECT_EQ(m.at("running"), json::value(true));
  EXPECT_EQ(m.at("last_start"), json::value(Secs(Now())));
  EXPECT_TRUE(m.at("last_ping").is_null());
  Advance(milliseconds(2'500));
  HttpResponse ended = Call("POST", "/heartbeat/job/0?rid=" + kRid, "all done\n");
  ASSERT_EQ(ended.status, 200u) << ended.body;
  m = Monitor("job");
  EXPECT_EQ(m.at("running"), json::value(false));
  EXPECT_EQ(m.at("last_duration_ms"), json::value(2500));
  EXPECT_EQ(m.at("last_exit_code"), json::value(0));
  EXPECT_EQ(m.at("status"), json::value("ok"));
  json::array pings = Pings("job");
  ASSERT_EQ(pings.size(), 2u);
  EXPECT_EQ(pings[0].at("n"), json::value(2));
  EXPECT_EQ(pings[0].at("kind"), json::value("success"));
  EXPECT_EQ(pings[0].at("exit_code"), json::value(0));
  EXPECT_EQ(pings[0].at("rid"), json::value(kRid));
  EXPECT_EQ(pings[0].at("duration_ms"), json::value(2500));
  EXPECT_EQ(pings[0].at("method"), json::value("POST"));
  EXPECT_EQ(pings[0].at("remote_addr"), json::value("127.0.0.1"));
  EXPECT_EQ(pings[0].at("body_bytes"), json::value(9));
  EXPECT_EQ(pings[1].at("kind"), json::value("start"));
  EXPECT_TRUE(pings[1].at("duration_ms").is_null());
  HttpResponse body = Get("/monitors/job/pings/2/body");
  EXPECT_EQ(body.status, 200u);
  EXPECT_EQ(body.header("content-type"), "application/octet-stream");
  EXPECT_EQ(body.body, "all done\n");
  ExpectJsonError(Get("/monitors/job/pings/1/body"), 404);  // a start without a body
  ExpectJsonError(Get("/monitors/job/pings/9/body"), 404);
}

TEST_P(RunsApiTest, ANonZeroExitCodeIsAFailureThatKeepsTheCode) {
  ASSERT_EQ(Call("POST", "/heartbeat/job/3", "boom").status, 200u);
  json::object m = Monitor("job");
  EXPECT_EQ(m.at("status"), json::value("overdue"));
  EXPECT_EQ(m.at("last_exit_code"), json::value(3));
  EXPECT_EQ(Pings("job")[0].at("kind"), json::value("fail"));
  // 255 is the last exit status; 256 is a 400 and changes nothing.
  EXPECT_EQ(Call("GET", "/heartbeat/job/255").status, 200u);
  ExpectJsonError(Call("GET", "/heartbeat/job/256"), 400);
  EXPECT_EQ(Monitor("job").at("last_exit_code"), json::value(255));
  // Not a number: no such endpoint.
  ExpectJsonError(Call("GET", "/heartbeat/job/-1"), 404);
  ExpectJsonError(Call("GET", "/heartbeat/job/12345678901"), 404);
}

TEST_P(RunsApiTest, ALogIsRecordedOnlyAndChangesNoState) {
  Ping("job", "?interval=1h");
  json::object before = Monitor("job");
  Advance(seconds(10));
  ASSERT_EQ(Call("POST", "/heartbeat/job/log", "a note").status, 200u);
  json::object after = Monitor("job");
  EXPECT_EQ(after.at("last_ping"), before.at("last_ping"));
  EXPECT_EQ(after.at("next_due"), before.at("next_due"));
  EXPECT_EQ(after.at("status"), before.at("status"));
  json::array pings = Pings("job");
  ASSERT_EQ(pings.size(), 2u);
  EXPECT_EQ(pings[0].at("kind"), json::value("log"));
  EXPECT_EQ(Get("/monitors/job/pings/2/body").body, "a note");
}

TEST_P(RunsApiTest, BadRidsAndBadSettingsAre400AndChangeNothing) {
  for (const std::string target :
       {"/heartbeat/job/start?rid=", "/heartbeat/job/start?rid=123", "/heartbeat/job?rid=x",
        "/heartbeat/job/start?max_runtime=10s", "/heartbeat/job/fail?grace=-1",
        "/heartbeat/job/start?max_runtime=abc"}) {
    HttpResponse res = Call("POST", target);
    ExpectJsonError(res, 400);
    EXPECT_EQ(Get("/monitors/job").status, 404u) << target;
  }
  HttpResponse res = Call("POST", "/heartbeat/job/start?max_runtime=10s");
  EXPECT_NE(res.json().at("error").as_string().find("max_runtime"), json::string::npos) << res.body;
}

TEST_P(RunsApiTest, ABodyIsKeptUpToTheLimitAsBytes) {
  std::string body(15'000, 'a');
  body[0] = '\xff';  // not UTF-8: kept as sent
  ASSERT_EQ(Call("POST", "/heartbeat/job", body).status, 200u);
  json::array pings = Pings("job");
  ASSERT_EQ(pings.size(), 1u);
  EXPECT_EQ(pings[0].at("body_bytes"), json::value(10'000));
  EXPECT_EQ(Get("/monitors/job/pings/1/body").body, body.substr(0, 10'000));
}

TEST_P(RunsApiTest, TheHistoryIsNewestFirstLimitedAndNumberedWithoutRepeats) {
  for (int i = 0; i < 5; ++i) {
    Ping("job");
    Advance(seconds(1));
  }
  json::array two = Pings("job", "?limit=2");
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].at("n"), json::value(5));
  EXPECT_EQ(two[1].at("n"), json::value(4));
  ExpectJsonError(Get("/monitors/job/pings?limit=0"), 400);
  ExpectJsonError(Get("/monitors/job/pings?limit=abc"), 400);
  ExpectJsonError(Get("/monitors/nothing/pings"), 404);
  ExpectJsonError(Get("/monitors/nothing/flips"), 404);
}

TEST_P(RunsApiTest, FlipsRecordTheFailureAndTheRecovery) {
  ASSERT_EQ(Call("POST", "/heartbeat/job/fail").status, 200u);
  RunCheck();
  Advance(seconds(5));
  Ping("job");
  RunCheck();
  HttpResponse res = Get("/monitors/job/flips");
  ASSERT_EQ(res.status, 200u) << res.body;
  json::array flips = res.json().at("flips").as_array();
  ASSERT_EQ(flips.size(), 2u) << res.body;
  EXPECT_EQ(flips[0].at("status"), json::value("ok"));
  EXPECT_EQ(flips[1].at("status"), json::value("overdue"));
}

// --- PUT /monitors/{slug} ---

TEST_P(RunsApiTest, PutCreatesWith201ThenUpdatesWith200) {
  HttpResponse created = Call("PUT", "/monitors/backup",
                              R"({"schedule":"0 3 * * *","tz":"Europe/Riga","grace":"15m"})");
  ASSERT_EQ(created.status, 201u) << created.body;
  json::object m = created.json().as_object();
  EXPECT_EQ(m.at("schedule"), json::value("0 3 * * *"));
  EXPECT_EQ(m.at("tz"), json::value("Europe/Riga"));
  EXPECT_EQ(m.at("grace_secs"), json::value(900));
  EXPECT_TRUE(m.at("last_ping").is_null());
  EXPECT_EQ(m.at("created_at"), json::value(Secs(Now())));
  HttpResponse updated = Call("PUT", "/monitors/backup", R"({"grace":60,"max_runtime":"2h"})");
  ASSERT_EQ(updated.status, 200u) << updated.body;
  EXPECT_EQ(updated.json().at("grace_secs"), json::value(60));
  EXPECT_EQ(updated.json().at("max_runtime_secs"), json::value(7200));
  EXPECT_EQ(updated.json().at("schedule"), json::value("0 3 * * *"));
  HttpResponse interval =
      Call("PUT", "/monitors/backup", R"({"interval":"1h","max_runtime":null})");
  ASSERT_EQ(interval.status, 200u) << interval.body;
  EXPECT_TRUE(interval.json().at("schedule").is_null());
  EXPECT_TRUE(interval.json().at("max_runtime_secs").is_null());
  EXPECT_EQ(interval.json().at("interval_secs"), json::value(3600));
  EXPECT_EQ(Monitor("backup"), interval.json().as_object());
}

TEST_P(RunsApiTest, AMonitorMadeByPutThatIsNeverPingedGoesOverdue) {
  ASSERT_EQ(Call("PUT", "/monitors/never", R"({"interval":60})").status, 201u);
  Advance(seconds(61));
  EXPECT_EQ(Monitor("never").at("status"), json::value("overdue"));
}

TEST_P(RunsApiTest, BadPutBodiesAre400NamingTheFieldAndChangeNothing) {
  ASSERT_EQ(Call("PUT", "/monitors/job", R"({"interval":"5m"})").status, 201u);
  json::object before = Monitor("job");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"interval":"5m","bogus":1})", "bogus"},
      {R"({"interval":true})", "interval"},
      {R"({"interval":5})", "interval"},
      {R"({"interval":1.5})", "interval"},
      {R"({"grace":"-5m"})", "grace"},
      {R"({"grace":"400d"})", "grace"},
      {R"({"tz":"Mars/Olympus"})", "tz"},
      {R"({"tz":3})", "tz"},
      {R"({"schedule":"0 0 30 2 *"})", "schedule"},
      {R"({"schedule":5})", "schedule"},
      {R"({"max_runtime":"10s"})", "max_runtime"},
      {R"({"interval":"5m","schedule":"* * * * *"})", "interval and schedule"},
      {R"([1,2])", "object"},
      {R"({"interval":)", "JSON"},
  };
  for (const auto& [body, field] : cases) {
    HttpResponse res = Call("PUT", "/monitors/job", body);
    ExpectJsonError(res, 400);
    if (res.status == 400) {
      EXPECT_NE(res.json().at("error").as_string().find(field), json::string::npos)
          << body << " -> " << res.body;
    }
  }
  EXPECT_EQ(Monitor("job"), before);
  ExpectJsonError(Call("PUT", "/monitors/Bad_Slug", "{}"), 400);
}

}  // namespace
}  // namespace heartbeat
