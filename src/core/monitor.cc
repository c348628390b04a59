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
  if (m.failed() || now > m.next_due) return MonitorStatus::kOverdue;
  return MonitorStatus::kOk;
}

}  // namespace heartbeat
