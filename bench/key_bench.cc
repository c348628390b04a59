// What authentication and the projects cost a request (SPEC §13, `make bench`): an API key
// to its grant (project and role) through KeyCache, remembered per thread (a keep-alive
// client) and looked up afresh (a SHA-256 and a hash lookup), and a ping key to its
// project (Healthchecks' /ping/<ping_key>/<slug>) with 1, 10 and 100 projects.

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "core/api_key.h"
#include "core/project.h"
#include "http_server/key_cache.h"
#include "store/memory/memory_store.h"

namespace heartbeat {
namespace {

constexpr UnixMillis kNow = 1'796'601'600'000;

struct Keys {
  MemoryStore store;
  KeyCache cache{store};
  std::vector<std::string> keys;
  std::vector<std::string> ping_keys;

  Keys(int n_keys, int n_projects) {
    for (int p = 0; p < n_projects; ++p) {
      std::string name = p == 0 ? std::string(kDefaultProject) : "project-" + std::to_string(p);
      ping_keys.push_back(*GeneratePingKey());
      (void)Await<void>([&](Callback<void> cb) {
        store.AddProject({name, ping_keys.back(), kNow}, std::move(cb));
      });
    }
    for (int i = 0; i < n_keys; ++i) {
      keys.push_back(*GenerateApiKey());
      ApiKeyRecord r{.key_hash = HashApiKey(keys.back()),
                     .description = "bench",
                     .created_at = kNow,
                     .last_used_at = std::nullopt,
                     .project = i % 2 == 0 ? "default" : "project-1",
                     .read_only = i % 3 == 0};
      (void)Await<void>([&](Callback<void> cb) { store.AddKey(r, std::move(cb)); });
    }
    (void)Await<void>([&](Callback<void> cb) { cache.Refresh(std::move(cb)); });
  }
};

void BM_AuthenticateRemembered(benchmark::State& state) {
  Keys k(100, 2);
  for (auto _ : state) benchmark::DoNotOptimize(k.cache.Authenticate(k.keys[7], kNow));
}
BENCHMARK(BM_AuthenticateRemembered);

void BM_AuthenticateLookedUp(benchmark::State& state) {
  Keys k(100, 2);
  std::size_t i = 0;
  for (auto _ : state) {
    // Another key each time: never the one the thread remembers.
    benchmark::DoNotOptimize(k.cache.Authenticate(k.keys[i++ % k.keys.size()], kNow));
  }
}
BENCHMARK(BM_AuthenticateLookedUp);

void BM_ProjectOfPingKey(benchmark::State& state) {
  Keys k(1, static_cast<int>(state.range(0)));
  const std::string& last = k.ping_keys.back();  // the worst case: compared with every one
  for (auto _ : state) benchmark::DoNotOptimize(k.cache.ProjectOfPingKey(last));
}
BENCHMARK(BM_ProjectOfPingKey)->Arg(1)->Arg(10)->Arg(100);

void BM_MonitorKey(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(MonitorKey("billing", "nightly-backup"));
}
BENCHMARK(BM_MonitorKey);

}  // namespace
}  // namespace heartbeat

BENCHMARK_MAIN();
