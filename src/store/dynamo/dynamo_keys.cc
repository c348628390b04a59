// DynamoStore: API keys, in their own table (hash key key_hash; only hashes are stored).
// Each operation is one coroutine on the store's thread (see dynamo_impl.h).

#include <algorithm>
#include <map>

#include "asio/await_all.h"
#include "store/dynamo/dynamo_impl.h"
#include "store/dynamo/dynamo_store.h"

#include "core/api_key.h"

namespace heartbeat {

using aws::DynamoClient;
using aws::DynamoErrorKind;
using aws::DynamoResult;
using aws::Item;
using dynamo::N;
using dynamo::S;
using dynamo::Task;
using dynamo::ToError;

Task<std::vector<ApiKeyRecord>> DynamoStore::Impl::ScanKeys() {
  aws::ScanRequest scan{.table = options.keys_table, .consistent_read = true};
  DynamoResult<std::vector<Item>> r = co_await Call(&DynamoClient::ScanAll, std::move(scan));
  if (!r.ok()) co_return ToError(r.error(), "list API keys");
  std::vector<ApiKeyRecord> keys;
  for (const Item& item : r.value()) {
    auto hash = item.find("key_hash");
    if (hash == item.end() || hash->second.AsString() == nullptr) continue;
    ApiKeyRecord k;
    k.key_hash = *hash->second.AsString();
    if (auto d = item.find("description"); d != item.end() && d->second.AsString() != nullptr) {
      k.description = *d->second.AsString();
    }
    k.created_at = dynamo::GetTime(item, "created_at").value_or(0);
    if (auto u = item.find("last_used_at_ms"); u != item.end()) {
      k.last_used_at = u->second.AsInt64();
    }
    keys.push_back(std::move(k));
  }
  co_return keys;
}

namespace {

Task<void> InsertKey(DynamoStore::Impl& impl, ApiKeyRecord key) {
  Item item;
  item["key_hash"] = S(key.key_hash);
  item["description"] = S(key.description);
  dynamo::SetTime(item, "created_at", key.created_at);
  if (key.last_used_at) item["last_used_at_ms"] = N(*key.last_used_at);
  aws::PutItemRequest put{.table = impl.options.keys_table,
                          .item = std::move(item),
                          .condition = "attribute_not_exists(#h)",
                          .names = {{"#h", "key_hash"}}};
  DynamoResult<aws::Nothing> r = co_await impl.Call(&DynamoClient::PutItem, std::move(put));
  if (r.ok()) co_return Ok{};
  if (r.error().kind != DynamoErrorKind::kConditionalCheckFailed) {
    co_return ToError(r.error(), "add API key");
  }
  // Ours, if the first attempt was written and its answer lost.
  Result<std::vector<ApiKeyRecord>> keys = co_await impl.ScanKeys();
  if (!keys.ok()) co_return keys.error();
  for (const ApiKeyRecord& k : *keys) {
    if (k.key_hash == key.key_hash && k.created_at == key.created_at &&
        k.description == key.description) {
      co_return Ok{};
    }
  }
  co_return InvalidArgument("a key with this hash exists already");
}

Task<void> RemoveKey(DynamoStore::Impl& impl, std::string id) {
  if (Status s = CheckKeyId(id); !s.ok()) co_return s;
  Result<std::vector<ApiKeyRecord>> keys = co_await impl.ScanKeys();
  if (!keys.ok()) co_return keys.error();
  std::vector<std::string> hashes;
  for (const ApiKeyRecord& k : *keys) hashes.push_back(k.key_hash);
  Result<std::string> hash = ResolveKeyId(id, hashes);
  if (!hash.ok()) co_return hash.error();
  aws::DeleteItemRequest del{.table = impl.options.keys_table,
                             .key = {{"key_hash", S(*hash)}},
                             .condition = "attribute_exists(#h)",
                             .names = {{"#h", "key_hash"}}};
  DynamoResult<std::optional<Item>> r =
      co_await impl.Call(&DynamoClient::DeleteItem, std::move(del));
  // Already gone (a retry of a delete that was done, or a revocation racing this one):
  // revoked either way.
  if (r.ok() || r.error().kind == DynamoErrorKind::kConditionalCheckFailed) co_return Ok{};
  co_return ToError(r.error(), "revoke API key");
}

Task<void> RecordKeyUses(DynamoStore::Impl& impl,
                         std::vector<std::pair<std::string, UnixMillis>> uses) {
  // The latest use of each key, one conditional update each: never moves it back, never
  // creates a key.
  std::map<std::string, UnixMillis> latest;
  for (const auto& [hash, at] : uses) {
    auto [it, inserted] = latest.emplace(hash, at);
    if (!inserted) it->second = std::max(it->second, at);
  }
  std::vector<boost::asio::awaitable<DynamoResult<std::optional<Item>>>> updates;
  for (const auto& [hash, at] : latest) {
    aws::UpdateItemRequest u{
        .table = impl.options.keys_table,
        .key = {{"key_hash", S(hash)}},
        .update = "SET #u = :t",
        .condition = "attribute_exists(#h) AND (attribute_not_exists(#u) OR #u < :t)",
        .names = {{"#h", "key_hash"}, {"#u", "last_used_at_ms"}},
        .values = {{":t", N(at)}}};
    updates.push_back(impl.Call(&DynamoClient::UpdateItem, std::move(u)));
  }
  std::vector<DynamoResult<std::optional<Item>>> results = co_await AwaitAll(std::move(updates));
  for (const DynamoResult<std::optional<Item>>& r : results) {
    // A failed condition: an older use, or a key revoked meanwhile.
    if (!r.ok() && r.error().kind != DynamoErrorKind::kConditionalCheckFailed) {
      co_return ToError(r.error(), "record API key use");
    }
  }
  co_return Ok{};
}

}  // namespace

void DynamoStore::AddKey(ApiKeyRecord key, Callback<void> done) {
  impl_->Run(std::move(done), InsertKey(*impl_, std::move(key)));
}

void DynamoStore::ListKeys(Callback<std::vector<ApiKeyRecord>> done) {
  impl_->Run(std::move(done), impl_->ScanKeys());
}

void DynamoStore::RevokeKey(std::string id, Callback<void> done) {
  impl_->Run(std::move(done), RemoveKey(*impl_, std::move(id)));
}

void DynamoStore::TouchKeys(std::vector<std::pair<std::string, UnixMillis>> uses,
                            Callback<void> done) {
  impl_->Run(std::move(done), RecordKeyUses(*impl_, std::move(uses)));
}

}  // namespace heartbeat
