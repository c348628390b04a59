// DynamoStore's lifetime, what its operations share (dynamo_impl.h), and the monitors.

#include "store/dynamo/dynamo_store.h"

#include <algorithm>
#include <random>

#include "asio/await_all.h"
#include "core/interval.h"
#include "store/dynamo/dynamo_impl.h"
#include "store/dynamo/monitor_item.h"

namespace heartbeat {

using aws::AttributeValue;
using aws::DynamoClient;
using aws::DynamoError;
using aws::DynamoErrorKind;
using aws::DynamoResult;
using aws::Item;
using dynamo::Change;
using dynamo::FloorDiv;
using dynamo::kMutateAttempts;
using dynamo::Live;
using dynamo::MonitorRecord;
using dynamo::N;
using dynamo::OutboxEntry;
using dynamo::Outcome;
using dynamo::S;
using dynamo::Task;
using dynamo::ToError;

namespace dynamo {

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

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

std::int64_t FirstRevision(UnixMillis now) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return now * 1000 + static_cast<std::int64_t>(rng() % 1000);
}

WriteCondition AsRead(bool exists, std::optional<std::int64_t> rev) {
  WriteCondition c;
  if (!exists) {
    c.expression = "attribute_not_exists(#slug)";
    c.names["#slug"] = "slug";
  } else if (!rev) {
    c.expression = "attribute_exists(#slug) AND attribute_not_exists(#rev)";
    c.names["#slug"] = "slug";
    c.names["#rev"] = "rev";
  } else {
    c.expression = "#rev = :rev";
    c.names["#rev"] = "rev";
    c.values[":rev"] = N(*rev);
  }
  return c;
}

}  // namespace dynamo

namespace {

// A record for a monitor that starts anew at `now` (no item, or an expired one replaced).
MonitorRecord FreshRecord(const std::string& slug, UnixMillis now) {
  MonitorRecord r;
  r.raw["slug"] = S(slug);
  r.rev = dynamo::FirstRevision(now);
  return r;
}

// What `fn` (Store::Mutate's) does to the record read (`current`), and the monitor before
// and after.
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
  // An item of the seed (or of a version before uuids) gets its uuid with its first write
  // of ours; a creation has it from core (SignalWriteOf, Configure).
  if (next.uuid.empty()) {
    Result<std::string> uuid = GenerateUuid();
    if (!uuid.ok()) return uuid.error();
    next.uuid = std::move(*uuid);
  }
  MonitorRecord r =
      current && !change->fresh ? std::move(*current) : FreshRecord(slug, next.created_at);
  r.monitor = next;
  for (Alert& alert : change->alerts) {
    OutboxEntry e;
    e.id = ++r.outbox_seq;
    e.alert = std::move(alert);
    e.alert.slug = slug;  // the outbox it goes into
    e.next_attempt_at = e.alert.at;
    r.outbox.push_back(std::move(e));
  }
  answer.after = std::move(next);
  return Outcome<Store::Mutated>{Change::Put(std::move(r)), std::move(answer)};
}

}  // namespace

// ---- what the operations share ----

Task<std::optional<MonitorRecord>> DynamoStore::Impl::GetRecord(std::string slug) {
  aws::GetItemRequest get{.table = options.monitors_table, .key = {{"slug", S(slug)}}};
  DynamoResult<std::optional<Item>> r = co_await Call(&DynamoClient::GetItem, std::move(get));
  if (!r.ok()) co_return ToError(r.error(), "read monitor");
  if (!r.value()) co_return std::optional<MonitorRecord>();
  Result<MonitorRecord> parsed = dynamo::ParseMonitorItem(*r.value());
  if (!parsed.ok()) co_return parsed.error();
  co_return std::optional<MonitorRecord>(std::move(*parsed));
}

