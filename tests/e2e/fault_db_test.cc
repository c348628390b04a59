// SPEC §8, a database file that is missing, deleted or replaced: the real `heartbeat`
// binary on real SQLite files. `serve`, `check`, `keys list` and `keys revoke` never create
// a database (exit 1 naming the path and `heartbeat store init`, nothing left behind);
// `store init` and `keys add` do. A file deleted or replaced under a running server is
// noticed within seconds: an error line naming the path, 503 to writes and on /healthz,
// and the process exits non-zero by itself.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <filesystem>

#include "support/http_client.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace heartbeat::testing {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using Steady = std::chrono::steady_clock;

// Generous: the machine may be loaded (2 cores, other suites running).
constexpr milliseconds kNoticeBound{10'000};

// The write lock of `db` held by another connection (an operator's sqlite3 shell, a backup
// tool) until Release or the end of the scope.
class HeldWriteLock {
 public:
  explicit HeldWriteLock(const std::string& db) {
    EXPECT_EQ(sqlite3_open(db.c_str(), &db_), SQLITE_OK);
    held_ = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK;
    EXPECT_TRUE(held_) << sqlite3_errmsg(db_);
  }
  ~HeldWriteLock() { Release(); }
  HeldWriteLock(const HeldWriteLock&) = delete;
  HeldWriteLock& operator=(const HeldWriteLock&) = delete;
  bool held() const { return held_; }
  void Release() {
    if (db_ == nullptr) return;
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db_);
    db_ = nullptr;
  }

 private:
  sqlite3* db_ = nullptr;
  bool held_ = false;
};

class FaultDb : public ::testing::Test {
 protected:
  std::map<std::string, std::string> Env(const std::string& db) {
    return {{"HEARTBEAT_STORE", "sqlite:" + db}};
  }
  RunResult Heartbeat(std::vector<std::string> args, const std::string& db) {
    return RunHeartbeat(std::move(args), Env(db), dir_.path());
  }
  std::string AddKey(const std::string& db) {
    RunResult r = Heartbeat({"keys", "add", "--description", "fault e2e"}, db);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  }
  // Starts `serve` on a free port of 127.0.0.1 (with `extra` in its environment) and sets
  // port_.
  std::unique_ptr<Process> Serve(const std::string& db,
                                 const std::map<std::string, std::string>& extra = {}) {
    std::map<std::string, std::string> env = Env(db);
    env.insert(extra.begin(), extra.end());
    Served served = StartServe(std::move(env), dir_.path());
    port_ = served.port;
    EXPECT_NE(port_, 0) << served.process->Stderr();
    return std::move(served.process);
  }
  unsigned Status(const std::string& method, const std::string& target,
                  const std::string& key = "") {
    return AskOnce(port_, method, target, key).status;
  }
  bool WaitForStatus(unsigned want, const std::string& method, const std::string& target,
                     const std::string& key = "") {
    return testing::WaitForStatus(port_, want, method, target, key, kNoticeBound);
  }
  static bool Exists(const std::string& path) { return std::filesystem::exists(path); }

  TempDir dir_;
  unsigned short port_ = 0;
};

// ---- a missing file ----

TEST_F(FaultDb, ServeCheckKeysListAndRevokeOnAMissingFileExitOneAndCreateNothing) {
  const std::string db = dir_.file("data/hb.db");  // neither the file nor its folder exist
  for (std::vector<std::string> args : {std::vector<std::string>{"serve"},
                                        {"check"},
                                        {"keys", "list"},
                                        {"keys", "list", "--json"},
                                        {"keys", "revoke", "0123456789ab"}}) {
    std::string name = args[0] + (args.size() > 1 ? " " + args[1] : "");
    auto env = Env(db);
    env["BIND_ADDR"] = "127.0.0.1:0";
    RunResult r = RunHeartbeat(args, env, dir_.path());
    EXPECT_EQ(r.exit_code, 1) << name << "\n" << r.err;
    EXPECT_TRUE(LineWith(r.err, db, "heartbeat store init")) << name << "\n" << r.err;
    EXPECT_EQ(r.out, "") << name;
    EXPECT_FALSE(Exists(dir_.file("data"))) << name << " left something behind";
  }
}

