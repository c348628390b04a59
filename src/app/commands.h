#pragma once
// The commands of the `heartbeat` binary. Each returns the process exit code.

#include <memory>
#include <string>

#include "app/config.h"
#include "checker/checker.h"
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
std::unique_ptr<Notifier> MakeNotifier(const Config& config, HttpClient& http);

CheckerOptions CheckerOptionsFrom(const Config& config);

int RunServe(const Config& config);
int RunCheck(const Config& config);
int RunKeysAdd(const Config& config, const std::string& description);
int RunKeysList(const Config& config, bool json);
int RunKeysRevoke(const Config& config, const std::string& id);
int RunStoreInit(const Config& config);

}  // namespace heartbeat::app
