// `heartbeat keys ...` and `heartbeat store init`.

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <iostream>

#include <spdlog/spdlog.h>

#include "app/commands.h"
#include "app/components.h"
#include "core/api_key.h"
#include "core/project.h"
#include "core/time_format.h"
#include "store/dynamo/dynamo_store.h"
#include "store/sqlite/sqlite_store.h"

namespace heartbeat::app {

namespace {

int Failed(std::string_view what, const Error& e) {
  std::cerr << "heartbeat: " << what << e.message << "\n";
  return kExitFailure;
}

}  // namespace

int RunKeysAdd(const Config& config, const KeysAddOptions& options) {
  auto store = OpenStoreOrReport(config, CreateStore::kYes);
  if (!store.ok()) return kExitFailure;
  Result<std::vector<ProjectRecord>> projects = StoreProjects(**store);
  if (!projects.ok()) {
    (*store)->Close();
    return Failed("cannot read the projects: ", projects.error());
  }
  if (std::none_of(projects->begin(), projects->end(),
                   [&](const ProjectRecord& p) { return p.name == options.project; })) {
    (*store)->Close();
    std::cerr << "heartbeat: no project named " << options.project
              << "; create it with `heartbeat projects add " << options.project << "`\n";
    return kExitFailure;
  }
  Result<std::string> key = GenerateApiKey();
  if (!key.ok()) {
    std::cerr << "heartbeat: " << key.error().message << "\n";
    return kExitFailure;
  }
  const std::string& description = options.description;
  ApiKeyRecord record{.key_hash = HashApiKey(*key),
                      .description = description,
                      .created_at = RealClock().Now(),
                      .last_used_at = std::nullopt,
                      .project = options.project,
                      .read_only = options.read_only};
  std::string id = KeyIdFromHash(record.key_hash);
  Status added = Await<void>([&](Callback<void> cb) { (*store)->AddKey(record, std::move(cb)); });
  (*store)->Close();
  if (!added.ok()) {
    std::cerr << "heartbeat: cannot save the key: " << added.error().message << "\n";
    return kExitFailure;
  }
  std::cerr << "Created " << RoleName(options.read_only) << " API key " << id << " of project "
            << options.project << " (" << description << "). It is shown once; store it now.\n";
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
      o["project"] = k.project;
      o["role"] = RoleName(k.read_only);
      o["created_at"] = FormatRfc3339(k.created_at);
      o["last_used_at"] = k.last_used_at ? boost::json::value(FormatRfc3339(*k.last_used_at))
                                         : boost::json::value(nullptr);
      out.push_back(std::move(o));
    }
    std::cout << boost::json::serialize(out) << std::endl;
    return kExitOk;
  }
  std::size_t width = 11;
  std::size_t project_width = 7;
  for (const ApiKeyRecord& k : *keys) {
    width = std::max(width, k.description.size());
    project_width = std::max(project_width, k.project.size());
  }
  // SPEC §3's columns first (ID, description, created, last used), then §13's.
  std::cout << PadRight("ID", 14) << PadRight("DESCRIPTION", width + 2) << PadRight("CREATED", 22)
            << PadRight("LAST USED", 22) << PadRight("PROJECT", project_width + 2) << "ROLE\n";
  for (const ApiKeyRecord& k : *keys) {
    std::cout << PadRight(KeyIdFromHash(k.key_hash), 14) << PadRight(k.description, width + 2)
              << PadRight(FormatRfc3339(k.created_at), 22)
              << PadRight(k.last_used_at ? FormatRfc3339(*k.last_used_at) : std::string("never"),
                          22)
              << PadRight(k.project, project_width + 2) << RoleName(k.read_only) << "\n";
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

int RunKeysMigrate(const Config& config) {
  if (config.store_spec.kind != StoreSpec::Kind::kDynamo) {
    std::cerr << "Nothing to migrate: this store keeps only hashes of keys.\n";
    return kExitOk;
  }
  auto store = OpenDynamoStore(config);
  if (!store.ok()) {
    std::cerr << "heartbeat: cannot open the store: " << store.error().message << "\n";
    return kExitFailure;
  }
  auto migrated = Await<std::optional<std::size_t>>(
      [&](Callback<std::optional<std::size_t>> cb) { (*store)->MigrateKeys(std::move(cb)); });
  (*store)->Close();
  if (!migrated.ok()) {
    std::cerr << "heartbeat: keys migrate failed: " << migrated.error().message << "\n";
    return kExitFailure;
  }
  if (!*migrated) {
    std::cerr << "Nothing to migrate: " << config.keys_table
              << " keeps only hashes of keys (hash key key_hash).\n";
    return kExitOk;
  }
  std::cout << "Migrated " << **migrated << " keys" << std::endl;
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
    std::vector<std::string> notes;
    Status init = (*store)->InitTables(&ttl_note, &notes);
    if (init.ok()) {
      // The default project and its ping key, as on SQLite.
      Result<std::vector<ProjectRecord>> projects = StoreProjects(**store);
      if (!projects.ok()) init = projects.error().Wrap("make the default project");
    }
    (*store)->Close();
    if (!init.ok()) {
      std::cerr << "heartbeat: store init failed: " << init.error().message << "\n";
      return kExitFailure;
    }
    if (!ttl_note.empty()) std::cerr << "heartbeat: note: " << ttl_note << "\n";
    for (const std::string& n : notes) std::cerr << "heartbeat: note: " << n << "\n";
    std::cerr << "Store ready: DynamoDB tables " << config.monitors_table << " and "
              << config.keys_table << "\n";
    return kExitOk;
  }
  auto store = OpenStoreOrReport(config, CreateStore::kYes);
  if (!store.ok()) return kExitFailure;
  Result<std::vector<ProjectRecord>> projects = StoreProjects(**store);
  (*store)->Close();
  if (!projects.ok()) return Failed("cannot make the default project: ", projects.error());
  std::cerr << "Store ready: " << config.store << "\n";
  return kExitOk;
}

