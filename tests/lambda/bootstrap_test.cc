// bootstrap.zip end to end: the package of scripts/build-lambda.sh ($LAMBDA_ZIP) unpacked
// into an empty folder and started there as Lambda starts it (./bootstrap, with a clean
// environment of Lambda's variables and ours) against a fake Runtime API, a fake SSM, a
// fake Telegram and DynamoDB on dynalite, all real HTTP on 127.0.0.1. $LAMBDA_RUNNER (e.g.
// qemu-aarch64-static) runs an arm64 package: the bootstrap script's exec line, through the
// emulator.
//
// Each test has its own tables on the binary's dynalite, made by this build's
// `heartbeat store init` ($HEARTBEAT_BINARY) under the generic names (MONITORS_TABLE,
// KEYS_TABLE); the test seeds and reads them through a DynamoStore of its own, and the
// bootstrap finds them under the Lambda names (HEARTBEAT_TABLE_NAME, ...), signing with the
// session credentials Lambda gives it. One test runs on SQLite: only a SQLite store can
// fail to open.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "app/commands.h"
#include "app/components.h"
#include "app/config.h"
#include "core/clock.h"
#include "support/dynalite.h"
#include "support/fake_lambda_runtime.h"
#include "support/fake_ssm.h"
#include "support/fake_telegram.h"
#include "support/process.h"
#include "support/tcp_forwarder.h"
#include "support/temp_dir.h"

namespace heartbeat::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr const char* kBotToken = "424242:AAE-lambda-bot-token-must-never-be-logged";
constexpr const char* kTokenParam = "/heartbeat/telegram-bot-token";
constexpr const char* kChatParam = "/heartbeat/telegram-chat-id";
constexpr const char* kAccessKey = "ASIAEXAMPLELAMBDA";
constexpr const char* kSecretKey = "lambda-secret-access-key-must-never-be-logged";
constexpr const char* kSessionToken = "IQoJb3JpZ2luX2VjEXAMPLE-session-token-never-logged";
constexpr const char* kRegion = "eu-north-1";

// 8000 of "http://127.0.0.1:8000".
unsigned short PortOf(const std::string& url) {
  return static_cast<unsigned short>(std::stoi(url.substr(url.rfind(':') + 1)));
}

// How to run the package's ELF files: directly, or through qemu-aarch64-static when the
// package is arm64 and this machine is not ($LAMBDA_RUNNER overrides).
std::string RunnerFor(const std::string& elf) {
  if (const char* runner = std::getenv("LAMBDA_RUNNER"); runner != nullptr) return runner;
  std::ifstream in(elf, std::ios::binary);
  unsigned char header[20] = {};
  in.read(reinterpret_cast<char*>(header), sizeof header);
  const int machine = header[18] | (header[19] << 8);  // e_machine, little-endian
  constexpr int kAarch64 = 183;
#if defined(__aarch64__)
  constexpr bool kHostIsAarch64 = true;
#else
  constexpr bool kHostIsAarch64 = false;
#endif
  return machine == kAarch64 && !kHostIsAarch64 ? "qemu-aarch64-static" : "";
}

// A child process with exactly the given environment, in the given folder.
class Child {
 public:
  Child(std::vector<std::string> argv, const std::map<std::string, std::string>& env,
        const std::string& cwd, const std::string& out, const std::string& err) {
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(o, 1);
      dup2(e, 2);
      if (::chdir(cwd.c_str()) != 0) _exit(126);
      std::vector<std::string> env_strings;
      for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
      std::vector<char*> envp;
      for (auto& s : env_strings) envp.push_back(s.data());
      envp.push_back(nullptr);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      // execvpe: the runner (qemu) is found on the test's PATH; ./bootstrap by its path.
      execvpe(args[0], args.data(), envp.data());
      _exit(127);
    }
  }
  ~Child() {
    if (!exit_code_) {
      kill(pid_, SIGKILL);
      int status;
      waitpid(pid_, &status, 0);
    }
  }

  std::optional<int> Wait(milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!exit_code_ && std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
    return exit_code_;
  }
  bool Running() {
    if (exit_code_) return false;
    return !Wait(milliseconds(0)).has_value();
  }

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

