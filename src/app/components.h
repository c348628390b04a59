#pragma once
// The pieces every command builds from its configuration (app/components.cc).

#include <chrono>
#include <memory>

#include "app/config.h"
#include "checker/checker.h"
#include "http_client/http_client.h"
#include "notify/notifier.h"
#include "notify/telegram.h"
#include "store/dynamo/dynamo_store.h"
#include "store/store.h"

namespace heartbeat::app {

// The DynamoDB store the configuration names (region, endpoint, credentials, tables).
Result<std::unique_ptr<DynamoStore>> OpenDynamoStore(const Config& config);

// Whether a command may create a missing SQLite file. Only `store init` and `keys add` do:
// a server that made a fresh empty database where its own had been deleted would carry on
// with every monitor and key gone, and nobody told.
enum class CreateStore { kNo, kYes };

// Opens the configured store, migrating a SQLite file (and creating it with kYes; without,
// a missing file is kNotFound, naming the path and `heartbeat store init`).
Result<std::unique_ptr<Store>> OpenStore(const Config& config, CreateStore create);

// OpenStore, saying why on stderr when it fails.
Result<std::unique_ptr<Store>> OpenStoreOrReport(const Config& config, CreateStore create);

// The store's projects (SPEC §13), the default one made first when missing. For commands.
Result<std::vector<ProjectRecord>> StoreProjects(Store& store);

// The Telegram notifier when TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID are set, else null.
// `send_timeout` bounds each sendMessage (connecting takes at most 5 s of it).
std::unique_ptr<Notifier> MakeNotifier(
    const Config& config, HttpClient& http,
    std::chrono::milliseconds send_timeout = kTelegramSendTimeout);

CheckerOptions CheckerOptionsFrom(const Config& config);

}  // namespace heartbeat::app
