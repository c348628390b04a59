#pragma once
// The channels every project has now: the stored ones (refreshed by the caller from
// Store::ListChannels) and the environment's Telegram settings as `default`'s `telegram`.
// Read by the checker (where an alert goes), the senders (what a channel is) and the API.
// Thread-safe: readers take a snapshot; Replace swaps it.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/channel.h"
#include "notify/channel.h"

namespace heartbeat {

class ChannelDirectory {
 public:
  // `environment`: the default project's `telegram` channel from TELEGRAM_*, when set.
  explicit ChannelDirectory(std::optional<Channel> environment = std::nullopt);

  // Replaces the stored channels with `records` (a record that does not parse is skipped
  // and logged, once). A stored channel with the environment channel's key is shadowed by
  // it: the environment wins (logged once).
  void Replace(const std::vector<ChannelRecord>& records);

  // The channel whose key (core/channel.h: ChannelKey) is `key`, if any.
  std::optional<Channel> Find(std::string_view key) const;
  // Where `project`'s alerts go: the names of its channels, by name; for the default
  // project without any, `telegram` (the environment's, which keeps them pending until
  // TELEGRAM_* is set).
  std::vector<std::string> Names(std::string_view project) const;
  // `project`'s channels, by name.
  std::vector<Channel> Of(std::string_view project) const;
  // Every project's channels.
  std::vector<Channel> All() const;
  // Whether Replace was called once at least.
  bool Loaded() const;

 private:
  using Snapshot = std::map<std::string, Channel>;  // by key
  std::shared_ptr<const Snapshot> Current() const;

  std::optional<Channel> environment_;
  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> snapshot_;  // guarded by mu_
  bool loaded_ = false;                       // guarded by mu_
  std::set<std::string> logged_;              // guarded by mu_: problems already logged
};

}  // namespace heartbeat
