// E-mail channels (notify/email.h): the message's headers and encoding, SMTP_* checks, and
// ChannelNotifier's e-mails through a real SMTP server on 127.0.0.1 (aiosmtpd): plain
// (SMTP_TLS none), STARTTLS with a login, and the refusal to send in clear.

#include "notify/email.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <string>
#include <thread>

#include "notify/channel_notifier.h"
#include "notify/message.h"
#include "support/fake_clock.h"
#include "support/loopback_http_server.h"
#include "support/smtp_sink.h"

namespace heartbeat::email_test {
namespace {

using Kind = SendOutcome::Kind;
using std::chrono::milliseconds;

// 2026-09-21T12:03:00Z, a Monday.
constexpr UnixMillis kLastPing = 1'789'992'180'000LL;

Alert Failed(std::string channel) {
  return Alert{.kind = AlertKind::kFailed,
               .slug = "nightly-backup",
               .uuid = "0f1e2d3c-4b5a-4687-9a0b-1c2d3e4f5a6b",
               .interval_secs = 300,
               .last_ping = kLastPing,
               .deadline = kLastPing + 5 * 60'000,
               .at = kLastPing + 5 * 60'000,
               .down_since = kLastPing + 5 * 60'000,
               .exit_code = 3,
               .body_tail = "tar: /data: Cannot open: Permission denied\nü done",
               .channel = std::move(channel)};
}

bool Has(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

TEST(EmailTest, MessageHasItsHeadersAndAnEncodedSubjectAndBody) {
  std::string m =
      BuildEmail("Heartbeat <hb@example.com>", {"a@example.com", "b@example.org"},
                 "⚠️ OVERDUE: `x`", "line one\nline two ✅\n", kLastPing, "id-1@example.com");
  EXPECT_TRUE(Has(m, "Date: Mon, 21 Sep 2026 12:03:00 +0000\r\n")) << m;
  EXPECT_TRUE(Has(m, "From: Heartbeat <hb@example.com>\r\n")) << m;
  EXPECT_TRUE(Has(m, "To: a@example.com, b@example.org\r\n")) << m;
  EXPECT_TRUE(Has(m, "Subject: =?UTF-8?B?")) << m;
  EXPECT_TRUE(Has(m, "Message-ID: <id-1@example.com>\r\n")) << m;
  EXPECT_TRUE(Has(m, "MIME-Version: 1.0\r\n")) << m;
  EXPECT_TRUE(Has(m, "Content-Type: text/plain; charset=UTF-8\r\n")) << m;
  EXPECT_TRUE(Has(m, "Content-Transfer-Encoding: base64\r\n")) << m;
  EXPECT_TRUE(Has(m, "\r\n\r\n")) << m;
  // An ASCII subject stays as it is; a line break cannot start a header of its own.
  std::string plain = BuildEmail("hb@example.com", {"a@example.com"},
                                 "OVERDUE\r\nBcc: evil@example.com", "x", kLastPing, "i@e");
  EXPECT_TRUE(Has(plain, "Subject: OVERDUE  Bcc: evil@example.com\r\n")) << plain;
  EXPECT_FALSE(Has(plain, "\r\nBcc:")) << plain;
  EXPECT_EQ(FormatRfc5322Date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
}

TEST(EmailTest, SmtpSettingsThatCannotSendAreNamed) {
  auto message = [](SmtpOptions o) {
    Status s = ValidateSmtpOptions(o);
    return s.ok() ? std::string() : s.error().message;
  };
  SmtpOptions good{.url = "smtp://u:secretpw@mail.example.com:587", .from = "hb@example.com"};
  EXPECT_EQ(message(good), "");
  SmtpOptions o = good;
  o.url = "";
  EXPECT_TRUE(message(o).starts_with("SMTP_URL: "));
  o = good;
  o.tls = "maybe";
  EXPECT_TRUE(message(o).starts_with("SMTP_TLS: "));
  o = good;
  o.url = "smtps://u:secretpw@mail.example.com:465";
  EXPECT_TRUE(message(o).starts_with("SMTP_URL: "));  // starttls takes smtp://
  EXPECT_FALSE(Has(message(o), "secretpw"));
  o.tls = "tls";
  EXPECT_EQ(message(o), "");
  o = good;
  o.from = "";
  EXPECT_TRUE(message(o).starts_with("SMTP_FROM: "));
  o.from = "Heartbeat <hb@example.com>";
  EXPECT_EQ(message(o), "");
  EXPECT_EQ(SmtpFromAddress(o.from), "hb@example.com");
}

class EmailChannelTest : public ::testing::Test {
 protected:
  void AddMail(const std::string& to_json) {
    Result<Channel> c = ParseChannelSpec(
        boost::json::parse(R"({"name":"mail","kind":"email","to":)" + to_json + "}").as_object(),
        "default", 0);
    ASSERT_TRUE(c.ok()) << c.error().message;
    directory_.Replace({ToRecord(*c)});
  }
  SendOutcome Send(const SmtpOptions& smtp, milliseconds total = milliseconds(10'000)) {
    ChannelSendOptions options;
    options.smtp = smtp;
    options.connect_timeout = milliseconds(2000);
    options.webhook_timeout = total;
    ChannelNotifier notifier(http_, directory_, options, clock_);
    return notifier.Send(Failed("mail"));
  }

  CurlHttpClient http_;
  ChannelDirectory directory_;
  testing::FakeClock clock_{kLastPing + 7 * 60'000};
};

TEST_F(EmailChannelTest, PlainSmtpToALoopbackRelayDeliversTheAlert) {
  testing::SmtpSink sink;
  AddMail(R"(["ops@example.com","dev@example.org"])");
  SmtpOptions smtp{.url = "smtp://" + sink.host_port(),
                   .tls = "none",
                   .from = "Heartbeat <heartbeat@example.net>"};
  SendOutcome out = Send(smtp);
  ASSERT_EQ(out.kind, Kind::kSent) << out.detail;
  std::vector<boost::json::value> got = sink.Messages();
  ASSERT_EQ(got.size(), 1u);
  const boost::json::object& m = got[0].as_object();
  EXPECT_EQ(m.at("mail_from").as_string(), "heartbeat@example.net");
  EXPECT_EQ(boost::json::serialize(m.at("rcpt_tos")), R"(["ops@example.com","dev@example.org"])");
  const std::string text = AlertPlainText(Failed("mail"), clock_.Now());
  EXPECT_EQ(m.at("subject").as_string(), text.substr(0, text.find('\n')));
  EXPECT_EQ(m.at("body").as_string(), text + "\n");
  const boost::json::object& h = m.at("headers").as_object();
  EXPECT_EQ(h.at("From").as_string(), "Heartbeat <heartbeat@example.net>");
  EXPECT_EQ(h.at("To").as_string(), "ops@example.com, dev@example.org");
  EXPECT_EQ(h.at("Date").as_string(), "Mon, 21 Sep 2026 12:10:00 +0000");
  EXPECT_TRUE(Has(h.at("Message-ID").as_string(), "@example.net>"));
  EXPECT_EQ(h.at("MIME-Version").as_string(), "1.0");
  const std::string raw(m.at("raw").as_string());
  EXPECT_TRUE(Has(raw, "\r\nContent-Type: text/plain; charset=UTF-8\r\n")) << raw;
  EXPECT_TRUE(Has(raw, "\r\nContent-Transfer-Encoding: base64\r\n")) << raw;
  EXPECT_FALSE(m.at("tls").as_bool());
}

TEST_F(EmailChannelTest, ATestMessageSaysWhichChannel) {
  testing::SmtpSink sink;
  AddMail(R"(["ops@example.com"])");
  ChannelSendOptions options;
  options.smtp = {.url = "smtp://" + sink.host_port(), .tls = "none", .from = "hb@example.net"};
  ChannelNotifier notifier(http_, directory_, options, clock_);
  SendOutcome out = notifier.SendTest(*directory_.Find("mail"));
  ASSERT_EQ(out.kind, Kind::kSent) << out.detail;
  std::vector<boost::json::value> got = sink.Messages();
  ASSERT_EQ(got.size(), 1u);
  const std::string text = "✅ heartbeat test message for channel mail (project default)";
  EXPECT_EQ(got[0].at("subject").as_string(), text);
  EXPECT_EQ(got[0].at("body").as_string(), text + "\n");
}

TEST_F(EmailChannelTest, StartTlsRefusesToSendWhenTheServerOffersNone) {
  testing::SmtpSink sink;  // no STARTTLS
  AddMail(R"(["ops@example.com"])");
  SmtpOptions smtp{.url = "smtp://heartbeat:pa55wordXYZ@" + sink.host_port(),
                   .from = "heartbeat@example.net"};  // tls: starttls, the default
  SendOutcome out = Send(smtp);
  EXPECT_EQ(out.kind, Kind::kRetry) << out.detail;
  EXPECT_TRUE(Has(out.detail, "not sent without TLS")) << out.detail;
  EXPECT_FALSE(Has(out.detail, "pa55wordXYZ")) << out.detail;
  EXPECT_TRUE(sink.Messages().empty());
}

TEST_F(EmailChannelTest, StartTlsWithALoginDelivers) {
  testing::SmtpSink sink({.tls = true, .login = "heartbeat:pa55wordXYZ"});
  AddMail(R"(["ops@example.com"])");
  SmtpOptions smtp{.url = "smtp://heartbeat:pa55wordXYZ@" + sink.host_port(),
                   .from = "heartbeat@example.net",
                   .ca_file = sink.cert_file()};
  SendOutcome out = Send(smtp);
  ASSERT_EQ(out.kind, Kind::kSent) << out.detail;
  std::vector<boost::json::value> got = sink.Messages();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].at("tls").as_bool());

  // A wrong password is never sent in clear, nor shown.
  smtp.url = "smtp://heartbeat:wrongPASSWORD@" + sink.host_port();
  SendOutcome wrong = Send(smtp, milliseconds(1500));
  EXPECT_NE(wrong.kind, Kind::kSent);
  EXPECT_FALSE(Has(wrong.detail, "wrongPASSWORD")) << wrong.detail;
  EXPECT_EQ(sink.Messages().size(), 1u);

  // A certificate that is not trusted is a failure, not a downgrade.
  smtp.url = "smtp://heartbeat:pa55wordXYZ@" + sink.host_port();
  smtp.ca_file = "/etc/ssl/certs/ca-certificates.crt";
  SendOutcome untrusted = Send(smtp);
  EXPECT_EQ(untrusted.kind, Kind::kRetry) << untrusted.detail;
  EXPECT_EQ(sink.Messages().size(), 1u);
}

TEST_F(EmailChannelTest, ImplicitTlsTakesAnSmtpUrlAsSmtps) {
  testing::SmtpSink sink({.tls = true, .implicit_tls = true, .login = "hb:pa55wordXYZ"});
  AddMail(R"(["ops@example.com"])");
  SmtpOptions smtp{.url = "smtp://hb:pa55wordXYZ@" + sink.host_port(),
                   .tls = "tls",
                   .from = "heartbeat@example.net",
                   .ca_file = sink.cert_file()};
  SendOutcome out = Send(smtp);
  ASSERT_EQ(out.kind, Kind::kSent) << out.detail;
  ASSERT_EQ(sink.Messages().size(), 1u);
  // The same server spoken to in clear: no message, and the login is never sent.
  smtp.tls = "none";
  SendOutcome clear = Send(smtp, milliseconds(1500));
  EXPECT_EQ(clear.kind, Kind::kRetry) << clear.detail;
  EXPECT_FALSE(Has(clear.detail, "pa55wordXYZ")) << clear.detail;
  EXPECT_EQ(sink.Messages().size(), 1u);
}

TEST_F(EmailChannelTest, AStoppingProcessAbandonsAnEmailInProgress) {
  // A server that accepts the connection and never says a word.
  testing::LoopbackHttpServer silent(
      [](const testing::LoopbackRequest&) { return testing::LoopbackReply::NeverAnswer(); });
  AddMail(R"(["ops@example.com"])");
  ChannelSendOptions options;
  options.smtp = {.url = "smtp://127.0.0.1:" + std::to_string(silent.port()),
                  .tls = "none",
                  .from = "hb@example.net"};
  options.webhook_timeout = milliseconds(20'000);
  std::atomic<bool> stopping{false};
  options.cancelled = [&] { return stopping.load(); };
  ChannelNotifier notifier(http_, directory_, options, clock_);
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(300));
    stopping = true;
  });
  const auto start = std::chrono::steady_clock::now();
  SendOutcome out = notifier.Send(Failed("mail"));
  stopper.join();
  EXPECT_EQ(out.kind, Kind::kRetry) << out.detail;
  EXPECT_TRUE(Has(out.detail, "stopping")) << out.detail;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(EmailChannelTest, RefusedRecipientsAreRejectedAndBusyOnesRetried) {
  testing::SmtpSink sink;
  SmtpOptions smtp{.url = "smtp://" + sink.host_port(), .tls = "none", .from = "hb@example.net"};
  AddMail(R"(["reject-me@example.com"])");
  SendOutcome refused = Send(smtp);
  EXPECT_EQ(refused.kind, Kind::kRejected) << refused.detail;
  EXPECT_TRUE(Has(refused.detail, "550")) << refused.detail;
  AddMail(R"(["later@example.com"])");
  SendOutcome busy = Send(smtp);
  EXPECT_EQ(busy.kind, Kind::kRetry) << busy.detail;
  EXPECT_TRUE(sink.Messages().empty());
}

TEST_F(EmailChannelTest, AnAbsentServerOrMissingSettingsAreNotSent) {
  unsigned short port = 0;
  {
    testing::SmtpSink gone;
    port = gone.port();
  }
  AddMail(R"(["ops@example.com"])");
  SmtpOptions smtp{
      .url = "smtp://127.0.0.1:" + std::to_string(port), .tls = "none", .from = "hb@example.net"};
  EXPECT_EQ(Send(smtp).kind, Kind::kRetry);
  SendOutcome unset = Send(SmtpOptions{});
  EXPECT_EQ(unset.kind, Kind::kRejected);
  EXPECT_TRUE(Has(unset.detail, "SMTP_URL")) << unset.detail;
}

}  // namespace
}  // namespace heartbeat::email_test
