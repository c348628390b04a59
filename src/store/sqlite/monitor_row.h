#pragma once
// The monitors table's columns as every query selects them, and their decoding.

#include "core/monitor.h"
#include "store/sqlite/db.h"

// A macro so that it concatenates with SQL string literals at compile time (statements
// are cached by the address of their text).
#define HEARTBEAT_MONITOR_COLUMNS                                                         \
  "slug, interval_secs, last_ping, next_due, created_at, expires_at, paused, failed_at, " \
  "first_alerted_at, last_alerted_at, alert_count, check_at, down_since"

namespace heartbeat::sqlite {

inline Monitor ReadMonitor(const Statement& st) {
  Monitor m;
  m.slug = st.Text(0);
  m.interval_secs = st.Int(1);
  m.last_ping = st.OptionalInt(2);
  m.next_due = st.Int(3);
  m.created_at = st.Int(4);
  m.expires_at = st.Int(5);
  m.paused = st.Int(6) != 0;
  m.failed_at = st.OptionalInt(7);
  m.first_alerted_at = st.OptionalInt(8);
  m.last_alerted_at = st.OptionalInt(9);
  m.alert_count = st.Int(10);
  m.check_at = st.OptionalInt(11);
  m.down_since = st.OptionalInt(12);
  return m;
}

}  // namespace heartbeat::sqlite
