// The client's retry loop, signing and result reading against a scripted AsyncHttpClient
// that runs on the test's thread: no sockets, no sleeping, every delay recorded.

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <deque>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "aws/dynamodb.h"
#include "support/fake_clock.h"

namespace heartbeat::aws {
namespace {

namespace json = boost::json;
using AV = AttributeValue;
using std::chrono::milliseconds;

// What an event thread would do, done by Drain() on the test's thread.
class ScriptedHttp final : public AsyncHttpClient {
 public:
  using Handler = std::function<HttpResult(const HttpRequest&)>;
  explicit ScriptedHttp(Handler handler) : handler_(std::move(handler)) {}

  void Start(HttpRequest request, std::function<void(HttpResult)> done) override {
    requests.push_back(request);
    queue_.push_back(
        [this, request = std::move(request), done = std::move(done)] { done(handler_(request)); });
  }
  void RunAfter(milliseconds delay, std::function<void()> fn) override {
    delays.push_back(delay);
    queue_.push_back(std::move(fn));
  }
  void Close() override {}
  std::int64_t OnConnections() const override { return 0; }
  std::int64_t MaxOnConnections() const override { return 0; }

  void Drain() {
    while (!queue_.empty()) {
      auto fn = std::move(queue_.front());
      queue_.pop_front();
      fn();
    }
  }

  std::vector<HttpRequest> requests;
  std::vector<milliseconds> delays;

 private:
  Handler handler_;
  std::deque<std::function<void()>> queue_;
};

HttpResult Reply(long status, std::string body) {
  HttpResult r;
  r.transport_ok = true;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResult Throttled() {
  return Reply(
      400, R"({"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",)"
           R"("message":"Rate exceeded"})");
}

HttpResult NoAnswer() {
  HttpResult r;
  r.error = "Connection refused";
  return r;
}

const std::string* HeaderOf(const HttpRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(a) == std::tolower(b);
        })) {
      return &v;
    }
  }
  return nullptr;
}

int CountHeader(const HttpRequest& r, std::string_view name) {
  int n = 0;
  for (const auto& h : r.headers)
    n += HeaderOf(HttpRequest{"", "", {h}, "", {}, {}}, name) != nullptr;
  return n;
}

class RetryTest : public ::testing::Test {
 protected:
  DynamoClientOptions Options() {
    DynamoClientOptions o;
    o.endpoint = "http://127.0.0.1:9/";
    o.region = "eu-west-1";
    o.credentials = [this] {
      ++credential_calls_;
      return Credentials{"AKIDEXAMPLE123", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                         "SESSIONTOKEN-abc123"};
    };
    o.max_attempts = 5;
    o.base_delay = milliseconds(20);
    o.max_delay = milliseconds(200);
    o.jitter_seed = 42;
    return o;
  }

  template <class T, class Start>
  std::optional<DynamoResult<T>> Run(ScriptedHttp& http, Start start) {
    std::optional<DynamoResult<T>> out;
    start([&out](DynamoResult<T> r) { out.emplace(std::move(r)); });
    http.Drain();
    return out;
  }

  PutItemRequest Put() {
    PutItemRequest p;
    p.table = "t";
    p.item = {{"pk", AV::S("a")}};
    return p;
  }
  GetItemRequest Get() { return GetItemRequest{"t", {{"pk", AV::S("a")}}, true}; }

  testing::FakeClock clock_;
  int credential_calls_ = 0;
};

