// The page cache adapter (store/sqlite/page_cache.h) over a model of a page cache: it may
// answer a truncation itself only when no page at or past the limit exists. Its own
// binary: the adapter wraps one process-wide inner cache, here the model, so SQLite must
// not run in this process. Through real SQLite: sqlite_store_test.cc.

#include "store/sqlite/page_cache.h"

#include <map>
#include <memory>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace heartbeat::sqlite {
namespace {

constexpr int kPageSize = 1024;
constexpr unsigned kLockPage = 0x40000000u / kPageSize + 1;

// A page cache that does what SQLite's contract says, keeps every page in an ordered map,
// and recycles an unpinned page for a new number when it is full (as SQLite's does).
struct ModelPage {
  sqlite3_pcache_page base{};
  unsigned key = 0;
  bool pinned = false;
};

struct ModelCache {
  std::map<unsigned, std::unique_ptr<ModelPage>> pages;
  std::size_t capacity = 24;
  int truncations = 0;  // that reached the model
};

ModelCache* Model(sqlite3_pcache* p) { return reinterpret_cast<ModelCache*>(p); }
ModelPage* Page(sqlite3_pcache_page* p) { return reinterpret_cast<ModelPage*>(p); }

sqlite3_pcache_methods2 ModelMethods() {
  sqlite3_pcache_methods2 m{};
  m.iVersion = 1;
  m.xInit = [](void*) { return SQLITE_OK; };
  m.xShutdown = [](void*) {};
  m.xCreate = [](int, int, int) { return reinterpret_cast<sqlite3_pcache*>(new ModelCache); };
  m.xCachesize = [](sqlite3_pcache*, int) {};
  m.xPagecount = [](sqlite3_pcache* p) { return static_cast<int>(Model(p)->pages.size()); };
  m.xFetch = [](sqlite3_pcache* p, unsigned key, int create) -> sqlite3_pcache_page* {
    ModelCache* c = Model(p);
    if (auto it = c->pages.find(key); it != c->pages.end()) {
      it->second->pinned = true;
      return &it->second->base;
    }
    if (create == 0) return nullptr;
    std::unique_ptr<ModelPage> page;
    if (c->pages.size() >= c->capacity) {
      for (auto it = c->pages.begin(); it != c->pages.end(); ++it) {
        if (!it->second->pinned) {
          page = std::move(it->second);  // recycled: the same page object, a new number
          c->pages.erase(it);
          break;
        }
      }
    }
    if (page == nullptr) page = std::make_unique<ModelPage>();
    page->key = key;
    page->pinned = true;
    ModelPage* raw = page.get();
    c->pages[key] = std::move(page);
    return &raw->base;
  };
  m.xUnpin = [](sqlite3_pcache* p, sqlite3_pcache_page* page, int discard) {
    ModelPage* mp = Page(page);
    mp->pinned = false;
    if (discard != 0) Model(p)->pages.erase(mp->key);
  };
  m.xRekey = [](sqlite3_pcache* p, sqlite3_pcache_page* page, unsigned old_key, unsigned new_key) {
    ModelCache* c = Model(p);
    std::unique_ptr<ModelPage> moved = std::move(c->pages[old_key]);
    c->pages.erase(old_key);
    c->pages.erase(new_key);  // SQLite drops a page under the new number first
    moved->key = new_key;
    c->pages[new_key] = std::move(moved);
    (void)page;
  };
  m.xTruncate = [](sqlite3_pcache* p, unsigned limit) {
    ModelCache* c = Model(p);
    ++c->truncations;
    c->pages.erase(c->pages.lower_bound(limit), c->pages.end());
  };
  m.xDestroy = [](sqlite3_pcache* p) { delete Model(p); };
  m.xShrink = [](sqlite3_pcache*) {};
  return m;
}

class PageCacheTest : public testing::Test {
 protected:
  void SetUp() override {
    inner_ = ModelMethods();
    cache_ = SkippingTruncationPageCache(&inner_);
    ASSERT_EQ(cache_.xInit(cache_.pArg), SQLITE_OK);
    handle_ = cache_.xCreate(kPageSize, 64, 1);
    ASSERT_NE(handle_, nullptr);
  }
  void TearDown() override {
    cache_.xDestroy(handle_);
    cache_.xShutdown(cache_.pArg);
  }

  // The model behind the adapter's handle: the adapter's per-cache state starts with it.
  ModelCache& model() { return *Model(*reinterpret_cast<sqlite3_pcache**>(handle_)); }
  sqlite3_pcache_page* Fetch(unsigned key) { return cache_.xFetch(handle_, key, 2); }
  void Unpin(sqlite3_pcache_page* page) { cache_.xUnpin(handle_, page, 0); }
  void Truncate(unsigned limit) { cache_.xTruncate(handle_, limit); }

