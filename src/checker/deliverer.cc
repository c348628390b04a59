#include "checker/deliverer.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

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

Deliverer::~Deliverer() { WaitIdle(); }

Result<std::size_t> Deliverer::Dispatch() {
  // First, alerts already sent whose removal failed: record them, never send them again.
  std::map<std::pair<std::string, std::int64_t>, PendingAlert> unrecorded;
  {
    std::lock_guard lock(mu_);
    unrecorded = sent_unrecorded_;
  }
  for (const auto& [key, p] : unrecorded) {
    if (RecordSent(p).ok()) {
      std::lock_guard lock(mu_);
      sent_unrecorded_.erase(key);
    }
  }

  auto claimed = Await<std::vector<PendingAlert>>([&](Callback<std::vector<PendingAlert>> cb) {
    store_.ClaimAlerts(clock_.Now(), options_.lease_ms, options_.batch, owner_, std::move(cb));
  });
  if (!claimed.ok()) return claimed.error().Wrap("claim alerts");
  {
    std::lock_guard lock(mu_);
    inflight_ += claimed->size();
  }
  JoinFinished();
  for (PendingAlert& p : *claimed) {
    std::lock_guard lock(mu_);
    auto sender = senders_.emplace(senders_.end());
    // The thread reaches `sender` only under mu_, held here until it is stored.
    sender->thread = std::thread([this, sender, p = std::move(p)] {
      SendOne(p);
      if (on_done_) on_done_();
      // Notified under the lock: once WaitIdle can return, this thread touches nothing.
      std::lock_guard lock(mu_);
      sender->done = true;
      --inflight_;
      idle_cv_.notify_all();
    });
  }
  return claimed->size();
}

void Deliverer::JoinFinished() {
  std::list<Sender> finished;
  {
    std::lock_guard lock(mu_);
    for (auto it = senders_.begin(); it != senders_.end();) {
      auto next = std::next(it);
      if (it->done) finished.splice(finished.end(), senders_, it);
      it = next;
    }
  }
  // Joined, not detached: a thread still on its way out when the process exits would be
  // freeing its thread-local state as the process goes (LeakSanitizer saw OpenSSL's).
  for (Sender& s : finished) s.thread.join();
}

void Deliverer::WaitIdle() {
  {
    std::unique_lock lock(mu_);
    idle_cv_.wait(lock, [&] { return inflight_ == 0; });
  }
  JoinFinished();  // after inflight_ reached zero: every sender is done
}

Result<DeliveryStats> Deliverer::DeliverReady() {
  DeliveryStats before = totals();
  Result<std::size_t> started = Dispatch();
  WaitIdle();
  if (!started.ok()) return started.error();
  DeliveryStats after = totals();
  return DeliveryStats{after.sent - before.sent, after.retried - before.retried,
                       after.rejected - before.rejected, after.errors - before.errors};
}

DeliveryStats Deliverer::totals() const {
  std::lock_guard lock(mu_);
  return totals_;
}

Status Deliverer::RecordSent(const PendingAlert& p) {
  Status recorded;
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    recorded =
        Await<void>([&](Callback<void> cb) { store_.FinishAlert(p, owner_, std::move(cb)); });
    // kConflict: the lease is gone (another sender took over); nothing more to record.
    if (recorded.ok() || recorded.error().code == ErrorCode::kConflict) return recorded;
  }
  return recorded;
}

void Deliverer::SendOne(const PendingAlert& p) {
  bool already_sent;
  {
    std::lock_guard lock(mu_);
    already_sent = sent_unrecorded_.count({p.alert.slug, p.id}) > 0;
  }
  SendOutcome outcome;
  if (already_sent) {
    outcome.kind = SendOutcome::Kind::kSent;
  } else {
    outcome = notifier_.Send(p.alert);
  }
  const std::string text = AlertPlainText(p.alert);
  Status recorded;
  switch (outcome.kind) {
    case SendOutcome::Kind::kSent:
      if (!already_sent) spdlog::info("alert sent: {}", text);
      recorded = RecordSent(p);
      if (!recorded.ok() && recorded.error().code != ErrorCode::kConflict) {
        std::lock_guard lock(mu_);
        sent_unrecorded_.emplace(std::make_pair(p.alert.slug, p.id), p);
      } else {
        std::lock_guard lock(mu_);
        sent_unrecorded_.erase({p.alert.slug, p.id});
      }
      break;
    case SendOutcome::Kind::kRejected:
      spdlog::error("ALERT REJECTED by the receiver and dropped after {} attempt(s): {} ({})",
                    p.attempts, text, outcome.detail);
      recorded = Await<void>(
          [&](Callback<void> cb) { store_.RejectAlert(p, owner_, outcome.detail, std::move(cb)); });
      break;
    case SendOutcome::Kind::kRetry: {
      std::int64_t wait = 0;
      if (outcome.retry_after) {
        wait = outcome.retry_after->count() * 1000;
      } else {
        std::lock_guard lock(mu_);
        wait = BackoffMillis(p.attempts, options_, rng_);
      }
      spdlog::warn("alert not delivered (attempt {}), retrying in {} ms: {} ({})", p.attempts, wait,
                   text, outcome.detail);
      recorded = Await<void>([&](Callback<void> cb) {
        store_.RetryAlert(p, owner_, clock_.Now() + wait, outcome.detail, std::move(cb));
      });
      break;
    }
  }
  if (!recorded.ok()) {
    spdlog::warn("recording the outcome of alert {} failed: {}", p.id, recorded.error().message);
  }
  if (options_.metrics != nullptr) {
    options_.metrics->CountAlert(p.alert.kind, outcome.kind == SendOutcome::Kind::kSent);
  }
  std::lock_guard lock(mu_);
  switch (outcome.kind) {
    case SendOutcome::Kind::kSent:
      ++totals_.sent;
      break;
    case SendOutcome::Kind::kRejected:
      ++totals_.rejected;
      break;
    case SendOutcome::Kind::kRetry:
      ++totals_.retried;
      break;
  }
  if (!recorded.ok()) ++totals_.errors;
}

Result<std::optional<UnixMillis>> Deliverer::NextAttempt() {
  return Await<std::optional<UnixMillis>>(
      [&](Callback<std::optional<UnixMillis>> cb) { store_.EarliestAlertAttempt(std::move(cb)); });
}

}  // namespace heartbeat
