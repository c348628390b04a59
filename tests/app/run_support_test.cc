// `heartbeat run`'s pieces without a child process (app/run_support.h): its options, the
// ping URLs, the run ID, the output's tail, exit codes, and how pings are retried.

#include "app/run_support.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <deque>
#include <random>
#include <regex>
#include <set>

#include "support/fake_clock.h"

namespace heartbeat::app {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// --- options ---------------------------------------------------------------------------

RunOptions Valid() {
  RunOptions o;
  o.slug = "nightly-backup";
  o.command = {"/usr/local/bin/backup.sh", "--full"};
  return o;
}

TEST(RunOptions, EnvironmentGivesUrlAndKeyAndEmptyValuesAreUnset) {
  RunOptions defaults;
  ApplyRunEnvironment({}, defaults);
  EXPECT_EQ(defaults.url, "http://127.0.0.1:3000");
  EXPECT_EQ(defaults.key, "");

  RunOptions o;
  ApplyRunEnvironment({{"HEARTBEAT_URL", "https://hb.example.com"}, {"HEARTBEAT_API_KEY", "k1"}},
                      o);
  EXPECT_EQ(o.url, "https://hb.example.com");
  EXPECT_EQ(o.key, "k1");

  RunOptions empty;
  ApplyRunEnvironment({{"HEARTBEAT_URL", ""}, {"HEARTBEAT_API_KEY", ""}}, empty);
  EXPECT_EQ(empty.url, "http://127.0.0.1:3000");
  EXPECT_EQ(empty.key, "");
}

int Separator(std::vector<const char*> argv) {
  std::optional<int> i = RunSeparatorIndex(static_cast<int>(argv.size()), argv.data());
  return i ? *i : -1;
}

TEST(RunOptions, SeparatorIsTheFirstDoubleDashAfterRun) {
  EXPECT_EQ(Separator({"heartbeat", "run", "--slug", "a", "--", "ls", "--", "-l"}), 4);
  EXPECT_EQ(Separator({"heartbeat", "run", "--", "ls"}), 2);
  EXPECT_EQ(Separator({"heartbeat", "run", "--slug", "a", "ls"}), -1);
  EXPECT_EQ(Separator({"heartbeat", "schedule", "--", "0 3 * * *"}), -1);
  EXPECT_EQ(Separator({"heartbeat"}), -1);
}

TEST(RunOptions, ValidOptionsPass) {
  RunOptions o = Valid();
  EXPECT_TRUE(ValidateRunOptions(o).ok());
  o.schedule = "0 3 * * *";
  o.tz = "Europe/Riga";
  o.grace = "15m";
  o.url = "https://hb.example.com/base/";
  EXPECT_TRUE(ValidateRunOptions(o).ok());
  RunOptions interval = Valid();
  interval.interval = "1h";
  interval.grace = "0";
  EXPECT_TRUE(ValidateRunOptions(interval).ok());
}

TEST(RunOptions, EachBadOptionIsRefusedNamingIt) {
  struct Case {
    void (*change)(RunOptions&);
    std::string names;
  };
  std::vector<Case> cases{
      {[](RunOptions& o) { o.slug = ""; }, "--slug"},
      {[](RunOptions& o) { o.slug = "Nightly_Backup"; }, "--slug"},
      {[](RunOptions& o) { o.command.clear(); }, "command"},
      {[](RunOptions& o) { o.command = {""}; }, "command"},
      {[](RunOptions& o) { o.url = "ftp://x"; }, "HEARTBEAT_URL"},
      {[](RunOptions& o) { o.url = "127.0.0.1:3000"; }, "--url"},
      {[](RunOptions& o) {
         o.interval = "1h";
         o.schedule = "0 3 * * *";
       },
       "--interval and --schedule"},
      {[](RunOptions& o) { o.interval = "often"; }, "--interval"},
      {[](RunOptions& o) { o.interval = "10s"; }, "--interval"},  // below 30 s
      {[](RunOptions& o) { o.grace = "a while"; }, "--grace"},
      {[](RunOptions& o) { o.grace = "400d"; }, "--grace"},
      {[](RunOptions& o) { o.schedule = "0 25 * * *"; }, "--schedule"},
      {[](RunOptions& o) { o.schedule = "0 0 30 2 *"; }, "--schedule"},
      {[](RunOptions& o) { o.tz = ""; }, "--tz"},
  };
  for (const Case& c : cases) {
    RunOptions o = Valid();
    c.change(o);
    Status s = ValidateRunOptions(o);
    ASSERT_FALSE(s.ok()) << c.names;
    EXPECT_THAT(s.error().message, HasSubstr(c.names));
    EXPECT_EQ(s.error().message.find('\n'), std::string::npos);
  }
}

// The job's machine may have no tz database; the server, which has one, checks the zone.
TEST(RunOptions, ZoneIsLeftToTheServer) {
  RunOptions o = Valid();
  o.schedule = "0 3 * * *";
  o.tz = "Mars/Olympus";
  EXPECT_TRUE(ValidateRunOptions(o).ok());
}

// --- URLs ------------------------------------------------------------------------------

TEST(RunUrls, PercentEncodeKeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(PercentEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(PercentEncode("0 3 * * 1-5"), "0%203%20%2A%20%2A%201-5");
  EXPECT_EQ(PercentEncode("Europe/Riga"), "Europe%2FRiga");
  EXPECT_EQ(PercentEncode("1h+5m&x=y#z?"), "1h%2B5m%26x%3Dy%23z%3F");
  EXPECT_EQ(PercentEncode("\xc3\xa9"), "%C3%A9");
  EXPECT_EQ(PercentEncode(std::string("\0", 1)), "%00");
  EXPECT_EQ(PercentEncode(""), "");
}

TEST(RunUrls, StartCarriesTheRidAndTheSettingsGiven) {
  RunOptions o = Valid();
  o.url = "http://127.0.0.1:3000";
  EXPECT_EQ(StartPingUrl(o, "r1"), "http://127.0.0.1:3000/heartbeat/nightly-backup/start?rid=r1");
  o.schedule = "0 3 * * *";
  o.tz = "Europe/Riga";
  o.grace = "15 min";
  EXPECT_EQ(
      StartPingUrl(o, "r1"),
      "http://127.0.0.1:3000/heartbeat/nightly-backup/start?rid=r1&schedule=0%203%20%2A%20%2A%20%2A"
      "&tz=Europe%2FRiga&grace=15%20min");
  RunOptions i = Valid();
  i.url = "https://hb.example.com/monitoring//";
  i.interval = "1h";
  EXPECT_EQ(StartPingUrl(i, ""),
            "https://hb.example.com/monitoring/heartbeat/nightly-backup/start?interval=1h");
}

TEST(RunUrls, EndCarriesTheExitCodeAndTheRidOnly) {
  RunOptions o = Valid();
  o.url = "http://h:1/";
  o.interval = "1h";
  EXPECT_EQ(EndPingUrl(o, "r1", 0), "http://h:1/heartbeat/nightly-backup/0?rid=r1");
  EXPECT_EQ(EndPingUrl(o, "r1", 137), "http://h:1/heartbeat/nightly-backup/137?rid=r1");
  EXPECT_EQ(EndPingUrl(o, "", 3), "http://h:1/heartbeat/nightly-backup/3");
}

TEST(RunUrls, ServerForMessagesDropsCredentialsPathAndQuery) {
  EXPECT_EQ(ServerForMessages("https://user:secret@hb.example.com:8443/base/x?k=v"),
            "https://hb.example.com:8443");
  EXPECT_EQ(ServerForMessages("http://127.0.0.1:3000"), "http://127.0.0.1:3000");
  EXPECT_EQ(ServerForMessages("http://h/?a=b@c"), "http://h");
}

// --- run ID, exit codes ----------------------------------------------------------------

TEST(RunId, IsAFreshLowercaseUuidVersion4) {
  const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    Result<std::string> id = NewRunId();
    ASSERT_TRUE(id.ok());
    ASSERT_TRUE(std::regex_match(*id, uuid)) << *id;
    seen.insert(*id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(RunExitCode, IsTheCodeOr128PlusTheSignal) {
  EXPECT_EQ(ExitCodeOfWaitStatus(W_EXITCODE(0, 0)), 0);
  EXPECT_EQ(ExitCodeOfWaitStatus(W_EXITCODE(3, 0)), 3);
  EXPECT_EQ(ExitCodeOfWaitStatus(W_EXITCODE(255, 0)), 255);
  EXPECT_EQ(ExitCodeOfWaitStatus(W_EXITCODE(0, SIGKILL)), 137);
  EXPECT_EQ(ExitCodeOfWaitStatus(W_EXITCODE(0, SIGTERM)), 143);
  EXPECT_EQ(ExitCodeOfWaitStatus(W_EXITCODE(0, SIGINT) | 0x80), 130);  // with a core dump
  // A real child, to hold the macros to the kernel's statuses (a signal the sanitizers
  // leave alone).
  pid_t pid = fork();
  if (pid == 0) {
    raise(SIGUSR1);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_EQ(ExitCodeOfWaitStatus(status), 128 + SIGUSR1);
}

// --- the output's tail -----------------------------------------------------------------

TEST(OutputTail, KeepsEverythingBelowTheLimit) {
  OutputTail tail(100);
  tail.Append("line 1\n");
  tail.Append("line 2\npartial");
  EXPECT_EQ(tail.Contents(), "line 1\nline 2\npartial");
  EXPECT_EQ(tail.total(), 21u);
}

TEST(OutputTail, KeepsTheLastBytesFromAWholeLine) {
  OutputTail tail(20);
  for (int i = 1; i <= 9; ++i) tail.Append("line " + std::to_string(i) + "\n");
  // The last 20 bytes are "e 7\nline 8\nline 9\n"-ish; the cut first line is dropped.
  EXPECT_EQ(tail.Contents(), "line 8\nline 9\n");
  // One long line keeps its end, cut.
  OutputTail one(5);
  one.Append("abcdefghij");
  EXPECT_EQ(one.Contents(), "fghij");
}

// Random chunks against the plain definition: the window is the stream's last bytes.
TEST(OutputTail, MatchesTheStreamsEndForRandomChunks) {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    const std::size_t limit = 1 + rng() % 300;
    OutputTail tail(limit);
    std::string all;
    const int chunks = static_cast<int>(rng() % 40);
    for (int c = 0; c < chunks; ++c) {
      std::string chunk(rng() % 120, 'x');
      for (char& ch : chunk) ch = rng() % 8 == 0 ? '\n' : static_cast<char>('a' + rng() % 26);
      tail.Append(chunk);
      all += chunk;
    }
    std::string want = all.size() <= limit ? all : all.substr(all.size() - limit);
    if (all.size() > limit) {
      std::size_t nl = want.find('\n');
      if (nl != std::string::npos && nl + 1 < want.size()) want = want.substr(nl + 1);
    }
    ASSERT_EQ(tail.Contents(), want) << "round " << round;
    ASSERT_EQ(tail.total(), all.size());
  }
}

TEST(OutputTail, ALowerLimitCutsWhatIsHeld) {
  OutputTail tail(100);
  tail.Append("aaaa\nbbbb\ncccc\n");
  tail.SetLimit(6);
  EXPECT_EQ(tail.Contents(), "cccc\n");
  tail.SetLimit(0);
  EXPECT_EQ(tail.Contents(), "");
}

// --- pings -----------------------------------------------------------------------------

// An HttpClient that answers from a script, each answer taking `cost` of the fake clock
// (at most the request's timeout).
class ScriptedClient final : public HttpClient {
 public:
  explicit ScriptedClient(testing::FakeClock& clock) : clock_(clock) {}
  HttpResult Send(const HttpRequest& request) override {
    requests.push_back(request);
    clock_.Advance(std::min(cost, request.total_timeout));
    if (script.empty()) return Answer(200);
    HttpResult r = script.front();
    script.pop_front();
    return r;
  }
  static HttpResult Answer(long status, std::string body = {}) {
    HttpResult r;
    r.transport_ok = true;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
  static HttpResult Refused() {
    HttpResult r;
    r.error = "Couldn't connect to server";
    return r;
  }

  std::deque<HttpResult> script;
  std::vector<HttpRequest> requests;
  std::chrono::milliseconds cost{1};

 private:
  testing::FakeClock& clock_;
};

class Pings : public ::testing::Test {
 protected:
  PingOutcome Send(const PingPolicy& policy = kEndPingPolicy) {
    PingSender sender(client_, clock_, [this](std::chrono::milliseconds d) {
      sleeps_.push_back(d);
      clock_.Advance(d);
    });
    HttpRequest request;
    request.url = "http://127.0.0.1:3000/heartbeat/job/start?rid=r";
    request.headers = {{"Authorization", "Bearer s3cret-key"}};
    return sender.Send(request, policy, "start ping", "http://127.0.0.1:3000");
  }

  testing::FakeClock clock_;
  ScriptedClient client_{clock_};
  std::vector<std::chrono::milliseconds> sleeps_;
};

TEST_F(Pings, A2xxIsDoneAtTheFirstTry) {
  client_.script = {ScriptedClient::Answer(201)};
  PingOutcome o = Send();
  EXPECT_TRUE(o.ok);
  EXPECT_EQ(o.attempts, 1);
  EXPECT_TRUE(sleeps_.empty());
  EXPECT_EQ(o.warning, "");
  ASSERT_EQ(client_.requests.size(), 1u);
  EXPECT_EQ(client_.requests[0].total_timeout, kEndPingPolicy.attempt_timeout);
  EXPECT_EQ(client_.requests[0].connect_timeout, kEndPingPolicy.connect_timeout);
}

TEST_F(Pings, NoAnswerAnd5xxAreRetriedWithGrowingBackoff) {
  client_.script = {ScriptedClient::Refused(), ScriptedClient::Answer(503)};
  PingOutcome o = Send();
  EXPECT_TRUE(o.ok);
  EXPECT_EQ(o.attempts, 3);
  EXPECT_EQ(sleeps_, (std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(300),
                                                             std::chrono::milliseconds(900)}));
  client_.requests.clear();
  client_.script = {ScriptedClient::Answer(429), ScriptedClient::Answer(408)};
  EXPECT_TRUE(Send().ok);
  EXPECT_EQ(client_.requests.size(), 3u);
}

TEST_F(Pings, GivesUpAfterTheLastAttemptWithOneLineWithoutTheKey) {
  client_.script = {ScriptedClient::Refused(), ScriptedClient::Refused(), ScriptedClient::Refused(),
                    ScriptedClient::Answer(200)};
  PingOutcome o = Send();
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.attempts, 3);
  EXPECT_EQ(client_.requests.size(), 3u);
  EXPECT_EQ(o.warning,
            "start ping not sent to http://127.0.0.1:3000 (3 attempts): Couldn't connect to "
            "server");
  EXPECT_THAT(o.warning, Not(HasSubstr("s3cret")));
}

TEST_F(Pings, A4xxIsNotRetriedAndItsReasonIsQuoted) {
  client_.script = {ScriptedClient::Answer(400, "{\"error\":\"tz: unknown zone\"}\nmore")};
  PingOutcome o = Send();
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.attempts, 1);
  EXPECT_TRUE(sleeps_.empty());
  EXPECT_EQ(o.warning,
            "start ping refused by http://127.0.0.1:3000: HTTP 400 {\"error\":\"tz: unknown "
            "zone\"}");
  client_.script = {ScriptedClient::Answer(401, "bad key\x01")};  // control bytes made visible
  o = Send();
  EXPECT_EQ(o.attempts, 1);
  EXPECT_THAT(o.warning, HasSubstr("HTTP 401"));
  EXPECT_EQ(o.warning.find('\x01'), std::string::npos);
}

TEST_F(Pings, AlwaysFailing5xxSaysHowManyAttempts) {
  client_.script = {ScriptedClient::Answer(500), ScriptedClient::Answer(502),
                    ScriptedClient::Answer(503)};
  PingOutcome o = Send();
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.warning, "start ping refused by http://127.0.0.1:3000: HTTP 503 (3 attempts)");
}

TEST_F(Pings, MissingKeyIsNamedOnA401) {
  PingSender sender(client_, clock_, [](std::chrono::milliseconds) {});
  client_.script = {ScriptedClient::Answer(401)};
  HttpRequest request;
  request.url = "http://h/heartbeat/job/0";
  PingOutcome o = sender.Send(request, kEndPingPolicy, "exit ping", "http://h");
  EXPECT_THAT(o.warning, HasSubstr("HEARTBEAT_API_KEY"));
}

// A server that holds each try to its timeout: the budget bounds the whole ping.
TEST_F(Pings, TheBudgetBoundsTriesThatTimeOut) {
  client_.cost = kStartPingPolicy.attempt_timeout;
  client_.script = {ScriptedClient::Refused(), ScriptedClient::Refused(),
                    ScriptedClient::Refused()};
  const auto start = clock_.Steady();
  PingOutcome o = Send(kStartPingPolicy);
  EXPECT_FALSE(o.ok);
  EXPECT_LE(clock_.Steady() - start, kStartPingPolicy.budget);
  ASSERT_EQ(o.attempts, 2);  // 3 s, 0.25 s, then what was left (2.75 s)
  EXPECT_EQ(client_.requests[0].total_timeout, std::chrono::milliseconds(3000));
  EXPECT_EQ(client_.requests[1].total_timeout, std::chrono::milliseconds(2750));
  EXPECT_EQ(client_.requests[1].connect_timeout, std::chrono::milliseconds(2000));
}

}  // namespace
}  // namespace heartbeat::app