boost::asio::awaitable<std::optional<DynamoError>> DynamoStore::Impl::Write(
    std::string slug, Change change, dynamo::WriteCondition condition) {
  if (change.kind == Change::Kind::kDelete) {
    aws::DeleteItemRequest del{.table = options.monitors_table,
                               .key = {{"slug", S(slug)}},
                               .condition = std::move(condition.expression),
                               .names = std::move(condition.names),
                               .values = std::move(condition.values)};
    DynamoResult<std::optional<Item>> r = co_await Call(&DynamoClient::DeleteItem, std::move(del));
    if (!r.ok()) co_return r.error();
    co_return std::nullopt;
  }
  aws::PutItemRequest put{.table = options.monitors_table,
                          .item = dynamo::ToItem(change.record, Home(slug)),
                          .condition = std::move(condition.expression),
                          .names = std::move(condition.names),
                          .values = std::move(condition.values)};
  DynamoResult<aws::Nothing> r = co_await Call(&DynamoClient::PutItem, std::move(put));
  if (!r.ok()) co_return r.error();
  co_return std::nullopt;
}

Task<std::vector<MonitorRecord>> DynamoStore::Impl::QueryPartition(
    std::string partition, std::optional<std::int64_t> before_secs) {
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
  DynamoResult<std::vector<Item>> r = co_await Call(&DynamoClient::QueryAll, std::move(q));
  if (!r.ok()) co_return ToError(r.error(), "query the check index");
  std::vector<MonitorRecord> records;
  for (const Item& item : r.value()) {
    Result<MonitorRecord> parsed = dynamo::ParseMonitorItem(item);
    if (parsed.ok()) records.push_back(std::move(*parsed));
    // A malformed item cannot be checked; it is skipped rather than stopping the cycle
    // for every other monitor (and shows in Get as an error).
  }
  co_return records;
}

namespace dynamo {

// Restricts a scan of the monitors table to the items of `project` (core/project.h's
// keys): without '/' for the default project, "project/..." for another.
void FilterProject(aws::ScanRequest& scan, std::string_view project) {
  std::string part;
  scan.names["#slug"] = "slug";
  if (project == kDefaultProject) {
    part = "NOT contains(#slug, :slash)";
    scan.values[":slash"] = S("/");
  } else {
    part = "begins_with(#slug, :prefix)";
    scan.values[":prefix"] = S(KeyRangeBegin(project));
  }
  scan.filter = scan.filter ? "(" + *scan.filter + ") AND " + part : part;
}

}  // namespace dynamo

Task<Ok> DynamoStore::Impl::CountProject(std::string project, UnixMillis now) {
  aws::ScanRequest scan{.table = options.monitors_table, .consistent_read = true};
  scan.select_count = true;
  dynamo::FilterProject(scan, project);
  std::int64_t n = 0;
  for (;;) {
    DynamoResult<aws::Page> r = co_await Call(&DynamoClient::Scan, scan);
    if (!r.ok()) co_return ToError(r.error(), "count the monitors of project " + project);
    n += r.value().count;
    if (!r.value().last_evaluated_key) break;
    scan.exclusive_start_key = std::move(r.value().last_evaluated_key);
  }
  ProjectCount& c = project_counts[project];
  c.count = n;
  c.counted_at = now;
  co_return Ok{};
}

// ---- lifetime ----

