// `heartbeat run` (SPEC §12) as a cron job runs it: the real binary wrapping real commands,
// its pings recorded by a loopback HTTP server (the exact requests: start with a run ID and
// the settings, then the exit code with the same run ID and the output's tail), exit codes,
// signals, megabytes of output, and a server that is down or refuses.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <boost/json/serialize.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>

#include "support/http_client.h"
#include "support/loopback_http_server.h"
#include "support/process.h"
#include "support/sanitizers.h"
#include "support/temp_dir.h"

namespace heartbeat::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kKey[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const std::regex kUuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");

// A heartbeat server stand-in: records every request and answers as `reply` says (200).
class Recorder {
 public:
  std::vector<LoopbackRequest> Requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  void SetReply(std::function<LoopbackReply(const LoopbackRequest&, std::size_t n)> reply) {
    std::lock_guard lock(mu_);
    reply_ = std::move(reply);
  }
  LoopbackHttpServer& server() { return server_; }
  std::string url() const { return server_.url(); }

 private:
  mutable std::mutex mu_;
  std::vector<LoopbackRequest> requests_;                                      // guarded by mu_
  std::function<LoopbackReply(const LoopbackRequest&, std::size_t n)> reply_;  // guarded by mu_
  LoopbackHttpServer server_{[this](const LoopbackRequest& r) {
    std::lock_guard lock(mu_);
    requests_.push_back(r);
    return reply_ ? reply_(r, requests_.size()) : LoopbackReply::Ok("{\"ok\":true}");
  }};
};

// "/heartbeat/job/start?rid=X&a=b" -> {"/heartbeat/job/start", "X"}.
struct Target {
  std::string path;
  std::string rid;
  std::string query;
};
Target Split(const std::string& target) {
  Target t;
  std::size_t q = target.find('?');
  t.path = target.substr(0, q);
  if (q == std::string::npos) return t;
  t.query = target.substr(q + 1);
  std::smatch m;
  if (std::regex_search(t.query, m, std::regex("(?:^|&)rid=([^&]*)"))) t.rid = m[1];
  return t;
}

// A loopback port nothing listens on: connecting is refused at once.
unsigned short RefusingPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);  // bound, never listening, closed: the port refuses
  return ntohs(addr.sin_port);
}

std::size_t CountLines(const std::string& s, const std::string& with) {
  std::size_t n = 0;
  std::istringstream lines(s);
  for (std::string line; std::getline(lines, line);) n += line.find(with) != std::string::npos;
  return n;
}

