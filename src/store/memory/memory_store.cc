#include "store/memory/memory_store.h"

#include <algorithm>

#include "core/api_key.h"

namespace heartbeat {

MemoryStore::MemoryStore() : worker_([this] { WorkerLoop(); }) {}

MemoryStore::~MemoryStore() { Close(); }

template <class T, class Work>
void MemoryStore::Run(Callback<T> done, Work&& work) {
  std::unique_lock lock(mu_);
  if (closed_) {
    lock.unlock();
    done(Unavailable("the store is closed"));
    return;
  }
  Result<T> result = work();
  completed_.push_back(
      [done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
  lock.unlock();
  work_cv_.notify_one();
}

void MemoryStore::WorkerLoop() {
  std::unique_lock lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return closed_ || !completed_.empty(); });
    if (completed_.empty()) return;  // closed and drained
    std::function<void()> callback = std::move(completed_.front());
    completed_.pop_front();
    // Outside the lock: a callback may call the store again.
    lock.unlock();
    callback();
    lock.lock();
  }
}

bool MemoryStore::Healthy() const { return healthy_.load(std::memory_order_relaxed); }

void MemoryStore::Close() {
  std::lock_guard close_lock(close_mu_);
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  healthy_.store(false, std::memory_order_relaxed);
  work_cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

// ---- monitors ----

void MemoryStore::PutMonitor(Monitor m) {
  if (auto it = monitors_.find(m.slug); it != monitors_.end()) {
    if (it->second.check_at) by_check_.erase({*it->second.check_at, m.slug});
    monitors_.erase(it);
  }
  if (m.check_at) by_check_.emplace(*m.check_at, m.slug);
  std::string slug = m.slug;
  monitors_.emplace(std::move(slug), std::move(m));
}

void MemoryStore::EraseMonitor(const std::string& slug) {
  auto it = monitors_.find(slug);
  if (it == monitors_.end()) return;
  if (it->second.check_at) by_check_.erase({*it->second.check_at, slug});
  monitors_.erase(it);
  history_.erase(slug);
}

void MemoryStore::AddHistory(const std::string& slug, Mutation& mutation) {
  if (!mutation.record && !mutation.flip) return;
  History& h = history_[slug];
  if (mutation.record) {
    std::int64_t n = mutation.record->n;
    h.pings[n] = std::move(*mutation.record);
    std::erase_if(h.pings, [&](const auto& e) { return e.first <= n - PingsKept(); });
  }
  if (mutation.flip) {
    UnixMillis at = mutation.flip->at;
    h.flips.push_back(*mutation.flip);
    std::erase_if(h.flips, [&](const Flip& f) { return f.at < at - kFlipsKeptMillis; });
  }
}

const MemoryStore::History* MemoryStore::LiveHistory(const std::string& slug, UnixMillis now) {
  static const History kNone;
  auto m = monitors_.find(slug);
  if (m == monitors_.end() || m->second.expired(now)) return nullptr;
  auto h = history_.find(slug);
  return h == history_.end() ? &kNone : &h->second;
}

void MemoryStore::DropAlerts(const std::string& slug) {
  std::erase_if(outbox_, [&](const auto& e) { return e.second.pending.alert.slug == slug; });
}

void MemoryStore::Mutate(std::string slug, MutateFn fn, Callback<Mutated> done) {
  Run<Mutated>(std::move(done), [&]() -> Result<Mutated> {
    Mutated m;
    if (auto it = monitors_.find(slug); it != monitors_.end()) m.before = it->second;
    Result<Mutation> mutation = fn(m.before);
    if (!mutation.ok()) return mutation.error();
    if (mutation->kind == Mutation::Kind::kPut && !m.before) {
      std::int64_t count = 0;
      ForEachInProject(ProjectOfKey(slug), [&](const Monitor&) { ++count; });
      if (count >= MaxMonitors()) return MonitorLimitReached(ProjectOfKey(slug), MaxMonitors());
    }
    switch (mutation->kind) {
      case Mutation::Kind::kKeep:
        m.after = m.before;
        break;
      case Mutation::Kind::kPut: {
        if (mutation->monitor.slug != slug) {
          return Internal("a write of monitor " + slug + " names " + mutation->monitor.slug);
        }
        // A write that leaves a monitor without a uuid gives it one (as SQLite, DynamoDB).
        if (mutation->monitor.uuid.empty()) {
          Result<std::string> uuid = GenerateUuid();
          if (!uuid.ok()) return uuid.error();
          mutation->monitor.uuid = std::move(*uuid);
        }
        m.after = mutation->monitor;
        PutMonitor(std::move(mutation->monitor));
        if (mutation->fresh) {
          DropAlerts(slug);
          history_.erase(slug);
        }
        AddHistory(slug, *mutation);
        for (Alert& alert : mutation->alerts) {
          OutboxEntry e;
          e.pending.id = next_alert_id_++;
          e.pending.alert = std::move(alert);
          e.pending.alert.slug = slug;  // the outbox it goes into
          e.pending.created_at = e.pending.alert.at;
          e.next_attempt_at = e.pending.alert.at;
          outbox_.emplace(e.pending.id, std::move(e));
        }
        break;
      }
      case Mutation::Kind::kDelete:
        // Its pending alerts stay to be delivered, as on SQLite; only Delete drops them.
        EraseMonitor(slug);
        break;
    }
    return m;
  });
}

void MemoryStore::Get(std::string slug, UnixMillis now, Callback<std::optional<Monitor>> done) {
  Run<std::optional<Monitor>>(std::move(done), [&]() -> std::optional<Monitor> {
    auto it = monitors_.find(slug);
    if (it == monitors_.end() || it->second.expired(now)) return std::nullopt;
    return it->second;
  });
}

template <class Fn>
void MemoryStore::ForEachInProject(std::string_view project, Fn fn) const {
  if (project == kDefaultProject) {
    for (const auto& [key, m] : monitors_) {
      if (key.find('/') == std::string::npos) fn(m);
    }
    return;
  }
  for (auto it = monitors_.lower_bound(KeyRangeBegin(project));
       it != monitors_.end() && it->first < KeyRangeEnd(project); ++it) {
    fn(it->second);
  }
}

void MemoryStore::FindByUuid(std::string uuid, UnixMillis now,
                             Callback<std::optional<Monitor>> done) {
  Run<std::optional<Monitor>>(std::move(done), [&]() -> std::optional<Monitor> {
    for (const auto& [key, m] : monitors_) {
      if (m.uuid == uuid && !m.expired(now)) return m;
    }
    return std::nullopt;
  });
}

void MemoryStore::List(std::string project, std::string after, std::size_t limit, UnixMillis now,
                       Callback<MonitorPage> done) {
  Run<MonitorPage>(std::move(done), [&] {
    MonitorPage page;
    if (limit == 0) return page;
    for (auto it = monitors_.upper_bound(after); it != monitors_.end(); ++it) {
      if (it->second.expired(now) || ProjectOfKey(it->first) != project) continue;
      if (page.monitors.size() == limit) {
        page.next_after = page.monitors.back().slug;
        break;
      }
      page.monitors.push_back(it->second);
    }
    return page;
  });
}

void MemoryStore::Delete(std::string slug, UnixMillis now, Callback<bool> done) {
  Run<bool>(std::move(done), [&] {
    auto it = monitors_.find(slug);
    bool found = it != monitors_.end() && !it->second.expired(now);
    EraseMonitor(slug);
    DropAlerts(slug);  // a sender holding one finds its lease gone
    return found;
  });
}

void MemoryStore::CountMonitors(UnixMillis now, Callback<MonitorCounts> done) {
  Run<MonitorCounts>(std::move(done), [&] {
    MonitorCounts c;
    for (const auto& [slug, m] : monitors_) {
      if (m.expired(now)) continue;
      switch (DeriveStatus(m, now)) {
        case MonitorStatus::kOk:
          ++c.ok;
          break;
        case MonitorStatus::kOverdue:
          ++c.overdue;
          if (m.failed()) ++c.failed;
          break;
        case MonitorStatus::kPaused:
          ++c.paused;
          break;
      }
    }
    return c;
  });
}

void MemoryStore::DeleteExpired(UnixMillis now, std::size_t limit, Callback<std::size_t> done) {
  Run<std::size_t>(std::move(done), [&] {
    // Bounded work, as on SQLite: the next `limit` monitors from where the last call
    // stopped, wrapping around at the end.
    std::vector<std::string> expired;
    std::size_t seen = 0;
    std::string last;
    for (auto it = monitors_.upper_bound(expiry_cursor_); it != monitors_.end() && seen < limit;
         ++it, ++seen) {
      last = it->first;
      if (it->second.expired(now)) expired.push_back(last);
    }
    expiry_cursor_ = seen < limit ? std::string() : last;
    for (const std::string& slug : expired) EraseMonitor(slug);
    return expired.size();
  });
}

// ---- history ----

void MemoryStore::ListPings(std::string slug, std::size_t limit, UnixMillis now,
                            Callback<std::optional<std::vector<PingRecord>>> done) {
  Run<std::optional<std::vector<PingRecord>>>(
      std::move(done), [&]() -> std::optional<std::vector<PingRecord>> {
        const History* h = LiveHistory(slug, now);
        if (h == nullptr) return std::nullopt;
        std::vector<PingRecord> out;
        for (auto it = h->pings.rbegin(); it != h->pings.rend() && out.size() < limit; ++it) {
          out.push_back(it->second);
          out.back().body.clear();
        }
        return out;
      });
}

void MemoryStore::PingBody(std::string slug, std::int64_t n, UnixMillis now,
                           Callback<std::optional<std::string>> done) {
  Run<std::optional<std::string>>(std::move(done), [&]() -> std::optional<std::string> {
    const History* h = LiveHistory(slug, now);
    if (h == nullptr) return std::nullopt;
    auto it = h->pings.find(n);
    if (it == h->pings.end() || it->second.body_bytes == 0) return std::nullopt;
    return it->second.body;
  });
}

void MemoryStore::ListFlips(std::string slug, UnixMillis since, UnixMillis now,
                            Callback<std::optional<std::vector<Flip>>> done) {
  Run<std::optional<std::vector<Flip>>>(std::move(done), [&]() -> std::optional<std::vector<Flip>> {
    const History* h = LiveHistory(slug, now);
    if (h == nullptr) return std::nullopt;
    std::vector<Flip> out;
    for (auto it = h->flips.rbegin(); it != h->flips.rend() && it->at >= since; ++it) {
      out.push_back(*it);
    }
    return out;
  });
}

// ---- the checker ----

void MemoryStore::DueMonitors(UnixMillis now, std::size_t limit,
                              Callback<std::vector<Monitor>> done) {
  Run<std::vector<Monitor>>(std::move(done), [&] {
    std::vector<Monitor> due;
    for (auto it = by_check_.begin();
         it != by_check_.end() && it->first <= now && due.size() < limit; ++it) {
      due.push_back(monitors_.at(it->second));
    }
    return due;
  });
}

void MemoryStore::EarliestCheck(Callback<std::optional<UnixMillis>> done) {
  Run<std::optional<UnixMillis>>(std::move(done), [&]() -> std::optional<UnixMillis> {
    if (by_check_.empty()) return std::nullopt;
    return by_check_.begin()->first;
  });
}

// ---- the outbox ----

std::vector<MemoryStore::OutboxEntry*> MemoryStore::Heads() {
  std::vector<OutboxEntry*> heads;
  std::set<std::pair<std::string, std::string>> seen;  // (slug, channel)
  for (auto& [id, e] : outbox_) {
    if (e.rejected) continue;
    if (seen.emplace(e.pending.alert.slug, e.pending.alert.channel).second) heads.push_back(&e);
  }
  return heads;
}

Result<MemoryStore::OutboxEntry*> MemoryStore::Leased(const PendingAlert& alert,
                                                      const std::string& owner) {
  auto it = outbox_.find(alert.id);
  if (it == outbox_.end() || it->second.pending.alert.slug != alert.alert.slug ||
      it->second.lease_owner != owner) {
    return Conflict("the alert's lease was lost to another sender");
  }
  return &it->second;
}

void MemoryStore::ClaimAlerts(UnixMillis now, std::int64_t lease_ms, std::size_t limit,
                              std::string owner, ClaimRoom room,
                              Callback<std::vector<PendingAlert>> done) {
  Run<std::vector<PendingAlert>>(std::move(done), [&] {
    std::vector<PendingAlert> claimed;
    ClaimBudget budget(room);
    for (OutboxEntry* e : Heads()) {
      if (claimed.size() == limit) break;
      if (e->next_attempt_at > now || (e->lease_until && *e->lease_until > now)) continue;
      if (!budget.Take(e->pending.alert.channel)) continue;
      e->lease_owner = owner;
      e->lease_until = now + lease_ms;
      ++e->pending.attempts;
      claimed.push_back(e->pending);
    }
    return claimed;
  });
}

void MemoryStore::FinishAlert(const PendingAlert& alert, std::string owner, Callback<void> done) {
  Run<void>(std::move(done), [&]() -> Status {
    Result<OutboxEntry*> e = Leased(alert, owner);
    if (!e.ok()) return e.error();
    outbox_.erase(alert.id);
    return Ok{};
  });
}

void MemoryStore::RenewAlert(const PendingAlert& alert, std::string owner, UnixMillis lease_until,
                             Callback<void> done) {
  Run<void>(std::move(done), [&]() -> Status {
    Result<OutboxEntry*> e = Leased(alert, owner);
    if (!e.ok()) return e.error();
    (*e)->lease_until = lease_until;
    return Ok{};
  });
}

void MemoryStore::RetryAlert(const PendingAlert& alert, std::string owner,
                             UnixMillis next_attempt_at, std::string error, Callback<void> done) {
  Run<void>(std::move(done), [&]() -> Status {
    Result<OutboxEntry*> e = Leased(alert, owner);
    if (!e.ok()) return e.error();
    (*e)->lease_owner = std::nullopt;
    (*e)->lease_until = std::nullopt;
    (*e)->next_attempt_at = next_attempt_at;
    (*e)->last_error = std::move(error);
    return Ok{};
  });
}

void MemoryStore::RejectAlert(const PendingAlert& alert, std::string owner, std::string error,
                              Callback<void> done) {
  Run<void>(std::move(done), [&]() -> Status {
    Result<OutboxEntry*> e = Leased(alert, owner);
    if (!e.ok()) return e.error();
    (*e)->rejected = true;
    (*e)->lease_owner = std::nullopt;
    (*e)->lease_until = std::nullopt;
    (*e)->last_error = std::move(error);
    return Ok{};
  });
}

void MemoryStore::EarliestAlertAttempt(Callback<std::optional<UnixMillis>> done) {
  Run<std::optional<UnixMillis>>(std::move(done), [&] {
    std::optional<UnixMillis> earliest;
    for (const OutboxEntry* e : Heads()) {
      UnixMillis at = std::max(e->next_attempt_at, e->lease_until.value_or(0));
      if (!earliest || at < *earliest) earliest = at;
    }
    return earliest;
  });
}

void MemoryStore::CountPendingAlerts(Callback<std::int64_t> done) {
  Run<std::int64_t>(std::move(done), [&] {
    return static_cast<std::int64_t>(std::count_if(
        outbox_.begin(), outbox_.end(), [](const auto& e) { return !e.second.rejected; }));
  });
}

// ---- API keys ----

void MemoryStore::AddKey(ApiKeyRecord key, Callback<void> done) {
  Run<void>(std::move(done), [&]() -> Status {
    if (keys_.contains(key.key_hash)) {
      return InvalidArgument("a key with this hash exists already");
    }
    std::string hash = key.key_hash;
    keys_.emplace(std::move(hash), std::move(key));
    return Ok{};
  });
}

void MemoryStore::ListKeys(Callback<std::vector<ApiKeyRecord>> done) {
  Run<std::vector<ApiKeyRecord>>(std::move(done), [&] {
    std::vector<ApiKeyRecord> keys;
    for (const auto& [hash, k] : keys_) keys.push_back(k);
    std::stable_sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) {
      return a.created_at < b.created_at;  // then by hash, as the map gave them
    });
    return keys;
  });
}

