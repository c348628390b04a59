// ChannelNotifier with the real CurlHttpClient against sinks that speak real HTTP on
// 127.0.0.1 and fail like the real services: the body each preset sends, webhook templates,
// the outcome of each answer (429 with Retry-After or a JSON retry_after, 5xx, 4xx, a hang),
// SSM references, Telegram's buttons, and no secret in any detail.

#include "notify/channel_notifier.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "core/time_format.h"
#include "notify/message.h"
#include "support/fake_clock.h"
#include "support/fake_telegram.h"
#include "support/loopback_http_server.h"

namespace heartbeat::channel_notifier_test {
namespace {

using heartbeat::testing::LoopbackReply;
using heartbeat::testing::LoopbackRequest;
using Kind = SendOutcome::Kind;
using std::chrono::milliseconds;

constexpr char kToken[] = "7301234567:AAH-secret_TOKEN_value-zz9";
constexpr char kUuid[] = "0f1e2d3c-4b5a-4687-9a0b-1c2d3e4f5a6b";
// 2026-09-21T12:03:00Z
constexpr UnixMillis kLastPing = 1'789'992'180'000LL;

Alert Overdue(std::string channel) {
  return Alert{.kind = AlertKind::kOverdue,
               .slug = "nightly-backup",
               .uuid = kUuid,
               .interval_secs = 300,
               .last_ping = kLastPing,
               .deadline = kLastPing + 5 * 60'000,
               .at = kLastPing + 12 * 60'000,
               .down_since = kLastPing + 12 * 60'000,
               .channel = std::move(channel)};
}

std::string Name(Kind k) {
  switch (k) {
    case Kind::kSent:
      return "sent";
    case Kind::kRetry:
      return "retry";
    case Kind::kRejected:
      return "rejected";
  }
  return "?";
}

bool Has(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

LoopbackReply Reply(unsigned status, std::string body,
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
  LoopbackReply r = LoopbackReply::With(status, std::move(body));
  r.headers = std::move(headers);
  return r;
}

// A receiver: records every request, answers from a queue, else 200.
class Sink {
 public:
  void Enqueue(LoopbackReply reply) {
    std::lock_guard lock(mu_);
    replies_.push_back(std::move(reply));
  }
  std::vector<LoopbackRequest> Got() const {
    std::lock_guard lock(mu_);
    return got_;
  }
  LoopbackRequest Last() const {
    std::lock_guard lock(mu_);
    return got_.empty() ? LoopbackRequest{} : got_.back();
  }
  std::string url() const { return server_.url(); }

 private:
  LoopbackReply Handle(const LoopbackRequest& r) {
    std::lock_guard lock(mu_);
    got_.push_back(r);
    if (replies_.empty()) return LoopbackReply::Ok("ok");
    LoopbackReply reply = replies_.front();
    replies_.pop_front();
    return reply;
  }

  mutable std::mutex mu_;
  std::vector<LoopbackRequest> got_;   // guarded by mu_
  std::deque<LoopbackReply> replies_;  // guarded by mu_
  testing::LoopbackHttpServer server_{[this](const LoopbackRequest& r) { return Handle(r); }};
};

class ChannelNotifierTest : public ::testing::Test {
 protected:
  // Adds a channel from its spec (in `project`) to the directory.
  Channel Add(const std::string& spec, std::string_view project = "default") {
    Result<Channel> c = ParseChannelSpec(boost::json::parse(spec).as_object(), project, 0);
    EXPECT_TRUE(c.ok()) << c.error().message;
    records_.push_back(ToRecord(*c));
    directory_.Replace(records_);
    return *c;
  }
  ChannelSendOptions Options() {
    ChannelSendOptions o;
    o.telegram_api_url = telegram_.url();
    o.connect_timeout = milliseconds(2000);
    o.webhook_timeout = milliseconds(5000);
    o.telegram_timeout = milliseconds(5000);
    o.resolve_ssm = [this](const std::string& name) -> Result<std::string> {
      if (name == "/hb/hook") return sink_.url() + "/from-ssm/SSMSECRETPATH";
      if (name == "/hb/auth") return std::string("Bearer SSMSECRETBEARER");
      if (name == "/hb/down") return Unavailable("SSM unavailable");
      if (name == "/hb/crlf") return std::string("x\r\nX-Injected: 1");
      if (name == "/hb/badtoken") return std::string("123:abc/../../evil?x=");
      return NotFound("ParameterNotFound");
    };
    return o;
  }
  SendOutcome Send(const Alert& alert) {
    ChannelNotifier notifier(http_, directory_, Options(), clock_);
    return notifier.Send(alert);
  }
  std::string Message(const Alert& alert) { return AlertPlainText(alert, clock_.Now()); }

  CurlHttpClient http_;
  Sink sink_;
  testing::FakeTelegram telegram_;
  ChannelDirectory directory_;
  std::vector<ChannelRecord> records_;
  testing::FakeClock clock_{kLastPing + 14 * 60'000};
};

TEST_F(ChannelNotifierTest, EachPresetPostsTheJsonItsServiceTakes) {
  Add(R"({"name":"s","kind":"slack","url":")" + sink_.url() + R"(/services/T0/B0/XyZ"})");
  Add(R"({"name":"m","kind":"mattermost","url":")" + sink_.url() + R"(/hooks/abc"})");
  Add(R"({"name":"d","kind":"discord","url":")" + sink_.url() + R"(/api/webhooks/1/tok"})");
  Add(R"({"name":"t","kind":"teams","url":")" + sink_.url() + R"(/webhookb2/x"})");
  const std::string text = Message(Overdue("s"));
  const std::string text_json = boost::json::serialize(boost::json::value(text));

  ASSERT_EQ(Send(Overdue("s")).kind, Kind::kSent);
  LoopbackRequest slack = sink_.Last();
  EXPECT_EQ(slack.method, "POST");
  EXPECT_EQ(slack.target, "/services/T0/B0/XyZ");
  EXPECT_EQ(slack.body, R"({"text":)" + text_json + "}");
  ASSERT_NE(slack.Header("content-type"), nullptr);
  EXPECT_EQ(*slack.Header("content-type"), "application/json");

  ASSERT_EQ(Send(Overdue("m")).kind, Kind::kSent);
  EXPECT_EQ(sink_.Last().body, R"({"text":)" + text_json + "}");

  ASSERT_EQ(Send(Overdue("d")).kind, Kind::kSent);
  EXPECT_EQ(sink_.Last().body, R"({"content":)" + text_json + "}");

  ASSERT_EQ(Send(Overdue("t")).kind, Kind::kSent);
  EXPECT_EQ(sink_.Last().body,
            R"({"@type":"MessageCard","@context":"https://schema.org/extensions",)"
            R"("summary":"OVERDUE: nightly-backup","text":)" +
                text_json + "}");
}

TEST_F(ChannelNotifierTest, DiscordsContentIsCutToItsLimit) {
  Add(R"({"name":"d","kind":"discord","url":")" + sink_.url() + R"(/api/webhooks/1/tok"})");
  Alert failed = Overdue("d");
  failed.kind = AlertKind::kFailed;
  failed.body_tail = std::string(3000, 'x');
  ASSERT_EQ(Send(failed).kind, Kind::kSent);
  boost::json::value body = boost::json::parse(sink_.Last().body);
  std::size_t code_points = 0;
  for (char c : body.at("content").as_string()) code_points += (c & 0xC0) != 0x80;
  EXPECT_EQ(code_points, 2000u);
}

TEST_F(ChannelNotifierTest, NtfyPostsPlainTextWithTitlePriorityAndTags) {
  Add(R"({"name":"n","kind":"ntfy","url":")" + sink_.url() + R"(/my-topic"})");
  ASSERT_EQ(Send(Overdue("n")).kind, Kind::kSent);
  LoopbackRequest r = sink_.Last();
  EXPECT_EQ(r.target, "/my-topic");
  EXPECT_EQ(r.body, Message(Overdue("n")));
  EXPECT_EQ(*r.Header("title"), "OVERDUE: nightly-backup");
  EXPECT_EQ(*r.Header("priority"), "urgent");
  EXPECT_EQ(*r.Header("tags"), "warning");
  EXPECT_TRUE(Has(*r.Header("content-type"), "text/plain"));

  Alert repeat = Overdue("n");
  repeat.kind = AlertKind::kRepeat;
  ASSERT_EQ(Send(repeat).kind, Kind::kSent);
  EXPECT_EQ(*sink_.Last().Header("priority"), "high");
  Alert recovered = Overdue("n");
  recovered.kind = AlertKind::kRecovered;
  ASSERT_EQ(Send(recovered).kind, Kind::kSent);
  EXPECT_EQ(*sink_.Last().Header("priority"), "default");
  EXPECT_EQ(*sink_.Last().Header("title"), "RECOVERED: nightly-backup");
  EXPECT_EQ(*sink_.Last().Header("tags"), "white_check_mark");
}

TEST_F(ChannelNotifierTest, WebhookTemplateValuesAreEscapedForWhereTheyLand) {
  Add(R"({"name":"j","kind":"webhook","url":")" + sink_.url() +
          R"(/hook/$PROJECT/$SLUG?k=$KIND&tail=$BODY_TAIL","headers":{"X-Team":"ops"},)"
          R"("body":"{\"text\":\"$MESSAGE\",\"tail\":\"$BODY_TAIL\",\"code\":\"$EXIT_CODE\",)"
          R"(\"last\":\"$LAST_PING\",\"now\":\"$NOW\",\"status\":\"$STATUS\"}"})",
      "team-a");
  Alert failed = Overdue("team-a/j");
  failed.slug = "team-a/db-backup";
  failed.kind = AlertKind::kFailed;
  failed.exit_code = 2;
  failed.body_tail = "say \"hi\" \\ & bye\n\x01 ✅";
  SendOutcome out = Send(failed);
  ASSERT_EQ(out.kind, Kind::kSent) << out.detail;
  LoopbackRequest r = sink_.Last();
  EXPECT_EQ(
      r.target,
      "/hook/team-a/db-backup?k=failed&tail=say%20%22hi%22%20%5C%20%26%20bye%0A%01%20%E2%9C%85");
  EXPECT_EQ(*r.Header("x-team"), "ops");
  EXPECT_EQ(*r.Header("content-type"), "application/json");
  boost::json::value body = boost::json::parse(r.body);
  EXPECT_EQ(body.at("text").as_string(), Message(failed));
  EXPECT_EQ(body.at("tail").as_string(), failed.body_tail);
  EXPECT_EQ(body.at("code").as_string(), "2");
  EXPECT_EQ(body.at("last").as_string(), "2026-09-21T12:03:00Z");
  EXPECT_EQ(body.at("now").as_string(), FormatRfc3339(clock_.Now()));
  EXPECT_EQ(body.at("status").as_string(), "down");
}

TEST_F(ChannelNotifierTest, PlainTextBodyTakesValuesAsTheyAreAndGetSendsNoBody) {
  Add(R"({"name":"p","kind":"webhook","url":")" + sink_.url() +
      R"(/p","method":"PUT","body":"tail=$BODY_TAIL"})");
  Add(R"({"name":"g","kind":"webhook","url":")" + sink_.url() + R"(/g?s=$STATUS","method":"GET"})");
  Alert failed = Overdue("p");
  failed.kind = AlertKind::kFailed;
  failed.body_tail = "a \"b\"\n\\c";
  ASSERT_EQ(Send(failed).kind, Kind::kSent);
  EXPECT_EQ(sink_.Last().method, "PUT");
  EXPECT_EQ(sink_.Last().body, "tail=a \"b\"\n\\c");
  EXPECT_TRUE(Has(*sink_.Last().Header("content-type"), "text/plain"));
  ASSERT_EQ(Send(Overdue("g")).kind, Kind::kSent);
  EXPECT_EQ(sink_.Last().method, "GET");
  EXPECT_EQ(sink_.Last().target, "/g?s=down");
  EXPECT_EQ(sink_.Last().body, "");
}

