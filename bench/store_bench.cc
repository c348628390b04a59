// Throughput of the SQLite store's group-committing writer alone, without HTTP: keeps
// `inflight` pings outstanding (each completion submits the next) for `seconds`, over a
// pool of `slugs` monitors. Prints one JSON object.
//
//   store_bench DIR [inflight=256] [seconds=5] [slugs=100000]

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>

#include "core/clock.h"
#include "store/sqlite/sqlite_store.h"

using namespace heartbeat;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: store_bench DIR [inflight] [seconds] [slugs]\n");
    return 2;
  }
  std::string dir = argv[1];
  int inflight = argc > 2 ? std::atoi(argv[2]) : 256;
  int seconds = argc > 3 ? std::atoi(argv[3]) : 5;
  int slugs = argc > 4 ? std::atoi(argv[4]) : 100000;
  SqliteStoreOptions options{.path = dir + "/bench.db"};
  if (const char* c = std::getenv("CKPT")) options.checkpoint_pages = std::atoi(c);
  if (const char* c = std::getenv("CKPT_HARD")) options.checkpoint_hard_pages = std::atoi(c);
  auto store = SqliteStore::Open(options);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.error().message.c_str());
    return 1;
  }
  SqliteStore& s = **store;
  // PINGS_KEPT, as serve reads it: 0 measures the writer without the history.
  if (const char* kept = std::getenv("PINGS_KEPT")) s.KeepPings(std::atoll(kept));
  s.LimitMonitors(1'000'000'000);  // a pool of slugs larger than a project holds by default
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> done{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<int> outstanding{0};
  std::function<void(std::uint64_t)> submit = [&](std::uint64_t seed) {
    if (stop.load()) {
      outstanding.fetch_sub(1);
      return;
    }
    std::string slug = "job-" + std::to_string(seed % static_cast<std::uint64_t>(slugs));
    s.Ping(slug, std::nullopt, RealClock().Now(), [&, seed](Result<Monitor> r) {
      if (!r.ok() && failed.fetch_add(1) == 0)
        std::fprintf(stderr, "%s\n", r.error().message.c_str());
      done.fetch_add(1);
      submit(seed * 6364136223846793005ULL + 1442695040888963407ULL);
    });
  };
  auto start = std::chrono::steady_clock::now();
  std::uint64_t c0 = s.commits();
  for (int i = 0; i < inflight; ++i) {
    outstanding.fetch_add(1);
    submit(static_cast<std::uint64_t>(i) * 2654435761ULL);
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop.store(true);
  std::uint64_t ops = done.load();
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::uint64_t commits = s.commits() - c0;
  while (outstanding.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  s.Close();
  std::printf(
      "{\"inflight\":%d,\"pings_per_sec\":%.0f,\"commits_per_sec\":%.0f,\"pings_per_commit\":%.1f,"
      "\"failed\":%lu}\n",
      inflight, static_cast<double>(ops) / elapsed, static_cast<double>(commits) / elapsed,
      commits ? static_cast<double>(ops) / static_cast<double>(commits) : 0.0,
      static_cast<unsigned long>(failed.load()));
  return failed.load() == 0 ? 0 : 1;
}