TEST_F(RetryTest, ThrottledTwiceThenSucceedsOnTheThirdAttempt) {
  int n = 0;
  ScriptedHttp http([&](const HttpRequest&) {
    clock_.Advance(milliseconds(1500));  // each attempt is signed at another second
    return ++n <= 2 ? Throttled() : Reply(200, R"({"Item":{"pk":{"S":"a"},"v":{"N":"7"}}})");
  });
  DynamoClient client(http, Options(), clock_);
  auto r = Run<std::optional<Item>>(http, [&](auto cb) { client.GetItem(Get(), cb); });
  ASSERT_TRUE(r && r->ok()) << r->error().message;
  ASSERT_TRUE(r->value());
  EXPECT_EQ(r->value()->at("v").AsInt64(), 7);
  ASSERT_EQ(http.requests.size(), 3u);
  ASSERT_EQ(http.delays.size(), 2u);
  EXPECT_LT(http.delays[0], milliseconds(20));
  EXPECT_LT(http.delays[1], milliseconds(40));
  EXPECT_EQ(credential_calls_, 3);  // asked again for every attempt
  std::set<std::string> dates;
  for (const auto& req : http.requests) {
    EXPECT_EQ(req.method, "POST");
    EXPECT_EQ(req.url, "http://127.0.0.1:9/");
    EXPECT_EQ(*HeaderOf(req, "x-amz-target"), "DynamoDB_20120810.GetItem");
    EXPECT_EQ(*HeaderOf(req, "content-type"), "application/x-amz-json-1.0");
    EXPECT_EQ(*HeaderOf(req, "x-amz-security-token"), "SESSIONTOKEN-abc123");
    const std::string* auth = HeaderOf(req, "authorization");
    ASSERT_NE(auth, nullptr);
    EXPECT_EQ(auth->rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE123/", 0), 0u) << *auth;
    EXPECT_NE(auth->find("/eu-west-1/dynamodb/aws4_request"), std::string::npos) << *auth;
    EXPECT_EQ(CountHeader(req, "authorization"), 1);  // replaced, not added again
    dates.insert(*HeaderOf(req, "x-amz-date"));
    EXPECT_EQ(json::parse(req.body),
              json::parse(R"({"TableName":"t","Key":{"pk":{"S":"a"}},"ConsistentRead":true})"));
  }
  EXPECT_EQ(dates.size(), 3u);  // signed again each time
}

TEST_F(RetryTest, AlwaysThrottledIsKThrottledAfterMaxAttempts) {
  ScriptedHttp http([](const HttpRequest&) { return Throttled(); });
  DynamoClient client(http, Options(), clock_);
  auto r = Run<std::optional<Item>>(http, [&](auto cb) { client.GetItem(Get(), cb); });
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().kind, DynamoErrorKind::kThrottled);
  EXPECT_EQ(r->error().type, "ProvisionedThroughputExceededException");
  EXPECT_EQ(r->error().attempts, 5);
  EXPECT_EQ(r->error().http_status, 400);
  EXPECT_EQ(http.requests.size(), 5u);
  EXPECT_EQ(client.RequestsSent(), 5);
  EXPECT_NE(r->error().message.find("after 5 attempts"), std::string::npos) << r->error().message;
}

TEST_F(RetryTest, BackOffIsFullJitterUnderADoublingCap) {
  DynamoClientOptions o = Options();
  o.max_attempts = 40;
  o.base_delay = milliseconds(10);
  o.max_delay = milliseconds(80);
  ScriptedHttp http([](const HttpRequest&) { return Reply(500, "oops"); });
  DynamoClient client(http, o, clock_);
  auto r = Run<Nothing>(http, [&](auto cb) { client.PutItem(Put(), cb); });
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().kind, DynamoErrorKind::kService);
  EXPECT_EQ(r->error().attempts, 40);
  ASSERT_EQ(http.delays.size(), 39u);
  milliseconds longest{0};
  for (std::size_t i = 0; i < http.delays.size(); ++i) {
    milliseconds window = std::min<milliseconds>(
        milliseconds(80), milliseconds(10) * (1 << std::min<std::size_t>(i, 10)));
    EXPECT_GE(http.delays[i], milliseconds(0));
    EXPECT_LT(http.delays[i], window) << i;
    longest = std::max(longest, http.delays[i]);
  }
  EXPECT_GE(longest, milliseconds(40));  // the window grew: not all delays are tiny
}

TEST_F(RetryTest, TheSameSeedGivesTheSameDelays) {
  auto delays = [&] {
    ScriptedHttp http([](const HttpRequest&) { return NoAnswer(); });
    DynamoClient client(http, Options(), clock_);
    auto r = Run<Nothing>(http, [&](auto cb) { client.PutItem(Put(), cb); });
    EXPECT_EQ(r->error().kind, DynamoErrorKind::kTransport);
    EXPECT_EQ(r->error().http_status, 0);
    return http.delays;
  };
  EXPECT_EQ(delays(), delays());
}

