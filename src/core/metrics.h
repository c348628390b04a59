#pragma once
// Process metrics, rendered in the Prometheus text exposition format. Lock-free on the
// hot paths: every series is a fixed slot of atomics, chosen by a small index, so that a
// request counts itself without a lock or an allocation.
//
// The values of the labels that belong to other layers (the HTTP routes, the status codes
// they answer with, the store operations the API makes) are not listed here: their owners
// register them at start-up and keep the handles that the hot paths pass back.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
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

// A route's value of the `route` label of heartbeat_http_request_duration_seconds, from
// Metrics::RegisterRoute: an index into fixed slots, so that a request counts itself
// without a lock, an allocation or a look-up by name.
struct RouteLabel {
  std::uint16_t index = 0;
};
// An operation's value of the `op` label of heartbeat_store_operation_duration_seconds,
// from Metrics::RegisterStoreOperation.
struct StoreOpLabel {
  std::uint16_t index = 0;
};

class Metrics {
 public:
  // Room for label values; registering more is a programming error (asserted; the extra
  // values share the last slot).
  static constexpr std::size_t kMaxRoutes = 48;
  static constexpr std::size_t kMaxStatusCodes = 31;  // one more slot counts "other"
  static constexpr std::size_t kMaxStoreOps = 32;

  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Registration, at start-up (e.g. when the router is built). Each returns the handle of
  // `name`, the same one when it was registered before; series are rendered in the order of
  // first registration. Thread-safe, also against the Observe calls, which see a value once
  // its registration returned.
  RouteLabel RegisterRoute(std::string_view name);
  // A status code that gets its own `code` label value; any other is counted as "other".
  void RegisterStatusCode(unsigned code);
  StoreOpLabel RegisterStoreOperation(std::string_view name);

  void CountPing() { pings_.fetch_add(1, std::memory_order_relaxed); }
  void ObserveRequest(RouteLabel route, unsigned status, double seconds);
  void ObserveStoreOperation(StoreOpLabel op, double seconds);
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
  // Names registered once and never moved: a slot is written before the count that
  // publishes it (release), and read only below a count loaded with acquire.
  template <std::size_t N>
  struct Names {
    std::array<std::string, N> names;
    std::atomic<std::size_t> count{0};
  };
  template <std::size_t N>
  std::uint16_t Register(Names<N>& names, std::string_view name);
  std::size_t StatusIndex(unsigned status) const;

  std::mutex register_mu_;  // serialises the registrations (never taken by Observe)
  Names<kMaxRoutes> routes_;
  std::array<unsigned, kMaxStatusCodes> status_codes_{};
  std::atomic<std::size_t> status_code_count_{0};
  Names<kMaxStoreOps> store_op_names_;

  std::atomic<std::uint64_t> pings_{0};
  // [route][status index], the last index for "other". On the heap: it is large.
  using StatusHistograms = std::array<Histogram, kMaxStatusCodes + 1>;
  std::unique_ptr<std::array<StatusHistograms, kMaxRoutes>> requests_;
  std::array<Histogram, kMaxStoreOps> store_ops_;
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