TEST_F(ChannelNotifierTest, AFormBodyGetsItsValuesUrlEncoded) {
  Add(R"({"name":"f","kind":"webhook","url":")" + sink_.url() +
      R"(/f","headers":{"Content-Type":"application/x-www-form-urlencoded"},)"
      R"("body":"status=$STATUS&tail=$BODY_TAIL"})");
  Alert failed = Overdue("f");
  failed.kind = AlertKind::kFailed;
  failed.body_tail = "a&b=c d";
  ASSERT_EQ(Send(failed).kind, Kind::kSent);
  EXPECT_EQ(sink_.Last().body, "status=down&tail=a%26b%3Dc%20d");
  EXPECT_EQ(*sink_.Last().Header("content-type"), "application/x-www-form-urlencoded");
}

TEST_F(ChannelNotifierTest, AnEmptyTemplateSendsTheDefaultJsonBody) {
  Add(R"({"name":"w","kind":"webhook","url":")" + sink_.url() + R"(/w"})");
  ASSERT_EQ(Send(Overdue("w")).kind, Kind::kSent);
  boost::json::value body = boost::json::parse(sink_.Last().body);
  EXPECT_EQ(body.at("slug").as_string(), "nightly-backup");
  EXPECT_EQ(body.at("project").as_string(), "default");
  EXPECT_EQ(body.at("kind").as_string(), "overdue");
  EXPECT_EQ(body.at("exit_code").as_string(), "");
}

