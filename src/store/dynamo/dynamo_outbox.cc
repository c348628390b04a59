// DynamoStore: the checker's queries and the outbox of alerts (see dynamo_impl.h for the
// threads). Each operation is one coroutine on the store's thread.

#include <algorithm>
#include <map>
#include <tuple>

#include "asio/await_all.h"
#include "store/dynamo/dynamo_impl.h"
#include "store/dynamo/dynamo_store.h"

namespace heartbeat {

using aws::DynamoClient;
using aws::DynamoResult;
using aws::Item;
using dynamo::Change;
using dynamo::FloorDiv;
using dynamo::kMutateAttempts;
using dynamo::kNoRetry;
using dynamo::Live;
using dynamo::MonitorRecord;
using dynamo::OutboxEntry;
using dynamo::Outcome;
using dynamo::S;
using dynamo::Task;
using dynamo::ToError;

namespace {

PendingAlert ToPending(const OutboxEntry& e) {
  PendingAlert p;
  p.id = e.id;
  p.alert = e.alert;
  p.attempts = e.attempts;
  p.created_at = e.alert.at;
  return p;
}

// When an outbox head can be claimed: its attempt time, or its lease's end.
UnixMillis ReadyAt(const OutboxEntry& head) {
  return std::max(head.next_attempt_at, head.lease_until.value_or(0));
}

bool Allowed(const OutboxEntry& e, const std::vector<std::string>& channels) {
  return std::find(channels.begin(), channels.end(), e.alert.channel) != channels.end();
}

// When the first of r's heads (one per channel) can be claimed; nullopt when nothing is
// pending.
std::optional<UnixMillis> HeadReadyAt(const MonitorRecord& r) {
  std::optional<UnixMillis> earliest;
  for (const OutboxEntry* head : r.Heads()) {
    if (!earliest || ReadyAt(*head) < *earliest) earliest = ReadyAt(*head);
  }
  return earliest;
}

// The channels of r's heads that are ready at `now` and fit in the claim's `budget`
// (counted there), at most `most`.
std::vector<std::string> ReadyChannels(const MonitorRecord& r, UnixMillis now, ClaimBudget& budget,
                                       std::size_t most) {
  std::vector<std::string> channels;
  for (const OutboxEntry* head : r.Heads()) {
    if (channels.size() == most) break;
    if (ReadyAt(*head) > now || !budget.Take(head->alert.channel)) continue;
    channels.push_back(head->alert.channel);
  }
  return channels;
}

// The time of r's oldest pending alert (0 when none): claims go oldest first.
UnixMillis OldestPending(const MonitorRecord& r) {
  std::vector<const OutboxEntry*> heads = r.Heads();
  return heads.empty() ? 0 : heads.front()->alert.at;
}

// The records of every query, or the first error (in the order given).
Result<std::vector<MonitorRecord>> Concat(std::vector<Result<std::vector<MonitorRecord>>> parts) {
  std::vector<MonitorRecord> all;
  for (Result<std::vector<MonitorRecord>>& part : parts) {
    if (!part.ok()) return part.error();
    for (MonitorRecord& rec : *part) all.push_back(std::move(rec));
  }
  return all;
}

// ---- the checker ----

Task<std::vector<Monitor>> FindDue(DynamoStore::Impl& impl, UnixMillis now, std::size_t limit) {
  // The due part of each home partition, and the alerting partition whole.
  std::vector<Task<std::vector<MonitorRecord>>> queries;
  for (const std::string& p : dynamo::HomePartitions(impl.options.check_partitions)) {
    queries.push_back(impl.QueryPartition(p, FloorDiv(now, 1000)));
  }
  queries.push_back(impl.QueryAlerting());
  std::vector<Result<std::vector<MonitorRecord>>> found = co_await AwaitAll(std::move(queries));
  Result<std::vector<MonitorRecord>> records = Concat(std::move(found));
  if (!records.ok()) co_return records.error();
  std::vector<Monitor> due;
  for (MonitorRecord& rec : *records) {
    const Monitor& m = rec.monitor;
    if (m.check_at && *m.check_at <= now) due.push_back(std::move(rec.monitor));
  }
  std::sort(due.begin(), due.end(), [](const Monitor& a, const Monitor& b) {
    return std::tie(*a.check_at, a.slug) < std::tie(*b.check_at, b.slug);
  });
  if (due.size() > limit) due.resize(limit);
  co_return due;
}

// The first record of a home partition that has a check_at: there, check_at follows
// next_due, the index's sort key. A page of 50 skips the odd paused item of the seed at
// the front.
Task<std::vector<MonitorRecord>> HeadOfPartition(DynamoStore::Impl& impl, std::string home) {
  aws::QueryRequest q;
  q.table = impl.options.monitors_table;
  q.index = dynamo::kCheckIndex;
  q.key_condition = "#cp = :p";
  q.names["#cp"] = "check_partition";
  q.values[":p"] = S(home);
  q.limit = 50;
  DynamoResult<aws::Page> r = co_await impl.Call(&DynamoClient::Query, std::move(q));
  if (!r.ok()) co_return ToError(r.error(), "query the check index");
  std::vector<MonitorRecord> first;
  for (const Item& item : r.value().items) {
    Result<MonitorRecord> parsed = dynamo::ParseMonitorItem(item);
    if (parsed.ok() && parsed->monitor.check_at) {
      first.push_back(std::move(*parsed));
      break;
    }
  }
  co_return first;
}

Task<std::optional<UnixMillis>> FindEarliestCheck(DynamoStore::Impl& impl) {
  // The alerting partition whole, and the head of each home partition.
  std::vector<Task<std::vector<MonitorRecord>>> queries;
  queries.push_back(impl.QueryAlerting());
  for (const std::string& home : dynamo::HomePartitions(impl.options.check_partitions)) {
    queries.push_back(HeadOfPartition(impl, home));
  }
  std::vector<Result<std::vector<MonitorRecord>>> found = co_await AwaitAll(std::move(queries));
  Result<std::vector<MonitorRecord>> records = Concat(std::move(found));
  if (!records.ok()) co_return records.error();
  std::optional<UnixMillis> earliest;
  for (const MonitorRecord& rec : *records) {
    if (rec.monitor.check_at && (!earliest || *rec.monitor.check_at < *earliest)) {
      earliest = rec.monitor.check_at;
    }
  }
  co_return earliest;
}

// ---- the outbox ----

// Claims, in one write of `slug`'s item, its outbox's heads of `channels` (one per channel)
// that are ready, for `owner`; none if none is.
Task<std::vector<PendingAlert>> Claim(DynamoStore::Impl& impl, std::string slug, UnixMillis now,
                                      std::int64_t lease_ms, std::string owner,
                                      std::vector<std::string> channels) {
  using Claimed = std::vector<PendingAlert>;
  auto claim = [now, lease_ms, owner, channels = std::move(channels)](
                   std::optional<MonitorRecord> current) -> Result<Outcome<Claimed>> {
    if (!current) return Outcome<Claimed>{Change::None(), Claimed()};
    std::vector<OutboxEntry*> heads = current->Heads();
    // Ours already: the first attempt of this very claim was written, and its answer lost
    // (the client sent it again). Only its own channels: another claim of this owner in the
    // same millisecond may hold the others.
    Claimed ours;
    for (OutboxEntry* head : heads) {
      if (Allowed(*head, channels) && head->lease_owner == owner &&
          head->lease_until == now + lease_ms) {
        ours.push_back(ToPending(*head));
      }
    }
    if (!ours.empty()) return Outcome<Claimed>{Change::None(), std::move(ours)};
    Claimed claimed;
    for (OutboxEntry* head : heads) {
      if (ReadyAt(*head) > now || !Allowed(*head, channels)) continue;
      head->lease_owner = owner;
      head->lease_until = now + lease_ms;
      ++head->attempts;
      claimed.push_back(ToPending(*head));
    }
    if (claimed.empty()) return Outcome<Claimed>{Change::None(), Claimed()};
    return Outcome<Claimed>{Change::Put(std::move(*current)), std::move(claimed)};
  };
  return impl.Mutate<Claimed>(std::move(slug), std::move(claim), kMutateAttempts);
}

// Moves an item left in the alerting partition by an interrupted write back home (the
// rewrite recomputes its partition), if it is still there and belongs elsewhere.
Task<Ok> MoveHome(DynamoStore::Impl& impl, std::string slug, UnixMillis now) {
  auto go_home =
      [now, home = impl.Home(slug)](std::optional<MonitorRecord> current) -> Result<Outcome<Ok>> {
    if (!current || !Live(*current, now) || current->partition != dynamo::kAlertingPartition ||
        dynamo::PartitionFor(*current, home) == dynamo::kAlertingPartition) {
      return Outcome<Ok>{Change::None(), Ok{}};
    }
    return Outcome<Ok>{Change::Put(std::move(*current)), Ok{}};
  };
  return impl.Mutate<Ok>(std::move(slug), std::move(go_home), kNoRetry);
}

Task<std::vector<PendingAlert>> ClaimReady(DynamoStore::Impl& impl, UnixMillis now,
                                           std::int64_t lease_ms, std::size_t limit,
                                           std::string owner, ClaimRoom room) {
  Result<std::vector<MonitorRecord>> alerting = co_await impl.QueryAlerting();
  if (!alerting.ok()) co_return alerting.error();
  std::vector<MonitorRecord>& records = *alerting;
  // Oldest alerts first (each record's oldest looked up once, not per comparison).
  std::vector<std::pair<UnixMillis, const MonitorRecord*>> order;
  order.reserve(records.size());
  for (const MonitorRecord& rec : records) order.emplace_back(OldestPending(rec), &rec);
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first, a.second->monitor.slug) < std::tie(b.first, b.second->monitor.slug);
  });
  std::vector<Task<std::vector<PendingAlert>>> claims;
  std::size_t planned = 0;  // heads found ready, at most `limit`
  ClaimBudget budget(room);
  for (const auto& [oldest, record] : order) {
    const MonitorRecord& rec = *record;
    std::vector<std::string> ready = ReadyChannels(rec, now, budget, limit - planned);
    if (!ready.empty()) {
      planned += ready.size();
      claims.push_back(Claim(impl, rec.monitor.slug, now, lease_ms, owner, std::move(ready)));
    }
    // Nothing pending, nothing active: not alerting any more. Nobody waits for its move
    // home, but Close does.
    if (rec.PendingCount() == 0 && rec.monitor.alert.alert_count == 0) {
      impl.Run<Ok>([](Result<Ok>) {}, MoveHome(impl, rec.monitor.slug, now));
    }
  }
  if (claims.empty()) co_return std::vector<PendingAlert>();
  std::vector<Result<std::vector<PendingAlert>>> results = co_await AwaitAll(std::move(claims));
  // Claimed alerts are reported even if another claim failed: their leases are held, and
  // dropping them here would only delay them by a lease. A conflict: another sender
  // claimed it first.
  std::vector<PendingAlert> claimed;
  std::optional<Error> error;
  for (Result<std::vector<PendingAlert>>& r : results) {
    if (r.ok()) {
      for (PendingAlert& p : *r) claimed.push_back(std::move(p));
    }
    if (!r.ok() && r.error().code != ErrorCode::kConflict && !error) error = r.error();
  }
  if (error && claimed.empty()) co_return std::move(*error);
  std::sort(claimed.begin(), claimed.end(), [](const PendingAlert& a, const PendingAlert& b) {
    return std::tie(a.alert.at, a.alert.slug, a.id) < std::tie(b.alert.at, b.alert.slug, b.id);
  });
  co_return claimed;
}