template <class Pred>
bool WaitUntil(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

class RunCommand : public ::testing::Test {
 protected:
  std::map<std::string, std::string> Env() {
    return {{"HEARTBEAT_URL", recorder_.url()}, {"HEARTBEAT_API_KEY", kKey}};
  }
  RunResult Run(std::vector<std::string> args, std::map<std::string, std::string> env) {
    args.insert(args.begin(), "run");
    return RunHeartbeat(std::move(args), std::move(env), dir_.path());
  }
  RunResult Run(std::vector<std::string> args) { return Run(std::move(args), Env()); }

  // The two pings of one run: start, then the exit code, with the same run ID.
  void ExpectStartThenEnd(const std::string& slug, int code, const std::string& body) {
    std::vector<LoopbackRequest> r = recorder_.Requests();
    ASSERT_EQ(r.size(), 2u);
    Target start = Split(r[0].target), end = Split(r[1].target);
    EXPECT_EQ(r[0].method, "POST");
    EXPECT_EQ(start.path, "/heartbeat/" + slug + "/start");
    EXPECT_TRUE(std::regex_match(start.rid, kUuid)) << r[0].target;
    EXPECT_EQ(r[1].method, "POST");
    EXPECT_EQ(r[1].target, "/heartbeat/" + slug + "/" + std::to_string(code) + "?rid=" + start.rid);
    EXPECT_EQ(r[1].body, body);
    for (const LoopbackRequest& req : r) {
      ASSERT_NE(req.Header("authorization"), nullptr);
      EXPECT_EQ(*req.Header("authorization"), std::string("Bearer ") + kKey);
      ASSERT_NE(req.Header("user-agent"), nullptr);
      EXPECT_THAT(*req.Header("user-agent"), StartsWith("heartbeat-run/"));
    }
    ASSERT_NE(r[1].Header("content-type"), nullptr);
    EXPECT_EQ(*r[1].Header("content-type"), "text/plain");
  }

  TempDir dir_;
  Recorder recorder_;
};

TEST_F(RunCommand, SuccessSendsStartThenZeroWithTheSameRidAndTheOutput) {
  RunResult r = Run({"--slug", "nightly-backup", "--", "sh", "-c", "echo hello; echo oops >&2"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello\n");
  EXPECT_EQ(r.err, "oops\n");
  ExpectStartThenEnd("nightly-backup", 0, "hello\noops\n");
  EXPECT_THAT(r.err, Not(HasSubstr(kKey)));
}

TEST_F(RunCommand, EachRunHasItsOwnRid) {
  ASSERT_EQ(Run({"--slug", "job", "--", "true"}).exit_code, 0);
  ASSERT_EQ(Run({"--slug", "job", "--", "true"}).exit_code, 0);
  std::vector<LoopbackRequest> r = recorder_.Requests();
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(Split(r[0].target).rid, Split(r[1].target).rid);
  EXPECT_EQ(Split(r[2].target).rid, Split(r[3].target).rid);
  EXPECT_NE(Split(r[0].target).rid, Split(r[2].target).rid);
}

TEST_F(RunCommand, SettingsGoUrlEncodedOnTheStartPingOnly) {
  RunResult r = Run({"--slug", "backup", "--schedule", "0 3 * * 1-5", "--tz", "Europe/Riga",
                     "--grace", "15m", "--", "true"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<LoopbackRequest> req = recorder_.Requests();
  ASSERT_EQ(req.size(), 2u);
  Target start = Split(req[0].target);
  EXPECT_EQ(start.query,
            "rid=" + start.rid + "&schedule=0%203%20%2A%20%2A%201-5&tz=Europe%2FRiga&grace=15m");
  EXPECT_EQ(Split(req[1].target).query, "rid=" + start.rid);

  RunResult i = Run({"--slug", "backup", "--interval", "1h 30m", "--", "true"});
  ASSERT_EQ(i.exit_code, 0) << i.err;
  req = recorder_.Requests();
  ASSERT_EQ(req.size(), 4u);
  EXPECT_THAT(req[2].target, HasSubstr("&interval=1h%2030m"));
  EXPECT_THAT(req[2].target, Not(HasSubstr("schedule")));
}

TEST_F(RunCommand, FlagsWinOverTheEnvironment) {
  std::map<std::string, std::string> env{
      {"HEARTBEAT_URL", "http://127.0.0.1:" + std::to_string(RefusingPort())},
      {"HEARTBEAT_API_KEY", "the-environments-key"}};
  RunResult r =
      Run({"--slug", "job", "--url", recorder_.url() + "/", "--key", kKey, "--", "true"}, env);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "");
  ExpectStartThenEnd("job", 0, "");
}

TEST_F(RunCommand, FailureExitCodeIsReportedAndKept) {
  RunResult r = Run({"--slug", "job", "--", "sh", "-c", "echo step 1; echo disk full >&2; exit 3"});
  EXPECT_EQ(r.exit_code, 3);
  ExpectStartThenEnd("job", 3, "step 1\ndisk full\n");
}

TEST_F(RunCommand, KilledBySignalIs128PlusTheSignal) {
  RunResult r = Run({"--slug", "job", "--", "sh", "-c", "echo before; kill -KILL $$"});
  EXPECT_EQ(r.exit_code, 128 + SIGKILL);
  ExpectStartThenEnd("job", 137, "before\n");
}

TEST_F(RunCommand, CommandNotFoundIs127AndNotExecutableIs126LikeAShell) {
  RunResult missing = Run({"--slug", "job", "--", "no-such-command-here", "x"});
  EXPECT_EQ(missing.exit_code, 127);
  EXPECT_EQ(missing.err, "heartbeat run: no-such-command-here: command not found\n");
  ExpectStartThenEnd("job", 127, "heartbeat run: no-such-command-here: command not found\n");

  std::string script = dir_.file("not-executable.sh");
  std::ofstream(script) << "#!/bin/sh\necho never\n";
  ::chmod(script.c_str(), 0644);
  RunResult denied = Run({"--slug", "job", "--", script});
  EXPECT_EQ(denied.exit_code, 126);
  EXPECT_EQ(denied.err, "heartbeat run: " + script + ": Permission denied\n");
  EXPECT_EQ(denied.out, "");
  std::vector<LoopbackRequest> r = recorder_.Requests();
  ASSERT_EQ(r.size(), 4u);
  EXPECT_THAT(r[3].target, StartsWith("/heartbeat/job/126?rid="));

  RunResult no_file = Run({"--slug", "job", "--", dir_.file("absent")});
  EXPECT_EQ(no_file.exit_code, 127);
  EXPECT_THAT(no_file.err, HasSubstr("No such file or directory"));
}

// The command's output reaches the user while it runs, and SIGINT, SIGTERM and SIGHUP sent to
// the wrapper reach the command.
TEST_F(RunCommand, SignalsArePassedToTheCommandWhileItsOutputFlowsLive) {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    SCOPED_TRACE(sig);
    Process p({"run", "--slug", "job", "--", "sh", "-c", "echo ready; exec sleep 30"}, Env(),
              dir_.path());
    ASSERT_TRUE(WaitUntil([&] { return p.Stdout() == "ready\n"; })) << p.Stderr();
    p.Signal(sig);
    std::optional<int> code = p.Wait(std::chrono::seconds(10));
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(*code, 128 + sig);
    EXPECT_EQ(p.Stderr(), "");
  }
  std::vector<LoopbackRequest> r = recorder_.Requests();
  ASSERT_EQ(r.size(), 6u);
  EXPECT_THAT(r[1].target, StartsWith("/heartbeat/job/130?rid="));
  EXPECT_THAT(r[3].target, StartsWith("/heartbeat/job/143?rid="));
  EXPECT_THAT(r[5].target, StartsWith("/heartbeat/job/129?rid="));
  EXPECT_EQ(r[5].body, "ready\n");
}

// Started with the signals blocked (a mask is inherited, from cron or an init system), the
// wrapper unblocks them: they are still passed on.
TEST_F(RunCommand, SignalsBlockedByTheParentAreStillPassedOn) {
  sigset_t block, previous;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGCHLD);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &block, &previous), 0);
  Process p({"run", "--slug", "job", "--", "sh", "-c", "echo ready; exec sleep 30"}, Env(),
            dir_.path());
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  ASSERT_TRUE(WaitUntil([&] { return p.Stdout() == "ready\n"; })) << p.Stderr();
  p.Signal(SIGTERM);
  std::optional<int> code = p.Wait(std::chrono::seconds(10));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 128 + SIGTERM);
}

