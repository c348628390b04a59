// Where credentials and the region come from: the environment first, then the shared
// credentials file; errors that say what is wrong and never show a secret.

#include "aws/credentials.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace heartbeat::aws {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFileSecret = "fileSECRETwJalrXUtnFEMI/K7MDENG+bPxRfi";
constexpr const char* kEnvSecret = "envSECRETwJalrXUtnFEMI/K7MDENG+bPxRfiCY";

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

class CredentialsFileTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) /
           ("aws_credentials_" + std::to_string(::getpid()) + "_" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_ / ".aws");
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes ~/.aws/credentials under the fake HOME.
  void WriteHomeFile(const std::string& content) { Write(dir_ / ".aws/credentials", content); }
  static void Write(const fs::path& path, const std::string& content) {
    std::ofstream(path, std::ios::binary) << content;
  }
  std::string Home() const { return dir_.string(); }

  fs::path dir_;
};

void ExpectNoSecret(const Result<Credentials>& r) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find(kFileSecret), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find(kEnvSecret), std::string::npos) << r.error().message;
}

TEST(ResolveCredentials, FromTheEnvironment) {
  auto r = ResolveCredentials(
      FakeEnv({{"AWS_ACCESS_KEY_ID", "AKIAENV"}, {"AWS_SECRET_ACCESS_KEY", kEnvSecret}}));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->access_key_id, "AKIAENV");
  EXPECT_EQ(r->secret_access_key, kEnvSecret);
  EXPECT_EQ(r->session_token, "");
}

TEST(ResolveCredentials, TheSessionTokenFromTheEnvironment) {
  auto r = ResolveCredentials(FakeEnv({{"AWS_ACCESS_KEY_ID", "ASIAENV"},
                                       {"AWS_SECRET_ACCESS_KEY", kEnvSecret},
                                       {"AWS_SESSION_TOKEN", "tok/en+=="}}));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->session_token, "tok/en+==");
}

TEST(ResolveCredentials, HalfAKeyPairInTheEnvironmentIsAnError) {
  auto only_id = ResolveCredentials(FakeEnv({{"AWS_ACCESS_KEY_ID", "AKIAENV"}}));
  ASSERT_FALSE(only_id.ok());
  EXPECT_NE(only_id.error().message.find("AWS_SECRET_ACCESS_KEY is not"), std::string::npos)
      << only_id.error().message;
  auto only_secret = ResolveCredentials(FakeEnv({{"AWS_SECRET_ACCESS_KEY", kEnvSecret}}));
  ExpectNoSecret(only_secret);
  EXPECT_NE(only_secret.error().message.find("AWS_ACCESS_KEY_ID is not"), std::string::npos);
}

TEST_F(CredentialsFileTest, EnvironmentWinsOverTheFile) {
  WriteHomeFile(std::string("[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = ") +
                kFileSecret + "\n");
  auto r = ResolveCredentials(FakeEnv(
      {{"HOME", Home()}, {"AWS_ACCESS_KEY_ID", "AKIAENV"}, {"AWS_SECRET_ACCESS_KEY", kEnvSecret}}));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->access_key_id, "AKIAENV");
  EXPECT_EQ(r->secret_access_key, kEnvSecret);
}

TEST_F(CredentialsFileTest, EmptyEnvironmentVariablesCountAsUnset) {
  WriteHomeFile(std::string("[default]\naws_access_key_id=AKIAFILE\naws_secret_access_key=") +
                kFileSecret + "\n");
  auto r = ResolveCredentials(FakeEnv({{"HOME", Home()},
                                       {"AWS_ACCESS_KEY_ID", ""},
                                       {"AWS_SECRET_ACCESS_KEY", ""},
                                       {"AWS_PROFILE", ""}}));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->access_key_id, "AKIAFILE");
}

TEST_F(CredentialsFileTest, TheDefaultProfileFromHome) {
  WriteHomeFile(std::string("[other]\naws_access_key_id=AKIAOTHER\naws_secret_access_key=x\n"
                            "[default]\naws_access_key_id=AKIAFILE\naws_secret_access_key=") +
                kFileSecret + "\n[third]\naws_access_key_id=AKIATHIRD\n");
  auto r = ResolveCredentials(FakeEnv({{"HOME", Home()}}));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->access_key_id, "AKIAFILE");
  EXPECT_EQ(r->secret_access_key, kFileSecret);
  EXPECT_EQ(r->session_token, "");
}

