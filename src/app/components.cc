// The pieces every command builds from its configuration: the store, the notifier, the
// checker's options.

#include "app/components.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <mutex>

#include "aws/credentials.h"
#include "aws/ssm.h"
#include "core/channel.h"
#include "core/project.h"
#include "notify/telegram.h"
#include "store/dynamo/dynamo_store.h"
#include "store/sqlite/sqlite_store.h"

namespace heartbeat::app {

Result<std::unique_ptr<DynamoStore>> OpenDynamoStore(const Config& config) {
  DynamoStoreOptions options;
  options.monitors_table = config.monitors_table;
  options.keys_table = config.keys_table;
  options.pings_table = config.pings_table;
  options.check_partitions = config.check_partitions;
  options.store_timeout = std::chrono::milliseconds(config.store_timeout_ms);
  // A stall shows in Healthy() after 2 s, or sooner when the deadline itself is shorter.
  options.stall_after = std::min(options.stall_after, options.store_timeout);
  const bool local = !config.dynamodb_endpoint.empty();
  std::string region = config.aws_region;
  if (region.empty()) {
    // A local engine does not care which region signs; AWS does.
    if (!local) {
      return InvalidArgument("HEARTBEAT_STORE=dynamodb needs AWS_REGION (or DYNAMODB_ENDPOINT)");
    }
    region = "us-east-1";
  }
  auto credentials = aws::CredentialsProvider::Resolve(
      aws::ProcessEnv(), std::chrono::seconds(10),
      [](const std::string& message) { spdlog::warn("{}", message); });
  if (!credentials.ok()) {
    // dynalite and DynamoDB Local accept any signature, so a local engine needs no
    // credentials; but credentials given and broken (half a key pair, a malformed file)
    // are reported, local or not.
    if (!local || credentials.error().code != ErrorCode::kNotFound) {
      return credentials.error().Wrap("AWS credentials");
    }
    options.client.credentials = [] { return aws::Credentials{"local", "local", ""}; };
  } else {
    options.client.credentials = [p = std::move(*credentials)] { return p->Get(); };
  }
  options.client.endpoint =
      local ? config.dynamodb_endpoint : aws::RegionalEndpoint("dynamodb", region);
  options.client.region = region;
  return DynamoStore::Open(std::move(options));
}

Result<std::unique_ptr<Store>> OpenStore(const Config& config, CreateStore create) {
  switch (config.store_spec.kind) {
    case StoreSpec::Kind::kSqlite: {
      auto store = SqliteStore::Open(
          {.path = config.store_spec.sqlite_path, .create = create == CreateStore::kYes});
      if (!store.ok()) {
        if (store.error().code != ErrorCode::kNotFound) return store.error();
        return NotFound(store.error().message + "; create it with `heartbeat store init`");
      }
      (*store)->KeepPings(config.pings_kept);
      (*store)->LimitMonitors(config.max_monitors_per_project);
      return std::unique_ptr<Store>(std::move(*store));
    }
    case StoreSpec::Kind::kDynamo: {
      auto store = OpenDynamoStore(config);
      if (!store.ok()) return store.error();
      (*store)->KeepPings(config.pings_kept);
      (*store)->LimitMonitors(config.max_monitors_per_project);
      return std::unique_ptr<Store>(std::move(*store));
    }
  }
  return Internal("unknown store kind");
}

Result<std::unique_ptr<Store>> OpenStoreOrReport(const Config& config, CreateStore create) {
  auto store = OpenStore(config, create);
  if (!store.ok())
    std::cerr << "heartbeat: cannot open the store: " << store.error().message << "\n";
  return store;
}

namespace {

// A channel's "ssm:NAME" secrets, read from SSM Parameter Store and kept for a while.
class SsmSecrets {
 public:
  explicit SsmSecrets(HttpClient& http) : http_(http) {}

  Result<std::string> Get(const std::string& name) {
    std::lock_guard lock(mu_);
    const UnixMillis now = RealClock().Now();
    if (auto it = cache_.find(name); it != cache_.end() && it->second.second > now) {
      return it->second.first;
    }
    if (!client_) {
      Environment env = ProcessEnvironment();
      Result<aws::SsmOptions> options =
          aws::SsmOptionsFromEnv([env](std::string_view key) -> std::optional<std::string> {
            auto it = env.find(std::string(key));
            if (it == env.end()) return std::nullopt;
            return it->second;
          });
      if (!options.ok()) return options.error().Wrap("SSM");
      client_ = std::make_unique<aws::SsmClient>(http_, RealClock(), std::move(*options));
    }
    Result<std::string> value = client_->GetParameter(name, true);
    if (value.ok()) cache_[name] = {*value, now + kKeptMillis};
    return value;
  }

