#pragma once
// Telegram Bot API sendMessage, MarkdownV2.

#include <string>

#include "http_client/http_client.h"
#include "notify/notifier.h"

namespace heartbeat {

struct TelegramOptions {
  std::string api_url = "https://api.telegram.org";  // TELEGRAM_API_URL
  std::string bot_token;                             // secret
  std::string chat_id;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout{15000};
};

class TelegramNotifier final : public Notifier {
 public:
  TelegramNotifier(HttpClient& http, TelegramOptions options)
      : http_(http), options_(std::move(options)) {}

  // 200 -> kSent; 429 -> kRetry with parameters.retry_after; 400 -> kRejected; other 4xx,
  // 5xx and transport failures -> kRetry.
  SendOutcome Send(const Alert& alert) override;

 private:
  HttpClient& http_;
  TelegramOptions options_;
};

}  // namespace heartbeat
