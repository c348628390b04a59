#include "core/monitor.h"

namespace heartbeat {

std::string_view ToString(MonitorStatus status) {
  switch (status) {
    case MonitorStatus::kOk:
      return "ok";
    case MonitorStatus::kOverdue:
      return "overdue";
    case MonitorStatus::kPaused:
      return "paused";
  }
  return "ok";
}

MonitorStatus DeriveStatus(const Monitor& m, UnixMillis now) {
  if (m.paused) return MonitorStatus::kPaused;
  if (m.failed() || now > m.alert_at() || m.run_timed_out(now)) return MonitorStatus::kOverdue;
  return MonitorStatus::kOk;
}

bool IsLate(const Monitor& m, UnixMillis now) {
  return DeriveStatus(m, now) == MonitorStatus::kOk && now > m.next_due;
}

}  // namespace heartbeat
