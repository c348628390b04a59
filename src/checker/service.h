#pragma once
// The in-process checker of `heartbeat serve`: one thread runs checker cycles, sleeping
// until the earliest check time (no fixed poll) or until Wake() reports an earlier one;
// another delivers the outbox as soon as alerts are queued or retries come due. Both
// look again at least once a second, for changes made by other processes.

#include <atomic>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <thread>

#include "checker/checker.h"
#include "checker/deliverer.h"

namespace heartbeat {

class CheckerService {
 public:
  // `deliverer` may be null: alerts are then queued and left pending.
  CheckerService(Checker& checker, Deliverer* deliverer, const Clock& clock);
  ~CheckerService();

  void Start();
  // Finishes the current cycle and sends in flight, then returns. Idempotent.
  void Stop();

  // A write made something due at `when` (Unix ms): wakes the checker if that is before
  // its planned wake-up. Cheap when it is not (two atomic loads, and a compare-and-swap
  // when `when` is the earliest of the cycle): safe on the ping path.
  void Wake(UnixMillis when);

 private:
  void CheckLoop();
  void DeliverLoop();
  void WakeDeliverer();
  template <class Pred>
  void SleepFor(std::condition_variable& cv, std::chrono::milliseconds d, Pred pred);

  Checker& checker_;
  Deliverer* deliverer_;
  const Clock& clock_;

  std::mutex mu_;
  std::condition_variable check_cv_;
  std::condition_variable deliver_cv_;
  bool stop_ = false;                   // guarded by mu_
  bool check_woken_ = false;            // guarded by mu_
  bool deliver_woken_ = false;          // guarded by mu_
  std::atomic<UnixMillis> planned_{0};  // when the checker plans to wake next
  // The earliest `when` passed to Wake since the current cycle began: a write made while
  // the checker looks for its next deadline may be missed by that look, and its Wake
  // (which sees the cycle's planned_, "now") does not wake anyone.
  std::atomic<UnixMillis> woken_for_{std::numeric_limits<UnixMillis>::max()};

  std::thread check_thread_;
  std::thread deliver_thread_;
};

}  // namespace heartbeat