class Bootstrap : public ::testing::Test {
 protected:
  Bootstrap() : ssm_(Expectations()) {
    const char* zip = std::getenv("LAMBDA_ZIP");
    if (zip == nullptr) throw std::runtime_error("LAMBDA_ZIP is not set (run through ctest)");
    // An empty folder, as /var/task: only what the zip holds.
    std::filesystem::create_directory(task_dir());
    std::string cmd = "unzip -q '" + std::string(zip) + "' -d '" + task_dir() + "'";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("cannot unzip " + cmd);
    ssm_.Put(kTokenParam, kBotToken);
    ssm_.Put(kChatParam, kChatId);
    runner_ = RunnerFor(task_dir() + "/bin/heartbeat");
  }

  ~Bootstrap() override {
    std::string logs = Stdout() + Stderr();
    for (const char* secret : {kBotToken, kSecretKey, kSessionToken}) {
      EXPECT_THAT(logs, Not(HasSubstr(secret)));
    }
    EXPECT_THAT(runtime_.Unexpected(), IsEmpty());
    EXPECT_THAT(ssm_.Rejections(), IsEmpty());
  }

  // Creates the tables (`store init`), for the tests that reach the monitors; the others
  // never get that far and skip the process.
  void InitStore() {
    RunResult init = RunHeartbeat({"store", "init"}, StoreEnv(), dir_.path());
    ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
  }

  static SsmExpectations Expectations() {
    SsmExpectations e;
    e.access_key_id = kAccessKey;
    e.region = kRegion;
    e.session_token = kSessionToken;
    return e;
  }

  std::string task_dir() const { return dir_.file("task"); }

  // Where the monitors live, as `store init` and the test itself reach them: this test's
  // tables on dynalite (or the SQLite file, when sqlite_path_ is set).
  std::map<std::string, std::string> StoreEnv() const {
    if (sqlite_path_) return {{"HEARTBEAT_STORE", "sqlite:" + *sqlite_path_}};
    return {
        {"HEARTBEAT_STORE", "dynamodb"}, {"DYNAMODB_ENDPOINT", Dynalite::Shared().endpoint()},
        {"AWS_REGION", kRegion},         {"MONITORS_TABLE", monitors_table_},
        {"KEYS_TABLE", keys_table_},     {"PINGS_TABLE", pings_table_},
    };
  }

