// `bootstrap`: the AWS Lambda custom runtime. Init reads the settings (as the CLI does, with
// the Lambda spellings of the table names; by default the store is DynamoDB and the logs are
// JSON on stdout) and the Telegram secrets from SSM, once for the life of the execution
// environment; each invocation (an EventBridge scheduled event) then runs one checker pass,
// as `heartbeat check` does.

#include <spdlog/spdlog.h>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <iostream>

#include "app/commands.h"
#include "app/components.h"
#include "app/logging.h"
#include "aws/lambda_runtime.h"
#include "aws/ssm.h"
#include "checker/check_pass.h"

namespace heartbeat::app {

namespace {

// Each sendMessage may take this long in a Lambda; no delivery round starts with less than
// kDeliveryReserve left before the invocation's deadline, so that a send in flight is not
// cut by Lambda's timeout (the function's timeout must leave room for it: 30 s or more;
// terraform's lambda_timeout_seconds is 50 by default). Shorter than serve's and check's
// kTelegramSendTimeout (60 s), to fit an invocation: a Telegram slower than this gets one
// copy per attempt of the Lambda's.
constexpr std::chrono::milliseconds kLambdaSendTimeout{10'000};
constexpr std::chrono::milliseconds kDeliveryReserve = kLambdaSendTimeout + std::chrono::seconds(2);

aws::EnvLookup LookupIn(const Environment& env) {
  return [&env](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

// Fills the Telegram secrets that are given as SSM parameter names (TELEGRAM_*_PARAM) and
// not directly. The error names the parameter, never a value.
Status ReadSecretsFromSsm(const Environment& env, Config& config, HttpClient& http) {
  bool need_token = config.telegram_bot_token.empty() && !config.telegram_bot_token_param.empty();
  bool need_chat = config.telegram_chat_id.empty() && !config.telegram_chat_id_param.empty();
  bool need_smtp = config.smtp_url.empty() && !config.smtp_url_param.empty();
  if (!need_token && !need_chat && !need_smtp) return Ok{};
  Result<aws::SsmOptions> options = aws::SsmOptionsFromEnv(LookupIn(env));
  if (!options.ok()) return options.error();
  aws::SsmClient ssm(http, RealClock(), std::move(*options));
  if (need_token) {
    Result<std::string> token = ssm.GetParameter(config.telegram_bot_token_param, true);
    if (!token.ok()) return token.error().Wrap("TELEGRAM_BOT_TOKEN_PARAM");
    config.telegram_bot_token = std::move(*token);
  }
  if (need_chat) {
    Result<std::string> chat = ssm.GetParameter(config.telegram_chat_id_param, true);
    if (!chat.ok()) return chat.error().Wrap("TELEGRAM_CHAT_ID_PARAM");
    config.telegram_chat_id = std::move(*chat);
  }
  if (need_smtp) {
    Result<std::string> url = ssm.GetParameter(config.smtp_url_param, true);
    if (!url.ok()) return url.error().Wrap("SMTP_URL_PARAM");
    config.smtp_url = std::move(*url);
  }
  spdlog::info("secrets read from SSM Parameter Store");
  return Ok{};
}

// The handler's state for the life of the execution environment.
class CheckerFunction {
 public:
  CheckerFunction(const Config& config, HttpClient& http) : config_(config), http_(http) {}
  ~CheckerFunction() {
    if (store_) store_->Close();
  }

  Result<std::string> operator()(const aws::Invocation& invocation) {
    // Opened at the first invocation and kept; a store that cannot be opened fails this
    // invocation only, and the next one tries again.
    if (!store_) {
      Result<std::unique_ptr<Store>> opened = OpenStore(config_, CreateStore::kNo);
      if (!opened.ok()) return opened.error().Wrap("cannot open the store");
      store_ = std::move(*opened);
    }
    // The channels, read again at each invocation (one query): one added since is used.
    if (!alerting_) {
      Result<Alerting> made = MakeAlerting(config_, http_, *store_, kLambdaSendTimeout);
      if (!made.ok()) return made.error();
      alerting_ = std::move(*made);
    } else if (Status s = ReloadChannels(*store_, *alerting_->channels); !s.ok()) {
      return s.error();
    }
    CheckPassOptions options;
    if (invocation.deadline_ms > 0) {
      options.stop_delivery_at = invocation.deadline_ms - kDeliveryReserve.count();
    }
    CheckPassReport report =
        RunCheckPass(*store_, *alerting_->notifier, alerting_->environment_telegram, RealClock(),
                     CheckerOptionsFrom(config_, *alerting_->channels), options);
    if (report.failed()) {
      std::string message;
      for (const std::string& f : report.failures) message += (message.empty() ? "" : "; ") + f;
      return Error{report.failure_code, message};
    }
    return boost::json::serialize(boost::json::object{
        {"examined", report.cycle.examined},
        {"alerts_queued", report.cycle.alerts_queued},
        {"sent", report.delivery.sent},
        {"conflicts", report.cycle.conflicts},
        {"delivery_stopped_by_deadline", report.delivery_stopped_by_deadline},
    });
  }

 private:
  const Config& config_;
  HttpClient& http_;
  std::unique_ptr<Store> store_;
  std::optional<Alerting> alerting_;
};

}  // namespace

int RunLambda(const Environment& env) {
  auto api = env.find("AWS_LAMBDA_RUNTIME_API");
  if (api == env.end() || api->second.empty()) {
    std::cerr << "bootstrap: AWS_LAMBDA_RUNTIME_API is not set: this is the AWS Lambda "
                 "runtime, started by Lambda (use `heartbeat check` elsewhere)\n";
    return kExitUsage;
  }
  CurlHttpClient http;
  aws::RuntimeApiClient runtime(http, api->second);

  // The Lambda's own defaults, before the environment (which may still override them): a
  // function has no disk to keep monitors on (the CLI's sqlite:./data/heartbeat.db would be
  // under the read-only /var/task, and /tmp lasts one execution environment), and its logs
  // go to CloudWatch.
  Config config;
  config.store = "dynamodb";
  config.log_format = "json";
  Status settings = ApplyEnvironment(env, config);
  if (settings.ok()) settings = Validate(config);
  SetUpLogging(settings.ok() ? config.log_level : "info",
               settings.ok() ? config.log_format : "json", LogDestination::kStdout);
  auto init_failed = [&](const std::string& type, const std::string& message, int code) {
    spdlog::error("init failed: {}", message);
    if (Status s = runtime.PostInitError({type, message}); !s.ok()) {
      spdlog::error("{}", s.error().message);
    }
    return code;
  };
  if (!settings.ok()) {
    return init_failed("Heartbeat.ConfigError", "invalid setting " + settings.error().message,
                       kExitUsage);
  }
  if (Status s = ReadSecretsFromSsm(env, config, http); !s.ok()) {
    return init_failed(aws::ErrorTypeFor(s.error()), s.error().message, kExitFailure);
  }
  if (config.telegram_bot_token.empty() || config.telegram_chat_id.empty()) {
    spdlog::warn(
        "Telegram is not configured (TELEGRAM_BOT_TOKEN_PARAM and TELEGRAM_CHAT_ID_PARAM, SSM "
        "parameter names, or TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID): the default project's "
        "alerts to `telegram` stay pending; channels of the store deliver");
  }

  spdlog::info("bootstrap ready: store {}, one checker pass per invocation",
               config.store_spec.kind == StoreSpec::Kind::kSqlite ? "sqlite" : "dynamodb");
  CheckerFunction function(config, http);
  Status served = aws::ServeInvocations(
      runtime, [&](const aws::Invocation& invocation) { return function(invocation); });
  if (!served.ok()) {
    spdlog::error("{}; exiting", served.error().message);
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace heartbeat::app
