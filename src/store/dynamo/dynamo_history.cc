// DynamoStore: the history of signals and status changes, in PINGS_TABLE (monitor_item.h
// has its layout). Written after the monitor's own write, which numbered the entry; read
// by the monitor's pages.

#include <cstdio>

#include "asio/await_all.h"
#include "store/dynamo/dynamo_impl.h"
#include "store/dynamo/dynamo_store.h"
#include "store/dynamo/monitor_item.h"

namespace heartbeat {

using aws::AttributeValue;
using aws::DynamoClient;
using aws::DynamoResult;
using aws::Item;
using dynamo::GetBool;
using dynamo::GetInt;
using dynamo::GetString;
using dynamo::N;
using dynamo::S;
using dynamo::Task;
using dynamo::ToError;

namespace {

constexpr std::int64_t kEntryTtlSecs = kExpiryMillis / 1000;
constexpr std::size_t kBatch = 25;  // BatchWriteItem's limit

// The sort key: its kind, then the number zero-padded so that text order is number order.
std::string SortKey(char kind, std::int64_t number) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%c#%020lld", kind, static_cast<long long>(number));
  return buf;
}

void SetString(Item& item, const char* name, const std::string& value) {
  // An empty string is not a value every engine stores.
  if (!value.empty()) item[name] = S(value);
}

Item PingItem(const std::string& slug, const PingRecord& r) {
  Item item;
  item["slug"] = S(slug);
  item["sk"] = S(SortKey('p', r.n));
  item["n"] = N(r.n);
  item["at"] = N(r.at);
  item["kind"] = S(std::string(ToString(r.kind)));
  if (r.exit_code) item["exit_code"] = N(*r.exit_code);
  if (r.rid) item["rid"] = S(*r.rid);
  if (r.duration_ms) item["duration_ms"] = N(*r.duration_ms);
  SetString(item, "method", r.source.method);
  SetString(item, "remote_addr", r.source.remote_addr);
  SetString(item, "user_agent", r.source.user_agent);
  item["body_bytes"] = N(r.body_bytes);
  if (!r.body.empty()) item["body"] = AttributeValue::B(r.body);
  item["expires_at"] = N(dynamo::FloorDiv(r.at, 1000) + kEntryTtlSecs);
  return item;
}

PingRecord ParsePing(const Item& item) {
  PingRecord r;
  r.n = GetInt(item, "n").value_or(0);
  r.at = GetInt(item, "at").value_or(0);
  r.kind =
      SignalKindFromString(GetString(item, "kind").value_or("")).value_or(SignalKind::kSuccess);
  if (std::optional<std::int64_t> code = GetInt(item, "exit_code")) {
    r.exit_code = static_cast<int>(*code);
  }
  r.rid = GetString(item, "rid");
  r.duration_ms = GetInt(item, "duration_ms");
  r.source = {GetString(item, "method").value_or(""), GetString(item, "remote_addr").value_or(""),
              GetString(item, "user_agent").value_or("")};
  r.body_bytes = GetInt(item, "body_bytes").value_or(0);
  return r;
}

// The live monitor's history number, or none.
Task<std::optional<std::int64_t>> LiveSeq(DynamoStore::Impl& impl, const std::string& slug,
                                          UnixMillis now) {
  Result<std::optional<dynamo::MonitorRecord>> r = co_await impl.GetRecord(slug);
  if (!r.ok()) co_return r.error();
  if (!*r || !dynamo::Live(**r, now)) co_return std::optional<std::int64_t>();
  co_return std::optional<std::int64_t>((*r)->monitor.pings_seq);
}

Task<std::optional<std::vector<PingRecord>>> ListPingsTask(DynamoStore::Impl& impl,
                                                           std::string slug, std::size_t limit,
                                                           UnixMillis now, std::int64_t kept) {
  using Answer = std::optional<std::vector<PingRecord>>;
  Result<std::optional<std::int64_t>> seq = co_await LiveSeq(impl, slug, now);
  if (!seq.ok()) co_return seq.error();
  if (!*seq) co_return Answer();
  std::vector<PingRecord> out;
  std::int64_t first = std::max<std::int64_t>(1, **seq - kept + 1);
  if (limit == 0 || kept == 0 || **seq < first) co_return Answer(std::move(out));
  aws::QueryRequest q;
  q.table = impl.options.pings_table;
  q.key_condition = "#s = :s AND #sk BETWEEN :lo AND :hi";
  q.projection = "#n, #at, #kind, #code, #rid, #dur, #method, #addr, #ua, #bytes";
  q.names = {{"#s", "slug"},        {"#sk", "sk"},
             {"#n", "n"},           {"#at", "at"},
             {"#kind", "kind"},     {"#code", "exit_code"},
             {"#rid", "rid"},       {"#dur", "duration_ms"},
             {"#method", "method"}, {"#addr", "remote_addr"},
             {"#ua", "user_agent"}, {"#bytes", "body_bytes"}};
  q.values = {{":s", S(slug)}, {":lo", S(SortKey('p', first))}, {":hi", S(SortKey('p', **seq))}};
  q.scan_forward = false;
  q.consistent_read = true;
  q.limit = static_cast<std::int32_t>(std::min<std::size_t>(limit, 1000));
  DynamoResult<aws::Page> r = co_await impl.Call(&DynamoClient::Query, std::move(q));
  if (!r.ok()) co_return ToError(r.error(), "read the history of " + slug);
  for (const Item& item : r.value().items) {
    if (out.size() == limit) break;
    out.push_back(ParsePing(item));
  }
  co_return Answer(std::move(out));
}

Task<std::optional<std::string>> PingBodyTask(DynamoStore::Impl& impl, std::string slug,
                                              std::int64_t n, UnixMillis now, std::int64_t kept) {
  using Answer = std::optional<std::string>;
  Result<std::optional<std::int64_t>> seq = co_await LiveSeq(impl, slug, now);
  if (!seq.ok()) co_return seq.error();
  if (!*seq || n <= **seq - kept || n > **seq || n < 1) co_return Answer();
  aws::GetItemRequest get{.table = impl.options.pings_table,
                          .key = {{"slug", S(slug)}, {"sk", S(SortKey('p', n))}}};
  DynamoResult<std::optional<Item>> r = co_await impl.Call(&DynamoClient::GetItem, std::move(get));
  if (!r.ok()) co_return ToError(r.error(), "read a body of " + slug);
  if (!r.value()) co_return Answer();
  auto body = r.value()->find("body");
  if (body == r.value()->end() || body->second.AsBytes() == nullptr) co_return Answer();
  co_return Answer(*body->second.AsBytes());
}

Task<std::optional<std::vector<Flip>>> ListFlipsTask(DynamoStore::Impl& impl, std::string slug,
                                                     UnixMillis since, UnixMillis now) {
  using Answer = std::optional<std::vector<Flip>>;
  Result<std::optional<std::int64_t>> seq = co_await LiveSeq(impl, slug, now);
  if (!seq.ok()) co_return seq.error();
  if (!*seq) co_return Answer();
  aws::QueryRequest q;
  q.table = impl.options.pings_table;
  q.key_condition = "#s = :s AND #sk BETWEEN :lo AND :hi";
  q.names = {{"#s", "slug"}, {"#sk", "sk"}};
  q.values = {{":s", S(slug)},
              {":lo", S(SortKey('f', std::max<UnixMillis>(0, since)))},
              {":hi", S(SortKey('f', now + kExpiryMillis))}};
  q.scan_forward = false;
  q.consistent_read = true;
  DynamoResult<std::vector<Item>> r = co_await impl.Call(&DynamoClient::QueryAll, std::move(q));
  if (!r.ok()) co_return ToError(r.error(), "read the flips of " + slug);
  std::vector<Flip> out;
  for (const Item& item : r.value()) {
    out.push_back(Flip{.at = GetInt(item, "at").value_or(0), .overdue = GetBool(item, "overdue")});
  }
  co_return Answer(std::move(out));
}

}  // namespace

