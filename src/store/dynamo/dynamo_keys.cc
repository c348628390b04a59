// DynamoStore: API keys, projects and channels, in the keys table (hash key key_hash, only hashes
// stored; or the original Rust service's table, hash key api_key, with its keys in clear).
// Each operation is one coroutine on the store's thread (see dynamo_impl.h).

#include <algorithm>
#include <map>
#include <tuple>

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

namespace {

// The hash key values of the keys table's items. Our own layout (hash key key_hash): a
// key's hex SHA-256, "project:<name>" for a project. The Rust service's (hash key api_key):
// its keys in clear, and ours beside them as "hash:<hex SHA-256>". A project there is
// "\u00a7project:<name>": the Rust service takes any item's hash key as a Bearer token,
// and a header value with a byte outside visible ASCII never reaches its lookup, so a
// project's (guessable) item can never be used as a key while both run on the table.
// A channel (SPEC §14) likewise: "channel:<project>/<name>", "\u00a7channel:<project>/<name>"
// (neither a project nor a channel name holds '/'), its kind, config (JSON, secrets
// included) and created_at beside it.
constexpr std::string_view kProjectPrefix = "project:";
constexpr std::string_view kRustProjectPrefix = "\xc2\xa7project:";
constexpr std::string_view kChannelPrefix = "channel:";
constexpr std::string_view kRustChannelPrefix =
    "\xc2\xa7"
    "channel:";
constexpr std::string_view kRustHashPrefix = "hash:";

std::string_view ProjectPrefix(bool rust) { return rust ? kRustProjectPrefix : kProjectPrefix; }
std::string_view ChannelPrefix(bool rust) { return rust ? kRustChannelPrefix : kChannelPrefix; }

std::string ChannelItemKey(bool rust, std::string_view project, std::string_view name) {
  return std::string(ChannelPrefix(rust)) + std::string(project) + "/" + std::string(name);
}

std::string KeyItemKey(bool rust, const std::string& hash) {
  return rust ? std::string(kRustHashPrefix) + hash : hash;
}

std::string ProjectItemKey(bool rust, std::string_view name) {
  return std::string(ProjectPrefix(rust)) + std::string(name);
}

// The attributes a key's item carries besides its hash key (the same in both layouts).
void SetKeyAttributes(Item& item, const ApiKeyRecord& key) {
  item["description"] = S(key.description);
  dynamo::SetTime(item, "created_at", key.created_at);
  if (key.last_used_at) item["last_used_at_ms"] = N(*key.last_used_at);
  if (key.project != kDefaultProject) item["project"] = S(key.project);
  if (key.read_only) item["read_only"] = aws::AttributeValue::Bool(true);
}

}  // namespace

// The layout is read off the items themselves, not DescribeTable (which the API replicas'
// IAM policy does not grant): an item of the Rust service's table has api_key, ours
// key_hash. An empty table's layout stays unknown until its first write (PutNew).
void DynamoStore::Impl::LearnKeysLayout(const Item& item) {
  if (rust_keys) return;
  if (item.count("api_key") > 0 && item.count("key_hash") == 0) {
    rust_keys = true;
  } else if (item.count("key_hash") > 0) {
    rust_keys = false;
  }
}

Task<bool> DynamoStore::Impl::RustKeys() {
  if (rust_keys) co_return *rust_keys;
  aws::ScanRequest scan{.table = options.keys_table, .limit = 1};
  DynamoResult<aws::Page> r = co_await Call(&DynamoClient::Scan, std::move(scan));
  if (!r.ok()) co_return ToError(r.error(), "read the keys table");
  for (const Item& item : r.value().items) LearnKeysLayout(item);
  co_return rust_keys.value_or(false);
}

boost::asio::awaitable<DynamoResult<aws::Nothing>> DynamoStore::Impl::PutNew(
    std::function<Item(bool rust)> build) {
  Result<bool> known = co_await RustKeys();
  bool rust = known.ok() && *known;
  for (int attempt = 0;; ++attempt) {
    const std::string attribute = rust ? "api_key" : "key_hash";
    aws::PutItemRequest put{.table = options.keys_table,
                            .item = build(rust),
                            .condition = "attribute_not_exists(#h)",
                            .names = {{"#h", attribute}}};
    DynamoResult<aws::Nothing> r = co_await Call(&DynamoClient::PutItem, std::move(put));
    // An empty table of the Rust service's layout refuses an item without api_key.
    if (!r.ok() && r.error().kind == DynamoErrorKind::kValidation && !rust_keys && attempt == 0) {
      rust = true;
      continue;
    }
    if (r.ok() && !rust_keys) rust_keys = rust;
    co_return r;
  }
}