// `edit` of the outbox entry `id` of monitor `slug`, made only while `owner` holds its lease.
template <class Edit>
Task<void> EditLeased(DynamoStore::Impl& impl, std::string slug, std::int64_t id, std::string owner,
                      Edit edit) {
  auto leased = [id, owner = std::move(owner), edit = std::move(edit)](
                    std::optional<MonitorRecord> current) -> Result<Outcome<Ok>> {
    if (!current) return Conflict("the alert's monitor was deleted");
    auto it = std::find_if(current->outbox.begin(), current->outbox.end(),
                           [&](const OutboxEntry& e) { return e.id == id; });
    if (it == current->outbox.end() || it->lease_owner != owner) {
      return Conflict("the alert's lease was lost to another sender");
    }
    edit(*current, *it);
    return Outcome<Ok>{Change::Put(std::move(*current)), Ok{}};
  };
  Result<Ok> r = co_await impl.Mutate<Ok>(std::move(slug), std::move(leased), kMutateAttempts);
  if (!r.ok()) co_return r.error();
  co_return Ok{};
}

Task<std::optional<UnixMillis>> FindEarliestAttempt(DynamoStore::Impl& impl) {
  Result<std::vector<MonitorRecord>> alerting = co_await impl.QueryAlerting();
  if (!alerting.ok()) co_return alerting.error();
  std::optional<UnixMillis> earliest;
  for (const MonitorRecord& rec : *alerting) {
    std::optional<UnixMillis> at = HeadReadyAt(rec);
    if (at && (!earliest || *at < *earliest)) earliest = at;
  }
  co_return earliest;
}

