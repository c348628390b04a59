// `heartbeat check`: one checker cycle and one delivery pass, for cron or a systemd
// timer; and the pieces of alerting that `serve` shares.

#include <spdlog/spdlog.h>

#include <algorithm>

#include "app/commands.h"
#include "checker/deliverer.h"
#include "notify/telegram.h"

namespace heartbeat::app {

std::unique_ptr<Notifier> MakeNotifier(const Config& config, HttpClient& http,
                                       std::chrono::milliseconds send_timeout) {
  if (config.telegram_bot_token.empty() || config.telegram_chat_id.empty()) return nullptr;
  TelegramOptions options;
  options.api_url = config.telegram_api_url;
  options.bot_token = config.telegram_bot_token;
  options.chat_id = config.telegram_chat_id;
  options.total_timeout = send_timeout;
  options.connect_timeout = std::min(options.connect_timeout, send_timeout);
  return std::make_unique<TelegramNotifier>(http, options);
}

CheckerOptions CheckerOptionsFrom(const Config& config) {
  CheckerOptions options;
  options.repeat_ms = config.alert_repeat_secs * 1000;
  return options;
}

CheckPassReport RunCheckPass(Store& store, Notifier* notifier, const Clock& clock,
                             const CheckerOptions& checker_options,
                             const CheckPassOptions& options) {
  CheckPassReport report;
  auto fail = [&](ErrorCode code, std::string sentence) {
    if (report.failures.empty()) report.failure_code = code;
    report.failures.push_back(std::move(sentence));
  };

  Checker checker(store, clock, checker_options);
  Result<CycleStats> cycle = checker.RunCycle();
  if (!cycle.ok()) {
    spdlog::error("checker cycle failed: {}", cycle.error().message);
    fail(cycle.error().code, "checker cycle failed: " + cycle.error().message);
  } else {
    report.cycle = *cycle;
    spdlog::info(
        "checked {} due monitor(s): {} alert(s) queued, {} already handled elsewhere, "
        "{} error(s)",
        cycle->examined, cycle->alerts_queued, cycle->conflicts, cycle->errors);
    if (cycle->errors > 0) {
      fail(ErrorCode::kUnavailable,
           std::to_string(cycle->errors) + " monitor(s) could not be checked (store errors)");
    }
  }

  if (notifier != nullptr) {
    Deliverer deliverer(store, *notifier, clock, DelivererOptions{});
    for (int round = 0; round < options.max_delivery_rounds; ++round) {
      if (options.stop_delivery_at && clock.Now() >= *options.stop_delivery_at) {
        report.delivery_stopped_by_deadline = true;
        spdlog::warn("delivery stopped: too close to the deadline; what is left goes next time");
        break;
      }
      Result<DeliveryStats> stats = deliverer.DeliverReady();
      if (!stats.ok()) {
        spdlog::error("alert delivery failed: {}", stats.error().message);
        fail(stats.error().code, "alert delivery failed: " + stats.error().message);
        break;
      }
      if (stats->sent + stats->retried + stats->rejected == 0) break;
    }
    report.delivery = deliverer.totals();
    const DeliveryStats& d = report.delivery;
    if (d.retried + d.rejected > 0) {
      fail(ErrorCode::kUnavailable, std::to_string(d.retried + d.rejected) +
                                        " alert(s) not delivered (" + std::to_string(d.retried) +
                                        " to retry, " + std::to_string(d.rejected) + " refused)");
    }
    if (d.errors > 0) {
      fail(ErrorCode::kUnavailable,
           std::to_string(d.errors) + " delivery outcome(s) could not be recorded");
    }
  } else {
    auto pending = Await<std::int64_t>(
        [&](Callback<std::int64_t> cb) { store.CountPendingAlerts(std::move(cb)); });
    if (pending.ok() && *pending > 0) {
      spdlog::error(
          "{} alert(s) pending, and Telegram is not configured (TELEGRAM_BOT_TOKEN, "
          "TELEGRAM_CHAT_ID)",
          *pending);
      fail(ErrorCode::kInvalidArgument,
           std::to_string(*pending) + " alert(s) pending, and Telegram is not configured");
    }
  }
  return report;
}

int RunCheck(const Config& config) {
  auto opened = OpenStoreOrReport(config);
  if (!opened.ok()) return kExitFailure;
  std::unique_ptr<Store> store = std::move(*opened);
  CurlHttpClient http_client;
  std::unique_ptr<Notifier> notifier = MakeNotifier(config, http_client);
  CheckPassReport report =
      RunCheckPass(*store, notifier.get(), RealClock(), CheckerOptionsFrom(config));
  store->Close();
  return report.failed() ? kExitFailure : kExitOk;
}

}  // namespace heartbeat::app