TEST_F(ChannelNotifierTest, AnswersMapToOutcomesAsEachServiceMeansThem) {
  Add(R"({"name":"s","kind":"slack","url":")" + sink_.url() + R"(/services/T/B/Z"})");
  struct Case {
    LoopbackReply reply;
    Kind want;
    std::optional<std::chrono::seconds> retry_after;
  };
  const std::string in_two_minutes = "Mon, 21 Sep 2026 12:19:00 GMT";  // the clock is 12:17:00
  std::vector<Case> cases = {
      {Reply(200, "ok"), Kind::kSent, std::nullopt},
      {Reply(204, ""), Kind::kSent, std::nullopt},
      {Reply(429, "rate_limited", {{"Retry-After", "30"}}), Kind::kRetry, std::chrono::seconds(30)},
      {Reply(429, "rate_limited", {{"Retry-After", in_two_minutes}}), Kind::kRetry,
       std::chrono::seconds(120)},
      // Discord: a JSON body with fractional seconds, rounded up.
      {Reply(429, R"({"message":"You are being rate limited.","retry_after":1.2,"global":false})"),
       Kind::kRetry, std::chrono::seconds(2)},
      {Reply(429, "slow down"), Kind::kRetry, std::nullopt},
      {Reply(500, "oops"), Kind::kRetry, std::nullopt},
      {Reply(503, ""), Kind::kRetry, std::nullopt},
      {Reply(408, ""), Kind::kRetry, std::nullopt},
      {Reply(425, ""), Kind::kRetry, std::nullopt},
      {Reply(400, "invalid_payload"), Kind::kRejected, std::nullopt},
      {Reply(404, "no_service"), Kind::kRejected, std::nullopt},
      {Reply(403, "action_prohibited"), Kind::kRejected, std::nullopt},
      {Reply(301, ""), Kind::kRejected, std::nullopt},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    sink_.Enqueue(cases[i].reply);
    SendOutcome out = Send(Overdue("s"));
    EXPECT_EQ(Name(out.kind), Name(cases[i].want)) << i << ": " << out.detail;
    EXPECT_EQ(out.retry_after, cases[i].retry_after) << i << ": " << out.detail;
    EXPECT_TRUE(Has(out.detail, std::to_string(cases[i].reply.status))) << out.detail;
  }
}

