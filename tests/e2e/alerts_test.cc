// Alerts end to end: the real `heartbeat serve` / `heartbeat check` binaries, a real
// store (a SQLite file, or DynamoDB tables on dynalite made by `heartbeat store init`), and
// FakeTelegram (real HTTP on 127.0.0.1) as TELEGRAM_API_URL. Monitors
// are made overdue with `fail` and repeats come every second (ALERT_REPEAT_INTERVAL=1s),
// so no test waits for a 30-second interval.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "support/dynalite.h"
#include "support/fake_telegram.h"
#include "support/http_client.h"
#include "support/process.h"
#include "support/prometheus.h"
#include "support/store_kind.h"
#include "support/temp_dir.h"

namespace heartbeat::testing {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using ::testing::Not;
using Steady = std::chrono::steady_clock;

constexpr const char* kBotToken = "987654:AAE-e2e-bot-token-must-never-be-logged";
constexpr const char* kAwsSecret = "e2e-aws-secret-access-key-never-logged";

// "HH:MM UTC" of the wall clock now.
std::string ClockUtcNow() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d UTC", tm.tm_hour, tm.tm_min);
  return buf;
}

std::vector<std::string> Texts(const std::vector<TelegramMessage>& messages) {
  std::vector<std::string> out;
  for (const auto& m : messages) out.push_back(m.text);
  return out;
}

// Each of job-0..job-<n-1> got exactly one FAILED and then exactly one RECOVERED.
void ExpectEachFailedOnceThenRecoveredOnce(const std::vector<TelegramMessage>& got, int n) {
  EXPECT_EQ(got.size(), static_cast<std::size_t>(2 * n)) << ::testing::PrintToString(Texts(got));
  for (int i = 0; i < n; ++i) {
    const std::string slug = "`job-" + std::to_string(i) + "`";
    int failed = 0;
    int recovered = 0;
    int recovered_before_failed = 0;
    for (const TelegramMessage& m : got) {
      if (m.text.find(slug) == std::string::npos) continue;
      if (m.text.rfind("❌ FAILED: ", 0) == 0) ++failed;
      if (m.text.rfind("✅ RECOVERED: ", 0) == 0) {
        ++recovered;
        if (failed == 0) ++recovered_before_failed;
      }
    }
    EXPECT_EQ(failed, 1) << slug;
    EXPECT_EQ(recovered, 1) << slug;
    EXPECT_EQ(recovered_before_failed, 0) << slug;
  }
}

std::size_t CountLines(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (text.substr(start, end - start).find(needle) != std::string::npos) ++n;
    start = end + 1;
  }
  return n;
}

