// `heartbeat serve`: the composition root of the server.

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>
#include <future>
#include <thread>

#include "app/commands.h"
#include "app/components.h"
#include "checker/check_pass.h"
#include "checker/service.h"
#include "http_client/http_client.h"
#include "http_server/api.h"
#include "http_server/key_cache.h"
#include "http_server/server.h"
#include "store/dynamo/dynamo_store.h"
#include "store/store_awaitable.h"

namespace heartbeat::app {

namespace asio = boost::asio;

namespace {

constexpr auto kKeyRefreshPeriod = std::chrono::milliseconds(500);
// How soon a channel added or removed on another replica is seen here.
constexpr auto kChannelRefreshPeriod = std::chrono::seconds(1);
constexpr auto kKeyUsePeriod = std::chrono::seconds(5);
constexpr auto kExpiryPeriod = std::chrono::seconds(10);
constexpr std::size_t kExpiryBatch = 5000;
// File descriptors kept out of the connection cap for everything else: SQLite's files, the
// DynamoDB client's connections (128 at most), Telegram sends, the event loops' own.
constexpr rlim_t kDescriptorReserve = 256;

// SPEC §8: the soft open-files limit raised to the hard one, as nginx's
// worker_rlimit_nofile and most servers do: a login shell's soft 1024 is far below the
// 10,000 connections a server is meant to hold. Returns the soft limit now in force.
rlim_t RaiseOpenFilesLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return RLIM_INFINITY;
  if (limit.rlim_cur != RLIM_INFINITY &&
      (limit.rlim_max == RLIM_INFINITY || limit.rlim_cur < limit.rlim_max)) {
    rlimit raised{limit.rlim_max, limit.rlim_max};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      limit = raised;
    } else {
      spdlog::warn("cannot raise the open-files limit from {} to the hard limit {}: {}",
                   limit.rlim_cur, limit.rlim_max, std::strerror(errno));
    }
  }
  return limit.rlim_cur;
}

// The connections the server may hold with `limit` descriptors: `wanted`, or what the limit
// leaves after the reserve (a quarter of a small limit).
std::size_t ConnectionCap(rlim_t limit, std::size_t wanted) {
  if (limit == RLIM_INFINITY) return wanted;
  rlim_t reserve = std::min(kDescriptorReserve, limit / 4);
  return static_cast<std::size_t>(std::min<rlim_t>(wanted, limit - reserve));
}
// How often serve asks the store whether it is lost for good (Store::Fatal), and how long
// it then goes on answering 503 before it stops: the requests in flight, and the clients
// and health checks of the next moments, get the reason rather than a refused connection.
constexpr auto kFatalPollPeriod = std::chrono::milliseconds(250);
constexpr auto kFatalGrace = std::chrono::seconds(2);
// How long a stop waits for the store before cutting what still waits on it
// (Store::Interrupt): SIGTERM ends the process within about this plus a second.
constexpr auto kStoreStopGrace = std::chrono::seconds(2);

// Runs `step` every `period` until the io_context stops.
template <class Step>
asio::awaitable<void> Every(std::chrono::milliseconds period, Step step) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    timer.expires_after(period);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    co_await step();
  }
}

}  // namespace

