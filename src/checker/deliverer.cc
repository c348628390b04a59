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
  renewer_ = std::thread([this] { RenewLoop(); });
}

Deliverer::~Deliverer() { Stop(); }

Result<std::size_t> Deliverer::Dispatch() { return Dispatch(options_.batch); }

Result<std::size_t> Deliverer::Dispatch(std::size_t limit) {
  // First, alerts already sent whose removal failed: record them, never send them again.
  std::vector<PendingAlert> unrecorded;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return Unavailable("the deliverer is stopped");
    for (const auto& [key, u] : sent_unrecorded_) {
      if (!u.lost) unrecorded.push_back(u.alert);
    }
  }
  for (const PendingAlert& p : unrecorded) {
    MarkRecording(p);
    const Status recorded = RecordSent(p);
    const bool lost = !recorded.ok() && recorded.error().code == ErrorCode::kConflict;
    {
      std::lock_guard lock(mu_);
      if (auto u = sent_unrecorded_.find(KeyOf(p)); u != sent_unrecorded_.end()) {
        if (recorded.ok()) {
          sent_unrecorded_.erase(u);
        } else if (lost) {
          // Stays remembered as sent, so that this process never sends it again.
          u->second.lost = true;
        }
      }
      EndHoldUnlessUnrecorded(KeyOf(p));
    }
    if (lost) {
      spdlog::warn(
          "alert {} ({}) was sent, but its lease was lost to another sender before its "
          "removal was recorded: it may be sent twice",
          p.id, p.alert.slug);
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
  const UnixMillis now = clock_.Now();
  ClaimRoom room;
  {
    std::lock_guard lock(mu_);
    room = Room(now);
  }
  auto claimed = Await<std::vector<PendingAlert>>([&](Callback<std::vector<PendingAlert>> cb) {
    store_.ClaimAlerts(now, options_.lease_ms, reserved, owner_, std::move(room), std::move(cb));
  });
  const std::size_t n = claimed.ok() ? std::min(claimed->size(), reserved) : 0;
  {
    std::lock_guard lock(mu_);
    busy_ -= reserved - n;
    inflight_ += n;
    idle_cv_.notify_all();
    last_claim_capped_ = false;
    for (std::size_t i = 0; i < n; ++i) {
      const PendingAlert& p = (*claimed)[i];
      if (++channel_sends_[p.alert.channel] >= options_.per_channel) last_claim_capped_ = true;
      Held& held = held_[KeyOf(p)];
      held.alert = p;
      held.recording = false;
    }
    if (n > 0) renew_cv_.notify_all();
  }
  if (!claimed.ok()) return claimed.error().Wrap("claim alerts");
  for (std::size_t i = 0; i < n; ++i) {
    boost::asio::post(pool_, [this, p = std::move((*claimed)[i])] { RunSend(p); });
  }
  return n;
}

bool Deliverer::AnyChannelFull() const {
  return std::any_of(channel_sends_.begin(), channel_sends_.end(),
                     [&](const auto& c) { return c.second >= options_.per_channel; });
}

ClaimRoom Deliverer::Room(UnixMillis now) {
  ClaimRoom room;
  room.skip = options_.skip_channels;
  room.per_channel = options_.per_channel;
  room.in_flight = channel_sends_;
  for (auto w = channel_wait_.begin(); w != channel_wait_.end();) {
    if (w->second <= now) {
      w = channel_wait_.erase(w);
    } else {
      room.skip.push_back(w->first);
      ++w;
    }
  }
  return room;
}

void Deliverer::RunSend(const PendingAlert& p) {
  try {
    SendOne(p);
  } catch (const std::exception& e) {
    // The last net: the alert stays leased, no longer renewed, and is sent again once its
    // lease is over.
    spdlog::error("sending alert {} failed: {}", p.id, e.what());
  }
  {
    std::lock_guard lock(mu_);
    --busy_;
    ++sends_ended_;
    if (auto c = channel_sends_.find(p.alert.channel); c != channel_sends_.end()) {
      if (--c->second == 0) channel_sends_.erase(c);
    }
    idle_cv_.notify_all();
    // Its outcome is recorded (or given up): its lease is no longer renewed, unless it was
    // sent and its record failed, to be retried by the next Dispatch.
    EndHoldUnlessUnrecorded(KeyOf(p));
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
    std::size_t ended;  // sends ended before this claim
    {
      std::lock_guard lock(mu_);
      ended = sends_ended_;
    }
    Result<std::size_t> n = Dispatch(want);
    if (!n.ok()) {
      failed = n.error();
      break;
    }
    started += *n;
    if (*n == want) continue;
    // Fewer than asked: nothing more is ready, unless a channel's room cut the claim short.
    // Then, once a send ends, its channel may have room again (a send that hangs holds up
    // the round's end, but no other channel's alerts).
    std::unique_lock lock(mu_);
    if (!last_claim_capped_ && !AnyChannelFull()) break;
    idle_cv_.wait(lock, [&] { return stopped_ || sends_ended_ != ended || inflight_ == 0; });
    if (stopped_) break;
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
    {
      // No send is in flight any more: the renewals end (the alerts still held, sent but
      // not recorded, are left to their leases), once the store has answered those made.
      std::unique_lock lock(mu_);
      renew_stopped_ = true;
      renew_cv_.notify_all();
    }
    renewer_.join();
    {
      std::unique_lock lock(mu_);
      renew_cv_.wait(lock, [&] { return renewals_ == 0; });
    }
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

void Deliverer::EndHoldUnlessUnrecorded(const AlertKey& key) {
  auto held = held_.find(key);
  if (held == held_.end()) return;
  auto u = sent_unrecorded_.find(key);
  if (u != sent_unrecorded_.end() && !u->second.lost) {
    held->second.recording = false;
  } else {
    held_.erase(held);
  }
}

void Deliverer::MarkRecording(const PendingAlert& p) {
  std::lock_guard lock(mu_);
  auto held = held_.find(KeyOf(p));
  if (held != held_.end()) held->second.recording = true;
}

void Deliverer::RenewLoop() {
  const std::chrono::milliseconds every(std::max<std::int64_t>(options_.lease_ms / 3, 1));
  std::unique_lock lock(mu_);
  for (;;) {
    // Nothing held: nothing to do until a claim (or Stop).
    renew_cv_.wait(lock, [&] { return renew_stopped_ || !held_.empty(); });
    if (renew_stopped_) return;
    // A third of a lease, unless stopped: notifications of claims and answers meanwhile
    // do not shorten it.
    if (renew_cv_.wait_for(lock, every, [&] { return renew_stopped_; })) return;
    std::vector<PendingAlert> due;
    for (auto& [key, held] : held_) {
      if (held.renewing) continue;  // the store has not answered the last one yet
      held.renewing = true;
      due.push_back(held.alert);
    }
    renewals_ += due.size();
    lock.unlock();
    // Not under mu_: a closed store answers inside the call.
    const UnixMillis until = clock_.Now() + options_.lease_ms;
    for (const PendingAlert& p : due) {
      store_.RenewAlert(p, owner_, until, [this, p](Status s) { Renewed(p, s); });
    }
    lock.lock();
  }
}

void Deliverer::Renewed(const PendingAlert& p, const Status& status) {
  enum class Report { kNone, kLost, kFailed } report = Report::kNone;
  const std::int64_t every = std::max<std::int64_t>(options_.lease_ms / 3, 1);
  {
    std::lock_guard lock(mu_);
    auto held = held_.find(KeyOf(p));
    if (held != held_.end()) {
      held->second.renewing = false;
      if (!status.ok() && status.error().code == ErrorCode::kConflict) {
        // Refused while the outcome was being written: the record came first (removed,
        // retried, rejected), or it will say itself that the lease was lost.
        if (!held->second.recording) {
          held_.erase(held);
          // Sent and not yet recorded: its record would be refused as well, so Dispatch does
          // not try it again (only a new claim of this process records it).
          if (auto u = sent_unrecorded_.find(KeyOf(p)); u != sent_unrecorded_.end()) {
            u->second.lost = true;
          }
          report = Report::kLost;
        }
      } else if (!status.ok()) {
        report = Report::kFailed;
      }
    }
    --renewals_;
    renew_cv_.notify_all();
  }
  // Logged once the lock is released. Stop may return (and the Deliverer go) as soon as
  // renewals_ is down: nothing of `this` is touched from here.
  if (report == Report::kLost) {
    spdlog::warn("the lease of alert {} ({}) was lost to another sender: it may be sent twice ({})",
                 p.id, p.alert.slug, status.error().message);
  } else if (report == Report::kFailed) {
    spdlog::warn("renewing the lease of alert {} ({}) failed, tried again in {} ms: {}", p.id,
                 p.alert.slug, every, status.error().message);
  }
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
  const std::string text = AlertPlainText(p.alert, clock_.Now());
  MarkRecording(p);
  Status recorded;
  switch (outcome.kind) {
    case SendOutcome::Kind::kSent:
      if (!already_sent) spdlog::info("alert sent: {}", text);
      recorded = RecordSent(p);
      {
        std::lock_guard lock(mu_);
        if (recorded.ok()) {
          sent_unrecorded_.erase(KeyOf(p));
        } else {
          // Remembered as sent: retried by the next Dispatch, or, when the lease went to
          // another sender, recorded only if this process claims it again.
          Unrecorded& u = sent_unrecorded_[KeyOf(p)];
          u.alert = p;
          u.lost = recorded.error().code == ErrorCode::kConflict;
        }
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
        // The service asked the whole channel to wait: no other alert to it before then.
        std::lock_guard lock(mu_);
        UnixMillis& until = channel_wait_[p.alert.channel];
        until = std::max(until, clock_.Now() + wait);
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
