// The DynamoDB client over real HTTP on 127.0.0.1, against a fake endpoint that fails the
// way DynamoDB fails: throttling first and then an answer (the retry), throttling for
// good, a 5xx, an HTML error page, a refused or dropped connection, and unprocessed batch
// items. Every request must carry the SigV4 headers.

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "aws/dynamodb.h"
#include "http_client/async_http_client.h"
#include "support/dynalite.h"
#include "support/loopback_dynamo.h"

namespace heartbeat::aws {
namespace {

using testing::AwaitDynamo;
using testing::DynamoJson;
using testing::LoopbackHttpServer;
using testing::LoopbackReply;
using testing::LoopbackRequest;

constexpr char kThrottled[] =
    R"({"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",)"
    R"("message":"The level of configured provisioned throughput for the table was exceeded."})";
constexpr char kItem[] = R"({"Item":{"slug":{"S":"backup"},"interval_secs":{"N":"300"}}})";

class DynamoHttp : public ::testing::Test {
 protected:
  DynamoClientOptions Options(const std::string& endpoint, std::string session_token = {}) {
    DynamoClientOptions o;
    o.endpoint = endpoint;
    o.region = "eu-north-1";
    o.credentials = [session_token] {
      return Credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", session_token};
    };
    o.max_attempts = 4;
    o.base_delay = std::chrono::milliseconds(2);
    o.max_delay = std::chrono::milliseconds(20);
    o.request_timeout = std::chrono::milliseconds(2000);
    o.jitter_seed = 7;
    return o;
  }
  DynamoResult<std::optional<Item>> Get(DynamoClient& client) {
    return AwaitDynamo<std::optional<Item>>([&](auto cb) {
      client.GetItem(
          {.table = "heartbeat-monitors", .key = {{"slug", AttributeValue::S("backup")}}},
          std::move(cb));
    });
  }

  std::unique_ptr<AsyncHttpClient> http_ = MakeCurlMultiHttpClient();
  std::mutex mu_;
  std::vector<LoopbackRequest> seen_;  // guarded by mu_
  std::atomic<int> count_{0};
};

TEST_F(DynamoHttp, ThrottledTwiceThenAnsweredSucceedsOnTheThirdAttempt) {
  LoopbackHttpServer server([&](const LoopbackRequest& req) {
    {
      std::lock_guard lock(mu_);
      seen_.push_back(req);
    }
    return ++count_ <= 2 ? DynamoJson(400, kThrottled) : DynamoJson(200, kItem);
  });
  DynamoClient client(*http_, Options(server.url(), "session-token-xyz"));
  auto r = Get(client);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r.value().has_value());
  EXPECT_EQ(*r.value()->at("slug").AsString(), "backup");
  EXPECT_EQ(r.value()->at("interval_secs").AsInt64(), 300);
  ASSERT_EQ(seen_.size(), 3u);
  for (const LoopbackRequest& req : seen_) {
    EXPECT_EQ(req.method, "POST");
    ASSERT_NE(req.Header("x-amz-target"), nullptr);
    EXPECT_EQ(*req.Header("x-amz-target"), "DynamoDB_20120810.GetItem");
    ASSERT_NE(req.Header("content-type"), nullptr);
    EXPECT_EQ(*req.Header("content-type"), "application/x-amz-json-1.0");
    ASSERT_NE(req.Header("x-amz-date"), nullptr);
    ASSERT_NE(req.Header("x-amz-security-token"), nullptr);
    EXPECT_EQ(*req.Header("x-amz-security-token"), "session-token-xyz");
    ASSERT_NE(req.Header("authorization"), nullptr);
    const std::string& auth = *req.Header("authorization");
    EXPECT_EQ(auth.rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", 0), 0u) << auth;
    EXPECT_NE(auth.find("/eu-north-1/dynamodb/aws4_request"), std::string::npos) << auth;
    EXPECT_NE(auth.find("x-amz-security-token"), std::string::npos) << "token not signed";
    EXPECT_NE(auth.find("Signature="), std::string::npos);
  }
}

TEST_F(DynamoHttp, ThrottledForGoodIsThrottledAfterEveryAttempt) {
  LoopbackHttpServer server([&](const LoopbackRequest&) {
    ++count_;
    return DynamoJson(400, kThrottled);
  });
  DynamoClient client(*http_, Options(server.url()));
  auto r = Get(client);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, DynamoErrorKind::kThrottled);
  EXPECT_EQ(r.error().type, "ProvisionedThroughputExceededException");
  EXPECT_EQ(r.error().attempts, 4);
  EXPECT_EQ(count_.load(), 4);
}

TEST_F(DynamoHttp, ServerErrorsAreRetriedAnHtmlPageIncluded) {
  LoopbackHttpServer server([&](const LoopbackRequest&) {
    int n = ++count_;
    if (n == 1) return DynamoJson(500, R"({"__type":"InternalServerError","message":"oops"})");
    if (n == 2) return LoopbackReply::With(503, "<html><body>Service Unavailable</body></html>");
    return DynamoJson(200, kItem);
  });
  DynamoClient client(*http_, Options(server.url()));
  auto r = Get(client);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(count_.load(), 3);
}

TEST_F(DynamoHttp, DroppedConnectionsAreRetriedThenReportedAsTransport) {
  LoopbackHttpServer once([&](const LoopbackRequest&) {
    return ++count_ == 1 ? LoopbackReply::CloseWithoutAnswer() : DynamoJson(200, kItem);
  });
  DynamoClient client(*http_, Options(once.url()));
  auto r = Get(client);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(count_.load(), 2);

  LoopbackHttpServer always(
      [](const LoopbackRequest&) { return LoopbackReply::CloseWithoutAnswer(); });
  DynamoClient dropped(*http_, Options(always.url()));
  auto d = Get(dropped);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().kind, DynamoErrorKind::kTransport);
  EXPECT_EQ(d.error().attempts, 4);
}