Task<Ok> DynamoStore::Impl::AddHistory(std::string slug, std::optional<PingRecord> record,
                                       std::optional<Flip> flip, std::int64_t kept) {
  std::vector<aws::WriteRequest> writes;
  if (record) {
    if (record->n > kept) {
      writes.push_back(
          {.delete_key = Item{{"slug", S(slug)}, {"sk", S(SortKey('p', record->n - kept))}}});
    }
    writes.push_back({.put = PingItem(slug, *record)});
  }
  if (flip) {
    writes.push_back({.put = Item{{"slug", S(slug)},
                                  {"sk", S(SortKey('f', flip->at))},
                                  {"at", N(flip->at)},
                                  {"overdue", AttributeValue::Bool(flip->overdue)},
                                  {"expires_at", N(dynamo::FloorDiv(flip->at, 1000) +
                                                   kFlipsKeptMillis / 1000)}}});
  }
  if (writes.empty()) co_return Ok{};
  DynamoResult<aws::Nothing> r =
      co_await Call(&DynamoClient::BatchWriteItem, options.pings_table, std::move(writes));
  if (!r.ok()) co_return ToError(r.error(), "write the history of " + slug);
  co_return Ok{};
}

Task<Ok> DynamoStore::Impl::DropHistory(std::string slug) {
  aws::QueryRequest q;
  q.table = options.pings_table;
  q.key_condition = "#s = :s";
  q.projection = "#s, #sk";
  q.names = {{"#s", "slug"}, {"#sk", "sk"}};
  q.values = {{":s", S(slug)}};
  q.consistent_read = true;
  DynamoResult<std::vector<Item>> r = co_await Call(&DynamoClient::QueryAll, std::move(q));
  if (!r.ok()) co_return ToError(r.error(), "read the history of " + slug);
  std::vector<boost::asio::awaitable<DynamoResult<aws::Nothing>>> batches;
  std::vector<aws::WriteRequest> batch;
  for (const Item& item : r.value()) {
    batch.push_back(
        {.delete_key = Item{{"slug", S(slug)}, {"sk", S(GetString(item, "sk").value_or(""))}}});
    if (batch.size() == kBatch) {
      batches.push_back(Call(&DynamoClient::BatchWriteItem, options.pings_table, std::move(batch)));
      batch.clear();
    }
  }
  if (!batch.empty()) {
    batches.push_back(Call(&DynamoClient::BatchWriteItem, options.pings_table, std::move(batch)));
  }
  for (const DynamoResult<aws::Nothing>& d : co_await AwaitAll(std::move(batches))) {
    if (!d.ok()) co_return ToError(d.error(), "remove the history of " + slug);
  }
  co_return Ok{};
}

void DynamoStore::ListPings(std::string slug, std::size_t limit, UnixMillis now,
                            Callback<std::optional<std::vector<PingRecord>>> done) {
  impl_->Run(std::move(done), ListPingsTask(*impl_, std::move(slug), limit, now, PingsKept()));
}

void DynamoStore::PingBody(std::string slug, std::int64_t n, UnixMillis now,
                           Callback<std::optional<std::string>> done) {
  impl_->Run(std::move(done), PingBodyTask(*impl_, std::move(slug), n, now, PingsKept()));
}

void DynamoStore::ListFlips(std::string slug, UnixMillis since, UnixMillis now,
                            Callback<std::optional<std::vector<Flip>>> done) {
  impl_->Run(std::move(done), ListFlipsTask(*impl_, std::move(slug), since, now));
}

}  // namespace heartbeat
