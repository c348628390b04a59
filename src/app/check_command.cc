// `heartbeat check`: one checker cycle and one delivery pass, for cron or a systemd
// timer.

#include <spdlog/spdlog.h>

#include "app/commands.h"
#include "app/components.h"
#include "checker/check_pass.h"
#include "http_client/http_client.h"

namespace heartbeat::app {

int RunCheck(const Config& config) {
  auto opened = OpenStoreOrReport(config, CreateStore::kNo);
  if (!opened.ok()) return kExitFailure;
  std::unique_ptr<Store> store = std::move(*opened);
  CurlHttpClient http_client;
  Result<Alerting> alerting = MakeAlerting(config, http_client, *store);
  if (!alerting.ok()) {
    spdlog::error("{}", alerting.error().message);
    store->Close();
    return kExitFailure;
  }
  CheckPassReport report =
      RunCheckPass(*store, *alerting->notifier, alerting->environment_telegram, RealClock(),
                   CheckerOptionsFrom(config, *alerting->channels));
  store->Close();
  return report.failed() ? kExitFailure : kExitOk;
}

}  // namespace heartbeat::app
