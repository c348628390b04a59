#pragma once
// The pieces every command builds from its configuration (app/components.cc).

#include <atomic>
#include <chrono>
#include <memory>

#include "app/config.h"
#include "checker/checker.h"
#include "http_client/http_client.h"
#include "notify/channel_directory.h"
#include "notify/channel_notifier.h"
#include "notify/notifier.h"
#include "notify/telegram.h"
#include "notify/telegram_updates.h"
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

// Where alerts go (SPEC §14): the projects' channels, the environment's Telegram settings
// among them, and the notifier that sends to each. For serve, check and the Lambda.
struct Alerting {
  std::unique_ptr<ChannelDirectory> channels;
  std::unique_ptr<ChannelNotifier> notifier;
  // Whether TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID are set.
  bool environment_telegram = false;
  // Set when the process stops: an e-mail being sent is abandoned (and retried after the
  // restart), as HttpClient::CancelAll cuts HTTP sends.
  std::shared_ptr<std::atomic<bool>> stopping = std::make_shared<std::atomic<bool>>(false);
};

// The directory (loaded from the store) and the notifier. `send_timeout` bounds each
// Telegram send (connecting takes at most 5 s of it); webhooks and e-mail get at most 30 s
// of it. Secrets given as "ssm:NAME" are read from SSM Parameter Store (SSM_ENDPOINT,
// AWS_REGION and the credentials of the environment), each kept for 5 minutes.
Result<Alerting> MakeAlerting(const Config& config, HttpClient& http, Store& store,
                              std::chrono::milliseconds send_timeout = kTelegramSendTimeout);

// Telegram's buttons (SPEC §14): the presses read for the bots of every project's telegram
// channels, applied to the store (snooze 1 h, pause, acknowledge).
std::unique_ptr<TelegramButtons> MakeButtons(const Config& config, HttpClient& http,
                                             const ChannelDirectory& channels, Store& store,
                                             const Clock& clock);

// Loads the store's channels into `channels` again.
Status ReloadChannels(Store& store, ChannelDirectory& channels);

// CheckerOptionsFrom, with alerts routed over `channels`.
CheckerOptions CheckerOptionsFrom(const Config& config, const ChannelDirectory& channels);

CheckerOptions CheckerOptionsFrom(const Config& config);

// `text` with spaces appended up to `width` characters, for the commands' tables.
std::string PadRight(std::string text, std::size_t width);

}  // namespace heartbeat::app