TEST_F(ChannelNotifierTest, TeamsSayingThrottledInA200IsRetried) {
  Add(R"({"name":"t","kind":"teams","url":")" + sink_.url() + R"(/webhookb2/x"})");
  sink_.Enqueue(Reply(200,
                      "Webhook message delivery failed with error: Microsoft Teams endpoint "
                      "returned HTTP error 429 with ContextId tcid=0,server=msgapi"));
  SendOutcome out = Send(Overdue("t"));
  EXPECT_EQ(out.kind, Kind::kRetry) << out.detail;
  sink_.Enqueue(Reply(200, "1"));
  EXPECT_EQ(Send(Overdue("t")).kind, Kind::kSent);
}

TEST_F(ChannelNotifierTest, AHungOrAbsentReceiverIsRetried) {
  Add(R"({"name":"s","kind":"slack","url":")" + sink_.url() + R"(/services/T/B/Z"})");
  std::string refused_url;
  {
    testing::LoopbackHttpServer gone([](const LoopbackRequest&) { return LoopbackReply::Ok(); });
    refused_url = gone.url();
  }
  Add(R"({"name":"gone","kind":"discord","url":")" + refused_url + R"(/api/webhooks/1/tok"})");
  sink_.Enqueue(LoopbackReply::NeverAnswer());
  ChannelSendOptions options = Options();
  options.webhook_timeout = milliseconds(300);
  ChannelNotifier notifier(http_, directory_, options, clock_);
  auto start = std::chrono::steady_clock::now();
  SendOutcome hung = notifier.Send(Overdue("s"));
  EXPECT_EQ(hung.kind, Kind::kRetry) << hung.detail;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  SendOutcome refused = notifier.Send(Overdue("gone"));
  EXPECT_EQ(refused.kind, Kind::kRetry) << refused.detail;
  EXPECT_TRUE(Has(refused.detail, "unreachable")) << refused.detail;
}

