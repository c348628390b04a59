// TelegramNotifier with the real CurlHttpClient against FakeTelegram, a fake Bot API that
// speaks real HTTP on 127.0.0.1.

#include "notify/telegram.h"

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/alert.h"
#include "http_client/http_client.h"
#include "notify/message.h"
#include "support/fake_clock.h"
#include "support/fake_telegram.h"

namespace heartbeat {
namespace {

using heartbeat::testing::FakeTelegram;
using heartbeat::testing::TelegramMessage;
using heartbeat::testing::TelegramReply;
using Kind = SendOutcome::Kind;
using std::chrono::milliseconds;

// Shaped like a real token, with characters that would show if it leaked.
constexpr char kToken[] = "7301234567:AAH-secret_TOKEN_value-zz9";
constexpr char kChatId[] = "-1001234567890";

// 2026-09-21T12:03:00Z
constexpr UnixMillis kLastPing = 1'789'992'180'000LL;

Alert OverdueAlert() {
  return Alert{.kind = AlertKind::kOverdue,
               .slug = "nightly-backup",
               .interval_secs = 300,
               .last_ping = kLastPing,
               .deadline = kLastPing + 5 * 60'000,
               .at = kLastPing + 12 * 60'000,
               .down_since = kLastPing + 12 * 60'000};
}

TelegramOptions Options(const FakeTelegram& fake) {
  TelegramOptions o;
  o.api_url = fake.url();
  o.bot_token = kToken;
  o.chat_id = kChatId;
  o.connect_timeout = milliseconds(2000);
  o.total_timeout = milliseconds(5000);
  return o;
}

std::string KindName(Kind k) {
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

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A free loopback port: opened, then closed again.
unsigned short UnusedPort() {
  unsigned short port = 0;
  {
    FakeTelegram probe;
    port = probe.port();
  }
  return port;
}

class TelegramNotifierTest : public ::testing::Test {
 protected:
  CurlHttpClient http_;
  FakeTelegram fake_;
  // The messages are made two minutes after the alerts were decided (a retry, say).
  testing::FakeClock clock_{OverdueAlert().at + 2 * 60'000};
};

TEST_F(TelegramNotifierTest, SentMessageArrivesAsMarkdownV2AtSendMessage) {
  TelegramNotifier notifier(http_, Options(fake_), clock_);
  const Alert alert = OverdueAlert();
  SendOutcome out = notifier.Send(alert);
  EXPECT_EQ(out.kind, Kind::kSent) << out.detail;
  EXPECT_EQ(out.retry_after, std::nullopt);
  ASSERT_EQ(fake_.Requests(), 1u);
  std::vector<TelegramMessage> got = fake_.Delivered();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].method, "POST");
  EXPECT_EQ(got[0].target, std::string("/bot") + kToken + "/sendMessage");
  EXPECT_EQ(got[0].token, kToken);
  EXPECT_EQ(got[0].content_type, "application/json");
  EXPECT_EQ(got[0].chat_id, kChatId);
  EXPECT_EQ(got[0].parse_mode, "MarkdownV2");
  EXPECT_EQ(got[0].text, AlertMarkdownV2(alert, clock_.Now()));
  // Decided 7 minutes past the deadline, sent 2 minutes later: the message says how late
  // the job is when it is sent.
  EXPECT_EQ(got[0].text,
            "\xE2\x9A\xA0\xEF\xB8\x8F OVERDUE: `nightly-backup` \\| interval: 5m \\| last: 12:03 "
            "UTC \\| 9m late");
}

TEST_F(TelegramNotifierTest, EveryKindOfAlertIsDeliveredInOrder) {
  TelegramNotifier notifier(http_, Options(fake_), clock_);
  std::vector<Alert> alerts;
  for (AlertKind kind :
       {AlertKind::kOverdue, AlertKind::kFailed, AlertKind::kRepeat, AlertKind::kRecovered}) {
    Alert a = OverdueAlert();
    a.kind = kind;
    alerts.push_back(a);
    SendOutcome out = notifier.Send(a);
    EXPECT_EQ(out.kind, Kind::kSent) << ToString(kind) << ": " << out.detail;
  }
  std::vector<TelegramMessage> got = fake_.Delivered();
  ASSERT_EQ(got.size(), 4u);
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].text, AlertMarkdownV2(alerts[i], clock_.Now())) << i;
  }
}