  // What Lambda sets for a provided.al2023 function, then ours: the variables of
  // terraform/lambda.tf (tests/deploy/terraform.test.mjs pins that list) at their defaults,
  // but for HEARTBEAT_STORE=dynamodb and LOG_FORMAT=json, which are bootstrap's defaults
  // too and are left out so that the defaults are what these tests run on; and the
  // endpoints of the fakes.
  std::map<std::string, std::string> Env() const {
    std::string task = task_dir();
    std::map<std::string, std::string> env{
        {"AWS_LAMBDA_RUNTIME_API", runtime_.api()},
        {"AWS_REGION", kRegion},
        {"AWS_DEFAULT_REGION", kRegion},
        {"AWS_ACCESS_KEY_ID", kAccessKey},
        {"AWS_SECRET_ACCESS_KEY", kSecretKey},
        {"AWS_SESSION_TOKEN", kSessionToken},
        {"AWS_LAMBDA_FUNCTION_NAME", "heartbeat-checker"},
        {"AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"},
        {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"},
        {"AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/heartbeat-checker"},
        {"AWS_LAMBDA_LOG_STREAM_NAME", "2025/01/01/[$LATEST]0123456789abcdef"},
        {"AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand"},
        {"AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023"},
        {"_HANDLER", "bootstrap"},
        {"LAMBDA_TASK_ROOT", task},
        {"LAMBDA_RUNTIME_DIR", "/var/runtime"},
        {"LANG", "en_US.UTF-8"},
        {"TZ", ":UTC"},
        {"PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin"},
        {"LD_LIBRARY_PATH", "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:" +
                                task + ":" + task + "/lib:/opt/lib"},
        // terraform/lambda.tf's. The Lambda names of the tables: no MONITORS_TABLE /
        // KEYS_TABLE here.
        {"HEARTBEAT_TABLE_NAME", monitors_table_},
        {"HEARTBEAT_API_KEYS_TABLE_NAME", keys_table_},
        {"PINGS_TABLE", pings_table_},
        {"TELEGRAM_BOT_TOKEN_PARAM", kTokenParam},
        {"TELEGRAM_CHAT_ID_PARAM", kChatParam},
        {"ALERT_REPEAT_INTERVAL", "1h"},
        {"CHECK_PARTITIONS", "1"},
        // The test's: where the fakes and dynalite are.
        {"DYNAMODB_ENDPOINT", dynamodb_endpoint_},
        {"SSM_ENDPOINT", ssm_.url()},
        {"TELEGRAM_API_URL", telegram_.url()},
    };
    if (sqlite_path_) env["HEARTBEAT_STORE"] = "sqlite:" + *sqlite_path_;
    return env;
  }

  void Start(std::map<std::string, std::string> env) {
    std::vector<std::string> argv{"./bootstrap"};
    if (!runner_.empty()) {
      // No binfmt_misc here to run arm64 ELF files directly: run the bootstrap script's exec
      // line (below) through the emulator instead. The package check makes sure that
      // bootstrap says exactly this.
      std::string loader;
      for (const auto& e : std::filesystem::directory_iterator(task_dir() + "/lib")) {
        std::string name = e.path().filename().string();
        if (name.rfind("ld-linux", 0) == 0) loader = name;
      }
      argv = {runner_,   "./lib/" + loader, "--library-path", "./lib",
              "--argv0", "bootstrap",       "./bin/heartbeat"};
      env["PATH"] = std::string(std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin");
    }
    child_ =
        std::make_unique<Child>(argv, env, task_dir(), dir_.file("stdout"), dir_.file("stderr"));
  }
  void Start() { Start(Env()); }

  std::string Stdout() const { return ReadFile(dir_.file("stdout")); }
  std::string Stderr() const { return ReadFile(dir_.file("stderr")); }
  std::string Logs() const { return "stdout:\n" + Stdout() + "\nstderr:\n" + Stderr(); }

  // Emulated runs are slower: every wait is stretched.
  milliseconds Patience(milliseconds base) const { return runner_.empty() ? base : base * 4; }

  // The store bootstrap uses, opened here as `heartbeat` opens it from StoreEnv().
  std::unique_ptr<Store> OpenTestStore() const {
    app::Config config;
    if (!app::ApplyEnvironment(StoreEnv(), config).ok() || !app::Validate(config).ok()) {
      throw std::runtime_error("bad StoreEnv()");
    }
    auto store = app::OpenStore(config, app::CreateStore::kYes);
    if (!store.ok()) throw std::runtime_error("open the store: " + store.error().message);
    return std::move(*store);
  }

  // Makes `slug` overdue at once, as `POST /heartbeat/{slug}/fail` does, in the store
  // bootstrap will use.
  void FailMonitor(const std::string& slug) {
    auto store = OpenTestStore();
    auto failed = Await<Monitor>(
        [&](Callback<Monitor> cb) { store->Fail(slug, RealClock().Now() - 1000, std::move(cb)); });
    store->Close();
    ASSERT_TRUE(failed.ok()) << failed.error().message;
  }

  // `slug` as stored now, and how many alerts wait in the outbox.
  std::optional<Monitor> StoredMonitor(const std::string& slug) {
    auto store = OpenTestStore();
    auto got = Await<std::optional<Monitor>>([&](Callback<std::optional<Monitor>> cb) {
      store->Get(slug, RealClock().Now(), std::move(cb));
    });
    store->Close();
    if (!got.ok()) throw std::runtime_error("Get: " + got.error().message);
    return *got;
  }
  std::int64_t PendingAlerts() {
    auto store = OpenTestStore();
    auto count = Await<std::int64_t>(
        [&](Callback<std::int64_t> cb) { store->CountPendingAlerts(std::move(cb)); });
    store->Close();
    if (!count.ok()) throw std::runtime_error("CountPendingAlerts: " + count.error().message);
    return *count;
  }

  static LambdaEvent Event(std::string id) {
    LambdaEvent e;
    e.request_id = std::move(id);
    return e;
  }
  // Queues `event`, waits for the runtime's answer to it, and hands that over in `out`.
  void Invoke(LambdaEvent event, LambdaOutcome& out, seconds patience = seconds(30)) {
    const std::size_t n = runtime_.Outcomes().size() + 1;
    runtime_.Enqueue(std::move(event));
    ASSERT_TRUE(runtime_.WaitForOutcomes(n, Patience(patience))) << Logs();
    out = runtime_.Outcomes().at(n - 1);
  }

  // An invocation error for `request_id` (errorMessage/errorType, as the Runtime API wants
  // it) whose message names `cause`.
  static void ExpectInvocationError(const LambdaOutcome& o, const std::string& request_id,
                                    const std::string& cause) {
    EXPECT_EQ(o.request_id, request_id);
    EXPECT_FALSE(o.ok);
    EXPECT_THAT(o.error_type, HasSubstr("Heartbeat."));
    auto body = Json(o.body);
    EXPECT_EQ(body.at("errorType").as_string(), o.error_type);
    EXPECT_THAT(std::string(body.at("errorMessage").as_string()), HasSubstr(cause));
  }

  static boost::json::object Json(const std::string& text) {
    return boost::json::parse(text).as_object();
  }

  TempDir dir_;
  std::string monitors_table_ = Dynalite::UniqueTableName("lambda-monitors");
  std::string keys_table_ = Dynalite::UniqueTableName("lambda-keys");
  std::string pings_table_ = Dynalite::UniqueTableName("lambda-pings");
  // Where bootstrap reaches DynamoDB (Env()); a test may send it elsewhere before Start().
  std::string dynamodb_endpoint_ = Dynalite::Shared().endpoint();
  std::optional<std::string> sqlite_path_;  // set: the store is this SQLite file instead
  FakeLambdaRuntime runtime_;
  FakeSsm ssm_;
  FakeTelegram telegram_;
  std::unique_ptr<Child> child_;
  std::string runner_;  // empty: run ./bootstrap itself
};

TEST_F(Bootstrap, ScheduledEventSendsTheDueAlertAndReportsSuccess) {
  ASSERT_NO_FATAL_FAILURE(InitStore());
  FailMonitor("nightly-backup");
  Start();
  LambdaOutcome outcome;
  ASSERT_NO_FATAL_FAILURE(Invoke(Event("req-1"), outcome));
  EXPECT_EQ(outcome.request_id, "req-1");
  ASSERT_TRUE(outcome.ok) << outcome.body << Logs();
  auto response = Json(outcome.body);
  EXPECT_EQ(response.at("examined").as_int64(), 1);
  EXPECT_EQ(response.at("alerts_queued").as_int64(), 1);
  EXPECT_EQ(response.at("sent").as_int64(), 1);

  // The alert went to the chat and with the token read from SSM, decrypted.
  auto delivered = telegram_.Delivered();
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(delivered[0].token, kBotToken);
  EXPECT_EQ(delivered[0].chat_id, kChatId);
  EXPECT_THAT(delivered[0].text, HasSubstr("FAILED"));
  EXPECT_THAT(delivered[0].text, HasSubstr("`nightly-backup`"));
  auto requests = ssm_.Requests();
  ASSERT_EQ(requests.size(), 2u);
  for (const auto& r : requests) EXPECT_TRUE(r.with_decryption) << r.name;

  // The alert state is in DynamoDB: the monitor was alerted once, the outbox is empty...
  std::optional<Monitor> stored = StoredMonitor("nightly-backup");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->alert.alert_count, 1);
  EXPECT_TRUE(stored->alert.last_alerted_at.has_value());
  EXPECT_TRUE(stored->alert.down_since.has_value());
  EXPECT_EQ(PendingAlerts(), 0);

  // ... so the next scheduled event, well before a repeat is due, sends nothing.
  LambdaOutcome again;
  ASSERT_NO_FATAL_FAILURE(Invoke(Event("req-2"), again));
  EXPECT_EQ(again.request_id, "req-2");
  ASSERT_TRUE(again.ok) << again.body << Logs();
  EXPECT_EQ(Json(again.body).at("alerts_queued").as_int64(), 0);
  EXPECT_EQ(Json(again.body).at("sent").as_int64(), 0);
  EXPECT_EQ(telegram_.Requests(), 1u);
  EXPECT_EQ(StoredMonitor("nightly-backup")->alert.alert_count, 1);
  // The secrets were read at init, once for the execution environment: not again.
  EXPECT_EQ(ssm_.Requests().size(), requests.size());

  // The runtime goes on polling; when the Runtime API goes away, the process ends, not 0.
  ASSERT_TRUE(runtime_.WaitForPolls(3, Patience(seconds(10))));
  runtime_.Gone();
  std::optional<int> code = child_->Wait(Patience(seconds(20)));
  ASSERT_TRUE(code.has_value()) << "bootstrap did not exit when the Runtime API went away";
  EXPECT_NE(*code, 0);

  // Logs: JSON lines on stdout, for CloudWatch.
  std::istringstream lines(Stdout());
  std::string line;
  int json_lines = 0;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << "not JSON: " << line;
    ASSERT_TRUE(v.is_object() && v.as_object().contains("level") && v.as_object().contains("msg"))
        << line;
    ++json_lines;
  }
  EXPECT_GT(json_lines, 0) << Logs();
  EXPECT_THAT(Stdout(), HasSubstr("1 alert(s) queued"));