TEST_F(RetryTest, ErrorsThatWillNotChangeAreNotRetried) {
  const std::pair<const char*, DynamoErrorKind> cases[] = {
      {"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
       DynamoErrorKind::kConditionalCheckFailed},
      {"com.amazon.coral.validate#ValidationException", DynamoErrorKind::kValidation},
      {"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", DynamoErrorKind::kNotFound},
      {"com.amazon.coral.service#UnknownOperationException", DynamoErrorKind::kOther},
  };
  for (auto [type, kind] : cases) {
    ScriptedHttp http([type = std::string(type)](const HttpRequest&) {
      return Reply(400, R"({"__type":")" + type + R"(","message":"no"})");
    });
    DynamoClient client(http, Options(), clock_);
    auto r = Run<Nothing>(http, [&](auto cb) { client.UpdateTimeToLive("t", "expires", cb); });
    ASSERT_TRUE(r && !r->ok());
    EXPECT_EQ(r->error().kind, kind) << type;
    EXPECT_EQ(r->error().attempts, 1);
    EXPECT_EQ(http.requests.size(), 1u);
  }
}

TEST_F(RetryTest, CredentialsEchoedByTheServerNeverReachTheMessage) {
  ScriptedHttp http([](const HttpRequest& req) {
    // As AWS's InvalidSignatureException does: the canonical request, headers and all.
    std::string echo;
    for (const auto& [k, v] : req.headers) echo += k + ":" + v + " ";
    json::object o{{"__type", "com.amazon.coral.service#InvalidSignatureException"},
                   {"message", echo + " wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}};
    return Reply(403, json::serialize(o));
  });
  DynamoClient client(http, Options(), clock_);
  auto r = Run<Nothing>(http, [&](auto cb) { client.PutItem(Put(), cb); });
  ASSERT_TRUE(r && !r->ok());
  const std::string& m = r->error().message;
  EXPECT_EQ(r->error().kind, DynamoErrorKind::kOther);
  EXPECT_EQ(m.find("SESSIONTOKEN-abc123"), std::string::npos) << m;
  EXPECT_EQ(m.find("wJalrXUtnFEMI"), std::string::npos) << m;
  EXPECT_EQ(m.find("AKIDEXAMPLE123"), std::string::npos) << m;
  EXPECT_NE(m.find("[redacted]"), std::string::npos) << m;
}

TEST_F(RetryTest, MalformedAnswersAreKOtherAndNotRetried) {
  const char* bodies[] = {"",
                          "not json",
                          "[]",
                          R"({"Item":"x"})",
                          R"({"Item":{"a":{"Q":"1"}}})",
                          R"({"Item":{"a":{"N":"12abc"}}})"};
  for (const char* body : bodies) {
    ScriptedHttp http([body](const HttpRequest&) { return Reply(200, body); });
    DynamoClient client(http, Options(), clock_);
    auto r = Run<std::optional<Item>>(http, [&](auto cb) { client.GetItem(Get(), cb); });
    ASSERT_TRUE(r && !r->ok()) << body;
    EXPECT_EQ(r->error().kind, DynamoErrorKind::kOther) << body;
    EXPECT_EQ(http.requests.size(), 1u);
  }
}

TEST_F(RetryTest, BatchWriteItemSendsOnlyTheUnprocessedWritesAgain) {
  int n = 0;
  ScriptedHttp http([&](const HttpRequest& req) {
    if (++n == 1) {
      json::object body = json::parse(req.body).as_object();
      json::array& writes = body["RequestItems"].as_object()["t"].as_array();
      EXPECT_EQ(writes.size(), 3u);
      writes.erase(writes.begin());  // the first went through, two did not
      return Reply(200, json::serialize(json::object{{"UnprocessedItems", body["RequestItems"]}}));
    }
    return Reply(200, R"({"UnprocessedItems":{}})");
  });
  DynamoClient client(http, Options(), clock_);
  std::vector<WriteRequest> writes(3);
  writes[0].put = Item{{"pk", AV::S("a")}};
  writes[1].put = Item{{"pk", AV::S("b")}};
  writes[2].delete_key = Item{{"pk", AV::S("c")}};
  auto r = Run<Nothing>(http, [&](auto cb) { client.BatchWriteItem("t", writes, cb); });
  ASSERT_TRUE(r && r->ok()) << r->error().message;
  ASSERT_EQ(http.requests.size(), 2u);
  EXPECT_EQ(http.delays.size(), 1u);
  EXPECT_EQ(json::parse(http.requests[1].body), json::parse(R"({"RequestItems":{"t":[
      {"PutRequest":{"Item":{"pk":{"S":"b"}}}},{"DeleteRequest":{"Key":{"pk":{"S":"c"}}}}]}})"));
  EXPECT_NE(*HeaderOf(http.requests[0], "x-amz-date"), "");
}

