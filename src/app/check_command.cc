// `heartbeat check`: one checker cycle and one delivery pass, for cron or a systemd
// timer; and the pieces of alerting that `serve` shares.

#include <spdlog/spdlog.h>

#include "app/commands.h"
#include "checker/deliverer.h"
#include "notify/telegram.h"

namespace heartbeat::app {

std::unique_ptr<Notifier> MakeNotifier(const Config& config, HttpClient& http) {
  if (config.telegram_bot_token.empty() || config.telegram_chat_id.empty()) return nullptr;
  TelegramOptions options;
  options.api_url = config.telegram_api_url;
  options.bot_token = config.telegram_bot_token;
  options.chat_id = config.telegram_chat_id;
  return std::make_unique<TelegramNotifier>(http, options);
}

CheckerOptions CheckerOptionsFrom(const Config& config) {
  CheckerOptions options;
  options.repeat_ms = config.alert_repeat_secs * 1000;
  return options;
}

int RunCheck(const Config& config) {
  auto opened = OpenStoreOrReport(config);
  if (!opened.ok()) return kExitFailure;
  std::unique_ptr<Store> store = std::move(*opened);
  Clock& clock = RealClock();
  bool failed = false;

  Checker checker(*store, clock, CheckerOptionsFrom(config));
  Result<CycleStats> cycle = checker.RunCycle();
  if (!cycle.ok()) {
    spdlog::error("checker cycle failed: {}", cycle.error().message);
    failed = true;
  } else {
    spdlog::info(
        "checked {} due monitor(s): {} alert(s) queued, {} already handled elsewhere, "
        "{} error(s)",
        cycle->examined, cycle->alerts_queued, cycle->conflicts, cycle->errors);
    failed = cycle->errors > 0;
  }

  CurlHttpClient http_client;
  std::unique_ptr<Notifier> notifier = MakeNotifier(config, http_client);
  if (notifier) {
    Deliverer deliverer(*store, *notifier, clock, DelivererOptions{});
    // Rounds until nothing ready is left; bounded, so that a flood cannot keep cron busy.
    for (int round = 0; round < 100; ++round) {
      Result<DeliveryStats> stats = deliverer.DeliverReady();
      if (!stats.ok()) {
        spdlog::error("alert delivery failed: {}", stats.error().message);
        failed = true;
        break;
      }
      if (stats->retried + stats->rejected + stats->errors > 0) failed = true;
      if (stats->sent + stats->retried + stats->rejected == 0) break;
    }
  } else {
    auto pending = Await<std::int64_t>(
        [&](Callback<std::int64_t> cb) { store->CountPendingAlerts(std::move(cb)); });
    if (pending.ok() && *pending > 0) {
      spdlog::error(
          "{} alert(s) pending, and Telegram is not configured (TELEGRAM_BOT_TOKEN, "
          "TELEGRAM_CHAT_ID)",
          *pending);
      failed = true;
    }
  }
  store->Close();
  return failed ? kExitFailure : kExitOk;
}

}  // namespace heartbeat::app
