#pragma once
// The monitors table's columns as every query selects them, and their decoding.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/channel.h"
#include "core/monitor.h"
#include "store/sqlite/db.h"

// A macro so that it concatenates with SQL string literals at compile time (statements
// are cached by the address of their text).
#define HEARTBEAT_MONITOR_COLUMNS                                                         \
  "slug, interval_secs, last_ping, next_due, created_at, expires_at, paused, failed_at, " \
  "first_alerted_at, last_alerted_at, alert_count, check_at, down_since, schedule, tz, "  \
  "grace_secs, max_runtime_secs, last_start, running, run_rid, last_duration_ms, "        \
  "last_exit_code, fail_tail, pings_seq, uuid, name, tags, description, methods, "        \
  "manual_resume, channels, repeat_secs, down_after, fail_streak, snoozed_until, "        \
  "alert_acknowledged"

namespace heartbeat::sqlite {

// How many columns HEARTBEAT_MONITOR_COLUMNS names (what a query selects after them
// starts at this index): counted from the list itself, so that it follows a new column.
inline constexpr int kMonitorColumnCount = [] {
  int n = 1;
  for (const char c : std::string_view(HEARTBEAT_MONITOR_COLUMNS)) n += c == ',' ? 1 : 0;
  return n;
}();
static_assert(kMonitorColumnCount == 36, "ReadMonitor and BindMonitor name every column");

// A monitor's channels as the column holds them: NULL for none given (all of its
// project's), else the names joined by ',' ('' for an empty list). Names never hold a
// comma (core/channel.h).
inline std::optional<std::string> JoinChannelNames(
    const std::optional<std::vector<std::string>>& names) {
  if (!names) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < names->size(); ++i) {
    if (i > 0) out += ',';
    out += (*names)[i];
  }
  return out;
}

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
  m.alert.first_alerted_at = st.OptionalInt(8);
  m.alert.last_alerted_at = st.OptionalInt(9);
  m.alert.alert_count = st.Int(10);
  m.check_at = st.OptionalInt(11);
  m.alert.down_since = st.OptionalInt(12);
  m.schedule = st.OptionalText(13);
  m.tz = st.Text(14);
  m.grace_secs = st.Int(15);
  m.max_runtime_secs = st.OptionalInt(16);
  m.last_start = st.OptionalInt(17);
  m.running = st.Int(18) != 0;
  m.run_rid = st.OptionalText(19);
  m.last_duration_ms = st.OptionalInt(20);
  if (std::optional<std::int64_t> code = st.OptionalInt(21))
    m.last_exit_code = static_cast<int>(*code);
  m.fail_tail = st.Text(22);
  m.pings_seq = st.Int(23);
  m.uuid = st.Text(24);
  m.name = st.Text(25);
  m.tags = st.Text(26);
  m.desc = st.Text(27);
  m.methods = st.Text(28);
  m.manual_resume = st.Int(29) != 0;
  if (std::optional<std::string> channels = st.OptionalText(30)) {
    m.channels = SplitNameList(*channels);  // "" is no channel at all
  }
  m.repeat_secs = st.OptionalInt(31);
  m.down_after = st.Int(32);
  m.fail_streak = st.Int(33);
  m.snoozed_until = st.OptionalInt(34);
  m.alert.acknowledged = st.Int(35) != 0;
  return m;
}

// Binds every column of `m`, in HEARTBEAT_MONITOR_COLUMNS order, to ?1..?36.
inline void BindMonitor(Statement& st, const Monitor& m) {
  st.BindView(1, m.slug);
  st.Bind(2, m.interval_secs);
  st.Bind(3, m.last_ping);
  st.Bind(4, m.next_due);
  st.Bind(5, m.created_at);
  st.Bind(6, m.expires_at);
  st.Bind(7, static_cast<std::int64_t>(m.paused ? 1 : 0));
  st.Bind(8, m.failed_at);
  st.Bind(9, m.alert.first_alerted_at);
  st.Bind(10, m.alert.last_alerted_at);
  st.Bind(11, m.alert.alert_count);
  st.Bind(12, m.check_at);
  st.Bind(13, m.alert.down_since);
  if (m.schedule) {
    st.BindView(14, *m.schedule);
  } else {
    st.BindNull(14);
  }
  st.BindView(15, m.tz);
  st.Bind(16, m.grace_secs);
  st.Bind(17, m.max_runtime_secs);
  st.Bind(18, m.last_start);
  st.Bind(19, static_cast<std::int64_t>(m.running ? 1 : 0));
  if (m.run_rid) {
    st.BindView(20, *m.run_rid);
  } else {
    st.BindNull(20);
  }
  st.Bind(21, m.last_duration_ms);
  st.Bind(22, m.last_exit_code ? std::optional<std::int64_t>(*m.last_exit_code) : std::nullopt);
  st.BindView(23, m.fail_tail);
  st.Bind(24, m.pings_seq);
  st.BindView(25, m.uuid);
  st.BindView(26, m.name);
  st.BindView(27, m.tags);
  st.BindView(28, m.desc);
  st.BindView(29, m.methods);
  st.Bind(30, static_cast<std::int64_t>(m.manual_resume ? 1 : 0));
  if (std::optional<std::string> channels = JoinChannelNames(m.channels)) {
    st.Bind(31, *channels);
  } else {
    st.BindNull(31);
  }
  st.Bind(32, m.repeat_secs);
  st.Bind(33, m.down_after);
  st.Bind(34, m.fail_streak);
  st.Bind(35, m.snoozed_until);
  st.Bind(36, static_cast<std::int64_t>(m.alert.acknowledged ? 1 : 0));
}

}  // namespace heartbeat::sqlite