TEST_F(CredentialsFileTest, ANamedProfileWithASessionToken) {
  WriteHomeFile(
      "[default]\naws_access_key_id=AKIADEFAULT\naws_secret_access_key=d\n"
      "[ci]\naws_access_key_id=ASIACI\naws_secret_access_key=s3cret\n"
      "aws_session_token=FQoGZXIvYXdzE//token==\n");
  auto r = ResolveCredentials(FakeEnv({{"HOME", Home()}, {"AWS_PROFILE", "ci"}}));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->access_key_id, "ASIACI");
  EXPECT_EQ(r->secret_access_key, "s3cret");
  EXPECT_EQ(r->session_token, "FQoGZXIvYXdzE//token==");
}

TEST_F(CredentialsFileTest, TheLegacySecurityTokenName) {
  WriteHomeFile("[default]\naws_access_key_id=A\naws_secret_access_key=S\naws_security_token=T\n");
  auto r = ResolveCredentials(FakeEnv({{"HOME", Home()}}));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->session_token, "T");
}

TEST_F(CredentialsFileTest, AnExplicitFileWinsOverHome) {
  WriteHomeFile("[default]\naws_access_key_id=AKIAHOME\naws_secret_access_key=h\n");
  const fs::path other = dir_ / "elsewhere.ini";
  Write(other, "[default]\naws_access_key_id=AKIAELSEWHERE\naws_secret_access_key=e\n");
  auto r = ResolveCredentials(
      FakeEnv({{"HOME", Home()}, {"AWS_SHARED_CREDENTIALS_FILE", other.string()}}));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->access_key_id, "AKIAELSEWHERE");
}

TEST_F(CredentialsFileTest, CommentsSpacesCaseAndCrlf) {
  WriteHomeFile(std::string("# a comment\r\n; another = with an equals sign\r\n\r\n"
                            "  [ default ]  \r\n"
                            "\tAWS_Access_Key_ID\t=   AKIAFILE   \r\n"
                            "   # aws_access_key_id = AKIACOMMENTED\r\n"
                            "aws_secret_access_key=") +
                kFileSecret + "\r\nunrelated_key = whatever\r\n");
  auto r = ResolveCredentials(FakeEnv({{"HOME", Home()}}));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->access_key_id, "AKIAFILE");
  EXPECT_EQ(r->secret_access_key, kFileSecret);  // no CR left at the end
}

TEST_F(CredentialsFileTest, AValueMayContainEqualsSigns) {
  WriteHomeFile("[default]\naws_access_key_id=A\naws_secret_access_key = a=b==\n");
  auto r = ResolveCredentials(FakeEnv({{"HOME", Home()}}));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->secret_access_key, "a=b==");
}

