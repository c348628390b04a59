#include "http_server/key_cache.h"

#include "core/api_key.h"

namespace heartbeat {

namespace {

std::atomic<std::uint64_t> g_generations{0};

std::uint64_t NewGeneration() { return g_generations.fetch_add(1) + 1; }

}  // namespace

KeyCache::KeyCache(Store& store) : store_(store), generation_(NewGeneration()) {}

void KeyCache::Touch(Entry& entry, UnixMillis now) {
  // Written only when the millisecond moves on: the threads share this line.
  if (now > entry.last_used.load(std::memory_order_relaxed)) {
    entry.last_used.store(now, std::memory_order_relaxed);
  }
}

std::optional<KeyGrant> KeyCache::Authenticate(std::string_view key, UnixMillis now) const {
  if (key.empty()) return std::nullopt;
  thread_local Remembered remembered;
  const std::uint64_t generation = generation_.load(std::memory_order_acquire);
  if (remembered.generation == generation && ConstantTimeEquals(remembered.key, key)) {
    Touch(*remembered.entry, now);
    return remembered.entry->grant;
  }
  std::string hash = HashApiKey(key);
  std::shared_ptr<const KeySet> keys = keys_.load();
  auto it = keys->find(hash);
  // The lookup works on SHA-256 digests, whose timing says nothing useful about the key;
  // the final comparison is constant-time all the same.
  if (it == keys->end() || !ConstantTimeEquals(it->first, hash)) return std::nullopt;
  Touch(*it->second, now);
  // Remembered only if no refresh came between the generation read above and the set
  // the key was found in; if one did, the next request looks the key up again.
  remembered = {generation, std::string(key), it->second};
  return it->second->grant;
}

std::optional<std::string> KeyCache::ProjectOfPingKey(std::string_view ping_key) const {
  std::shared_ptr<const std::vector<ProjectRecord>> projects = projects_.load();
  for (const ProjectRecord& p : *projects) {
    if (ConstantTimeEquals(p.ping_key, ping_key)) return p.name;
  }
  return std::nullopt;
}

std::vector<ProjectRecord> KeyCache::Projects() const { return *projects_.load(); }

void KeyCache::Refresh(Callback<void> done) {
  store_.ListKeys([this, done = std::move(done)](Result<std::vector<ApiKeyRecord>> records) {
    if (!records.ok()) {
      done(records.error());
      return;
    }
    std::shared_ptr<const KeySet> old = keys_.load();
    auto fresh = std::make_shared<KeySet>();
    for (const ApiKeyRecord& r : *records) {
      KeyGrant grant{.project = r.project, .read_only = r.read_only};
      auto it = old->find(r.key_hash);
      if (it != old->end() && it->second->grant == grant) {
        fresh->emplace(r.key_hash, it->second);
      } else {
        auto entry = std::make_shared<Entry>();
        entry->grant = std::move(grant);
        UnixMillis used = r.last_used_at.value_or(0);
        entry->last_used.store(used);
        entry->flushed = used;
        fresh->emplace(r.key_hash, std::move(entry));
      }
    }
    store_.ListProjects([this, fresh = std::move(fresh), done = std::move(done)](
                            Result<std::vector<ProjectRecord>> projects) mutable {
      if (!projects.ok()) {
        done(projects.error());
        return;
      }
      projects_.store(std::make_shared<const std::vector<ProjectRecord>>(std::move(*projects)));
      keys_.store(std::move(fresh));
      generation_.store(NewGeneration(), std::memory_order_release);
      done(Ok{});
    });
  });
}

void KeyCache::FlushUses(Callback<void> done) {
  std::shared_ptr<const KeySet> keys = keys_.load();
  std::vector<std::pair<std::string, UnixMillis>> uses;
  for (const auto& [hash, entry] : *keys) {
    UnixMillis used = entry->last_used.load(std::memory_order_relaxed);
    if (used > entry->flushed) {
      uses.emplace_back(hash, used);
      entry->flushed = used;
    }
  }
  if (uses.empty()) {
    done(Ok{});
    return;
  }
  store_.TouchKeys(std::move(uses), std::move(done));
}

std::size_t KeyCache::size() const { return keys_.load()->size(); }

}  // namespace heartbeat