Task<std::vector<DynamoStore::Impl::KeyItem>> DynamoStore::Impl::ScanKeyItems() {
  aws::ScanRequest scan{.table = options.keys_table, .consistent_read = true};
  DynamoResult<std::vector<Item>> r = co_await Call(&DynamoClient::ScanAll, std::move(scan));
  if (!r.ok()) co_return ToError(r.error(), "list API keys");
  for (const Item& item : r.value()) LearnKeysLayout(item);
  const bool rust = rust_keys.value_or(false);
  const std::string attribute = KeysHashAttribute();
  std::vector<KeyItem> out;
  std::map<std::string, std::string> clear;
  for (const Item& item : r.value()) {
    std::optional<std::string> value = dynamo::GetString(item, attribute);
    if (!value) continue;
    KeyItem k;
    k.item_key = *value;
    if (value->starts_with(ChannelPrefix(rust))) {
      k.kind = KeyItem::Kind::kChannel;
      const std::string id = value->substr(ChannelPrefix(rust).size());
      const std::size_t slash = id.find('/');
      k.channel.project = dynamo::GetString(item, "project").value_or(id.substr(0, slash));
      k.channel.name =
          dynamo::GetString(item, "name")
              .value_or(slash == std::string::npos ? std::string() : id.substr(slash + 1));
      k.channel.kind = dynamo::GetString(item, "kind").value_or("");
      k.channel.config = dynamo::GetString(item, "config").value_or("{}");
      k.channel.created_at = dynamo::GetTime(item, "created_at").value_or(0);
      out.push_back(std::move(k));
      continue;
    }
    if (value->starts_with(ProjectPrefix(rust))) {
      k.kind = KeyItem::Kind::kProject;
      k.project.name =
          dynamo::GetString(item, "name").value_or(value->substr(ProjectPrefix(rust).size()));
      k.project.ping_key = dynamo::GetString(item, "ping_key").value_or("");
      k.project.created_at = dynamo::GetTime(item, "created_at").value_or(0);
      out.push_back(std::move(k));
      continue;
    }
    if (!rust) {
      k.key.key_hash = *value;
    } else if (value->starts_with(kRustHashPrefix)) {
      k.key.key_hash = value->substr(kRustHashPrefix.size());
    } else {
      // A key of the Rust service, in clear: accepted as it is (its hash is what a
      // presented key is compared with) until `heartbeat keys migrate`.
      k.key.key_hash = HashApiKey(*value);
      k.key.clear_text = true;
      clear[k.key.key_hash] = *value;
    }
    k.key.description = dynamo::GetString(item, "description").value_or("");
    k.key.created_at = dynamo::GetTime(item, "created_at").value_or(0);
    k.key.last_used_at = dynamo::GetInt(item, "last_used_at_ms");
    k.key.project = dynamo::GetString(item, "project").value_or(std::string(kDefaultProject));
    k.key.read_only = dynamo::GetBool(item, "read_only");
    out.push_back(std::move(k));
  }
  clear_keys.store(clear.size());
  clear_items = std::move(clear);
  co_return out;
}

Task<std::vector<ApiKeyRecord>> DynamoStore::Impl::ScanKeys() {
  Result<std::vector<KeyItem>> items = co_await ScanKeyItems();
  if (!items.ok()) co_return items.error();
  std::vector<ApiKeyRecord> keys;
  for (KeyItem& k : *items) {
    if (k.kind == KeyItem::Kind::kKey) keys.push_back(std::move(k.key));
  }
  co_return keys;
}