Result<std::unique_ptr<DynamoStore>> DynamoStore::Open(DynamoStoreOptions options) {
  if (options.check_partitions < 1) return InvalidArgument("check partitions must be at least 1");
  if (options.store_timeout.count() > 0 &&
      (options.client.operation_timeout.count() <= 0 ||
       options.client.operation_timeout > options.store_timeout)) {
    options.client.operation_timeout = options.store_timeout;
  }
  auto impl = std::make_shared<Impl>();
  impl->options = std::move(options);
  impl->http = MakeCurlMultiHttpClient({.max_connections_per_host = impl->options.max_connections});
  impl->client = std::make_unique<aws::DynamoClient>(*impl->http, impl->options.client);
  impl->thread = std::thread([ioc = &impl->ioc] { ioc->run(); });
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

namespace {

// Healthy()'s probe: a key no monitor has ('#' is not in a slug), read eventually
// consistent: the cheapest request that reaches the table.
Task<Ok> Probe(DynamoStore::Impl& impl) {
  aws::GetItemRequest get{.table = impl.options.monitors_table,
                          .key = {{"slug", S("#healthz-probe")}},
                          .consistent_read = false};
  DynamoResult<std::optional<Item>> r = co_await impl.Call(&DynamoClient::GetItem, std::move(get));
  if (!r.ok()) co_return ToError(r.error(), "probe");
  co_return Ok{};
}

}  // namespace

bool DynamoStore::Healthy() const {
  impl_->ProbeWhenIdle();
  return impl_->healthy.load() && impl_->client->Unanswered() < impl_->options.stall_after;
}

void DynamoStore::Impl::ProbeWhenIdle() {
  // Busy: the requests in flight show a stall by themselves (Unanswered). Answered a moment
  // ago: nothing to learn.
  if (client->InFlight() > 0) return;
  std::optional<std::chrono::milliseconds> quiet = client->SinceLastAnswer();
  if (quiet && *quiet < std::chrono::seconds(1)) return;
  if (probing.exchange(true)) return;
  // Its answer marks the store healthy or not, as every operation's does.
  Run<Ok>([this](Result<Ok>) { probing.store(false); }, Probe(*this));
}

void DynamoStore::Interrupt() { impl_->http->Close(); }

void DynamoStore::Close() {
  {
    std::unique_lock lock(impl_->mu);
    if (impl_->closed) return;
    impl_->closed = true;
    impl_->idle_cv.wait(lock, [&] { return impl_->running == 0; });
  }
  impl_->healthy.store(false);
  // Every operation has answered: the store's thread ends once their coroutines have.
  impl_->work.reset();
  impl_->thread.join();
  impl_->http->Close();
}

// ---- monitors ----

namespace {

// Store::Mutate: the read-modify-write, then what the write adds to the history table (or,
// for a monitor deleted or started afresh, removes from it).
Task<Store::Mutated> MutateMonitor(DynamoStore::Impl& impl, std::string slug, Store::MutateFn fn,
                                   std::int64_t kept, std::int64_t limit) {
  // What the write that landed (the last decision) asked of the history, and whether it
  // creates or removes an item (the project's count).
  struct History {
    std::optional<PingRecord> record;
    std::optional<Flip> flip;
    bool drop = false;
    bool creates = false;
    bool removes = false;
    bool reserved = false;                  // holds one of the project's pending creations
    std::optional<UnixMillis> count_first;  // a creation needs the project's count (at)
  };
  auto history = std::make_shared<History>();
  const std::string project(ProjectOfKey(slug));
  // A creation past MAX_MONITORS_PER_PROJECT is refused here (see ProjectCount); one that
  // finds the count unknown or old asks for it first (count_first), then decides again.
  static const Error kCountFirst = Unavailable("the project's count is needed first");
  // Named, not a temporary in the co_await expression: GCC 12 destroys such temporaries
  // of a coroutine call wrongly (a double free was seen).
  auto decide = [&impl, slug, project, limit, fn = std::move(fn),
                 history](std::optional<MonitorRecord> current) {
    return ApplyMutation(
        slug, std::move(current), [&](const std::optional<Monitor>& m) -> Result<Mutation> {
          Result<Mutation> out = fn(m);
          const bool reserved = history->reserved;
          *history = {};
          history->reserved = reserved;
          if (!out.ok()) return out;
          history->record = out->record;
          history->flip = out->flip;
          history->drop = m && (out->fresh || out->kind == Mutation::Kind::kDelete);
          history->removes = m && out->kind == Mutation::Kind::kDelete;
          if (!m && out->kind == Mutation::Kind::kPut) {
            DynamoStore::Impl::ProjectCount& c = impl.project_counts[project];
            const UnixMillis at = out->monitor.created_at;
            if (!c.Fresh(at)) {
              history->count_first = at;
              return kCountFirst;
            }
            if (!c.HasRoom(limit, reserved ? 1 : 0)) {
              return MonitorLimitReached(project, limit);
            }
            if (!reserved) {
              ++c.pending;
              history->reserved = true;
            }
            history->creates = true;
          }
          return out;
        });
  };
  Result<Store::Mutated> r = Unavailable("not tried");
  for (int counts = 0; counts < 3; ++counts) {
    r = co_await impl.Mutate<Store::Mutated>(slug, decide, kMutateAttempts);
    if (history->reserved) {
      --impl.project_counts[project].pending;
      history->reserved = false;
    }
    if (r.ok() || !history->count_first) break;
    Result<Ok> counted = co_await impl.CountProject(project, *history->count_first);
    if (!counted.ok()) co_return counted.error();
  }
  if (!r.ok()) co_return r;
  if (history->creates) impl.MoveCount(project, +1);
  if (history->removes) impl.MoveCount(project, -1);
  if (history->drop) {
    if (Result<Ok> dropped = co_await impl.DropHistory(slug); !dropped.ok()) {
      co_return dropped.error();
    }
  }
  if (history->record || history->flip) {
    Result<Ok> added =
        co_await impl.AddHistory(slug, std::move(history->record), std::move(history->flip), kept);
    if (!added.ok()) co_return added.error();
  }
  co_return r;
}

// The ping's one UpdateItem, whether the monitor exists or not; the interval, when not
// given, is the stored one, read by the expression itself. An expired item fails the
// condition, and so does a scheduled one pinged without an interval (its deadline is the
// schedule's next match, which core computes): both go through the read-modify-write.
// `uuid`: the one a monitor the ping creates (or a seed item without one) gets.
// `target_uuid`: only the item with that uuid (Healthchecks' /ping/<uuid>); `must_exist`:
// never create. An item neither may change fails the condition, and the read-modify-write
// then answers (NotFound, or the limit's refusal).
aws::UpdateItemRequest PingUpdate(const std::string& table, const std::string& slug,
                                  const std::string& home,
                                  std::optional<std::int64_t> interval_secs,
                                  std::optional<int> exit_code, const std::string& uuid,
                                  const std::optional<std::string>& target_uuid, bool must_exist,
                                  std::int64_t rev0, UnixMillis now) {
  const std::int64_t now_s = FloorDiv(now, 1000);
  const std::int64_t frac = now - now_s * 1000;
  const std::int64_t expiry_s = now_s + kExpiryMillis / 1000;
  aws::UpdateItemRequest u;
  u.table = table;
  u.key = {{"slug", S(slug)}};
  u.names = {{"#slug", "slug"},          {"#iv", "interval_secs"},
             {"#lp", "last_ping"},       {"#lpf", "last_ping_frac_ms"},
             {"#nd", "next_due"},        {"#ndf", "next_due_frac_ms"},
             {"#ex", "expires_at"},      {"#exf", "expires_at_frac_ms"},
             {"#ca", "created_at"},      {"#caf", "created_at_frac_ms"},
             {"#pa", "paused"},          {"#ac", "alert_count"},
             {"#cp", "check_partition"}, {"#rev", "rev"},
             {"#fa", "failed_at"},       {"#cat", "check_at"},
             {"#sch", "schedule"},       {"#run", "running"},
             {"#ps", "pings_seq"},       {"#lec", "last_exit_code"},
             {"#ft", "fail_tail"},       {"#uuid", "uuid"},
             {"#mr", "manual_resume"},   {"#fs", "fail_streak"}};
  u.values = {{":now_s", N(now_s)},
              {":frac", N(frac)},
              {":ex", N(expiry_s)},
              {":false", AttributeValue::Bool(false)},
              {":zero", N(0)},
              {":one", N(1)},
              {":home", S(home)},
              {":rev0", N(rev0)},
              {":true", AttributeValue::Bool(true)},
              {":fresh", S(uuid)}};
  std::string interval_set;
  if (interval_secs) {
    u.values[":iv"] = N(*interval_secs);
    u.values[":due"] = N(now_s + *interval_secs);
    interval_set = "#iv = :iv, #nd = :due";  // and the schedule goes (REMOVE below)
  } else {
    u.values[":def"] = N(kDefaultIntervalSecs);
    interval_set = "#iv = if_not_exists(#iv, :def), #nd = if_not_exists(#iv, :def) + :now_s";
  }
  // A success ends a streak of failures (absent: 0).
  std::string remove = "#fa, #cat, #sch, #ft, #fs";
  if (exit_code) {
    u.values[":code"] = N(*exit_code);
    interval_set += ", #lec = :code";
  } else {
    remove += ", #lec";
  }
  u.update = "SET " + interval_set +
             ", #lp = :now_s, #lpf = :frac, #ndf = :frac, #ex = :ex, #exf = :frac, "
             "#ca = if_not_exists(#ca, :now_s), #caf = if_not_exists(#caf, :frac), "
             "#pa = if_not_exists(#pa, :false), #ac = if_not_exists(#ac, :zero), "
             "#cp = if_not_exists(#cp, :home), #rev = if_not_exists(#rev, :rev0) + :one, "
             "#ps = if_not_exists(#ps, :zero) + :one, #uuid = if_not_exists(#uuid, :fresh) "
             "REMOVE " +
             remove;
  // A running item (the ping may end its run) goes through the read-modify-write too.
  u.condition =
      "(attribute_not_exists(#slug) OR #ex > :now_s OR (#ex = :now_s AND #exf > :frac)) AND "
      "(attribute_not_exists(#run) OR #run = :false)";
  if (!interval_secs) *u.condition += " AND attribute_not_exists(#sch)";
  // A paused monitor without manual_resume: the ping resumes it, which core decides.
  *u.condition += " AND NOT (#pa = :true AND #mr = :false)";
  if (target_uuid) {
    u.values[":target"] = S(*target_uuid);
    *u.condition += " AND #uuid = :target";
  }
  if (must_exist || target_uuid) *u.condition += " AND attribute_exists(#slug)";
  u.return_values = aws::ReturnValues::kAllNew;
  return u;
}

Task<Monitor> PlainPingTask(DynamoStore::Impl& impl, std::string slug, Store::SignalCall call,
                            UnixMillis now, std::int64_t kept, std::int64_t limit) {
  const std::string home = impl.Home(slug);
  const std::string project(ProjectOfKey(slug));
  // Whether the update may create the monitor: the signal allows it, and the project's
  // count (ProjectCount) is known and leaves room. When it is not known, the update only
  // changes an existing item, and a creation goes through the read-modify-write, which
  // counts first.
  bool reserved = false;
  if (call.signal.may_create && !call.signal.target_uuid) {
    DynamoStore::Impl::ProjectCount& c = impl.project_counts[project];
    if (c.Fresh(now) && c.HasRoom(limit)) {
      ++c.pending;
      reserved = true;
    }
  }
  Result<std::string> uuid = GenerateUuid();
  if (!uuid.ok()) co_return uuid.error();
  const std::int64_t rev0 = dynamo::FirstRevision(now);
  aws::UpdateItemRequest update =
      PingUpdate(impl.options.monitors_table, slug, home, call.signal.settings.interval_secs,
                 call.signal.exit_code, *uuid, call.signal.target_uuid, !reserved, rev0, now);
  DynamoResult<std::optional<Item>> r =
      co_await impl.Call(&DynamoClient::UpdateItem, std::move(update));
  if (reserved) {
    --impl.project_counts[project].pending;
    // Created by this update: the first revision and the creation time are this update's.
    if (r.ok() && r.value() && dynamo::GetInt(*r.value(), "rev") == rev0 + 1 &&
        dynamo::GetTime(*r.value(), "created_at") == now) {
      impl.MoveCount(project, +1);
    }
  }
  if (!r.ok()) {
    if (r.error().kind != DynamoErrorKind::kConditionalCheckFailed) {
      co_return ToError(r.error(), "ping " + slug);
    }
    // An expired, running, scheduled or resuming item, another uuid, or none that this
    // update could create: the ping through the read-modify-write, as every other change.
    // (Store::SignalWriteOf, made only here: a ping that takes the update copies nothing.)
    Store::MutateFn slow = [&slug, &call, kept, now](const std::optional<Monitor>& m) {
      return Store::SignalWriteOf(m, slug, call, kept > 0, now);
    };
    Result<Store::Mutated> started =
        co_await MutateMonitor(impl, slug, std::move(slow), kept, limit);
    if (!started.ok()) co_return started.error();
    co_return std::move(*started->after);
  }
  if (!r.value()) co_return Internal("ping: DynamoDB returned no item");
  Result<MonitorRecord> parsed = dynamo::ParseMonitorItem(*r.value());
  if (!parsed.ok()) co_return parsed.error();
  if (kept > 0) {
    // The monitor's write numbered the entry: a history write that fails leaves the ping
    // recorded and reports an error, as an answer lost on the way back (the history then
    // skips a number).
    PingRecord record{.n = parsed->monitor.pings_seq,
                      .at = now,
                      .kind = SignalKind::kSuccess,
                      .exit_code = call.signal.exit_code,
                      .rid = call.signal.rid,
                      .duration_ms = std::nullopt,
                      .source = std::move(call.source),
                      .body_bytes = static_cast<std::int64_t>(call.body.size()),
                      .body = std::move(call.body)};
    Result<Ok> added = co_await impl.AddHistory(slug, std::move(record), std::nullopt, kept);
    if (!added.ok()) co_return added.error();
  }
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
    co_return std::move(parsed->monitor);
  }
  auto move_home = [home, pinged = parsed->monitor](
                       std::optional<MonitorRecord> current) -> Result<Outcome<Monitor>> {
    if (!current || dynamo::PartitionFor(*current, home) == current->partition) {
      return Outcome<Monitor>{Change::None(), pinged};  // gone, or moved by another
    }
    Monitor m = current->monitor;
    return Outcome<Monitor>{Change::Put(std::move(*current)), std::move(m)};
  };
  Result<Monitor> moved =
      co_await impl.Mutate<Monitor>(slug, std::move(move_home), kMutateAttempts);
  if (!moved.ok()) co_return std::move(parsed->monitor);
  co_return std::move(*moved);
}

Task<std::optional<Monitor>> GetMonitor(DynamoStore::Impl& impl, std::string slug, UnixMillis now) {
  Result<std::optional<MonitorRecord>> r = co_await impl.GetRecord(std::move(slug));
  if (!r.ok()) co_return r.error();
  if (!*r || !Live(**r, now)) co_return std::optional<Monitor>();
  co_return std::optional<Monitor>(std::move((*r)->monitor));
}

Task<MonitorPage> ListMonitors(DynamoStore::Impl& impl, std::string project, std::string after,
                               std::size_t limit, UnixMillis now) {
  // DynamoDB keeps no order across hash keys: a page sorted by slug needs every item.
  // The scan follows LastEvaluatedKey to the end (1 MB a page).
  aws::ScanRequest scan;
  scan.table = impl.options.monitors_table;
  scan.consistent_read = true;  // a ping answered a moment ago is listed
  if (!after.empty()) {
    scan.filter = "#slug > :after";
    scan.names["#slug"] = "slug";
    scan.values[":after"] = S(after);
  }
  dynamo::FilterProject(scan, project);
  DynamoResult<std::vector<Item>> r = co_await impl.Call(&DynamoClient::ScanAll, std::move(scan));
  if (!r.ok()) co_return ToError(r.error(), "list monitors");
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
  if (limit == 0) co_return page;
  if (live.size() > limit) {
    live.resize(limit);
    page.next_after = live.back().slug;
  }
  page.monitors = std::move(live);
  co_return page;
}

Task<bool> DeleteMonitor(DynamoStore::Impl& impl, std::string slug, UnixMillis now) {
  aws::DeleteItemRequest del{.table = impl.options.monitors_table,
                             .key = {{"slug", S(slug)}},
                             .return_values = aws::ReturnValues::kAllOld};
  DynamoResult<std::optional<Item>> r =
      co_await impl.Call(&DynamoClient::DeleteItem, std::move(del));
  if (!r.ok()) co_return ToError(r.error(), "delete monitor " + slug);
  if (!r.value()) co_return false;
  impl.MoveCount(ProjectOfKey(slug), -1);
  if (Result<Ok> dropped = co_await impl.DropHistory(slug); !dropped.ok()) {
    co_return dropped.error();
  }
  Result<MonitorRecord> parsed = dynamo::ParseMonitorItem(*r.value());
  co_return parsed.ok() && Live(*parsed, now);
}

Task<MonitorCounts> CountAllMonitors(DynamoStore::Impl& impl, UnixMillis now) {
  if (impl.counts && impl.counts->first <= now &&
      now - impl.counts->first < impl.options.counts_max_age.count()) {
    co_return impl.counts->second;
  }
  aws::ScanRequest scan{.table = impl.options.monitors_table};
  DynamoResult<std::vector<Item>> r = co_await impl.Call(&DynamoClient::ScanAll, std::move(scan));
  if (!r.ok()) co_return ToError(r.error(), "count monitors");
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
  // Two scans that overlapped: the later count stays.
  if (!impl.counts || impl.counts->first <= now) impl.counts = {now, c};
  co_return c;
}

Task<std::size_t> DeleteExpiredMonitors(DynamoStore::Impl& impl, UnixMillis now,
                                        std::size_t limit) {
  // A bounded piece of a scan that goes round the table, call after call. DynamoDB's TTL
  // removes expired items too, but only within days; until then every read hides them.
  aws::ScanRequest scan;
  scan.table = impl.options.monitors_table;
  scan.limit = static_cast<std::int32_t>(std::clamp<std::size_t>(limit, 1, 1000));
  scan.exclusive_start_key = impl.expiry_cursor;
  DynamoResult<aws::Page> r = co_await impl.Call(&DynamoClient::Scan, std::move(scan));
  if (!r.ok()) co_return ToError(r.error(), "scan for expired monitors");
  impl.expiry_cursor = r.value().last_evaluated_key;

  const std::int64_t now_s = FloorDiv(now, 1000);
  const std::int64_t frac = now - now_s * 1000;
  std::vector<boost::asio::awaitable<DynamoResult<std::optional<Item>>>> deletes;
  std::vector<std::string> slugs;  // of `deletes`
  for (const Item& item : r.value().items) {
    Result<MonitorRecord> parsed = dynamo::ParseMonitorItem(item);
    if (!parsed.ok() || Live(*parsed, now)) continue;
    // Only if still expired: a ping may have revived it since the scan.
    aws::DeleteItemRequest del{
        .table = impl.options.monitors_table,
        .key = {{"slug", S(parsed->monitor.slug)}},
        .condition =
            "#ex < :now_s OR (#ex = :now_s AND (attribute_not_exists(#exf) OR "
            "#exf <= :frac))",
        .names = {{"#ex", "expires_at"}, {"#exf", "expires_at_frac_ms"}},
        .values = {{":now_s", N(now_s)}, {":frac", N(frac)}}};
    deletes.push_back(impl.Call(&DynamoClient::DeleteItem, std::move(del)));
    slugs.push_back(parsed->monitor.slug);
  }
  std::vector<DynamoResult<std::optional<Item>>> deleted = co_await AwaitAll(std::move(deletes));
  std::size_t removed = 0;
  std::optional<Error> error;
  for (std::size_t i = 0; i < deleted.size(); ++i) {
    const DynamoResult<std::optional<Item>>& d = deleted[i];
    if (d.ok()) {
      ++removed;
      impl.MoveCount(ProjectOfKey(slugs[i]), -1);
    } else if (d.error().kind != DynamoErrorKind::kConditionalCheckFailed && !error) {
      // (A failed condition: revived by a ping meanwhile, rightly kept.)
      error = ToError(d.error(), "delete an expired monitor");
    }
  }
  // Removed ones count even if another removal failed.
  if (error && removed == 0) co_return std::move(*error);
  co_return removed;
}

Task<std::optional<Monitor>> FindMonitorByUuid(DynamoStore::Impl& impl, std::string uuid,
                                               UnixMillis now) {
  if (!IsUuid(uuid)) co_return std::optional<Monitor>();
  // The index has the item's key (KEYS_ONLY), and may lag a write by a moment: the item
  // itself is read again, strongly, and must still carry the uuid.
  aws::QueryRequest q{.table = impl.options.monitors_table,
                      .index = dynamo::kUuidIndex,
                      .key_condition = "#u = :u",
                      .names = {{"#u", "uuid"}},
                      .values = {{":u", S(uuid)}}};
  DynamoResult<std::vector<Item>> found = co_await impl.Call(&DynamoClient::QueryAll, std::move(q));
  if (!found.ok() && found.error().kind == DynamoErrorKind::kValidation) {
    // A table without the index yet (being built, or an engine that cannot add it to an
    // existing table): a scan finds the item instead.
    aws::ScanRequest scan{.table = impl.options.monitors_table,
                          .filter = "#u = :u",
                          .projection = "#slug",
                          .names = {{"#u", "uuid"}, {"#slug", "slug"}},
                          .values = {{":u", S(uuid)}},
                          .consistent_read = true};
    found = co_await impl.Call(&DynamoClient::ScanAll, std::move(scan));
  }
  if (!found.ok()) co_return ToError(found.error(), "find monitor by uuid");
  for (const Item& key : found.value()) {
    std::optional<std::string> slug = dynamo::GetString(key, "slug");
    if (!slug) continue;
    Result<std::optional<MonitorRecord>> r = co_await impl.GetRecord(*slug);
    if (!r.ok()) co_return r.error();
    if (*r && Live(**r, now) && (*r)->monitor.uuid == uuid) {
      co_return std::optional<Monitor>(std::move((*r)->monitor));
    }
  }
  co_return std::optional<Monitor>();
}

}  // namespace

