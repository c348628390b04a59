// The SSM client against FakeSsm (real HTTP on 127.0.0.1): signed GetParameter with
// decryption, the session token, ParameterNotFound, retries of 5xx and throttling.

#include "aws/ssm.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "support/fake_clock.h"
#include "support/fake_ssm.h"

namespace heartbeat::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr const char* kToken = "123456:AAE-ssm-test-bot-token";

SsmExpectations WithToken() {
  SsmExpectations e;
  e.session_token = "FwoGZXIvYXdzEXAMPLE-session-token";
  return e;
}

class Ssm : public ::testing::Test {
 protected:
  aws::SsmOptions Options(const FakeSsm& fake, std::string session_token = "") {
    aws::SsmOptions o;
    o.endpoint = fake.url();
    o.region = "eu-north-1";
    o.credentials = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                     std::move(session_token)};
    return o;
  }
  aws::SsmClient Client(const FakeSsm& fake, std::string session_token = "") {
    return aws::SsmClient(http_, clock_, Options(fake, std::move(session_token)),
                          [this](std::chrono::milliseconds d) { sleeps_.push_back(d.count()); });
  }

  CurlHttpClient http_;
  FakeClock clock_;
  std::vector<std::int64_t> sleeps_;
};

TEST_F(Ssm, GetParameterReturnsTheDecryptedValue) {
  FakeSsm fake;
  fake.Put("/heartbeat/telegram-bot-token", kToken);
  Result<std::string> value = Client(fake).GetParameter("/heartbeat/telegram-bot-token", true);
  ASSERT_TRUE(value.ok()) << value.error().message;
  EXPECT_EQ(*value, kToken);
  ASSERT_EQ(fake.Requests().size(), 1u);
  EXPECT_EQ(fake.Requests()[0].name, "/heartbeat/telegram-bot-token");
  EXPECT_TRUE(fake.Requests()[0].with_decryption);
  EXPECT_THAT(fake.Rejections(), IsEmpty());
}

TEST_F(Ssm, WithoutDecryptionAsksForNone) {
  FakeSsm fake;
  fake.Put("/p", "v");
  ASSERT_TRUE(Client(fake).GetParameter("/p", false).ok());
  EXPECT_FALSE(fake.Requests()[0].with_decryption);
}

TEST_F(Ssm, SessionTokenIsSentAndSigned) {
  FakeSsm fake(WithToken());
  fake.Put("/p", "v");
  Result<std::string> value =
      Client(fake, "FwoGZXIvYXdzEXAMPLE-session-token").GetParameter("/p", true);
  ASSERT_TRUE(value.ok()) << value.error().message;
  EXPECT_THAT(fake.Rejections(), IsEmpty());
}

TEST_F(Ssm, MissingSessionTokenIsRefusedBySsm) {
  FakeSsm fake(WithToken());
  fake.Put("/p", "v");
  Result<std::string> value = Client(fake).GetParameter("/p", true);
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(value.error().message, HasSubstr("InvalidSignatureException"));
  EXPECT_THAT(fake.Rejections(), ElementsAre(HasSubstr("X-Amz-Security-Token")));
}

TEST_F(Ssm, CredentialScopeNamesTheRegionAndSsm) {
  SsmExpectations other_region;
  other_region.region = "us-east-1";  // the client signs for eu-north-1
  FakeSsm fake(other_region);
  fake.Put("/p", "v");
  Result<std::string> value = Client(fake).GetParameter("/p", true);
  ASSERT_FALSE(value.ok());
  EXPECT_THAT(fake.Rejections(), ElementsAre(HasSubstr("credential scope")));
  EXPECT_EQ(sleeps_.size(), 0u) << "a refused signature is not retried";
}

TEST_F(Ssm, MissingParameterIsNotFoundAndNamed) {
  FakeSsm fake;
  Result<std::string> value = Client(fake).GetParameter("/heartbeat/telegram-chat-id", true);
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(value.error().message, HasSubstr("'/heartbeat/telegram-chat-id'"));
  EXPECT_THAT(value.error().message, HasSubstr("ParameterNotFound"));
  EXPECT_EQ(fake.Requests().size(), 1u) << "not found is not retried";
}

