#include "notify/channel_directory.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace heartbeat {

ChannelDirectory::ChannelDirectory(std::optional<Channel> environment)
    : environment_(std::move(environment)) {
  if (environment_) {
    environment_->project = std::string(kDefaultProject);
    environment_->name = std::string(kEnvironmentChannel);
    environment_->from_environment = true;
  }
  auto snapshot = std::make_shared<Snapshot>();
  if (environment_) snapshot->emplace(environment_->key(), *environment_);
  snapshot_ = std::move(snapshot);
}

void ChannelDirectory::Replace(const std::vector<ChannelRecord>& records) {
  auto snapshot = std::make_shared<Snapshot>();
  std::vector<std::string> problems;
  if (environment_) snapshot->emplace(environment_->key(), *environment_);
  for (const ChannelRecord& record : records) {
    const std::string key = ChannelKey(record.project, record.name);
    if (environment_ && key == environment_->key()) {
      problems.push_back("channel " + key +
                         " is stored and also set by the environment (TELEGRAM_*): the "
                         "environment's is used");
      continue;
    }
    Result<Channel> channel = FromRecord(record);
    if (!channel.ok()) {
      problems.push_back(channel.error().message + " (skipped)");
      continue;
    }
    snapshot->insert_or_assign(key, std::move(*channel));
  }
  std::lock_guard lock(mu_);
  snapshot_ = std::move(snapshot);
  loaded_ = true;
  for (std::string& problem : problems) {
    // Messages name channels and fields, never a secret's value (notify/channel.h).
    if (logged_.insert(problem).second) spdlog::warn("{}", problem);
  }
}

std::shared_ptr<const ChannelDirectory::Snapshot> ChannelDirectory::Current() const {
  std::lock_guard lock(mu_);
  return snapshot_;
}

std::optional<Channel> ChannelDirectory::Find(std::string_view key) const {
  auto snapshot = Current();
  auto it = snapshot->find(std::string(key));
  if (it == snapshot->end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> ChannelDirectory::Names(std::string_view project) const {
  std::vector<std::string> names;
  for (const Channel& c : Of(project)) names.push_back(c.name);
  // The default project without any channel: its alerts wait for the environment's
  // Telegram (as before channels: pending until TELEGRAM_* is set).
  if (names.empty() && project == kDefaultProject) {
    names.emplace_back(kEnvironmentChannel);
  }
  return names;
}

std::vector<Channel> ChannelDirectory::All() const {
  auto snapshot = Current();
  std::vector<Channel> out;
  for (const auto& [key, channel] : *snapshot) out.push_back(channel);
  return out;
}

std::vector<Channel> ChannelDirectory::Of(std::string_view project) const {
  auto snapshot = Current();
  std::vector<Channel> out;
  // Keys are "name" in the default project and "project/name" elsewhere: filter by project
  // rather than by a key range, so the two layouts need no special case.
  for (const auto& [key, channel] : *snapshot) {
    if (channel.project == project) out.push_back(channel);
  }
  std::sort(out.begin(), out.end(),
            [](const Channel& a, const Channel& b) { return a.name < b.name; });
  return out;
}

bool ChannelDirectory::Loaded() const {
  std::lock_guard lock(mu_);
  return loaded_;
}

}  // namespace heartbeat
