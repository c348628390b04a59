#pragma once
// The in-process checker of `heartbeat serve`: two coroutines on an io_context that the
// service owns. The check loop runs checker cycles and then waits on a timer until the
// earliest check time (no fixed poll) or until Wake() reports an earlier one; the deliver
// loop dispatches the outbox as soon as alerts are queued, a sender is free again or a
// retry comes due. Both look again at least once a second, for changes made by other
// processes.
//
// Threads: the io_context is run by two threads, and each loop (with its timer) is on a
// strand of its own, so the loops run one step at a time each and never wait for each
// other. Their steps block on the store (Checker::RunCycle, Deliverer::Dispatch): that
// is allowed here because store callbacks run on the store's own threads, never on this
// io_context; nothing else runs on it. Sends run on the Deliverer's own pool of sending
// threads, never on these.
//
// Shutdown: Stop() (the destructor calls it) makes both loops end after their current
// step, cancels their timers, joins the io_context's threads, then waits for the sends in
// flight (each bounded by the notifier's timeout) and detaches the service from the
// Deliverer. The Deliverer's own Stop or destructor joins its sending threads.

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

#include "checker/checker.h"
#include "checker/deliverer.h"

namespace heartbeat {

class CheckerService {
 public:
  // `deliverer` may be null: alerts are then queued and left pending. Both must outlive
  // the service.
  CheckerService(Checker& checker, Deliverer* deliverer, const Clock& clock);
  // Stop().
  ~CheckerService();

  // Starts the loops. Once only; nothing after Stop.
  void Start();
  // Ends the loops after their current step, waits for the sends in flight, joins the
  // threads, then returns. Idempotent; safe from any thread but the service's own.
  void Stop();

  // A write made something due at `when` (Unix ms): wakes the checker if that is before
  // its planned wake-up. Cheap when it is not (two atomic loads, and a compare-and-swap
  // when `when` is the earliest of the cycle; no lock, no allocation): safe on the ping
  // path. Waking posts one cancel to the check loop's timer; thread-safe.
  void Wake(UnixMillis when);

 private:
  using Executor = boost::asio::strand<boost::asio::io_context::executor_type>;

  boost::asio::awaitable<void> CheckLoop();
  boost::asio::awaitable<void> DeliverLoop();
  // Waits on `timer` (the loop's own) for `d`, unless woken or stopped meanwhile.
  boost::asio::awaitable<void> Sleep(boost::asio::steady_timer& timer,
                                     const std::atomic<bool>& woken, std::chrono::milliseconds d);
  void WakeDeliverer();
  // Sets `woken`; the first to set it cancels the loop's timer (on the loop's strand).
  void Poke(std::atomic<bool>& woken, const Executor& strand, boost::asio::steady_timer& timer);

  Checker& checker_;
  Deliverer* deliverer_;
  const Clock& clock_;

  boost::asio::io_context ioc_;
  Executor check_strand_;
  Executor deliver_strand_;
  boost::asio::steady_timer check_timer_;    // used on check_strand_ only
  boost::asio::steady_timer deliver_timer_;  // used on deliver_strand_ only

  std::atomic<bool> stop_{false};
  // Set by a wake-up since the loop last began a step; the loop clears it when it begins
  // one, and does not go to sleep while it is set. The setter that finds it clear cancels
  // the loop's timer: a loop that is waiting wakes up, one that is not sees the flag.
  std::atomic<bool> check_woken_{false};
  std::atomic<bool> deliver_woken_{false};
  std::atomic<UnixMillis> planned_{0};  // when the checker plans to wake next
  // The earliest `when` passed to Wake since the current cycle began: a write made while
  // the checker looks for its next deadline may be missed by that look, and its Wake
  // (which sees the cycle's planned_, "now") does not wake anyone.
  std::atomic<UnixMillis> woken_for_{std::numeric_limits<UnixMillis>::max()};

  std::mutex stop_mu_;                // serializes Start and Stop
  bool started_ = false;              // guarded by stop_mu_
  bool stopped_ = false;              // guarded by stop_mu_
  std::vector<std::thread> threads_;  // guarded by stop_mu_: the io_context's runners
};

}  // namespace heartbeat