// A command that handles the signal decides the exit code.
TEST_F(RunCommand, ACommandThatTrapsTheSignalChoosesItsExitCode) {
  Process p({"run", "--slug", "job", "--", "sh", "-c",
             "trap 'echo cleaning up; exit 42' TERM; echo ready; while :; do sleep 0.05; done"},
            Env(), dir_.path());
  ASSERT_TRUE(WaitUntil([&] { return p.Stdout() == "ready\n"; })) << p.Stderr();
  p.Signal(SIGTERM);
  std::optional<int> code = p.Wait(std::chrono::seconds(10));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 42);
  ExpectStartThenEnd("job", 42, "ready\ncleaning up\n");
}

// A signal while the start ping is on its way: the command is not started, and the run is
// reported ended.
TEST_F(RunCommand, ASignalBeforeTheCommandStartsSkipsIt) {
  recorder_.server().Hold();
  std::string marker = dir_.file("ran");
  Process p({"run", "--slug", "job", "--", "touch", marker}, Env(), dir_.path());
  ASSERT_TRUE(recorder_.server().WaitForRequests(1, std::chrono::seconds(10)));
  p.Signal(SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the signal lands
  recorder_.server().Release();
  std::optional<int> code = p.Wait(std::chrono::seconds(10));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 128 + SIGTERM);
  EXPECT_FALSE(std::filesystem::exists(marker));
  EXPECT_EQ(p.Stderr(), "heartbeat run: SIGTERM before the command started\n");
  ExpectStartThenEnd("job", 143, "heartbeat run: SIGTERM before the command started\n");
}

