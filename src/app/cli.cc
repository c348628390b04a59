#include "app/cli.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <string_view>

#include "app/commands.h"
#include "app/config.h"
#include "app/logging.h"

namespace heartbeat::app {

namespace {

// Adds the settings every command shares. Flags win over environment variables.
void AddStoreOptions(CLI::App& cmd, Config& c) {
  cmd.add_option("--store", c.store, "sqlite:PATH or dynamodb [env HEARTBEAT_STORE]")
      ->capture_default_str();
  cmd.add_option("--log-level", c.log_level, "trace, debug, info, warn, error [env LOG_LEVEL]")
      ->capture_default_str();
  cmd.add_option("--log-format", c.log_format, "text or json [env LOG_FORMAT]")
      ->capture_default_str();
  cmd.add_option("--store-timeout", c.store_timeout,
                 "the most a request waits on the store, retries included [env STORE_TIMEOUT]")
      ->capture_default_str();
}

}  // namespace

int Main(int argc, char** argv) {
  // One binary: started under the name `bootstrap` (bootstrap.zip does so through the
  // bundled loader's --argv0), it is the AWS Lambda runtime, which takes no arguments.
  if (argc > 0 && argv[0] != nullptr) {
    std::string_view name(argv[0]);
    if (auto slash = name.rfind('/'); slash != std::string_view::npos)
      name.remove_prefix(slash + 1);
    if (name == "bootstrap") return RunLambda(ProcessEnvironment());
  }

  const Environment env = ProcessEnvironment();
  // `run`'s command, after its "--", is never read as options.
  RunOptions run_options;
  ApplyRunEnvironment(env, run_options);
  const std::optional<int> run_separator = RunSeparatorIndex(argc, argv);
  if (run_separator) {
    run_options.command.assign(argv + *run_separator + 1, argv + argc);
    argc = *run_separator;
  }

  Config config;
  // Reported after the command line is read: `schedule` and `run` need no configuration.
  Status environment = ApplyEnvironment(env, config);

  CLI::App app{"heartbeat: a dead man's switch monitoring service", "heartbeat"};
  app.set_version_flag("--version", std::string("heartbeat ") + HEARTBEAT_VERSION);
  app.require_subcommand(1);

  CLI::App* serve = app.add_subcommand("serve", "Run the HTTP API and the in-process checker");
  AddStoreOptions(*serve, config);
  serve
      ->add_option("--bind", config.bind_addr,
                   "listen address, host:port or [v6]:port [env BIND_ADDR]")
      ->capture_default_str();
  serve
      ->add_option("--threads", config.threads,
                   "I/O threads, 0 for one per core [env HEARTBEAT_THREADS]")
      ->capture_default_str();
  serve->add_flag("--no-checker", config.no_checker, "do not run the in-process checker");

  CLI::App* check = app.add_subcommand(
      "check", "Run one checker cycle (due alerts, then delivery) and exit; for cron");
  AddStoreOptions(*check, config);

  CLI::App* keys = app.add_subcommand("keys", "Manage API keys");
  keys->require_subcommand(1);
  KeysAddOptions keys_add_options;
  CLI::App* keys_add = keys->add_subcommand("add", "Create an API key and print it on stdout");
  keys_add->add_option("--description", keys_add_options.description, "what the key is for")
      ->required();
  keys_add
      ->add_option("--project", keys_add_options.project,
                   "the project the key acts in (default: default)")
      ->capture_default_str();
  keys_add->add_flag("--read-only", keys_add_options.read_only,
                     "the key may read monitors and their history, and change nothing");
  AddStoreOptions(*keys_add, config);
  bool json = false;
  CLI::App* keys_list = keys->add_subcommand("list", "List API keys (never the keys themselves)");
  keys_list->add_flag("--json", json, "print JSON for scripts");
  AddStoreOptions(*keys_list, config);
  std::string key_id;
  CLI::App* keys_revoke = keys->add_subcommand("revoke", "Revoke an API key by its ID");
  keys_revoke->add_option("ID", key_id, "the key ID shown by `keys list`")->required();
  AddStoreOptions(*keys_revoke, config);
  CLI::App* keys_migrate = keys->add_subcommand(
      "migrate",
      "Hash the keys that the original Rust service's keys table (DynamoDB) holds in clear");
  AddStoreOptions(*keys_migrate, config);

  ChannelsOptions channels_options;
  CLI::App* channels =
      app.add_subcommand("channels", "Manage a project's alert channels (SPEC §14)");
  channels->require_subcommand(1);
  CLI::App* channels_add = channels->add_subcommand("add", "Add a channel");
  channels_add->add_option("NAME", channels_options.name, "1-64 of a-z, 0-9 and '-'");
  channels_add->add_option("--kind", channels_options.kind,
                           "telegram, webhook, slack, discord, ntfy, mattermost, teams or email");
  channels_add->add_option("--url", channels_options.url, "webhook, preset or ntfy topic URL");
  channels_add->add_option("--method", channels_options.method, "webhook: POST (default), PUT...");
  channels_add->add_option("--header", channels_options.headers,
                           "webhook: 'Name: value', repeatable");
  channels_add->add_option("--body", channels_options.body,
                           "webhook: the body template ($SLUG, $STATUS, $MESSAGE...)");
  channels_add->add_option("--to", channels_options.to, "email: a recipient, repeatable");
  channels_add->add_option("--bot-token", channels_options.bot_token, "telegram: the bot token");
  channels_add->add_option("--chat-id", channels_options.chat_id, "telegram: the chat id");
  channels_add->add_option("--json", channels_options.spec_json,
                           "the channel as POST /channels takes it, instead of the flags");
  CLI::App* channels_list = channels->add_subcommand("list", "List the channels (no secrets)");
  channels_list->add_flag("--json", channels_options.json, "print JSON for scripts");
  CLI::App* channels_remove = channels->add_subcommand("remove", "Remove a channel");
  channels_remove->add_option("NAME", channels_options.name, "the channel")->required();
  CLI::App* channels_test =
      channels->add_subcommand("test", "Send a test message to a channel, now");
  channels_test->add_option("NAME", channels_options.name, "the channel")->required();
  for (CLI::App* sub : {channels_add, channels_list, channels_remove, channels_test}) {
    sub->add_option("--project", channels_options.project, "the project (default: default)")
        ->capture_default_str();
    AddStoreOptions(*sub, config);
  }

  ProjectsOptions projects_options;
  CLI::App* projects = app.add_subcommand("projects", "Manage projects and their ping keys");
  projects->require_subcommand(1);
  CLI::App* projects_add =
      projects->add_subcommand("add", "Create a project and print its ping key on stdout");
  projects_add->add_option("NAME", projects_options.name, "a-z, 0-9 and '-'")->required();
  AddStoreOptions(*projects_add, config);
  CLI::App* projects_list =
      projects->add_subcommand("list", "List the projects with their ping keys");
  projects_list->add_flag("--json", projects_options.json, "print JSON for scripts");
  AddStoreOptions(*projects_list, config);
  CLI::App* projects_remove =
      projects->add_subcommand("remove", "Remove a project that has no monitors and no keys");
  projects_remove->add_option("NAME", projects_options.name, "the project")->required();
  AddStoreOptions(*projects_remove, config);
  CLI::App* projects_ping_key = projects->add_subcommand(
      "ping-key", "Print a project's ping key (for /ping/<ping_key>/<slug>), or rotate it");
  projects_ping_key->add_option("NAME", projects_options.name, "the project")->required();
  projects_ping_key->add_flag("--rotate", projects_options.rotate,
                              "replace it with a new one and print that");
  AddStoreOptions(*projects_ping_key, config);

  ImportOptions import_options;
  CLI::App* import = app.add_subcommand("import", "Copy monitors from another service");
  import->require_subcommand(1);
  CLI::App* import_healthchecks = import->add_subcommand(
      "healthchecks",
      "Copy every check of a Healthchecks project (its v3 API, a read-write key) with the same "
      "uuid, slug and settings; running it again changes nothing");
  import_healthchecks
      ->add_option("--url", import_options.url,
                   "the Healthchecks server's base URL, e.g. https://healthchecks.io")
      ->required();
  import_healthchecks
      ->add_option("--api-key", import_options.api_key,
                   "the read-write API key of the Healthchecks project")
      ->required();
  import_healthchecks
      ->add_option("--project", import_options.project,
                   "the project of ours to import into; it must exist (default: default)")
      ->capture_default_str();
  import_healthchecks->footer(
      "Prints one line per check on stdout (created, updated, skipped or failed, with the "
      "slug), then the counts on stderr. Exits 0 when no check failed, 1 otherwise.");
  AddStoreOptions(*import_healthchecks, config);

  CLI::App* store = app.add_subcommand("store", "Manage the store");
  store->require_subcommand(1);
  CLI::App* store_init = store->add_subcommand("init", "Create tables and indexes if missing");
  AddStoreOptions(*store_init, config);

  ScheduleOptions schedule_options;
  CLI::App* schedule = app.add_subcommand(
      "schedule", "Print the next times a cron expression fires (to check one), and exit");
  schedule
      ->add_option("EXPR", schedule_options.expression,
                   "minute hour day-of-month month day-of-week, quoted: \"30 2 * * 1-5\"")
      ->required();
  schedule->add_option("--tz", schedule_options.tz, "IANA time zone, e.g. Europe/Riga")
      ->capture_default_str();
  schedule->add_option(
      "--after", schedule_options.after,
      "RFC 3339 time to start from, e.g. 2021-03-28T00:00:00+02:00 (default: now)");
  schedule->add_option("--count", schedule_options.count, "how many times to print")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));

  CLI::App* run = app.add_subcommand(
      "run",
      "Run a command and report its start, exit code and output's tail: heartbeat run "
      "--slug SLUG [options] -- COMMAND [ARGS...]");
  run->add_option("--slug", run_options.slug, "the monitor's slug")->required();
  run->add_option("--url", run_options.url, "the server's base URL [env HEARTBEAT_URL]")
      ->capture_default_str();
  run->add_option("--key", run_options.key, "API key [env HEARTBEAT_API_KEY]");
  run->add_option("--interval", run_options.interval,
                  "the monitor's interval, set with the start ping (e.g. 1h)");
  run->add_option("--schedule", run_options.schedule,
                  "the monitor's cron schedule instead, quoted: \"0 3 * * *\"");
  run->add_option("--tz", run_options.tz, "IANA time zone of the schedule, e.g. Europe/Riga");
  run->add_option("--grace", run_options.grace, "how long after due the monitor alerts (e.g. 15m)");
  run->footer(
      "Exits with the command's code: 128+N when signal N killed it, 127 when it is not found, "
      "126 when it cannot be executed; 2 for a bad command line. A ping that cannot be sent is "
      "a warning on stderr and changes nothing.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "heartbeat: " << e.what() << " (see heartbeat --help)\n";
    return kExitUsage;
  }

  if (*schedule) return RunSchedule(schedule_options);
  if (*run) {
    if (!run_separator) {
      std::cerr << "heartbeat run: expected -- COMMAND [ARGS...] after the options (see "
                   "heartbeat run --help)\n";
      return kExitUsage;
    }
    if (Status valid = ValidateRunOptions(run_options); !valid.ok()) {
      std::cerr << "heartbeat run: " << valid.error().message << "\n";
      return kExitUsage;
    }
    return RunJob(run_options);
  }
  if (!environment.ok()) {
    std::cerr << "heartbeat: " << environment.error().message << "\n";
    return kExitUsage;
  }
  if (Status s = Validate(config); !s.ok()) {
    std::cerr << "heartbeat: invalid setting " << s.error().message << "\n";
    return kExitUsage;
  }
  SetUpLogging(config.log_level, config.log_format);

  if (*serve) return RunServe(config);
  if (*check) return RunCheck(config);
  if (*keys_add) return RunKeysAdd(config, keys_add_options);
  using ProjectsAction = ProjectsOptions::Action;
  if (*projects_add) projects_options.action = ProjectsAction::kAdd;
  if (*projects_remove) projects_options.action = ProjectsAction::kRemove;
  if (*projects_ping_key) projects_options.action = ProjectsAction::kPingKey;
  if (*projects) return RunProjects(config, projects_options);
  using ChannelsAction = ChannelsOptions::Action;
  if (*channels_add) channels_options.action = ChannelsAction::kAdd;
  if (*channels_remove) channels_options.action = ChannelsAction::kRemove;
  if (*channels_test) channels_options.action = ChannelsAction::kTest;
  if (*channels) return RunChannels(config, channels_options);
  if (*keys_list) return RunKeysList(config, json);
  if (*keys_revoke) return RunKeysRevoke(config, key_id);
  if (*keys_migrate) return RunKeysMigrate(config);
  if (*store_init) return RunStoreInit(config);
  if (*import_healthchecks) return RunImportHealthchecks(config, import_options);
  return kExitUsage;
}

}  // namespace heartbeat::app
