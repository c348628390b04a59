// The DynamoDB client's deadline per operation (operation_timeout) over real HTTP on
// 127.0.0.1: an endpoint that accepts and never answers (a stalled engine), one that
// throttles for ever, one that answers slowly page after page. Whatever the retries, an
// operation ends by its deadline with kTimeout; without a deadline nothing changes.
// Bounds are generous (a loaded 2-core machine): they tell "by the deadline" from "after
// 10 attempts x 10 s", not milliseconds apart.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "aws/dynamodb.h"
#include "http_client/async_http_client.h"
#include "support/dynalite.h"
#include "support/loopback_dynamo.h"

namespace heartbeat::aws {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using testing::AwaitDynamo;
using testing::DynamoJson;
using testing::LoopbackHttpServer;
using testing::LoopbackReply;
using testing::LoopbackRequest;

constexpr char kAlwaysThrottled[] =
    R"({"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",)"
    R"("message":"The level of configured provisioned throughput for the table was exceeded."})";

// The defaults that made a stall last 100 s (10 attempts x 10 s), with a deadline.
DynamoClientOptions DeadlineOptions(const std::string& endpoint, milliseconds operation_timeout) {
  DynamoClientOptions o;
  o.endpoint = endpoint;
  o.region = "eu-north-1";
  o.credentials = [] { return Credentials{"AKIDEXAMPLE", "secretsecretsecret", ""}; };
  o.max_attempts = 10;
  o.request_timeout = milliseconds(10'000);
  o.operation_timeout = operation_timeout;
  o.jitter_seed = 3;
  return o;
}

DynamoResult<std::optional<Item>> GetBackup(DynamoClient& client) {
  return AwaitDynamo<std::optional<Item>>([&](auto cb) {
    client.GetItem({.table = "heartbeat-monitors", .key = {{"slug", AttributeValue::S("backup")}}},
                   std::move(cb));
  });
}

double SecondsSinceStart(steady_clock::time_point start) {
  return std::chrono::duration<double>(steady_clock::now() - start).count();
}

TEST(DynamoDeadline, StalledEndpointFailsWithTimeoutByTheDeadline) {
  LoopbackHttpServer server([](const LoopbackRequest&) { return LoopbackReply::NeverAnswer(); });
  auto http = MakeCurlMultiHttpClient();
  DynamoClient client(*http, DeadlineOptions(server.url(), milliseconds(800)));
  EXPECT_EQ(client.Unanswered(), milliseconds(0));
  EXPECT_FALSE(client.SinceLastAnswer().has_value());

  auto start = steady_clock::now();
  auto r = GetBackup(client);
  double took = SecondsSinceStart(start);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, DynamoErrorKind::kTimeout) << r.error().message;
  EXPECT_NE(r.error().message.find("no answer within 800 ms"), std::string::npos)
      << r.error().message;
  EXPECT_GE(took, 0.7);
  EXPECT_LT(took, 5.0);                                // not 10 attempts x 10 s
  EXPECT_FALSE(client.SinceLastAnswer().has_value());  // a stall is no answer
}

TEST(DynamoDeadline, UnansweredGrowsWhileRequestsWaitAndIsZeroWhenIdle) {
  LoopbackHttpServer server([](const LoopbackRequest&) { return LoopbackReply::NeverAnswer(); });
  auto http = MakeCurlMultiHttpClient();
  DynamoClient client(*http, DeadlineOptions(server.url(), milliseconds(20'000)));
  std::atomic<bool> done{false};
  client.GetItem({.table = "t", .key = {{"slug", AttributeValue::S("a")}}},
                 [&](DynamoResult<std::optional<Item>>) { done = true; });
  auto deadline = steady_clock::now() + std::chrono::seconds(10);
  while (client.Unanswered() < milliseconds(300) && steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_GE(client.Unanswered(), milliseconds(300));
  EXPECT_EQ(client.InFlight(), 1);
  http->Close();  // fails the request in flight
  EXPECT_TRUE(done.load());
  EXPECT_EQ(client.Unanswered(), milliseconds(0));
}

TEST(DynamoDeadline, ThrottledForeverStopsRetryingAtTheDeadline) {
  std::atomic<int> requests{0};
  LoopbackHttpServer server([&](const LoopbackRequest&) {
    ++requests;
    return DynamoJson(400, kAlwaysThrottled);
  });
  auto http = MakeCurlMultiHttpClient();
  DynamoClientOptions o = DeadlineOptions(server.url(), milliseconds(700));
  o.max_attempts = 1000;
  o.base_delay = milliseconds(50);
  o.max_delay = milliseconds(200);
  DynamoClient client(*http, o);
  auto start = steady_clock::now();
  auto r = GetBackup(client);
  double took = SecondsSinceStart(start);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, DynamoErrorKind::kTimeout) << r.error().message;
  // The last failure is named, for the log.
  EXPECT_NE(r.error().message.find("ProvisionedThroughputExceeded"), std::string::npos)
      << r.error().message;
  EXPECT_GT(r.error().attempts, 1);
  EXPECT_LT(r.error().attempts, 1000);
  EXPECT_EQ(r.error().attempts, requests.load());
  EXPECT_LT(took, 5.0);
  // DynamoDB answered (with errors): no stall.
  ASSERT_TRUE(client.SinceLastAnswer().has_value());
  EXPECT_EQ(client.Unanswered(), milliseconds(0));
}

TEST(DynamoDeadline, EveryPageOfAScanShareOneDeadline) {
  // Each page comes after 300 ms and names a next one: 10 pages would take 3 s; the
  // deadline of 1 s cuts the walk.
  std::atomic<int> pages{0};
  LoopbackHttpServer server([&](const LoopbackRequest&) {
    int n = ++pages;
    LoopbackReply r = DynamoJson(
        200, R"({"Items":[],"Count":0,"ScannedCount":0,"LastEvaluatedKey":{"slug":{"S":"p)" +
                 std::to_string(n) + R"("}}})");
    r.delay = milliseconds(300);
    return r;
  });
  auto http = MakeCurlMultiHttpClient();
  DynamoClient client(*http, DeadlineOptions(server.url(), milliseconds(1000)));
  auto start = steady_clock::now();
  auto r = AwaitDynamo<std::vector<Item>>(
      [&](auto cb) { client.ScanAll({.table = "heartbeat-monitors"}, std::move(cb)); });
  double took = SecondsSinceStart(start);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, DynamoErrorKind::kTimeout) << r.error().message;
  EXPECT_LT(took, 5.0);
  EXPECT_LE(pages.load(), 6);
}

TEST(DynamoDeadline, NoDeadlineKeepsEveryAttempt) {
  std::atomic<int> requests{0};
  LoopbackHttpServer server([&](const LoopbackRequest&) {
    ++requests;
    return DynamoJson(400, kAlwaysThrottled);
  });
  auto http = MakeCurlMultiHttpClient();
  DynamoClientOptions o = DeadlineOptions(server.url(), milliseconds(0));
  o.max_attempts = 4;
  o.base_delay = milliseconds(1);
  o.max_delay = milliseconds(5);
  DynamoClient client(*http, o);
  auto r = GetBackup(client);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, DynamoErrorKind::kThrottled);
  EXPECT_EQ(requests.load(), 4);
}

}  // namespace
}  // namespace heartbeat::aws