TEST_F(DynamoHttp, RefusedConnectionIsTransportAfterEveryAttempt) {
  unsigned short port;
  {
    LoopbackHttpServer gone([](const LoopbackRequest&) { return LoopbackReply::Ok(); });
    port = gone.port();
  }
  DynamoClient client(*http_, Options("http://127.0.0.1:" + std::to_string(port)));
  auto r = Get(client);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, DynamoErrorKind::kTransport);
  EXPECT_EQ(r.error().attempts, 4);
}

TEST_F(DynamoHttp, ConditionalFailureIsNotRetried) {
  LoopbackHttpServer server([&](const LoopbackRequest&) {
    ++count_;
    return DynamoJson(
        400, R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",)"
             R"("message":"The conditional request failed"})");
  });
  DynamoClient client(*http_, Options(server.url()));
  auto r = AwaitDynamo<Nothing>([&](auto cb) {
    client.PutItem({.table = "t",
                    .item = {{"slug", AttributeValue::S("x")}},
                    .condition = "attribute_not_exists(slug)"},
                   std::move(cb));
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, DynamoErrorKind::kConditionalCheckFailed);
  EXPECT_EQ(count_.load(), 1);
}

TEST_F(DynamoHttp, UnprocessedBatchItemsAreSentAgainUntilNoneIsLeft) {
  std::vector<std::string> bodies;
  LoopbackHttpServer server([&](const LoopbackRequest& req) {
    {
      std::lock_guard lock(mu_);
      bodies.push_back(req.body);
    }
    if (++count_ == 1) {
      return DynamoJson(
          200, R"({"UnprocessedItems":{"t":[{"PutRequest":{"Item":{"slug":{"S":"b"}}}}]}})");
    }
    return DynamoJson(200, R"({"UnprocessedItems":{}})");
  });
  DynamoClient client(*http_, Options(server.url()));
  std::vector<WriteRequest> writes;
  for (const char* s : {"a", "b", "c"}) {
    writes.push_back({.put = Item{{"slug", AttributeValue::S(s)}}});
  }
  auto r = AwaitDynamo<Nothing>(
      [&](auto cb) { client.BatchWriteItem("t", std::move(writes), std::move(cb)); });
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(bodies.size(), 2u);
  // The second request carries only the unprocessed item.
  EXPECT_NE(bodies[1].find(R"("b")"), std::string::npos) << bodies[1];
  EXPECT_EQ(bodies[1].find(R"("a")"), std::string::npos) << bodies[1];
}

TEST_F(DynamoHttp, MalformedAnswersAreErrorsNotCrashes) {
  const std::vector<std::string> answers = {"",
                                            "{",
                                            "[]",
                                            "null",
                                            R"({"Item":5})",
                                            R"({"Item":{"slug":{"X":"y"}}})",
                                            std::string(1 << 16, '{')};
  for (const std::string& body : answers) {
    SCOPED_TRACE(body.substr(0, 40));
    LoopbackHttpServer server([&](const LoopbackRequest&) { return DynamoJson(200, body); });
    DynamoClient client(*http_, Options(server.url()));
    auto r = Get(client);
    EXPECT_FALSE(r.ok());
    if (!r.ok()) {
      EXPECT_FALSE(r.error().message.empty());
    }
  }
}

}  // namespace
}  // namespace heartbeat::aws
