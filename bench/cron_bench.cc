// Cost of a cron schedule's Next() (core/cron.h), with Google Benchmark: typical expressions
// in UTC and in Europe/Riga (daylight saving). `after` steps forward by 7919 s (2 h 12 min)
// per call over two years, so the calls see every hour of the day, every kind of month and
// both clock changes, not one cached path.
//
//   cron_bench [--benchmark_repetitions=5 --benchmark_report_aggregates_only=true ...]
// bench/run.sh reports the median ns per call of each.

#include <benchmark/benchmark.h>

#include <cstdlib>

#include "core/cron.h"
#include "core/time_format.h"

namespace {

using namespace heartbeat;

void BM_Next(benchmark::State& state, const char* expr, const char* zone) {
  Result<CronSchedule> schedule = CronSchedule::Parse(expr);
  Result<TimeZone> tz = TimeZone::Load(zone);
  if (!schedule.ok() || !tz.ok()) {
    state.SkipWithError("bad expression or zone");
    return;
  }
  const UnixMillis start = *ParseRfc3339("2026-01-01T00:00:00Z");
  const UnixMillis end = start + 2 * 365LL * 86'400'000;
  UnixMillis after = start;
  for (auto _ : state) {
    std::optional<UnixMillis> next = Next(*schedule, *tz, after);
    benchmark::DoNotOptimize(next);
    after += 7'919'000;
    if (after >= end) after = start;
  }
}

void BM_Parse(benchmark::State& state, const char* expr) {
  for (auto _ : state) {
    Result<CronSchedule> schedule = CronSchedule::Parse(expr);
    benchmark::DoNotOptimize(schedule);
  }
}

void BM_LoadCachedZone(benchmark::State& state) {
  for (auto _ : state) {
    Result<TimeZone> tz = TimeZone::Load("Europe/Riga");
    benchmark::DoNotOptimize(tz);
  }
}

BENCHMARK_CAPTURE(BM_Next, every_5_minutes_utc, "*/5 * * * *", "UTC");
BENCHMARK_CAPTURE(BM_Next, every_5_minutes_riga, "*/5 * * * *", "Europe/Riga");
BENCHMARK_CAPTURE(BM_Next, daily_0300_utc, "0 3 * * *", "UTC");
BENCHMARK_CAPTURE(BM_Next, daily_0300_riga, "0 3 * * *", "Europe/Riga");
BENCHMARK_CAPTURE(BM_Next, weekdays_0230_riga, "30 2 * * 1-5", "Europe/Riga");
BENCHMARK_CAPTURE(BM_Next, last_day_utc, "0 0 L * *", "UTC");
BENCHMARK_CAPTURE(BM_Next, last_day_riga, "0 0 L * *", "Europe/Riga");
BENCHMARK_CAPTURE(BM_Next, second_monday_0900_utc, "0 9 * * 1#2", "UTC");
BENCHMARK_CAPTURE(BM_Next, second_monday_0900_riga, "0 9 * * 1#2", "Europe/Riga");
BENCHMARK_CAPTURE(BM_Parse, weekdays_0230, "30 2 * * 1-5");
BENCHMARK_CAPTURE(BM_Parse, long_list, "0,15,30,45 0-6,18-23/2 1,15,L * MON-FRI");
BENCHMARK(BM_LoadCachedZone);

}  // namespace

BENCHMARK_MAIN();