void DynamoStore::PlainPing(std::string slug, SignalCall call, UnixMillis now,
                            Callback<Monitor> done) {
  impl_->Run(std::move(done), PlainPingTask(*impl_, std::move(slug), std::move(call), now,
                                            PingsKept(), MaxMonitors()));
}

void DynamoStore::Mutate(std::string slug, MutateFn fn, Callback<Mutated> done) {
  impl_->Run(std::move(done),
             MutateMonitor(*impl_, std::move(slug), std::move(fn), PingsKept(), MaxMonitors()));
}

void DynamoStore::Get(std::string slug, UnixMillis now, Callback<std::optional<Monitor>> done) {
  impl_->Run(std::move(done), GetMonitor(*impl_, std::move(slug), now));
}

void DynamoStore::List(std::string project, std::string after, std::size_t limit, UnixMillis now,
                       Callback<MonitorPage> done) {
  impl_->Run(std::move(done),
             ListMonitors(*impl_, std::move(project), std::move(after), limit, now));
}

void DynamoStore::FindByUuid(std::string uuid, UnixMillis now,
                             Callback<std::optional<Monitor>> done) {
  impl_->Run(std::move(done), FindMonitorByUuid(*impl_, std::move(uuid), now));
}

void DynamoStore::Delete(std::string slug, UnixMillis now, Callback<bool> done) {
  impl_->Run(std::move(done), DeleteMonitor(*impl_, std::move(slug), now));
}

void DynamoStore::CountMonitors(UnixMillis now, Callback<MonitorCounts> done) {
  impl_->Run(std::move(done), CountAllMonitors(*impl_, now));
}

void DynamoStore::DeleteExpired(UnixMillis now, std::size_t limit, Callback<std::size_t> done) {
  impl_->Run(std::move(done), DeleteExpiredMonitors(*impl_, now, limit));
}

}  // namespace heartbeat
