// The `heartbeat` binary as a user runs it: commands, exit codes, configuration errors,
// keys managed while the server runs, signals, logs.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <fstream>
#include <regex>

#include "support/dynalite.h"
#include "support/http_client.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace heartbeat::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class Cli : public ::testing::Test {
 protected:
  std::map<std::string, std::string> Env(std::map<std::string, std::string> extra = {}) {
    std::map<std::string, std::string> env{{"HEARTBEAT_STORE", "sqlite:" + dir_.file("hb.db")}};
    for (auto& [k, v] : extra) env[k] = v;
    return env;
  }
  RunResult Heartbeat(std::vector<std::string> args,
                      std::map<std::string, std::string> extra = {}) {
    return RunHeartbeat(std::move(args), Env(std::move(extra)), dir_.path());
  }
  std::string AddKey(const std::string& description = "test") {
    RunResult r = Heartbeat({"keys", "add", "--description", description});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string key = r.out;
    while (!key.empty() && key.back() == '\n') key.pop_back();
    return key;
  }
  // `serve` never creates the database: `store init` does (idempotent).
  void InitStore() {
    RunResult r = Heartbeat({"store", "init"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  // Creates the store when it is not there yet, starts `serve` on a free port and returns
  // the port.
  unsigned short Serve(std::unique_ptr<Process>& p, std::map<std::string, std::string> extra = {}) {
    InitStore();
    Served served = StartServe(Env(std::move(extra)), dir_.path());
    EXPECT_NE(served.port, 0) << served.process->Stderr();
    p = std::move(served.process);
    return served.port;
  }

  TempDir dir_;
};

TEST_F(Cli, VersionAndHelpExitZero) {
  RunResult v = Heartbeat({"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_THAT(v.out, HasSubstr("heartbeat "));
  for (std::vector<std::string> args : {std::vector<std::string>{"--help"},
                                        {"serve", "--help"},
                                        {"keys", "add", "--help"},
                                        {"keys", "list", "--help"},
                                        {"keys", "revoke", "--help"},
                                        {"store", "init", "--help"}}) {
    RunResult r = Heartbeat(args);
    EXPECT_EQ(r.exit_code, 0) << args[0];
    EXPECT_THAT(r.out, HasSubstr("Usage"));
  }
  EXPECT_THAT(Heartbeat({"serve", "--help"}).out, HasSubstr("--bind"));
}

TEST_F(Cli, UnknownCommandOrFlagExitsTwo) {
  EXPECT_EQ(Heartbeat({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(Heartbeat({"serve", "--no-such-flag"}).exit_code, 2);
  EXPECT_EQ(Heartbeat({}).exit_code, 2);
  EXPECT_EQ(Heartbeat({"keys", "add"}).exit_code, 2);  // --description is required
}

TEST_F(Cli, InvalidSettingStopsWithOneLineNamingItAndExitTwo) {
  struct Case {
    std::map<std::string, std::string> env;
    std::string name;
  };
  std::vector<Case> cases{
      {{{"HEARTBEAT_STORE", "postgres://x"}}, "HEARTBEAT_STORE"},
      {{{"HEARTBEAT_STORE", "sqlite:"}}, "HEARTBEAT_STORE"},
      {{{"BIND_ADDR", "localhost"}}, "BIND_ADDR"},
      {{{"BIND_ADDR", "0.0.0.0:70000"}}, "BIND_ADDR"},
      {{{"LOG_LEVEL", "loud"}}, "LOG_LEVEL"},
      {{{"LOG_FORMAT", "xml"}}, "LOG_FORMAT"},
      {{{"ALERT_REPEAT_INTERVAL", "often"}}, "ALERT_REPEAT_INTERVAL"},
      {{{"TELEGRAM_API_URL", "ftp://x"}}, "TELEGRAM_API_URL"},
      {{{"HEARTBEAT_THREADS", "many"}}, "HEARTBEAT_THREADS"},
      {{{"CHECK_PARTITIONS", "0"}}, "CHECK_PARTITIONS"},
      {{{"CHECK_PARTITIONS", "101"}}, "CHECK_PARTITIONS"},
      {{{"CHECK_PARTITIONS", "four"}}, "CHECK_PARTITIONS"},
      {{{"DYNAMODB_ENDPOINT", "127.0.0.1:8000"}}, "DYNAMODB_ENDPOINT"},
      {{{"SSM_ENDPOINT", "ssm.local"}}, "SSM_ENDPOINT"},
  };
  for (const Case& c : cases) {
    auto env = Env();
    for (auto& [k, v] : c.env) env[k] = v;
    RunResult r = RunHeartbeat({"serve"}, env, dir_.path());
    EXPECT_EQ(r.exit_code, 2) << c.name;
    EXPECT_THAT(r.err, HasSubstr(c.name));
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  // A flag overrides the environment, and is checked the same way.
  RunResult flag = Heartbeat({"serve", "--store", "nope"});
  EXPECT_EQ(flag.exit_code, 2);
  EXPECT_THAT(flag.err, HasSubstr("HEARTBEAT_STORE"));
}

TEST_F(Cli, KeysAddPrintsOnlyTheKeyOnStdout) {
  RunResult r = Heartbeat({"keys", "add", "--description", "backup job"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_match(r.out, std::regex("[0-9a-f]{64}\n"))) << r.out;
  EXPECT_THAT(r.err, Not(HasSubstr(r.out.substr(0, 64))));
}

TEST_F(Cli, KeysListShowsIdDescriptionCreatedLastUsedButNeverTheKey) {
  std::string key = AddKey("nightly backup");
  RunResult table = Heartbeat({"keys", "list"});
  ASSERT_EQ(table.exit_code, 0);
  EXPECT_THAT(table.out, Not(HasSubstr(key)));
  EXPECT_TRUE(std::regex_search(table.out,
                                std::regex("^ID +DESCRIPTION +CREATED +LAST USED +PROJECT +ROLE")))
      << table.out;
  EXPECT_THAT(table.out, HasSubstr("nightly backup"));
  EXPECT_THAT(table.out, HasSubstr("read-write"));
  EXPECT_THAT(table.out, HasSubstr("never"));

  RunResult json = Heartbeat({"keys", "list", "--json"});
  ASSERT_EQ(json.exit_code, 0);
  EXPECT_THAT(json.out, Not(HasSubstr(key)));
  auto list = boost::json::parse(json.out).as_array();
  ASSERT_EQ(list.size(), 1u);
  auto& k = list[0].as_object();
  EXPECT_EQ(k.at("description").as_string(), "nightly backup");
  EXPECT_EQ(k.at("id").as_string().size(), 12u);
  EXPECT_TRUE(k.at("last_used_at").is_null());
  EXPECT_TRUE(std::regex_match(std::string(k.at("created_at").as_string()),
                               std::regex("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ")));
  // The table's first column is that ID.
  EXPECT_THAT(table.out, HasSubstr(std::string(k.at("id").as_string())));
}

TEST_F(Cli, KeysRevokeRemovesTheKeyAndUnknownIdExitsOne) {
  AddKey("a");
  auto list = boost::json::parse(Heartbeat({"keys", "list", "--json"}).out).as_array();
  std::string id(list[0].as_object().at("id").as_string());
  RunResult unknown = Heartbeat({"keys", "revoke", "0123456789ab"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("0123456789ab"));
  EXPECT_EQ(Heartbeat({"keys", "revoke", "NOT-AN-ID"}).exit_code, 1);
  EXPECT_EQ(Heartbeat({"keys", "revoke", id}).exit_code, 0);
  EXPECT_EQ(Heartbeat({"keys", "list", "--json"}).out, "[]\n");
}

TEST_F(Cli, ProjectsAddListRemoveAndRotateTheirPingKeys) {
  InitStore();
  RunResult added = Heartbeat({"projects", "add", "billing"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_TRUE(std::regex_match(added.out, std::regex("[a-z0-9]{22}\n"))) << added.out;
  const std::string ping_key = added.out.substr(0, 22);
  EXPECT_EQ(Heartbeat({"projects", "add", "billing"}).exit_code, 1);  // taken
  RunResult bad = Heartbeat({"projects", "add", "Bad_Name"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("project name"));

  RunResult table = Heartbeat({"projects", "list"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_TRUE(std::regex_search(table.out, std::regex("^NAME +PING KEY +CREATED"))) << table.out;
  EXPECT_TRUE(std::regex_search(table.out, std::regex("\nbilling +" + ping_key)));
  EXPECT_TRUE(std::regex_search(table.out, std::regex("\ndefault +[a-z0-9]{22} ")));
  auto list = boost::json::parse(Heartbeat({"projects", "list", "--json"}).out).as_array();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].at("name").as_string(), "billing");
  EXPECT_EQ(list[0].at("ping_key").as_string(), ping_key);

  RunResult shown = Heartbeat({"projects", "ping-key", "billing"});
  EXPECT_EQ(shown.out, ping_key + "\n");
  RunResult rotated = Heartbeat({"projects", "ping-key", "billing", "--rotate"});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  EXPECT_TRUE(std::regex_match(rotated.out, std::regex("[a-z0-9]{22}\n")));
  EXPECT_NE(rotated.out, shown.out);
  EXPECT_EQ(Heartbeat({"projects", "ping-key", "billing"}).out, rotated.out);
  EXPECT_EQ(Heartbeat({"projects", "ping-key", "nope"}).exit_code, 1);

  // Only an empty project goes; never the default one.
  RunResult key = Heartbeat({"keys", "add", "--description", "b", "--project", "billing"});
  ASSERT_EQ(key.exit_code, 0) << key.err;
  RunResult busy = Heartbeat({"projects", "remove", "billing"});
  EXPECT_EQ(busy.exit_code, 1);
  EXPECT_THAT(busy.err, HasSubstr("keys"));
  auto keys = boost::json::parse(Heartbeat({"keys", "list", "--json"}).out).as_array();
  ASSERT_EQ(keys.size(), 1u);
  ASSERT_EQ(Heartbeat({"keys", "revoke", std::string(keys[0].at("id").as_string())}).exit_code, 0);
  EXPECT_EQ(Heartbeat({"projects", "remove", "billing"}).exit_code, 0);
  EXPECT_EQ(Heartbeat({"projects", "remove", "billing"}).exit_code, 1);
  RunResult keep = Heartbeat({"projects", "remove", "default"});
  EXPECT_EQ(keep.exit_code, 1);
  EXPECT_THAT(keep.err, HasSubstr("default"));
}

TEST_F(Cli, KeysOfAProjectAndReadOnlyKeysAreListedWithTheirProjectAndRole) {
  InitStore();
  ASSERT_EQ(Heartbeat({"projects", "add", "ops"}).exit_code, 0);
  RunResult missing = Heartbeat({"keys", "add", "--description", "x", "--project", "nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("projects add nope"));
  const std::string writer = AddKey("default writer");
  RunResult ro =
      Heartbeat({"keys", "add", "--description", "wall", "--project", "ops", "--read-only"});
  ASSERT_EQ(ro.exit_code, 0) << ro.err;
  EXPECT_THAT(ro.err, HasSubstr("read-only"));
  const std::string reader = ro.out.substr(0, 64);
  RunResult table = Heartbeat({"keys", "list"});
  EXPECT_TRUE(std::regex_search(table.out,
                                std::regex("^ID +DESCRIPTION +CREATED +LAST USED +PROJECT +ROLE")))
      << table.out;
  EXPECT_TRUE(std::regex_search(table.out, std::regex("wall +\\S+ +never +ops +read-only")))
      << table.out;
  EXPECT_TRUE(
      std::regex_search(table.out, std::regex("default writer +\\S+ +never +default +read-write")))
      << table.out;
  auto list = boost::json::parse(Heartbeat({"keys", "list", "--json"}).out).as_array();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1].at("project").as_string(), "ops");
  EXPECT_EQ(list[1].at("role").as_string(), "read-only");
  EXPECT_EQ(list[0].at("role").as_string(), "read-write");

  // Served: the read-only key reads its project only and writes nothing.
  std::unique_ptr<Process> server;
  unsigned short port = Serve(server);
  ASSERT_NE(port, 0);
  HttpClient client(port);
  EXPECT_EQ(client.Authed("GET", "/heartbeat/job", writer).status, 200u);
  HttpResponse refused = client.Authed("GET", "/heartbeat/job", reader);
  EXPECT_EQ(refused.status, 403u);
  EXPECT_THAT(refused.body, HasSubstr("read-only"));
  EXPECT_EQ(client.Authed("GET", "/monitors/job", reader).status, 404u);  // default's
  EXPECT_EQ(client.Authed("GET", "/monitors", reader).body, "{\"monitors\":[]}");
  client.Close();
  server->Signal(SIGTERM);
  EXPECT_EQ(server->Wait(), 0);
}

TEST_F(Cli, MaxMonitorsPerProjectLimitsCreationsAndIsValidated) {
  const std::string key = AddKey();
  RunResult bad = Heartbeat({"serve"}, {{"MAX_MONITORS_PER_PROJECT", "many"}});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("MAX_MONITORS_PER_PROJECT"));
  std::unique_ptr<Process> server;
  unsigned short port = Serve(server, {{"MAX_MONITORS_PER_PROJECT", "1"}});
  ASSERT_NE(port, 0);
  HttpClient client(port);
  EXPECT_EQ(client.Authed("GET", "/heartbeat/first", key).status, 200u);
  HttpResponse second = client.Authed("GET", "/heartbeat/second", key);
  EXPECT_EQ(second.status, 403u);
  EXPECT_THAT(second.body, HasSubstr("limit"));
  EXPECT_EQ(client.Authed("GET", "/heartbeat/first", key).status, 200u);
  client.Close();
  server->Signal(SIGTERM);
  EXPECT_EQ(server->Wait(), 0);
}

TEST_F(Cli, StoreInitCreatesTheDatabase) {
  RunResult r =
      Heartbeat({"store", "init"}, {{"HEARTBEAT_STORE", "sqlite:" + dir_.file("sub/dir/x.db")}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir_.file("sub/dir/x.db")));
  EXPECT_EQ(
      Heartbeat({"store", "init"}, {{"HEARTBEAT_STORE", "sqlite:" + dir_.file("sub/dir/x.db")}})
          .exit_code,
      0);  // idempotent
}

// A local engine needs no credentials, but credentials given and broken are reported, not
// silently replaced by dummy ones (nothing listens at the endpoint: the checks come first).
// Half a key pair is an invalid setting (exit 2); a profile without its secret, a store that
// cannot be opened (exit 1).
TEST_F(Cli, BrokenAwsCredentialsAreReportedEvenForALocalEngine) {
  std::map<std::string, std::string> local{{"HEARTBEAT_STORE", "dynamodb"},
                                           {"DYNAMODB_ENDPOINT", "http://127.0.0.1:9"},
                                           {"AWS_ACCESS_KEY_ID", "AKIAHALFAPAIR"},
                                           {"AWS_SECRET_ACCESS_KEY", ""}};
  RunResult half = Heartbeat({"store", "init"}, local);
  EXPECT_EQ(half.exit_code, 2) << half.err;
  EXPECT_THAT(half.err, HasSubstr("AWS_SECRET_ACCESS_KEY: not set, while AWS_ACCESS_KEY_ID is"));

  std::ofstream(dir_.file("credentials")) << "[default]\naws_access_key_id = AKIANOSECRET\n";
  local["AWS_ACCESS_KEY_ID"] = "";
  local["AWS_SHARED_CREDENTIALS_FILE"] = dir_.file("credentials");
  local["AWS_PROFILE"] = "default";
  RunResult file = Heartbeat({"store", "init"}, local);
  EXPECT_EQ(file.exit_code, 1) << file.err;
  EXPECT_THAT(file.err, HasSubstr("has no aws_secret_access_key"));
}

TEST_F(Cli, ServeAnswersPingsAndStopsCleanlyOnSigterm) {
  std::string key = AddKey();
  std::unique_ptr<Process> server;
  unsigned short port = Serve(server);
  ASSERT_NE(port, 0);
  HttpClient client(port);
  HttpResponse r = client.Authed("GET", "/heartbeat/nightly-backup?interval=1h", key);
  EXPECT_EQ(r.status, 200u) << r.body;
  client.Close();
  server->Signal(SIGTERM);
  EXPECT_EQ(server->Wait(), 0);
  EXPECT_THAT(server->Stderr(), HasSubstr("stopped"));

  // What was acknowledged is there after a restart.
  port = Serve(server);
  HttpClient again(port);
  HttpResponse m = again.Authed("GET", "/monitors/nightly-backup", key);
  EXPECT_EQ(m.status, 200u);
  EXPECT_EQ(m.json().at("interval_secs").as_int64(), 3600);
  again.Close();
  server->Signal(SIGINT);
  EXPECT_EQ(server->Wait(), 0);
}

TEST_F(Cli, KeyAddedOrRevokedWhileServingTakesEffectWithinOneSecond) {
  std::unique_ptr<Process> server;
  unsigned short port = Serve(server);
  ASSERT_NE(port, 0);
  std::string key = AddKey("late");
  auto wait_for_status = [&](unsigned want) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
    for (;;) {
      HttpClient c(port);
      unsigned got = c.Authed("GET", "/monitors", key).status;
      if (got == want) return true;
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  };
  EXPECT_TRUE(wait_for_status(200));
  auto list = boost::json::parse(Heartbeat({"keys", "list", "--json"}).out).as_array();
  ASSERT_EQ(Heartbeat({"keys", "revoke", std::string(list[0].as_object().at("id").as_string())})
                .exit_code,
            0);
  EXPECT_TRUE(wait_for_status(401));
  server->Signal(SIGTERM);
  EXPECT_EQ(server->Wait(), 0);
}

TEST_F(Cli, LastUsedIsRecordedAndNoKeyIsEverLogged) {
  std::string key = AddKey();
  std::unique_ptr<Process> server;
  unsigned short port = Serve(server, {{"LOG_LEVEL", "trace"}});
  HttpClient client(port);
  EXPECT_EQ(client.Authed("GET", "/heartbeat/job", key).status, 200u);
  EXPECT_EQ(client.Authed("GET", "/monitors", "wrong-" + key).status, 401u);
  client.Close();
  server->Signal(SIGTERM);
  ASSERT_EQ(server->Wait(), 0);
  EXPECT_THAT(server->Stderr(), Not(HasSubstr(key)));
  auto list = boost::json::parse(Heartbeat({"keys", "list", "--json"}).out).as_array();
  EXPECT_FALSE(list[0].as_object().at("last_used_at").is_null());
}

// The original Rust service's keys table (hash key api_key, its keys in clear, as its
// add-api-key wrote them): serve accepts its keys as they are, with one warning at start;
// `keys migrate` hashes them, after which they still work and no item holds one in clear.
TEST_F(Cli, TheRustServicesKeysWorkInClearUntilKeysMigrateHashesThem) {
  Dynalite& db = Dynalite::Shared();
  std::unique_ptr<AsyncHttpClient> http = MakeCurlMultiHttpClient();
  aws::DynamoClient client(*http, db.ClientOptions());
  const std::string keys_table = Dynalite::UniqueTableName("rust-keys");
  Dynalite::CreateTable(client, Dynalite::TableRequest(keys_table, "api_key"));
  const std::string key = "5e1f" + std::string(60, 'a');
  auto put = AwaitDynamo<aws::Nothing>([&](auto cb) {
    client.PutItem({.table = keys_table,
                    .item = {{"api_key", aws::AttributeValue::S(key)},
                             {"description", aws::AttributeValue::S("from the Rust version")},
                             {"created_at", aws::AttributeValue::N(1'700'000'000)}}},
                   std::move(cb));
  });
  ASSERT_TRUE(put.ok()) << put.error().message;
  std::map<std::string, std::string> env{
      {"HEARTBEAT_STORE", "dynamodb"},
      {"DYNAMODB_ENDPOINT", db.endpoint()},
      {"AWS_REGION", "us-east-1"},
      {"AWS_ACCESS_KEY_ID", "AKIDCLITEST"},
      {"AWS_SECRET_ACCESS_KEY", "cli-test-secret-key"},
      {"MONITORS_TABLE", Dynalite::UniqueTableName("cli-monitors")},
      {"KEYS_TABLE", keys_table},
      {"PINGS_TABLE", Dynalite::UniqueTableName("cli-pings")}};
  RunResult init = RunHeartbeat({"store", "init"}, env, dir_.path());
  ASSERT_EQ(init.exit_code, 0) << init.err;

  auto serve_and_ping = [&](bool expect_warning) {
    Served served = StartServe(env, dir_.path(), {.timeout = std::chrono::seconds(30)});
    ASSERT_NE(served.port, 0) << served.process->Stderr();
    {
      HttpClient c(served.port);
      EXPECT_EQ(c.Authed("GET", "/heartbeat/rust-job", key).status, 200u);
    }
    served.process->Signal(SIGTERM);
    EXPECT_EQ(served.process->Wait(), 0);
    const std::string log = served.process->Stderr();
    if (expect_warning) {
      EXPECT_THAT(log, HasSubstr("1 API keys are stored in clear"));
      EXPECT_THAT(log, HasSubstr("heartbeat keys migrate"));
    } else {
      EXPECT_THAT(log, Not(HasSubstr("stored in clear")));
    }
    EXPECT_THAT(log, Not(HasSubstr(key)));
  };
  serve_and_ping(true);

  RunResult migrated = RunHeartbeat({"keys", "migrate"}, env, dir_.path());
  ASSERT_EQ(migrated.exit_code, 0) << migrated.err;
  EXPECT_THAT(migrated.out, HasSubstr("Migrated 1 keys"));
  RunResult again = RunHeartbeat({"keys", "migrate"}, env, dir_.path());
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("Migrated 0 keys"));

  auto items = AwaitDynamo<std::vector<aws::Item>>(
      [&](auto cb) { client.ScanAll({.table = keys_table}, std::move(cb)); });
  ASSERT_TRUE(items.ok()) << items.error().message;
  for (const aws::Item& item : items.value()) {
    EXPECT_NE(*item.at("api_key").AsString(), key) << "a key is still stored in clear";
  }
  RunResult list = RunHeartbeat({"keys", "list", "--json"}, env, dir_.path());
  ASSERT_EQ(list.exit_code, 0) << list.err;
  auto listed = boost::json::parse(list.out).as_array();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].at("description"), "from the Rust version");
  EXPECT_EQ(listed[0].at("project"), "default");
  EXPECT_EQ(listed[0].at("role"), "read-write");

  serve_and_ping(false);
}

TEST_F(Cli, KeysMigrateOnSqliteHasNothingToDo) {
  InitStore();
  RunResult r = Heartbeat({"keys", "migrate"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("Nothing to migrate"));
}

TEST_F(Cli, JsonLogsAreOneObjectPerLine) {
  std::unique_ptr<Process> server;
  Serve(server, {{"LOG_FORMAT", "json"}});
  server->Signal(SIGTERM);
  ASSERT_EQ(server->Wait(), 0);
  std::istringstream lines(server->Stderr());
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    auto v = boost::json::parse(line).as_object();
    EXPECT_TRUE(v.contains("time"));
    EXPECT_TRUE(v.contains("level"));
    EXPECT_TRUE(v.contains("msg"));
    ++n;
  }
  EXPECT_GE(n, 2);
}

// Once `serve` has said it is listening, SIGTERM is a clean stop (exit 0, "stopped"), even
// the instant after that line: supervisors and scripts send it as soon as they see it.
// The signal used to be caught only after the housekeeping was set up, and a SIGTERM in
// between killed the process (exit 143).
TEST_F(Cli, SigtermTheMomentServeSaysItIsListeningIsACleanStop) {
  InitStore();
  for (int round = 0; round < 20; ++round) {
    // Not Serve(): it waits with 10 ms polls and parses the port before returning, and
    // the signal must follow the line as closely as the test can manage.
    auto env = Env({{"BIND_ADDR", "127.0.0.1:0"}});
    Process server({"serve"}, env, dir_.path());
    ASSERT_TRUE(server.WaitForStderr("listening on", std::chrono::seconds(10),
                                     std::chrono::microseconds(0)))
        << server.Stderr();
    server.Signal(SIGTERM);
    ASSERT_EQ(server.Wait(), 0) << "round " << round << "\n" << server.Stderr();
    EXPECT_THAT(server.Stderr(), HasSubstr("stopped"));
  }
}

TEST_F(Cli, ServeWithoutKeysWarnsAndRefusesRequests) {
  std::unique_ptr<Process> server;
  unsigned short port = Serve(server);
  EXPECT_THAT(server->Stderr(), HasSubstr("no API keys"));
  HttpClient client(port);
  EXPECT_EQ(client.Request("GET", "/monitors").status, 401u);
  EXPECT_EQ(client.Request("GET", "/healthz").status, 200u);
  client.Close();
  server->Signal(SIGTERM);
  EXPECT_EQ(server->Wait(), 0);
}

TEST_F(Cli, AddressInUseFailsWithExitOne) {
  std::unique_ptr<Process> first;
  unsigned short port = Serve(first);
  auto env = Env({{"BIND_ADDR", "127.0.0.1:" + std::to_string(port)}});
  RunResult second = RunHeartbeat({"serve"}, env, dir_.path());
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_THAT(second.err, HasSubstr("cannot listen"));
  first->Signal(SIGTERM);
  EXPECT_EQ(first->Wait(), 0);
}

// `heartbeat schedule` (SPEC §12): the next times an expression fires, with the zone's offset.
TEST_F(Cli, SchedulePrintsTheNextFiveTimesInTheZone) {
  RunResult r = Heartbeat(
      {"schedule", "30 2 * * 1-5", "--tz", "Europe/Riga", "--after", "2021-03-26T00:00:00+02:00"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "2021-03-26T02:30:00+02:00\n"
            "2021-03-29T02:30:00+03:00\n"
            "2021-03-30T02:30:00+03:00\n"
            "2021-03-31T02:30:00+03:00\n"
            "2021-04-01T02:30:00+03:00\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(Cli, ScheduleFollowsDaylightSavingRules) {
  // Wall time: 03:00 does not exist on 2021-03-28 in Riga; it fires at 04:00 instead.
  RunResult spring = Heartbeat({"schedule", "0 3 * * *", "--tz", "Europe/Riga", "--after",
                                "2021-03-27T12:00:00+02:00", "--count", "2"});
  EXPECT_EQ(spring.exit_code, 0) << spring.err;
  EXPECT_EQ(spring.out, "2021-03-28T04:00:00+03:00\n2021-03-29T03:00:00+03:00\n");
  // Absolute time: the repeated hour of 2021-10-31 fires twice.
  RunResult autumn = Heartbeat({"schedule", "*/30 * * * *", "--tz", "Europe/Riga", "--after",
                                "2021-10-31T02:50:00+03:00", "--count", "4"});
  EXPECT_EQ(autumn.exit_code, 0) << autumn.err;
  EXPECT_EQ(autumn.out,
            "2021-10-31T03:00:00+03:00\n2021-10-31T03:30:00+03:00\n"
            "2021-10-31T03:00:00+02:00\n2021-10-31T03:30:00+02:00\n");
}

TEST_F(Cli, ScheduleDefaultsToFiveTimesFromNowInUtc) {
  RunResult r = Heartbeat({"schedule", "*/5 * * * *"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::regex line("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d[05]:00\\+00:00\n");
  std::string out = r.out;
  int lines = 0;
  for (std::smatch m; std::regex_search(out, m, line, std::regex_constants::match_continuous);
       out = m.suffix()) {
    ++lines;
  }
  EXPECT_EQ(lines, 5) << r.out;
  EXPECT_EQ(out, "");
}

TEST_F(Cli, ScheduleRefusesABadFieldOrZoneWithOneLineAndExitTwo) {
  struct Case {
    std::vector<std::string> args;
    std::string line;
  };
  std::vector<Case> cases{
      {{"schedule", "0 25 * * *"},
       "heartbeat: schedule: the hour field \"25\" is out of range 0-23\n"},
      {{"schedule", "0 0 30 2 *"},
       "heartbeat: schedule: the day-of-month field \"30\" never matches in the month field "
       "\"2\"\n"},
      {{"schedule", "0 3 * *"},
       "heartbeat: schedule: expected 5 fields (minute hour day-of-month month day-of-week), got "
       "4\n"},
      {{"schedule", "0 3 * * *", "--tz", "Mars/Olympus"},
       "heartbeat: tz: unknown time zone \"Mars/Olympus\" (an IANA name such as Europe/Riga)\n"},
      {{"schedule", "0 3 * * *", "--after", "yesterday"},
       "heartbeat: after: \"yesterday\" is not an RFC 3339 time, such as "
       "2021-03-28T01:30:00+02:00\n"},
  };
  for (const Case& c : cases) {
    RunResult r = Heartbeat(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args[1];
    EXPECT_EQ(r.err, c.line);
    EXPECT_EQ(r.out, "");
  }
  EXPECT_EQ(Heartbeat({"schedule", "0 3 * * *", "--count", "0"}).exit_code, 2);
  EXPECT_EQ(Heartbeat({"schedule"}).exit_code, 2);
}

// It reads no configuration, so a broken one does not stop it.
TEST_F(Cli, ScheduleNeedsNoConfiguration) {
  RunResult r =
      Heartbeat({"schedule", "0 0 1 1 *", "--after", "2026-06-01T00:00:00Z", "--count", "1"},
                {{"HEARTBEAT_STORE", "postgres://x"}, {"LOG_LEVEL", "loud"}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "2027-01-01T00:00:00+00:00\n");
  EXPECT_EQ(Heartbeat({"check"}, {{"HEARTBEAT_STORE", "postgres://x"}}).exit_code, 2);
  RunResult help = Heartbeat({"schedule", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("--tz"));
}

}  // namespace
}  // namespace heartbeat::testing