TEST_F(Ssm, ServerErrorsAndThrottlingAreRetriedWithGrowingWaits) {
  FakeSsm fake;
  fake.Put("/p", kToken);
  fake.EnqueueServerError();
  fake.EnqueueThrottling();
  Result<std::string> value = Client(fake).GetParameter("/p", true);
  ASSERT_TRUE(value.ok()) << value.error().message;
  EXPECT_EQ(*value, kToken);
  EXPECT_EQ(fake.Requests().size(), 3u);
  EXPECT_THAT(sleeps_, ElementsAre(200, 400));
}

TEST_F(Ssm, PersistentServerErrorIsUnavailableAfterTheAttempts) {
  FakeSsm fake;
  fake.Put("/p", kToken);
  for (int i = 0; i < 3; ++i) fake.EnqueueServerError();
  Result<std::string> value = Client(fake).GetParameter("/p", true);
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(value.error().message, HasSubstr("'/p'"));
  EXPECT_THAT(value.error().message, HasSubstr("HTTP 500"));
  EXPECT_EQ(fake.Requests().size(), 3u);
}

TEST_F(Ssm, UnreachableEndpointIsUnavailable) {
  aws::SsmOptions options;
  {
    FakeSsm gone;
    options = Options(gone);
  }  // the port is closed now
  options.max_attempts = 2;
  aws::SsmClient client(http_, clock_, options, [](std::chrono::milliseconds) {});
  Result<std::string> value = client.GetParameter("/p", true);
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(value.error().message, HasSubstr("no answer from SSM"));
}

aws::EnvLookup Env(std::map<std::string, std::string> vars) {
  // No shared credentials file: only what the test gives.
  vars.emplace("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/heartbeat-test-credentials");
  vars.emplace("HOME", "/nonexistent");
  return [vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(SsmOptionsFromEnv, TakesRegionEndpointAndSessionCredentials) {
  Result<aws::SsmOptions> o = aws::SsmOptionsFromEnv(Env({{"AWS_REGION", "eu-north-1"},
                                                          {"SSM_ENDPOINT", "http://127.0.0.1:9/"},
                                                          {"AWS_ACCESS_KEY_ID", "AKID"},
                                                          {"AWS_SECRET_ACCESS_KEY", "secret"},
                                                          {"AWS_SESSION_TOKEN", "token"}}));
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->region, "eu-north-1");
  EXPECT_EQ(o->endpoint, "http://127.0.0.1:9");
  EXPECT_EQ(o->credentials.access_key_id, "AKID");
  EXPECT_EQ(o->credentials.session_token, "token");
}

TEST(SsmOptionsFromEnv, DefaultsToTheRegionalEndpoint) {
  Result<aws::SsmOptions> o = aws::SsmOptionsFromEnv(Env({{"AWS_DEFAULT_REGION", "eu-north-1"},
                                                          {"AWS_ACCESS_KEY_ID", "AKID"},
                                                          {"AWS_SECRET_ACCESS_KEY", "secret"}}));
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->endpoint, "https://ssm.eu-north-1.amazonaws.com");
}

TEST(SsmOptionsFromEnv, NoRegionIsAnErrorNamingTheVariables) {
  Result<aws::SsmOptions> o = aws::SsmOptionsFromEnv(
      Env({{"AWS_ACCESS_KEY_ID", "AKID"}, {"AWS_SECRET_ACCESS_KEY", "secret"}}));
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.error().message, HasSubstr("AWS_REGION"));
}

TEST(SsmOptionsFromEnv, NoCredentialsIsAnErrorWithoutSecrets) {
  Result<aws::SsmOptions> o = aws::SsmOptionsFromEnv(
      Env({{"AWS_REGION", "eu-north-1"}, {"AWS_SECRET_ACCESS_KEY", "very-secret-value"}}));
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.error().message, Not(HasSubstr("very-secret-value")));
}

TEST(SsmOptionsFromEnv, BadEndpointIsRefused) {
  Result<aws::SsmOptions> o = aws::SsmOptionsFromEnv(Env({{"AWS_REGION", "eu-north-1"},
                                                          {"SSM_ENDPOINT", "ftp://x"},
                                                          {"AWS_ACCESS_KEY_ID", "AKID"},
                                                          {"AWS_SECRET_ACCESS_KEY", "secret"}}));
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.error().message, HasSubstr("SSM_ENDPOINT"));
}

}  // namespace
}  // namespace heartbeat::testing