TEST_F(TelegramNotifierTest, TooManyRequestsIsRetriedAfterItsRetryAfter) {
  fake_.Enqueue(TelegramReply::TooManyRequests(7));
  TelegramNotifier notifier(http_, Options(fake_));
  SendOutcome out = notifier.Send(OverdueAlert());
  EXPECT_EQ(out.kind, Kind::kRetry) << KindName(out.kind);
  ASSERT_TRUE(out.retry_after.has_value()) << out.detail;
  EXPECT_EQ(*out.retry_after, std::chrono::seconds(7));
  EXPECT_TRUE(Contains(out.detail, "429")) << out.detail;
  EXPECT_EQ(fake_.Requests(), 1u);
  EXPECT_TRUE(fake_.Delivered().empty());
}

TEST_F(TelegramNotifierTest, ServerErrorIsRetriedWithoutAnOwnWait) {
  fake_.Enqueue(TelegramReply::ServerError());
  TelegramNotifier notifier(http_, Options(fake_));
  SendOutcome out = notifier.Send(OverdueAlert());
  EXPECT_EQ(out.kind, Kind::kRetry) << KindName(out.kind);
  EXPECT_EQ(out.retry_after, std::nullopt);
  EXPECT_TRUE(Contains(out.detail, "500")) << out.detail;
  EXPECT_EQ(fake_.Requests(), 1u);
  // The next attempt, with Telegram back to normal, goes through.
  EXPECT_EQ(notifier.Send(OverdueAlert()).kind, Kind::kSent);
  EXPECT_EQ(fake_.Delivered().size(), 1u);
}

TEST_F(TelegramNotifierTest, BadRequestIsRejectedWithTelegramsDescription) {
  fake_.Enqueue(TelegramReply::BadRequest());
  TelegramNotifier notifier(http_, Options(fake_));
  SendOutcome out = notifier.Send(OverdueAlert());
  EXPECT_EQ(out.kind, Kind::kRejected) << KindName(out.kind);
  EXPECT_EQ(out.retry_after, std::nullopt);
  EXPECT_TRUE(Contains(out.detail, "400")) << out.detail;
  EXPECT_TRUE(Contains(out.detail, "Bad Request: can't parse entities: character '.' is reserved"))
      << out.detail;
  EXPECT_TRUE(fake_.Delivered().empty());
}

TEST_F(TelegramNotifierTest, ConnectionRefusedIsRetriedAndNamesTheFailureButNotTheToken) {
  TelegramNotifier notifier(http_, Options(fake_));
  fake_.Down();
  SendOutcome out = notifier.Send(OverdueAlert());
  EXPECT_EQ(out.kind, Kind::kRetry) << KindName(out.kind);
  EXPECT_EQ(out.retry_after, std::nullopt);
  std::string lower = out.detail;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_TRUE(Contains(lower, "connect")) << out.detail;
  EXPECT_FALSE(Contains(out.detail, kToken)) << out.detail;
  EXPECT_FALSE(Contains(out.detail, "secret_TOKEN")) << out.detail;
  // Telegram comes back: the same notifier delivers.
  fake_.Up();
  SendOutcome again = notifier.Send(OverdueAlert());
  EXPECT_EQ(again.kind, Kind::kSent) << again.detail;
  EXPECT_EQ(fake_.Delivered().size(), 1u);
}

TEST_F(TelegramNotifierTest, ReplySlowerThanTheTotalTimeoutIsRetriedWithoutWaitingForIt) {
  fake_.Enqueue(TelegramReply::Slow(milliseconds(1000)));
  TelegramOptions options = Options(fake_);
  options.total_timeout = milliseconds(300);
  TelegramNotifier notifier(http_, options);
  const auto start = std::chrono::steady_clock::now();
  SendOutcome out = notifier.Send(OverdueAlert());
  const auto took =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
  EXPECT_EQ(out.kind, Kind::kRetry) << KindName(out.kind) << ": " << out.detail;
  EXPECT_GE(took, milliseconds(250));
  EXPECT_LT(took, milliseconds(1000)) << "Send waited for the slow reply";
  EXPECT_FALSE(Contains(out.detail, kToken)) << out.detail;
  EXPECT_EQ(fake_.Requests(), 1u);
}