class Alerts : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override {
    if (GetParam() == StoreKind::kDynamo) {
      monitors_table_ = Dynalite::UniqueTableName("e2e-monitors");
      keys_table_ = Dynalite::UniqueTableName("e2e-keys");
      pings_table_ = Dynalite::UniqueTableName("e2e-pings");
      RunResult init = Run({"store", "init"}, Env());
      ASSERT_EQ(init.exit_code, 0) << init.err;
    }
  }
  ~Alerts() override {
    // Every line any run wrote: no bot token, no API key.
    for (Process* p : processes_) outputs_.push_back(p->Stderr() + p->Stdout());
    for (const std::string& out : outputs_) {
      EXPECT_THAT(out, Not(HasSubstr(kBotToken)));
      EXPECT_THAT(out, Not(HasSubstr("e2e-bot-token")));
      EXPECT_THAT(out, Not(HasSubstr(kAwsSecret)));  // SPEC §3: no AWS secret in a log
      if (!key_.empty()) {
        EXPECT_THAT(out, Not(HasSubstr(key_)));
      }
    }
  }

  std::map<std::string, std::string> Env(bool telegram = true, const std::string& repeat = "1s") {
    std::map<std::string, std::string> env{
        {"ALERT_REPEAT_INTERVAL", repeat},
        {"TELEGRAM_API_URL", telegram_.url()},
    };
    if (GetParam() == StoreKind::kSqlite) {
      env["HEARTBEAT_STORE"] = "sqlite:" + dir_.file("hb.db");
    } else {
      env["HEARTBEAT_STORE"] = "dynamodb";
      env["DYNAMODB_ENDPOINT"] = Dynalite::Shared().endpoint();
      env["AWS_REGION"] = "us-east-1";
      env["AWS_ACCESS_KEY_ID"] = "AKIDE2ETEST";
      env["AWS_SECRET_ACCESS_KEY"] = kAwsSecret;
      env["MONITORS_TABLE"] = monitors_table_;
      env["KEYS_TABLE"] = keys_table_;
      env["PINGS_TABLE"] = pings_table_;
    }
    if (telegram) {
      env["TELEGRAM_BOT_TOKEN"] = kBotToken;
      env["TELEGRAM_CHAT_ID"] = kChatId;
    }
    return env;
  }

  RunResult Run(std::vector<std::string> args, std::map<std::string, std::string> env) {
    RunResult r = RunHeartbeat(std::move(args), std::move(env), dir_.path());
    outputs_.push_back(r.err);
    return r;
  }
  RunResult Check(std::map<std::string, std::string> env) { return Run({"check"}, std::move(env)); }

  void AddKey() {
    RunResult r = Run({"keys", "add", "--description", "alerts e2e"}, Env());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    key_ = r.out.substr(0, r.out.find('\n'));
    ASSERT_EQ(key_.size(), 64u);
  }

  // Starts `serve` on a free port; returns the process (kept for the log check) and sets
  // port_.
  Process& Serve(std::map<std::string, std::string> env, std::vector<std::string> flags = {}) {
    Served served = StartServe(std::move(env), dir_.path(), {.flags = std::move(flags)});
    owned_.push_back(std::move(served.process));
    Process& p = *owned_.back();
    processes_.push_back(&p);
    port_ = served.port;
    EXPECT_NE(port_, 0) << p.Stderr();
    return p;
  }
  void Stop(Process& p) {
    p.Signal(SIGTERM);
    EXPECT_EQ(p.Wait(milliseconds(10'000)), 0) << p.Stderr();
  }

  HttpResponse Post(const std::string& target) {
    HttpClient client(port_);
    return client.Authed("POST", target, key_);
  }
  HttpResponse Fail(const std::string& slug) {
    HttpResponse r = Post("/heartbeat/" + slug + "/fail");
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.body, R"({"ok":true,"status":"overdue"})");
    return r;
  }
  HttpResponse PingSlug(const std::string& slug) {
    HttpResponse r = Post("/heartbeat/" + slug);
    EXPECT_EQ(r.status, 200u) << r.body;
    return r;
  }

  // Waits until `n` messages were delivered; returns how long that took.
  std::optional<milliseconds> WaitDelivered(std::size_t n, milliseconds timeout) {
    auto start = Steady::now();
    if (!telegram_.WaitForDelivered(n, timeout)) return std::nullopt;
    return std::chrono::duration_cast<milliseconds>(Steady::now() - start);
  }

  TempDir dir_;
  FakeTelegram telegram_;
  std::string key_;
  unsigned short port_ = 0;
  std::vector<std::string> outputs_;
  std::vector<Process*> processes_;
  std::vector<std::unique_ptr<Process>> owned_;  // killed first when the test ends
  std::string monitors_table_;                   // DynamoDB
  std::string keys_table_;
  std::string pings_table_;
};

INSTANTIATE_TEST_SUITE_P(Stores, Alerts, BothStores(), StoreKindParamName);

TEST_P(Alerts, FailRepeatAndRecoveryArriveOnTimeWithTheSpecTexts) {
  AddKey();
  Process& serve = Serve(Env(true, "1s"));
  std::this_thread::sleep_for(milliseconds(200));

  const std::string before = ClockUtcNow();
  auto failed_at = Steady::now();
  Fail("nightly");
  const std::string after = ClockUtcNow();
  ASSERT_TRUE(telegram_.WaitForDelivered(1, milliseconds(1000))) << "no FAILED message within 1 s\n"
                                                                 << serve.Stderr();
  auto first_arrived = Steady::now();
  EXPECT_LT(first_arrived - failed_at, milliseconds(1000));
  std::vector<TelegramMessage> got = telegram_.Delivered();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].token, kBotToken);
  EXPECT_EQ(got[0].chat_id, kChatId);
  EXPECT_EQ(got[0].parse_mode, "MarkdownV2");
  EXPECT_THAT(got[0].text,
              ::testing::AnyOf("❌ FAILED: `nightly` \\| reported failure at " + before,
                               "❌ FAILED: `nightly` \\| reported failure at " + after));

  // The repeat, one ALERT_REPEAT_INTERVAL after the first alert was decided (at or after
  // the fail), delivered within a second of that. Not measured from the first alert's
  // arrival: its delivery took part of the interval (up to 450 ms under load).
  ASSERT_TRUE(telegram_.WaitForDelivered(2, milliseconds(2500))) << serve.Stderr();
  auto repeat_arrived = Steady::now();
  EXPECT_GT(repeat_arrived - failed_at, milliseconds(950));
  EXPECT_LT(repeat_arrived - first_arrived, milliseconds(2000));
  got = telegram_.Delivered();
  EXPECT_EQ(got[1].text, "⚠️ STILL OVERDUE: `nightly` \\| down 1s");

  // Back: the recovery notice at once, then quiet (ok again, next deadline in 5 m).
  auto pinged = Steady::now();
  HttpResponse ping = PingSlug("nightly");
  EXPECT_THAT(ping.body, HasSubstr(R"("status":"ok")"));
  std::size_t so_far = got.size();
  ASSERT_TRUE(telegram_.WaitForDelivered(so_far + 1, milliseconds(1000))) << serve.Stderr();
  EXPECT_LT(Steady::now() - pinged, milliseconds(1000));
  got = telegram_.Delivered();
  std::smatch m;
  const std::string recovered = got.back().text;
  ASSERT_TRUE(std::regex_match(
      recovered, m, std::regex("✅ RECOVERED: `nightly` \\\\\\(was down ([0-9]+)s\\\\\\)")))
      << recovered;
  EXPECT_GE(std::stoi(m[1]), 1);
  EXPECT_LE(std::stoi(m[1]), 3);
  std::this_thread::sleep_for(milliseconds(1500));
  EXPECT_EQ(telegram_.Delivered().size(), so_far + 1)
      << ::testing::PrintToString(Texts(telegram_.Delivered()));
  Stop(serve);
}

