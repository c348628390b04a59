#pragma once
// The commands of the `heartbeat` binary. Each returns the process exit code.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/config.h"
#include "checker/checker.h"
#include "checker/deliverer.h"
#include "net/http_client.h"
#include "notify/notifier.h"
#include "store/store.h"

namespace heartbeat::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;  // invalid setting or command line

// Opens the configured store (creating and migrating a SQLite file).
Result<std::unique_ptr<Store>> OpenStore(const Config& config);

// OpenStore, saying why on stderr when it fails.
Result<std::unique_ptr<Store>> OpenStoreOrReport(const Config& config);

// The Telegram notifier when TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID are set, else null.
// `send_timeout` bounds each sendMessage.
std::unique_ptr<Notifier> MakeNotifier(
    const Config& config, HttpClient& http,
    std::chrono::milliseconds send_timeout = std::chrono::milliseconds(15000));

CheckerOptions CheckerOptionsFrom(const Config& config);

// One checker pass: a cycle (due monitors -> alerts queued), then delivery rounds until
// nothing ready is left. Shared by `heartbeat check` and `bootstrap` (one pass per
// invocation).
struct CheckPassOptions {
  // No delivery round starts at or after this wall-clock time (bootstrap: the invocation's
  // deadline less the longest send); alerts left go out on a later pass. None: no limit.
  std::optional<UnixMillis> stop_delivery_at;
  int max_delivery_rounds = 100;  // bounded, so that a flood cannot keep one pass busy
};

struct CheckPassReport {
  CycleStats cycle;
  DeliveryStats delivery;
  bool delivery_stopped_by_deadline = false;
  // One sentence per failed step (the cycle, a send, the store); empty when all went well.
  std::vector<std::string> failures;
  ErrorCode failure_code = ErrorCode::kUnavailable;  // of the first failure

  bool failed() const { return !failures.empty(); }
};

// Runs the pass, logging each step. `notifier` may be null (Telegram not configured): a
// pending alert is then a failure.
CheckPassReport RunCheckPass(Store& store, Notifier* notifier, const Clock& clock,
                             const CheckerOptions& checker_options,
                             const CheckPassOptions& options = {});

int RunServe(const Config& config);
int RunCheck(const Config& config);
int RunKeysAdd(const Config& config, const std::string& description);
int RunKeysList(const Config& config, bool json);
int RunKeysRevoke(const Config& config, const std::string& id);
int RunStoreInit(const Config& config);

// `bootstrap`: the AWS Lambda custom runtime (app/lambda_command.cc). Reads its settings
// and AWS_LAMBDA_RUNTIME_API from `env`, the Telegram secrets from SSM at init, then serves
// invocations until the Runtime API goes away.
int RunLambda(const Environment& env);

}  // namespace heartbeat::app
