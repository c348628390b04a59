// `heartbeat keys ...` and `heartbeat store init`.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <iostream>

#include <spdlog/spdlog.h>

#include "app/commands.h"
#include "app/components.h"
#include "core/api_key.h"
#include "core/time_format.h"
#include "store/dynamo/dynamo_store.h"
#include "store/sqlite/sqlite_store.h"

namespace heartbeat::app {

int RunKeysAdd(const Config& config, const std::string& description) {
  auto store = OpenStoreOrReport(config, CreateStore::kYes);
  if (!store.ok()) return kExitFailure;
  Result<std::string> key = GenerateApiKey();
  if (!key.ok()) {
    std::cerr << "heartbeat: " << key.error().message << "\n";
    return kExitFailure;
  }
  ApiKeyRecord record{HashApiKey(*key), description, RealClock().Now(), std::nullopt};
  std::string id = KeyIdFromHash(record.key_hash);
  Status added = Await<void>([&](Callback<void> cb) { (*store)->AddKey(record, std::move(cb)); });
  (*store)->Close();
  if (!added.ok()) {
    std::cerr << "heartbeat: cannot save the key: " << added.error().message << "\n";
    return kExitFailure;
  }
  std::cerr << "Created API key " << id << " (" << description
            << "). It is shown once; store it now.\n";
  std::cout << *key << std::endl;
  return kExitOk;
}

int RunKeysList(const Config& config, bool json) {
  auto store = OpenStoreOrReport(config, CreateStore::kNo);
  if (!store.ok()) return kExitFailure;
  auto keys = Await<std::vector<ApiKeyRecord>>(
      [&](Callback<std::vector<ApiKeyRecord>> cb) { (*store)->ListKeys(std::move(cb)); });
  (*store)->Close();
  if (!keys.ok()) {
    std::cerr << "heartbeat: cannot list keys: " << keys.error().message << "\n";
    return kExitFailure;
  }
  if (json) {
    boost::json::array out;
    for (const ApiKeyRecord& k : *keys) {
      boost::json::object o;
      o["id"] = KeyIdFromHash(k.key_hash);
      o["description"] = k.description;
      o["created_at"] = FormatRfc3339(k.created_at);
      o["last_used_at"] = k.last_used_at ? boost::json::value(FormatRfc3339(*k.last_used_at))
                                         : boost::json::value(nullptr);
      out.push_back(std::move(o));
    }
    std::cout << boost::json::serialize(out) << std::endl;
    return kExitOk;
  }
  std::size_t width = 11;
  for (const ApiKeyRecord& k : *keys) width = std::max(width, k.description.size());
  auto pad = [](std::string s, std::size_t w) {
    if (s.size() < w) s.append(w - s.size(), ' ');
    return s;
  };
  std::cout << pad("ID", 14) << pad("DESCRIPTION", width + 2) << pad("CREATED", 22)
            << "LAST USED\n";
  for (const ApiKeyRecord& k : *keys) {
    std::cout << pad(KeyIdFromHash(k.key_hash), 14) << pad(k.description, width + 2)
              << pad(FormatRfc3339(k.created_at), 22)
              << (k.last_used_at ? FormatRfc3339(*k.last_used_at) : std::string("never")) << "\n";
  }
  return kExitOk;
}

int RunKeysRevoke(const Config& config, const std::string& id) {
  auto store = OpenStoreOrReport(config, CreateStore::kNo);
  if (!store.ok()) return kExitFailure;
  Status revoked = Await<void>([&](Callback<void> cb) { (*store)->RevokeKey(id, std::move(cb)); });
  (*store)->Close();
  if (!revoked.ok()) {
    std::cerr << "heartbeat: " << revoked.error().message << "\n";
    return kExitFailure;
  }
  std::cerr << "Revoked API key " << id << ".\n";
  return kExitOk;
}

int RunStoreInit(const Config& config) {
  if (config.store_spec.kind == StoreSpec::Kind::kDynamo) {
    auto store = OpenDynamoStore(config);
    if (!store.ok()) {
      std::cerr << "heartbeat: cannot open the store: " << store.error().message << "\n";
      return kExitFailure;
    }
    std::string ttl_note;
    Status init = (*store)->InitTables(&ttl_note);
    (*store)->Close();
    if (!init.ok()) {
      std::cerr << "heartbeat: store init failed: " << init.error().message << "\n";
      return kExitFailure;
    }
    if (!ttl_note.empty()) std::cerr << "heartbeat: note: " << ttl_note << "\n";
    std::cerr << "Store ready: DynamoDB tables " << config.monitors_table << " and "
              << config.keys_table << "\n";
    return kExitOk;
  }
  auto store = OpenStoreOrReport(config, CreateStore::kYes);
  if (!store.ok()) return kExitFailure;
  (*store)->Close();
  std::cerr << "Store ready: " << config.store << "\n";
  return kExitOk;
}

}  // namespace heartbeat::app
