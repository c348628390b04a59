#pragma once
// One checker cycle: finds the monitors whose check time has come, decides with the alert
// engine (core/alert.h) and applies each decision as a conditional write that queues the
// alert in the outbox in the same transaction. Two checkers on one store (serve plus a
// cron `heartbeat check`, or several replicas) cannot both win a transition: the loser
// gets kConflict and moves on. Synchronous: run it on a thread that may block (`serve` runs it
// on CheckerService's check loop; `heartbeat check` and the Lambda on their main thread).

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/result.h"
#include "store/store.h"

namespace heartbeat {

struct CheckerOptions {
  std::int64_t repeat_ms = 3600 * 1000;  // ALERT_REPEAT_INTERVAL
  std::size_t batch = 500;               // monitors read per query
  Metrics* metrics = nullptr;            // cycle durations, when set
  // The names of a project's channels (ChannelDirectory::Names), where its monitors' alerts
  // go unless a monitor names its own (core's RouteAlert). Unset: the environment's
  // `telegram` alone, whatever the project (tests that need no other).
  std::function<std::vector<std::string>(std::string_view project)> channels_of = {};
};

struct CycleStats {
  std::size_t examined = 0;
  std::size_t alerts_queued = 0;
  std::size_t conflicts = 0;  // lost to a ping or another checker: nothing to do
  std::size_t errors = 0;     // store failures; the monitor is retried next cycle
};

class Checker {
 public:
  Checker(Store& store, const Clock& clock, CheckerOptions options)
      : store_(store), clock_(clock), options_(options) {}

  // Handles everything due at the clock's now. Fails only when the due monitors cannot
  // be read; per-monitor failures are counted in `errors` and never stop the cycle.
  Result<CycleStats> RunCycle();

  // The earliest time anything is due; nullopt when nothing is scheduled.
  Result<std::optional<UnixMillis>> NextDue();

  const CheckerOptions& options() const { return options_; }

 private:
  Result<CycleStats> RunCycleAt(UnixMillis now);

  Store& store_;
  const Clock& clock_;
  CheckerOptions options_;
};

}  // namespace heartbeat
