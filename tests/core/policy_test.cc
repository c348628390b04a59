// Alert policies (SPEC §14) as pure rules: repeat, down_after, snooze, acknowledge, and
// where an alert goes (RouteAlert). Driven through lifecycle.h's functions, as a store
// applies them, with explicit times.

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "core/alert.h"
#include "core/channel.h"
#include "core/lifecycle.h"
#include "core/monitor.h"
#include "support/test_time.h"

namespace heartbeat {
namespace policy_test {
namespace {

using testing::kHour;
using testing::kMinute;

constexpr UnixMillis kT0 = 1'789'992'180'000LL;
constexpr std::int64_t kRepeat = kHour;
const std::vector<std::string> kChannels{"telegram", "ops"};

// A 5-minute monitor pinged at kT0, with `settings` applied.
Monitor Job(const MonitorSettings& settings = {}) {
  Monitor m = Pinged(std::nullopt, "job", 300, kT0);
  return Configured(m, "job", settings, kT0);
}

// The checker's step at `now`, written as a store writes it; the alert decided, if any.
std::optional<Alert> Step(Monitor& m, UnixMillis now) {
  CheckStep step = Check(m, now, kRepeat, kChannels);
  Result<Mutation> w = ApplyCheck(m, m, step, now);
  EXPECT_TRUE(w.ok());
  m = w->monitor;
  if (w->alerts.empty()) return std::nullopt;
  return w->alerts.front();
}

// Steps the checker at every check_at up to `until`; the kinds decided, in order.
std::vector<AlertKind> RunUntil(Monitor& m, UnixMillis until) {
  std::vector<AlertKind> kinds;
  while (m.check_at && *m.check_at <= until) {
    if (std::optional<Alert> a = Step(m, *m.check_at)) kinds.push_back(a->kind);
  }
  return kinds;
}

TEST(RepeatPolicy, AMonitorsOwnPeriodReplacesTheDefault) {
  Monitor m = Job({.repeat_secs = 600});
  EXPECT_EQ(RunUntil(m, kT0 + 5 * kMinute + 1), std::vector<AlertKind>{AlertKind::kOverdue});
  EXPECT_EQ(RunUntil(m, kT0 + 5 * kMinute + 1 + 25 * kMinute),
            (std::vector<AlertKind>{AlertKind::kRepeat, AlertKind::kRepeat}));
}

TEST(RepeatPolicy, NeverAlertsOnceAndStillRecovers) {
  Monitor m = Job({.repeat_secs = 0});
  EXPECT_EQ(RunUntil(m, kT0 + 10 * kHour), std::vector<AlertKind>{AlertKind::kOverdue});
  EXPECT_FALSE(m.check_at.has_value());  // nothing to look at until a ping
  m = Pinged(m, "job", std::nullopt, kT0 + 11 * kHour);
  EXPECT_EQ(RunUntil(m, kT0 + 11 * kHour), std::vector<AlertKind>{AlertKind::kRecovered});
}

TEST(DownAfter, WaitsForTheNthMissedDeadline) {
  Monitor m = Job({.down_after = 3});
  // Deadlines at +5, +10, +15 minutes: the first alert after the third.
  EXPECT_TRUE(RunUntil(m, kT0 + 15 * kMinute).empty());
  EXPECT_EQ(DeriveStatus(m, kT0 + 6 * kMinute), MonitorStatus::kOverdue);  // shown down
  EXPECT_EQ(RunUntil(m, kT0 + 15 * kMinute + 1), std::vector<AlertKind>{AlertKind::kOverdue});
}

TEST(DownAfter, CountsConsecutiveFailures) {
  Monitor m = Job({.down_after = 2});
  m = Failed(m, "job", kT0 + kMinute);
  EXPECT_TRUE(RunUntil(m, kT0 + kMinute).empty());
  m = Failed(m, "job", kT0 + 2 * kMinute);
  EXPECT_EQ(m.fail_streak, 2);
  EXPECT_EQ(RunUntil(m, kT0 + 2 * kMinute), std::vector<AlertKind>{AlertKind::kFailed});
}

TEST(DownAfter, AFailureThenAMissedDeadlineMakeTwo) {
  Monitor m = Job({.down_after = 2});
  m = Failed(m, "job", kT0 + kMinute);
  // The next ping was expected 5 minutes after the failure.
  EXPECT_TRUE(RunUntil(m, kT0 + 6 * kMinute).empty());
  EXPECT_EQ(RunUntil(m, kT0 + 6 * kMinute + 1), std::vector<AlertKind>{AlertKind::kFailed});
}

TEST(DownAfter, ASuccessBreaksTheStreak) {
  Monitor m = Job({.down_after = 2});
  m = Failed(m, "job", kT0 + kMinute);
  m = Pinged(m, "job", std::nullopt, kT0 + 2 * kMinute);
  EXPECT_EQ(m.fail_streak, 0);
  m = Failed(m, "job", kT0 + 3 * kMinute);
  EXPECT_TRUE(RunUntil(m, kT0 + 3 * kMinute).empty());
}

TEST(Snooze, HoldsTheFirstAlertUntilItEndsAndKeepsTheState) {
  Monitor m = Job();
  m = *Snoozed(m, kT0 + kHour, kT0 + kMinute);
  EXPECT_TRUE(RunUntil(m, kT0 + kHour - 1).empty());
  EXPECT_EQ(DeriveStatus(m, kT0 + 30 * kMinute), MonitorStatus::kOverdue);
  EXPECT_EQ(m.check_at, std::optional<UnixMillis>(kT0 + kHour));
  EXPECT_EQ(RunUntil(m, kT0 + kHour), std::vector<AlertKind>{AlertKind::kOverdue});
}

TEST(Snooze, NeverHoldsARecoveryAndHoldsRepeats) {
  Monitor m = Job();
  EXPECT_EQ(RunUntil(m, kT0 + 6 * kMinute), std::vector<AlertKind>{AlertKind::kOverdue});
  m = *Snoozed(m, kT0 + 3 * kHour, kT0 + 7 * kMinute);
  EXPECT_TRUE(RunUntil(m, kT0 + 3 * kHour - 1).empty());  // no STILL OVERDUE meanwhile
  m = Pinged(m, "job", std::nullopt, kT0 + 2 * kHour);
  EXPECT_EQ(RunUntil(m, kT0 + 2 * kHour), std::vector<AlertKind>{AlertKind::kRecovered});
}

TEST(Snooze, UnsnoozeReleasesWhatWasHeldAtOnce) {
  Monitor m = Job();
  m = *Snoozed(m, kT0 + 5 * kHour, kT0 + kMinute);
  EXPECT_TRUE(RunUntil(m, kT0 + 2 * kHour).empty());
  m = *Unsnoozed(m, kT0 + 2 * kHour);
  EXPECT_FALSE(m.snoozed_until.has_value());
  EXPECT_EQ(RunUntil(m, kT0 + 2 * kHour), std::vector<AlertKind>{AlertKind::kOverdue});
  EXPECT_FALSE(Snoozed(std::nullopt, kT0, kT0).has_value());
}

TEST(Acknowledge, StopsRepeatsUntilTheRecovery) {
  Monitor m = Job();
  EXPECT_EQ(RunUntil(m, kT0 + 6 * kMinute), std::vector<AlertKind>{AlertKind::kOverdue});
  m = *Acknowledged(m, kT0 + 7 * kMinute);
  EXPECT_TRUE(m.alert.acknowledged);
  EXPECT_TRUE(RunUntil(m, kT0 + 10 * kHour).empty());
  m = Pinged(m, "job", std::nullopt, kT0 + 10 * kHour);
  EXPECT_EQ(RunUntil(m, kT0 + 10 * kHour), std::vector<AlertKind>{AlertKind::kRecovered});
  EXPECT_FALSE(m.alert.acknowledged);  // the next outage repeats again
}

TEST(Acknowledge, ChangesNothingOnAMonitorThatIsNotAlerting) {
  Monitor m = Job();
  EXPECT_EQ(*Acknowledged(m, kT0), m);
}

TEST(RouteAlert, AllOfTheProjectsChannelsUnlessTheMonitorNamesSome) {
  Monitor m = Job();
  EXPECT_EQ(RouteAlert(m, kChannels), kChannels);
  m.channels = std::vector<std::string>{"ops", "gone"};
  EXPECT_EQ(RouteAlert(m, kChannels), std::vector<std::string>{"ops"});  // a removed one: dropped
  m.channels = std::vector<std::string>{};
  EXPECT_TRUE(RouteAlert(m, kChannels).empty());
  Monitor other = Pinged(std::nullopt, "team/job", 300, kT0);
  EXPECT_EQ(RouteAlert(other, {"slack"}), std::vector<std::string>{"team/slack"});
}

TEST(RouteAlert, EachChannelGetsItsOwnEntryOfTheSameAlert) {
  Monitor m = Job();
  CheckStep step = Check(m, kT0 + 6 * kMinute, kRepeat, kChannels);
  Result<Mutation> w = ApplyCheck(m, m, step, kT0 + 6 * kMinute);
  ASSERT_TRUE(w.ok());
  ASSERT_EQ(w->alerts.size(), 2u);
  EXPECT_EQ(w->alerts[0].channel, "telegram");
  EXPECT_EQ(w->alerts[1].channel, "ops");
  Alert a = w->alerts[0], b = w->alerts[1];
  b.channel = a.channel;
  EXPECT_EQ(a, b);
}

TEST(PolicySettings, ParseAndValidate) {
  Result<MonitorSettings> s =
      ParseSettings({.channels = "ops, mail", .repeat = "never", .down_after = "3"});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(*s->channels, (std::vector<std::string>{"ops", "mail"}));
  EXPECT_EQ(s->repeat_secs, 0);
  EXPECT_EQ(s->down_after, 3);
  EXPECT_EQ(ParseSettings({.repeat = "2h"})->repeat_secs, 7200);
  EXPECT_TRUE(ParseSettings({.channels = ""})->channels->empty());
  for (SettingsText bad : {SettingsText{.repeat = "10s"}, SettingsText{.repeat = "sometimes"},
                           SettingsText{.down_after = "0"}, SettingsText{.down_after = "101"},
                           SettingsText{.down_after = "2x"}, SettingsText{.channels = "Ops"}}) {
    Result<MonitorSettings> r = ParseSettings(bad);
    EXPECT_FALSE(r.ok());
  }
  EXPECT_NE(ParseSettings({.down_after = "0"}).error().message.find("down_after"),
            std::string::npos);
  EXPECT_NE(ParseSettings({.repeat = "1s"}).error().message.find("repeat"), std::string::npos);
}

TEST(PolicySettings, PolicyFieldsLeaveThePingsFastPath) {
  EXPECT_FALSE(MonitorSettings{.repeat_secs = 60}.at_most_interval());
  EXPECT_FALSE(MonitorSettings{.down_after = 2}.at_most_interval());
  EXPECT_FALSE(MonitorSettings{.channels = std::vector<std::string>{}}.at_most_interval());
}

}  // namespace
}  // namespace policy_test
}  // namespace heartbeat
