// Channels end to end (SPEC §14): the real `heartbeat serve` and `heartbeat channels`
// binaries on a SQLite file (and DynamoDB tables on dynalite for the fan-out), the
// environment's Telegram (FakeTelegram) and webhook channels on a loopback sink that fails
// the way Slack, Discord and friends fail (503 while down, 429 with Retry-After, a send
// that never answers). Every alert reaches each channel once, in order per channel; a
// channel down for two minutes delays no other; a restart in the middle of a send loses
// nothing.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/dynalite.h"
#include "support/fake_telegram.h"
#include "support/http_client.h"
#include "support/loopback_http_server.h"
#include "support/process.h"
#include "support/store_kind.h"
#include "support/temp_dir.h"

namespace heartbeat::testing {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;
using Steady = std::chrono::steady_clock;

constexpr const char* kBotToken = "987654:AAE-channels-e2e-token-never-logged";

// A webhook receiver on loopback. Each path's answers are set by the test: 200, 503 (down),
// 429 with Retry-After, or never an answer. Records what it received and answered 2xx.
class Sink {
 public:
  enum class Mode { kUp, kDown, kTooManyOnce, kHang };

  void Set(const std::string& path, Mode mode) {
    std::lock_guard lock(mu_);
    modes_[path] = mode;
  }
  // The bodies answered 200 on `path`, in order.
  std::vector<std::string> Delivered(const std::string& path) {
    std::lock_guard lock(mu_);
    return delivered_[path];
  }
  std::size_t Received(const std::string& path) {
    std::lock_guard lock(mu_);
    return received_[path];
  }
  bool WaitDelivered(const std::string& path, std::size_t n, milliseconds timeout) {
    auto until = Steady::now() + timeout;
    while (Steady::now() < until) {
      if (Delivered(path).size() >= n) return true;
      std::this_thread::sleep_for(milliseconds(20));
    }
    return Delivered(path).size() >= n;
  }
  std::string url() const { return server_.url(); }

 private:
  LoopbackReply Answer(const LoopbackRequest& r) {
    std::lock_guard lock(mu_);
    ++received_[r.target];
    Mode& mode = modes_[r.target];
    switch (mode) {
      case Mode::kDown:
        return LoopbackReply::With(503, "service unavailable");
      case Mode::kHang:
        return LoopbackReply::NeverAnswer();
      case Mode::kTooManyOnce: {
        mode = Mode::kUp;
        LoopbackReply reply = LoopbackReply::With(429, "rate_limited");
        reply.headers = {{"Retry-After", "3"}};
        return reply;
      }
      case Mode::kUp:
        break;
    }
    delivered_[r.target].push_back(r.body);
    return LoopbackReply::Ok("ok");
  }

  std::mutex mu_;
  std::map<std::string, Mode> modes_;                          // guarded by mu_
  std::map<std::string, std::vector<std::string>> delivered_;  // guarded by mu_
  std::map<std::string, std::size_t> received_;                // guarded by mu_
  LoopbackHttpServer server_{[this](const LoopbackRequest& r) { return Answer(r); }};
};

// The `text` of each JSON body (Slack's shape), in order.
std::vector<std::string> Texts(const std::vector<std::string>& bodies) {
  std::vector<std::string> out;
  for (const std::string& b : bodies) out.emplace_back(json::parse(b).at("text").as_string());
  return out;
}

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

class Channels : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override {
    if (GetParam() == StoreKind::kDynamo) {
      monitors_table_ = Dynalite::UniqueTableName("ch-monitors");
      keys_table_ = Dynalite::UniqueTableName("ch-keys");
      pings_table_ = Dynalite::UniqueTableName("ch-pings");
    }
    RunResult init = Run({"store", "init"});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    RunResult key = Run({"keys", "add", "--description", "channels e2e"});
    ASSERT_EQ(key.exit_code, 0) << key.err;
    key_ = key.out.substr(0, key.out.find('\n'));
  }
  ~Channels() override {
    for (auto& p : owned_) outputs_.push_back(p->Stderr() + p->Stdout());
    for (const std::string& out : outputs_) {
      EXPECT_THAT(out, Not(HasSubstr(kBotToken)));
      EXPECT_THAT(out, Not(HasSubstr("/slack-secret-path")));
    }
  }

