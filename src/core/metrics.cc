#include "core/metrics.h"

#include <cstdio>

namespace heartbeat {
namespace {

constexpr std::array<std::string_view, 8> kStoreOps{"ping",   "fail",  "get",     "list",
                                                    "delete", "pause", "unpause", "other"};

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

std::string_view ToString(RouteLabel route) {
  switch (route) {
    case RouteLabel::kPing:
      return "ping";
    case RouteLabel::kFail:
      return "fail";
    case RouteLabel::kMonitors:
      return "monitors";
    case RouteLabel::kMonitor:
      return "monitor";
    case RouteLabel::kPause:
      return "pause";
    case RouteLabel::kUnpause:
      return "unpause";
    case RouteLabel::kHealthz:
      return "healthz";
    case RouteLabel::kMetrics:
      return "metrics";
    case RouteLabel::kDashboard:
      return "dashboard";
    case RouteLabel::kUnknown:
      break;
  }
  return "unknown";
}

std::size_t Metrics::StatusIndex(unsigned status) {
  for (std::size_t i = 0; i < kStatusCodes.size(); ++i) {
    if (kStatusCodes[i] == status) return i;
  }
  return kStatusCodes.size();  // other
}

void Metrics::ObserveRequest(RouteLabel route, unsigned status, double seconds) {
  requests_[static_cast<std::size_t>(route)][StatusIndex(status)].Observe(seconds);
}

void Metrics::ObserveStoreOperation(std::string_view op, double seconds) {
  std::size_t i = 0;
  while (i + 1 < kStoreOps.size() && kStoreOps[i] != op) ++i;
  store_ops_[i].Observe(seconds);
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
  for (std::size_t r = 0; r < kRouteCount; ++r) {
    for (std::size_t c = 0; c <= kStatusCodes.size(); ++c) {
      const Histogram& h = requests_[r][c];
      if (h.count() == 0) continue;  // only the series that happened
      std::string code = c < kStatusCodes.size() ? std::to_string(kStatusCodes[c]) : "other";
      h.Render(out, "heartbeat_http_request_duration_seconds",
               "route=\"" + std::string(ToString(static_cast<RouteLabel>(r))) + "\",code=\"" +
                   code + "\"");
    }
  }
  Help(out, "heartbeat_store_operation_duration_seconds", "histogram",
       "Store operations made by the API, until durable for writes.");
  for (std::size_t i = 0; i < kStoreOps.size(); ++i) {
    store_ops_[i].Render(out, "heartbeat_store_operation_duration_seconds",
                         "op=\"" + std::string(kStoreOps[i]) + "\"");
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