TEST_F(FaultDb, StoreInitAndKeysAddCreateTheDatabaseAndItsFolder) {
  const std::string by_init = dir_.file("a/b/init.db");
  RunResult init = Heartbeat({"store", "init"}, by_init);
  EXPECT_EQ(init.exit_code, 0) << init.err;
  EXPECT_TRUE(Exists(by_init));
  EXPECT_EQ(Heartbeat({"keys", "list", "--json"}, by_init).out, "[]\n");

  const std::string by_add = dir_.file("c/d/add.db");
  ASSERT_EQ(AddKey(by_add).size(), 64u);
  EXPECT_TRUE(Exists(by_add));
  RunResult list = Heartbeat({"keys", "list", "--json"}, by_add);
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(boost::json::parse(list.out).as_array().size(), 1u);
  EXPECT_EQ(Heartbeat({"check"}, by_add).exit_code, 0);  // an existing file: opened
}

// ---- a file deleted or replaced under a running server ----

TEST_F(FaultDb, FileDeletedUnderServeIsNoticedRefusedWith503AndServeExitsNonZero) {
  const std::string db = dir_.file("hb.db");
  const std::string key = AddKey(db);
  std::unique_ptr<Process> server = Serve(db);
  ASSERT_NE(port_, 0);
  ASSERT_EQ(Status("GET", "/heartbeat/before?interval=1h", key), 200u);
  ASSERT_EQ(Status("GET", "/healthz"), 200u);

  ASSERT_TRUE(std::filesystem::remove(db));
  // A write after the deletion is never acknowledged: it would be lost with the file.
  EXPECT_TRUE(WaitForStatus(503, "GET", "/heartbeat/after", key)) << server->Stderr();
  EXPECT_TRUE(WaitForStatus(503, "POST", "/heartbeat/after/fail", key)) << server->Stderr();
  EXPECT_TRUE(WaitForStatus(503, "GET", "/healthz")) << server->Stderr();
  EXPECT_TRUE(server->WaitForStderr(db + " was deleted", kNoticeBound)) << server->Stderr();

  std::optional<int> code = server->Wait(kNoticeBound);
  ASSERT_TRUE(code.has_value()) << "serve did not stop by itself\n" << server->Stderr();
  EXPECT_EQ(*code, 1) << server->Stderr();
  EXPECT_TRUE(LineWith(server->Stderr(), " error ", db + " was deleted")) << server->Stderr();
  EXPECT_FALSE(Exists(db)) << "the database came back";

  // Restarted by its supervisor, it does not start over on an empty store.
  auto env = Env(db);
  env["BIND_ADDR"] = "127.0.0.1:0";
  RunResult again = RunHeartbeat({"serve"}, env, dir_.path());
  EXPECT_EQ(again.exit_code, 1) << again.err;
  EXPECT_THAT(again.err, HasSubstr("heartbeat store init"));
  EXPECT_FALSE(Exists(db));
  // The way back the message names: a new, empty database, with nothing of the lost WAL.
  RunResult init = Heartbeat({"store", "init"}, db);
  EXPECT_EQ(init.exit_code, 0) << init.err;
  EXPECT_EQ(Heartbeat({"keys", "list", "--json"}, db).out, "[]\n");
}

