// The runtime loop against FakeLambdaRuntime (real HTTP on 127.0.0.1): responses, invocation
// errors with their type, the next event after an error, init errors, what the handler is
// told about each invocation, and the end of the loop when the Runtime API goes away.

#include "aws/lambda_runtime.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <cstdlib>
#include <future>
#include <stdexcept>

#include "support/fake_lambda_runtime.h"

namespace heartbeat::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

LambdaEvent Event(std::string id) {
  LambdaEvent e;
  e.request_id = std::move(id);
  return e;
}

aws::RuntimeLoopOptions Serve(std::size_t n) {
  aws::RuntimeLoopOptions o;
  o.set_trace_env = false;
  o.max_invocations = n;
  return o;
}

class LambdaRuntime : public ::testing::Test {
 protected:
  ~LambdaRuntime() override { EXPECT_THAT(fake_.Unexpected(), IsEmpty()); }

  FakeLambdaRuntime fake_;
  CurlHttpClient http_;
  aws::RuntimeApiClient client_{http_, fake_.api()};
};

TEST_F(LambdaRuntime, HandlerResultIsPostedAsTheResponse) {
  fake_.Enqueue(Event("req-1"));
  Status s = aws::ServeInvocations(
      client_,
      [](const aws::Invocation&) -> Result<std::string> { return std::string(R"({"sent":1})"); },
      Serve(1));
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto outcomes = fake_.Outcomes();
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].request_id, "req-1");
  EXPECT_TRUE(outcomes[0].ok);
  EXPECT_EQ(outcomes[0].body, R"({"sent":1})");
}

TEST_F(LambdaRuntime, HandlerErrorIsPostedAsAnInvocationErrorWithItsType) {
  fake_.Enqueue(Event("req-1"));
  Status s = aws::ServeInvocations(
      client_,
      [](const aws::Invocation&) -> Result<std::string> {
        return Unavailable("checker cycle failed: the store does not answer");
      },
      Serve(1));
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto outcomes = fake_.Outcomes();
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_FALSE(outcomes[0].ok);
  EXPECT_EQ(outcomes[0].request_id, "req-1");
  EXPECT_EQ(outcomes[0].error_type, "Heartbeat.Unavailable");
  auto body = boost::json::parse(outcomes[0].body).as_object();
  EXPECT_EQ(body.at("errorType").as_string(), "Heartbeat.Unavailable");
  EXPECT_EQ(body.at("errorMessage").as_string(), "checker cycle failed: the store does not answer");
}

TEST_F(LambdaRuntime, NextEventIsServedAfterAnError) {
  fake_.Enqueue(Event("req-1"));
  fake_.Enqueue(Event("req-2"));
  fake_.Enqueue(Event("req-3"));
  int calls = 0;
  Status s = aws::ServeInvocations(
      client_,
      [&](const aws::Invocation& inv) -> Result<std::string> {
        ++calls;
        if (inv.request_id == "req-1") return Internal("boom");
        if (inv.request_id == "req-2") throw std::runtime_error("unexpected");
        return std::string("{}");
      },
      Serve(3));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(calls, 3);
  auto outcomes = fake_.Outcomes();
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_FALSE(outcomes[0].ok);
  EXPECT_EQ(outcomes[0].error_type, "Heartbeat.Internal");
  EXPECT_FALSE(outcomes[1].ok);
  EXPECT_THAT(outcomes[1].body, HasSubstr("unexpected"));
  EXPECT_TRUE(outcomes[2].ok);
  EXPECT_EQ(outcomes[2].request_id, "req-3");
}

TEST_F(LambdaRuntime, HandlerIsToldTheDeadlineArnTraceAndEvent) {
  LambdaEvent e = Event("req-7");
  e.deadline_ms = 1'790'000'012'345;
  e.body = R"({"detail-type":"Scheduled Event"})";
  fake_.Enqueue(e);
  aws::Invocation seen;
  std::string trace_env;
  aws::RuntimeLoopOptions options = Serve(1);
  options.set_trace_env = true;
  Status s = aws::ServeInvocations(
      client_,
      [&](const aws::Invocation& inv) -> Result<std::string> {
        seen = inv;
        const char* t = std::getenv("_X_AMZN_TRACE_ID");
        trace_env = t ? t : "";
        return std::string("{}");
      },
      options);
  ::unsetenv("_X_AMZN_TRACE_ID");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(seen.request_id, "req-7");
  EXPECT_EQ(seen.deadline_ms, 1'790'000'012'345);
  EXPECT_EQ(seen.function_arn, e.function_arn);
  EXPECT_EQ(seen.trace_id, e.trace_id);
  EXPECT_EQ(trace_env, e.trace_id);
  EXPECT_EQ(seen.body, e.body);
}

TEST_F(LambdaRuntime, InitErrorGoesToTheInitEndpoint) {
  Status s = client_.PostInitError(
      {"Heartbeat.NotFound", "SSM parameter '/heartbeat/bot-token' does not exist"});
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto errors = fake_.InitErrors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].error_type, "Heartbeat.NotFound");
  auto body = boost::json::parse(errors[0].body).as_object();
  EXPECT_EQ(body.at("errorType").as_string(), "Heartbeat.NotFound");
  EXPECT_EQ(body.at("errorMessage").as_string(),
            "SSM parameter '/heartbeat/bot-token' does not exist");
  EXPECT_THAT(fake_.Outcomes(), IsEmpty());
}

TEST_F(LambdaRuntime, ErrorMessageIsJsonEscaped) {
  fake_.Enqueue(Event("req-1"));
  Status s = aws::ServeInvocations(
      client_,
      [](const aws::Invocation&) -> Result<std::string> {
        return Internal("a \"quoted\"\nline \\ with\ttabs");
      },
      Serve(1));
  ASSERT_TRUE(s.ok());
  auto body = boost::json::parse(fake_.Outcomes().at(0).body).as_object();
  EXPECT_EQ(body.at("errorMessage").as_string(), "a \"quoted\"\nline \\ with\ttabs");
}

TEST_F(LambdaRuntime, RuntimeApiGoingAwayEndsTheLoopWithAnError) {
  fake_.Enqueue(Event("req-1"));
  auto served = std::async(std::launch::async, [&] {
    return aws::ServeInvocations(
        client_, [](const aws::Invocation&) -> Result<std::string> { return std::string("{}"); },
        Serve(0));
  });
  ASSERT_TRUE(fake_.WaitForPolls(2));  // served req-1, now waiting for the next event
  fake_.Gone();
  ASSERT_EQ(served.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  Status s = served.get();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(s.error().message, HasSubstr("Runtime API"));
  EXPECT_EQ(fake_.Outcomes().size(), 1u);
}

TEST_F(LambdaRuntime, UnreachableRuntimeApiFailsAtOnce) {
  std::string api;
  {
    FakeLambdaRuntime gone;
    api = gone.api();
  }
  aws::RuntimeApiClient client(http_, api);
  Status s = aws::ServeInvocations(
      client, [](const aws::Invocation&) -> Result<std::string> { return std::string("{}"); },
      Serve(0));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace heartbeat::testing
