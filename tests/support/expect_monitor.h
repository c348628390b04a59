#pragma once
// Compares two monitors field by field, so that a failure names the field that differs.

#include <gtest/gtest.h>

#include "core/monitor.h"

namespace heartbeat::testing {

inline void ExpectSameMonitor(const Monitor& a, const Monitor& b) {
  EXPECT_EQ(a.slug, b.slug);
  EXPECT_EQ(a.interval_secs, b.interval_secs);
  EXPECT_EQ(a.last_ping, b.last_ping);
  EXPECT_EQ(a.next_due, b.next_due);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.expires_at, b.expires_at);
  EXPECT_EQ(a.paused, b.paused);
  EXPECT_EQ(a.failed_at, b.failed_at);
  EXPECT_EQ(a.alert, b.alert);
  EXPECT_EQ(a.check_at, b.check_at);
  EXPECT_EQ(a.uuid, b.uuid);
  EXPECT_EQ(a.manual_resume, b.manual_resume);
  EXPECT_EQ(a.pings_seq, b.pings_seq);
  EXPECT_EQ(a.running, b.running);
  EXPECT_EQ(a.last_exit_code, b.last_exit_code);
  EXPECT_EQ(a.schedule, b.schedule);
  EXPECT_EQ(a.fail_tail, b.fail_tail);
  EXPECT_TRUE(a == b) << "a field the comparisons above do not name differs";
}

}  // namespace heartbeat::testing