// Another file put at the path (moved away, a fresh one renamed in), with no write in
// between: the server's own once-a-second look notices it.
TEST_F(FaultDb, FileReplacedUnderServeIsNoticedRefusedWith503AndServeExitsNonZero) {
  const std::string db = dir_.file("hb.db");
  const std::string key = AddKey(db);
  const std::string fresh = dir_.file("other/hb.db");
  ASSERT_EQ(Heartbeat({"store", "init"}, fresh).exit_code, 0);
  std::unique_ptr<Process> server = Serve(db);
  ASSERT_NE(port_, 0);
  ASSERT_EQ(Status("GET", "/heartbeat/before?interval=1h", key), 200u);

  std::filesystem::rename(db, db + ".moved");
  std::filesystem::rename(fresh, db);
  EXPECT_TRUE(WaitForStatus(503, "GET", "/healthz")) << server->Stderr();
  EXPECT_EQ(Status("GET", "/heartbeat/after", key), 503u) << server->Stderr();
  EXPECT_TRUE(server->WaitForStderr(db + " was replaced", kNoticeBound)) << server->Stderr();

  std::optional<int> code = server->Wait(kNoticeBound);
  ASSERT_TRUE(code.has_value()) << "serve did not stop by itself\n" << server->Stderr();
  EXPECT_EQ(*code, 1) << server->Stderr();
  EXPECT_TRUE(LineWith(server->Stderr(), " error ", db + " was replaced")) << server->Stderr();

  // The file put there is left as it was (no key of ours in it), and the one moved away
  // keeps what was acknowledged.
  RunResult now_there = Heartbeat({"keys", "list", "--json"}, db);
  EXPECT_EQ(now_there.exit_code, 0) << now_there.err;
  EXPECT_EQ(now_there.out, "[]\n");
  RunResult moved = Heartbeat({"keys", "list", "--json"}, db + ".moved");
  ASSERT_EQ(moved.exit_code, 0) << moved.err;
  EXPECT_EQ(boost::json::parse(moved.out).as_array().size(), 1u);
}

// ---- a database another process holds locked ----

TEST_F(FaultDb, ARequestWaitingOnALockedDatabaseAnswers503WithinStoreTimeout) {
  const std::string db = dir_.file("hb.db");
  const std::string key = AddKey(db);
  std::unique_ptr<Process> serve = Serve(db, {{"STORE_TIMEOUT", "1s"}});
  ASSERT_NE(port_, 0);
  ASSERT_EQ(Status("POST", "/heartbeat/before", key), 200u);

  // Another process holds the write lock: the server's writer waits on it (SQLite's own
  // busy timeout is 5 s).
  HeldWriteLock other(db);
  ASSERT_TRUE(other.held());
  const auto start = Steady::now();
  const HttpResponse r = AskOnce(port_, "POST", "/heartbeat/while-locked", key);
  const auto took = std::chrono::duration_cast<milliseconds>(Steady::now() - start);
  EXPECT_EQ(r.status, 503u) << r.body;
  EXPECT_THAT(r.body, HasSubstr("STORE_TIMEOUT")) << r.body;
  EXPECT_LT(took, milliseconds(4000)) << "answered after " << took.count() << " ms";

  other.Release();
  EXPECT_TRUE(WaitForStatus(200, "POST", "/heartbeat/after", key));
}

// SPEC §8: /healthz turns 503 within a few seconds of a stalled store. A lock held past
// SQLite's busy timeout (5 s) fails the writes waiting on it, which turns the store
// unhealthy, and serve says why; released, the store heals by itself.
TEST_F(FaultDb, ALockHeldPastTheBusyTimeoutTurnsHealthz503UntilItIsReleased) {
  const std::string db = dir_.file("hb.db");
  const std::string key = AddKey(db);
  std::unique_ptr<Process> serve = Serve(db, {{"STORE_TIMEOUT", "1s"}});
  ASSERT_NE(port_, 0);
  ASSERT_EQ(Status("GET", "/healthz"), 200u);

  HeldWriteLock other(db);
  ASSERT_TRUE(other.held());
  EXPECT_EQ(Status("POST", "/heartbeat/while-locked", key), 503u);
  EXPECT_TRUE(WaitForStatus(503, "GET", "/healthz")) << serve->Stderr();
  EXPECT_TRUE(serve->WaitForStderr("the store is failing", kNoticeBound));
  EXPECT_TRUE(LineWith(serve->Stderr(), "the store is failing", "database is locked"))
      << serve->Stderr();

  other.Release();
  EXPECT_TRUE(WaitForStatus(200, "GET", "/healthz")) << serve->Stderr();
  EXPECT_TRUE(serve->WaitForStderr("the store answers again", kNoticeBound)) << serve->Stderr();
  EXPECT_EQ(Status("POST", "/heartbeat/after", key), 200u);
}

}  // namespace
}  // namespace heartbeat::testing
