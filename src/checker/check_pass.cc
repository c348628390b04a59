#include "checker/check_pass.h"

#include <spdlog/spdlog.h>

#include "checker/deliverer.h"
#include "core/channel.h"

namespace heartbeat {

CheckPassReport RunCheckPass(Store& store, Notifier& notifier, bool environment_telegram,
                             const Clock& clock, const CheckerOptions& checker_options,
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

  {
    DelivererOptions deliverer_options;
    // Unconfigured, the environment's Telegram keeps its alerts pending, untried.
    if (!environment_telegram) deliverer_options.skip_channels = {std::string(kEnvironmentChannel)};
    Deliverer deliverer(store, notifier, clock, deliverer_options);
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
  }
  if (!environment_telegram) {
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

}  // namespace heartbeat
