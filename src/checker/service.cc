#include "checker/service.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace heartbeat {
namespace {

constexpr std::chrono::milliseconds kMaxSleep{1000};
constexpr std::chrono::milliseconds kErrorPause{1000};

std::chrono::milliseconds Until(std::optional<UnixMillis> when, UnixMillis now) {
  if (!when) return kMaxSleep;
  return std::clamp(std::chrono::milliseconds(*when - now), std::chrono::milliseconds(0),
                    kMaxSleep);
}

}  // namespace

CheckerService::CheckerService(Checker& checker, Deliverer* deliverer, const Clock& clock)
    : checker_(checker), deliverer_(deliverer), clock_(clock) {}

CheckerService::~CheckerService() { Stop(); }

void CheckerService::Start() {
  check_thread_ = std::thread([this] { CheckLoop(); });
  if (deliverer_ != nullptr) {
    // A finished send may unblock the next alert of its monitor: look again.
    deliverer_->SetOnDone([this] { WakeDeliverer(); });
    deliver_thread_ = std::thread([this] { DeliverLoop(); });
  }
}

void CheckerService::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  check_cv_.notify_all();
  deliver_cv_.notify_all();
  if (check_thread_.joinable()) check_thread_.join();
  if (deliver_thread_.joinable()) deliver_thread_.join();
}

void CheckerService::Wake(UnixMillis when) {
  // Recorded first, then planned_ read: either the checker reads this after it planned
  // (and plans again), or this reads the new plan (and wakes it if it is too late).
  UnixMillis earliest = woken_for_.load();
  while (when < earliest && !woken_for_.compare_exchange_weak(earliest, when)) {
  }
  if (when >= planned_.load()) return;
  {
    std::lock_guard lock(mu_);
    check_woken_ = true;
  }
  check_cv_.notify_one();
}

void CheckerService::WakeDeliverer() {
  {
    std::lock_guard lock(mu_);
    deliver_woken_ = true;
  }
  deliver_cv_.notify_one();
}

template <class Pred>
void CheckerService::SleepFor(std::condition_variable& cv, std::chrono::milliseconds d, Pred pred) {
  std::unique_lock lock(mu_);
  cv.wait_for(lock, d, [&] { return stop_ || pred(); });
}

void CheckerService::CheckLoop() {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      check_woken_ = false;
    }
    // Anything that becomes due while this cycle runs must wake the next one.
    planned_.store(std::numeric_limits<UnixMillis>::min());
    woken_for_.store(std::numeric_limits<UnixMillis>::max());
    Result<CycleStats> stats = checker_.RunCycle();
    if (!stats.ok()) {
      spdlog::warn("checker cycle failed: {}", stats.error().message);
      planned_.store(clock_.Now() + kErrorPause.count());
      SleepFor(check_cv_, kErrorPause, [&] { return check_woken_; });
      continue;
    }
    if (stats->alerts_queued > 0) WakeDeliverer();
    Result<std::optional<UnixMillis>> next = checker_.NextDue();
    UnixMillis now = clock_.Now();
    std::chrono::milliseconds sleep = next.ok() ? Until(*next, now) : kErrorPause;
    planned_.store(now + sleep.count());
    // A write during this cycle that the look for the next deadline may have missed: its
    // Wake saw the cycle's planned_ and returned. Plan for it too.
    sleep = std::min(sleep, Until(woken_for_.load(), now));
    if (sleep.count() > 0) SleepFor(check_cv_, sleep, [&] { return check_woken_; });
  }
}

void CheckerService::DeliverLoop() {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) break;
      deliver_woken_ = false;
    }
    // Starts the sends and returns at once: a send that hangs holds up no other alert.
    Result<std::size_t> started = deliverer_->Dispatch();
    if (!started.ok()) {
      spdlog::warn("alert delivery failed: {}", started.error().message);
      SleepFor(deliver_cv_, kErrorPause, [&] { return deliver_woken_; });
      continue;
    }
    if (*started > 0) continue;  // more may be ready
    Result<std::optional<UnixMillis>> next = deliverer_->NextAttempt();
    std::chrono::milliseconds sleep =
        next.ok() ? std::max(Until(*next, clock_.Now()), std::chrono::milliseconds(5))
                  : kErrorPause;
    SleepFor(deliver_cv_, sleep, [&] { return deliver_woken_; });
  }
  deliverer_->WaitIdle();  // sends in flight finish (each has its timeout)
}

}  // namespace heartbeat
