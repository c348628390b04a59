#pragma once
// One checker pass: a cycle, then delivery rounds until nothing ready is left. What
// `heartbeat check` and the Lambda's `bootstrap` run (one pass per invocation).

#include <optional>
#include <string>
#include <vector>

#include "checker/checker.h"
#include "checker/deliverer.h"
#include "notify/notifier.h"
#include "store/store.h"

namespace heartbeat {

// One checker pass: a cycle (due monitors -> alerts queued), then delivery rounds until
// nothing ready is left. Shared by `heartbeat check` and `bootstrap` (one pass per
// invocation).
struct CheckPassOptions {
  // No delivery round starts at or after this wall-clock time (bootstrap: the invocation's
  // deadline less the longest send); alerts left go out on a later pass. None: no limit.
  std::optional<UnixMillis> stop_delivery_at;
  int max_delivery_rounds = 100;  // bounded, so that a flood cannot keep one pass busy
};

struct CheckPassReport {
  CycleStats cycle;
  DeliveryStats delivery;
  bool delivery_stopped_by_deadline = false;
  // One sentence per failed step (the cycle, a send, the store); empty when all went well.
  std::vector<std::string> failures;
  ErrorCode failure_code = ErrorCode::kUnavailable;  // of the first failure

  bool failed() const { return !failures.empty(); }
};

// Runs the pass, logging each step. `notifier` may be null (Telegram not configured): a
// pending alert is then a failure.
// `environment_telegram`: whether the environment's Telegram is configured; when it is not
// and alerts are pending, the pass fails (saying so) after delivering what it can.
CheckPassReport RunCheckPass(Store& store, Notifier& notifier, bool environment_telegram,
                             const Clock& clock, const CheckerOptions& checker_options,
                             const CheckPassOptions& options = {});

}  // namespace heartbeat