 private:
  static constexpr std::int64_t kKeptMillis = 5 * 60 * 1000;
  HttpClient& http_;
  std::mutex mu_;
  std::unique_ptr<aws::SsmClient> client_;                           // guarded by mu_
  std::map<std::string, std::pair<std::string, UnixMillis>> cache_;  // guarded by mu_
};

}  // namespace

Status ReloadChannels(Store& store, ChannelDirectory& channels) {
  auto records = Await<std::vector<ChannelRecord>>(
      [&](Callback<std::vector<ChannelRecord>> cb) { store.ListChannels(std::move(cb)); });
  if (!records.ok()) return records.error().Wrap("read the channels");
  channels.Replace(*records);
  return Ok{};
}

Result<Alerting> MakeAlerting(const Config& config, HttpClient& http, Store& store,
                              std::chrono::milliseconds send_timeout) {
  Alerting out;
  std::optional<Channel> environment;
  if (!config.telegram_bot_token.empty() && !config.telegram_chat_id.empty()) {
    Channel tg;
    tg.project = std::string(kDefaultProject);
    tg.name = std::string(kEnvironmentChannel);
    tg.kind = ChannelKind::kTelegram;
    tg.bot_token = config.telegram_bot_token;
    tg.chat_id = config.telegram_chat_id;
    tg.from_environment = true;
    environment = std::move(tg);
    out.environment_telegram = true;
  }
  out.channels = std::make_unique<ChannelDirectory>(std::move(environment));
  if (Status s = ReloadChannels(store, *out.channels); !s.ok()) return s.error();
  ChannelSendOptions options;
  options.telegram_api_url = config.telegram_api_url;
  options.smtp = SmtpOptions{config.smtp_url, config.smtp_tls, config.smtp_from};
  options.telegram_timeout = send_timeout;
  options.webhook_timeout = std::min(options.webhook_timeout, send_timeout);
  options.connect_timeout = std::min(options.connect_timeout, send_timeout);
  auto secrets = std::make_shared<SsmSecrets>(http);
  options.resolve_ssm = [secrets](const std::string& name) { return secrets->Get(name); };
  options.cancelled = [stopping = out.stopping] { return stopping->load(); };
  out.notifier = std::make_unique<ChannelNotifier>(http, *out.channels, std::move(options));
  return out;
}

std::unique_ptr<TelegramButtons> MakeButtons(const Config& config, HttpClient& http,
                                             const ChannelDirectory& channels, Store& store,
                                             const Clock& clock) {
  TelegramButtonsOptions options;
  options.api_url = config.telegram_api_url;
  auto bots = [&channels] { return TelegramBotsOf(channels.All()); };
  auto act = [&store, &clock](const ButtonAction& press) -> Result<std::string> {
    const UnixMillis now = clock.Now();
    auto found = Await<std::optional<Monitor>>([&](Callback<std::optional<Monitor>> cb) {
      store.FindByUuid(press.uuid, now, std::move(cb));
    });
    if (!found.ok()) return found.error();
    if (!*found) return NotFound("no monitor with that uuid (deleted?)");
    const std::string key = (*found)->slug;
    Result<bool> done = Await<bool>([&](Callback<bool> cb) {
      switch (press.kind) {
        case ButtonAction::Kind::kSnooze:
          return store.Snooze(
              key,
              now + std::chrono::duration_cast<std::chrono::milliseconds>(kButtonSnooze).count(),
              now, std::move(cb));
        case ButtonAction::Kind::kPause:
          return store.Pause(key, now, std::move(cb));
        case ButtonAction::Kind::kAck:
          return store.Acknowledge(key, now, std::move(cb));
      }
    });
    if (!done.ok()) return done.error();
    if (!*done) return NotFound("no monitor with that uuid (deleted?)");
    spdlog::info("Telegram button: {} {} by {}", ToString(press.kind), key, press.who);
    const std::string_view project = ProjectOfKey(key);
    return project == kDefaultProject ? std::string(SlugOfKey(key))
                                      : std::string(project) + "/" + std::string(SlugOfKey(key));
  };
  return std::make_unique<TelegramButtons>(http, options, bots, act);
}

std::string PadRight(std::string text, std::size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

CheckerOptions CheckerOptionsFrom(const Config& config, const ChannelDirectory& channels) {
  CheckerOptions options = CheckerOptionsFrom(config);
  options.channels_of = [&channels](std::string_view project) { return channels.Names(project); };
  return options;
}

CheckerOptions CheckerOptionsFrom(const Config& config) {
  CheckerOptions options;
  options.repeat_ms = config.alert_repeat_secs * 1000;
  return options;
}

Result<std::vector<ProjectRecord>> StoreProjects(Store& store) {
  Status ensured = Await<void>(
      [&](Callback<void> cb) { store.EnsureDefaultProject(RealClock().Now(), std::move(cb)); });
  if (!ensured.ok()) return ensured.error();
  return Await<std::vector<ProjectRecord>>(
      [&](Callback<std::vector<ProjectRecord>> cb) { store.ListProjects(std::move(cb)); });
}

}  // namespace heartbeat::app
