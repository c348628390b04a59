#pragma once
// The commands of the `heartbeat` binary. Each returns the process exit code.

#include <memory>
#include <string>

#include "app/config.h"
#include "store/store.h"

namespace heartbeat::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;  // invalid setting or command line

// Opens the configured store (creating and migrating a SQLite file).
Result<std::unique_ptr<Store>> OpenStore(const Config& config);

int RunServe(const Config& config);
int RunKeysAdd(const Config& config, const std::string& description);
int RunKeysList(const Config& config, bool json);
int RunKeysRevoke(const Config& config, const std::string& id);
int RunStoreInit(const Config& config);

}  // namespace heartbeat::app
