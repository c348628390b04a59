#include "store/dynamo/dynamo_store.h"

#include <algorithm>
#include <random>
#include <thread>

#include "core/interval.h"
#include "store/dynamo/monitor_item.h"

namespace heartbeat {

using aws::AttributeValue;
using aws::DynamoError;
using aws::DynamoErrorKind;
using aws::DynamoResult;
using aws::Item;
using dynamo::MonitorRecord;
using dynamo::OutboxEntry;

namespace {

// Read-modify-writes that lose a race (a ping landed between the read and the write) try
// again, this many times, and then report kUnavailable (the caller may retry later: a
// monitor pinged many times a second can outrun a few attempts). The checker's decisions
// never try again: they report kConflict, as their contract says.
constexpr int kMutateAttempts = 12;
constexpr int kNoRetry = 0;

Error ToError(const DynamoError& e, std::string_view what) {
  std::string message = std::string(what) + ": DynamoDB " +
                        (e.type.empty() ? std::string(aws::ToString(e.kind)) : e.type) +
                        (e.message.empty() ? "" : ": " + e.message);
  switch (e.kind) {
    case DynamoErrorKind::kConditionalCheckFailed:
      return Conflict(std::move(message));
    case DynamoErrorKind::kValidation:
      return Internal(std::move(message));
    case DynamoErrorKind::kNotFound:
      return Unavailable(std::move(message) + " (does the table exist? heartbeat store init)");
    default:
      return Unavailable(std::move(message));
  }
}

AttributeValue S(std::string s) { return AttributeValue::S(std::move(s)); }
AttributeValue N(std::int64_t n) { return AttributeValue::N(n); }

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

bool Live(const MonitorRecord& r, UnixMillis now) { return !r.monitor.expired(now); }

// The first revision of a new item: its creation time times 1000 plus a random part, so
// that an item deleted and created again never repeats a revision a writer may still hold.
std::int64_t FirstRevision(UnixMillis now) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return now * 1000 + static_cast<std::int64_t>(rng() % 1000);
}

// What a read-modify-write does with the item it read.
struct Change {
  enum class Kind { kNone, kPut, kDelete } kind = Kind::kNone;
  MonitorRecord record;  // for kPut

