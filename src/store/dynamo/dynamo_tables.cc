// DynamoStore::InitTables: `heartbeat store init`. Blocking, for the CLI: it waits on the
// client's callbacks from the calling thread and never runs on the store's thread.

#include <chrono>
#include <thread>

#include "store/dynamo/dynamo_impl.h"
#include "store/dynamo/dynamo_store.h"

namespace heartbeat {

using aws::DynamoResult;
using dynamo::ToError;

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
  if (Status s = create(
          {.table = o.pings_table, .hash = {"slug", 'S'}, .range = aws::KeyAttribute{"sk", 'S'}});
      !s.ok()) {
    return s;
  }
  // TTL on expires_at, in both tables that have it. An engine without TTL (dynalite) is worth a
  // note, not a failure: heartbeat removes expired monitors itself. Any other refusal (no
  // permission, TTL on another attribute) is an error: on AWS, expired monitors would pile up
  // unnoticed. true: TTL is on; false: the engine has no TTL.
  for (const std::string& table : {o.monitors_table, o.pings_table}) {
    auto ttl = Await<bool>([&](Callback<bool> cb) {
      client.UpdateTimeToLive(table, "expires_at", [cb](DynamoResult<aws::Nothing> r) {
        // "TimeToLive is already enabled" answers a ValidationException.
        if (r.ok() || r.error().message.find("already enabled") != std::string::npos) {
          return cb(true);
        }
        if (r.error().type == "UnknownOperationException") return cb(false);
        return cb(ToError(r.error(), "turn TTL on for expires_at"));
      });
    });
    if (!ttl.ok()) return ttl.error().Wrap("table " + table);
    if (!*ttl && ttl_note != nullptr) {
      *ttl_note =
          "TTL could not be turned on (this engine does not know UpdateTimeToLive); heartbeat "
          "removes expired monitors itself, and keeps at most PINGS_KEPT history entries of "
          "each";
    }
  }
  return Ok{};
}

}  // namespace heartbeat
