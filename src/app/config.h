#pragma once
// Settings of SPEC §3: defaults, then environment variables, then command-line flags.
// Validation failures are reported as one line naming the setting; the CLI exits 2.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/project.h"
#include "core/result.h"
#include "core/signal.h"

namespace heartbeat::app {

struct StoreSpec {
  enum class Kind { kSqlite, kDynamo } kind = Kind::kSqlite;
  std::string sqlite_path;  // for kSqlite
};

struct Config {
  std::string store = "sqlite:./data/heartbeat.db";
  std::string bind_addr = "0.0.0.0:3000";
  std::string monitors_table = "heartbeat-monitors";
  std::string keys_table = "heartbeat-api-keys";
  std::string pings_table = "heartbeat-pings";  // PINGS_TABLE: the history on DynamoDB
  // PINGS_KEPT: history entries kept per monitor (0: no history); PING_BODY_LIMIT: the bytes
  // of a signal's body kept.
  std::int64_t pings_kept = kDefaultPingsKept;
  std::int64_t ping_body_limit = kDefaultPingBodyLimit;
  // MAX_MONITORS_PER_PROJECT (SPEC §13).
  std::int64_t max_monitors_per_project = kDefaultMaxMonitorsPerProject;
  // PUBLIC_URL: the base of the absolute URLs Healthchecks' API answers with (ping_url,
  // update_url); empty: the request's Host.
  std::string public_url;
  std::string aws_region;
  // Whether AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are set (non-empty); the values stay
  // in the environment, where aws::ResolveCredentials reads them.
  bool aws_access_key_id_set = false;
  bool aws_secret_access_key_set = false;
  std::string dynamodb_endpoint;
  // CHECK_PARTITIONS: GSI partition values the monitors are spread over (1: the seed's
  // single "CHECK").
  int check_partitions = 1;
  std::string ssm_endpoint;
  std::string telegram_bot_token;  // secret: never logged
  std::string telegram_chat_id;
  std::string telegram_bot_token_param;
  std::string telegram_chat_id_param;
  std::string telegram_api_url = "https://api.telegram.org";
  // E-mail channels (SPEC §14): SMTP_URL (secret: its password; or SMTP_URL_PARAM, an SSM
  // name), SMTP_TLS (starttls, tls or none), SMTP_FROM.
  std::string smtp_url;
  std::string smtp_url_param;
  std::string smtp_tls = "starttls";
  std::string smtp_from;
  std::string alert_repeat_interval = "1h";
  // STORE_TIMEOUT: the most a request waits on the store, retries included, before a 503.
  std::string store_timeout = "5s";
  std::string metrics_token;  // METRICS_TOKEN; secret: never logged
  std::string log_level = "info";
  std::string log_format = "text";
  std::size_t threads = 0;  // HEARTBEAT_THREADS; 0: one per core
  bool no_checker = false;

  // Derived by Validate().
  StoreSpec store_spec;
  std::int64_t alert_repeat_secs = 3600;
  std::int64_t store_timeout_ms = 5000;
};

// Environment variable -> value; injected so that tests do not touch the process
// environment.
using Environment = std::map<std::string, std::string>;

Environment ProcessEnvironment();

// Fills `config` from the environment (only variables that are set).
Status ApplyEnvironment(const Environment& env, Config& config);

// Checks every setting and derives the parsed forms. Errors name the setting.
Status Validate(Config& config);

}  // namespace heartbeat::app
