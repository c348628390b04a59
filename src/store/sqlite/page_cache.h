#pragma once
// SQLite's own page cache, with truncations that have nothing to remove skipped.
//
// At the end of every write transaction SQLite asks the page cache to drop the pages
// past the end of the database. Its default cache keeps a high-water mark of the page
// numbers it has held and, when that mark is far past the limit, walks its whole hash
// table to find them. When a B-tree rebalance reorders sibling pages, SQLite parks one
// page for a moment under the number of the lock page (the page holding byte 2^30,
// which is never used for data), so the mark jumps to that number and stays there:
// from then on every commit walks the whole cache (about 9,000 pages for 100k monitors),
// some 12% of the writer's time under a ping load.
//
// The adapter keeps its own bound: the largest page number any page other than the lock
// page has taken, and whether a page sits under the lock page's number now. A
// truncation with no page at or past its limit is answered at once; every other call,
// and every truncation that may remove something, goes to SQLite's cache unchanged.
// How it was found and what it saved: (docs/ENGINEERING.md, "What made a ping cheaper").

#include <sqlite3.h>

#include <cstdint>

namespace heartbeat::sqlite {

// Methods that wrap `inner`, which must stay valid as long as SQLite may use them.
// `inner` is shared process-wide: the wrapped methods are meant to be installed once
// (SQLite allows one page cache per process).
sqlite3_pcache_methods2 SkippingTruncationPageCache(const sqlite3_pcache_methods2* inner);

struct PageCacheCounters {
  std::uint64_t truncations = 0;  // asked of the adapter
  std::uint64_t skipped = 0;      // answered without the inner cache
};

// Since the process started, over every cache of the installed adapter.
PageCacheCounters PageCacheCountersNow();

// Installs the adapter over SQLite's default page cache. Must run before SQLite
// initializes (the first connection or VFS registration); returns false if too late.
bool InstallPageCache();

}  // namespace heartbeat::sqlite
