// The checker's figures for `make bench`:
//
//   alert_bench latency DIR        100 monitors due in the same second, a Telegram fake
//                                  that answers at once: time from each deadline to the
//                                  sent alert (median, max).
//   alert_bench wakeup DIR N [cron]
//                                  a store of N monitors: cost of a checker wake-up with 0
//                                  and with 100 monitors due. Leaves DIR/monitors-N.db for
//                                  the RSS measurement of a server on it. With `cron`, the
//                                  monitors follow cron schedules in four time zones, with
//                                  a grace, each deadline the schedule's next match.
//
// Prints one JSON object.

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "checker/checker.h"
#include "checker/deliverer.h"
#include "checker/service.h"
#include "core/clock.h"
#include "core/cron.h"
#include "core/time_zone.h"
#include "http_client/http_client.h"
#include "notify/channel.h"
#include "notify/channel_directory.h"
#include "notify/channel_notifier.h"
#include "notify/telegram.h"
#include "store/sqlite/sqlite_store.h"
#include "support/fake_telegram.h"
#include "support/loopback_http_server.h"

using namespace heartbeat;

namespace {

// Records when each alert was delivered.
class TimingNotifier final : public Notifier {
 public:
  explicit TimingNotifier(Notifier& inner) : inner_(inner) {}
  SendOutcome Send(const Alert& alert) override {
    SendOutcome out = inner_.Send(alert);
    if (out.kind == SendOutcome::Kind::kSent) {
      std::lock_guard lock(mu_);
      sent_.push_back({alert.slug, RealClock().Now()});
    }
    return out;
  }
  std::vector<std::pair<std::string, UnixMillis>> sent() {
    std::lock_guard lock(mu_);
    return sent_;
  }

 private:
  Notifier& inner_;
  std::mutex mu_;
  std::vector<std::pair<std::string, UnixMillis>> sent_;
};

bool Exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::fprintf(stderr, "sqlite: %s\n", err ? err : "?");
    sqlite3_free(err);
    return false;
  }
  return true;
}

// Inserts n monitors "job-0".. in one transaction with `sql`, whose ?1 is the slug;
// `bind(st, i)` binds the rest for monitor i.
template <class Bind>
bool InsertMonitors(const std::string& path, std::int64_t n, const char* sql, Bind bind) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return false;
  bool ok = Exec(db, "BEGIN");
  sqlite3_stmt* st = nullptr;
  ok = ok && sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK;
  for (std::int64_t i = 0; ok && i < n; ++i) {
    std::string slug = "job-" + std::to_string(i);
    sqlite3_bind_text(st, 1, slug.c_str(), -1, SQLITE_TRANSIENT);
    bind(st, i);
    ok = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  ok = ok && Exec(db, "COMMIT");
  sqlite3_close(db);
  return ok;
}

// Inserts n interval monitors with their deadline at `due` (check_at = due + 1).
bool Populate(const std::string& path, std::int64_t n, UnixMillis due, UnixMillis now) {
  return InsertMonitors(
      path, n,
      "INSERT INTO monitors (slug, interval_secs, last_ping, next_due, created_at, expires_at, "
      "check_at) VALUES (?1, 3600, ?2, ?3, ?2, ?2 + 7776000000, ?3 + 1)",
      [&](sqlite3_stmt* st, std::int64_t) {
        sqlite3_bind_int64(st, 2, now);
        sqlite3_bind_int64(st, 3, due);
      });
}

// Inserts n monitors on cron schedules (four expressions in four zones, a 15-minute
// grace), each due at its schedule's next match after `now`, as a ping at `now` leaves
// it. None of the matches is within the hour, so none is due during the bench.
bool PopulateScheduled(const std::string& path, std::int64_t n, UnixMillis now) {
  struct Kind {
    const char* expr;
    const char* tz;
    UnixMillis next = 0;
  };
  Kind kinds[] = {{"0 3 * * *", "Europe/Riga"},
                  {"30 2 * * 1-5", "America/New_York"},
                  {"0 4 1 * *", "Asia/Tokyo"},
                  {"15 5 * * 0", "UTC"}};
  for (Kind& k : kinds) {
    Result<CronSchedule> cron = CronSchedule::Parse(k.expr);
    Result<TimeZone> zone = TimeZone::Load(k.tz);
    if (!cron.ok() || !zone.ok()) return false;
    std::optional<UnixMillis> next = Next(*cron, *zone, now + 3'600'000);
    if (!next) return false;
    k.next = *next;
  }
  return InsertMonitors(
      path, n,
      "INSERT INTO monitors (slug, interval_secs, last_ping, next_due, created_at, expires_at, "
      "check_at, schedule, tz, grace_secs) VALUES (?1, 86400, ?2, ?3, ?2, ?2 + 7776000000, "
      "?3 + 900000 + 1, ?4, ?5, 900)",
      [&](sqlite3_stmt* st, std::int64_t i) {
        const Kind& k = kinds[i % 4];
        sqlite3_bind_int64(st, 2, now);
        sqlite3_bind_int64(st, 3, k.next);
        sqlite3_bind_text(st, 4, k.expr, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, k.tz, -1, SQLITE_STATIC);
      });
}