  // DynamoDB without HEARTBEAT_STORE (bootstrap's default; the CLI's, SQLite under ./data,
  // would have found no monitor and made that folder in the task's).
  ASSERT_EQ(Env().count("HEARTBEAT_STORE"), 0u);
  EXPECT_THAT(Stdout(), HasSubstr("store dynamodb"));
  EXPECT_FALSE(std::filesystem::exists(task_dir() + "/data"));
}

TEST_F(Bootstrap, MissingSsmParameterIsReportedAsAnInitError) {
  std::map<std::string, std::string> env = Env();
  env["TELEGRAM_CHAT_ID_PARAM"] = "/heartbeat/no-such-parameter";
  Start(env);
  ASSERT_TRUE(runtime_.WaitForInitErrors(1, Patience(seconds(30)))) << Logs();
  LambdaInitError error = runtime_.InitErrors().at(0);
  EXPECT_EQ(error.error_type, "Heartbeat.NotFound");
  auto body = Json(error.body);
  EXPECT_EQ(body.at("errorType").as_string(), "Heartbeat.NotFound");
  EXPECT_THAT(std::string(body.at("errorMessage").as_string()),
              HasSubstr("/heartbeat/no-such-parameter"));
  std::optional<int> code = child_->Wait(Patience(seconds(20)));
  ASSERT_TRUE(code.has_value()) << "bootstrap did not exit after its init error";
  EXPECT_NE(*code, 0);
  EXPECT_EQ(runtime_.Polls(), 0u) << "no invocation is asked for after a failed init";
  EXPECT_THAT(runtime_.Outcomes(), IsEmpty());
}

