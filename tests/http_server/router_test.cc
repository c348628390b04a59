// Routing as one table (SPEC §11): the API's table seen from outside (each route's methods,
// Allow header, key policy and metrics label, unknown paths), and the Router's reading of a
// table of its own (patterns, {slug}, query, label registration, malformed tables).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/metrics.h"
#include "http_server/route_support.h"
#include "http_server/router.h"
#include "support/prometheus.h"
#include "support/test_server.h"

namespace heartbeat::testing {
namespace {

using boost::beast::http::verb;
using ::testing::HasSubstr;
using ::testing::Not;

// The API's routes as SPEC §4 and §10 give them, written here independently of the table.
struct ExpectedRoute {
  const char* target;
  const char* label;
  const char* allow;
  const char* wrong_method;
  bool needs_key;
};
const ExpectedRoute kExpectedRoutes[] = {
    {"/heartbeat/job", "ping", "GET, POST, HEAD", "DELETE", true},
    {"/heartbeat/job/start", "start", "GET, POST, HEAD", "PUT", true},
    {"/heartbeat/job/fail", "fail", "GET, POST, HEAD", "DELETE", true},
    {"/heartbeat/job/log", "log", "GET, POST, HEAD", "PUT", true},
    {"/heartbeat/job/7", "exit_code", "GET, POST, HEAD", "DELETE", true},
    {"/monitors", "monitors", "GET, HEAD", "POST", true},
    {"/monitors/job", "monitor", "GET, HEAD, PUT, DELETE", "POST", true},
    {"/monitors/job/pings", "pings", "GET, HEAD", "POST", true},
    {"/monitors/job/pings/3/body", "ping_body", "GET, HEAD", "POST", true},
    {"/monitors/job/flips", "flips", "GET, HEAD", "DELETE", true},
    {"/monitors/job/pause", "pause", "POST", "GET", true},
    {"/monitors/job/unpause", "unpause", "POST", "DELETE", true},
    {"/monitors/job/snooze?for=1h", "snooze", "POST", "GET", true},
    {"/monitors/job/unsnooze", "unsnooze", "POST", "PUT", true},
    {"/channels", "channels", "GET, HEAD, POST", "DELETE", true},
    {"/channels/ops", "channel", "DELETE", "GET", true},
    {"/channels/ops/test", "channel_test", "POST", "GET", true},
    {"/whoami", "whoami", "GET, HEAD", "POST", true},
    {"/ping/0f0e0d0c-0b0a-4009-8807-060504030201", "hc_ping", "GET, POST, HEAD", "DELETE", false},
    {"/ping/0f0e0d0c-0b0a-4009-8807-060504030201/start", "hc_start", "GET, POST, HEAD", "PUT",
     false},
    {"/ping/0f0e0d0c-0b0a-4009-8807-060504030201/fail", "hc_fail", "GET, POST, HEAD", "DELETE",
     false},
    {"/ping/0f0e0d0c-0b0a-4009-8807-060504030201/log", "hc_log", "GET, POST, HEAD", "PUT", false},
    {"/ping/0f0e0d0c-0b0a-4009-8807-060504030201/7", "hc_exit_code", "GET, POST, HEAD", "DELETE",
     false},
    {"/healthz", "healthz", "GET, HEAD", "POST", false},
    {"/metrics", "metrics", "GET, HEAD", "PUT", false},
    {"/ui/", "dashboard", "GET, HEAD", "POST", false},
};

double RequestCount(HttpClient& client, const std::string& route, const std::string& code) {
  HttpResponse res = client.Request("GET", "/metrics");
  EXPECT_EQ(res.status, 200u);
  Exposition e = ParsePrometheus(res.body);
  EXPECT_EQ(e.error, "") << res.body;
  return e
      .Value("heartbeat_http_request_duration_seconds_count", {{"route", route}, {"code", code}})
      .value_or(0.0);
}

TEST(RouteTable, EachRouteAnswersAWrongMethod405WithItsAllowHeaderUnderItsLabel) {
  TestServer server;
  std::string key = server.AddKey();
  HttpClient client = server.Client();
  for (const ExpectedRoute& r : kExpectedRoutes) {
    HttpResponse res = client.Authed(r.wrong_method, r.target, key);
    EXPECT_EQ(res.status, 405u) << r.target;
    EXPECT_EQ(res.header("allow"), r.allow) << r.target;
    EXPECT_THAT(res.json().at("error").as_string().c_str(), HasSubstr(r.allow)) << r.target;
    EXPECT_EQ(RequestCount(client, r.label, "405"), 1.0) << r.target;
  }
}

TEST(RouteTable, EachAllowedMethodReachesTheHandlerUnderItsLabel) {
  TestServer server;
  std::string key = server.AddKey();
  HttpClient client = server.Client();
  ASSERT_EQ(client.Authed("GET", "/heartbeat/job", key).status, 200u);
  double scrapes = 0;  // RequestCount's own GET /metrics, counted under "metrics"
  for (const ExpectedRoute& r : kExpectedRoutes) {
    std::string allow = r.allow;
    std::string method = allow.substr(0, allow.find(','));
    HttpResponse res = client.Authed(method, r.target, key);
    if (std::string(r.label) == "ping_body") {
      // The handler's own 404: "job" has no body numbered 3.
      EXPECT_EQ(res.status, 404u) << res.body;
      EXPECT_THAT(res.body, HasSubstr("no body of ping 3"));
    } else if (std::string(r.label) == "channel" || std::string(r.label) == "channel_test") {
      // The handler's own 404: the project has no channel "ops".
      EXPECT_EQ(res.status, 404u) << res.body;
      EXPECT_THAT(res.body, HasSubstr("no channel ops"));
    } else if (std::string(r.label).starts_with("hc_")) {
      // The handler's own 404: no monitor has that uuid.
      EXPECT_EQ(res.status, 404u) << res.body;
      EXPECT_EQ(res.body, "not found");
    } else {
      EXPECT_THAT(res.status, ::testing::AnyOf(200u, 204u)) << method << " " << r.target;
    }
    double expected = 1;
    if (std::string(r.label) == "ping") expected = 2;
    if (std::string(r.label) == "metrics") expected = scrapes + 1;
    EXPECT_EQ(RequestCount(client, r.label, std::to_string(res.status)), expected) << r.target;
    ++scrapes;
  }
}

TEST(RouteTable, KeyRoutesAnswer401BeforeTheMethodAndPublicRoutesNever) {
  TestServer server;
  HttpClient client = server.Client();
  for (const ExpectedRoute& r : kExpectedRoutes) {
    HttpResponse wrong_method = client.Request(r.wrong_method, r.target);
    EXPECT_EQ(wrong_method.status, r.needs_key ? 401u : 405u) << r.target;
    if (r.needs_key) {
      EXPECT_EQ(wrong_method.header("www-authenticate"), "Bearer") << r.target;
      EXPECT_EQ(RequestCount(client, r.label, "401"), 1.0) << r.target;
    }
  }
}

TEST(RouteTable, UnknownPathsAre404UnderTheUnknownLabel) {
  TestServer server;
  std::string key = server.AddKey();
  HttpClient client = server.Client();
  const char* unknown[] = {"/nope",         "/heartbeat",      "/heartbeat/a/b",
                           "/monitors/a/b", "/monitors/a/b/c", "/HEALTHZ",
                           "/healthz/x",    "/ui/nope.js",     "/a/b/c/d/e"};
  for (const char* target : unknown) {
    HttpResponse res = client.Authed("GET", target, key);
    EXPECT_EQ(res.status, 404u) << target;
    EXPECT_THAT(res.json().at("error").as_string().c_str(), HasSubstr("no such endpoint"))
        << target;
  }
  EXPECT_EQ(RequestCount(client, "unknown", "404"), static_cast<double>(std::size(unknown)));
}

// A Router over a table of its own, driven without a server.
class RouterTest : public ::testing::Test {
 protected:
  RouterTest() : store_(OpenTestStore(StoreKind::kSqlite, dir_.path())), keys_(*store_) {}
  ~RouterTest() override { store_->Close(); }