int Latency(const std::string& dir) {
  const std::string path = dir + "/latency.db";
  auto opened = SqliteStore::Open({.path = path});
  if (!opened.ok()) return 1;
  (*opened)->Close();  // schema created; populate beside it, then reopen
  const UnixMillis now = RealClock().Now();
  const UnixMillis deadline = (now / 1000 + 2) * 1000;  // all 100 in the same second
  if (!Populate(path, 100, deadline, now)) return 1;
  opened = SqliteStore::Open({.path = path});
  if (!opened.ok()) return 1;
  SqliteStore& store = **opened;

  testing::FakeTelegram telegram;
  CurlHttpClient http;
  TelegramNotifier telegram_notifier(
      http, {.api_url = telegram.url(), .bot_token = "bench", .chat_id = "1"});
  TimingNotifier notifier(telegram_notifier);
  Checker checker(store, RealClock(), {});
  Deliverer deliverer(store, notifier, RealClock(), DelivererOptions{.batch = 128});
  CheckerService service(checker, &deliverer, RealClock());
  service.Start();
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (notifier.sent().size() < 100 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  service.Stop();
  store.Close();
  std::vector<std::int64_t> latencies;
  for (auto& [slug, at] : notifier.sent()) latencies.push_back(at - deadline);
  std::sort(latencies.begin(), latencies.end());
  if (latencies.size() < 100) {
    std::fprintf(stderr, "only %zu of 100 alerts were delivered\n", latencies.size());
    return 1;
  }
  std::printf(
      "{\"monitors_due\":100,\"alerts_sent\":%zu,\"latency_median_ms\":%ld,"
      "\"latency_max_ms\":%ld}\n",
      latencies.size(), static_cast<long>(latencies[latencies.size() / 2]),
      static_cast<long>(latencies.back()));
  return 0;
}

// 100 monitors due in the same second, each alerting to 5 channels: the environment's
// Telegram (a fake that answers at once) and 4 webhooks on a loopback sink. With `hang`,
// one of the webhooks never answers (each of its sends waits its whole timeout): the
// other channels' latency must not move. Time from the deadline to each delivery, per
// channel; the hanging channel's are not waited for.
int ChannelLatency(const std::string& dir, bool hang) {
  const std::string path = dir + (hang ? "/channels-hang.db" : "/channels.db");
  std::remove(path.c_str());
  auto opened = SqliteStore::Open({.path = path});
  if (!opened.ok()) return 1;
  SqliteStore& store = **opened;
  testing::FakeTelegram telegram;
  testing::LoopbackHttpServer sink([](const testing::LoopbackRequest& r) {
    if (r.target.starts_with("/hang")) return testing::LoopbackReply::NeverAnswer();
    return testing::LoopbackReply::Ok("ok");
  });
  const UnixMillis now = RealClock().Now();
  const std::vector<std::string> webhooks = {"hook-a", "hook-b", "hook-c", "hook-d"};
  for (const std::string& name : webhooks) {
    Channel c;
    c.name = name;
    c.kind = ChannelKind::kWebhook;
    c.url = sink.url() + (hang && name == "hook-d" ? "/hang" : "/ok/" + name);
    c.body = R"({"text":"$MESSAGE"})";
    c.created_at = now;
    Status added =
        Await<void>([&](Callback<void> cb) { store.AddChannel(ToRecord(c), std::move(cb)); });
    if (!added.ok()) return 1;
  }
  Channel tg;
  tg.name = "telegram";
  tg.kind = ChannelKind::kTelegram;
  tg.bot_token = "123456:AAE-bench-token";
  tg.chat_id = "1";
  tg.from_environment = true;
  ChannelDirectory channels(tg);
  auto records = Await<std::vector<ChannelRecord>>(
      [&](Callback<std::vector<ChannelRecord>> cb) { store.ListChannels(std::move(cb)); });
  if (!records.ok()) return 1;
  channels.Replace(*records);
  store.Close();
  const UnixMillis deadline = (RealClock().Now() / 1000 + 2) * 1000;
  if (!Populate(path, 100, deadline, now)) return 1;
  opened = SqliteStore::Open({.path = path});
  if (!opened.ok()) return 1;
  SqliteStore& reopened = **opened;

  CurlHttpClient http;
  ChannelSendOptions send;
  send.telegram_api_url = telegram.url();
  send.webhook_timeout = std::chrono::milliseconds(10'000);
  ChannelNotifier channel_notifier(http, channels, send);
  struct Delivery {
    std::string channel;
    UnixMillis at;
  };
  std::mutex mu;
  std::vector<Delivery> delivered;
  class Timing final : public Notifier {
   public:
    Timing(Notifier& inner, std::mutex& mu, std::vector<Delivery>& out)
        : inner_(inner), mu_(mu), out_(out) {}
    SendOutcome Send(const Alert& alert) override {
      SendOutcome o = inner_.Send(alert);
      if (o.kind == SendOutcome::Kind::kSent) {
        std::lock_guard lock(mu_);
        out_.push_back({alert.channel, RealClock().Now()});
      }
      return o;
    }

   private:
    Notifier& inner_;
    std::mutex& mu_;
    std::vector<Delivery>& out_;
  } notifier(channel_notifier, mu, delivered);
  CheckerOptions checker_options;
  checker_options.channels_of = [&](std::string_view project) { return channels.Names(project); };
  Checker checker(reopened, RealClock(), checker_options);
  DelivererOptions deliverer_options;
  deliverer_options.batch = 128;
  if (const char* s = std::getenv("BENCH_SENDERS")) deliverer_options.senders = std::stoul(s);
  if (const char* s = std::getenv("BENCH_PER_CHANNEL"))
    deliverer_options.per_channel = std::stoul(s);
  Deliverer deliverer(reopened, notifier, RealClock(), deliverer_options);
  CheckerService service(checker, &deliverer, RealClock());
  service.Start();
  const std::size_t expected = hang ? 400 : 500;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  auto count = [&] {
    std::lock_guard lock(mu);
    return delivered.size();
  };
  while (count() < expected && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  http.CancelAll();  // the hanging sends end now
  service.Stop();
  deliverer.Stop();
  reopened.Close();
  std::vector<std::int64_t> latencies;
  {
    std::lock_guard lock(mu);
    for (const Delivery& d : delivered) {
      if (hang && d.channel == "hook-d") continue;
      latencies.push_back(d.at - deadline);
    }
  }
  std::sort(latencies.begin(), latencies.end());
  if (latencies.size() < expected) {
    std::fprintf(stderr, "only %zu of %zu alerts were delivered\n", latencies.size(), expected);
    return 1;
  }
  std::printf(
      "{\"monitors_due\":100,\"channels\":5,\"hanging_channel\":%s,\"measured_alerts\":%zu,"
      "\"latency_median_ms\":%ld,\"latency_max_ms\":%ld}\n",
      hang ? "true" : "false", latencies.size(), static_cast<long>(latencies[latencies.size() / 2]),
      static_cast<long>(latencies.back()));
  return 0;
}

double MeanCycleMillis(Checker& checker, int rounds, CycleStats* last) {
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < rounds; ++i) {
    Result<CycleStats> s = checker.RunCycle();
    (void)checker.NextDue();
    if (s.ok() && last != nullptr) *last = *s;
  }
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
             .count() /
         rounds;
}

int Wakeup(const std::string& dir, std::int64_t n, bool scheduled) {
  const std::string path =
      dir + "/monitors-" + std::to_string(n) + (scheduled ? "-cron" : "") + ".db";
  std::remove(path.c_str());
  {
    auto opened = SqliteStore::Open({.path = path});
    if (!opened.ok()) return 1;
  }
  const UnixMillis now = RealClock().Now();
  if (!(scheduled ? PopulateScheduled(path, n, now) : Populate(path, n, now + 3'600'000, now))) {
    return 1;
  }
  auto opened = SqliteStore::Open({.path = path});
  if (!opened.ok()) return 1;
  SqliteStore& store = **opened;
  Checker checker(store, RealClock(), {});
  CycleStats idle;
  double idle_ms = MeanCycleMillis(checker, 50, &idle);

  // Make 100 of them due now, as a deadline (and its grace) passing would.
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_busy_timeout(db, 5000);
  Exec(db, "UPDATE monitors SET next_due = " + std::to_string(now - 1000) +
               " - grace_secs * 1000, check_at = " + std::to_string(now - 999) +
               " WHERE slug IN (SELECT slug FROM monitors ORDER BY slug LIMIT 100)");
  sqlite3_close(db);
  CycleStats busy;
  double busy_ms = MeanCycleMillis(checker, 1, &busy);
  store.Close();
  std::printf(
      "{\"monitors\":%ld,\"schedules\":%s,\"wakeup_0_due_ms\":%.3f,\"examined_0_due\":%zu,"
      "\"wakeup_100_due_ms\":%.3f,\"examined_100_due\":%zu,\"alerts_queued\":%zu}\n",
      static_cast<long>(n), scheduled ? "\"cron\"" : "\"interval\"", idle_ms, idle.examined,
      busy_ms, busy.examined, busy.alerts_queued);
  return busy.alerts_queued == 100 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "latency" && argc == 3) return Latency(argv[2]);
  if (mode == "channels" && argc == 3) return ChannelLatency(argv[2], false);
  if (mode == "channels-hang" && argc == 3) return ChannelLatency(argv[2], true);
  if (mode == "wakeup" && argc == 4) return Wakeup(argv[2], std::stoll(argv[3]), false);
  if (mode == "wakeup" && argc == 5 && std::string(argv[4]) == "cron") {
    return Wakeup(argv[2], std::stoll(argv[3]), true);
  }
  std::fprintf(
      stderr,
      "usage: alert_bench latency|channels|channels-hang DIR | alert_bench wakeup DIR N [cron]\n");
  return 2;
}
