#pragma once
// The Notifier of every channel: sends an alert to the channel its Alert::channel names
// (ChannelDirectory), in that channel's kind and format: Telegram (MarkdownV2, with the
// buttons), a webhook and its presets (Slack, Discord, ntfy, Mattermost, Teams), e-mail over
// SMTP. A channel that no longer exists refuses the alert (kRejected). An alert without a
// channel (queued before channels existed) goes to the environment's `telegram`.
//
// What each kind sends:
// - telegram: sendMessage as TelegramNotifier, with the channel's token and chat;
// - webhook: its method to its URL (the template's values URL-encoded), its headers, its
//   body template rendered (notify/template.h: values JSON-escaped in a JSON body,
//   URL-encoded in a form, as they are in plain text; kDefaultWebhookBody when empty; no
//   body for GET) with Content-Type application/json (a JSON body) or text/plain;
//   charset=utf-8 unless a header sets it;
// - slack, mattermost: {"text": message}; discord: {"content": message} (cut to 2000
//   characters); teams: {"@type":"MessageCard","@context":"https://schema.org/extensions",
//   "summary": title, "text": message}; all POSTed as JSON;
// - ntfy: POST of the message as plain text, with the headers Title (e.g. "OVERDUE:
//   nightly-backup"), Priority (urgent for a first alert, high for a repeat, default for a
//   recovery or a test) and Tags;
// - email: SmtpOptions's server, the message's first line as its subject, the message as
//   its body (notify/email.h).
// The message is notify/message.h's AlertPlainText, made at the time of the attempt.
//
// Outcomes (webhooks and presets): 2xx sent; 429 kRetry with retry_after from the
// Retry-After header (seconds or an HTTP date), else the JSON body's retry_after (Discord:
// seconds, maybe fractional, rounded up; Telegram: parameters.retry_after); 408, 425, 5xx and
// transport failures kRetry; any other status kRejected (Teams: a 200 whose body says Teams
// answered 429 is kRetry too). Telegram: as TelegramNotifier.
// E-mail: as SendSmtp. A secret given as ssm:NAME that cannot be read: kRetry when SSM is
// unavailable, else kRejected. Details name the channel and the URL's scheme and host,
// never a secret (token, password, header value, the URL's path or query).
//
// Thread-safe: Send runs on the delivery threads, several at once; each call reads the
// directory's snapshot and keeps nothing. SSM references are read at each send (not cached).

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "core/clock.h"
#include "http_client/http_client.h"
#include "notify/channel.h"
#include "notify/channel_directory.h"
#include "notify/email.h"
#include "notify/notifier.h"

namespace heartbeat {

struct ChannelSendOptions {
  std::string telegram_api_url = "https://api.telegram.org";
  SmtpOptions smtp;
  std::chrono::milliseconds connect_timeout{5000};
  // Per attempt, answer included (Telegram's is kTelegramSendTimeout; webhooks and e-mail
  // 30 s).
  std::chrono::milliseconds webhook_timeout{30'000};
  std::chrono::milliseconds telegram_timeout{60'000};
  // A secret given as "ssm:NAME" is read from SSM Parameter Store (the Lambda): this
  // resolves NAME, when set.
  std::function<Result<std::string>(const std::string& name)> resolve_ssm;
  // For a process that is stopping: when set and true, an e-mail in progress is abandoned
  // within about a second (HTTP sends stop with CurlHttpClient::CancelAll).
  std::function<bool()> cancelled;
};

class ChannelNotifier final : public Notifier {
 public:
  ChannelNotifier(HttpClient& http, const ChannelDirectory& channels, ChannelSendOptions options,
                  const Clock& clock = RealClock());

  SendOutcome Send(const Alert& alert) override;

  // POST /channels/{name}/test: a test message to `channel`, now, once (no retry): "✅
  // heartbeat test message for channel NAME (project P)", $KIND "test", $STATUS "up", no
  // buttons.
  SendOutcome SendTest(const Channel& channel);

  struct Outgoing;  // what is sent, in every form (channel_notifier.cc)

 private:
  SendOutcome Dispatch(const Channel& channel, const Outgoing& message);
  SendOutcome SendTelegram(const Channel& channel, const Outgoing& message);
  SendOutcome SendHttp(const Channel& channel, const Outgoing& message);
  SendOutcome SendEmail(const Channel& channel, const Outgoing& message);
  // `value` itself, or the SSM parameter an "ssm:NAME" value names.
  Result<std::string> Resolve(const std::string& value) const;

  HttpClient& http_;
  const ChannelDirectory& channels_;
  ChannelSendOptions options_;
  const Clock& clock_;
};

}  // namespace heartbeat
