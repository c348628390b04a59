// /metrics: Prometheus text format, counters that move with pings, requests and alerts,
// the optional bearer token.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/prometheus.h"
#include "support/test_server.h"

namespace heartbeat::testing {
namespace {

using ::testing::HasSubstr;

Exposition Scrape(HttpClient& client, const std::map<std::string, std::string>& headers = {}) {
  HttpResponse res = client.Request("GET", "/metrics", headers);
  EXPECT_EQ(res.status, 200u) << res.body;
  EXPECT_THAT(res.header("content-type"), HasSubstr("text/plain"));
  Exposition e = ParsePrometheus(res.body);
  EXPECT_EQ(e.error, "") << res.body;
  return e;
}

TEST(Metrics, ExpositionParsesAndHasTheSpecifiedFamilies) {
  TestServer server;
  HttpClient client = server.Client();
  Exposition e = Scrape(client);
  EXPECT_EQ(e.types["heartbeat_pings_total"], "counter");
  EXPECT_EQ(e.types["heartbeat_monitors"], "gauge");
  EXPECT_EQ(e.types["heartbeat_alerts_total"], "counter");
  EXPECT_EQ(e.types["heartbeat_alerts_pending"], "gauge");
  EXPECT_EQ(e.types["heartbeat_http_request_duration_seconds"], "histogram");
  EXPECT_EQ(e.types["heartbeat_checker_cycle_seconds"], "histogram");
  EXPECT_EQ(e.types["heartbeat_store_operation_duration_seconds"], "histogram");
  for (const char* status : {"ok", "overdue", "paused"}) {
    EXPECT_EQ(e.Value("heartbeat_monitors", {{"status", status}}), 0.0) << status;
  }
  for (const char* kind : {"overdue", "failed", "repeat", "recovered"}) {
    for (const char* result : {"sent", "failed"}) {
      EXPECT_EQ(e.Value("heartbeat_alerts_total", {{"kind", kind}, {"result", result}}), 0.0);
    }
  }
}

TEST(Metrics, CountersMoveWithPingsRequestsAndMonitorStatus) {
  TestServer server;
  std::string key = server.AddKey();
  HttpClient client = server.Client();
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(client.Authed("GET", "/heartbeat/job-" + std::to_string(i), key).status, 200u);
  }
  ASSERT_EQ(client.Authed("GET", "/heartbeat/job-0", key).status, 200u);
  ASSERT_EQ(
      client.Request("POST", "/heartbeat/db/fail", {{"Authorization", "Bearer " + key}}).status,
      200u);
  ASSERT_EQ(
      client.Request("POST", "/monitors/job-2/pause", {{"Authorization", "Bearer " + key}}).status,
      204u);
  ASSERT_EQ(client.Authed("GET", "/monitors", "wrong").status, 401u);

  Exposition e = Scrape(client);
  EXPECT_EQ(e.Value("heartbeat_pings_total"), 4.0);
  EXPECT_EQ(e.Value("heartbeat_monitors", {{"status", "ok"}}), 2.0);
  EXPECT_EQ(e.Value("heartbeat_monitors", {{"status", "overdue"}}), 1.0);
  EXPECT_EQ(e.Value("heartbeat_monitors", {{"status", "failed"}}), 1.0);
  EXPECT_EQ(e.Value("heartbeat_monitors", {{"status", "paused"}}), 1.0);
  EXPECT_EQ(e.Value("heartbeat_http_request_duration_seconds_count",
                    {{"route", "ping"}, {"code", "200"}}),
            4.0);
  EXPECT_EQ(e.Value("heartbeat_http_request_duration_seconds_count",
                    {{"route", "monitors"}, {"code", "401"}}),
            1.0);
  EXPECT_EQ(e.Value("heartbeat_store_operation_duration_seconds_count", {{"op", "ping"}}), 4.0);

  // Time passes: the ok monitors become overdue; the gauge follows.
  server.clock().Advance(std::chrono::minutes(6));
  e = Scrape(client);
  EXPECT_EQ(e.Value("heartbeat_monitors", {{"status", "ok"}}), 0.0);
  EXPECT_EQ(e.Value("heartbeat_monitors", {{"status", "overdue"}}), 3.0);
}

TEST(Metrics, AlertCountersAndCheckerCycles) {
  TestServer server;
  server.metrics().CountAlert(AlertKind::kFailed, true);
  server.metrics().CountAlert(AlertKind::kOverdue, false);
  server.metrics().CountAlert(AlertKind::kOverdue, false);
  server.metrics().ObserveCheckerCycle(0.002);
  HttpClient client = server.Client();
  Exposition e = Scrape(client);
  EXPECT_EQ(e.Value("heartbeat_alerts_total", {{"kind", "failed"}, {"result", "sent"}}), 1.0);
  EXPECT_EQ(e.Value("heartbeat_alerts_total", {{"kind", "overdue"}, {"result", "failed"}}), 2.0);
  EXPECT_EQ(e.Value("heartbeat_checker_cycle_seconds_count"), 1.0);
  EXPECT_EQ(e.Value("heartbeat_checker_cycle_seconds_bucket", {{"le", "0.0025"}}), 1.0);
  EXPECT_EQ(e.Value("heartbeat_checker_cycle_seconds_bucket", {{"le", "0.001"}}), 0.0);
}

TEST(Metrics, TokenProtectsTheEndpointWhenSet) {
  TestServer server({}, "s3cret-token");
  HttpClient client = server.Client();
  HttpResponse none = client.Request("GET", "/metrics");
  EXPECT_EQ(none.status, 401u);
  EXPECT_FALSE(none.json().at("error").as_string().empty());
  EXPECT_EQ(client.Request("GET", "/metrics", {{"Authorization", "Bearer wrong"}}).status, 401u);
  // An API key is not the metrics token.
  std::string key = server.AddKey();
  EXPECT_EQ(client.Authed("GET", "/metrics", key).status, 401u);
  Scrape(client, {{"Authorization", "Bearer s3cret-token"}});
}

TEST(Metrics, OpenWithoutTokenAndOnlyForGet) {
  TestServer server;
  HttpClient client = server.Client();
  EXPECT_EQ(client.Request("GET", "/metrics").status, 200u);
  HttpResponse post = client.Request("POST", "/metrics");
  EXPECT_EQ(post.status, 405u);
  EXPECT_EQ(post.header("allow"), "GET, HEAD");
}

TEST(Prometheus, ReaderRejectsInvalidText) {
  EXPECT_NE(ParsePrometheus("x 1\n").error, "");                         // no TYPE
  EXPECT_NE(ParsePrometheus("# TYPE x counter\nx{a=b} 1\n").error, "");  // unquoted label
  EXPECT_NE(ParsePrometheus("# TYPE x counter\nx one\n").error, "");
  EXPECT_EQ(ParsePrometheus("# TYPE x counter\nx{a=\"b\"} 1\n").error, "");
  EXPECT_NE(ParsePrometheus("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} "
                            "1\nh_sum 1\nh_count 1\n")
                .error,
            "");  // not cumulative
}

}  // namespace
}  // namespace heartbeat::testing
