// A stalled DynamoDB (SPEC §8): the engine accepts connections and never answers. The
// `heartbeat` binary against a dynalite of this test's own, stopped with a real SIGSTOP:
// every request that needs the store answers 503 within STORE_TIMEOUT (plus a margin),
// /healthz turns 503 within a few seconds, and both recover after SIGCONT; `check` fails
// within a bound instead of retrying for minutes.
//
// Bounds are generous (a loaded 2-core machine): they tell "STORE_TIMEOUT" from the
// 100 s of ten attempts of ten seconds. Every wait polls; none is a fixed sleep.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <regex>
#include <thread>

#include "support/dynalite.h"
#include "support/http_client.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace heartbeat::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
using ::testing::HasSubstr;

double SecondsSince(steady_clock::time_point start) {
  return std::chrono::duration<double>(steady_clock::now() - start).count();
}

// Polls `ok` every 100 ms until it holds or `bound` has passed; whether it held.
bool Eventually(std::chrono::milliseconds bound, const std::function<bool()>& ok) {
  auto deadline = steady_clock::now() + bound;
  for (;;) {
    if (ok()) return true;
    if (steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(100));
  }
}

class FaultDynamo : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<Dynalite>();  // this test's own: it is about to be stopped
    RunResult init = RunHeartbeat({"store", "init"}, Env(), dir_.path());
    ASSERT_EQ(init.exit_code, 0) << init.err;
    RunResult key = RunHeartbeat({"keys", "add", "--description", "fault"}, Env(), dir_.path());
    ASSERT_EQ(key.exit_code, 0) << key.err;
    key_ = key.out.substr(0, key.out.find('\n'));
  }

  void TearDown() override {
    // Never leave the engine stopped, whatever failed.
    if (db_) Resume();
    if (serve_) {
      serve_->Signal(SIGTERM);
      serve_->Wait(seconds(20));
    }
  }

  std::map<std::string, std::string> Env() {
    return {{"HEARTBEAT_STORE", "dynamodb"},
            {"DYNAMODB_ENDPOINT", db_->endpoint()},
            {"AWS_REGION", "us-east-1"},
            {"AWS_ACCESS_KEY_ID", "AKIDFAULTTEST"},
            {"AWS_SECRET_ACCESS_KEY", "fault-test-secret-key"},
            {"MONITORS_TABLE", monitors_},
            {"KEYS_TABLE", keys_},
            {"PINGS_TABLE", pings_},
            {"STORE_TIMEOUT", "2s"}};
  }

  void Stall() { ASSERT_EQ(::kill(db_->pid(), SIGSTOP), 0); }
  void Resume() { ::kill(db_->pid(), SIGCONT); }

  // Starts `serve` on a free port.
  void Serve(std::vector<std::string> flags = {},
             std::map<std::string, std::string> extra_env = {}) {
    auto env = Env();
    for (auto& [k, v] : extra_env) env[k] = v;
    Served served =
        StartServe(env, dir_.path(), {.flags = std::move(flags), .timeout = seconds(30)});
    serve_ = std::move(served.process);
    port_ = served.port;
    ASSERT_NE(port_, 0) << serve_->Stderr();
  }

  unsigned Ping(const std::string& slug) {
    HttpClient client(port_);
    return client.Authed("POST", "/heartbeat/" + slug, key_).status;
  }
  unsigned Healthz() {
    HttpClient client(port_);
    return client.Request("GET", "/healthz").status;
  }

  TempDir dir_;
  std::unique_ptr<Dynalite> db_;
  std::string monitors_ = Dynalite::UniqueTableName("fault-monitors");
  std::string keys_ = Dynalite::UniqueTableName("fault-keys");
  std::string pings_ = Dynalite::UniqueTableName("fault-pings");
  std::string key_;
  std::unique_ptr<Process> serve_;
  unsigned short port_ = 0;
};

