#pragma once
// The API keys a server accepts, held in memory and refreshed from the Store, so that a
// request's authentication costs one SHA-256 and one hash lookup, and a key added or
// revoked with the CLI takes effect at the next refresh (the server refreshes twice a
// second). Uses are counted in memory and written back in batches.
//
// Thread-safe: Authenticate may run on any thread while Refresh runs on another.

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"
#include "store/store.h"

namespace heartbeat {

class KeyCache {
 public:
  explicit KeyCache(Store& store) : store_(store) {}

  // True when `key` is a current API key; records its use at `now`.
  bool Authenticate(std::string_view key, UnixMillis now) const;

  // Reloads the key set from the store; `done` runs on a store thread. Until the first
  // successful refresh no key is accepted.
  void Refresh(Callback<void> done);

  // Writes last-used times that moved since the previous flush.
  void FlushUses(Callback<void> done);

  std::size_t size() const;

 private:
  struct Entry {
    std::atomic<UnixMillis> last_used{0};
    UnixMillis flushed = 0;  // written by FlushUses only
  };
  using KeySet = std::unordered_map<std::string, std::shared_ptr<Entry>>;

  Store& store_;
  std::atomic<std::shared_ptr<const KeySet>> keys_{std::make_shared<const KeySet>()};
};

}  // namespace heartbeat
