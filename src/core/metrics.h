#pragma once
// Process metrics, rendered in the Prometheus text exposition format. Lock-free on the
// hot paths: every series is a fixed slot of atomics, chosen by enum, so that a request
// counts itself without a lock or an allocation.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/alert.h"
#include "core/monitor.h"

namespace heartbeat {

// Buckets in seconds, from 0.1 ms to 10 s.
inline constexpr std::array<double, 14> kLatencyBuckets{
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 10};

class Histogram {
 public:
  void Observe(double seconds);
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  // Appends the _bucket, _sum and _count lines of `name` with `labels` ("a=\"b\"" or "").
  void Render(std::string& out, std::string_view name, std::string_view labels) const;

 private:
  std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size()> buckets_{};  // not cumulative
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_ns_{0};
};

enum class RouteLabel {
  kPing,
  kFail,
  kMonitors,
  kMonitor,
  kPause,
  kUnpause,
  kHealthz,
  kMetrics,
  kDashboard,
  kUnknown,
};
inline constexpr std::size_t kRouteCount = 10;
std::string_view ToString(RouteLabel route);

// The status codes the API answers with; anything else counts as "other".
inline constexpr std::array<unsigned, 13> kStatusCodes{200, 204, 400, 401, 404, 405, 408,
                                                       413, 414, 429, 431, 500, 503};

class Metrics {
 public:
  void CountPing() { pings_.fetch_add(1, std::memory_order_relaxed); }
  void ObserveRequest(RouteLabel route, unsigned status, double seconds);
  void ObserveStoreOperation(std::string_view op, double seconds);
  void CountAlert(AlertKind kind, bool sent);
  void ObserveCheckerCycle(double seconds) { checker_cycle_.Observe(seconds); }

  std::uint64_t pings() const { return pings_.load(); }
  std::uint64_t alerts(AlertKind kind, bool sent) const;

  // A gauge read at every scrape (e.g. the store's requests in flight). Set up before the
  // server starts; `read` must be cheap and thread-safe.
  void AddGauge(std::string name, std::string help, std::function<double()> read);

  // The whole exposition; gauges read from the store at scrape time are passed in.
  std::string Render(const MonitorCounts& monitors, std::int64_t alerts_pending) const;

 private:
  static std::size_t StatusIndex(unsigned status);

  std::atomic<std::uint64_t> pings_{0};
  // [route][status index], the last index for "other".
  std::array<std::array<Histogram, kStatusCodes.size() + 1>, kRouteCount> requests_;
  // Store operations, by the API route (or checker step) that made them.
  std::array<Histogram, 8> store_ops_;
  std::array<std::array<std::atomic<std::uint64_t>, 2>, 4> alerts_{};  // [kind][sent?]
  Histogram checker_cycle_;
  struct Gauge {
    std::string name;
    std::string help;
    std::function<double()> read;
  };
  mutable std::mutex gauges_mu_;
  std::vector<Gauge> gauges_;  // guarded by gauges_mu_
};

}  // namespace heartbeat
