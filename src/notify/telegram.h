#pragma once
// Telegram Bot API sendMessage, MarkdownV2.

#include <boost/json/value.hpp>
#include <chrono>
#include <string>

#include "core/clock.h"
#include "http_client/http_client.h"
#include "notify/notifier.h"

namespace heartbeat {

// How long a sendMessage may take, answer included, for `serve` and `check` (the Lambda
// passes a shorter one that fits its invocation). Long: a Telegram that is slow but working
// answers within it, so that its message is not sent again by a retry (each attempt of a
// timed-out send may be posted). A hung send holds one sender that long, and SIGTERM cuts
// it within a second (CurlHttpClient::CancelAll).
inline constexpr std::chrono::milliseconds kTelegramSendTimeout{60'000};

struct TelegramOptions {
  std::string api_url = "https://api.telegram.org";  // TELEGRAM_API_URL
  std::string bot_token;                             // secret
  std::string chat_id;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout = kTelegramSendTimeout;
};

// The inline keyboard of a down alert (SPEC §14): Snooze 1 h, Pause, Acknowledge, each
// button's callback_data "snooze:<uuid>", "pause:<uuid>", "ack:<uuid>" (what the getUpdates
// reader reads); null for a recovery or a monitor without a uuid.
boost::json::value AlertKeyboard(const Alert& alert);

class TelegramNotifier final : public Notifier {
 public:
  // The message is made with `clock`'s time at each attempt (message.h).
  TelegramNotifier(HttpClient& http, TelegramOptions options, const Clock& clock = RealClock())
      : http_(http), options_(std::move(options)), clock_(clock) {}

  // 200 -> kSent; 429 -> kRetry with parameters.retry_after; 400 -> kRejected; other 4xx,
  // 5xx and transport failures -> kRetry (a revoked token or a bot removed from its chat is
  // mended by its operator, and the alert then goes out). A down alert of a monitor with a
  // uuid carries the buttons (AlertKeyboard).
  SendOutcome Send(const Alert& alert) override;

  // A message already in MarkdownV2 (a channel's test message), without buttons; the same
  // outcomes as Send.
  SendOutcome SendText(const std::string& markdown_v2);

 private:
  SendOutcome Post(const std::string& markdown_v2, const boost::json::value& reply_markup);

  HttpClient& http_;
  TelegramOptions options_;
  const Clock& clock_;
};

}  // namespace heartbeat