  std::map<std::string, std::string> Env() {
    std::map<std::string, std::string> env{{"ALERT_REPEAT_INTERVAL", "1h"},
                                           {"TELEGRAM_API_URL", telegram_.url()},
                                           {"TELEGRAM_BOT_TOKEN", kBotToken},
                                           {"TELEGRAM_CHAT_ID", kChatId}};
    if (GetParam() == StoreKind::kSqlite) {
      env["HEARTBEAT_STORE"] = "sqlite:" + dir_.file("hb.db");
    } else {
      env["HEARTBEAT_STORE"] = "dynamodb";
      env["DYNAMODB_ENDPOINT"] = Dynalite::Shared().endpoint();
      env["AWS_REGION"] = "us-east-1";
      env["AWS_ACCESS_KEY_ID"] = "AKIDE2ETEST";
      env["AWS_SECRET_ACCESS_KEY"] = "channels-e2e-secret";
      env["MONITORS_TABLE"] = monitors_table_;
      env["KEYS_TABLE"] = keys_table_;
      env["PINGS_TABLE"] = pings_table_;
    }
    return env;
  }
  RunResult Run(std::vector<std::string> args) {
    RunResult r = RunHeartbeat(std::move(args), Env(), dir_.path());
    outputs_.push_back(r.err + r.out);
    return r;
  }
  // A Slack channel `name` posting to the sink's `path`, added with the CLI.
  void AddSlack(const std::string& name, const std::string& path) {
    RunResult r = Run({"channels", "add", name, "--kind", "slack", "--url", sink_.url() + path});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  Process& Serve() {
    Served served = StartServe(Env(), dir_.path());
    owned_.push_back(std::move(served.process));
    port_ = served.port;
    EXPECT_NE(port_, 0) << owned_.back()->Stderr();
    return *owned_.back();
  }
  void Stop(Process& p) {
    p.Signal(SIGTERM);
    EXPECT_EQ(p.Wait(milliseconds(10'000)), 0) << p.Stderr();
  }
  void Signal(const std::string& slug, const std::string& suffix = "") {
    HttpClient client(port_);
    HttpResponse r = client.Authed("POST", "/heartbeat/" + slug + suffix, key_);
    EXPECT_EQ(r.status, 200u) << r.body;
  }
  // Telegram's texts, in order.
  std::vector<std::string> TelegramTexts() {
    std::vector<std::string> out;
    for (const TelegramMessage& m : telegram_.Delivered()) out.push_back(m.text);
    return out;
  }

  TempDir dir_;
  FakeTelegram telegram_;
  Sink sink_;
  std::string key_;
  unsigned short port_ = 0;
  std::vector<std::string> outputs_;
  std::vector<std::unique_ptr<Process>> owned_;
  std::string monitors_table_, keys_table_, pings_table_;
};

INSTANTIATE_TEST_SUITE_P(Stores, Channels, BothStores(), StoreKindParamName);

TEST_P(Channels, EveryAlertReachesEachChannelOnceAndInOrder) {
  AddSlack("slack-a", "/slack-secret-path/a");
  AddSlack("slack-b", "/slack-secret-path/b");
  RunResult list = Run({"channels", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("slack-a"));
  EXPECT_THAT(list.out, HasSubstr("telegram"));
  EXPECT_THAT(list.out, Not(HasSubstr("slack-secret-path")));
  Serve();
  Signal("backup", "/fail");
  ASSERT_TRUE(sink_.WaitDelivered("/slack-secret-path/a", 1, milliseconds(3000)));
  ASSERT_TRUE(sink_.WaitDelivered("/slack-secret-path/b", 1, milliseconds(3000)));
  ASSERT_TRUE(telegram_.WaitForDelivered(1, milliseconds(3000)));
  Signal("backup");
  ASSERT_TRUE(sink_.WaitDelivered("/slack-secret-path/a", 2, milliseconds(3000)));
  ASSERT_TRUE(sink_.WaitDelivered("/slack-secret-path/b", 2, milliseconds(3000)));
  ASSERT_TRUE(telegram_.WaitForDelivered(2, milliseconds(3000)));
  std::this_thread::sleep_for(milliseconds(500));  // nothing more comes
  for (const std::string path : {"/slack-secret-path/a", "/slack-secret-path/b"}) {
    std::vector<std::string> texts = Texts(sink_.Delivered(path));
    ASSERT_EQ(texts.size(), 2u) << path;
    EXPECT_TRUE(StartsWith(texts[0], "❌ FAILED: `backup`")) << texts[0];
    EXPECT_TRUE(StartsWith(texts[1], "✅ RECOVERED: `backup`")) << texts[1];
  }
  std::vector<std::string> tg = TelegramTexts();
  ASSERT_EQ(tg.size(), 2u);
  EXPECT_TRUE(StartsWith(tg[0], "❌ FAILED: `backup`")) << tg[0];
  EXPECT_TRUE(StartsWith(tg[1], "✅ RECOVERED: `backup`")) << tg[1];
}

TEST_P(Channels, AMonitorsOwnChannelsAreTheOnlyOnesItsAlertsReach) {
  AddSlack("slack-a", "/slack-secret-path/a");
  Serve();
  HttpClient client(port_);
  HttpResponse put = client.Request("PUT", "/monitors/quiet", {{"Authorization", "Bearer " + key_}},
                                    R"({"channels":["slack-a"]})");
  ASSERT_EQ(put.status, 201u) << put.body;
  Signal("quiet", "/fail");
  ASSERT_TRUE(sink_.WaitDelivered("/slack-secret-path/a", 1, milliseconds(3000)));
  std::this_thread::sleep_for(milliseconds(700));
  EXPECT_TRUE(TelegramTexts().empty());
}

class ChannelsSqlite : public Channels {};
INSTANTIATE_TEST_SUITE_P(Sqlite, ChannelsSqlite, ::testing::Values(StoreKind::kSqlite),
                         StoreKindParamName);

// SPEC §14: a channel that is down delays no other channel and no other monitor; when it is
// back, it gets every alert it missed, once each, in order.
TEST_P(ChannelsSqlite, AChannelDownForTwoMinutesDelaysNoOtherAndThenGetsEverythingInOrder) {
  AddSlack("down", "/slack-secret-path/down");
  AddSlack("up", "/slack-secret-path/up");
  sink_.Set("/slack-secret-path/down", Sink::Mode::kDown);
  Process& serve = Serve();
  const auto outage_start = Steady::now();
  // Three monitors go down and come back, twice each, over the outage.
  std::size_t expected = 0;
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 3; ++i) {
      const std::string slug = "job-" + std::to_string(i);
      Signal(slug, "/fail");
      ++expected;
      auto sent = Steady::now();
      ASSERT_TRUE(sink_.WaitDelivered("/slack-secret-path/up", expected, milliseconds(2000)))
          << serve.Stderr();
      EXPECT_LT(Steady::now() - sent, milliseconds(2000));
      ASSERT_TRUE(telegram_.WaitForDelivered(expected, milliseconds(2000)));
      Signal(slug);
      ++expected;
      ASSERT_TRUE(sink_.WaitDelivered("/slack-secret-path/up", expected, milliseconds(2000)));
      ASSERT_TRUE(telegram_.WaitForDelivered(expected, milliseconds(2000)));
    }
    std::this_thread::sleep_for(seconds(50));
  }
  std::this_thread::sleep_until(outage_start + seconds(120));
  EXPECT_TRUE(sink_.Delivered("/slack-secret-path/down").empty());
  EXPECT_GT(sink_.Received("/slack-secret-path/down"), 3u);  // retried meanwhile
  sink_.Set("/slack-secret-path/down", Sink::Mode::kUp);
  // Back: within the longest backoff (5 minutes apart at most; about 2 after 2 minutes).
  ASSERT_TRUE(sink_.WaitDelivered("/slack-secret-path/down", expected, seconds(200)))
      << sink_.Delivered("/slack-secret-path/down").size() << " of " << expected;
  std::this_thread::sleep_for(milliseconds(500));
  const std::vector<std::string> down = Texts(sink_.Delivered("/slack-secret-path/down"));
  const std::vector<std::string> up = Texts(sink_.Delivered("/slack-secret-path/up"));
  ASSERT_EQ(down.size(), expected);
  ASSERT_EQ(up.size(), expected);
  // Per monitor, the same alerts in the same order on both channels.
  for (int i = 0; i < 3; ++i) {
    const std::string slug = "job-" + std::to_string(i);
    std::vector<std::string> a, b;
    for (const std::string& t : down) {
      if (t.find(slug) != std::string::npos) a.push_back(t.substr(0, t.find(':')));
    }
    for (const std::string& t : up) {
      if (t.find(slug) != std::string::npos) b.push_back(t.substr(0, t.find(':')));
    }
    EXPECT_EQ(a, b) << slug;
    EXPECT_EQ(a, (std::vector<std::string>{"❌ FAILED", "✅ RECOVERED", "❌ FAILED", "✅ RECOVERED"}))
        << slug;
  }
  Stop(serve);
}

// A Slack 429 with Retry-After: the channel waits that long, the alert goes out once, and
// no other channel waits.
TEST_P(ChannelsSqlite, ARateLimitedChannelWaitsItsRetryAfterAndDeliversOnce) {
  AddSlack("limited", "/slack-secret-path/limited");
  sink_.Set("/slack-secret-path/limited", Sink::Mode::kTooManyOnce);
  Serve();
  const auto failed = Steady::now();
  Signal("report", "/fail");
  ASSERT_TRUE(telegram_.WaitForDelivered(1, milliseconds(2000)));
  EXPECT_LT(Steady::now() - failed, milliseconds(2000));
  ASSERT_TRUE(sink_.WaitDelivered("/slack-secret-path/limited", 1, milliseconds(8000)));
  EXPECT_GE(Steady::now() - failed, milliseconds(2900));
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_EQ(sink_.Delivered("/slack-secret-path/limited").size(), 1u);
  EXPECT_EQ(sink_.Received("/slack-secret-path/limited"), 2u);
}

// A stop in the middle of a send that never answers: the send is cut, the alert stays
// pending, and the restarted server delivers it; the other channel's copy is not sent
// again.
TEST_P(ChannelsSqlite, ARestartMidDeliveryLosesNothingAndRepeatsNothingDelivered) {
  AddSlack("slow", "/slack-secret-path/slow");
  sink_.Set("/slack-secret-path/slow", Sink::Mode::kHang);
  Process& first = Serve();
  Signal("backup", "/fail");
  ASSERT_TRUE(telegram_.WaitForDelivered(1, milliseconds(2000)));
  auto until = Steady::now() + milliseconds(3000);
  while (sink_.Received("/slack-secret-path/slow") == 0 && Steady::now() < until) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_EQ(sink_.Received("/slack-secret-path/slow"), 1u);  // in flight, unanswered
  Stop(first);
  sink_.Set("/slack-secret-path/slow", Sink::Mode::kUp);
  Serve();
  ASSERT_TRUE(sink_.WaitDelivered("/slack-secret-path/slow", 1, seconds(10)));
  std::this_thread::sleep_for(milliseconds(700));
  const std::vector<std::string> slow = Texts(sink_.Delivered("/slack-secret-path/slow"));
  ASSERT_EQ(slow.size(), 1u);
  EXPECT_TRUE(StartsWith(slow[0], "❌ FAILED: `backup`")) << slow[0];
  EXPECT_EQ(telegram_.Delivered().size(), 1u);  // Telegram's copy: not sent again
}

// Telegram's buttons through `serve` (SPEC §14): the alert carries them, a press from the
// channel's chat snoozes the monitor and the message says who did it; a press from another
// chat changes nothing.
TEST_P(ChannelsSqlite, TelegramsSnoozeButtonSnoozesTheMonitorFromTheChannelsChatOnly) {
  Serve();
  Signal("backup", "/fail");
  ASSERT_TRUE(telegram_.WaitForDelivered(1, milliseconds(3000)));
  const TelegramMessage alert = telegram_.Delivered()[0];
  HttpClient client(port_);
  HttpResponse monitor = client.Authed("GET", "/monitors/backup", key_);
  ASSERT_EQ(monitor.status, 200u);
  const std::string uuid(monitor.json().at("uuid").as_string());
  EXPECT_THAT(alert.reply_markup, HasSubstr("snooze:" + uuid));
  EXPECT_THAT(alert.reply_markup, HasSubstr("pause:" + uuid));
  EXPECT_THAT(alert.reply_markup, HasSubstr("ack:" + uuid));

  // From a chat that is not the channel's: refused, nothing changes.
  TelegramPress stranger;
  stranger.token = kBotToken;
  stranger.data = "snooze:" + uuid;
  stranger.chat_id = 42;
  stranger.from.username = "mallory";
  telegram_.Press(stranger);
  // From the channel's chat.
  TelegramPress press = stranger;
  press.chat_id = std::stoll(kChatId);
  press.from.username = "alice";
  press.text = "FAILED: backup";
  telegram_.Press(press);
  ASSERT_TRUE(telegram_.WaitForEdits(1, milliseconds(10'000)));
  const TelegramEdit edit = telegram_.Edits()[0];
  EXPECT_THAT(edit.text, HasSubstr("Snoozed for 1 h by @alice"));
  EXPECT_EQ(telegram_.Edits().size(), 1u);  // the stranger's press edited nothing
  monitor = client.Authed("GET", "/monitors/backup", key_);
  ASSERT_EQ(monitor.status, 200u);
  EXPECT_TRUE(monitor.json().at("snoozed_until").is_int64()) << monitor.body;
}

}  // namespace
}  // namespace heartbeat::testing
