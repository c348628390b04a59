#pragma once
// The buttons of Telegram alerts (SPEC §14): their presses read by long-polling getUpdates
// (no public URL needed), accepted only from the chats of the bot's telegram channels,
// applied through the caller's action, answered (answerCallbackQuery) and written into the
// message (editMessageText) as a line saying who did what.
//
// A button's callback_data is "snooze:<uuid>", "pause:<uuid>" or "ack:<uuid>" (the
// monitor's uuid). Each distinct bot token gets its own poller thread, which keeps the
// bot's offset. A batch of updates is applied only once a later getUpdates confirmed it
// (Telegram forgets an update once getUpdates is called with an offset past it): a press is
// applied at most once, across restarts and two processes included; a process that dies
// between the confirmation and the action loses that press (its button stops spinning
// without the message being edited, and it can be pressed again).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "http_client/http_client.h"
#include "notify/channel.h"

namespace boost::json {
class object;
}

namespace heartbeat {

// How long a snooze button snoozes.
inline constexpr std::chrono::hours kButtonSnooze{1};

struct ButtonAction {
  enum class Kind { kSnooze, kPause, kAck };
  Kind kind = Kind::kAck;
  std::string uuid;  // the monitor's
  std::string who;   // who pressed: "@username", else the first and last name
};

std::string_view ToString(ButtonAction::Kind kind);  // "snooze", "pause", "ack"

// A button's callback_data read: "snooze:<uuid>", "pause:<uuid>", "ack:<uuid>" with a
// well-formed uuid; nullopt for anything else.
struct ButtonData {
  ButtonAction::Kind kind;
  std::string uuid;
};
std::optional<ButtonData> ParseButtonData(std::string_view data);

// The line added to the message after `kind` was done by `who`, e.g.
// "🔕 Snoozed for 1 h by @alice".
std::string ButtonDoneLine(ButtonAction::Kind kind, std::string_view who);

// A bot and the chats its buttons may be pressed in: the chat_id of each telegram channel
// that uses its token (numeric, or "@channelusername").
struct TelegramBot {
  std::string token;  // secret: never logged
  std::vector<std::string> chat_ids;
};

// The bots of `channels` (their telegram ones with a token and a chat), each token once,
// with its channels' chats: what BotsFn returns, from the ChannelDirectory's channels.
std::vector<TelegramBot> TelegramBotsOf(const std::vector<Channel>& channels);

struct TelegramButtonsOptions {
  std::string api_url = "https://api.telegram.org";  // TELEGRAM_API_URL
  // getUpdates' long-poll timeout. Stop waits for the polls in flight, so it is short: an
  // idle bot costs one request per poll_timeout. A poll that comes back empty at once (a
  // proxy or fake that does not wait) is followed by min_backoff, never a busy loop.
  std::chrono::seconds poll_timeout{2};
  std::chrono::milliseconds connect_timeout{5000};
  // answerCallbackQuery and editMessageText; getUpdates gets poll_timeout plus this.
  std::chrono::milliseconds call_timeout{10'000};
  // Back-off after a failed getUpdates (transport, 5xx, an unreadable answer): doubles from
  // min to max, and starts again at min after a success. A 429's retry_after is honoured.
  std::chrono::milliseconds min_backoff{1000};
  std::chrono::milliseconds max_backoff{60'000};
  // After a 409 Conflict (another getUpdates consumer of the same bot, or a webhook set)
  // or a 401/404 (a revoked token): logged once, tried again this slowly.
  std::chrono::milliseconds slow_retry{30'000};
  // How often the set of bots is read again, to start and stop pollers.
  std::chrono::milliseconds refresh{5000};
};

class TelegramButtons {
 public:
  // The bots and their chats now; called by the supervisor every `refresh` and by a poller
  // for each press (so a channel removed refuses presses at once). Thread-safe.
  using BotsFn = std::function<std::vector<TelegramBot>()>;
  // Applies a press: the monitor's display name, or an error (kNotFound: no monitor with
  // that uuid). Called from the pollers' threads, concurrently for different bots.
  using ActionFn = std::function<Result<std::string>(const ButtonAction&)>;

  // `http` (blocking) and `clock` (its Steady time, to tell a poll that came back at once)
  // outlive this.
  TelegramButtons(HttpClient& http, TelegramButtonsOptions options, BotsFn bots, ActionFn action,
                  const Clock& clock = RealClock());
  ~TelegramButtons();  // Stop()
  TelegramButtons(const TelegramButtons&) = delete;
  TelegramButtons& operator=(const TelegramButtons&) = delete;

  // Starts the supervisor, which starts a poller per bot token at once. Once only.
  void Start();
  // Stops every thread and returns when they ended: within about poll_timeout (a poll in
  // flight), at once when `http` is cancelled (CurlHttpClient::CancelAll). Presses received
  // but not yet applied are confirmed and applied first when Telegram answers at once, else
  // left to the next poller. Idempotent; call it from one thread at a time.
  void Stop();

 private:
  struct Poller;

  void Supervise();
  void Poll(Poller& poller);
  // One update of `token`'s bot, confirmed: a press checked, applied, answered, written.
  void HandleUpdate(const std::string& token, const boost::json::object& update);
  void AnswerPress(const std::string& token, const std::string& callback_id,
                   const std::string& text);
  // Waits `d` or until stopping (the whole, or this poller); false when stopping.
  bool Wait(const Poller* poller, std::chrono::milliseconds d);
  bool Stopping(const Poller* poller) const;

  HttpClient& http_;
  const TelegramButtonsOptions options_;
  const BotsFn bots_;
  const ActionFn action_;
  const Clock& clock_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  bool started_ = false;   // guarded by mu_
  std::thread supervisor_;
  std::vector<std::unique_ptr<Poller>> pollers_;  // touched by the supervisor thread only
};

}  // namespace heartbeat