TEST_F(Bootstrap, FailingCycleIsAnInvocationErrorAndTheNextEventIsServed) {
  // The function is deployed before its tables: DynamoDB answers ResourceNotFoundException.
  monitors_table_ = Dynalite::UniqueTableName("lambda-monitors-later");
  keys_table_ = Dynalite::UniqueTableName("lambda-keys-later");
  Start();
  LambdaOutcome failed;
  ASSERT_NO_FATAL_FAILURE(Invoke(Event("req-1"), failed));
  ExpectInvocationError(failed, "req-1", "ResourceNotFound");
  EXPECT_TRUE(child_->Running());

  // The tables come, with a due monitor: the next event is served as usual.
  ASSERT_NO_FATAL_FAILURE(InitStore());
  FailMonitor("db-backup");
  LambdaOutcome served;
  ASSERT_NO_FATAL_FAILURE(Invoke(Event("req-2"), served));
  EXPECT_EQ(served.request_id, "req-2");
  ASSERT_TRUE(served.ok) << served.body;
  EXPECT_EQ(Json(served.body).at("sent").as_int64(), 1);
  EXPECT_TRUE(child_->Running());
}

TEST_F(Bootstrap, DynamoDbOutageIsAnInvocationErrorAndTheNextEventIsServed) {
  ASSERT_NO_FATAL_FAILURE(InitStore());
  // DynamoDB is out of reach: bootstrap's endpoint refuses connections until it forwards to
  // dynalite. The client retries with back-off and gives up (some seconds: the client's
  // attempts and delays are not settings), for the cycle and for the delivery.
  TcpForwarder outage(PortOf(Dynalite::Shared().endpoint()));
  dynamodb_endpoint_ = outage.url();
  FailMonitor("db-backup");
  Start();
  LambdaOutcome failed;
  ASSERT_NO_FATAL_FAILURE(Invoke(Event("req-1"), failed, seconds(60)));
  // The first read of the pass (the channels, then the due monitors) fails: refused
  // connections, or its deadline passing while the client retries them (under a sanitizer).
  ExpectInvocationError(failed, "req-1", "DynamoDB ");
  EXPECT_THAT(std::string(Json(failed.body).at("errorMessage").as_string()),
              ::testing::ContainsRegex("DynamoDB (transport|timeout)"));
  EXPECT_EQ(telegram_.Requests(), 0u);
  EXPECT_TRUE(child_->Running());

  // DynamoDB is back at the same endpoint: the store bootstrap kept (its HTTP client after
  // the failed connections) serves the next event.
  outage.Open();
  LambdaOutcome served;
  ASSERT_NO_FATAL_FAILURE(Invoke(Event("req-2"), served));
  EXPECT_EQ(served.request_id, "req-2");
  ASSERT_TRUE(served.ok) << served.body;
  EXPECT_EQ(Json(served.body).at("sent").as_int64(), 1);
  EXPECT_EQ(telegram_.Delivered().size(), 1u);
  EXPECT_EQ(StoredMonitor("db-backup")->alert.alert_count, 1);
  EXPECT_TRUE(child_->Running());
}