// Megabytes of output: all of it passes through, the wrapper's memory stays flat (its peak
// grows by far less than the output, measured against a run that prints one line; this holds
// under the sanitizers too), and the report carries only the tail.
TEST_F(RunCommand, MegabytesPassThroughWithBoundedMemory) {
  constexpr long kBytes = 64'000'000;
  // std::regex over megabytes takes seconds (minutes under the sanitizers): the last line.
  auto peak_kb = [](const std::string& out) -> long {
    std::smatch m;
    const std::string last = out.substr(out.size() - std::min<std::size_t>(out.size(), 100));
    if (!std::regex_search(last, m, std::regex("VmHWM:\\s+([0-9]+) kB\n$"))) return -1;
    return std::stol(m[1]);
  };
  const std::string peak = "grep VmHWM /proc/$PPID/status";  // $PPID: the wrapper
  RunResult small = Run({"--slug", "job", "--", "sh", "-c", "echo hi; " + peak});
  ASSERT_EQ(small.exit_code, 0) << small.err;
  const long baseline_kb = peak_kb(small.out);
  ASSERT_GT(baseline_kb, 0) << small.out;

  RunResult r = Run(
      {"--slug", "job", "--", "sh", "-c",
       "yes 0123456789 | head -c " + std::to_string(kBytes) + "; echo; echo the end >&2; " + peak});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const long big_kb = peak_kb(r.out);
  ASSERT_GT(big_kb, 0) << r.out.substr(r.out.size() - std::min<std::size_t>(r.out.size(), 200));
  const std::size_t peak_line = r.out.size() - r.out.rfind("VmHWM");
  EXPECT_EQ(static_cast<long>(r.out.size() - peak_line), kBytes + 1);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), kBytes / 11 + 2);
  EXPECT_THAT(r.err, StartsWith("the end\n"));
  EXPECT_LT(big_kb - baseline_kb, 8 * 1024) << big_kb << " kB against " << baseline_kb << " kB";

  // Two runs, a start and an exit ping each; an attempt that failed under load and was
  // retried adds a request, so the big run's exit ping is taken as the last one.
  std::vector<LoopbackRequest> req = recorder_.Requests();
  ASSERT_GE(req.size(), 4u);
  const std::string& body = req.back().body;
  EXPECT_LE(body.size(), 10000u);
  EXPECT_GT(body.size(), 9000u);
  EXPECT_THAT(body, StartsWith("0123456789\n"));
  EXPECT_THAT(body, HasSubstr("\nthe end\n"));
  EXPECT_THAT(body, HasSubstr("VmHWM:"));
}

// The server's Ping-Body-Limit (answered to the start ping) bounds the tail sent.
TEST_F(RunCommand, TheTailFitsTheServersBodyLimit) {
  recorder_.SetReply([](const LoopbackRequest&, std::size_t) {
    LoopbackReply r = LoopbackReply::Ok("{\"ok\":true}");
    r.headers = {{"Ping-Body-Limit", "25"}};
    return r;
  });
  RunResult r =
      Run({"--slug", "job", "--", "sh", "-c", "for i in 1 2 3 4 5 6 7 8; do echo line $i; done"});
  ASSERT_EQ(r.exit_code, 0);
  std::vector<LoopbackRequest> req = recorder_.Requests();
  ASSERT_EQ(req.size(), 2u);
  EXPECT_EQ(req[1].body, "line 6\nline 7\nline 8\n");
}

