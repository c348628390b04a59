#include "checker/checker.h"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <vector>

#include "notify/message.h"

namespace heartbeat {

Result<CycleStats> Checker::RunCycle() {
  auto begin = clock_.Steady();
  Result<CycleStats> stats = RunCycleAt(clock_.Now());
  if (options_.metrics != nullptr) {
    options_.metrics->ObserveCheckerCycle(
        std::chrono::duration<double>(clock_.Steady() - begin).count());
  }
  return stats;
}

Result<CycleStats> Checker::RunCycleAt(UnixMillis now) {
  CycleStats stats;
  for (;;) {
    auto due = Await<std::vector<Monitor>>([&](Callback<std::vector<Monitor>> cb) {
      store_.DueMonitors(now, options_.batch, std::move(cb));
    });
    if (!due.ok()) return due.error().Wrap("read due monitors");
    // Decide for the whole batch, then write every decision at once: the store commits
    // them together instead of one durable commit per monitor.
    struct Pending {
      const Monitor* monitor;
      std::optional<Decision> decision;
      std::vector<std::string> channels;  // the decision's alert went to these
      std::promise<Status> done;
      std::future<Status> result = done.get_future();
    };
    std::vector<Pending> pending(due->size());
    for (std::size_t i = 0; i < due->size(); ++i) {
      const Monitor& m = (*due)[i];
      ++stats.examined;
      Pending& p = pending[i];
      p.monitor = &m;
      CheckStep step =
          Check(m, now, options_.repeat_ms,
                options_.channels_of ? options_.channels_of(ProjectOfKey(m.slug))
                                     : std::vector<std::string>{std::string(kEnvironmentChannel)});
      p.decision = step.decision;
      p.channels = step.channels;
      store_.ApplyCheck(m, step, now, [&p](Status s) { p.done.set_value(std::move(s)); });
    }
    std::size_t handled = 0;
    for (Pending& p : pending) {
      Status applied = p.result.get();
      if (applied.ok()) {
        ++handled;
        if (p.decision && p.channels.empty()) {
          spdlog::warn("alert not queued, no channel to send it to: {}",
                       AlertPlainText(p.decision->alert, p.decision->alert.at));
        } else if (p.decision) {
          stats.alerts_queued += p.channels.size();
          spdlog::info("alert queued for {}: {}", fmt::join(p.channels, ", "),
                       AlertPlainText(p.decision->alert, p.decision->alert.at));
        }
      } else if (applied.error().code == ErrorCode::kConflict) {
        ++stats.conflicts;
      } else {
        ++stats.errors;
        spdlog::warn("checker: monitor {}: {}", p.monitor->slug, applied.error().message);
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
