#include "checker/service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>

namespace heartbeat {
namespace asio = boost::asio;
namespace {

constexpr std::chrono::milliseconds kMaxSleep{1000};
constexpr std::chrono::milliseconds kErrorPause{1000};
// Not less between two looks at the outbox when the next attempt is already due: the
// store's answer may run a few milliseconds behind a claim made elsewhere.
constexpr std::chrono::milliseconds kMinDeliverSleep{5};
// How often alerts ready for a channel that cannot take them now are looked at again.
constexpr std::chrono::milliseconds kBusyChannelPause{250};
// One for each loop: a long checker cycle never holds up delivery, nor the reverse.
constexpr int kThreads = 2;

std::chrono::milliseconds Until(std::optional<UnixMillis> when, UnixMillis now) {
  if (!when) return kMaxSleep;
  return std::clamp(std::chrono::milliseconds(*when - now), std::chrono::milliseconds(0),
                    kMaxSleep);
}

// The last net around a loop: it ends only on Stop, so an exception here is a bug.
auto LogEnd(const char* loop) {
  return [loop](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::critical("the {} loop ended: {}", loop, ex.what());
    }
  };
}

}  // namespace

CheckerService::CheckerService(Checker& checker, Deliverer* deliverer, const Clock& clock)
    : checker_(checker),
      deliverer_(deliverer),
      clock_(clock),
      ioc_(kThreads),
      check_strand_(asio::make_strand(ioc_)),
      deliver_strand_(asio::make_strand(ioc_)),
      check_timer_(check_strand_),
      deliver_timer_(deliver_strand_) {}

CheckerService::~CheckerService() { Stop(); }

void CheckerService::Start() {
  std::lock_guard lock(stop_mu_);
  if (started_ || stopped_) return;
  started_ = true;
  asio::co_spawn(check_strand_, CheckLoop(), LogEnd("checker"));
  if (deliverer_ != nullptr) {
    // A finished send frees a sender, and may unblock the next alert of its monitor.
    deliverer_->SetOnDone([this] { WakeDeliverer(); });
    asio::co_spawn(deliver_strand_, DeliverLoop(), LogEnd("delivery"));
  }
  // run() returns once both loops have ended: they are its only work.
  for (int i = 0; i < kThreads; ++i) threads_.emplace_back([this] { ioc_.run(); });
}

void CheckerService::Stop() {
  std::lock_guard lock(stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  // Set before the cancels are posted: a loop either sees it before it waits, or is
  // waiting when its cancel runs (on its strand, so never between its check and its wait).
  stop_.store(true);
  asio::post(check_strand_, [this] { check_timer_.cancel(); });
  asio::post(deliver_strand_, [this] { deliver_timer_.cancel(); });
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  if (deliverer_ != nullptr && started_) {
    deliverer_->WaitIdle();  // sends in flight finish (each has its timeout)
    deliverer_->SetOnDone(nullptr);
  }
}

void CheckerService::Wake(UnixMillis when) {
  // Recorded first, then planned_ read: either the checker reads this after it planned
  // (and plans again), or this reads the new plan (and wakes it if it is too late).
  UnixMillis earliest = woken_for_.load();
  while (when < earliest && !woken_for_.compare_exchange_weak(earliest, when)) {
  }
  if (when >= planned_.load()) return;
  Poke(check_woken_, check_strand_, check_timer_);
}

void CheckerService::WakeDeliverer() { Poke(deliver_woken_, deliver_strand_, deliver_timer_); }

void CheckerService::Poke(std::atomic<bool>& woken, const Executor& strand,
                          asio::steady_timer& timer) {
  // Already set: its setter's cancel is on its way, or the loop has not gone to sleep.
  if (woken.exchange(true)) return;
  // A cancel that arrives after the loop has woken by itself only makes its next wait end
  // early: one more look, never a missed one.
  asio::post(strand, [&timer] { timer.cancel(); });
}

asio::awaitable<void> CheckerService::Sleep(asio::steady_timer& timer,
                                            const std::atomic<bool>& woken,
                                            std::chrono::milliseconds d) {
  if (d.count() <= 0 || woken.load() || stop_.load()) co_return;
  timer.expires_after(d);
  // Cancelled (woken, stopped) or expired: either way, look again.
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<void> CheckerService::CheckLoop() {
  while (!stop_.load()) {
    check_woken_.store(false);
    // Anything that becomes due while this cycle runs must wake the next one.
    planned_.store(std::numeric_limits<UnixMillis>::min());
    woken_for_.store(std::numeric_limits<UnixMillis>::max());
    Result<CycleStats> stats = checker_.RunCycle();
    std::chrono::milliseconds sleep = kErrorPause;
    UnixMillis now;
    if (!stats.ok()) {
      spdlog::warn("checker cycle failed: {}", stats.error().message);
      now = clock_.Now();
    } else {
      if (stats->alerts_queued > 0) WakeDeliverer();
      Result<std::optional<UnixMillis>> next = checker_.NextDue();
      now = clock_.Now();
      if (next.ok()) sleep = Until(*next, now);
    }
    planned_.store(now + sleep.count());
    // A write during this cycle that the look for the next deadline may have missed: its
    // Wake saw the cycle's planned_ and returned. Plan for it too.
    sleep = std::min(sleep, Until(woken_for_.load(), now));
    co_await Sleep(check_timer_, check_woken_, sleep);
  }
}

asio::awaitable<void> CheckerService::DeliverLoop() {
  while (!stop_.load()) {
    deliver_woken_.store(false);
    // Starts the sends and returns at once: a send that hangs holds up no other alert.
    Result<std::size_t> started = deliverer_->Dispatch();
    std::chrono::milliseconds sleep = kErrorPause;
    if (!started.ok()) {
      spdlog::warn("alert delivery failed: {}", started.error().message);
    } else if (*started > 0) {
      continue;  // more may be ready
    } else if (deliverer_->FreeSenders() == 0) {
      sleep = kMaxSleep;  // a send that ends wakes this loop
    } else {
      Result<std::optional<UnixMillis>> next = deliverer_->NextAttempt();
      const UnixMillis now = clock_.Now();
      if (next.ok() && *next && **next <= now) {
        // Ready, and yet nothing was claimed: its channel is busy, waiting out a 429 or
        // skipped. A send that ends wakes this loop; the rest waits a little.
        sleep = kBusyChannelPause;
      } else if (next.ok()) {
        sleep = std::max(Until(*next, now), kMinDeliverSleep);
      }
    }
    co_await Sleep(deliver_timer_, deliver_woken_, sleep);
  }
}

}  // namespace heartbeat