// SQLite only: a DynamoDB store opens without a request, so only a SQLite store can fail
// to open. That fails the invocation; the next one opens the store again.
TEST_F(Bootstrap, StoreThatCannotBeOpenedFailsOnlyThatInvocation) {
  std::string blocker = dir_.file("blocked");
  std::ofstream(blocker) << "not a folder";  // the store's folder is a file
  sqlite_path_ = blocker + "/hb.db";
  Start();
  LambdaOutcome failed;
  ASSERT_NO_FATAL_FAILURE(Invoke(Event("req-1"), failed));
  ExpectInvocationError(failed, "req-1", "cannot open the store");

  std::filesystem::remove(blocker);
  FailMonitor("db-backup");
  LambdaOutcome served;
  ASSERT_NO_FATAL_FAILURE(Invoke(Event("req-2"), served));
  ASSERT_TRUE(served.ok) << served.body;
  EXPECT_EQ(Json(served.body).at("sent").as_int64(), 1);
  // HEARTBEAT_STORE, when set, wins over bootstrap's default.
  EXPECT_THAT(Stdout(), HasSubstr("store sqlite"));
}

TEST_F(Bootstrap, NearDeadlineQueuesTheAlertAndLeavesDeliveryToTheNextInvocation) {
  ASSERT_NO_FATAL_FAILURE(InitStore());
  FailMonitor("nightly-backup");
  Start();
  LambdaEvent hurried = Event("req-1");
  hurried.deadline_ms = RealClock().Now() + 3000;  // less than one send may take
  LambdaOutcome first;
  ASSERT_NO_FATAL_FAILURE(Invoke(hurried, first));
  ASSERT_TRUE(first.ok) << first.body;
  auto response = Json(first.body);
  EXPECT_EQ(response.at("alerts_queued").as_int64(), 1);
  EXPECT_EQ(response.at("sent").as_int64(), 0);
  EXPECT_TRUE(response.at("delivery_stopped_by_deadline").as_bool());
  EXPECT_EQ(telegram_.Requests(), 0u);

  LambdaOutcome second;  // a minute to go
  ASSERT_NO_FATAL_FAILURE(Invoke(Event("req-2"), second));
  ASSERT_TRUE(second.ok) << second.body;
  EXPECT_EQ(Json(second.body).at("sent").as_int64(), 1);
  EXPECT_EQ(telegram_.Delivered().size(), 1u);
}

TEST_F(Bootstrap, TelegramSettingsGivenDirectlySkipSsm) {
  ASSERT_NO_FATAL_FAILURE(InitStore());
  std::map<std::string, std::string> env = Env();
  env["TELEGRAM_BOT_TOKEN"] = kBotToken;
  env["TELEGRAM_CHAT_ID"] = kChatId;
  env["SSM_ENDPOINT"] = "http://127.0.0.1:1";  // would fail if asked
  FailMonitor("nightly-backup");
  Start(env);
  LambdaOutcome outcome;
  ASSERT_NO_FATAL_FAILURE(Invoke(Event("req-1"), outcome));
  ASSERT_TRUE(outcome.ok) << outcome.body;
  EXPECT_EQ(telegram_.Delivered().size(), 1u);
  EXPECT_THAT(ssm_.Requests(), IsEmpty());
}

TEST_F(Bootstrap, InvalidSettingIsAnInitError) {
  std::map<std::string, std::string> env = Env();
  env["ALERT_REPEAT_INTERVAL"] = "often";
  Start(env);
  ASSERT_TRUE(runtime_.WaitForInitErrors(1, Patience(seconds(30)))) << Logs();
  EXPECT_EQ(runtime_.InitErrors().at(0).error_type, "Heartbeat.ConfigError");
  EXPECT_THAT(runtime_.InitErrors().at(0).body, HasSubstr("ALERT_REPEAT_INTERVAL"));
  std::optional<int> code = child_->Wait(Patience(seconds(20)));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 2);
}

}  // namespace
}  // namespace heartbeat::testing
