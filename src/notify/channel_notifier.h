#pragma once
// The Notifier of every channel: sends an alert to the channel its Alert::channel names
// (ChannelDirectory), in that channel's kind and format: Telegram (MarkdownV2, with the
// buttons), a webhook and its presets (Slack, Discord, ntfy, Mattermost, Teams), e-mail over
// SMTP. A channel that no longer exists refuses the alert (kRejected).

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "core/clock.h"
#include "http_client/http_client.h"
#include "notify/channel.h"
#include "notify/channel_directory.h"
#include "notify/notifier.h"

namespace heartbeat {

// SMTP_URL, SMTP_TLS, SMTP_FROM (SPEC §14).
struct SmtpOptions {
  std::string url;             // smtp://user:pass@host:587 (secret: the password)
  std::string tls = "starttls";  // starttls | tls | none
  std::string from;
};

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
};

class ChannelNotifier final : public Notifier {
 public:
  ChannelNotifier(HttpClient& http, const ChannelDirectory& channels, ChannelSendOptions options,
                  const Clock& clock = RealClock());

  SendOutcome Send(const Alert& alert) override;

  // POST /channels/{name}/test: a test message to `channel`, now, once (no retry).
  SendOutcome SendTest(const Channel& channel);

 private:
  HttpClient& http_;
  const ChannelDirectory& channels_;
  ChannelSendOptions options_;
  const Clock& clock_;
};

}  // namespace heartbeat
