#pragma once
// The commands of the `heartbeat` binary. Each returns the process exit code.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/config.h"
#include "app/run_support.h"

namespace heartbeat::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;  // invalid setting or command line

int RunServe(const Config& config);
int RunCheck(const Config& config);
struct KeysAddOptions {
  std::string description;
  std::string project{kDefaultProject};
  bool read_only = false;
};
int RunKeysAdd(const Config& config, const KeysAddOptions& options);
int RunKeysList(const Config& config, bool json);
int RunKeysRevoke(const Config& config, const std::string& id);
// `keys migrate`: hashes the keys an original Rust service's keys table holds in clear
// (DynamoDB); prints "Migrated N keys", or that there is nothing to migrate.
int RunKeysMigrate(const Config& config);
int RunStoreInit(const Config& config);

// `projects add NAME | list | remove NAME | ping-key NAME [--rotate]` (SPEC §13). `add`
// and `ping-key` print the ping key alone on stdout.
struct ProjectsOptions {
  enum class Action { kAdd, kList, kRemove, kPingKey };
  Action action = Action::kList;
  std::string name;
  bool rotate = false;
  bool json = false;
};
int RunProjects(const Config& config, const ProjectsOptions& options);

// `schedule`: prints the next `count` times `expression` fires in `tz`, after `after` (RFC
// 3339; now when absent), one a line with the zone's offset. A bad expression, zone or time
// is one line on stderr naming it, and kExitUsage. Needs no configuration.
struct ScheduleOptions {
  std::string expression;
  std::string tz = "UTC";
  std::optional<std::string> after;
  int count = 5;
};
int RunSchedule(const ScheduleOptions& options);

// `run`: wraps a job (app/run_command.cc): a start ping, the command with its output passed
// through, an exit-code ping with the output's tail. Returns the command's exit code (128+N
// when signal N ended it; 127 not found, 126 not executable). `options` passed
// ValidateRunOptions. Needs no configuration.
int RunJob(const RunOptions& options);

// `bootstrap`: the AWS Lambda custom runtime (app/lambda_command.cc). Reads its settings
// and AWS_LAMBDA_RUNTIME_API from `env`, the Telegram secrets from SSM at init, then serves
// invocations until the Runtime API goes away.
int RunLambda(const Environment& env);

}  // namespace heartbeat::app
