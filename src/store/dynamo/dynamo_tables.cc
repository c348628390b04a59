// DynamoStore::InitTables: `heartbeat store init`. Blocking, for the CLI: it waits on the
// client's callbacks from the calling thread and never runs on the store's thread.

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "store/dynamo/dynamo_impl.h"
#include "store/dynamo/dynamo_store.h"

namespace heartbeat {

using aws::DynamoResult;
using dynamo::ToError;

namespace {

// Gives each monitor item without a uuid one (a conditional update each: a write of ours
// that gave it one meanwhile wins); how many it gave.
Result<std::size_t> BackfillUuids(aws::DynamoClient& client, const std::string& table) {
  auto scanned = Await<std::vector<aws::Item>>([&](Callback<std::vector<aws::Item>> cb) {
    client.ScanAll({.table = table,
                    .filter = "attribute_not_exists(#u)",
                    .projection = "#slug",
                    .names = {{"#u", "uuid"}, {"#slug", "slug"}},
                    .consistent_read = true},
                   [cb](DynamoResult<std::vector<aws::Item>> r) {
                     if (r.ok()) return cb(std::move(r.value()));
                     return cb(ToError(r.error(), "scan for monitors without a uuid"));
                   });
  });
  if (!scanned.ok()) return scanned.error();
  std::size_t given = 0;
  for (const aws::Item& item : *scanned) {
    std::optional<std::string> slug = dynamo::GetString(item, "slug");
    if (!slug) continue;
    Result<std::string> uuid = GenerateUuid();
    if (!uuid.ok()) return uuid.error();
    auto updated = Await<bool>([&](Callback<bool> cb) {
      client.UpdateItem(
          {.table = table,
           .key = {{"slug", dynamo::S(*slug)}},
           // A new revision: a read-modify-write that read the item before
           // writes it again after reading the uuid.
           .update = "SET #u = :u, #rev = if_not_exists(#rev, :zero) + :one",
           .condition = "attribute_exists(#slug) AND attribute_not_exists(#u)",
           .names = {{"#u", "uuid"}, {"#slug", "slug"}, {"#rev", "rev"}},
           .values = {{":u", dynamo::S(*uuid)}, {":zero", dynamo::N(0)}, {":one", dynamo::N(1)}}},
          [cb](DynamoResult<std::optional<aws::Item>> r) {
            if (r.ok()) return cb(true);
            if (r.error().kind == aws::DynamoErrorKind::kConditionalCheckFailed) {
              return cb(false);
            }
            return cb(ToError(r.error(), "give a monitor its uuid"));
          });
    });
    if (!updated.ok()) return updated.error();
    if (*updated) ++given;
  }
  return given;
}

}  // namespace

Status DynamoStore::InitTables(std::string* ttl_note, std::vector<std::string>* notes) {
  aws::DynamoClient& client = *impl_->client;
  const DynamoStoreOptions& o = impl_->options;
  auto note = [&](std::string line) {
    if (notes != nullptr) notes->push_back(std::move(line));
  };
  auto describe = [&](const std::string& table) {
    return Await<aws::TableDescription>([&](Callback<aws::TableDescription> cb) {
      client.DescribeTable(table, [cb](DynamoResult<aws::TableDescription> r) {
        if (r.ok()) return cb(std::move(r.value()));
        return cb(ToError(r.error(), "describe table"));
      });
    });
  };
  // Creates the table if it is missing and waits until it is ACTIVE (a few seconds on AWS,
  // at once locally). A table that exists already must have the indexes asked for: a table
  // made by hand without the GSI would otherwise only show at the checker's first query.
  // An index in `addable` that an existing table lacks is added instead (UpdateTable), and
  // not waited for: DynamoDB builds it from the items, which may take long.
  auto create = [&](aws::CreateTableRequest request,
                    std::vector<aws::GlobalSecondaryIndex> addable) -> Status {
    std::string table = request.table;
    std::vector<std::string> indexes;
    for (const aws::GlobalSecondaryIndex& gsi : request.indexes) indexes.push_back(gsi.name);
    std::set<std::string> added_now;  // not waited for
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
      auto described = describe(table);
      if (!described.ok()) return described.error();
      // Ready when the table and its indexes are (an index still being built answers no
      // query yet); an engine that gives no index status has them ready.
      bool ready = described->status == "ACTIVE";
      for (const std::string& index : indexes) {
        auto it = described->indexes.find(index);
        if (it == described->indexes.end()) {
          if (added_now.count(index) > 0) continue;  // asked for; the engine did not add it
          auto add =
              std::find_if(addable.begin(), addable.end(),
                           [&](const aws::GlobalSecondaryIndex& g) { return g.name == index; });
          if (add != addable.end()) {
            if (!ready) continue;  // the table first
            auto added = Await<aws::Nothing>([&](Callback<aws::Nothing> cb) {
              client.CreateIndex(table, *add, [cb](DynamoResult<aws::Nothing> r) {
                if (r.ok()) return cb(aws::Nothing{});
                return cb(ToError(r.error(), "add an index"));
              });
            });
            if (!added.ok()) return added.error().Wrap("table " + table + ": add " + index);
            auto after = describe(table);
            if (!after.ok()) return after.error();
            if (after->indexes.count(index) > 0) {
              note("added the index " + index + " to table " + table +
                   "; DynamoDB builds it in the background (until then a lookup by uuid scans)");
            } else {
              note("this engine did not add the index " + index + " to the existing table " +
                   table + "; a lookup by uuid scans the table instead");
            }
            addable.erase(add);
            added_now.insert(index);
            continue;
          }
          return InvalidArgument("table " + table + " exists without the index " + index +
                                 " that the checker queries; add it (hash key " +
                                 "check_partition S, range key next_due N, projection ALL)");
        }
        if (added_now.count(index) == 0) {
          ready = ready && (it->second.empty() || it->second == "ACTIVE");
        }
      }
      if (ready) return Ok{};
      std::this_thread::sleep_for(wait);
      wait = std::min(wait * 2, std::chrono::milliseconds(1000));
    }
    return Unavailable("table " + table + " did not become ACTIVE within 2 minutes");
  };
  aws::GlobalSecondaryIndex uuid_index{
      .name = dynamo::kUuidIndex, .hash = {"uuid", 'S'}, .range = std::nullopt, .keys_only = true};
  if (Status s = create({.table = o.monitors_table,
                         .hash = {"slug", 'S'},
                         .indexes = {{.name = dynamo::kCheckIndex,
                                      .hash = {"check_partition", 'S'},
                                      .range = aws::KeyAttribute{"next_due", 'N'}},
                                     uuid_index}},
                        {uuid_index});
      !s.ok()) {
    return s;
  }
  if (Status s = create({.table = o.keys_table, .hash = {"key_hash", 'S'}}, {}); !s.ok()) return s;
  if (Status s = create(
          {.table = o.pings_table, .hash = {"slug", 'S'}, .range = aws::KeyAttribute{"sk", 'S'}},
          {});
      !s.ok()) {
    return s;
  }
  // Items of the seed have no uuid: each gets one now, so that /ping/<uuid> finds a monitor
  // that is never pinged (its first write would give it one otherwise).
  Result<std::size_t> given = BackfillUuids(client, o.monitors_table);
  if (!given.ok()) return given.error().Wrap("give monitors their uuids");
  if (*given > 0) note("gave " + std::to_string(*given) + " monitors a uuid");
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
