// `heartbeat check`: one checker cycle and one delivery pass, for cron or a systemd
// timer.

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
  std::unique_ptr<Notifier> notifier = MakeNotifier(config, http_client);
  CheckPassReport report =
      RunCheckPass(*store, notifier.get(), RealClock(), CheckerOptionsFrom(config));
  store->Close();
  return report.failed() ? kExitFailure : kExitOk;
}

}  // namespace heartbeat::app
