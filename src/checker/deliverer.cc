#include "checker/deliverer.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <exception>
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

namespace {

DelivererOptions Normalized(DelivererOptions options) {
  options.senders = std::max<std::size_t>(options.senders, 1);
  options.batch = std::max<std::size_t>(options.batch, 1);
  return options;
}

}  // namespace

Deliverer::Deliverer(Store& store, Notifier& notifier, const Clock& clock, DelivererOptions options)
    : store_(store),
      notifier_(notifier),
      clock_(clock),
      options_(Normalized(options)),
      pool_(options_.senders) {
  std::random_device rd;
  rng_.seed((static_cast<std::uint64_t>(rd()) << 32) ^ rd());
  char host[64] = "host";
  gethostname(host, sizeof host - 1);
  owner_ = std::string(host) + ":" + std::to_string(getpid()) + ":" +
           std::to_string(rng_() % 1'000'000'000);
}

Deliverer::~Deliverer() { Stop(); }

Result<std::size_t> Deliverer::Dispatch() { return Dispatch(options_.batch); }

Result<std::size_t> Deliverer::Dispatch(std::size_t limit) {
  // First, alerts already sent whose removal failed: record them, never send them again.
  std::map<std::pair<std::string, std::int64_t>, PendingAlert> unrecorded;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return Unavailable("the deliverer is stopped");
    unrecorded = sent_unrecorded_;
  }
  for (const auto& [key, p] : unrecorded) {
    if (RecordSent(p).ok()) {
      std::lock_guard lock(mu_);
      sent_unrecorded_.erase(key);
    }
  }

  // Senders are reserved before the claim: every alert claimed has a sender waiting for
  // it, so none sits in a queue while its lease runs out.
  std::size_t reserved;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return Unavailable("the deliverer is stopped");
    reserved = std::min({limit, options_.batch, options_.senders - busy_});
    busy_ += reserved;
  }
  if (reserved == 0) return std::size_t{0};
  auto claimed = Await<std::vector<PendingAlert>>([&](Callback<std::vector<PendingAlert>> cb) {
    store_.ClaimAlerts(clock_.Now(), options_.lease_ms, reserved, owner_, std::move(cb));
  });
  const std::size_t n = claimed.ok() ? std::min(claimed->size(), reserved) : 0;
  {
    std::lock_guard lock(mu_);
    busy_ -= reserved - n;
    inflight_ += n;
    idle_cv_.notify_all();
  }
  if (!claimed.ok()) return claimed.error().Wrap("claim alerts");
  for (std::size_t i = 0; i < n; ++i) {
    boost::asio::post(pool_, [this, p = std::move((*claimed)[i])] { RunSend(p); });
  }
  return n;
}

void Deliverer::RunSend(const PendingAlert& p) {
  try {
    SendOne(p);
  } catch (const std::exception& e) {
    // The last net: the alert stays leased, and is sent again once its lease is over.
    spdlog::error("sending alert {} failed: {}", p.id, e.what());
  }
  {
    std::lock_guard lock(mu_);
    --busy_;
    idle_cv_.notify_all();
  }
  if (on_done_) on_done_();
  // Notified under the lock: once WaitIdle can return, this thread touches nothing more.
  std::lock_guard lock(mu_);
  --inflight_;
  idle_cv_.notify_all();
}

void Deliverer::WaitIdle() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [&] { return busy_ == 0 && inflight_ == 0; });
}

std::size_t Deliverer::FreeSenders() const {
  std::lock_guard lock(mu_);
  return options_.senders - busy_;
}

Result<DeliveryStats> Deliverer::DeliverReady() {
  DeliveryStats before = totals();
  std::optional<Error> failed;
  std::size_t started = 0;
  // Alerts are claimed only as senders are free: past `senders` ready alerts, the round
  // claims more as sends end, up to `batch` in all.
  while (started < options_.batch) {
    std::size_t free;
    {
      std::unique_lock lock(mu_);
      idle_cv_.wait(lock, [&] { return stopped_ || busy_ < options_.senders; });
      free = options_.senders - busy_;
    }
    const std::size_t want = std::min(options_.batch - started, free);
    Result<std::size_t> n = Dispatch(want);
    if (!n.ok()) {
      failed = n.error();
      break;
    }
    started += *n;
    if (*n < want) break;  // nothing more is ready
  }
  WaitIdle();
  if (failed) return *failed;
  DeliveryStats after = totals();
  return DeliveryStats{after.sent - before.sent, after.retried - before.retried,
                       after.rejected - before.rejected, after.errors - before.errors};
}

void Deliverer::Stop() {
  std::call_once(stop_once_, [&] {
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
      idle_cv_.notify_all();  // a DeliverReady waiting for a free sender gives up
    }
    WaitIdle();
    pool_.join();
  });
}

DeliveryStats Deliverer::totals() const {
  std::lock_guard lock(mu_);
  return totals_;
}

Status Deliverer::RecordSent(const PendingAlert& p) {
  // One try: when it fails, the alert is kept as sent but unrecorded, and the next
  // Dispatch records it (no sleeping retry on a sending thread).
  return Await<void>([&](Callback<void> cb) { store_.FinishAlert(p, owner_, std::move(cb)); });
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
