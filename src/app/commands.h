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

// `channels add NAME --kind K ... | list | remove NAME | test NAME` (SPEC §14), in `project`.
// `add` reads the channel from its flags, or from --json (the body POST /channels takes).
struct ChannelsOptions {
  enum class Action { kAdd, kList, kRemove, kTest };
  Action action = Action::kList;
  std::string name;
  std::string project{kDefaultProject};
  bool json = false;      // list: print JSON
  std::string spec_json;  // add --json
  std::string kind, url, method, body, bot_token, chat_id;
  std::vector<std::string> headers;  // "Name: value"
  std::vector<std::string> to;
};
int RunChannels(const Config& config, const ChannelsOptions& options);

// `import healthchecks` (app/import_command.cc, SPEC §13): copies every check of the
// Healthchecks project that `api_key` (a read-write key) belongs to, read with GET
// <url>/api/v3/checks/, into `project` (which must exist), each with its uuid, slug, name,
// tags, description, timeout or schedule and tz, grace and pause state. A check whose
// uuid is a monitor of the project already is updated when it differs, else skipped; a
// check whose slug is a monitor with another uuid is skipped, never overwritten. Prints one
// line per check on stdout ("created S", "updated S", "skipped S (why)", "failed S (why)"),
// then the counts on stderr. kExitOk when no check failed; kExitFailure when one did, or
// nothing could be read (unreachable, key refused, not Healthchecks, read-only key: one
// line on stderr saying which); kExitUsage for a bad URL or project name.
struct ImportOptions {
  std::string url;
  std::string api_key;
  std::string project{kDefaultProject};
};
int RunImportHealthchecks(const Config& config, const ImportOptions& options);

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
