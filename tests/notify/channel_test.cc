// Channels (notify/channel.h): what POST /channels accepts, the record the store keeps, what
// the API shows (secrets never whole), and the ChannelDirectory with the environment's
// Telegram channel.

#include "notify/channel.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <string>

#include "notify/channel_directory.h"
#include "support/captured_log.h"

namespace heartbeat::channel_test {
namespace {

constexpr UnixMillis kNow = 1'789'992'180'000LL;
constexpr char kSlackUrl[] = "https://hooks.slack.com/services/T0001/B0002/sEcReTsEcReT42";
constexpr char kToken[] = "7301234567:AAH-secret_TOKEN_value-zz9";

Result<Channel> Parse(std::string_view json, std::string_view project = "default") {
  return ParseChannelSpec(boost::json::parse(json).as_object(), project, kNow);
}

// The error message of a refused spec ("" when it was accepted).
std::string Refusal(std::string_view json) {
  Result<Channel> c = Parse(json);
  if (c.ok()) return "";
  EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
  return c.error().message;
}

bool StartsWith(const std::string& s, std::string_view prefix) { return s.starts_with(prefix); }

TEST(ChannelSpecTest, EachKindOfTheSpecIsAccepted) {
  Result<Channel> webhook = Parse(
      R"({"name":"ops","kind":"webhook","url":"https://example.com/hook/$SLUG","method":"put",)"
      R"("headers":{"Authorization":"Bearer abc123","X-Team":"ops"},"body":"{\"s\":\"$SLUG\"}"})");
  ASSERT_TRUE(webhook.ok()) << webhook.error().message;
  EXPECT_EQ(webhook->kind, ChannelKind::kWebhook);
  EXPECT_EQ(webhook->method, "PUT");
  ASSERT_EQ(webhook->headers.size(), 2u);
  EXPECT_EQ(webhook->headers[0].first, "Authorization");
  EXPECT_EQ(webhook->created_at, kNow);
  EXPECT_EQ(webhook->key(), "ops");

  Result<Channel> slack = Parse(
      std::string(R"({"name":"team-slack","kind":"slack","url":")") + kSlackUrl + "\"}", "team-a");
  ASSERT_TRUE(slack.ok()) << slack.error().message;
  EXPECT_EQ(slack->key(), "team-a/team-slack");
  for (std::string kind : {"discord", "mattermost", "teams", "ntfy"}) {
    Result<Channel> c =
        Parse(R"({"name":"x","kind":")" + kind + R"(","url":"https://ntfy.sh/topic"})");
    ASSERT_TRUE(c.ok()) << kind << ": " << c.error().message;
    EXPECT_EQ(ToString(c->kind), kind);
  }
  Result<Channel> mail = Parse(R"({"name":"mail","kind":"email","to":["ops@example.com"]})");
  ASSERT_TRUE(mail.ok()) << mail.error().message;
  EXPECT_EQ(mail->to, std::vector<std::string>{"ops@example.com"});
  Result<Channel> tg = Parse(std::string(R"({"name":"tg","kind":"telegram","bot_token":")") +
                             kToken + R"(","chat_id":-1001234567890})");
  ASSERT_TRUE(tg.ok()) << tg.error().message;
  EXPECT_EQ(tg->chat_id, "-1001234567890");
  EXPECT_EQ(tg->bot_token, kToken);
}

TEST(ChannelSpecTest, EveryRefusalNamesItsField) {
  EXPECT_TRUE(StartsWith(Refusal(R"({"kind":"slack","url":"https://a.b"})"), "name: "));
  EXPECT_TRUE(
      StartsWith(Refusal(R"({"name":"Ops!","kind":"slack","url":"https://a.b"})"), "name: "));
  EXPECT_TRUE(StartsWith(
      Refusal(R"({"name":")" + std::string(65, 'a') + R"(","kind":"slack","url":"https://a.b"})"),
      "name: "));
  EXPECT_TRUE(StartsWith(Refusal(R"({"name":"a","kind":"pager","url":"https://a.b"})"), "kind: "));
  EXPECT_TRUE(StartsWith(Refusal(R"({"name":"a","kind":"slack"})"), "url: "));
  EXPECT_TRUE(StartsWith(Refusal(R"({"name":"a","kind":"slack","url":"ftp://a.b/x"})"), "url: "));
  EXPECT_TRUE(
      StartsWith(Refusal(R"({"name":"a","kind":"ntfy","url":"file:///etc/passwd"})"), "url: "));
  EXPECT_TRUE(StartsWith(Refusal(R"({"name":"a","kind":"slack","url":"not a url"})"), "url: "));
  EXPECT_TRUE(StartsWith(Refusal(R"({"name":"a","kind":"slack","url":"https://a.b","x":1})"),
                         "x: unknown field"));
  EXPECT_TRUE(StartsWith(Refusal(R"({"name":"a","kind":"slack","url":"https://a.b","to":[]})"),
                         "to: unknown field"));
  EXPECT_TRUE(
      StartsWith(Refusal(R"({"name":"a","kind":"webhook","url":"https://a.b","method":"DELETE"})"),
                 "method: "));
  EXPECT_TRUE(StartsWith(
      Refusal(R"({"name":"a","kind":"webhook","url":"https://a.b","headers":{"Host":"x"}})"),
      "headers: "));
  EXPECT_TRUE(StartsWith(
      Refusal(R"({"name":"a","kind":"webhook","url":"https://a.b","headers":{"A":"x\ny"}})"),
      "headers: "));
  EXPECT_TRUE(
      StartsWith(Refusal(R"({"name":"a","kind":"webhook","url":"https://a.b","headers":{"A":1}})"),
                 "headers: "));
  EXPECT_TRUE(StartsWith(
      Refusal(R"({"name":"a","kind":"webhook","url":"https://a.b","method":"GET","body":"x"})"),
      "body: "));
  EXPECT_TRUE(
      StartsWith(Refusal(R"({"name":"a","kind":"webhook","url":"https://a.b","body":"$NOPE"})"),
                 "body: unknown variable $NOPE"));
  EXPECT_TRUE(
      StartsWith(Refusal(R"({"name":"a","kind":"webhook","url":"https://a.b/$NOPE"})"), "url: "));
  EXPECT_TRUE(StartsWith(Refusal(R"({"name":"a","kind":"email","to":"ops@example.com"})"), "to: "));
  EXPECT_TRUE(StartsWith(Refusal(R"({"name":"a","kind":"email","to":[]})"), "to: "));
  for (std::string bad : {"ops", "@example.com", "ops@", "ops@example", "o ps@example.com",
                          "ops@exa_mple.com", "a..b@example.com", "ops@example.com\r\nBcc: x@y.z",
                          "<ops@example.com>", "ops@-example.com"}) {
    boost::json::object spec{{"name", "a"}, {"kind", "email"}, {"to", boost::json::array{bad}}};
    Result<Channel> c = ParseChannelSpec(spec, "default", kNow);
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_TRUE(StartsWith(c.error().message, "to: ")) << c.error().message;
  }
  EXPECT_TRUE(
      StartsWith(Refusal(R"({"name":"a","kind":"telegram","chat_id":"1"})"), "bot_token: "));
  EXPECT_TRUE(
      StartsWith(Refusal(R"({"name":"a","kind":"telegram","bot_token":"nocolon","chat_id":"1"})"),
                 "bot_token: "));
  EXPECT_TRUE(StartsWith(Refusal(std::string(R"({"name":"a","kind":"telegram","bot_token":")") +
                                 kToken + R"(","chat_id":"12 34"})"),
                         "chat_id: "));
}

TEST(ChannelSpecTest, AJsonBodyTemplateThatWouldNotParseIsRefusedOnSave) {
  std::string message = Refusal(
      R"({"name":"a","kind":"webhook","url":"https://a.b","body":"{\"code\": $EXIT_CODE}"})");
  EXPECT_TRUE(StartsWith(message, "body: the template does not make valid JSON: ")) << message;
  // JSON by its Content-Type, though it does not start with '{'.
  message = Refusal(
      R"({"name":"a","kind":"webhook","url":"https://a.b","headers":{"Content-Type":"application/json"},)"
      R"("body":"text=$MESSAGE"})");
  EXPECT_TRUE(StartsWith(message, "body: the template does not make valid JSON: ")) << message;
  // Plain text may hold anything.
  EXPECT_EQ(
      Refusal(R"({"name":"a","kind":"webhook","url":"https://a.b","body":"code $EXIT_CODE"})"), "");
}

TEST(ChannelSpecTest, SecretsMayBeSsmReferences) {
  Result<Channel> c = Parse(
      R"({"name":"a","kind":"webhook","url":"ssm:/heartbeat/hook","headers":{"Authorization":"ssm:/hb/auth"}})");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->url, "ssm:/heartbeat/hook");
  Result<Channel> tg =
      Parse(R"({"name":"t","kind":"telegram","bot_token":"ssm:tg-token","chat_id":"5"})");
  ASSERT_TRUE(tg.ok()) << tg.error().message;
  EXPECT_TRUE(StartsWith(Refusal(R"({"name":"a","kind":"slack","url":"ssm:"})"), "url: "));
}

TEST(ChannelRecordTest, ARecordReadsBackAsTheSameChannel) {
  Result<Channel> c =
      Parse(R"({"name":"ops","kind":"webhook","url":"https://example.com/h","method":"PATCH",)"
            R"("headers":{"X-Key":"k1"},"body":"slug=$SLUG"})",
            "team-a");
  ASSERT_TRUE(c.ok());
  ChannelRecord r = ToRecord(*c);
  EXPECT_EQ(r.project, "team-a");
  EXPECT_EQ(r.name, "ops");
  EXPECT_EQ(r.kind, "webhook");
  EXPECT_EQ(r.created_at, kNow);
  Result<Channel> back = FromRecord(r);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->url, c->url);
  EXPECT_EQ(back->method, "PATCH");
  EXPECT_EQ(back->headers, c->headers);
  EXPECT_EQ(back->body, "slug=$SLUG");
  EXPECT_EQ(back->project, "team-a");
  EXPECT_EQ(back->created_at, kNow);

  for (std::string spec :
       {std::string(R"({"name":"t","kind":"telegram","bot_token":")") + kToken +
            R"(","chat_id":"@ops_channel"})",
        std::string(R"({"name":"m","kind":"email","to":["a@example.com","b@example.org"]})"),
        std::string(R"({"name":"s","kind":"teams","url":"https://x.example/webhook/abc"})")}) {
    Result<Channel> one = Parse(spec);
    ASSERT_TRUE(one.ok()) << spec;
    Result<Channel> again = FromRecord(ToRecord(*one));
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(again->bot_token, one->bot_token);
    EXPECT_EQ(again->chat_id, one->chat_id);
    EXPECT_EQ(again->to, one->to);
    EXPECT_EQ(again->url, one->url);
    EXPECT_EQ(again->kind, one->kind);
  }
  ChannelRecord broken{.project = "default", .name = "x", .kind = "slack", .config = "nope"};
  EXPECT_FALSE(FromRecord(broken).ok());
}

TEST(ChannelPublicJsonTest, SecretsAreNeverShownWhole) {
  Result<Channel> webhook = Parse(
      R"({"name":"ops","kind":"webhook","url":"https://user:pw@hooks.example.com:8443/p/SECRETPATH?k=SECRETQ",)"
      R"("headers":{"Authorization":"Bearer SECRETBEARER"},"body":"slug=$SLUG"})");
  ASSERT_TRUE(webhook.ok()) << webhook.error().message;
  boost::json::object o = PublicJson(*webhook);
  EXPECT_EQ(o.at("name").as_string(), "ops");
  EXPECT_EQ(o.at("kind").as_string(), "webhook");
  EXPECT_EQ(o.at("created_at").as_int64(), kNow / 1000);
  EXPECT_EQ(o.at("url").as_string(), "https://hooks.example.com");
  EXPECT_EQ(o.at("method").as_string(), "POST");
  EXPECT_EQ(o.at("headers").at("Authorization").as_string(), "(hidden)");
  EXPECT_EQ(o.at("body").as_string(), "slug=$SLUG");
  EXPECT_EQ(o.if_contains("source"), nullptr);
  std::string shown = boost::json::serialize(o);
  for (std::string secret : {"SECRETPATH", "SECRETQ", "SECRETBEARER", "pw@", "8443"}) {
    EXPECT_EQ(shown.find(secret), std::string::npos) << secret << " in " << shown;
  }

  Result<Channel> slack =
      Parse(std::string(R"({"name":"s","kind":"slack","url":")") + kSlackUrl + "\"}");
  ASSERT_TRUE(slack.ok());
  EXPECT_EQ(
      boost::json::serialize(PublicJson(*slack)),
      R"({"name":"s","kind":"slack","created_at":1789992180,"url":"https://hooks.slack.com"})");

  Result<Channel> tg = Parse(std::string(R"({"name":"tg","kind":"telegram","bot_token":")") +
                             kToken + R"(","chat_id":"-100500"})");
  ASSERT_TRUE(tg.ok());
  std::string tg_shown = boost::json::serialize(PublicJson(*tg));
  EXPECT_EQ(tg_shown.find("secret_TOKEN"), std::string::npos) << tg_shown;
  EXPECT_EQ(tg_shown.find("7301234567"), std::string::npos) << tg_shown;
  EXPECT_EQ(PublicJson(*tg).at("chat_id").as_string(), "-100500");

  Result<Channel> mail = Parse(R"({"name":"mail","kind":"email","to":["ops@example.com"]})");
  ASSERT_TRUE(mail.ok());
  EXPECT_EQ(boost::json::serialize(PublicJson(*mail).at("to")), R"(["ops@example.com"])");
}

Channel EnvironmentTelegram() {
  Channel c;
  c.kind = ChannelKind::kTelegram;
  c.bot_token = kToken;
  c.chat_id = "-1001";
  return c;
}

TEST(ChannelDirectoryTest, TheEnvironmentsTelegramIsDefaultsTelegramAndWins) {
  ChannelDirectory dir(EnvironmentTelegram());
  EXPECT_FALSE(dir.Loaded());
  std::optional<Channel> env = dir.Find("telegram");
  ASSERT_TRUE(env.has_value());
  EXPECT_TRUE(env->from_environment);
  EXPECT_EQ(env->project, "default");
  EXPECT_EQ(PublicJson(*env).at("source").as_string(), "environment");

  Channel stored_tg = *Parse(R"({"name":"telegram","kind":"slack","url":"https://a.example/x"})");
  Channel ops = *Parse(R"({"name":"ops","kind":"slack","url":"https://a.example/y"})");
  Channel other = *Parse(R"({"name":"ops","kind":"ntfy","url":"https://ntfy.sh/t"})", "team-b");
  ChannelRecord broken = ToRecord(ops);
  broken.name = "broken";
  broken.config = R"({"url":"ftp://nope"})";
  dir.Replace({ToRecord(stored_tg), ToRecord(ops), ToRecord(other), broken});
  EXPECT_TRUE(dir.Loaded());
  EXPECT_TRUE(dir.Find("telegram")->from_environment);
  EXPECT_EQ(dir.Find("telegram")->kind, ChannelKind::kTelegram);
  EXPECT_EQ(dir.Find("ops")->kind, ChannelKind::kSlack);
  EXPECT_EQ(dir.Find("team-b/ops")->kind, ChannelKind::kNtfy);
  EXPECT_FALSE(dir.Find("broken").has_value());
  EXPECT_EQ(dir.Names("default"), (std::vector<std::string>{"ops", "telegram"}));
  EXPECT_EQ(dir.Names("team-b"), std::vector<std::string>{"ops"});
  EXPECT_TRUE(dir.Names("team-c").empty());

  dir.Replace({});
  EXPECT_FALSE(dir.Find("ops").has_value());
  EXPECT_TRUE(dir.Find("telegram").has_value());

  ChannelDirectory bare;
  bare.Replace({ToRecord(stored_tg)});
  EXPECT_EQ(bare.Find("telegram")->kind, ChannelKind::kSlack);
}

TEST(ChannelDirectoryTest, ASkippedOrShadowedRecordIsLoggedOnceWithoutItsSecrets) {
  ChannelDirectory dir(EnvironmentTelegram());
  Channel shadowed = *Parse(R"({"name":"telegram","kind":"slack","url":"https://a.example/x"})");
  ChannelRecord broken = ToRecord(
      *Parse(R"({"name":"broken","kind":"slack","url":"https://hooks.example/SECRETHOOK"})"));
  broken.config = R"({"url":"ftp://hooks.example/SECRETHOOK"})";
  testing::CapturedLog log;
  for (int i = 0; i < 3; ++i) dir.Replace({ToRecord(shadowed), broken});
  const std::string lines = log.Release();
  auto count = [&](std::string_view what) {
    std::size_t n = 0;
    for (auto at = lines.find(what); at != std::string::npos; at = lines.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("channel broken: url: "), 1u) << lines;
  EXPECT_EQ(count("channel telegram is stored and also set by the environment"), 1u) << lines;
  EXPECT_EQ(lines.find("SECRETHOOK"), std::string::npos) << lines;
}

}  // namespace
}  // namespace heartbeat::channel_test