  static Change None() { return {}; }
  static Change Put(MonitorRecord r) { return {Kind::kPut, std::move(r)}; }
  static Change Remove() { return {Kind::kDelete, {}}; }
};

template <class T>
struct Outcome {
  Change change;
  T value;
};

// A record for a monitor that starts anew at `now` (no item, or an expired one replaced).
MonitorRecord FreshRecord(const std::string& slug, UnixMillis now) {
  MonitorRecord r;
  r.raw["slug"] = S(slug);
  r.rev = FirstRevision(now);
  return r;
}

// What `change` does to the record read (`current`), and the monitor before and after.
Result<Outcome<Store::Mutated>> ApplyMutation(const std::string& slug,
                                              std::optional<MonitorRecord> current,
                                              const Store::MutateFn& fn) {
  Store::Mutated answer;
  if (current) answer.before = current->monitor;
  Result<Mutation> change = fn(answer.before);
  if (!change.ok()) return change.error();
  switch (change->kind) {
    case Mutation::Kind::kKeep:
      answer.after = answer.before;
      return Outcome<Store::Mutated>{Change::None(), std::move(answer)};
    case Mutation::Kind::kDelete:
      if (!current) return Outcome<Store::Mutated>{Change::None(), std::move(answer)};
      return Outcome<Store::Mutated>{Change::Remove(), std::move(answer)};
    case Mutation::Kind::kPut:
      break;
  }
  Monitor& next = change->monitor;
  next.slug = slug;
  MonitorRecord r =
      current && !change->fresh ? std::move(*current) : FreshRecord(slug, next.created_at);
  r.monitor = next;
  if (change->alert) {
    OutboxEntry e;
    e.id = ++r.outbox_seq;
    e.alert = *change->alert;
    e.next_attempt_at = change->alert->at;
    r.outbox.push_back(std::move(e));
  }
  answer.after = std::move(next);
  return Outcome<Store::Mutated>{Change::Put(std::move(r)), std::move(answer)};
}

// A callback for operations whose steps carry Ok, answering a Callback<void>.
Callback<Ok> ToVoid(Callback<void> done) {
  return [done = std::move(done)](Result<Ok> r) {
    if (!r.ok()) return done(r.error());
    return done(Ok{});
  };
}

// Writes `next` and answers with its monitor.
Result<Outcome<Monitor>> WriteAndAnswer(MonitorRecord next) {
  Monitor m = next.monitor;
  return Outcome<Monitor>{Change::Put(std::move(next)), std::move(m)};
}

PendingAlert ToPending(const OutboxEntry& e) {
  PendingAlert p;
  p.id = e.id;
  p.alert = e.alert;
  p.attempts = e.attempts;
  p.created_at = e.alert.at;
  return p;
}

// When the head of r's outbox can be claimed; nullopt when nothing is pending.
std::optional<UnixMillis> HeadReadyAt(const MonitorRecord& r) {
  const OutboxEntry* head = r.Head();
  if (head == nullptr) return std::nullopt;
  return std::max(head->next_attempt_at, head->lease_until.value_or(0));
}

bool ValidKeyId(const std::string& id) {
  if (id.size() < 12 || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// The parts of an operation started together (one request each): each part folds its
// outcome into a shared value, the first error is kept, and `finish` runs once, after the
// last part has reported. Thread-safe.
template <class T>
class Join {
 public:
  using Finish = std::function<void(T value, std::optional<Error> first_error)>;
  static std::shared_ptr<Join> Of(std::size_t parts, Finish finish) {
    return std::shared_ptr<Join>(new Join(parts, std::move(finish)));
  }

  // One part is done: `fold` (may be empty) updates the value, `error` is its failure.
  void Arrive(std::optional<Error> error, const std::function<void(T&)>& fold = {}) {
    bool last;
    {
      std::lock_guard lock(mu_);
      if (fold) fold(value_);
      if (error && !error_) error_ = std::move(error);
      last = --left_ == 0;
    }
    if (last) finish_(std::move(value_), std::move(error_));
  }

 private:
  Join(std::size_t parts, Finish finish) : left_(parts), finish_(std::move(finish)) {}

  std::mutex mu_;
  std::size_t left_;            // guarded by mu_
  T value_{};                   // guarded by mu_
  std::optional<Error> error_;  // guarded by mu_
  Finish finish_;
};

// The usual answer of a join: its first error, else the value.
template <class T>
typename Join<T>::Finish FirstErrorOrValue(Callback<T> done) {
  return [done = std::move(done)](T value, std::optional<Error> error) {
    if (error) return done(std::move(*error));
    done(std::move(value));
  };
}

}  // namespace

// ---------------------------------------------------------------------------------------

struct DynamoStore::Impl : std::enable_shared_from_this<DynamoStore::Impl> {
  DynamoStoreOptions options;
  std::unique_ptr<AsyncHttpClient> http;
  std::unique_ptr<aws::DynamoClient> client;
  std::atomic<bool> healthy{true};

  std::mutex mu;
  std::condition_variable idle_cv;
  std::size_t running = 0;  // operations accepted and not yet answered; guarded by mu
  bool closed = false;      // guarded by mu

  std::mutex expiry_mu;
  std::optional<Item> expiry_cursor;  // where DeleteExpired's scan goes on; guarded by expiry_mu

  std::mutex counts_mu;
  std::optional<std::pair<UnixMillis, MonitorCounts>> counts;  // when counted; by counts_mu

  std::string Home(const std::string& slug) const {
    return dynamo::HomePartition(slug, options.check_partitions);
  }

  // Runs an operation: `body` gets a callback that answers the caller and marks the
  // operation done. After Close, answers kUnavailable inside the call.
  template <class T>
  void Run(Callback<T> done, std::function<void(Callback<T>)> body) {
    {
      std::lock_guard lock(mu);
      if (!closed) {
        ++running;
      } else {
        done(Unavailable("the store is closed"));
        return;
      }
    }
    auto self = shared_from_this();
    body([self, done = std::move(done)](Result<T> r) {
      if (!r.ok() && r.error().code == ErrorCode::kUnavailable) {
        self->healthy.store(false);
      } else {
        self->healthy.store(true);
      }
      done(std::move(r));
      std::lock_guard lock(self->mu);
      if (--self->running == 0) self->idle_cv.notify_all();
    });
  }

  // Answers on the event thread, never inside the caller's call.
  template <class T>
  void Later(Callback<T> done, Result<T> r) {
    auto shared = std::make_shared<Result<T>>(std::move(r));
    http->RunAfter(std::chrono::milliseconds(0),
                   [done = std::move(done), shared]() mutable { done(std::move(*shared)); });
  }

  // --- one monitor item ---

  void GetRecord(const std::string& slug,
                 std::function<void(Result<std::optional<MonitorRecord>>)> done) {
    client->GetItem({.table = options.monitors_table, .key = {{"slug", S(slug)}}},
                    [done = std::move(done)](DynamoResult<std::optional<Item>> r) {
                      if (!r.ok()) return done(ToError(r.error(), "read monitor"));
                      if (!r.value()) return done(std::optional<MonitorRecord>());
                      Result<MonitorRecord> parsed = dynamo::ParseMonitorItem(*r.value());
                      if (!parsed.ok()) return done(parsed.error());
                      return done(std::optional<MonitorRecord>(std::move(*parsed)));
                    });
  }

  // A read-modify-write of one monitor item, conditional on the revision read.
  template <class T>
  void Mutate(std::string slug,
              std::function<Result<Outcome<T>>(std::optional<MonitorRecord>)> decide,
              Callback<T> done, int attempts) {
    auto self = shared_from_this();
    GetRecord(slug, [self, slug, decide = std::move(decide), done = std::move(done),
                     attempts](Result<std::optional<MonitorRecord>> read) mutable {
      if (!read.ok()) return done(read.error());
      std::optional<MonitorRecord>& current = *read;
      std::optional<std::int64_t> rev;
      bool exists = current.has_value();
      bool has_rev = exists && current->raw.count("rev") > 0;
      if (exists) rev = current->rev;
      Result<Outcome<T>> outcome = decide(std::move(current));
      if (!outcome.ok()) return done(outcome.error());
      Change& change = outcome->change;
      if (change.kind == Change::Kind::kNone) return done(std::move(outcome->value));

      // The condition: the item is as it was read.
      std::string condition;
      aws::ExpressionNames names;
      aws::ExpressionValues values;
      if (!exists) {
        condition = "attribute_not_exists(#slug)";
        names["#slug"] = "slug";
      } else if (!has_rev) {
        condition = "attribute_exists(#slug) AND attribute_not_exists(#rev)";
        names["#slug"] = "slug";
        names["#rev"] = "rev";
      } else {
        condition = "#rev = :rev";
        names["#rev"] = "rev";
        values[":rev"] = N(*rev);
      }
      auto value = std::make_shared<T>(std::move(outcome->value));
      auto finish = [self, slug, decide, done, attempts,
                     value](DynamoResult<std::optional<Item>> r) mutable {
        if (r.ok()) return done(std::move(*value));
        if (r.error().kind == DynamoErrorKind::kConditionalCheckFailed) {
          if (attempts == kNoRetry) return done(Conflict("monitor " + slug + " changed meanwhile"));
          if (attempts > 1) {
            return self->Mutate<T>(std::move(slug), std::move(decide), std::move(done),
                                   attempts - 1);
          }
          return done(Unavailable("monitor " + slug + " kept changing under a write; try again"));
        }
        return done(ToError(r.error(), "write monitor " + slug));
      };
      if (change.kind == Change::Kind::kDelete) {
        self->client->DeleteItem({.table = self->options.monitors_table,
                                  .key = {{"slug", S(slug)}},
                                  .condition = condition,
                                  .names = std::move(names),
                                  .values = std::move(values)},
                                 std::move(finish));
        return;
      }
      self->client->PutItem({.table = self->options.monitors_table,
                             .item = dynamo::ToItem(change.record, self->Home(slug)),
                             .condition = condition,
                             .names = std::move(names),
                             .values = std::move(values)},
                            [finish = std::move(finish)](DynamoResult<aws::Nothing> r) mutable {
                              if (r.ok()) return finish(std::optional<Item>());
                              return finish(r.error());
                            });
    });
  }

  // --- the checker's partitions ---

  // Every record of the GSI partition `partition` with next_due <= `before_secs` (all of
  // them when none).
  void QueryPartition(const std::string& partition, std::optional<std::int64_t> before_secs,
                      std::function<void(Result<std::vector<MonitorRecord>>)> done) {
    aws::QueryRequest q;
    q.table = options.monitors_table;
    q.index = dynamo::kCheckIndex;
    q.names["#cp"] = "check_partition";
    q.values[":p"] = S(partition);
    if (before_secs) {
      q.key_condition = "#cp = :p AND #nd <= :t";
      q.names["#nd"] = "next_due";
      q.values[":t"] = N(*before_secs);
    } else {
      q.key_condition = "#cp = :p";
    }
    client->QueryAll(std::move(q), [done = std::move(done)](DynamoResult<std::vector<Item>> r) {
      if (!r.ok()) return done(ToError(r.error(), "query the check index"));
      std::vector<MonitorRecord> records;
      for (const Item& item : r.value()) {
        Result<MonitorRecord> parsed = dynamo::ParseMonitorItem(item);
        if (parsed.ok()) records.push_back(std::move(*parsed));
        // A malformed item cannot be checked; it is skipped rather than stopping the cycle
        // for every other monitor (and shows in Get as an error).
      }
      return done(std::move(records));
    });
  }

  // Runs QueryPartition over `partitions` in parallel and reports every record found.
  void QueryPartitions(std::vector<std::pair<std::string, std::optional<std::int64_t>>> parts,
                       std::function<void(Result<std::vector<MonitorRecord>>)> done) {
    auto join = Join<std::vector<MonitorRecord>>::Of(
        parts.size(), FirstErrorOrValue<std::vector<MonitorRecord>>(std::move(done)));
    for (auto& [partition, before] : parts) {
      QueryPartition(partition, before, [join](Result<std::vector<MonitorRecord>> r) {
        if (!r.ok()) return join->Arrive(r.error());
        join->Arrive(std::nullopt, [&r](std::vector<MonitorRecord>& all) {
          for (MonitorRecord& rec : *r) all.push_back(std::move(rec));
        });
      });
    }
  }

  void QueryAlerting(std::function<void(Result<std::vector<MonitorRecord>>)> done) {
    QueryPartition(dynamo::kAlertingPartition, std::nullopt, std::move(done));
  }

  // --- keys ---

  void ScanKeys(std::function<void(Result<std::vector<ApiKeyRecord>>)> done) {
    client->ScanAll({.table = options.keys_table, .consistent_read = true},
                    [done = std::move(done)](DynamoResult<std::vector<Item>> r) {
                      if (!r.ok()) return done(ToError(r.error(), "list API keys"));
                      std::vector<ApiKeyRecord> keys;
                      for (const Item& item : r.value()) {
                        auto hash = item.find("key_hash");
                        if (hash == item.end() || hash->second.AsString() == nullptr) continue;
                        ApiKeyRecord k;
                        k.key_hash = *hash->second.AsString();
                        if (auto d = item.find("description");
                            d != item.end() && d->second.AsString() != nullptr) {
                          k.description = *d->second.AsString();
                        }
                        k.created_at = dynamo::GetTime(item, "created_at").value_or(0);
                        if (auto u = item.find("last_used_at_ms"); u != item.end()) {
                          k.last_used_at = u->second.AsInt64();
                        }
                        keys.push_back(std::move(k));
                      }
                      return done(std::move(keys));
                    });
  }
};

// ---------------------------------------------------------------------------------------

Result<std::unique_ptr<DynamoStore>> DynamoStore::Open(DynamoStoreOptions options) {
  if (options.check_partitions < 1) return InvalidArgument("check partitions must be at least 1");
  auto impl = std::make_shared<Impl>();
  impl->options = std::move(options);
  impl->http = MakeCurlMultiHttpClient({.max_connections_per_host = impl->options.max_connections});
  impl->client = std::make_unique<aws::DynamoClient>(*impl->http, impl->options.client);
  return std::unique_ptr<DynamoStore>(new DynamoStore(std::move(impl)));
}

DynamoStore::DynamoStore(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

DynamoStore::~DynamoStore() { Close(); }

std::int64_t DynamoStore::InFlight() const { return impl_->client->InFlight(); }
std::int64_t DynamoStore::MaxInFlight() const { return impl_->client->MaxInFlight(); }

std::int64_t DynamoStore::OnConnections() const { return impl_->http->OnConnections(); }
std::int64_t DynamoStore::MaxOnConnections() const { return impl_->http->MaxOnConnections(); }

std::int64_t DynamoStore::RequestsSent() const { return impl_->client->RequestsSent(); }
std::int64_t DynamoStore::ItemsScanned() const { return impl_->client->ItemsScanned(); }

bool DynamoStore::Healthy() const { return impl_->healthy.load(); }

void DynamoStore::Close() {
  {
    std::unique_lock lock(impl_->mu);
    if (impl_->closed) return;
    impl_->closed = true;
    impl_->idle_cv.wait(lock, [&] { return impl_->running == 0; });
  }
  impl_->healthy.store(false);
  impl_->http->Close();
}

// ---- monitors ----

void DynamoStore::Ping(std::string slug, std::optional<std::int64_t> interval_secs, UnixMillis now,
                       Callback<Monitor> done) {
  auto impl = impl_;
  impl->Run<Monitor>(std::move(done), [impl, slug = std::move(slug), interval_secs,
                                       now](Callback<Monitor> done) {
    // One UpdateItem, whether the monitor exists or not; the interval, when not given, is
    // the stored one, read by the expression itself. Only an expired item fails the
    // condition: it is then started afresh by a read-modify-write.
    const std::int64_t now_s = FloorDiv(now, 1000);
    const std::int64_t frac = now - now_s * 1000;
    const std::int64_t expiry_s = now_s + kExpiryMillis / 1000;
    std::string home = impl->Home(slug);
    aws::UpdateItemRequest u;
    u.table = impl->options.monitors_table;
    u.key = {{"slug", S(slug)}};
    u.names = {{"#slug", "slug"},          {"#iv", "interval_secs"},
               {"#lp", "last_ping"},       {"#lpf", "last_ping_frac_ms"},
               {"#nd", "next_due"},        {"#ndf", "next_due_frac_ms"},
               {"#ex", "expires_at"},      {"#exf", "expires_at_frac_ms"},
               {"#ca", "created_at"},      {"#caf", "created_at_frac_ms"},
               {"#pa", "paused"},          {"#ac", "alert_count"},
               {"#cp", "check_partition"}, {"#rev", "rev"},
               {"#fa", "failed_at"},       {"#cat", "check_at"}};
    u.values = {{":now_s", N(now_s)}, {":frac", N(frac)},
                {":ex", N(expiry_s)}, {":false", AttributeValue::Bool(false)},
                {":zero", N(0)},      {":one", N(1)},
                {":home", S(home)},   {":rev0", N(FirstRevision(now))}};
    std::string interval_set;
    if (interval_secs) {
      u.values[":iv"] = N(*interval_secs);
      u.values[":due"] = N(now_s + *interval_secs);
      interval_set = "#iv = :iv, #nd = :due";
    } else {
      u.values[":def"] = N(kDefaultIntervalSecs);
      interval_set = "#iv = if_not_exists(#iv, :def), #nd = if_not_exists(#iv, :def) + :now_s";
    }
    u.update = "SET " + interval_set +
               ", #lp = :now_s, #lpf = :frac, #ndf = :frac, #ex = :ex, #exf = :frac, "
               "#ca = if_not_exists(#ca, :now_s), #caf = if_not_exists(#caf, :frac), "
               "#pa = if_not_exists(#pa, :false), #ac = if_not_exists(#ac, :zero), "
               "#cp = if_not_exists(#cp, :home), #rev = if_not_exists(#rev, :rev0) + :one "
               "REMOVE #fa, #cat";
    u.condition = "attribute_not_exists(#slug) OR #ex > :now_s OR (#ex = :now_s AND #exf > :frac)";
    u.return_values = aws::ReturnValues::kAllNew;
    impl->client->UpdateItem(std::move(u), [impl, slug, home = std::move(home), interval_secs, now,
                                            done = std::move(done)](
                                               DynamoResult<std::optional<Item>> r) mutable {
      if (r.ok()) {
        if (!r.value()) return done(Internal("ping: DynamoDB returned no item"));
        Result<MonitorRecord> parsed = dynamo::ParseMonitorItem(*r.value());
        if (!parsed.ok()) return done(parsed.error());
        // The ping keeps the partition the item was in. Almost always that is where it
        // belongs; when not, it is moved now, once (the next ping finds it in place):
        // - an item the Rust version alerted is still in "CHECK", where the checker would
        //   not see its recovery once next_due has moved on: to ALERTING;
        // - an item written before CHECK_PARTITIONS was raised (or by the Rust version) is
        //   in "CHECK": to its own CHECK#i, or the hot partition would never cool down;
        // - an item another writer unpaused is still in PAUSED, which the checker never
        //   reads: back home.
        // The ping itself is durable already: a move that fails (throttled, raced to the
        // end, the monitor deleted meanwhile) still answers the ping as written, and the
        // next ping tries the move again.
        if (dynamo::PartitionFor(*parsed, home) == parsed->partition) {
          return done(std::move(parsed->monitor));
        }
        return impl->Mutate<Monitor>(
            slug,
            [home, pinged = parsed->monitor](
                std::optional<MonitorRecord> current) -> Result<Outcome<Monitor>> {
              if (!current || dynamo::PartitionFor(*current, home) == current->partition) {
                return Outcome<Monitor>{Change::None(), pinged};  // gone, or moved by another
              }
              return WriteAndAnswer(std::move(*current));
            },
            [pinged = parsed->monitor, done = std::move(done)](Result<Monitor> moved) {
              done(moved.ok() ? std::move(*moved) : pinged);
            },
            kMutateAttempts);
      }
      if (r.error().kind != DynamoErrorKind::kConditionalCheckFailed) {
        return done(ToError(r.error(), "ping " + slug));
      }
      // An expired item: the ping through the read-modify-write, as every other change.
      impl->Mutate<Store::Mutated>(
          slug,
          [slug, interval_secs, now](std::optional<MonitorRecord> current) {
            return ApplyMutation(slug, std::move(current),
                                 [&](const std::optional<Monitor>& m) -> Result<Mutation> {
                                   return SignalWrite(m, Pinged(m, slug, interval_secs, now), now);
                                 });
          },
          [done = std::move(done)](Result<Store::Mutated> r) {
            if (!r.ok()) return done(r.error());
            done(std::move(*r->after));
          },
          kMutateAttempts);
    });
  });
}

void DynamoStore::Mutate(std::string slug, MutateFn fn, Callback<Mutated> done) {
  auto impl = impl_;
  impl->Run<Mutated>(std::move(done),
                     [impl, slug = std::move(slug), fn = std::move(fn)](Callback<Mutated> done) {
                       impl->Mutate<Mutated>(
                           slug,
                           [slug, fn](std::optional<MonitorRecord> current) {
                             return ApplyMutation(slug, std::move(current), fn);
                           },
                           std::move(done), kMutateAttempts);
                     });
}

void DynamoStore::Get(std::string slug, UnixMillis now, Callback<std::optional<Monitor>> done) {
  auto impl = impl_;
  impl->Run<std::optional<Monitor>>(std::move(done), [impl, slug = std::move(slug),
                                                      now](Callback<std::optional<Monitor>> done) {
    impl->GetRecord(slug, [now, done = std::move(done)](Result<std::optional<MonitorRecord>> r) {
      if (!r.ok()) return done(r.error());
      if (!*r || !Live(**r, now)) return done(std::optional<Monitor>());
      return done(std::optional<Monitor>(std::move((*r)->monitor)));
    });
  });
}

void DynamoStore::List(std::string after, std::size_t limit, UnixMillis now,
                       Callback<MonitorPage> done) {
  auto impl = impl_;
  impl->Run<MonitorPage>(std::move(done), [impl, after = std::move(after), limit,
                                           now](Callback<MonitorPage> done) {
    // DynamoDB keeps no order across hash keys: a page sorted by slug needs every item.
    // The scan follows LastEvaluatedKey to the end (1 MB a page).
    aws::ScanRequest scan;
    scan.table = impl->options.monitors_table;
    scan.consistent_read = true;  // a ping answered a moment ago is listed
    if (!after.empty()) {
      scan.filter = "#slug > :after";
      scan.names["#slug"] = "slug";
      scan.values[":after"] = S(after);
    }
    impl->client->ScanAll(
        std::move(scan), [limit, now, done = std::move(done)](DynamoResult<std::vector<Item>> r) {
          if (!r.ok()) return done(ToError(r.error(), "list monitors"));
          std::vector<Monitor> live;
          for (const Item& item : r.value()) {
            // An item another writer left malformed is skipped, as by the checker and the
            // counts, rather than hiding every other monitor (Get names its problem).
            Result<MonitorRecord> parsed = dynamo::ParseMonitorItem(item);
            if (parsed.ok() && Live(*parsed, now)) live.push_back(std::move(parsed->monitor));
          }
          std::sort(live.begin(), live.end(),
                    [](const Monitor& a, const Monitor& b) { return a.slug < b.slug; });
          MonitorPage page;
          if (limit == 0) return done(std::move(page));
          if (live.size() > limit) {
            live.resize(limit);
            page.next_after = live.back().slug;
          }
          page.monitors = std::move(live);
          return done(std::move(page));
        });
  });
}

void DynamoStore::Delete(std::string slug, UnixMillis now, Callback<bool> done) {
  auto impl = impl_;
  impl->Run<bool>(std::move(done), [impl, slug = std::move(slug), now](Callback<bool> done) {
    impl->client->DeleteItem(
        {.table = impl->options.monitors_table,
         .key = {{"slug", S(slug)}},
         .return_values = aws::ReturnValues::kAllOld},
        [now, slug, done = std::move(done)](DynamoResult<std::optional<Item>> r) {
          if (!r.ok()) return done(ToError(r.error(), "delete monitor " + slug));
          if (!r.value()) return done(false);
          Result<MonitorRecord> parsed = dynamo::ParseMonitorItem(*r.value());
          return done(parsed.ok() && Live(*parsed, now));
        });
  });
}

void DynamoStore::CountMonitors(UnixMillis now, Callback<MonitorCounts> done) {
  auto impl = impl_;
  impl->Run<MonitorCounts>(std::move(done), [impl, now](Callback<MonitorCounts> done) {
    {
      std::lock_guard lock(impl->counts_mu);
      if (impl->counts && impl->counts->first <= now &&
          now - impl->counts->first < impl->options.counts_max_age.count()) {
        return done(impl->counts->second);
      }
    }
    impl->client->ScanAll({.table = impl->options.monitors_table},
                          [impl, now, done = std::move(done)](DynamoResult<std::vector<Item>> r) {
                            if (!r.ok()) return done(ToError(r.error(), "count monitors"));
                            MonitorCounts c;
                            for (const Item& item : r.value()) {
                              Result<MonitorRecord> parsed = dynamo::ParseMonitorItem(item);
                              if (!parsed.ok() || !Live(*parsed, now)) continue;
                              switch (DeriveStatus(parsed->monitor, now)) {
                                case MonitorStatus::kPaused:
                                  ++c.paused;
                                  break;
                                case MonitorStatus::kOverdue:
                                  ++c.overdue;
                                  if (parsed->monitor.failed()) ++c.failed;
                                  break;
                                case MonitorStatus::kOk:
                                  ++c.ok;
                                  break;
                              }
                            }
                            {
                              std::lock_guard lock(impl->counts_mu);
                              // Two scans that overlapped: the later count stays.
                              if (!impl->counts || impl->counts->first <= now) {
                                impl->counts = {now, c};
                              }
                            }
                            return done(c);
                          });
  });
}

void DynamoStore::DeleteExpired(UnixMillis now, std::size_t limit, Callback<std::size_t> done) {
  auto impl = impl_;
  impl->Run<std::size_t>(std::move(done), [impl, now, limit](Callback<std::size_t> done) {
    // A bounded piece of a scan that goes round the table, call after call. DynamoDB's TTL
    // removes expired items too, but only within days; until then every read hides them.
    aws::ScanRequest scan;
    scan.table = impl->options.monitors_table;
    scan.limit = static_cast<std::int32_t>(std::clamp<std::size_t>(limit, 1, 1000));
    {
      std::lock_guard lock(impl->expiry_mu);
      scan.exclusive_start_key = impl->expiry_cursor;
    }
    impl->client->Scan(
        std::move(scan), [impl, now, done = std::move(done)](DynamoResult<aws::Page> r) {
          if (!r.ok()) return done(ToError(r.error(), "scan for expired monitors"));
          {
            std::lock_guard lock(impl->expiry_mu);
            impl->expiry_cursor = r.value().last_evaluated_key;
          }
          std::vector<std::string> expired;
          for (const Item& item : r.value().items) {
            Result<MonitorRecord> parsed = dynamo::ParseMonitorItem(item);
            if (parsed.ok() && !Live(*parsed, now)) expired.push_back(parsed->monitor.slug);
          }
          if (expired.empty()) return done(std::size_t{0});
          // Removed ones count even if another removal failed.
          auto join = Join<std::size_t>::Of(
              expired.size(), [done = std::move(done)](std::size_t n, std::optional<Error> e) {
                if (e && n == 0) return done(std::move(*e));
                done(n);
              });
          const std::int64_t now_s = FloorDiv(now, 1000);
          const std::int64_t frac = now - now_s * 1000;
          for (const std::string& slug : expired) {
            // Only if still expired: a ping may have revived it since the scan.
            impl->client->DeleteItem(
                {.table = impl->options.monitors_table,
                 .key = {{"slug", S(slug)}},
                 .condition = "#ex < :now_s OR (#ex = :now_s AND (attribute_not_exists(#exf) OR "
                              "#exf <= :frac))",
                 .names = {{"#ex", "expires_at"}, {"#exf", "expires_at_frac_ms"}},
                 .values = {{":now_s", N(now_s)}, {":frac", N(frac)}}},
                [join](DynamoResult<std::optional<Item>> r) {
                  if (r.ok()) return join->Arrive(std::nullopt, [](std::size_t& n) { ++n; });
                  // A failed condition: revived by a ping meanwhile, rightly kept.
                  if (r.error().kind == DynamoErrorKind::kConditionalCheckFailed) {
                    return join->Arrive(std::nullopt);
                  }
                  join->Arrive(ToError(r.error(), "delete an expired monitor"));
                });
          }
        });
  });
}

// ---- the checker ----

void DynamoStore::DueMonitors(UnixMillis now, std::size_t limit,
                              Callback<std::vector<Monitor>> done) {
  auto impl = impl_;
  impl->Run<std::vector<Monitor>>(
      std::move(done), [impl, now, limit](Callback<std::vector<Monitor>> done) {
        std::vector<std::pair<std::string, std::optional<std::int64_t>>> parts;
        for (const std::string& p : dynamo::HomePartitions(impl->options.check_partitions)) {
          parts.emplace_back(p, FloorDiv(now, 1000));
        }
        parts.emplace_back(dynamo::kAlertingPartition, std::nullopt);
        impl->QueryPartitions(std::move(parts), [now, limit, done = std::move(done)](
                                                    Result<std::vector<MonitorRecord>> r) {
          if (!r.ok()) return done(r.error());
          std::vector<Monitor> due;
          for (MonitorRecord& rec : *r) {
            const Monitor& m = rec.monitor;
            if (m.check_at && *m.check_at <= now) due.push_back(std::move(rec.monitor));
          }
          std::sort(due.begin(), due.end(), [](const Monitor& a, const Monitor& b) {
            return std::tie(*a.check_at, a.slug) < std::tie(*b.check_at, b.slug);
          });
          if (due.size() > limit) due.resize(limit);
          return done(std::move(due));
        });
      });
}

void DynamoStore::EarliestCheck(Callback<std::optional<UnixMillis>> done) {
  auto impl = impl_;
  impl->Run<std::optional<UnixMillis>>(
      std::move(done), [impl](Callback<std::optional<UnixMillis>> done) {
        // The alerting partition whole, and the head of each home partition: there, check_at
        // follows next_due, the index's sort key. A page of 50 skips the odd paused item of the
        // seed at the front.
        std::vector<std::string> homes = dynamo::HomePartitions(impl->options.check_partitions);
        auto join = Join<std::optional<UnixMillis>>::Of(
            homes.size() + 1, FirstErrorOrValue<std::optional<UnixMillis>>(std::move(done)));
        auto report = [join](Result<std::vector<MonitorRecord>> r) {
          if (!r.ok()) return join->Arrive(r.error());
          join->Arrive(std::nullopt, [&r](std::optional<UnixMillis>& earliest) {
            for (const MonitorRecord& rec : *r) {
              if (rec.monitor.check_at && (!earliest || *rec.monitor.check_at < *earliest)) {
                earliest = rec.monitor.check_at;
              }
            }
          });
        };
        impl->QueryAlerting(report);
        for (const std::string& home : homes) {
          aws::QueryRequest q;
          q.table = impl->options.monitors_table;
          q.index = dynamo::kCheckIndex;
          q.key_condition = "#cp = :p";
          q.names["#cp"] = "check_partition";
          q.values[":p"] = S(home);
          q.limit = 50;
          impl->client->Query(std::move(q), [report](DynamoResult<aws::Page> r) {
            if (!r.ok()) return report(ToError(r.error(), "query the check index"));
            std::vector<MonitorRecord> first;
            for (const Item& item : r.value().items) {
              Result<MonitorRecord> parsed = dynamo::ParseMonitorItem(item);
              if (parsed.ok() && parsed->monitor.check_at) {
                first.push_back(std::move(*parsed));
                break;
              }
            }
            return report(std::move(first));
          });
        }
      });
}

// ---- the outbox ----

void DynamoStore::ClaimAlerts(UnixMillis now, std::int64_t lease_ms, std::size_t limit,
                              std::string owner, Callback<std::vector<PendingAlert>> done) {
  auto impl = impl_;
  impl->Run<std::vector<PendingAlert>>(
      std::move(done), [impl, now, lease_ms, limit,
                        owner = std::move(owner)](Callback<std::vector<PendingAlert>> done) {
        impl->QueryAlerting([impl, now, lease_ms, limit, owner,
                             done = std::move(done)](Result<std::vector<MonitorRecord>> r) mutable {
          if (!r.ok()) return done(r.error());
          std::vector<MonitorRecord>& records = *r;
          // Oldest alerts first.
          std::sort(records.begin(), records.end(),
                    [](const MonitorRecord& a, const MonitorRecord& b) {
                      const OutboxEntry* ha = a.Head();
                      const OutboxEntry* hb = b.Head();
                      UnixMillis ta = ha ? ha->alert.at : 0;
                      UnixMillis tb = hb ? hb->alert.at : 0;
                      return std::tie(ta, a.monitor.slug) < std::tie(tb, b.monitor.slug);
                    });
          std::vector<std::string> ready;
          std::vector<std::string> idle;  // nothing pending, nothing active: not alerting any more
          for (const MonitorRecord& rec : records) {
            std::optional<UnixMillis> at = HeadReadyAt(rec);
            if (at && *at <= now && ready.size() < limit) ready.push_back(rec.monitor.slug);
            if (!at && rec.monitor.alert.alert_count == 0) idle.push_back(rec.monitor.slug);
          }
          // An item left in the alerting partition by an interrupted write goes home (the
          // rewrite recomputes its partition). Nobody waits for it, but Close does.
          for (const std::string& slug : idle) {
            impl->Run<Ok>(
                [](Result<Ok>) {},
                [impl, slug, now](Callback<Ok> done) {
                  const std::string home = impl->Home(slug);
                  impl->Mutate<Ok>(
                      slug,
                      [now, home](std::optional<MonitorRecord> current) -> Result<Outcome<Ok>> {
                        if (!current || !Live(*current, now) ||
                            current->partition != dynamo::kAlertingPartition ||
                            dynamo::PartitionFor(*current, home) == dynamo::kAlertingPartition) {
                          return Outcome<Ok>{Change::None(), Ok{}};
                        }
                        return Outcome<Ok>{Change::Put(std::move(*current)), Ok{}};
                      },
                      std::move(done), kNoRetry);
                });
          }
          if (ready.empty()) return done(std::vector<PendingAlert>());
          // Claimed alerts are reported even if another claim failed: their leases are held,
          // and dropping them here would only delay them by a lease.
          auto join = Join<std::vector<PendingAlert>>::Of(
              ready.size(), [done = std::move(done)](std::vector<PendingAlert> claimed,
                                                     std::optional<Error> error) {
                if (error && claimed.empty()) return done(std::move(*error));
                std::sort(claimed.begin(), claimed.end(),
                          [](const PendingAlert& a, const PendingAlert& b) {
                            return std::tie(a.alert.at, a.alert.slug) <
                                   std::tie(b.alert.at, b.alert.slug);
                          });
                done(std::move(claimed));
              });
          for (const std::string& slug : ready) {
            impl->Mutate<std::optional<PendingAlert>>(
                slug,
                [now, lease_ms, owner](std::optional<MonitorRecord> current)
                    -> Result<Outcome<std::optional<PendingAlert>>> {
                  OutboxEntry* head = current ? current->Head() : nullptr;
                  // Ours already: the first attempt of this very claim was written, and its
                  // answer lost (the client sent it again).
                  if (head != nullptr && head->lease_owner == owner &&
                      head->lease_until == now + lease_ms) {
                    return Outcome<std::optional<PendingAlert>>{Change::None(), ToPending(*head)};
                  }
                  if (head == nullptr || head->next_attempt_at > now ||
                      head->lease_until.value_or(0) > now) {
                    return Outcome<std::optional<PendingAlert>>{Change::None(), std::nullopt};
                  }
                  head->lease_owner = owner;
                  head->lease_until = now + lease_ms;
                  ++head->attempts;
                  PendingAlert p = ToPending(*head);
                  return Outcome<std::optional<PendingAlert>>{Change::Put(std::move(*current)),
                                                              std::move(p)};
                },
                [join](Result<std::optional<PendingAlert>> r) {
                  // A conflict: another sender claimed it first.
                  if (!r.ok() && r.error().code != ErrorCode::kConflict) {
                    return join->Arrive(r.error());
                  }
                  join->Arrive(std::nullopt, [&r](std::vector<PendingAlert>& claimed) {
                    if (r.ok() && *r) claimed.push_back(std::move(**r));
                  });
                },
                kMutateAttempts);
          }
        });
      });
}

namespace {

// A change to the outbox entry `id` of a monitor, made only while `owner` holds its lease.
std::function<Result<Outcome<Ok>>(std::optional<MonitorRecord>)> LeasedChange(
    std::int64_t id, std::string owner, std::function<void(MonitorRecord&, OutboxEntry&)> change) {
  return [id, owner = std::move(owner),
          change = std::move(change)](std::optional<MonitorRecord> current) -> Result<Outcome<Ok>> {
    if (!current) return Conflict("the alert's monitor was deleted");
    auto it = std::find_if(current->outbox.begin(), current->outbox.end(),
                           [&](const OutboxEntry& e) { return e.id == id; });
    if (it == current->outbox.end() || it->lease_owner != owner) {
      return Conflict("the alert's lease was lost to another sender");
    }
    change(*current, *it);
    return Outcome<Ok>{Change::Put(std::move(*current)), Ok{}};
  };
}

}  // namespace

void DynamoStore::FinishAlert(const PendingAlert& alert, std::string owner, Callback<void> done) {
  auto impl = impl_;
  impl->Run<void>(std::move(done), [impl, id = alert.id, slug = alert.alert.slug,
                                    owner = std::move(owner)](Callback<void> done) {
    impl->Mutate<Ok>(
        slug,
        LeasedChange(id, owner,
                     [id](MonitorRecord& r, OutboxEntry&) {
                       std::erase_if(r.outbox, [id](const OutboxEntry& e) { return e.id == id; });
                     }),
        ToVoid(std::move(done)), kMutateAttempts);
  });
}

void DynamoStore::RetryAlert(const PendingAlert& alert, std::string owner,
                             UnixMillis next_attempt_at, std::string error, Callback<void> done) {
  auto impl = impl_;
  impl->Run<void>(
      std::move(done), [impl, id = alert.id, slug = alert.alert.slug, owner = std::move(owner),
                        next_attempt_at, error = std::move(error)](Callback<void> done) {
        impl->Mutate<Ok>(slug,
                         LeasedChange(id, owner,
                                      [next_attempt_at, error](MonitorRecord&, OutboxEntry& e) {
                                        e.lease_owner = std::nullopt;
                                        e.lease_until = std::nullopt;
                                        e.next_attempt_at = next_attempt_at;
                                        e.last_error = error;
                                      }),
                         ToVoid(std::move(done)), kMutateAttempts);
      });
}

void DynamoStore::RejectAlert(const PendingAlert& alert, std::string owner, std::string error,
                              Callback<void> done) {
  auto impl = impl_;
  impl->Run<void>(std::move(done),
                  [impl, id = alert.id, slug = alert.alert.slug, owner = std::move(owner),
                   error = std::move(error)](Callback<void> done) {
                    impl->Mutate<Ok>(slug,
                                     LeasedChange(id, owner,
                                                  [error](MonitorRecord&, OutboxEntry& e) {
                                                    e.rejected = true;
                                                    e.lease_owner = std::nullopt;
                                                    e.lease_until = std::nullopt;
                                                    e.last_error = error;
                                                  }),
                                     ToVoid(std::move(done)), kMutateAttempts);
                  });
}

void DynamoStore::EarliestAlertAttempt(Callback<std::optional<UnixMillis>> done) {
  auto impl = impl_;
  impl->Run<std::optional<UnixMillis>>(
      std::move(done), [impl](Callback<std::optional<UnixMillis>> done) {
        impl->QueryAlerting([done = std::move(done)](Result<std::vector<MonitorRecord>> r) {
          if (!r.ok()) return done(r.error());
          std::optional<UnixMillis> earliest;
          for (const MonitorRecord& rec : *r) {
            std::optional<UnixMillis> at = HeadReadyAt(rec);
            if (at && (!earliest || *at < *earliest)) earliest = at;
          }
          return done(earliest);
        });
      });
}

void DynamoStore::CountPendingAlerts(Callback<std::int64_t> done) {
  auto impl = impl_;
  impl->Run<std::int64_t>(std::move(done), [impl](Callback<std::int64_t> done) {
    impl->QueryAlerting([done = std::move(done)](Result<std::vector<MonitorRecord>> r) {
      if (!r.ok()) return done(r.error());
      std::int64_t n = 0;
      for (const MonitorRecord& rec : *r) n += rec.PendingCount();
      return done(n);
    });
  });
}

// ---- API keys ----

void DynamoStore::AddKey(ApiKeyRecord key, Callback<void> done) {
  auto impl = impl_;
  impl->Run<void>(std::move(done), [impl, key = std::move(key)](Callback<void> done) {
    Item item;
    item["key_hash"] = S(key.key_hash);
    item["description"] = S(key.description);
    dynamo::SetTime(item, "created_at", key.created_at);
    if (key.last_used_at) item["last_used_at_ms"] = N(*key.last_used_at);
    impl->client->PutItem({.table = impl->options.keys_table,
                           .item = std::move(item),
                           .condition = "attribute_not_exists(#h)",
                           .names = {{"#h", "key_hash"}}},
                          [impl, key, done = std::move(done)](DynamoResult<aws::Nothing> r) {
                            if (r.ok()) return done(Ok{});
                            if (r.error().kind != DynamoErrorKind::kConditionalCheckFailed) {
                              return done(ToError(r.error(), "add API key"));
                            }
                            // Ours, if the first attempt was written and its answer lost.
                            impl->ScanKeys([key, done](Result<std::vector<ApiKeyRecord>> keys) {
                              if (!keys.ok()) return done(keys.error());
                              for (const ApiKeyRecord& k : *keys) {
                                if (k.key_hash == key.key_hash && k.created_at == key.created_at &&
                                    k.description == key.description) {
                                  return done(Ok{});
                                }
                              }
                              return done(InvalidArgument("a key with this hash exists already"));
                            });
                          });
  });
}

void DynamoStore::ListKeys(Callback<std::vector<ApiKeyRecord>> done) {
  auto impl = impl_;
  impl->Run<std::vector<ApiKeyRecord>>(
      std::move(done),
      [impl](Callback<std::vector<ApiKeyRecord>> done) { impl->ScanKeys(std::move(done)); });
}

void DynamoStore::RevokeKey(std::string id, Callback<void> done) {
  auto impl = impl_;
  impl->Run<void>(std::move(done), [impl, id = std::move(id)](Callback<void> done) {
    if (!ValidKeyId(id)) {
      return impl->Later<void>(
          std::move(done), InvalidArgument("a key ID is 12 to 64 lower-case hexadecimal digits"));
    }
    impl->ScanKeys(
        [impl, id, done = std::move(done)](Result<std::vector<ApiKeyRecord>> keys) mutable {
          if (!keys.ok()) return done(keys.error());
          std::vector<std::string> matches;
          for (const ApiKeyRecord& k : *keys) {
            if (k.key_hash.compare(0, id.size(), id) == 0) matches.push_back(k.key_hash);
          }
          if (matches.empty()) return done(NotFound("no API key with ID " + id));
          if (matches.size() > 1) {
            return done(InvalidArgument("the ID " + id + " matches several keys: give more of it"));
          }
          impl->client->DeleteItem(
              {.table = impl->options.keys_table,
               .key = {{"key_hash", S(matches[0])}},
               .condition = "attribute_exists(#h)",
               .names = {{"#h", "key_hash"}}},
              [done = std::move(done)](DynamoResult<std::optional<Item>> r) {
                // Already gone (a retry of a delete that was done, or a revocation racing this
                // one): revoked either way.
                if (r.ok() || r.error().kind == DynamoErrorKind::kConditionalCheckFailed) {
                  return done(Ok{});
                }
                return done(ToError(r.error(), "revoke API key"));
              });
        });
  });
}

void DynamoStore::TouchKeys(std::vector<std::pair<std::string, UnixMillis>> uses,
                            Callback<void> done) {
  auto impl = impl_;
  impl->Run<void>(std::move(done), [impl, uses = std::move(uses)](Callback<void> done) {
    // The latest use of each key, one conditional update each: never moves it back, never
    // creates a key.
    std::map<std::string, UnixMillis> latest;
    for (const auto& [hash, at] : uses) {
      auto [it, inserted] = latest.emplace(hash, at);
      if (!inserted) it->second = std::max(it->second, at);
    }
    if (latest.empty()) return impl->Later<void>(std::move(done), Ok{});
    auto join = Join<Ok>::Of(latest.size(), FirstErrorOrValue<Ok>(ToVoid(std::move(done))));
    for (const auto& [hash, at] : latest) {
      impl->client->UpdateItem(
          {.table = impl->options.keys_table,
           .key = {{"key_hash", S(hash)}},
           .update = "SET #u = :t",
           .condition = "attribute_exists(#h) AND (attribute_not_exists(#u) OR #u < :t)",
           .names = {{"#h", "key_hash"}, {"#u", "last_used_at_ms"}},
           .values = {{":t", N(at)}}},
          [join](DynamoResult<std::optional<Item>> r) {
            // A failed condition: an older use, or a key revoked meanwhile.
            if (r.ok() || r.error().kind == DynamoErrorKind::kConditionalCheckFailed) {
              return join->Arrive(std::nullopt);
            }
            join->Arrive(ToError(r.error(), "record API key use"));
          });
    }
  });
}

// ---- set-up ----

Status DynamoStore::InitTables(std::string* ttl_note) {
  aws::DynamoClient& client = *impl_->client;
  const DynamoStoreOptions& o = impl_->options;
  // Creates the table if it is missing and waits until it is ACTIVE (a few seconds on AWS,
  // at once locally). A table that exists already must have the indexes asked for: a table
  // made by hand without the GSI would otherwise only show at the checker's first query.
  auto create = [&](aws::CreateTableRequest request) -> Status {
    std::string table = request.table;
    std::vector<std::string> indexes;
    for (const aws::GlobalSecondaryIndex& gsi : request.indexes) indexes.push_back(gsi.name);
    auto created = Await<aws::Nothing>([&](Callback<aws::Nothing> cb) {
      client.CreateTable(std::move(request), [cb](DynamoResult<aws::Nothing> r) {
        if (r.ok()) return cb(aws::Nothing{});
        if (r.error().type == "ResourceInUseException") return cb(aws::Nothing{});
        return cb(ToError(r.error(), "create table " + r.error().message));
      });
    });
    if (!created.ok()) return created.error().Wrap("create table " + table);
    auto wait = std::chrono::milliseconds(10);
    for (auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
         std::chrono::steady_clock::now() < deadline;) {
      auto described = Await<aws::TableDescription>([&](Callback<aws::TableDescription> cb) {
        client.DescribeTable(table, [cb](DynamoResult<aws::TableDescription> r) {
          if (r.ok()) return cb(std::move(r.value()));
          return cb(ToError(r.error(), "describe table"));
        });
      });
      if (!described.ok()) return described.error();
      // Ready when the table and its indexes are (an index still being built answers no
      // query yet); an engine that gives no index status has them ready.
      bool ready = described->status == "ACTIVE";
      for (const std::string& index : indexes) {
        auto it = described->indexes.find(index);
        if (it == described->indexes.end()) {
          return InvalidArgument("table " + table + " exists without the index " + index +
                                 " that the checker queries; add it (hash key " +
                                 "check_partition S, range key next_due N, projection ALL)");
        }
        ready = ready && (it->second.empty() || it->second == "ACTIVE");
      }
      if (ready) return Ok{};
      std::this_thread::sleep_for(wait);
      wait = std::min(wait * 2, std::chrono::milliseconds(1000));
    }
    return Unavailable("table " + table + " did not become ACTIVE within 2 minutes");
  };
  if (Status s = create({.table = o.monitors_table,
                         .hash = {"slug", 'S'},
                         .indexes = {{.name = dynamo::kCheckIndex,
                                      .hash = {"check_partition", 'S'},
                                      .range = aws::KeyAttribute{"next_due", 'N'}}}});
      !s.ok()) {
    return s;
  }
  if (Status s = create({.table = o.keys_table, .hash = {"key_hash", 'S'}}); !s.ok()) return s;
  // TTL on expires_at. An engine without TTL (dynalite) is worth a note, not a failure:
  // heartbeat removes expired monitors itself. Any other refusal (no permission, TTL on
  // another attribute) is an error: on AWS, expired monitors would pile up unnoticed.
  // true: TTL is on; false: the engine has no TTL.
  auto ttl = Await<bool>([&](Callback<bool> cb) {
    client.UpdateTimeToLive(o.monitors_table, "expires_at", [cb](DynamoResult<aws::Nothing> r) {
      // "TimeToLive is already enabled" answers a ValidationException.
      if (r.ok() || r.error().message.find("already enabled") != std::string::npos) {
        return cb(true);
      }
      if (r.error().type == "UnknownOperationException") return cb(false);
      return cb(ToError(r.error(), "turn TTL on for expires_at"));
    });
  });
  if (!ttl.ok()) return ttl.error().Wrap("table " + o.monitors_table);
  if (!*ttl && ttl_note != nullptr) {
    *ttl_note =
        "TTL could not be turned on (this engine does not know UpdateTimeToLive); heartbeat "
        "removes expired monitors itself";
  }
  return Ok{};
}

}  // namespace heartbeat