Task<std::int64_t> CountPending(DynamoStore::Impl& impl) {
  Result<std::vector<MonitorRecord>> alerting = co_await impl.QueryAlerting();
  if (!alerting.ok()) co_return alerting.error();
  std::int64_t n = 0;
  for (const MonitorRecord& rec : *alerting) n += rec.PendingCount();
  co_return n;
}

}  // namespace

void DynamoStore::DueMonitors(UnixMillis now, std::size_t limit,
                              Callback<std::vector<Monitor>> done) {
  impl_->Run(std::move(done), FindDue(*impl_, now, limit));
}

void DynamoStore::EarliestCheck(Callback<std::optional<UnixMillis>> done) {
  impl_->Run(std::move(done), FindEarliestCheck(*impl_));
}

void DynamoStore::ClaimAlerts(UnixMillis now, std::int64_t lease_ms, std::size_t limit,
                              std::string owner, ClaimRoom room,
                              Callback<std::vector<PendingAlert>> done) {
  impl_->Run(std::move(done),
             ClaimReady(*impl_, now, lease_ms, limit, std::move(owner), std::move(room)));
}

void DynamoStore::FinishAlert(const PendingAlert& alert, std::string owner, Callback<void> done) {
  auto finish = [id = alert.id](MonitorRecord& r, OutboxEntry&) {
    std::erase_if(r.outbox, [id](const OutboxEntry& e) { return e.id == id; });
  };
  impl_->Run(std::move(done),
             EditLeased(*impl_, alert.alert.slug, alert.id, std::move(owner), finish));
}

