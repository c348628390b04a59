#pragma once
// The API keys a server accepts, held in memory and refreshed from the Store, so that a
// request's authentication costs one SHA-256 and one hash lookup, and a key added or
// revoked with the CLI takes effect at the next refresh (the server refreshes twice a
// second). Uses are counted in memory and written back in batches.
//
// Each thread also remembers the last key it accepted, until the next refresh: a client
// on a keep-alive connection sends the same key with every request, and the repeat costs
// one constant-time comparison instead of a hash and a lookup.
//
// Thread-safe: Authenticate may run on any thread while Refresh runs on another.

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "store/store.h"

namespace heartbeat {

class KeyCache {
 public:
  explicit KeyCache(Store& store);

  // What `key` may do when it is a current API key (its project and role); records its
  // use at `now`. Nothing for any other.
  std::optional<KeyGrant> Authenticate(std::string_view key, UnixMillis now) const;

  // The project whose ping key is `ping_key` (SPEC §13), as of the last refresh.
  std::optional<std::string> ProjectOfPingKey(std::string_view ping_key) const;
  // The projects, as of the last refresh.
  std::vector<ProjectRecord> Projects() const;

  // Reloads the key set and the projects from the store; `done` runs on a store thread.
  // Until the first successful refresh no key is accepted.
  void Refresh(Callback<void> done);

  // Writes last-used times that moved since the previous flush.
  void FlushUses(Callback<void> done);

  std::size_t size() const;

 private:
  struct Entry {
    KeyGrant grant;
    std::atomic<UnixMillis> last_used{0};
    UnixMillis flushed = 0;  // written by FlushUses only
  };
  using KeySet = std::unordered_map<std::string, std::shared_ptr<Entry>>;
  // The last key a thread accepted, valid while `generation` is current.
  struct Remembered {
    std::uint64_t generation = 0;
    std::string key;
    std::shared_ptr<Entry> entry;
  };
  static void Touch(Entry& entry, UnixMillis now);

  Store& store_;
  std::atomic<std::shared_ptr<const KeySet>> keys_{std::make_shared<const KeySet>()};
  std::atomic<std::shared_ptr<const std::vector<ProjectRecord>>> projects_{
      std::make_shared<const std::vector<ProjectRecord>>()};
  // Changes at every refresh, after keys_, to a value no refresh of any KeyCache in the
  // process had before, so that what a thread remembers never outlives its key set.
  std::atomic<std::uint64_t> generation_;
};

}  // namespace heartbeat