void MemoryStore::RevokeKey(std::string id, Callback<void> done) {
  Run<void>(std::move(done), [&]() -> Status {
    std::vector<std::string> hashes;
    for (const auto& [hash, key] : keys_) hashes.push_back(hash);
    Result<std::string> hash = ResolveKeyId(id, hashes);
    if (!hash.ok()) return hash.error();
    keys_.erase(*hash);
    return Ok{};
  });
}

void MemoryStore::TouchKeys(std::vector<std::pair<std::string, UnixMillis>> uses,
                            Callback<void> done) {
  Run<void>(std::move(done), [&]() -> Status {
    for (const auto& [hash, when] : uses) {
      auto it = keys_.find(hash);
      if (it == keys_.end()) continue;
      std::optional<UnixMillis>& last = it->second.last_used_at;
      if (!last || when > *last) last = when;
    }
    return Ok{};
  });
}

// ---- projects ----

void MemoryStore::AddProject(ProjectRecord project, Callback<void> done) {
  Run<void>(std::move(done), [&]() -> Status {
    for (const auto& [name, p] : projects_) {
      if (name == project.name) return Conflict("project " + name + " exists already");
      if (p.ping_key == project.ping_key) return Conflict("that ping key is taken");
    }
    std::string name = project.name;
    projects_.emplace(std::move(name), std::move(project));
    return Ok{};
  });
}