  http::Response Call(http::Router& router, verb method, const std::string& target) {
    http::Request req{method, target, 11};
    http::RequestContext context{"127.0.0.1"};
    boost::asio::io_context ioc;
    auto done = boost::asio::co_spawn(ioc, router.Handle(req, context), boost::asio::use_future);
    ioc.run();
    return done.get();
  }

  // A route whose handler answers 200 with "<slug>|<param>".
  static http::Route Echo(std::string_view pattern, std::string_view label,
                          http::QuerySpec query = http::kNoQuery) {
    return {.pattern = pattern,
            .methods = {verb::get},
            .access = http::Access::kPublic,
            .label = label,
            .query = query,
            .handler = [](http::RouteCall& c) {
              return http::Ready(http::Json(c.version(), boost::beast::http::status::ok,
                                            c.slug + "|" + c.Param("n").value_or("-")));
            }};
  }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<Store> store_;
  KeyCache keys_;
};

TEST_F(RouterTest, PatternsMatchWholeSegmentsAndCaptureAValidSlug) {
  std::vector<http::Route> routes;
  routes.push_back(Echo("/things", "things"));
  routes.push_back(Echo("/things/{slug}/poke", "poke"));
  http::Router router(std::move(routes), keys_, clock_);
  EXPECT_EQ(Call(router, verb::get, "/things").body(), "|-");
  EXPECT_EQ(Call(router, verb::get, "/things/abc-1/poke").body(), "abc-1|-");
  EXPECT_EQ(Call(router, verb::get, "/things/ab%63/poke").body(), "abc|-");  // decoded
  EXPECT_EQ(Call(router, verb::get, "/things/Bad/poke").result_int(), 400u);
  EXPECT_EQ(Call(router, verb::get, "/things/abc").result_int(), 404u);
  EXPECT_EQ(Call(router, verb::get, "/things/abc/poke/x").result_int(), 404u);
  EXPECT_EQ(Call(router, verb::get, "/thing").result_int(), 404u);
  http::Response post = Call(router, verb::post, "/things/abc/poke");
  EXPECT_EQ(post.result_int(), 405u);
  EXPECT_EQ(post[boost::beast::http::field::allow], "GET");
}

TEST_F(RouterTest, UuidAnyAndVersionSegmentsAreCapturedAndATrailingSlashIsOptional) {
  http::RouteHandler echo = [](http::RouteCall& c) {
    std::string args;
    for (const std::string& a : c.args) args += a + ",";
    return http::Ready(http::Json(c.version(), boost::beast::http::status::ok,
                                  std::to_string(c.api_version) + "|" + c.uuid + "|" + args));
  };
  http::Router router({{.pattern = "/u/{uuid}",
                        .methods = {verb::get},
                        .access = http::Access::kPublic,
                        .label = "u",
                        .handler = echo,
                        .trailing_slash = true},
                       {.pattern = "/a/{any}/{any}",
                        .methods = {verb::get},
                        .access = http::Access::kPublic,
                        .label = "a",
                        .handler = echo},
                       {.pattern = "/api/{v}/x",
                        .methods = {verb::get},
                        .access = http::Access::kPublic,
                        .label = "v",
                        .handler = echo,
                        .trailing_slash = true}},
                      keys_, clock_);
  const std::string uuid = "0f0e0d0c-0b0a-4009-8807-060504030201";
  EXPECT_EQ(Call(router, verb::get, "/u/" + uuid).body(), "0|" + uuid + "|");
  EXPECT_EQ(Call(router, verb::get, "/u/" + uuid + "/").body(), "0|" + uuid + "|");
  EXPECT_EQ(Call(router, verb::get, "/u/" + uuid + "//").result_int(), 404u);
  EXPECT_EQ(Call(router, verb::get, "/u/0F0E0D0C-0B0A-4009-8807-060504030201").result_int(), 404u);
  EXPECT_EQ(Call(router, verb::get, "/u/not-a-uuid").result_int(), 404u);
  EXPECT_EQ(Call(router, verb::get, "/a/k1/Some_Slug").body(), "0||k1,Some_Slug,");
  EXPECT_EQ(Call(router, verb::get, "/a//x").result_int(), 404u);
  EXPECT_EQ(Call(router, verb::get, "/a/k1/x/").result_int(), 404u);  // no trailing slash here
  EXPECT_EQ(Call(router, verb::get, "/api/v1/x").body(), "1||");
  EXPECT_EQ(Call(router, verb::get, "/api/v3/x/").body(), "3||");
  EXPECT_EQ(Call(router, verb::get, "/api/v4/x").result_int(), 404u);
}

TEST_F(RouterTest, ALenientQueryTakesItsParametersOnceAndIgnoresTheRest) {
  http::Router router({Echo("/p", "p", http::LenientParameters("n"))}, keys_, clock_);
  EXPECT_EQ(Call(router, verb::get, "/p?n=1&other=2&n=3").body(), "|1");
  EXPECT_EQ(Call(router, verb::get, "/p?x").body(), "|-");
}

TEST_F(RouterTest, ACorsRouteAnswersOptions204AndEveryAnswerCarriesTheHeaders) {
  http::Route route = Echo("/c", "c");
  route.cors = true;
  route.access = http::Access::kApiKey;
  http::Router router({route}, keys_, clock_);
  http::Response options = Call(router, verb::options, "/c");
  EXPECT_EQ(options.result_int(), 204u);  // before the key is asked for
  EXPECT_EQ(options[boost::beast::http::field::access_control_allow_origin], "*");
  http::Response refused = Call(router, verb::get, "/c");
  EXPECT_EQ(refused.result_int(), 401u);
  EXPECT_EQ(refused[boost::beast::http::field::access_control_allow_origin], "*");
  EXPECT_EQ(refused[boost::beast::http::field::access_control_allow_headers], "X-Api-Key");
}

TEST_F(RouterTest, TheLongestPatternsMatchWithTheirSlashAndLongerPathsNever) {
  std::vector<http::Route> routes;
  routes.push_back(Echo("/a/b/c/d/e/f/g", "seven"));
  routes.back().trailing_slash = true;
  routes.push_back(Echo("/a/b/c/d/e/f", "six"));
  routes.back().trailing_slash = true;
  http::Router router(std::move(routes), keys_, clock_);
  EXPECT_EQ(Call(router, verb::get, "/a/b/c/d/e/f/g").result_int(), 200u);
  EXPECT_EQ(Call(router, verb::get, "/a/b/c/d/e/f/g/").result_int(), 200u);
  EXPECT_EQ(Call(router, verb::get, "/a/b/c/d/e/f/").result_int(), 200u);
  // Longer paths, whose cut would end in an empty segment, match nothing.
  EXPECT_EQ(Call(router, verb::get, "/a/b/c/d/e/f/g//x").result_int(), 404u);
  EXPECT_EQ(Call(router, verb::get, "/a/b/c/d/e/f/g/h").result_int(), 404u);
  EXPECT_EQ(Call(router, verb::get, "/a/b/c/d/e/f//x/y/z").result_int(), 404u);
}

TEST_F(RouterTest, AQueryParameterIsTakenOnceAndAnyOtherRefused) {
  std::vector<http::Route> routes;
  routes.push_back(Echo("/a/{slug}", "a", http::QueryParameters("n")));
  routes.push_back(Echo("/b", "b", http::kAnyQuery));
  routes.push_back(Echo("/c", "c"));
  http::Router router(std::move(routes), keys_, clock_);
  EXPECT_EQ(Call(router, verb::get, "/a/x?n=1%202").body(), "x|1 2");
  EXPECT_EQ(Call(router, verb::get, "/a/x?n").body(), "x|");
  EXPECT_EQ(Call(router, verb::get, "/a/x?n=1&n=2").result_int(), 400u);
  EXPECT_EQ(Call(router, verb::get, "/a/x?m=1").result_int(), 400u);
  EXPECT_EQ(Call(router, verb::get, "/b?anything=1&n=2").body(), "|-");
  EXPECT_EQ(Call(router, verb::get, "/c?n=1").result_int(), 400u);
  // The query is checked before the method.
  EXPECT_EQ(Call(router, verb::post, "/c?n=1").result_int(), 400u);
}

TEST_F(RouterTest, KeyRoutesRefuseRequestsWithoutAValidKey) {
  std::vector<http::Route> routes;
  routes.push_back(Echo("/open", "open"));
  routes.push_back(Echo("/closed", "closed"));
  routes.back().access = http::Access::kApiKey;
  http::Router router(std::move(routes), keys_, clock_);
  EXPECT_EQ(Call(router, verb::get, "/open").result_int(), 200u);
  EXPECT_EQ(Call(router, verb::get, "/closed").result_int(), 401u);
  EXPECT_EQ(Call(router, verb::post, "/closed").result_int(), 401u);
}

TEST_F(RouterTest, LabelsAreRegisteredInTableOrderThenUnknownAndCountEachRequest) {
  Metrics metrics;
  std::vector<http::Route> routes;
  routes.push_back(Echo("/first", "first"));
  routes.push_back(Echo("/second/{slug}", "second"));
  http::RouterOptions options;
  options.metrics = &metrics;
  http::Router router(std::move(routes), keys_, clock_, options);
  // Registering again returns the router's handles.
  EXPECT_EQ(metrics.RegisterRoute("first").index, 0u);
  EXPECT_EQ(metrics.RegisterRoute("second").index, 1u);
  EXPECT_EQ(metrics.RegisterRoute(http::Router::kUnknownLabel).index, 2u);
  Call(router, verb::get, "/second/x");
  Call(router, verb::get, "/second/x");
  Call(router, verb::post, "/first");
  Call(router, verb::get, "/third");
  std::string text = metrics.Render({}, 0);
  EXPECT_THAT(
      text,
      HasSubstr(R"(heartbeat_http_request_duration_seconds_count{route="second",code="200"} 2)"));
  EXPECT_THAT(
      text,
      HasSubstr(R"(heartbeat_http_request_duration_seconds_count{route="first",code="405"} 1)"));
  EXPECT_THAT(
      text,
      HasSubstr(R"(heartbeat_http_request_duration_seconds_count{route="unknown",code="404"} 1)"));
  EXPECT_THAT(text, Not(HasSubstr(R"(route="first",code="200")")));
}

TEST_F(RouterTest, AMalformedTableIsAStartUpError) {
  auto build = [&](http::Route route) {
    std::vector<http::Route> routes;
    routes.push_back(std::move(route));
    http::Router router(std::move(routes), keys_, clock_);
  };
  EXPECT_NO_THROW(build(Echo("/ok/{slug}", "ok")));
  EXPECT_THROW(build(Echo("no-slash", "x")), std::invalid_argument);
  EXPECT_THROW(build(Echo("/x/{id}", "x")), std::invalid_argument);
  EXPECT_THROW(build(Echo("/{slug}/{slug}", "x")), std::invalid_argument);
  EXPECT_NO_THROW(build(Echo("/x/{slug}/{n}/y", "x")));
  EXPECT_THROW(build(Echo("/x/{code}/{n}", "x")), std::invalid_argument);
  EXPECT_NO_THROW(build(Echo("/a/b/c/d/e/f/g", "x")));
  EXPECT_THROW(build(Echo("/a/b/c/d/e/f/g/h", "x")), std::invalid_argument);
  EXPECT_THROW(build(Echo("/x", "")), std::invalid_argument);
  http::Route no_methods = Echo("/x", "x");
  no_methods.methods.clear();
  EXPECT_THROW(build(std::move(no_methods)), std::invalid_argument);
}

TEST(MetricsLabels, StatusCodesNotRegisteredCountAsOther) {
  Metrics metrics;
  RouteLabel route = metrics.RegisterRoute("r");
  metrics.RegisterStatusCode(200);
  metrics.ObserveRequest(route, 200, 0.001);
  metrics.ObserveRequest(route, 418, 0.001);
  std::string text = metrics.Render({}, 0);
  EXPECT_THAT(
      text, HasSubstr(R"(heartbeat_http_request_duration_seconds_count{route="r",code="200"} 1)"));
  EXPECT_THAT(
      text,
      HasSubstr(R"(heartbeat_http_request_duration_seconds_count{route="r",code="other"} 1)"));
  StoreOpLabel op = metrics.RegisterStoreOperation("op");
  metrics.ObserveStoreOperation(op, 0.001);
  EXPECT_THAT(text + metrics.Render({}, 0),
              HasSubstr(R"(heartbeat_store_operation_duration_seconds_count{op="op"} 1)"));
}

}  // namespace
}  // namespace heartbeat::testing