TEST_F(CredentialsFileTest, AMissingProfileIsNamed) {
  WriteHomeFile(std::string("[default]\naws_access_key_id=A\naws_secret_access_key=") +
                kFileSecret + "\n");
  auto r = ResolveCredentials(FakeEnv({{"HOME", Home()}, {"AWS_PROFILE", "prod"}}));
  ExpectNoSecret(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_NE(r.error().message.find("profile [prod] not found in"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find(".aws/credentials"), std::string::npos);
}

TEST_F(CredentialsFileTest, AProfileWithoutASecretIsNamed) {
  WriteHomeFile("[default]\naws_access_key_id=AKIAFILE\n[other]\naws_secret_access_key=" +
                std::string(kFileSecret) + "\n");
  auto r = ResolveCredentials(FakeEnv({{"HOME", Home()}}));
  ExpectNoSecret(r);
  EXPECT_NE(r.error().message.find("profile [default]"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("has no aws_secret_access_key"), std::string::npos)
      << r.error().message;
}

TEST_F(CredentialsFileTest, AProfileWithoutAKeyIdIsNamed) {
  WriteHomeFile(std::string("[default]\naws_secret_access_key=") + kFileSecret + "\n");
  auto r = ResolveCredentials(FakeEnv({{"HOME", Home()}}));
  ExpectNoSecret(r);
  EXPECT_NE(r.error().message.find("has no aws_access_key_id"), std::string::npos)
      << r.error().message;
}

TEST_F(CredentialsFileTest, AMalformedLineIsReportedByNumberWithoutItsContent) {
  // Someone pasted a secret on a line of its own.
  WriteHomeFile(std::string("[default]\naws_access_key_id=A\n") + kFileSecret + "\n");
  auto r = ResolveCredentials(FakeEnv({{"HOME", Home()}}));
  ExpectNoSecret(r);
  EXPECT_NE(r.error().message.find("line 3 of"), std::string::npos) << r.error().message;
}

TEST_F(CredentialsFileTest, AnUnclosedSectionHeaderIsReported) {
  WriteHomeFile("[default\naws_access_key_id=A\naws_secret_access_key=S\n");
  auto r = ResolveCredentials(FakeEnv({{"HOME", Home()}}));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("line 1 of"), std::string::npos) << r.error().message;
}

TEST_F(CredentialsFileTest, KeysBeforeAnySectionAreReported) {
  WriteHomeFile(std::string("aws_secret_access_key=") + kFileSecret + "\n[default]\n");
  auto r = ResolveCredentials(FakeEnv({{"HOME", Home()}}));
  ExpectNoSecret(r);
  EXPECT_NE(r.error().message.find("line 1 of"), std::string::npos) << r.error().message;
}

TEST_F(CredentialsFileTest, AMissingFileSaysWhereItLooked) {
  auto r = ResolveCredentials(FakeEnv({{"HOME", Home() + "/nowhere"}}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_NE(r.error().message.find(Home() + "/nowhere/.aws/credentials"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("AWS_ACCESS_KEY_ID"), std::string::npos);

  auto explicit_missing = ResolveCredentials(
      FakeEnv({{"HOME", Home()}, {"AWS_SHARED_CREDENTIALS_FILE", Home() + "/missing.ini"}}));
  ASSERT_FALSE(explicit_missing.ok());
  EXPECT_NE(explicit_missing.error().message.find("missing.ini"), std::string::npos);
}

TEST(ResolveCredentials, NothingConfiguredAtAll) {
  auto r = ResolveCredentials(FakeEnv({}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_NE(r.error().message.find("AWS_ACCESS_KEY_ID"), std::string::npos) << r.error().message;
}

TEST(ResolveRegion, AwsRegionThenDefaultRegion) {
  EXPECT_EQ(ResolveRegion(FakeEnv({})), std::nullopt);
  EXPECT_EQ(ResolveRegion(FakeEnv({{"AWS_DEFAULT_REGION", "eu-west-1"}})), "eu-west-1");
  EXPECT_EQ(ResolveRegion(FakeEnv({{"AWS_REGION", "us-east-2"}})), "us-east-2");
  EXPECT_EQ(ResolveRegion(FakeEnv({{"AWS_REGION", "us-east-2"}, {"AWS_DEFAULT_REGION", "x"}})),
            "us-east-2");
  EXPECT_EQ(ResolveRegion(FakeEnv({{"AWS_REGION", ""}, {"AWS_DEFAULT_REGION", "eu-north-1"}})),
            "eu-north-1");
}

TEST(RegionalEndpoint, CommercialAndChinaPartitions) {
  EXPECT_EQ(RegionalEndpoint("dynamodb", "eu-west-1"), "https://dynamodb.eu-west-1.amazonaws.com");
  EXPECT_EQ(RegionalEndpoint("ssm", "us-gov-west-1"), "https://ssm.us-gov-west-1.amazonaws.com");
  EXPECT_EQ(RegionalEndpoint("dynamodb", "cn-north-1"),
            "https://dynamodb.cn-north-1.amazonaws.com.cn");
}

TEST(ProcessEnv, ReadsTheRealEnvironment) {
  ::setenv("HEARTBEAT_AWS_TEST_VAR", "value", 1);
  const EnvLookup env = ProcessEnv();
  EXPECT_EQ(env("HEARTBEAT_AWS_TEST_VAR"), "value");
  ::unsetenv("HEARTBEAT_AWS_TEST_VAR");
  EXPECT_EQ(env("HEARTBEAT_AWS_TEST_VAR"), std::nullopt);
}

// A long-running server picks up credentials rotated into the file, and is not stopped by
// a rewrite caught half-way.
TEST_F(CredentialsFileTest, TheProviderReadsTheFileAgainWhenItChanges) {
  WriteHomeFile(
      "[default]\naws_access_key_id = ASIAFIRST\naws_secret_access_key = s1\n"
      "aws_session_token = t1\n");
  std::vector<std::string> warnings;
  auto provider = CredentialsProvider::Resolve(
      FakeEnv({{"HOME", Home()}}), std::chrono::milliseconds(0),
      [&](const std::string& message) { warnings.push_back(message); });
  ASSERT_TRUE(provider.ok()) << provider.error().message;
  EXPECT_TRUE((*provider)->from_file());
  EXPECT_EQ((*provider)->Get().access_key_id, "ASIAFIRST");

  WriteHomeFile(
      "[default]\naws_access_key_id = ASIASECOND\naws_secret_access_key = s2\n"
      "aws_session_token = t2-longer\n");
  Credentials rotated = (*provider)->Get();
  EXPECT_EQ(rotated.access_key_id, "ASIASECOND");
  EXPECT_EQ(rotated.secret_access_key, "s2");
  EXPECT_EQ(rotated.session_token, "t2-longer");

  EXPECT_TRUE(warnings.empty());
  WriteHomeFile("[default]\naws_access_key_id = ASIATHIRD\n");  // half-written
  EXPECT_EQ((*provider)->Get().access_key_id, "ASIASECOND");
  ASSERT_EQ(warnings.size(), 1u);  // once for this state of the file, not at every request
  EXPECT_NE(warnings[0].find("has no aws_secret_access_key"), std::string::npos) << warnings[0];
  EXPECT_EQ((*provider)->Get().access_key_id, "ASIASECOND");
  EXPECT_EQ(warnings.size(), 1u);
  fs::remove(dir_ / ".aws/credentials");  // being replaced
  EXPECT_EQ((*provider)->Get().access_key_id, "ASIASECOND");
  WriteHomeFile("[default]\naws_access_key_id = ASIAFOURTH\naws_secret_access_key = s4\n");
  EXPECT_EQ((*provider)->Get().access_key_id, "ASIAFOURTH");
  EXPECT_EQ((*provider)->Get().session_token, "");
}

TEST_F(CredentialsFileTest, TheProviderLooksAtTheFileAtMostOncePerRecheck) {
  WriteHomeFile("[default]\naws_access_key_id = ASIAFIRST\naws_secret_access_key = s1\n");
  auto provider = CredentialsProvider::Resolve(FakeEnv({{"HOME", Home()}}), std::chrono::hours(1));
  ASSERT_TRUE(provider.ok()) << provider.error().message;
  WriteHomeFile("[default]\naws_access_key_id = ASIASECOND\naws_secret_access_key = s2\n");
  EXPECT_EQ((*provider)->Get().access_key_id, "ASIAFIRST");
}

TEST_F(CredentialsFileTest, TheProviderKeepsCredentialsFromTheEnvironment) {
  WriteHomeFile("[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = s\n");
  auto provider = CredentialsProvider::Resolve(FakeEnv({{"HOME", Home()},
                                                        {"AWS_ACCESS_KEY_ID", "AKIAENV"},
                                                        {"AWS_SECRET_ACCESS_KEY", kEnvSecret}}),
                                               std::chrono::milliseconds(0));
  ASSERT_TRUE(provider.ok()) << provider.error().message;
  EXPECT_FALSE((*provider)->from_file());
  WriteHomeFile("[default]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = s2\n");
  EXPECT_EQ((*provider)->Get().access_key_id, "AKIAENV");
}

TEST_F(CredentialsFileTest, TheProviderReportsWhatResolveCredentialsReports) {
  auto half = CredentialsProvider::Resolve(FakeEnv({{"AWS_ACCESS_KEY_ID", "AKIAENV"}}));
  ASSERT_FALSE(half.ok());
  EXPECT_EQ(half.error().code, ErrorCode::kInvalidArgument);
  auto none = CredentialsProvider::Resolve(FakeEnv({{"HOME", Home()}}));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, ErrorCode::kNotFound);
  WriteHomeFile("[default]\naws_access_key_id = AKIAFILE\n");
  auto broken = CredentialsProvider::Resolve(FakeEnv({{"HOME", Home()}}));
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace heartbeat::aws