TEST_F(ChannelNotifierTest, NoDetailEverHoldsASecret) {
  const std::string hook_path = "/services/T0SECRET1/B0SECRET2/xoxbSECRET3";
  Add(R"({"name":"s","kind":"slack","url":")" + sink_.url() + hook_path + R"("})");
  Add(R"({"name":"w","kind":"webhook","url":")" + sink_.url() +
      R"(/hook?token=QUERYSECRET4","headers":{"Authorization":"Bearer HEADERSECRET5"}})");
  Add(R"({"name":"v","kind":"webhook","url":"ssm:/hb/hook","headers":{"X-Auth":"ssm:/hb/auth"}})");
  // Receivers that echo what they got, as some error pages do.
  const std::vector<std::pair<std::string, std::string>> echoes = {
      {"s", "you sent " + sink_.url() + hook_path + " (" + hook_path + ", xoxbSECRET3)"},
      {"w", "bad request to /hook?token=QUERYSECRET4 with Bearer HEADERSECRET5, HEADERSECRET5"},
      {"v", "no route " + sink_.url() + "/from-ssm/SSMSECRETPATH for SSMSECRETBEARER"},
  };
  std::vector<std::string> details;
  // A secret across the end of the part of the answer a detail quotes.
  for (std::size_t pad = 170; pad < 200; ++pad) {
    sink_.Enqueue(Reply(400, std::string(pad, '.') + "xoxbSECRET3"));
    details.push_back(Send(Overdue("s")).detail);
  }
  for (const auto& [channel, echo] : echoes) {
    for (unsigned status : {200u, 400u, 429u, 500u}) {
      sink_.Enqueue(Reply(status, echo));
      details.push_back(Send(Overdue(channel)).detail);
    }
  }
  Add(R"({"name":"tg","kind":"telegram","bot_token":")" + std::string(kToken) +
      R"(","chat_id":"-100"})");
  telegram_.Enqueue(testing::TelegramReply::BadRequest());
  details.push_back(Send(Overdue("tg")).detail);
  // The SSM header reached the receiver resolved.
  ASSERT_FALSE(sink_.Got().empty());
  bool resolved_seen = false;
  for (const LoopbackRequest& r : sink_.Got()) {
    if (const std::string* h = r.Header("x-auth")) {
      resolved_seen = *h == "Bearer SSMSECRETBEARER";
      EXPECT_EQ(r.target, "/from-ssm/SSMSECRETPATH");
    }
  }
  EXPECT_TRUE(resolved_seen);
  for (const std::string& d : details) {
    EXPECT_FALSE(d.empty());
    for (std::string_view secret :
         {"T0SECRET1", "B0SECRET2", "xoxbSECRET3", "xoxbSEC", "QUERYSECRET4", "HEADERSECRET5",
          "SSMSECRETPATH", "SSMSECRETBEARER", "secret_TOKEN"}) {
      EXPECT_FALSE(Has(d, secret)) << secret << " in " << d;
    }
  }
  // What a detail does say: the channel, and the receiver's scheme and host.
  EXPECT_TRUE(Has(details.back(), "telegram channel tg")) << details.back();
  EXPECT_TRUE(Has(details[0], "slack channel s")) << details[0];
  EXPECT_TRUE(Has(details[0], "http://127.0.0.1")) << details[0];
}