TEST_F(TelegramNotifierTest, ApiUrlWithATrailingSlashStillWorks) {
  for (const std::string& suffix : {std::string("/"), std::string("//")}) {
    TelegramOptions options = Options(fake_);
    options.api_url = fake_.url() + suffix;
    TelegramNotifier notifier(http_, options);
    SendOutcome out = notifier.Send(OverdueAlert());
    EXPECT_EQ(out.kind, Kind::kSent) << suffix << ": " << out.detail;
  }
  std::vector<TelegramMessage> got = fake_.Delivered();
  ASSERT_EQ(got.size(), 2u);
  for (const TelegramMessage& m : got) {
    EXPECT_EQ(m.target, std::string("/bot") + kToken + "/sendMessage");
    EXPECT_EQ(m.token, kToken);
  }
}

TEST_F(TelegramNotifierTest, TokenNeverAppearsInTheDetailWhateverHappens) {
  std::vector<SendOutcome> outcomes;
  {
    TelegramNotifier notifier(http_, Options(fake_));
    outcomes.push_back(notifier.Send(OverdueAlert()));
    for (const TelegramReply& r :
         {TelegramReply::TooManyRequests(3), TelegramReply::ServerError(),
          TelegramReply::BadRequest(), TelegramReply{404, 0, {}, "Not Found"},
          TelegramReply{401, 0, {}, "Unauthorized"}, TelegramReply{403, 0, {}, "Forbidden"}}) {
      fake_.Enqueue(r);
      outcomes.push_back(notifier.Send(OverdueAlert()));
    }
  }
  {
    TelegramOptions options = Options(fake_);
    options.total_timeout = milliseconds(200);
    fake_.Enqueue(TelegramReply::Slow(milliseconds(500)));
    TelegramNotifier notifier(http_, options);
    outcomes.push_back(notifier.Send(OverdueAlert()));
  }
  {
    TelegramOptions options = Options(fake_);
    options.api_url = "http://127.0.0.1:" + std::to_string(UnusedPort());  // refused
    TelegramNotifier notifier(http_, options);
    outcomes.push_back(notifier.Send(OverdueAlert()));
  }
  {
    TelegramOptions options = Options(fake_);
    options.api_url = "https://127.0.0.1:" + std::to_string(fake_.port());  // TLS to plain HTTP
    TelegramNotifier notifier(http_, options);
    outcomes.push_back(notifier.Send(OverdueAlert()));
  }
  {
    TelegramOptions options = Options(fake_);
    options.api_url = "http://no-such-host.invalid";  // name resolution fails
    TelegramNotifier notifier(http_, options);
    outcomes.push_back(notifier.Send(OverdueAlert()));
  }
  ASSERT_EQ(outcomes.size(), 11u);
  const std::vector<Kind> want = {Kind::kSent,  Kind::kRetry, Kind::kRetry, Kind::kRejected,
                                  Kind::kRetry, Kind::kRetry, Kind::kRetry, Kind::kRetry,
                                  Kind::kRetry, Kind::kRetry, Kind::kRetry};
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    EXPECT_EQ(KindName(outcomes[i].kind), KindName(want[i])) << i << ": " << outcomes[i].detail;
    EXPECT_FALSE(Contains(outcomes[i].detail, kToken)) << i << ": " << outcomes[i].detail;
    EXPECT_FALSE(Contains(outcomes[i].detail, "secret_TOKEN")) << i << ": " << outcomes[i].detail;
    if (outcomes[i].kind != Kind::kSent) {
      EXPECT_FALSE(outcomes[i].detail.empty()) << i;
    }
  }
}

TEST_F(TelegramNotifierTest, HttpsToAPlainHttpPortFailsInsteadOfDowngrading) {
  TelegramOptions options = Options(fake_);
  options.api_url = "https://127.0.0.1:" + std::to_string(fake_.port());
  TelegramNotifier notifier(http_, options);
  SendOutcome out = notifier.Send(OverdueAlert());
  EXPECT_EQ(out.kind, Kind::kRetry) << KindName(out.kind) << ": " << out.detail;
  EXPECT_FALSE(out.detail.empty());
  EXPECT_FALSE(Contains(out.detail, kToken)) << out.detail;
  // What arrived was a TLS handshake, and no plain HTTP request followed it.
  EXPECT_EQ(fake_.TlsHandshakes(), 1u);
  EXPECT_EQ(fake_.Requests(), 0u);
  EXPECT_TRUE(fake_.Delivered().empty());
}

}  // namespace
}  // namespace heartbeat