TEST_F(FaultDynamo, StalledStoreAnswers503WithinStoreTimeoutAndHealthzTurns503ThenBothRecover) {
  ASSERT_NO_FATAL_FAILURE(Serve());
  ASSERT_EQ(Ping("backup"), 200u);
  ASSERT_EQ(Healthz(), 200u);

  Stall();
  auto stalled_at = steady_clock::now();

  // /healthz notices within a few seconds of the stall.
  EXPECT_TRUE(Eventually(seconds(10), [&] { return Healthz() == 503; }));
  EXPECT_LT(SecondsSince(stalled_at), 10.0);

  // A ping waits at most STORE_TIMEOUT (2 s) on the store, retries included: 503.
  auto start = steady_clock::now();
  EXPECT_EQ(Ping("backup"), 503u);
  EXPECT_LT(SecondsSince(start), 6.0);
  // A read-modify-write (pause: a GetItem, then a conditional PutItem) too.
  start = steady_clock::now();
  {
    HttpClient client(port_);
    EXPECT_EQ(client.Authed("POST", "/monitors/backup/pause", key_).status, 503u);
  }
  EXPECT_LT(SecondsSince(start), 6.0);
  // And a ping of a monitor never seen.
  start = steady_clock::now();
  EXPECT_EQ(Ping("new-one"), 503u);
  EXPECT_LT(SecondsSince(start), 6.0);

  Resume();
  auto resumed_at = steady_clock::now();
  EXPECT_TRUE(Eventually(seconds(20), [&] { return Ping("backup") == 200; })) << serve_->Stderr();
  EXPECT_TRUE(Eventually(seconds(10), [&] { return Healthz() == 200; }));
  EXPECT_LT(SecondsSince(resumed_at), 30.0);
}

// SIGTERM while the store stalls: each phase of the stop (the requests in flight, the
// checker's pass, the key uses, closing the store) would wait up to STORE_TIMEOUT (here
// 10 s) in turn; past a short grace what waits on the store is cut, and the process
// stops within a container runtime's grace.
TEST_F(FaultDynamo, SigtermWhileTheStoreStallsStopsWithinFiveSeconds) {
  Serve({}, {{"STORE_TIMEOUT", "10s"}});
  ASSERT_EQ(Ping("backup"), 200u);
  Stall();
  // A ping in flight, waiting on the stalled store.
  auto in_flight = std::async(std::launch::async, [&]() -> unsigned {
    try {
      return Ping("in-flight");
    } catch (const std::exception&) {
      return 0;  // the connection closed unanswered
    }
  });
  std::this_thread::sleep_for(milliseconds(500));
  const auto start = steady_clock::now();
  serve_->Signal(SIGTERM);
  std::optional<int> code = serve_->Wait(seconds(30));
  const double took = SecondsSince(start);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << serve_->Stderr();
  EXPECT_LT(took, 5.0) << serve_->Stderr();
  EXPECT_NE(in_flight.get(), 200u);  // never acknowledged
  serve_.reset();
}

TEST_F(FaultDynamo, HealthzOfAnIdleServerTurns503WithinSecondsOfAStall) {
  // No checker: the API key refresh and /healthz's own probe are all that reach the store.
  Serve({"--no-checker"});
  if (HasFatalFailure()) return;
  ASSERT_TRUE(Eventually(seconds(10), [&] { return Healthz() == 200; }));

  Stall();
  auto stalled_at = steady_clock::now();
  EXPECT_TRUE(Eventually(seconds(10), [&] { return Healthz() == 503; }));
  EXPECT_LT(SecondsSince(stalled_at), 10.0);

  Resume();
  EXPECT_TRUE(Eventually(seconds(10), [&] { return Healthz() == 200; }));
}

TEST_F(FaultDynamo, CheckAgainstAStalledStoreFailsWithinABound) {
  Stall();
  auto start = steady_clock::now();
  Process check({"check"}, Env(), dir_.path());
  std::optional<int> code = check.Wait(seconds(40));
  ASSERT_TRUE(code.has_value()) << "check still running after 40 s";
  EXPECT_NE(*code, 0) << check.Stderr();
  EXPECT_LT(SecondsSince(start), 20.0) << check.Stderr();
  Resume();
  RunResult again = RunHeartbeat({"check"}, Env(), dir_.path());
  EXPECT_EQ(again.exit_code, 0) << again.err;
}

TEST_F(FaultDynamo, InvalidStoreTimeoutStopsWithOneLineNamingIt) {
  for (const char* bad : {"abc", "0s", "-5s", ""}) {
    auto env = Env();
    env["STORE_TIMEOUT"] = bad;
    RunResult r = RunHeartbeat({"serve"}, env, dir_.path());
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_THAT(r.err, HasSubstr("STORE_TIMEOUT")) << bad;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  // The flag overrides the environment and is checked the same way.
  RunResult flag = RunHeartbeat({"check", "--store-timeout", "soon"}, Env(), dir_.path());
  EXPECT_EQ(flag.exit_code, 2);
  EXPECT_THAT(flag.err, HasSubstr("STORE_TIMEOUT"));
}

}  // namespace
}  // namespace heartbeat::testing