TEST_P(Alerts, TelegramDownDuringFailDeliversOnceWhenItIsBack) {
  AddKey();
  telegram_.Down();
  Process& serve = Serve(Env(true, "1h"));
  Fail("etl");
  EXPECT_TRUE(serve.WaitForStderr("alert not delivered", milliseconds(3000))) << serve.Stderr();
  std::this_thread::sleep_for(milliseconds(700));
  telegram_.Up();
  ASSERT_TRUE(telegram_.WaitForDelivered(1, milliseconds(6000))) << serve.Stderr();
  EXPECT_THAT(telegram_.Delivered()[0].text, HasSubstr("❌ FAILED: `etl` \\| reported failure at "));
  std::this_thread::sleep_for(milliseconds(2000));
  EXPECT_EQ(telegram_.Delivered().size(), 1u)
      << ::testing::PrintToString(Texts(telegram_.Delivered()));
  Stop(serve);
}

// SPEC §8: SIGTERM stops within 5 s even with a send hanging (a container runtime kills
// after its 10 s grace); the send is cut, and its alert stays pending for the restart.
TEST_P(Alerts, SigtermStopsWithinFiveSecondsWhileASendHangsAndTheAlertGoesOutAfterRestart) {
  AddKey();
  // Telegram takes the request and answers nothing for 9 s: past the 5 s a stop may take,
  // well within the 60 s send timeout.
  telegram_.SetDefault(TelegramReply{500, 0, milliseconds(9'000), "hung"});
  Process& serve = Serve(Env());
  Fail("hung-send");
  ASSERT_TRUE(telegram_.WaitForRequests(1, milliseconds(10'000)));
  const auto signalled = Steady::now();
  serve.Signal(SIGTERM);
  EXPECT_EQ(serve.Wait(milliseconds(15'000)), 0) << serve.Stderr();
  EXPECT_LT(Steady::now() - signalled, milliseconds(5'000)) << serve.Stderr();
  EXPECT_TRUE(telegram_.Delivered().empty());

  telegram_.SetDefault(TelegramReply{});
  Process& again = Serve(Env());
  ASSERT_TRUE(WaitDelivered(1, milliseconds(15'000)).has_value()) << again.Stderr();
  std::vector<TelegramMessage> got = telegram_.Delivered();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_THAT(got[0].text, HasSubstr("FAILED: `hung-send`"));
  Stop(again);
}

// SPEC §12 against the real binary, on SQLite and DynamoDB: a ping sets a schedule, zone and
// grace; a plain ping keeps them (the stores' fast ping must leave a scheduled monitor to
// core); a restart finds them as they were.
TEST_P(Alerts, AScheduleZoneAndGraceSurviveAPlainPingAndARestart) {
  AddKey();
  Process& serve = Serve(Env());
  HttpResponse set = Post("/heartbeat/nightly?schedule=0+3+*+*+*&tz=Europe/Riga&grace=15m");
  ASSERT_EQ(set.status, 200u) << set.body;
  auto monitor = [&] {
    HttpClient client(port_);
    HttpResponse r = client.Authed("GET", "/monitors/nightly", key_);
    EXPECT_EQ(r.status, 200u) << r.body;
    return r.json().as_object();
  };
  boost::json::object m = monitor();
  EXPECT_EQ(m.at("schedule"), boost::json::value("0 3 * * *"));
  EXPECT_EQ(m.at("tz"), boost::json::value("Europe/Riga"));
  EXPECT_EQ(m.at("grace_secs"), boost::json::value(900));
  const std::int64_t next_due = m.at("next_due").as_int64();
  EXPECT_EQ(m.at("alert_at").as_int64(), next_due + 900);
  // 03:00 in Riga is 00:00 or 01:00 UTC (summer or winter time), within the next day.
  EXPECT_EQ(next_due % 3600, 0);
  EXPECT_TRUE((next_due / 3600) % 24 == 0 || (next_due / 3600) % 24 == 1) << next_due;

  HttpResponse plain = PingSlug("nightly");
  EXPECT_THAT(plain.body, HasSubstr(R"("status":"ok")"));
  boost::json::object after = monitor();
  EXPECT_EQ(after.at("schedule"), boost::json::value("0 3 * * *"));
  EXPECT_EQ(after.at("next_due").as_int64(), next_due);
  Stop(serve);

  Serve(Env());
  boost::json::object restarted = monitor();
  EXPECT_EQ(restarted.at("schedule"), boost::json::value("0 3 * * *"));
  EXPECT_EQ(restarted.at("tz"), boost::json::value("Europe/Riga"));
  EXPECT_EQ(restarted.at("grace_secs"), boost::json::value(900));
  EXPECT_EQ(restarted.at("next_due").as_int64(), next_due);
}

// A Telegram that is slow but working: sendMessage answers 200 only after 20 s. The send
// waits for the answer (the timeout is 60 s) and the message arrives once; a send timeout
// shorter than the answer (it was 15 s) cut it and sent it again, one copy per attempt.
// On SQLite only: ~21 s of waiting, once, and the store plays no part in it.
// SPEC §12: a run that has not ended max_runtime after its start alerts once (the repeat
// interval is an hour here), with its start and how long it has run, and its end is the
// recovery. max_runtime's least value is 30 s, so this test waits that long.
TEST_P(Alerts, ARunPastItsMaxRuntimeAlertsRunTimedOutOnceAndItsEndRecovers) {
  AddKey();
  Process& serve = Serve(Env(true, "1h"));
  std::this_thread::sleep_for(milliseconds(200));

  const std::string before = ClockUtcNow();
  auto started = Steady::now();
  HttpResponse start = Post("/heartbeat/backup/start?max_runtime=30s");
  ASSERT_EQ(start.status, 200u) << start.body;
  EXPECT_EQ(start.body, R"({"ok":true,"running":true,"status":"ok"})");
  const std::string after = ClockUtcNow();

  // Nothing while the run is within its limit; the alert within a second after it.
  EXPECT_FALSE(telegram_.WaitForDelivered(1, milliseconds(29'000)))
      << ::testing::PrintToString(Texts(telegram_.Delivered()));
  ASSERT_TRUE(telegram_.WaitForDelivered(1, milliseconds(3'000)))
      << "no RUN TIMED OUT within 32 s of the start\n"
      << serve.Stderr();
  EXPECT_GE(Steady::now() - started, milliseconds(30'000));
  std::vector<TelegramMessage> got = telegram_.Delivered();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].parse_mode, "MarkdownV2");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(
      got[0].text, m,
      std::regex("⏱️ RUN TIMED OUT: `backup` \\\\\\| started ([0-9:]+ UTC) \\\\\\| running "
                 "(3[0-2])s \\\\\\(max 30s\\\\\\)")))
      << got[0].text;
  EXPECT_THAT(m[1].str(), ::testing::AnyOf(before, after));

  // The monitor says so, and the run's end brings it back with one RECOVERED.
  HttpClient client(port_);
  HttpResponse monitor = client.Authed("GET", "/monitors/backup", key_);
  EXPECT_THAT(monitor.body, HasSubstr(R"("status":"overdue")"));
  EXPECT_THAT(monitor.body, HasSubstr(R"("running":true)"));
  HttpResponse end = PingSlug("backup");
  EXPECT_THAT(end.body, HasSubstr(R"("status":"ok")"));
  ASSERT_TRUE(telegram_.WaitForDelivered(2, milliseconds(1000))) << serve.Stderr();
  got = telegram_.Delivered();
  EXPECT_THAT(got[1].text, ::testing::StartsWith("✅ RECOVERED: `backup` \\(was down "));
  std::this_thread::sleep_for(milliseconds(1500));
  EXPECT_EQ(telegram_.Delivered().size(), 2u)
      << ::testing::PrintToString(Texts(telegram_.Delivered()));
  Stop(serve);
}

class SlowTelegram : public Alerts {};
INSTANTIATE_TEST_SUITE_P(Stores, SlowTelegram, ::testing::Values(StoreKind::kSqlite),
                         StoreKindParamName);

TEST_P(SlowTelegram, ATelegramAnsweringAfterTwentySecondsGetsOneCopyOfTheAlert) {
  AddKey();
  telegram_.SetDefault(TelegramReply::Slow(milliseconds(20'000)));
  Process& serve = Serve(Env(true, "1h"));
  Fail("slow-telegram");
  ASSERT_TRUE(telegram_.WaitForRequests(1, milliseconds(5'000))) << serve.Stderr();
  const auto received = Steady::now();
  // Its answer comes 20 s after the request; the send is recorded just after.
  ASSERT_TRUE(telegram_.WaitForDelivered(1, milliseconds(25'000))) << serve.Stderr();
  EXPECT_GE(Steady::now() - received, milliseconds(19'000));
  EXPECT_TRUE(serve.WaitForStderr("alert sent: ", milliseconds(3'000))) << serve.Stderr();
  EXPECT_EQ(telegram_.Requests(), 1u) << "Telegram got the message more than once\n"
                                      << serve.Stderr();
  EXPECT_EQ(CountLines(serve.Stderr(), "alert not delivered"), 0u) << serve.Stderr();
  ASSERT_EQ(telegram_.Delivered().size(), 1u);
  EXPECT_THAT(telegram_.Delivered()[0].text, HasSubstr("❌ FAILED: `slow-telegram`"));
  Stop(serve);
}

TEST_P(Alerts, PendingAlertSurvivesKillMinusNineAndIsDeliveredOnceAfterRestart) {
  AddKey();
  telegram_.Down();
  Process& first = Serve(Env(true, "1h"));
  Fail("billing");
  EXPECT_TRUE(first.WaitForStderr("alert not delivered", milliseconds(3000))) << first.Stderr();
  std::this_thread::sleep_for(milliseconds(300));  // the retry is recorded; none in flight
  first.Signal(SIGKILL);
  EXPECT_EQ(first.Wait(milliseconds(5000)), 128 + SIGKILL);
  EXPECT_TRUE(telegram_.Delivered().empty());

  telegram_.Up();
  Process& second = Serve(Env(true, "1h"));
  ASSERT_TRUE(telegram_.WaitForDelivered(1, milliseconds(6000))) << second.Stderr();
  EXPECT_THAT(telegram_.Delivered()[0].text,
              HasSubstr("❌ FAILED: `billing` \\| reported failure at "));
  std::this_thread::sleep_for(milliseconds(2000));
  EXPECT_EQ(telegram_.Delivered().size(), 1u)
      << ::testing::PrintToString(Texts(telegram_.Delivered()));
  Stop(second);
}

TEST_P(Alerts, ServeAndAConcurrentCheckLoopSendEveryAlertExactlyOnce) {
  AddKey();
  Process& serve = Serve(Env(true, "1h"));
  std::atomic<bool> stop{false};
  std::vector<int> exit_codes;
  std::vector<std::string> check_errs;
  std::thread checks([&] {
    while (!stop.load()) {
      RunResult r = RunHeartbeat({"check"}, Env(true, "1h"), dir_.path());
      exit_codes.push_back(r.exit_code);
      check_errs.push_back(r.err);
    }
  });
  // Slow answers and staggered fails, so that sends of both processes overlap.
  telegram_.SetDefault(TelegramReply::Slow(milliseconds(40)));
  constexpr int kMonitors = 8;
  for (int i = 0; i < kMonitors; ++i) {
    Fail("job-" + std::to_string(i));
    std::this_thread::sleep_for(milliseconds(30));
  }
  bool failed_all = telegram_.WaitForDelivered(kMonitors, milliseconds(8000));
  for (int i = 0; i < kMonitors; ++i) {
    PingSlug("job-" + std::to_string(i));
    std::this_thread::sleep_for(milliseconds(30));
  }
  bool recovered_all = telegram_.WaitForDelivered(2 * kMonitors, milliseconds(8000));
  std::this_thread::sleep_for(milliseconds(1500));  // room for a duplicate to show up
  stop = true;
  checks.join();
  for (const std::string& e : check_errs) outputs_.push_back(e);
  EXPECT_TRUE(failed_all);
  EXPECT_TRUE(recovered_all);

  ExpectEachFailedOnceThenRecoveredOnce(telegram_.Delivered(), kMonitors);
  std::size_t sent_by_check = 0;
  for (const std::string& e : check_errs) sent_by_check += CountLines(e, "alert sent:");
  RecordProperty("alerts_sent_by_check", static_cast<int>(sent_by_check));
  EXPECT_GE(exit_codes.size(), 3u);
  for (std::size_t i = 0; i < exit_codes.size(); ++i) {
    EXPECT_EQ(exit_codes[i], 0) << check_errs[i];
  }
  Stop(serve);
}

// Two replicas of the API, each with its in-process checker, on one store: the distributed
// deployment. Every alert goes out exactly once, whichever replica got the signal.
TEST_P(Alerts, TwoServersOnOneStoreSendEveryAlertExactlyOnce) {
  AddKey();
  Process& a = Serve(Env(true, "1h"));
  const unsigned short port_a = port_;
  Process& b = Serve(Env(true, "1h"));
  const unsigned short port_b = port_;
  // Slow answers, so that both replicas' senders are busy at once.
  telegram_.SetDefault(TelegramReply::Slow(milliseconds(40)));
  constexpr int kMonitors = 10;
  for (int i = 0; i < kMonitors; ++i) {
    port_ = i % 2 == 0 ? port_a : port_b;
    Fail("job-" + std::to_string(i));
  }
  bool failed_all = telegram_.WaitForDelivered(kMonitors, milliseconds(10'000));
  for (int i = 0; i < kMonitors; ++i) {
    port_ = i % 2 == 0 ? port_b : port_a;  // the recovery reaches the other replica
    PingSlug("job-" + std::to_string(i));
  }
  bool recovered_all = telegram_.WaitForDelivered(2 * kMonitors, milliseconds(10'000));
  std::this_thread::sleep_for(milliseconds(1500));  // room for a duplicate to show up
  EXPECT_TRUE(failed_all);
  EXPECT_TRUE(recovered_all);
  ExpectEachFailedOnceThenRecoveredOnce(telegram_.Delivered(), kMonitors);
  // Both replicas did their share of the sending (each is woken by its own signals).
  std::size_t sent_a = CountLines(a.Stderr(), "alert sent:");
  std::size_t sent_b = CountLines(b.Stderr(), "alert sent:");
  EXPECT_EQ(sent_a + sent_b, static_cast<std::size_t>(2 * kMonitors));
  Stop(a);
  Stop(b);
}

TEST_P(Alerts, CheckExitsZeroWhenAllWentOutAndOneWhenTelegramFailed) {
  AddKey();
  // The API only; alerts are left to `heartbeat check`.
  Process& api = Serve(Env(true, "1h"), {"--no-checker"});

  RunResult idle = Check(Env());
  EXPECT_EQ(idle.exit_code, 0) << idle.err;

  Fail("a");
  telegram_.Enqueue(TelegramReply::ServerError());
  RunResult failing = Check(Env(true, "1h"));
  EXPECT_EQ(failing.exit_code, 1) << failing.err;
  EXPECT_TRUE(telegram_.Delivered().empty());
  EXPECT_EQ(telegram_.Requests(), 1u);

  std::this_thread::sleep_for(milliseconds(1100));  // past the first backoff (≤ 1 s)
  RunResult ok = Check(Env(true, "1h"));
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  ASSERT_EQ(telegram_.Delivered().size(), 1u);
  EXPECT_THAT(telegram_.Delivered()[0].text, HasSubstr("❌ FAILED: `a` \\| reported failure at "));

  // A 400: logged loudly, kept out of the queue, not retried.
  Fail("b");
  telegram_.Enqueue(TelegramReply::BadRequest());
  RunResult rejected = Check(Env(true, "1h"));
  EXPECT_EQ(rejected.exit_code, 1) << rejected.err;
  EXPECT_EQ(CountLines(rejected.err, "REJECTED"), 1u) << rejected.err;
  EXPECT_THAT(rejected.err, HasSubstr("error"));
  std::size_t requests = telegram_.Requests();
  RunResult after = Check(Env(true, "1h"));
  EXPECT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(telegram_.Requests(), requests);
  Stop(api);
}

TEST_P(Alerts, WithoutTelegramServeWarnsOnceKeepsAlertsAndDeliversThemOnceConfigured) {
  AddKey();
  Process& bare = Serve(Env(false, "1h"));
  EXPECT_EQ(CountLines(bare.Stderr(), "NOT delivered"), 1u) << bare.Stderr();
  EXPECT_EQ(CountLines(bare.Stderr(), "warn"), 1u) << bare.Stderr();

  Fail("report");
  EXPECT_TRUE(bare.WaitForStderr("alert queued", milliseconds(2000))) << bare.Stderr();
  std::this_thread::sleep_for(milliseconds(1200));
  EXPECT_EQ(CountLines(bare.Stderr(), "NOT delivered"), 1u) << bare.Stderr();
  EXPECT_EQ(telegram_.Requests(), 0u);

  // Still pending, as `heartbeat check` (also without Telegram) reports.
  RunResult pending = Check(Env(false, "1h"));
  EXPECT_EQ(pending.exit_code, 1) << pending.err;
  EXPECT_THAT(pending.err, HasSubstr("1 alert(s) pending"));
  Stop(bare);

  Process& configured = Serve(Env(true, "1h"));
  ASSERT_TRUE(telegram_.WaitForDelivered(1, milliseconds(3000))) << configured.Stderr();
  EXPECT_THAT(telegram_.Delivered()[0].text,
              HasSubstr("❌ FAILED: `report` \\| reported failure at "));
  EXPECT_EQ(CountLines(configured.Stderr(), "NOT delivered"), 0u);
  std::this_thread::sleep_for(milliseconds(1000));
  EXPECT_EQ(telegram_.Delivered().size(), 1u);
  Stop(configured);
}

}  // namespace
}  // namespace heartbeat::testing

namespace heartbeat::testing {
namespace {

// SPEC §10: the counters of /metrics move with pings and alerts of the real server.
TEST_P(Alerts, MetricsCountPingsAndAlerts) {
  AddKey();
  Process& serve = Serve(Env(true, "1h"));
  PingSlug("web");
  Fail("backup");
  ASSERT_TRUE(telegram_.WaitForDelivered(1, milliseconds(2000))) << serve.Stderr();
  // The delivery is recorded right after Telegram's answer.
  Exposition e;
  for (int i = 0; i < 50; ++i) {
    HttpClient client(port_);
    HttpResponse res = client.Request("GET", "/metrics");
    ASSERT_EQ(res.status, 200u);
    e = ParsePrometheus(res.body);
    ASSERT_EQ(e.error, "");
    if (e.Value("heartbeat_alerts_total", {{"kind", "failed"}, {"result", "sent"}}) == 1.0 &&
        e.Value("heartbeat_alerts_pending") == 0.0) {
      break;
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(e.Value("heartbeat_pings_total"), 1.0);
  EXPECT_EQ(e.Value("heartbeat_alerts_total", {{"kind", "failed"}, {"result", "sent"}}), 1.0);
  EXPECT_EQ(e.Value("heartbeat_alerts_total", {{"kind", "overdue"}, {"result", "sent"}}), 0.0);
  EXPECT_EQ(e.Value("heartbeat_alerts_pending"), 0.0);
  EXPECT_EQ(e.Value("heartbeat_monitors", {{"status", "ok"}}), 1.0);
  EXPECT_EQ(e.Value("heartbeat_monitors", {{"status", "overdue"}}), 1.0);
  EXPECT_GE(e.Value("heartbeat_checker_cycle_seconds_count").value_or(0), 1.0);
  if (GetParam() == StoreKind::kDynamo) {
    // The requests to DynamoDB: at least the ping's and fail's were in flight and on a
    // connection at some point, none is now that everything was answered; never more on
    // connections than in flight.
    std::optional<double> in_flight_max = e.Value("heartbeat_dynamodb_requests_in_flight_max");
    std::optional<double> on_conn_max = e.Value("heartbeat_dynamodb_requests_on_connections_max");
    ASSERT_TRUE(in_flight_max && on_conn_max);
    EXPECT_GE(*on_conn_max, 1.0);
    EXPECT_LE(*on_conn_max, *in_flight_max);
    EXPECT_TRUE(e.Value("heartbeat_dynamodb_requests_in_flight").has_value());
    EXPECT_TRUE(e.Value("heartbeat_dynamodb_requests_on_connections").has_value());
  } else {
    EXPECT_FALSE(e.Value("heartbeat_dynamodb_requests_in_flight_max").has_value());
  }

  // Telegram fails: the failure is counted, the alert stays pending.
  telegram_.SetDefault(TelegramReply::ServerError());
  Fail("db");
  for (int i = 0; i < 100; ++i) {
    HttpClient client(port_);
    e = ParsePrometheus(client.Request("GET", "/metrics").body);
    if (e.Value("heartbeat_alerts_total", {{"kind", "failed"}, {"result", "failed"}}) >= 1.0) {
      break;
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_GE(e.Value("heartbeat_alerts_total", {{"kind", "failed"}, {"result", "failed"}}), 1.0);
  EXPECT_EQ(e.Value("heartbeat_alerts_pending"), 1.0);
  Stop(serve);
}

}  // namespace
}  // namespace heartbeat::testing