// The server down: the command runs at once all the same, its exit code is kept, and each
// lost ping is one warning line.
TEST_F(RunCommand, ServerDownStillRunsTheCommandAndKeepsItsExitCode) {
  std::map<std::string, std::string> env{
      {"HEARTBEAT_URL", "http://127.0.0.1:" + std::to_string(RefusingPort())},
      {"HEARTBEAT_API_KEY", kKey}};
  auto start = std::chrono::steady_clock::now();
  RunResult r = Run({"--slug", "job", "--", "sh", "-c", "echo did the work; exit 5"}, env);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_EQ(r.out, "did the work\n");
  EXPECT_EQ(CountLines(r.err, "heartbeat run: warning: "), 2u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("start ping not sent"));
  EXPECT_THAT(r.err, HasSubstr("exit ping (code 5) not sent"));
  EXPECT_THAT(r.err, Not(HasSubstr(kKey)));
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST_F(RunCommand, A5xxIsRetriedAndThenSucceedsWithoutAWarning) {
  recorder_.SetReply([](const LoopbackRequest&, std::size_t n) {
    return n == 1 ? LoopbackReply::With(503, "{\"error\":\"store unavailable\"}")
                  : LoopbackReply::Ok("{\"ok\":true}");
  });
  RunResult r = Run({"--slug", "job", "--", "true"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "");
  std::vector<LoopbackRequest> req = recorder_.Requests();
  ASSERT_EQ(req.size(), 3u);
  EXPECT_EQ(req[0].target, req[1].target);  // the same start ping again
  EXPECT_THAT(req[2].target, StartsWith("/heartbeat/job/0?rid="));
}

// The exit ping, which carries the code and the tail, is retried like the start ping.
TEST_F(RunCommand, TheExitPingIsRetriedWithTheSameCodeAndTail) {
  recorder_.SetReply([](const LoopbackRequest&, std::size_t n) {
    return n == 2 ? LoopbackReply::With(503, "{\"error\":\"store unavailable\"}")
                  : LoopbackReply::Ok("{\"ok\":true}");
  });
  RunResult r = Run({"--slug", "job", "--", "sh", "-c", "echo partial; exit 6"});
  EXPECT_EQ(r.exit_code, 6);
  EXPECT_EQ(r.err, "");
  std::vector<LoopbackRequest> req = recorder_.Requests();
  ASSERT_EQ(req.size(), 3u);
  EXPECT_THAT(req[1].target, StartsWith("/heartbeat/job/6?rid="));
  EXPECT_EQ(req[2].target, req[1].target);
  EXPECT_EQ(req[1].body, "partial\n");
  EXPECT_EQ(req[2].body, req[1].body);
}

// A server that accepts the start ping and never answers: each try ends at its timeout, the
// command runs once the start ping's budget (6 s) is spent, and its code stays.
TEST_F(RunCommand, ASilentServerDelaysTheCommandAtMostTheStartBudget) {
  recorder_.SetReply([](const LoopbackRequest& req, std::size_t) {
    return req.target.find("/start") != std::string::npos ? LoopbackReply::NeverAnswer()
                                                          : LoopbackReply::Ok("{\"ok\":true}");
  });
  auto start = std::chrono::steady_clock::now();
  RunResult r = Run({"--slug", "job", "--", "sh", "-c", "echo ran; exit 3"});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "ran\n");
  EXPECT_EQ(CountLines(r.err, "heartbeat run: warning: start ping not sent"), 1u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_LT(took, std::chrono::seconds(12));
  std::vector<LoopbackRequest> req = recorder_.Requests();
  ASSERT_FALSE(req.empty());
  EXPECT_THAT(req.back().target, StartsWith("/heartbeat/job/3?rid="));
  EXPECT_EQ(req.back().body, "ran\n");
}

// `run` reads none of the server's settings: a broken one neither stops it nor changes its
// exit code.
TEST_F(RunCommand, NeedsNoConfiguration) {
  std::map<std::string, std::string> env = Env();
  env["HEARTBEAT_STORE"] = "postgres://x";
  env["LOG_LEVEL"] = "loud";
  env["HEARTBEAT_THREADS"] = "many";
  RunResult r = Run({"--slug", "job", "--", "sh", "-c", "echo fine; exit 7"}, env);
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_EQ(r.err, "");
  ExpectStartThenEnd("job", 7, "fine\n");
}

TEST_F(RunCommand, A4xxIsNotRetriedAndOnlyWarns) {
  recorder_.SetReply([](const LoopbackRequest&, std::size_t) {
    return LoopbackReply::With(401, "{\"error\":\"missing or invalid API key\"}");
  });
  RunResult r = Run({"--slug", "job", "--", "sh", "-c", "exit 4"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(recorder_.Requests().size(), 2u);
  EXPECT_EQ(CountLines(r.err, "heartbeat run: warning: "), 2u) << r.err;
  EXPECT_EQ(CountLines(r.err, "HTTP 401 {\"error\":\"missing or invalid API key\"}"), 2u) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr(kKey)));
}

TEST_F(RunCommand, BadUsageExitsTwoWithOneLineAndSendsNothing) {
  std::vector<std::vector<std::string>> cases{
      {"--slug", "job", "true"},             // no --
      {"--slug", "job", "--"},               // no command
      {"--", "true"},                        // no slug
      {"--slug", "Bad_Slug", "--", "true"},  // bad slug
      {"--slug", "job", "--interval", "1h", "--schedule", "0 3 * * *", "--", "true"},
      {"--slug", "job", "--interval", "5s", "--", "true"},  // below 30 s
      {"--slug", "job", "--schedule", "0 25 * * *", "--", "true"},
      {"--slug", "job", "--url", "localhost:3000", "--", "true"},
      {"--slug", "job", "--no-such-flag", "--", "true"},
  };
  for (const auto& args : cases) {
    RunResult r = Run(args);
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(args);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.out, "");
  }
  EXPECT_EQ(recorder_.Requests().size(), 0u);
  // Options after -- belong to the command.
  RunResult r = Run({"--slug", "job", "--", "echo", "--slug", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "--slug --help\n");
  RunResult help = Run({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("--schedule"));
}

// --- against a real `heartbeat serve` --------------------------------------------------

// The run as the server records it: the monitor's fields and its history.
class RunAgainstServe : public ::testing::Test {
 protected:
  void SetUp() override {
    std::map<std::string, std::string> env{{"HEARTBEAT_STORE", "sqlite:" + dir_.file("hb.db")}};
    ASSERT_EQ(RunHeartbeat({"store", "init"}, env, dir_.path()).exit_code, 0);
    RunResult k = RunHeartbeat({"keys", "add", "--description", "run"}, env, dir_.path());
    ASSERT_EQ(k.exit_code, 0) << k.err;
    key_ = k.out.substr(0, k.out.find('\n'));
    Served served = StartServe(env, dir_.path());
    ASSERT_NE(served.port, 0) << served.process->Stderr();
    serve_ = std::move(served.process);
    port_ = served.port;
  }
  void TearDown() override {
    if (serve_) {
      serve_->Signal(SIGTERM);
      EXPECT_EQ(serve_->Wait(), 0);
    }
  }

  std::map<std::string, std::string> Env() {
    return {{"HEARTBEAT_URL", "http://127.0.0.1:" + std::to_string(port_)},
            {"HEARTBEAT_API_KEY", key_}};
  }
  RunResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), "run");
    return RunHeartbeat(std::move(args), Env(), dir_.path());
  }
  HttpResponse Get(const std::string& target) {
    HttpClient client(port_);
    return client.Authed("GET", target, key_);
  }
  boost::json::object Monitor(const std::string& slug) {
    HttpResponse r = Get("/monitors/" + slug);
    EXPECT_EQ(r.status, 200u) << r.body;
    return r.status == 200 ? r.json().as_object() : boost::json::object();
  }
  // Newest first.
  boost::json::array Pings(const std::string& slug) {
    HttpResponse r = Get("/monitors/" + slug + "/pings");
    EXPECT_EQ(r.status, 200u) << r.body;
    return r.status == 200 ? r.json().at("pings").as_array() : boost::json::array();
  }
  std::string Body(const std::string& slug, std::int64_t n) {
    HttpResponse r = Get("/monitors/" + slug + "/pings/" + std::to_string(n) + "/body");
    EXPECT_EQ(r.status, 200u) << r.body;
    return r.body;
  }
  // The start and the end of one run, newest first, with the same run ID.
  void ExpectRun(const boost::json::array& pings, const std::string& end_kind, int code) {
    ASSERT_EQ(pings.size(), 2u) << boost::json::serialize(pings);
    const auto& end = pings[0].as_object();
    const auto& start = pings[1].as_object();
    EXPECT_EQ(start.at("kind").as_string(), "start");
    EXPECT_EQ(end.at("kind").as_string(), end_kind);
    EXPECT_EQ(end.at("exit_code").to_number<std::int64_t>(), code);
    ASSERT_TRUE(start.at("rid").is_string()) << boost::json::serialize(start);
    const std::string rid(start.at("rid").as_string());
    EXPECT_TRUE(std::regex_match(rid, kUuid)) << rid;
    EXPECT_EQ(end.at("rid").as_string(), rid);
    EXPECT_EQ(end.at("method").as_string(), "POST");
    EXPECT_TRUE(end.at("duration_ms").is_number()) << boost::json::serialize(end);
  }

  TempDir dir_;
  std::string key_;
  std::unique_ptr<Process> serve_;
  unsigned short port_ = 0;
};

