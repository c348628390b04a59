#include "store/sqlite/page_cache.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <new>

namespace heartbeat::sqlite {
namespace {

// SQLite's PENDING_BYTE: the byte locks are taken on; the page holding it never holds
// data, and btree.c uses its number as a temporary one while swapping two pages.
constexpr unsigned kPendingByte = 0x40000000;

const sqlite3_pcache_methods2* g_inner = nullptr;
std::atomic<std::uint64_t> g_truncations{0};
std::atomic<std::uint64_t> g_skipped{0};

struct Cache {
  sqlite3_pcache* inner;
  unsigned lock_page;  // the lock page's number at this cache's page size
  // No page but the one under lock_page has a number above this. Raised by every page
  // the cache hands out or renumbers, lowered only by a truncation that went through.
  unsigned max_key = 0;
  // The page under lock_page's number, if there may be one. Cleared when that page is
  // discarded, renumbered, or handed out under another number (the inner cache recycled
  // it); a stale value only costs a truncation that goes through.
  sqlite3_pcache_page* at_lock_page = nullptr;
};

Cache* Of(sqlite3_pcache* p) { return reinterpret_cast<Cache*>(p); }

int Init(void*) { return g_inner->xInit(g_inner->pArg); }

void Shutdown(void*) {
  if (g_inner->xShutdown != nullptr) g_inner->xShutdown(g_inner->pArg);
}

sqlite3_pcache* Create(int page_size, int extra_size, int purgeable) {
  sqlite3_pcache* inner = g_inner->xCreate(page_size, extra_size, purgeable);
  if (inner == nullptr) return nullptr;
  auto* cache =
      new (std::nothrow) Cache{inner, kPendingByte / static_cast<unsigned>(page_size) + 1};
  if (cache == nullptr) {
    g_inner->xDestroy(inner);
    return nullptr;
  }
  return reinterpret_cast<sqlite3_pcache*>(cache);
}

void Cachesize(sqlite3_pcache* p, int pages) { g_inner->xCachesize(Of(p)->inner, pages); }

int Pagecount(sqlite3_pcache* p) { return g_inner->xPagecount(Of(p)->inner); }

// Records that `page` now has number `key`.
void Track(Cache* c, sqlite3_pcache_page* page, unsigned key) {
  if (key == c->lock_page) {
    c->at_lock_page = page;
    return;
  }
  if (page == c->at_lock_page) c->at_lock_page = nullptr;
  c->max_key = std::max(c->max_key, key);
}

sqlite3_pcache_page* Fetch(sqlite3_pcache* p, unsigned key, int create) {
  Cache* c = Of(p);
  sqlite3_pcache_page* page = g_inner->xFetch(c->inner, key, create);
  if (page != nullptr) Track(c, page, key);
  return page;
}

void Unpin(sqlite3_pcache* p, sqlite3_pcache_page* page, int discard) {
  Cache* c = Of(p);
  if (discard != 0 && page == c->at_lock_page) c->at_lock_page = nullptr;
  g_inner->xUnpin(c->inner, page, discard);
}

void Rekey(sqlite3_pcache* p, sqlite3_pcache_page* page, unsigned old_key, unsigned new_key) {
  Cache* c = Of(p);
  g_inner->xRekey(c->inner, page, old_key, new_key);
  Track(c, page, new_key);
}

void Truncate(sqlite3_pcache* p, unsigned limit) {
  Cache* c = Of(p);
  g_truncations.fetch_add(1, std::memory_order_relaxed);
  bool lock_page_goes = c->at_lock_page != nullptr && c->lock_page >= limit;
  if (c->max_key < limit && !lock_page_goes) {
    g_skipped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  g_inner->xTruncate(c->inner, limit);
  if (limit > 0) c->max_key = std::min(c->max_key, limit - 1);
  if (lock_page_goes) c->at_lock_page = nullptr;
}

void Destroy(sqlite3_pcache* p) {
  Cache* c = Of(p);
  g_inner->xDestroy(c->inner);
  delete c;
}

void Shrink(sqlite3_pcache* p) {
  if (g_inner->xShrink != nullptr) g_inner->xShrink(Of(p)->inner);
}

}  // namespace

sqlite3_pcache_methods2 SkippingTruncationPageCache(const sqlite3_pcache_methods2* inner) {
  g_inner = inner;
  sqlite3_pcache_methods2 m{};
  m.iVersion = 1;
  m.pArg = nullptr;
  m.xInit = Init;
  m.xShutdown = Shutdown;
  m.xCreate = Create;
  m.xCachesize = Cachesize;
  m.xPagecount = Pagecount;
  m.xFetch = Fetch;
  m.xUnpin = Unpin;
  m.xRekey = Rekey;
  m.xTruncate = Truncate;
  m.xDestroy = Destroy;
  m.xShrink = Shrink;
  return m;
}

PageCacheCounters PageCacheCountersNow() {
  return {g_truncations.load(std::memory_order_relaxed), g_skipped.load(std::memory_order_relaxed)};
}

bool InstallPageCache() {
  static sqlite3_pcache_methods2 inner{};
  static bool installed = false;
  static std::once_flag once;
  std::call_once(once, [] {
    if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &inner) != SQLITE_OK) return;
    sqlite3_pcache_methods2 wrapped = SkippingTruncationPageCache(&inner);
    installed = sqlite3_config(SQLITE_CONFIG_PCACHE2, &wrapped) == SQLITE_OK;
  });
  return installed;
}

}  // namespace heartbeat::sqlite
