#include "app/config.h"

#include <unistd.h>

#include <tuple>

#include "core/interval.h"
#include "http_server/server.h"

extern char** environ;

namespace heartbeat::app {

Environment ProcessEnvironment() {
  Environment env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

Status ApplyEnvironment(const Environment& env, Config& c) {
  auto take = [&](const char* name, std::string& field) {
    auto it = env.find(name);
    if (it != env.end()) field = it->second;
  };
  take("HEARTBEAT_STORE", c.store);
  take("BIND_ADDR", c.bind_addr);
  take("HEARTBEAT_TABLE_NAME", c.monitors_table);
  take("MONITORS_TABLE", c.monitors_table);
  take("HEARTBEAT_API_KEYS_TABLE_NAME", c.keys_table);
  take("KEYS_TABLE", c.keys_table);
  take("PINGS_TABLE", c.pings_table);
  take("AWS_DEFAULT_REGION", c.aws_region);
  take("AWS_REGION", c.aws_region);
  auto set = [&](const char* name) {
    auto it = env.find(name);
    return it != env.end() && !it->second.empty();
  };
  c.aws_access_key_id_set = set("AWS_ACCESS_KEY_ID");
  c.aws_secret_access_key_set = set("AWS_SECRET_ACCESS_KEY");
  take("DYNAMODB_ENDPOINT", c.dynamodb_endpoint);
  take("SSM_ENDPOINT", c.ssm_endpoint);
  take("TELEGRAM_BOT_TOKEN", c.telegram_bot_token);
  take("TELEGRAM_CHAT_ID", c.telegram_chat_id);
  take("TELEGRAM_BOT_TOKEN_PARAM", c.telegram_bot_token_param);
  take("TELEGRAM_CHAT_ID_PARAM", c.telegram_chat_id_param);
  take("TELEGRAM_API_URL", c.telegram_api_url);
  take("SMTP_URL", c.smtp_url);
  take("SMTP_URL_PARAM", c.smtp_url_param);
  take("SMTP_TLS", c.smtp_tls);
  take("SMTP_FROM", c.smtp_from);
  take("ALERT_REPEAT_INTERVAL", c.alert_repeat_interval);
  take("STORE_TIMEOUT", c.store_timeout);
  take("LOG_LEVEL", c.log_level);
  take("METRICS_TOKEN", c.metrics_token);
  take("LOG_FORMAT", c.log_format);
  if (auto it = env.find("CHECK_PARTITIONS"); it != env.end()) {
    const std::string& p = it->second;
    if (p.empty() || p.size() > 3 || p.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(p) < 1 || std::stoi(p) > 100) {
      return InvalidArgument("CHECK_PARTITIONS: '" + p + "' is not a number from 1 to 100");
    }
    c.check_partitions = std::stoi(p);
  }
  // Whole numbers from 0 to `max`.
  auto count = [&](const char* name, std::int64_t max, std::int64_t& field) -> Status {
    auto it = env.find(name);
    if (it == env.end()) return Ok{};
    const std::string& v = it->second;
    if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos ||
        std::stoll(v) > max) {
      return InvalidArgument(std::string(name) + ": '" + v + "' is not a number from 0 to " +
                             std::to_string(max));
    }
    field = std::stoll(v);
    return Ok{};
  };
  if (Status s = count("PINGS_KEPT", 10'000, c.pings_kept); !s.ok()) return s;
  // DynamoDB's items end at 400 KB; a ping's body is at most 1 MiB anyway.
  if (Status s = count("PING_BODY_LIMIT", 100'000, c.ping_body_limit); !s.ok()) return s;
  if (Status s = count("MAX_MONITORS_PER_PROJECT", 100'000'000, c.max_monitors_per_project);
      !s.ok()) {
    return s;
  }
  if (auto it = env.find("PUBLIC_URL"); it != env.end() && !it->second.empty()) {
    const std::string& u = it->second;
    if (u.rfind("http://", 0) != 0 && u.rfind("https://", 0) != 0) {
      return InvalidArgument("PUBLIC_URL: '" + u + "' must start with http:// or https://");
    }
    c.public_url = u;
    while (!c.public_url.empty() && c.public_url.back() == '/') c.public_url.pop_back();
  }
  if (auto it = env.find("HEARTBEAT_THREADS"); it != env.end()) {
    const std::string& t = it->second;
    if (t.empty() || t.size() > 4 || t.find_first_not_of("0123456789") != std::string::npos) {
      return InvalidArgument("HEARTBEAT_THREADS: '" + t + "' is not a number from 0 to 9999");
    }
    c.threads = std::stoul(t);
  }
  return Ok{};
}

Status Validate(Config& c) {
  if (c.store.rfind("sqlite:", 0) == 0) {
    c.store_spec.kind = StoreSpec::Kind::kSqlite;
    c.store_spec.sqlite_path = c.store.substr(7);
    if (c.store_spec.sqlite_path.empty()) {
      return InvalidArgument(
          "HEARTBEAT_STORE: 'sqlite:' needs a file path, e.g. sqlite:./data/heartbeat.db");
    }
  } else if (c.store == "dynamodb") {
    c.store_spec.kind = StoreSpec::Kind::kDynamo;
    // Half a key pair: a mistake, not a reason to look for credentials elsewhere.
    if (c.aws_access_key_id_set != c.aws_secret_access_key_set) {
      return InvalidArgument(c.aws_access_key_id_set
                                 ? "AWS_SECRET_ACCESS_KEY: not set, while AWS_ACCESS_KEY_ID is"
                                 : "AWS_ACCESS_KEY_ID: not set, while AWS_SECRET_ACCESS_KEY is");
    }
  } else {
    return InvalidArgument("HEARTBEAT_STORE: '" + c.store +
                           "' is neither sqlite:PATH nor dynamodb");
  }
  if (auto bind = http::ParseBindAddress(c.bind_addr); !bind.ok()) {
    return InvalidArgument("BIND_ADDR: " + bind.error().message);
  }
  Result<std::int64_t> repeat = ParseDuration(c.alert_repeat_interval);
  if (!repeat.ok()) return InvalidArgument("ALERT_REPEAT_INTERVAL: " + repeat.error().message);
  if (*repeat <= 0) return InvalidArgument("ALERT_REPEAT_INTERVAL: must be longer than 0s");
  c.alert_repeat_secs = *repeat;
  Result<std::int64_t> store_timeout = ParseDuration(c.store_timeout);
  if (!store_timeout.ok()) {
    return InvalidArgument("STORE_TIMEOUT: " + store_timeout.error().message);
  }
  if (*store_timeout <= 0) return InvalidArgument("STORE_TIMEOUT: must be longer than 0s");
  // A day is far beyond any use, and keeps the milliseconds far from overflowing.
  if (*store_timeout > 86'400) return InvalidArgument("STORE_TIMEOUT: must be at most 1d");
  c.store_timeout_ms = *store_timeout * 1000;
  static const char* kLevels[] = {"trace", "debug", "info", "warn", "error"};
  bool level_ok = false;
  for (const char* l : kLevels) level_ok = level_ok || c.log_level == l;
  if (!level_ok) {
    return InvalidArgument("LOG_LEVEL: '" + c.log_level +
                           "' is not one of trace, debug, info, warn, error");
  }
  if (c.log_format != "text" && c.log_format != "json") {
    return InvalidArgument("LOG_FORMAT: '" + c.log_format + "' is neither text nor json");
  }
  if (c.smtp_tls != "starttls" && c.smtp_tls != "tls" && c.smtp_tls != "none") {
    return InvalidArgument("SMTP_TLS: '" + c.smtp_tls + "' is not one of starttls, tls, none");
  }
  if (!c.smtp_url.empty() && c.smtp_url.rfind("smtp://", 0) != 0 &&
      c.smtp_url.rfind("smtps://", 0) != 0) {
    // The value may hold a password: not quoted.
    return InvalidArgument("SMTP_URL: must start with smtp:// or smtps://");
  }
  if (!c.smtp_url.empty() && c.smtp_from.empty()) {
    return InvalidArgument("SMTP_FROM: must be set with SMTP_URL (the sender's address)");
  }
  // URLs: TELEGRAM_API_URL always, the endpoint overrides when given.
  for (const auto& [name, url, optional] : {std::tuple<const char*, const std::string&, bool>{
                                                "TELEGRAM_API_URL", c.telegram_api_url, false},
                                            {"DYNAMODB_ENDPOINT", c.dynamodb_endpoint, true},
                                            {"SSM_ENDPOINT", c.ssm_endpoint, true}}) {
    if (optional && url.empty()) continue;
    if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) {
      return InvalidArgument(std::string(name) + ": '" + url +
                             "' must start with https:// or http://");
    }
  }
  return Ok{};
}

}  // namespace heartbeat::app