void MemoryStore::ListProjects(Callback<std::vector<ProjectRecord>> done) {
  Run<std::vector<ProjectRecord>>(std::move(done), [&] {
    std::vector<ProjectRecord> out;
    for (const auto& [name, p] : projects_) out.push_back(p);
    return out;
  });
}

void MemoryStore::RemoveProject(std::string name, UnixMillis now, Callback<void> done) {
  Run<void>(std::move(done), [&]() -> Status {
    if (name == kDefaultProject) return InvalidArgument("the default project cannot be removed");
    if (!projects_.contains(name)) return NotFound("no project named " + name);
    std::int64_t live = 0;
    ForEachInProject(name, [&](const Monitor& m) { live += m.expired(now) ? 0 : 1; });
    if (live > 0) {
      return Conflict("project " + name + " still has " + std::to_string(live) +
                      " monitors; delete them first");
    }
    for (const auto& [hash, k] : keys_) {
      if (k.project == name) {
        return Conflict("project " + name + " still has API keys; revoke them first");
      }
    }
    projects_.erase(name);
    return Ok{};
  });
}

// ---- channels ----

void MemoryStore::AddChannel(ChannelRecord channel, Callback<void> done) {
  Run<void>(std::move(done), [&]() -> Status {
    std::pair<std::string, std::string> key{channel.project, channel.name};
    if (channels_.contains(key)) {
      return Conflict("a channel named " + channel.name + " already exists");
    }
    channels_.emplace(std::move(key), std::move(channel));
    return Ok{};
  });
}

void MemoryStore::ListChannels(Callback<std::vector<ChannelRecord>> done) {
  Run<std::vector<ChannelRecord>>(std::move(done), [&] {
    std::vector<ChannelRecord> out;
    for (const auto& [key, c] : channels_) out.push_back(c);
    return out;
  });
}

void MemoryStore::RemoveChannel(std::string project, std::string name, Callback<void> done) {
  Run<void>(std::move(done), [&]() -> Status {
    if (channels_.erase({project, name}) == 0) return NotFound("no channel named " + name);
    return Ok{};
  });
}

void MemoryStore::SetPingKey(std::string name, std::string ping_key, Callback<void> done) {
  Run<void>(std::move(done), [&]() -> Status {
    auto it = projects_.find(name);
    if (it == projects_.end()) return NotFound("no project named " + name);
    it->second.ping_key = std::move(ping_key);
    return Ok{};
  });
}

}  // namespace heartbeat
