#include "checker/deliverer.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <future>
#include <thread>
#include <vector>

#include "notify/message.h"

namespace heartbeat {

std::int64_t BackoffMillis(std::int64_t attempts, const DelivererOptions& options,
                           std::mt19937_64& rng) {
  std::int64_t wait = options.backoff_base_ms;
  for (std::int64_t i = 1; i < attempts && wait < options.backoff_cap_ms; ++i) wait *= 2;
  wait = std::min(wait, options.backoff_cap_ms);
  std::uniform_int_distribution<std::int64_t> jitter(wait / 2, wait);
  return jitter(rng);
}

Deliverer::Deliverer(Store& store, Notifier& notifier, const Clock& clock, DelivererOptions options)
    : store_(store), notifier_(notifier), clock_(clock), options_(options) {
  std::random_device rd;
  rng_.seed((static_cast<std::uint64_t>(rd()) << 32) ^ rd());
  char host[64] = "host";
  gethostname(host, sizeof host - 1);
  owner_ = std::string(host) + ":" + std::to_string(getpid()) + ":" +
           std::to_string(rng_() % 1'000'000'000);
}

Result<DeliveryStats> Deliverer::DeliverReady() {
  DeliveryStats stats;
  auto claimed = Await<std::vector<PendingAlert>>([&](Callback<std::vector<PendingAlert>> cb) {
    store_.ClaimAlerts(clock_.Now(), options_.lease_ms, options_.batch, owner_, std::move(cb));
  });
  if (!claimed.ok()) return claimed.error().Wrap("claim alerts");
  if (claimed->empty()) return stats;

  // Each alert is sent, and its outcome recorded, on its own thread: a slow or unreachable
  // receiver delays no other alert, and the outcomes are committed together.
  std::vector<std::future<std::pair<SendOutcome::Kind, Status>>> results;
  results.reserve(claimed->size());
  for (const PendingAlert& p : *claimed) {
    results.push_back(std::async(std::launch::async, [this, p] { return SendOne(p); }));
  }
  for (auto& r : results) {
    auto [kind, recorded] = r.get();
    switch (kind) {
      case SendOutcome::Kind::kSent:
        ++stats.sent;
        break;
      case SendOutcome::Kind::kRejected:
        ++stats.rejected;
        break;
      case SendOutcome::Kind::kRetry:
        ++stats.retried;
        break;
    }
    if (!recorded.ok()) ++stats.errors;
  }
  return stats;
}

std::pair<SendOutcome::Kind, Status> Deliverer::SendOne(const PendingAlert& p) {
  SendOutcome outcome = notifier_.Send(p.alert);
  const std::string text = AlertPlainText(p.alert);
  Status recorded;
  switch (outcome.kind) {
    case SendOutcome::Kind::kSent:
      spdlog::info("alert sent: {}", text);
      recorded =
          Await<void>([&](Callback<void> cb) { store_.FinishAlert(p.id, owner_, std::move(cb)); });
      break;
    case SendOutcome::Kind::kRejected:
      spdlog::error("ALERT REJECTED by the receiver and dropped after {} attempt(s): {} ({})",
                    p.attempts, text, outcome.detail);
      recorded = Await<void>([&](Callback<void> cb) {
        store_.RejectAlert(p.id, owner_, outcome.detail, std::move(cb));
      });
      break;
    case SendOutcome::Kind::kRetry: {
      std::int64_t wait = 0;
      if (outcome.retry_after) {
        wait = outcome.retry_after->count() * 1000;
      } else {
        std::lock_guard lock(rng_mu_);
        wait = BackoffMillis(p.attempts, options_, rng_);
      }
      spdlog::warn("alert not delivered (attempt {}), retrying in {} ms: {} ({})", p.attempts, wait,
                   text, outcome.detail);
      recorded = Await<void>([&](Callback<void> cb) {
        store_.RetryAlert(p.id, owner_, clock_.Now() + wait, outcome.detail, std::move(cb));
      });
      break;
    }
  }
  if (!recorded.ok()) {
    spdlog::warn("recording the outcome of alert {} failed: {}", p.id, recorded.error().message);
  }
  return {outcome.kind, recorded};
}

Result<std::optional<UnixMillis>> Deliverer::NextAttempt() {
  return Await<std::optional<UnixMillis>>(
      [&](Callback<std::optional<UnixMillis>> cb) { store_.EarliestAlertAttempt(std::move(cb)); });
}

}  // namespace heartbeat