TEST_F(RunAgainstServe, SuccessRecordsStartThenSuccessWithDurationAndTail) {
  RunResult r =
      Run({"--slug", "job", "--interval", "1h", "--", "sh", "-c", "echo all good; sleep 0.2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  boost::json::object m = Monitor("job");
  EXPECT_EQ(m.at("running"), false);
  EXPECT_EQ(m.at("last_exit_code").to_number<std::int64_t>(), 0);
  EXPECT_GE(m.at("last_duration_ms").to_number<std::int64_t>(), 200);
  EXPECT_LT(m.at("last_duration_ms").to_number<std::int64_t>(), 10000);
  EXPECT_EQ(m.at("interval_secs").to_number<std::int64_t>(), 3600);
  EXPECT_EQ(m.at("status").as_string(), "ok");

  boost::json::array pings = Pings("job");
  ExpectRun(pings, "success", 0);
  if (pings.size() != 2) return;
  const auto& end = pings[0].as_object();
  EXPECT_GE(end.at("duration_ms").to_number<std::int64_t>(), 200);
  EXPECT_EQ(end.at("body_bytes").to_number<std::int64_t>(), 9);
  EXPECT_EQ(Body("job", end.at("n").to_number<std::int64_t>()), "all good\n");
}

TEST_F(RunAgainstServe, FailureRecordsTheCodeTheSettingsAndTheTail) {
  RunResult r =
      Run({"--slug", "backup", "--schedule", "0 3 * * *", "--tz", "Europe/Riga", "--grace", "15m",
           "--", "sh", "-c", "echo step 1; echo disk full >&2; exit 3"});
  ASSERT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.err, "disk full\n");
  boost::json::object m = Monitor("backup");
  EXPECT_EQ(m.at("schedule").as_string(), "0 3 * * *");
  EXPECT_EQ(m.at("tz").as_string(), "Europe/Riga");
  EXPECT_EQ(m.at("grace_secs").to_number<std::int64_t>(), 900);
  EXPECT_EQ(m.at("running"), false);
  EXPECT_EQ(m.at("last_exit_code").to_number<std::int64_t>(), 3);
  EXPECT_TRUE(m.at("last_duration_ms").is_number());
  EXPECT_EQ(m.at("status").as_string(), "overdue");

  boost::json::array pings = Pings("backup");
  ExpectRun(pings, "fail", 3);
  if (pings.size() != 2) return;
  EXPECT_EQ(Body("backup", pings[0].at("n").to_number<std::int64_t>()), "step 1\ndisk full\n");
}

TEST_F(RunAgainstServe, RunningWhileTheCommandRunsAndAKillIsAFailure) {
  Process p({"run", "--slug", "job", "--", "sh", "-c", "echo ready; exec sleep 30"}, Env(),
            dir_.path());
  ASSERT_TRUE(WaitUntil([&] { return p.Stdout() == "ready\n"; })) << p.Stderr();
  boost::json::object during = Monitor("job");
  EXPECT_EQ(during.at("running"), true);
  EXPECT_FALSE(during.at("last_start").is_null()) << boost::json::serialize(during);
  p.Signal(SIGTERM);
  std::optional<int> code = p.Wait(std::chrono::seconds(10));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 128 + SIGTERM);
  boost::json::object after = Monitor("job");
  EXPECT_EQ(after.at("running"), false);
  EXPECT_EQ(after.at("last_exit_code").to_number<std::int64_t>(), 143);
  ExpectRun(Pings("job"), "fail", 143);
}

// A setting the server refuses (here a zone, which only the server checks): one warning,
// the command runs, its code is recorded.
TEST_F(RunAgainstServe, ASettingTheServerRefusesIsAWarningAndTheJobStillRuns) {
  RunResult r = Run({"--slug", "job", "--schedule", "0 3 * * *", "--tz", "Mars/Olympus", "--", "sh",
                     "-c", "echo ran"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "ran\n");
  EXPECT_EQ(CountLines(r.err, "heartbeat run: warning: start ping refused by"), 1u) << r.err;
  EXPECT_THAT(r.err, HasSubstr("HTTP 400"));
  EXPECT_THAT(r.err, HasSubstr("tz"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  boost::json::object m = Monitor("job");
  EXPECT_EQ(m.at("last_exit_code").to_number<std::int64_t>(), 0);
  EXPECT_TRUE(m.at("schedule").is_null());
}

}  // namespace
}  // namespace heartbeat::testing