int RunProjects(const Config& config, const ProjectsOptions& options) {
  if (!options.name.empty() && options.action != ProjectsOptions::Action::kList) {
    if (Status s = ValidateProjectName(options.name); !s.ok()) {
      std::cerr << "heartbeat: " << s.error().message << "\n";
      return kExitUsage;
    }
  }
  auto store = OpenStoreOrReport(config, CreateStore::kNo);
  if (!store.ok()) return kExitFailure;
  Store& s = **store;
  const UnixMillis now = RealClock().Now();
  auto finish = [&](Status result, std::string done_message) {
    s.Close();
    if (!result.ok()) return Failed("", result.error());
    if (!done_message.empty()) std::cerr << done_message << "\n";
    return kExitOk;
  };
  Result<std::vector<ProjectRecord>> projects = StoreProjects(s);
  if (!projects.ok()) return finish(projects.error(), "");
  switch (options.action) {
    case ProjectsOptions::Action::kAdd: {
      Result<std::string> ping_key = GeneratePingKey();
      if (!ping_key.ok()) return finish(ping_key.error(), "");
      ProjectRecord p{.name = options.name, .ping_key = *ping_key, .created_at = now};
      Status added = Await<void>([&](Callback<void> cb) { s.AddProject(p, std::move(cb)); });
      if (added.ok()) std::cout << p.ping_key << std::endl;
      return finish(added, "Created project " + p.name + "; its ping key is printed above.");
    }
    case ProjectsOptions::Action::kRemove: {
      Status removed = Await<void>(
          [&](Callback<void> cb) { s.RemoveProject(options.name, now, std::move(cb)); });
      return finish(removed, "Removed project " + options.name + ".");
    }
    case ProjectsOptions::Action::kPingKey: {
      auto it = std::find_if(projects->begin(), projects->end(),
                             [&](const ProjectRecord& p) { return p.name == options.name; });
      if (it == projects->end()) return finish(NotFound("no project named " + options.name), "");
      if (!options.rotate) {
        std::cout << it->ping_key << std::endl;
        return finish(Ok{}, "");
      }
      Result<std::string> ping_key = GeneratePingKey();
      if (!ping_key.ok()) return finish(ping_key.error(), "");
      Status set = Await<void>(
          [&](Callback<void> cb) { s.SetPingKey(options.name, *ping_key, std::move(cb)); });
      if (set.ok()) std::cout << *ping_key << std::endl;
      return finish(set, "Rotated the ping key of project " + options.name +
                             "; URLs with the old key stop working within a second.");
    }
    case ProjectsOptions::Action::kList:
      break;
  }
  if (options.json) {
    boost::json::array out;
    for (const ProjectRecord& p : *projects) {
      out.push_back(boost::json::object{
          {"name", p.name}, {"ping_key", p.ping_key}, {"created_at", FormatRfc3339(p.created_at)}});
    }
    std::cout << boost::json::serialize(out) << std::endl;
  } else {
    std::size_t width = 4;
    for (const ProjectRecord& p : *projects) width = std::max(width, p.name.size());
    std::cout << PadRight("NAME", width + 2) << PadRight("PING KEY", kPingKeyLength + 2)
              << "CREATED\n";
    for (const ProjectRecord& p : *projects) {
      std::cout << PadRight(p.name, width + 2) << PadRight(p.ping_key, kPingKeyLength + 2)
                << FormatRfc3339(p.created_at) << "\n";
    }
  }
  return finish(Ok{}, "");
}

}  // namespace heartbeat::app