TEST_F(ChannelNotifierTest, SsmSecretsThatCannotBeReadRetryOrRefuse) {
  Add(R"({"name":"down","kind":"slack","url":"ssm:/hb/down"})");
  Add(R"({"name":"missing","kind":"slack","url":"ssm:/hb/missing"})");
  EXPECT_EQ(Send(Overdue("down")).kind, Kind::kRetry);
  SendOutcome missing = Send(Overdue("missing"));
  EXPECT_EQ(missing.kind, Kind::kRejected);
  EXPECT_TRUE(Has(missing.detail, "/hb/missing")) << missing.detail;
  ChannelSendOptions no_ssm = Options();
  no_ssm.resolve_ssm = nullptr;
  ChannelNotifier notifier(http_, directory_, no_ssm, clock_);
  EXPECT_EQ(notifier.Send(Overdue("down")).kind, Kind::kRejected);
  EXPECT_TRUE(sink_.Got().empty());
}

TEST_F(ChannelNotifierTest, SsmValuesAreCheckedAsTheyWouldBeOnSave) {
  Add(R"({"name":"h","kind":"webhook","url":")" + sink_.url() +
      R"(/h","headers":{"X-Auth":"ssm:/hb/crlf"}})");
  Add(R"({"name":"tg","kind":"telegram","bot_token":"ssm:/hb/badtoken","chat_id":"-1"})");
  SendOutcome header = Send(Overdue("h"));
  EXPECT_EQ(header.kind, Kind::kRejected) << header.detail;
  EXPECT_TRUE(Has(header.detail, "X-Auth")) << header.detail;
  EXPECT_FALSE(Has(header.detail, "Injected")) << header.detail;
  SendOutcome token = Send(Overdue("tg"));
  EXPECT_EQ(token.kind, Kind::kRejected) << token.detail;
  EXPECT_FALSE(Has(token.detail, "evil")) << token.detail;
  EXPECT_TRUE(sink_.Got().empty());
  EXPECT_EQ(telegram_.Requests(), 0u);
}

TEST_F(ChannelNotifierTest, AnAlertForARemovedChannelIsRejected) {
  SendOutcome out = Send(Overdue("team-a/gone"));
  EXPECT_EQ(out.kind, Kind::kRejected);
  EXPECT_EQ(out.detail, "no channel team-a/gone: it was removed");
}