int RunServe(const Config& config) {
  // First, before the store and the clients open anything.
  const rlim_t open_files = RaiseOpenFilesLimit();
  auto opened = OpenStoreOrReport(config, CreateStore::kNo);
  if (!opened.ok()) return kExitFailure;
  std::unique_ptr<Store> store = std::move(*opened);
  Clock& clock = RealClock();

  KeyCache keys(*store);
  // The default project and its ping key (SPEC §13), for a store made before projects.
  if (Status s = Await<void>(
          [&](Callback<void> cb) { store->EnsureDefaultProject(clock.Now(), std::move(cb)); });
      !s.ok()) {
    spdlog::error("cannot make the default project: {}", s.error().message);
    return kExitFailure;
  }
  if (Status s = Await<void>([&](Callback<void> cb) { keys.Refresh(std::move(cb)); }); !s.ok()) {
    spdlog::error("cannot read API keys: {}", s.error().message);
    return kExitFailure;
  }
  if (auto* dynamo = dynamic_cast<DynamoStore*>(store.get())) {
    if (std::size_t clear = dynamo->ClearTextKeys(); clear > 0) {
      spdlog::warn(
          "{} API keys are stored in clear in {} (the original Rust service's keys table); "
          "they are accepted as they are: `heartbeat keys migrate` hashes them",
          clear, config.keys_table);
    }
  }
  if (keys.size() == 0) {
    spdlog::warn(
        "no API keys yet: every API request will get 401; create one with "
        "`heartbeat keys add --description NAME`");
  }
  Metrics metrics;
  if (auto* dynamo = dynamic_cast<DynamoStore*>(store.get())) {
    metrics.AddGauge("heartbeat_dynamodb_requests_in_flight", "Requests to DynamoDB in flight now.",
                     [dynamo] { return static_cast<double>(dynamo->InFlight()); });
    metrics.AddGauge("heartbeat_dynamodb_requests_in_flight_max",
                     "The most requests to DynamoDB in flight at once since start.",
                     [dynamo] { return static_cast<double>(dynamo->MaxInFlight()); });
    metrics.AddGauge("heartbeat_dynamodb_requests_on_connections",
                     "Requests to DynamoDB sent on a connection and awaiting the answer now.",
                     [dynamo] { return static_cast<double>(dynamo->OnConnections()); });
    metrics.AddGauge("heartbeat_dynamodb_requests_on_connections_max",
                     "The most requests to DynamoDB on connections at once since start.",
                     [dynamo] { return static_cast<double>(dynamo->MaxOnConnections()); });
  }
  CurlHttpClient http_client;
  // The channels (the environment's Telegram among them) and their sender.
  Result<app::Alerting> alerting = MakeAlerting(config, http_client, *store);
  if (!alerting.ok()) {
    spdlog::error("cannot read the channels: {}", alerting.error().message);
    return kExitFailure;
  }
  ChannelDirectory& channels = *alerting->channels;
  CheckerOptions checker_options = CheckerOptionsFrom(config, channels);
  checker_options.metrics = &metrics;
  Checker checker(*store, clock, checker_options);
  // The deliverer (its sending threads, its lease renewer) serves only the in-process
  // checker: `--no-checker` starts none of it.
  std::unique_ptr<Deliverer> deliverer;
  std::unique_ptr<CheckerService> service;
  if (!config.no_checker) {
    DelivererOptions deliverer_options;
    deliverer_options.metrics = &metrics;
    if (!alerting->environment_telegram) {
      deliverer_options.skip_channels = {std::string(kEnvironmentChannel)};
    }
    deliverer = std::make_unique<Deliverer>(*store, *alerting->notifier, clock, deliverer_options);
    if (!alerting->environment_telegram) {
      spdlog::warn(
          "Telegram is not configured (TELEGRAM_BOT_TOKEN, TELEGRAM_CHAT_ID): the default "
          "project's alerts to its channel `telegram` are kept pending, NOT delivered, until "
          "it is; other channels deliver as usual");
    }
    service = std::make_unique<CheckerService>(checker, deliverer.get(), clock);
    service->Start();
  }
  // Telegram's buttons (Snooze 1 h, Pause, Acknowledge): their presses, read by long
  // polling, with the in-process checker.
  std::unique_ptr<TelegramButtons> buttons;
  if (!config.no_checker) {
    buttons = MakeButtons(config, http_client, channels, *store, clock);
    buttons->Start();
  }

  http::ApiOptions api_options;
  if (service) api_options.on_write = [s = service.get()](UnixMillis t) { s->Wake(t); };
  api_options.metrics = &metrics;
  api_options.metrics_token = config.metrics_token;
  api_options.store_timeout = std::chrono::milliseconds(config.store_timeout_ms);
  api_options.ping_body_limit = config.ping_body_limit;
  api_options.public_url = config.public_url;
  api_options.channels = &channels;
  api_options.channel_tester = [notifier = alerting->notifier.get()](const Channel& c) {
    return notifier->SendTest(c);
  };
  http::Api api(*store, keys, clock, std::move(api_options));
  http::ServerOptions options;
  options.bind = config.bind_addr;
  options.threads = config.threads;
  if (std::size_t cap = ConnectionCap(open_files, options.max_connections);
      cap < options.max_connections) {
    spdlog::warn(
        "the open-files limit is {}: at most {} connections at once, not {}; "
        "idle keep-alive connections are closed to make room. Raise it with LimitNOFILE= "
        "(systemd), --ulimit nofile= (containers) or ulimit -Hn",
        open_files, cap, options.max_connections);
    options.max_connections = cap;
  }
  http::Server server(options, [&api](const http::Request& req, const http::RequestContext& ctx) {
    return api.Handle(req, ctx);
  });
  // SIGTERM and SIGINT are caught from before the server says it is listening: a stop
  // that follows that line at once (a supervisor, a test) is a clean shutdown, not a kill.
  // One that arrives before main_ioc runs waits in the signal set.
  asio::io_context main_ioc(1);
  asio::signal_set signals(main_ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("received signal {}, shutting down", signal);
    main_ioc.stop();
  });
  if (Status s = server.Start(); !s.ok()) {
    spdlog::error("{}", s.error().message);
    if (service) service->Stop();
    if (deliverer) deliverer->Stop();
    store->Close();
    return kExitFailure;
  }
  spdlog::info("heartbeat {} listening on {} (port {}), store {}", HEARTBEAT_VERSION,
               config.bind_addr, server.port(), config.store);

  // Housekeeping runs on the main thread, away from the I/O threads.
  asio::co_spawn(main_ioc,
                 Every(kKeyRefreshPeriod,
                       [&]() -> asio::awaitable<void> {
                         Status s = co_await AwaitStore<void>(
                             [&](Callback<void> cb) { keys.Refresh(std::move(cb)); });
                         if (!s.ok()) spdlog::warn("API key refresh failed: {}", s.error().message);
                       }),
                 asio::detached);
  asio::co_spawn(main_ioc,
                 Every(kChannelRefreshPeriod,
                       [&]() -> asio::awaitable<void> {
                         using Records = std::vector<ChannelRecord>;
                         Result<Records> records = co_await AwaitStore<Records>(
                             [&](Callback<Records> cb) { store->ListChannels(std::move(cb)); });
                         if (records.ok()) {
                           channels.Replace(*records);
                         } else {
                           spdlog::warn("channel refresh failed: {}", records.error().message);
                         }
                       }),
                 asio::detached);
  asio::co_spawn(main_ioc,
                 Every(kKeyUsePeriod,
                       [&]() -> asio::awaitable<void> {
                         Status s = co_await AwaitStore<void>(
                             [&](Callback<void> cb) { keys.FlushUses(std::move(cb)); });
                         if (!s.ok())
                           spdlog::warn("recording key use failed: {}", s.error().message);
                       }),
                 asio::detached);
  asio::co_spawn(main_ioc,
                 Every(kExpiryPeriod,
                       [&]() -> asio::awaitable<void> {
                         // One bounded batch a period, so expiry never holds the writer long.
                         Result<std::size_t> n =
                             co_await AwaitStore<std::size_t>([&](Callback<std::size_t> cb) {
                               store->DeleteExpired(clock.Now(), kExpiryBatch, std::move(cb));
                             });
                         if (!n.ok()) {
                           spdlog::warn("removing expired monitors failed: {}", n.error().message);
                         } else if (*n > 0) {
                           spdlog::info("removed {} expired monitors", *n);
                         }
                       }),
                 asio::detached);

  int exit_code = kExitOk;
  asio::co_spawn(
      main_ioc,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        std::optional<std::string> fatal;
        bool healthy = true;
        while (!(fatal = store->Fatal())) {
          // A store that fails and heals (a full disk that has room again) is logged as
          // it goes, once each way.
          if (healthy != store->Healthy()) {
            healthy = !healthy;
            if (healthy) {
              spdlog::info("the store answers again; /healthz is 200");
            } else {
              std::string why = store->LastFailure();
              spdlog::error(
                  "the store is failing{}{}; writes get 503 and /healthz 503 until it "
                  "answers again",
                  why.empty() ? "" : ": ", why);
            }
          }
          timer.expires_after(kFatalPollPeriod);
          auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
          if (ec) co_return;
        }
        spdlog::error(
            "the store is lost: {}. Every write is refused (503); stopping in {} s "
            "with exit code 1",
            *fatal, std::chrono::duration_cast<std::chrono::seconds>(kFatalGrace).count());
        exit_code = kExitFailure;
        timer.expires_after(kFatalGrace);
        (void)co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        main_ioc.stop();
      },
      asio::detached);

  main_ioc.run();

  // A store that stalls would hold each phase below for up to STORE_TIMEOUT (requests in
  // flight, the checker's pass, the key uses, Close): past a short grace its waiting
  // operations are cut, so that the process stops within a container runtime's grace.
  std::promise<void> store_closed;
  std::thread interrupter([&, closed = store_closed.get_future()] {
    if (closed.wait_for(kStoreStopGrace) == std::future_status::timeout) {
      spdlog::warn("the store has not finished within {} s of the stop: cutting what waits on it",
                   std::chrono::duration_cast<std::chrono::seconds>(kStoreStopGrace).count());
      store->Interrupt();
    }
  });
  server.Stop();
  // A send to a hung Telegram is cut rather than waited out (up to its 60 s timeout, past
  // a container runtime's stop grace): it ends as a failed attempt, so its alert stays
  // pending and goes out after the restart.
  alerting->stopping->store(true);
  http_client.CancelAll();
  if (buttons) buttons->Stop();
  if (service) service->Stop();
  // Its lease renewals end before the store closes.
  if (deliverer) deliverer->Stop();
  (void)Await<void>([&](Callback<void> cb) { keys.FlushUses(std::move(cb)); });
  store->Close();
  store_closed.set_value();
  interrupter.join();
  // A housekeeping step whose store operation was still in flight at the signal has had
  // its answer since (Close completes what it accepted), left in this thread's completion
  // inbox: hand it over now, while main_ioc still exists to resume that coroutine.
  main_ioc.restart();
  main_ioc.poll();
  spdlog::info("stopped");
  return exit_code;
}

}  // namespace heartbeat::app