void DynamoStore::RenewAlert(const PendingAlert& alert, std::string owner, UnixMillis lease_until,
                             Callback<void> done) {
  auto renew = [lease_until](MonitorRecord&, OutboxEntry& e) { e.lease_until = lease_until; };
  impl_->Run(std::move(done),
             EditLeased(*impl_, alert.alert.slug, alert.id, std::move(owner), renew));
}

void DynamoStore::RetryAlert(const PendingAlert& alert, std::string owner,
                             UnixMillis next_attempt_at, std::string error, Callback<void> done) {
  auto retry = [next_attempt_at, error = std::move(error)](MonitorRecord&, OutboxEntry& e) {
    e.lease_owner = std::nullopt;
    e.lease_until = std::nullopt;
    e.next_attempt_at = next_attempt_at;
    e.last_error = error;
  };
  impl_->Run(std::move(done),
             EditLeased(*impl_, alert.alert.slug, alert.id, std::move(owner), std::move(retry)));
}

void DynamoStore::RejectAlert(const PendingAlert& alert, std::string owner, std::string error,
                              Callback<void> done) {
  auto reject = [error = std::move(error)](MonitorRecord&, OutboxEntry& e) {
    e.rejected = true;
    e.lease_owner = std::nullopt;
    e.lease_until = std::nullopt;
    e.last_error = error;
  };
  impl_->Run(std::move(done),
             EditLeased(*impl_, alert.alert.slug, alert.id, std::move(owner), std::move(reject)));
}

void DynamoStore::EarliestAlertAttempt(Callback<std::optional<UnixMillis>> done) {
  impl_->Run(std::move(done), FindEarliestAttempt(*impl_));
}

void DynamoStore::CountPendingAlerts(Callback<std::int64_t> done) {
  impl_->Run(std::move(done), CountPending(*impl_));
}

}  // namespace heartbeat