TEST_F(ChannelNotifierTest, TelegramChannelsUseTheirOwnTokenAndChatAndCarryButtons) {
  Add(R"({"name":"tg","kind":"telegram","bot_token":")" + std::string(kToken) +
      R"(","chat_id":"-1009"})");
  ASSERT_EQ(Send(Overdue("tg")).kind, Kind::kSent);
  Alert recovered = Overdue("tg");
  recovered.kind = AlertKind::kRecovered;
  ASSERT_EQ(Send(recovered).kind, Kind::kSent);
  Alert no_uuid = Overdue("tg");
  no_uuid.uuid = "";
  ASSERT_EQ(Send(no_uuid).kind, Kind::kSent);
  std::vector<testing::TelegramMessage> got = telegram_.Delivered();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].token, kToken);
  EXPECT_EQ(got[0].chat_id, "-1009");
  EXPECT_EQ(got[0].parse_mode, "MarkdownV2");
  EXPECT_EQ(got[0].text, AlertMarkdownV2(Overdue("tg"), clock_.Now()));
  EXPECT_EQ(got[0].reply_markup,
            std::string(R"({"inline_keyboard":[[)") +
                R"({"text":"Snooze 1 h","callback_data":"snooze:)" + kUuid + R"("},)" +
                R"({"text":"Pause","callback_data":"pause:)" + kUuid + R"("},)" +
                R"({"text":"Acknowledge","callback_data":"ack:)" + kUuid + R"("}]]})");
  EXPECT_EQ(got[1].reply_markup, "");
  EXPECT_EQ(got[2].reply_markup, "");
}

TEST_F(ChannelNotifierTest, AnAlertWithoutAChannelGoesToTheEnvironmentsTelegram) {
  Channel env;
  env.kind = ChannelKind::kTelegram;
  env.bot_token = kToken;
  env.chat_id = "-42";
  ChannelDirectory directory(env);
  ChannelNotifier notifier(http_, directory, Options(), clock_);
  ASSERT_EQ(notifier.Send(Overdue("")).kind, Kind::kSent);
  ASSERT_EQ(notifier.Send(Overdue("telegram")).kind, Kind::kSent);
  std::vector<testing::TelegramMessage> got = telegram_.Delivered();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].chat_id, "-42");
  EXPECT_EQ(got[1].chat_id, "-42");
}

TEST_F(ChannelNotifierTest, TestMessagesSayWhichChannelAndCarryNoButtons) {
  Channel tg = Add(R"({"name":"tg","kind":"telegram","bot_token":")" + std::string(kToken) +
                   R"(","chat_id":"-1009"})");
  Channel slack =
      Add(R"({"name":"team-slack","kind":"slack","url":")" + sink_.url() + R"(/s/x"})", "team-a");
  Channel hook = Add(R"({"name":"w","kind":"webhook","url":")" + sink_.url() +
                     R"(/w","body":"{\"k\":\"$KIND\",\"s\":\"$STATUS\",\"m\":\"$MESSAGE\"}"})");
  ChannelNotifier notifier(http_, directory_, Options(), clock_);
  ASSERT_EQ(notifier.SendTest(tg).kind, Kind::kSent);
  std::vector<testing::TelegramMessage> got = telegram_.Delivered();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].text,
            EscapeMarkdownV2("✅ heartbeat test message for channel tg (project default)"));
  EXPECT_EQ(got[0].reply_markup, "");

  ASSERT_EQ(notifier.SendTest(slack).kind, Kind::kSent);
  EXPECT_EQ(sink_.Last().body,
            R"x({"text":"✅ heartbeat test message for channel team-slack (project team-a)"})x");

  ASSERT_EQ(notifier.SendTest(hook).kind, Kind::kSent);
  boost::json::value body = boost::json::parse(sink_.Last().body);
  EXPECT_EQ(body.at("k").as_string(), "test");
  EXPECT_EQ(body.at("s").as_string(), "up");
  EXPECT_EQ(body.at("m").as_string(), "✅ heartbeat test message for channel w (project default)");

  sink_.Enqueue(Reply(404, "no_service"));
  SendOutcome refused = notifier.SendTest(slack);
  EXPECT_EQ(refused.kind, Kind::kRejected);
  EXPECT_TRUE(Has(refused.detail, "404")) << refused.detail;
}

}  // namespace
}  // namespace heartbeat::channel_notifier_test
