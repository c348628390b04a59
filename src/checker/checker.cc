#include "checker/checker.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "notify/message.h"

namespace heartbeat {

Result<CycleStats> Checker::RunCycle() {
  const UnixMillis now = clock_.Now();
  CycleStats stats;
  for (;;) {
    auto due = Await<std::vector<Monitor>>([&](Callback<std::vector<Monitor>> cb) {
      store_.DueMonitors(now, options_.batch, std::move(cb));
    });
    if (!due.ok()) return due.error().Wrap("read due monitors");
    std::size_t handled = 0;
    for (const Monitor& m : *due) {
      ++stats.examined;
      std::optional<Decision> decision = Decide(m, now, options_.repeat_ms);
      Monitor after = m;
      if (decision) {
        after.first_alerted_at = decision->next.first_alerted_at;
        after.last_alerted_at = decision->next.last_alerted_at;
        after.alert_count = decision->next.alert_count;
      }
      std::optional<UnixMillis> check_at = NextCheckAt(after, options_.repeat_ms);
      // A monitor that was due is never rescheduled into the past: the next cycle would
      // find it again at once.
      if (check_at && *check_at <= now && !decision) check_at = now + 1;
      Status applied = Await<void>([&](Callback<void> cb) {
        store_.ApplyDecision(m, decision, check_at, now, std::move(cb));
      });
      if (applied.ok()) {
        ++handled;
        if (decision) {
          ++stats.alerts_queued;
          spdlog::info("alert queued: {}", AlertPlainText(decision->alert));
        }
      } else if (applied.error().code == ErrorCode::kConflict) {
        ++stats.conflicts;
      } else {
        ++stats.errors;
        spdlog::warn("checker: monitor {}: {}", m.slug, applied.error().message);
      }
    }
    // A full batch may hide more due monitors; go on while this one made progress.
    if (due->size() < options_.batch || handled == 0) break;
  }
  return stats;
}

Result<std::optional<UnixMillis>> Checker::NextDue() {
  return Await<std::optional<UnixMillis>>(
      [&](Callback<std::optional<UnixMillis>> cb) { store_.EarliestCheck(std::move(cb)); });
}

}  // namespace heartbeat