  sqlite3_pcache_methods2 inner_{};
  sqlite3_pcache_methods2 cache_{};
  sqlite3_pcache* handle_ = nullptr;
};

// btree.c's swap of two sibling pages parks one under the lock page's number: the commit
// after it has nothing to truncate, and the inner cache is not asked (SQLite's own would
// walk its whole table).
TEST_F(PageCacheTest, TruncationAfterASwapThroughTheLockPageSkipsTheInnerCache) {
  std::vector<sqlite3_pcache_page*> pages;
  for (unsigned key = 1; key <= 10; ++key) pages.push_back(Fetch(key));
  cache_.xRekey(handle_, pages[3], 4, kLockPage);
  cache_.xRekey(handle_, pages[8], 9, 4);
  cache_.xRekey(handle_, pages[3], kLockPage, 9);
  for (sqlite3_pcache_page* p : pages) Unpin(p);
  const PageCacheCounters before = PageCacheCountersNow();
  Truncate(11);
  EXPECT_EQ(model().truncations, 0);
  EXPECT_EQ(model().pages.size(), 10u);
  EXPECT_EQ(PageCacheCountersNow().skipped, before.skipped + 1);
}

TEST_F(PageCacheTest, TruncationThatMayRemovePagesGoesThrough) {
  for (unsigned key = 1; key <= 10; ++key) Unpin(Fetch(key));
  Truncate(6);
  EXPECT_EQ(model().truncations, 1);
  EXPECT_EQ(model().pages.size(), 5u);
  // Pages 6..10 are gone, so a truncation at 8 has nothing left to remove.
  Truncate(8);
  EXPECT_EQ(model().truncations, 1);
}

TEST_F(PageCacheTest, APageLeftUnderTheLockPageNumberIsTruncated) {
  sqlite3_pcache_page* page = Fetch(3);
  cache_.xRekey(handle_, page, 3, kLockPage);
  Unpin(page);
  Truncate(100);
  EXPECT_EQ(model().truncations, 1);
  EXPECT_TRUE(model().pages.empty());
}

// Random sequences of every call SQLite makes, with page numbers small and near the lock
// page's: after each truncation no page at or past its limit may remain. Recycling by the
// full model hands the adapter pages it has seen under other numbers.
TEST_F(PageCacheTest, NoTruncationLeavesAPageAtOrPastItsLimit) {
  std::mt19937 rng(20261128);
  std::vector<unsigned> keys;
  for (unsigned k = 1; k <= 40; ++k) keys.push_back(k);
  keys.push_back(kLockPage);
  keys.push_back(kLockPage + 1);
  std::uniform_int_distribution<std::size_t> pick_key(0, keys.size() - 1);
  std::uniform_int_distribution<int> op(0, 9);
  const PageCacheCounters before = PageCacheCountersNow();
  int truncations = 0;
  for (int step = 0; step < 200'000; ++step) {
    ModelCache& m = model();
    std::vector<ModelPage*> pinned;
    for (auto& [key, page] : m.pages)
      if (page->pinned) pinned.push_back(page.get());
    int what = op(rng);
    if (what <= 3) {
      cache_.xFetch(handle_, keys[pick_key(rng)], static_cast<int>(rng() % 3));
    } else if (what <= 5 && !pinned.empty()) {
      ModelPage* p = pinned[rng() % pinned.size()];
      cache_.xUnpin(handle_, &p->base, static_cast<int>(rng() % 2));
    } else if (what <= 7 && !pinned.empty()) {
      ModelPage* p = pinned[rng() % pinned.size()];
      unsigned to = keys[pick_key(rng)];
      if (to != p->key && (m.pages.count(to) == 0 || !m.pages[to]->pinned))
        cache_.xRekey(handle_, &p->base, p->key, to);
    } else {
      // SQLite truncates with every page past the limit unpinned.
      unsigned limit = what == 8 ? keys[pick_key(rng)] : 1 + static_cast<unsigned>(rng() % 45);
      bool any_pinned_past = false;
      for (auto it = m.pages.lower_bound(limit); it != m.pages.end(); ++it)
        any_pinned_past = any_pinned_past || it->second->pinned;
      if (any_pinned_past) continue;
      Truncate(limit);
      ++truncations;
      ASSERT_EQ(m.pages.lower_bound(limit), m.pages.end())
          << "step " << step << ": a page at or past " << limit << " survived";
    }
  }
  const PageCacheCounters after = PageCacheCountersNow();
  EXPECT_EQ(after.truncations - before.truncations, static_cast<std::uint64_t>(truncations));
  // Both kinds happened: the property was tested on skipped truncations too.
  EXPECT_GT(after.skipped - before.skipped, 1000u);
  EXPECT_GT(model().truncations, 1000);
}

}  // namespace
}  // namespace heartbeat::sqlite