TEST_F(RetryTest, BatchWriteItemThatStaysUnprocessedIsKThrottled) {
  int n = 0;
  ScriptedHttp http([&](const HttpRequest& req) {
    // Throttled on odd attempts, everything unprocessed on even ones: both use the budget.
    if (++n % 2 == 1) return Throttled();
    json::object body = json::parse(req.body).as_object();
    return Reply(200, json::serialize(json::object{{"UnprocessedItems", body["RequestItems"]}}));
  });
  DynamoClient client(http, Options(), clock_);
  std::vector<WriteRequest> writes(1);
  writes[0].put = Item{{"pk", AV::S("a")}};
  auto r = Run<Nothing>(http, [&](auto cb) { client.BatchWriteItem("t", writes, cb); });
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().kind, DynamoErrorKind::kThrottled);
  EXPECT_EQ(r->error().attempts, 5);
  EXPECT_EQ(http.requests.size(), 5u);
}

TEST_F(RetryTest, QueryAllFollowsLastEvaluatedKeyToTheEnd) {
  ScriptedHttp http([](const HttpRequest& req) {
    json::object body = json::parse(req.body).as_object();
    int from = 0;
    if (auto* k = body.if_contains("ExclusiveStartKey")) {
      from = std::stoi(std::string(k->at("pk").at("N").as_string()));
    }
    json::array items;
    for (int i = from + 1; i <= std::min(from + 3, 10); ++i) {
      items.push_back(json::object{{"pk", {{"N", std::to_string(i)}}}});
    }
    json::object page{{"Items", items}, {"Count", items.size()}, {"ScannedCount", items.size()}};
    if (from + 3 < 10) page["LastEvaluatedKey"] = {{"pk", {{"N", std::to_string(from + 3)}}}};
    return Reply(200, json::serialize(page));
  });
  DynamoClient client(http, Options(), clock_);
  QueryRequest q;
  q.table = "t";
  q.key_condition = "pk = :p";
  auto r = Run<std::vector<Item>>(http, [&](auto cb) { client.QueryAll(q, cb); });
  ASSERT_TRUE(r && r->ok()) << r->error().message;
  ASSERT_EQ(r->value().size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(r->value()[i].at("pk").AsInt64(), i + 1);
  EXPECT_EQ(http.requests.size(), 4u);
}

TEST_F(RetryTest, PagingThatRepeatsItsKeyStopsWithAnError) {
  ScriptedHttp http([](const HttpRequest&) {
    return Reply(200, R"({"Items":[],"LastEvaluatedKey":{"pk":{"S":"same"}}})");
  });
  DynamoClient client(http, Options(), clock_);
  ScanRequest scan;
  scan.table = "t";
  auto r = Run<std::vector<Item>>(http, [&](auto cb) { client.ScanAll(scan, cb); });
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().kind, DynamoErrorKind::kOther);
  EXPECT_EQ(http.requests.size(), 2u);
}

TEST_F(RetryTest, InFlightCountsRequestsUntilTheyAnswer) {
  ScriptedHttp http([](const HttpRequest&) { return Reply(200, "{}"); });
  DynamoClient client(http, Options(), clock_);
  int done = 0;
  for (int i = 0; i < 7; ++i) client.GetItem(Get(), [&](auto r) { done += r.ok(); });
  EXPECT_EQ(client.InFlight(), 7);
  http.Drain();
  EXPECT_EQ(done, 7);
  EXPECT_EQ(client.InFlight(), 0);
  EXPECT_EQ(client.MaxInFlight(), 7);
}

TEST_F(RetryTest, DescribeTableReadsTheStatusAndTheIndexes) {
  ScriptedHttp http([](const HttpRequest& req) {
    EXPECT_EQ(*HeaderOf(req, "x-amz-target"), "DynamoDB_20120810.DescribeTable");
    return Reply(200, R"({"Table":{"TableName":"t","TableStatus":"CREATING",
        "GlobalSecondaryIndexes":[{"IndexName":"a","IndexStatus":"ACTIVE"},{"IndexName":"b"}]}})");
  });
  DynamoClient client(http, Options(), clock_);
  auto r = Run<TableDescription>(http, [&](auto cb) { client.DescribeTable("t", cb); });
  ASSERT_TRUE(r && r->ok());
  EXPECT_EQ(r->value().status, "CREATING");
  EXPECT_EQ(r->value().indexes, (std::map<std::string, std::string>{{"a", "ACTIVE"}, {"b", ""}}));
}

}  // namespace
}  // namespace heartbeat::aws