namespace {

Task<void> InsertKey(DynamoStore::Impl& impl, ApiKeyRecord key) {
  DynamoResult<aws::Nothing> r = co_await impl.PutNew([&key](bool rust) {
    Item item;
    item[rust ? "api_key" : "key_hash"] = S(KeyItemKey(rust, key.key_hash));
    SetKeyAttributes(item, key);
    return item;
  });
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
  Result<std::vector<DynamoStore::Impl::KeyItem>> items = co_await impl.ScanKeyItems();
  if (!items.ok()) co_return items.error();
  std::vector<std::string> hashes;
  std::map<std::string, std::string> item_keys;  // hash -> its item's hash key value
  for (const DynamoStore::Impl::KeyItem& k : *items) {
    if (k.kind != DynamoStore::Impl::KeyItem::Kind::kKey) continue;
    hashes.push_back(k.key.key_hash);
    item_keys[k.key.key_hash] = k.item_key;
  }
  Result<std::string> hash = ResolveKeyId(id, hashes);
  if (!hash.ok()) co_return hash.error();
  const std::string attribute = impl.KeysHashAttribute();
  aws::DeleteItemRequest del{.table = impl.options.keys_table,
                             .key = {{attribute, S(item_keys[*hash])}},
                             .condition = "attribute_exists(#h)",
                             .names = {{"#h", attribute}}};
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
  Result<bool> rust = co_await impl.RustKeys();
  if (!rust.ok()) co_return rust.error();
  const std::string attribute = impl.KeysHashAttribute();
  std::vector<boost::asio::awaitable<DynamoResult<std::optional<Item>>>> updates;
  for (const auto& [hash, at] : latest) {
    // A key stored in clear is found under its clear text (as of the latest scan).
    auto clear = impl.clear_items.find(hash);
    std::string item_key =
        clear != impl.clear_items.end() ? clear->second : KeyItemKey(*rust, hash);
    aws::UpdateItemRequest u{
        .table = impl.options.keys_table,
        .key = {{attribute, S(std::move(item_key))}},
        .update = "SET #u = :t",
        .condition = "attribute_exists(#h) AND (attribute_not_exists(#u) OR #u < :t)",
        .names = {{"#h", attribute}, {"#u", "last_used_at_ms"}},
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

Task<void> InsertProject(DynamoStore::Impl& impl, ProjectRecord project) {
  Result<std::vector<DynamoStore::Impl::KeyItem>> items = co_await impl.ScanKeyItems();
  if (!items.ok()) co_return items.error();
  for (const DynamoStore::Impl::KeyItem& k : *items) {
    if (k.kind != DynamoStore::Impl::KeyItem::Kind::kProject) continue;
    if (k.project.name == project.name) {
      co_return Conflict("project " + project.name + " exists already");
    }
    if (k.project.ping_key == project.ping_key) co_return Conflict("that ping key is taken");
  }
  DynamoResult<aws::Nothing> r = co_await impl.PutNew([&project](bool rust) {
    Item item;
    item[rust ? "api_key" : "key_hash"] = S(ProjectItemKey(rust, project.name));
    item["name"] = S(project.name);
    item["ping_key"] = S(project.ping_key);
    dynamo::SetTime(item, "created_at", project.created_at);
    return item;
  });
  if (r.ok()) co_return Ok{};
  if (r.error().kind == DynamoErrorKind::kConditionalCheckFailed) {
    co_return Conflict("project " + project.name + " exists already");
  }
  co_return ToError(r.error(), "add project " + project.name);
}

Task<std::vector<ProjectRecord>> ScanProjects(DynamoStore::Impl& impl) {
  Result<std::vector<DynamoStore::Impl::KeyItem>> items = co_await impl.ScanKeyItems();
  if (!items.ok()) co_return items.error();
  std::vector<ProjectRecord> out;
  for (DynamoStore::Impl::KeyItem& k : *items) {
    if (k.kind == DynamoStore::Impl::KeyItem::Kind::kProject) out.push_back(std::move(k.project));
  }
  std::sort(out.begin(), out.end(),
            [](const ProjectRecord& a, const ProjectRecord& b) { return a.name < b.name; });
  co_return out;
}

// Whether the project holds a live monitor: a scan of its keys, page by page, that stops
// at the first.
Task<bool> HasLiveMonitor(DynamoStore::Impl& impl, const std::string& project, UnixMillis now) {
  aws::ScanRequest scan{.table = impl.options.monitors_table, .consistent_read = true};
  scan.limit = 1000;
  dynamo::FilterProject(scan, project);
  for (;;) {
    DynamoResult<aws::Page> r = co_await impl.Call(&DynamoClient::Scan, scan);
    if (!r.ok()) co_return ToError(r.error(), "read the monitors of project " + project);
    for (const Item& item : r.value().items) {
      Result<dynamo::MonitorRecord> parsed = dynamo::ParseMonitorItem(item);
      // An item it cannot read still holds the project.
      if (!parsed.ok() || dynamo::Live(*parsed, now)) co_return true;
    }
    if (!r.value().last_evaluated_key) co_return false;
    scan.exclusive_start_key = std::move(r.value().last_evaluated_key);
  }
}

Task<void> DeleteProject(DynamoStore::Impl& impl, std::string name, UnixMillis now) {
  if (name == kDefaultProject) co_return InvalidArgument("the default project cannot be removed");
  Result<std::vector<DynamoStore::Impl::KeyItem>> items = co_await impl.ScanKeyItems();
  if (!items.ok()) co_return items.error();
  bool exists = false;
  for (const DynamoStore::Impl::KeyItem& k : *items) {
    if (k.kind == DynamoStore::Impl::KeyItem::Kind::kProject && k.project.name == name) {
      exists = true;
    }
  }
  if (!exists) co_return NotFound("no project named " + name);
  Result<bool> live = co_await HasLiveMonitor(impl, name, now);
  if (!live.ok()) co_return live.error();
  if (*live) co_return Conflict("project " + name + " still has monitors; delete them first");
  for (const DynamoStore::Impl::KeyItem& k : *items) {
    if (k.kind == DynamoStore::Impl::KeyItem::Kind::kKey && k.key.project == name) {
      co_return Conflict("project " + name + " still has API keys; revoke them first");
    }
  }
  const std::string attribute = impl.KeysHashAttribute();
  aws::DeleteItemRequest del{
      .table = impl.options.keys_table,
      .key = {{attribute, S(ProjectItemKey(impl.rust_keys.value_or(false), name))}},
      .condition = "attribute_exists(#h)",
      .names = {{"#h", attribute}}};
  DynamoResult<std::optional<Item>> r =
      co_await impl.Call(&DynamoClient::DeleteItem, std::move(del));
  if (r.ok()) co_return Ok{};
  if (r.error().kind == DynamoErrorKind::kConditionalCheckFailed) {
    co_return NotFound("no project named " + name);
  }
  co_return ToError(r.error(), "remove project " + name);
}

Task<void> ReplacePingKey(DynamoStore::Impl& impl, std::string name, std::string ping_key) {
  Result<std::vector<ProjectRecord>> projects = co_await ScanProjects(impl);
  if (!projects.ok()) co_return projects.error();
  for (const ProjectRecord& p : *projects) {
    if (p.name != name && p.ping_key == ping_key) co_return Conflict("that ping key is taken");
  }
  const std::string attribute = impl.KeysHashAttribute();
  aws::UpdateItemRequest u{
      .table = impl.options.keys_table,
      .key = {{attribute, S(ProjectItemKey(impl.rust_keys.value_or(false), name))}},
      .update = "SET #p = :p",
      .condition = "attribute_exists(#h)",
      .names = {{"#h", attribute}, {"#p", "ping_key"}},
      .values = {{":p", S(std::move(ping_key))}}};
  DynamoResult<std::optional<Item>> r = co_await impl.Call(&DynamoClient::UpdateItem, std::move(u));
  if (r.ok()) co_return Ok{};
  if (r.error().kind == DynamoErrorKind::kConditionalCheckFailed) {
    co_return NotFound("no project named " + name);
  }
  co_return ToError(r.error(), "set the ping key of project " + name);
}

Task<void> InsertChannel(DynamoStore::Impl& impl, ChannelRecord channel) {
  DynamoResult<aws::Nothing> r = co_await impl.PutNew([&channel](bool rust) {
    Item item;
    item[rust ? "api_key" : "key_hash"] = S(ChannelItemKey(rust, channel.project, channel.name));
    item["project"] = S(channel.project);
    item["name"] = S(channel.name);
    item["kind"] = S(channel.kind);
    item["config"] = S(channel.config);
    dynamo::SetTime(item, "created_at", channel.created_at);
    return item;
  });
  if (r.ok()) co_return Ok{};
  if (r.error().kind != DynamoErrorKind::kConditionalCheckFailed) {
    co_return ToError(r.error(), "add channel " + channel.name);
  }
  // Ours, if the first attempt was written and its answer lost.
  Result<std::vector<DynamoStore::Impl::KeyItem>> items = co_await impl.ScanKeyItems();
  if (!items.ok()) co_return items.error();
  for (const DynamoStore::Impl::KeyItem& k : *items) {
    if (k.kind == DynamoStore::Impl::KeyItem::Kind::kChannel && k.channel == channel) {
      co_return Ok{};
    }
  }
  co_return Conflict("a channel named " + channel.name + " already exists");
}

Task<std::vector<ChannelRecord>> ScanChannels(DynamoStore::Impl& impl) {
  Result<std::vector<DynamoStore::Impl::KeyItem>> items = co_await impl.ScanKeyItems();
  if (!items.ok()) co_return items.error();
  std::vector<ChannelRecord> out;
  for (DynamoStore::Impl::KeyItem& k : *items) {
    if (k.kind == DynamoStore::Impl::KeyItem::Kind::kChannel) out.push_back(std::move(k.channel));
  }
  std::sort(out.begin(), out.end(), [](const ChannelRecord& a, const ChannelRecord& b) {
    return std::tie(a.project, a.name) < std::tie(b.project, b.name);
  });
  co_return out;
}

Task<void> DeleteChannel(DynamoStore::Impl& impl, std::string project, std::string name) {
  Result<bool> rust = co_await impl.RustKeys();
  if (!rust.ok()) co_return rust.error();
  const std::string attribute = impl.KeysHashAttribute();
  aws::DeleteItemRequest del{.table = impl.options.keys_table,
                             .key = {{attribute, S(ChannelItemKey(*rust, project, name))}},
                             .condition = "attribute_exists(#h)",
                             .names = {{"#h", attribute}}};
  DynamoResult<std::optional<Item>> r =
      co_await impl.Call(&DynamoClient::DeleteItem, std::move(del));
  if (r.ok()) co_return Ok{};
  if (r.error().kind == DynamoErrorKind::kConditionalCheckFailed) {
    co_return NotFound("no channel named " + name);
  }
  co_return ToError(r.error(), "remove channel " + name);
}

Task<std::optional<std::size_t>> MigrateClearKeys(DynamoStore::Impl& impl) {
  Result<bool> rust = co_await impl.RustKeys();
  if (!rust.ok()) co_return rust.error();
  if (!*rust) co_return std::optional<std::size_t>();
  aws::ScanRequest scan{.table = impl.options.keys_table, .consistent_read = true};
  DynamoResult<std::vector<Item>> r = co_await impl.Call(&DynamoClient::ScanAll, std::move(scan));
  if (!r.ok()) co_return ToError(r.error(), "read the keys table");
  std::size_t migrated = 0;
  for (const Item& clear : r.value()) {
    std::optional<std::string> key = dynamo::GetString(clear, "api_key");
    if (!key || key->starts_with(kRustHashPrefix) || key->starts_with(kRustProjectPrefix) ||
        key->starts_with(kRustChannelPrefix)) {
      continue;
    }
    // The hashed entry: the same item (description, created_at, last use) under the hash
    // of the key, in the default project, read-write. A hashed entry there already (a run
    // stopped between its two writes) is kept as it is.
    Item hashed = clear;
    hashed["api_key"] = S(KeyItemKey(true, HashApiKey(*key)));
    hashed.erase("project");
    hashed.erase("read_only");
    aws::PutItemRequest put{.table = impl.options.keys_table,
                            .item = std::move(hashed),
                            .condition = "attribute_not_exists(#h)",
                            .names = {{"#h", "api_key"}}};
    DynamoResult<aws::Nothing> put_r = co_await impl.Call(&DynamoClient::PutItem, std::move(put));
    if (!put_r.ok() && put_r.error().kind != DynamoErrorKind::kConditionalCheckFailed) {
      co_return ToError(put_r.error(), "write a hashed key");
    }
    aws::DeleteItemRequest del{.table = impl.options.keys_table, .key = {{"api_key", S(*key)}}};
    DynamoResult<std::optional<Item>> del_r =
        co_await impl.Call(&DynamoClient::DeleteItem, std::move(del));
    if (!del_r.ok()) co_return ToError(del_r.error(), "delete a key stored in clear");
    ++migrated;
  }
  impl.clear_items.clear();
  impl.clear_keys.store(0);
  co_return std::optional<std::size_t>(migrated);
}

}  // namespace

void DynamoStore::AddProject(ProjectRecord project, Callback<void> done) {
  impl_->Run(std::move(done), InsertProject(*impl_, std::move(project)));
}

void DynamoStore::ListProjects(Callback<std::vector<ProjectRecord>> done) {
  impl_->Run(std::move(done), ScanProjects(*impl_));
}

void DynamoStore::RemoveProject(std::string name, UnixMillis now, Callback<void> done) {
  impl_->Run(std::move(done), DeleteProject(*impl_, std::move(name), now));
}

void DynamoStore::SetPingKey(std::string name, std::string ping_key, Callback<void> done) {
  impl_->Run(std::move(done), ReplacePingKey(*impl_, std::move(name), std::move(ping_key)));
}

void DynamoStore::AddChannel(ChannelRecord channel, Callback<void> done) {
  impl_->Run(std::move(done), InsertChannel(*impl_, std::move(channel)));
}

void DynamoStore::ListChannels(Callback<std::vector<ChannelRecord>> done) {
  impl_->Run(std::move(done), ScanChannels(*impl_));
}

void DynamoStore::RemoveChannel(std::string project, std::string name, Callback<void> done) {
  impl_->Run(std::move(done), DeleteChannel(*impl_, std::move(project), std::move(name)));
}

void DynamoStore::MigrateKeys(Callback<std::optional<std::size_t>> done) {
  impl_->Run(std::move(done), MigrateClearKeys(*impl_));
}

std::size_t DynamoStore::ClearTextKeys() const { return impl_->clear_keys.load(); }

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
