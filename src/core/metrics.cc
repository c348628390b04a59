#include "core/metrics.h"

#include <cassert>
#include <cstdio>

namespace heartbeat {
namespace {

std::string FormatDouble(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

void Line(std::string& out, std::string_view name, std::string_view labels, std::string value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  out += value;
  out += '\n';
}

void Help(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

}  // namespace

void Histogram::Observe(double seconds) {
  if (seconds < 0) seconds = 0;
  std::size_t i = 0;
  while (i < kLatencyBuckets.size() && seconds > kLatencyBuckets[i]) ++i;
  if (i < kLatencyBuckets.size()) buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<std::uint64_t>(seconds * 1e9), std::memory_order_relaxed);
}

void Histogram::Render(std::string& out, std::string_view name, std::string_view labels) const {
  std::string prefix = labels.empty() ? "" : std::string(labels) + ",";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    Line(out, std::string(name) + "_bucket",
         prefix + "le=\"" + FormatDouble(kLatencyBuckets[i]) + "\"", std::to_string(cumulative));
  }
  std::uint64_t count = count_.load(std::memory_order_relaxed);
  Line(out, std::string(name) + "_bucket", prefix + "le=\"+Inf\"", std::to_string(count));
  Line(out, std::string(name) + "_sum", labels,
       FormatDouble(static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9));
  Line(out, std::string(name) + "_count", labels, std::to_string(count));
}

Metrics::Metrics() : requests_(std::make_unique<std::array<StatusHistograms, kMaxRoutes>>()) {}

template <std::size_t N>
std::uint16_t Metrics::Register(Names<N>& names, std::string_view name) {
  std::lock_guard lock(register_mu_);
  const std::size_t count = names.count.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < count; ++i) {
    if (names.names[i] == name) return static_cast<std::uint16_t>(i);
  }
  assert(count < N && "more label values than Metrics has room for");
  if (count == N) return static_cast<std::uint16_t>(N - 1);
  names.names[count] = std::string(name);
  names.count.store(count + 1, std::memory_order_release);
  return static_cast<std::uint16_t>(count);
}

RouteLabel Metrics::RegisterRoute(std::string_view name) { return {Register(routes_, name)}; }

StoreOpLabel Metrics::RegisterStoreOperation(std::string_view name) {
  return {Register(store_op_names_, name)};
}

void Metrics::RegisterStatusCode(unsigned code) {
  std::lock_guard lock(register_mu_);
  const std::size_t count = status_code_count_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < count; ++i) {
    if (status_codes_[i] == code) return;
  }
  assert(count < kMaxStatusCodes && "more status codes than Metrics has room for");
  if (count == kMaxStatusCodes) return;  // counted as "other"
  status_codes_[count] = code;
  status_code_count_.store(count + 1, std::memory_order_release);
}

std::size_t Metrics::StatusIndex(unsigned status) const {
  const std::size_t count = status_code_count_.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < count; ++i) {
    if (status_codes_[i] == status) return i;
  }
  return kMaxStatusCodes;  // other
}

void Metrics::ObserveRequest(RouteLabel route, unsigned status, double seconds) {
  (*requests_)[route.index][StatusIndex(status)].Observe(seconds);
}

void Metrics::ObserveStoreOperation(StoreOpLabel op, double seconds) {
  store_ops_[op.index].Observe(seconds);
}

void Metrics::CountAlert(AlertKind kind, bool sent) {
  alerts_[static_cast<std::size_t>(kind)][sent ? 1 : 0].fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t Metrics::alerts(AlertKind kind, bool sent) const {
  return alerts_[static_cast<std::size_t>(kind)][sent ? 1 : 0].load();
}

std::string Metrics::Render(const MonitorCounts& monitors, std::int64_t alerts_pending) const {
  std::string out;
  out.reserve(16 * 1024);
  Help(out, "heartbeat_pings_total", "counter",
       "Pings recorded (GET/POST/HEAD /heartbeat/{slug}).");
  Line(out, "heartbeat_pings_total", "", std::to_string(pings()));

  Help(out, "heartbeat_monitors", "gauge",
       "Monitors by status (overdue includes failed; failed: the job reported failure).");
  Line(out, "heartbeat_monitors", "status=\"ok\"", std::to_string(monitors.ok));
  Line(out, "heartbeat_monitors", "status=\"overdue\"", std::to_string(monitors.overdue));
  Line(out, "heartbeat_monitors", "status=\"paused\"", std::to_string(monitors.paused));
  Line(out, "heartbeat_monitors", "status=\"failed\"", std::to_string(monitors.failed));

  Help(out, "heartbeat_alerts_total", "counter",
       "Alert delivery attempts by kind and result (failed: retried or rejected).");
  for (AlertKind kind :
       {AlertKind::kOverdue, AlertKind::kFailed, AlertKind::kRepeat, AlertKind::kRecovered}) {
    for (bool sent : {true, false}) {
      Line(out, "heartbeat_alerts_total",
           "kind=\"" + std::string(ToString(kind)) + "\",result=\"" + (sent ? "sent" : "failed") +
               "\"",
           std::to_string(alerts(kind, sent)));
    }
  }
  Help(out, "heartbeat_alerts_pending", "gauge", "Alerts waiting in the outbox to be delivered.");
  Line(out, "heartbeat_alerts_pending", "", std::to_string(alerts_pending));

  Help(out, "heartbeat_http_request_duration_seconds", "histogram",
       "HTTP requests by route and status code, from request read to response ready.");
  const std::size_t route_count = routes_.count.load(std::memory_order_acquire);
  const std::size_t code_count = status_code_count_.load(std::memory_order_acquire);
  for (std::size_t r = 0; r < route_count; ++r) {
    const auto render = [&](std::size_t c, const std::string& code) {
      const Histogram& h = (*requests_)[r][c];
      if (h.count() == 0) return;  // only the series that happened
      h.Render(out, "heartbeat_http_request_duration_seconds",
               "route=\"" + routes_.names[r] + "\",code=\"" + code + "\"");
    };
    for (std::size_t c = 0; c < code_count; ++c) render(c, std::to_string(status_codes_[c]));
    render(kMaxStatusCodes, "other");
  }
  Help(out, "heartbeat_store_operation_duration_seconds", "histogram",
       "Store operations made by the API, until durable for writes.");
  const std::size_t op_count = store_op_names_.count.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < op_count; ++i) {
    store_ops_[i].Render(out, "heartbeat_store_operation_duration_seconds",
                         "op=\"" + store_op_names_.names[i] + "\"");
  }
  Help(out, "heartbeat_checker_cycle_seconds", "histogram",
       "Duration of checker cycles (find due monitors, decide, write decisions).");
  checker_cycle_.Render(out, "heartbeat_checker_cycle_seconds", "");
  std::lock_guard lock(gauges_mu_);
  for (const Gauge& g : gauges_) {
    Help(out, g.name, "gauge", g.help);
    double v = g.read();
    Line(out, g.name, "",
         v == static_cast<double>(static_cast<std::int64_t>(v))
             ? std::to_string(static_cast<std::int64_t>(v))
             : std::to_string(v));
  }
  return out;
}

void Metrics::AddGauge(std::string name, std::string help, std::function<double()> read) {
  std::lock_guard lock(gauges_mu_);
  gauges_.push_back({std::move(name), std::move(help), std::move(read)});
}

}  // namespace heartbeat
