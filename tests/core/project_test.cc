// Projects and Healthchecks' identifiers (SPEC §13): project names, the keys monitors are
// stored under, uuids, ping keys, and what the lifecycle does with a signal's target and a
// check that does not wait for a manual resume.

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/lifecycle.h"
#include "core/project.h"

namespace heartbeat::project_test {
namespace {

constexpr UnixMillis kT0 = 1'796'601'600'000;  // 2026-12-07T00:00:00Z
constexpr std::int64_t kSec = 1000;
const std::string kUuid = "0f0e0d0c-0b0a-4009-8807-060504030201";

TEST(ProjectName, TakesLowercaseLettersDigitsAndInnerHyphens) {
  EXPECT_TRUE(ValidateProjectName("default").ok());
  EXPECT_TRUE(ValidateProjectName("team-2").ok());
  EXPECT_TRUE(ValidateProjectName(std::string(32, 'a')).ok());
  for (const char* bad : {"", "-a", "a-", "A", "a/b", "a_b", "a b"}) {
    Status s = ValidateProjectName(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_NE(s.error().message.find("project name"), std::string::npos) << bad;
  }
  EXPECT_FALSE(ValidateProjectName(std::string(33, 'a')).ok());
}

TEST(MonitorKey, IsTheSlugInTheDefaultProjectAndProjectSlashSlugElsewhere) {
  EXPECT_EQ(MonitorKey("default", "backup"), "backup");
  EXPECT_EQ(MonitorKey("billing", "backup"), "billing/backup");
  EXPECT_EQ(ProjectOfKey("backup"), "default");
  EXPECT_EQ(SlugOfKey("backup"), "backup");
  EXPECT_EQ(ProjectOfKey("billing/backup"), "billing");
  EXPECT_EQ(SlugOfKey("billing/backup"), "backup");
  // Every key of a project lies in its range; no key of another project does.
  const std::string begin = KeyRangeBegin("billing"), end = KeyRangeEnd("billing");
  for (const char* inside : {"billing/a", "billing/zzz", "billing/0-9_x"}) {
    EXPECT_TRUE(inside >= begin && inside < end) << inside;
  }
  for (const char* outside : {"billing", "billing-2/a", "billingx/a", "bill/a", "billing0"}) {
    EXPECT_FALSE(outside >= begin && outside < end) << outside;
  }
}

TEST(Uuid, IsRandomLowercaseVersion4) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    Result<std::string> u = GenerateUuid();
    ASSERT_TRUE(u.ok());
    ASSERT_TRUE(IsUuid(*u)) << *u;
    EXPECT_EQ((*u)[14], '4') << *u;
    EXPECT_NE(std::string("89ab").find((*u)[19]), std::string::npos) << *u;
    seen.insert(*u);
  }
  EXPECT_EQ(seen.size(), 200u);
  EXPECT_FALSE(IsUuid("0F0E0D0C-0B0A-4009-8807-060504030201"));
  EXPECT_FALSE(IsUuid("0f0e0d0c0b0a40098807060504030201"));
  EXPECT_FALSE(IsUuid(kUuid + "0"));
  EXPECT_FALSE(IsUuid("0f0e0d0c-0b0a-4009-8807-06050403020g"));
}

TEST(PingKey, IsTwentyTwoCharactersOfLowercaseLettersAndDigits) {
  std::set<std::string> seen;
  std::set<char> symbols;
  for (int i = 0; i < 200; ++i) {
    Result<std::string> k = GeneratePingKey();
    ASSERT_TRUE(k.ok());
    ASSERT_TRUE(IsPingKey(*k)) << *k;
    seen.insert(*k);
    symbols.insert(k->begin(), k->end());
  }
  EXPECT_EQ(seen.size(), 200u);
  EXPECT_GT(symbols.size(), 30u);  // all 36 symbols are drawn, in 4,400 draws surely 31
  EXPECT_FALSE(IsPingKey("abcdefghijklmnopqrstuV"));
  EXPECT_FALSE(IsPingKey("abcdefghijklmnopqrstu"));
}

TEST(CheckSlug, IsHealthchecksSlugGrammar) {
  EXPECT_TRUE(IsCheckSlug("db_backup-2"));
  EXPECT_TRUE(IsCheckSlug("-x"));
  EXPECT_FALSE(IsCheckSlug(""));
  EXPECT_FALSE(IsCheckSlug("Backup"));
  EXPECT_FALSE(IsCheckSlug("a/b"));
  EXPECT_FALSE(IsCheckSlug(std::string(101, 'a')));
}

TEST(Refusals, SayWhyAndAreForbidden) {
  Error limit = MonitorLimitReached("billing", 3);
  EXPECT_EQ(limit.code, ErrorCode::kForbidden);
  EXPECT_NE(limit.message.find("limit"), std::string::npos);
  EXPECT_NE(limit.message.find("billing"), std::string::npos);
  Error ro = ReadOnlyKey();
  EXPECT_EQ(ro.code, ErrorCode::kForbidden);
  EXPECT_NE(ro.message.find("read-only"), std::string::npos);
}

// --- the lifecycle ---

TEST(SignalTarget, AUuidReachesOnlyItsLiveMonitorAndNeverCreates) {
  Signal by_uuid{.kind = SignalKind::kSuccess, .target_uuid = kUuid};
  EXPECT_EQ(CheckTarget(std::nullopt, by_uuid, kT0).error().code, ErrorCode::kNotFound);
  Monitor m = Signaled(std::nullopt, "job",
                       Signal{.kind = SignalKind::kSuccess, .settings = {.uuid = kUuid}}, kT0);
  EXPECT_EQ(m.uuid, kUuid);
  EXPECT_TRUE(CheckTarget(m, by_uuid, kT0 + kSec).ok());
  Signal other{.kind = SignalKind::kSuccess, .target_uuid = "11111111-2222-4333-8444-555555555555"};
  EXPECT_FALSE(CheckTarget(m, other, kT0 + kSec).ok());
  // Expired: gone for a uuid too.
  EXPECT_FALSE(CheckTarget(m, by_uuid, m.expires_at).ok());
}

TEST(SignalTarget, WithoutCreateAnAbsentMonitorIsNotFound) {
  Signal no_create{.kind = SignalKind::kSuccess, .may_create = false};
  EXPECT_EQ(CheckTarget(std::nullopt, no_create, kT0).error().message, "not found");
  Monitor m = Pinged(std::nullopt, "job", 300, kT0);
  EXPECT_TRUE(CheckTarget(m, no_create, kT0 + kSec).ok());
  EXPECT_TRUE(CheckTarget(std::nullopt, Signal{}, kT0).ok());
}

TEST(Uuid, IsFixedAtCreationAndKeptByEverySignalAndSetting) {
  Monitor m = Configured(std::nullopt, "job", MonitorSettings{.uuid = kUuid}, kT0);
  EXPECT_EQ(m.uuid, kUuid);
  MonitorSettings other{.interval_secs = 600, .uuid = "11111111-2222-4333-8444-555555555555"};
  m = Configured(m, "job", other, kT0 + kSec);
  EXPECT_EQ(m.uuid, kUuid);
  m = Signaled(m, "job", Signal{.kind = SignalKind::kFail, .settings = other}, kT0 + 2 * kSec);
  EXPECT_EQ(m.uuid, kUuid);
  m = *Paused(m, kT0 + 3 * kSec);
  m = *Unpaused(m, kT0 + 4 * kSec);
  EXPECT_EQ(m.uuid, kUuid);
}

TEST(ManualResume, TheSeedsMonitorsStayPausedWhenPinged) {
  Monitor m = *Paused(Pinged(std::nullopt, "job", 300, kT0), kT0 + kSec);
  ASSERT_TRUE(m.manual_resume);
  Monitor pinged = Pinged(m, "job", std::nullopt, kT0 + 2 * kSec);
  EXPECT_TRUE(pinged.paused);
  EXPECT_FALSE(pinged.check_at.has_value());
}

TEST(ManualResume, WithoutItASuccessOrAFailureResumesAPausedCheck) {
  Monitor m = Configured(std::nullopt, "job", MonitorSettings{.manual_resume = false}, kT0);
  m = *Paused(m, kT0 + kSec);
  Monitor pinged = Pinged(m, "job", std::nullopt, kT0 + 2 * kSec);
  EXPECT_FALSE(pinged.paused);
  EXPECT_EQ(pinged.last_ping, kT0 + 2 * kSec);
  ASSERT_TRUE(pinged.check_at.has_value());
  Monitor failed = Failed(m, "job", kT0 + 2 * kSec);
  EXPECT_FALSE(failed.paused);
  EXPECT_EQ(failed.check_at, kT0 + 2 * kSec);  // the failure alerts at once
  // A start or a log leaves it paused.
  EXPECT_TRUE(Signaled(m, "job", Signal{.kind = SignalKind::kStart}, kT0 + 2 * kSec).paused);
  EXPECT_TRUE(Signaled(m, "job", Signal{.kind = SignalKind::kLog}, kT0 + 2 * kSec).paused);
}

TEST(Settings, HealthchecksFieldsAreValidatedAndApplied) {
  EXPECT_TRUE(ValidateSettings({.name = std::string(100, 'n'), .methods = "POST"}).ok());
  EXPECT_NE(ValidateSettings({.name = std::string(101, 'n')}).error().message.find("name"),
            std::string::npos);
  EXPECT_NE(ValidateSettings({.tags = std::string(501, 't')}).error().message.find("tags"),
            std::string::npos);
  EXPECT_NE(ValidateSettings({.methods = "GET"}).error().message.find("methods"),
            std::string::npos);
  EXPECT_NE(ValidateSettings({.uuid = "X"}).error().message.find("uuid"), std::string::npos);
  Monitor m = Configured(std::nullopt, "job",
                         {.name = "Backups",
                          .tags = "prod db",
                          .desc = "nightly",
                          .methods = "POST",
                          .manual_resume = false},
                         kT0);
  EXPECT_EQ(m.name, "Backups");
  EXPECT_EQ(m.tags, "prod db");
  EXPECT_EQ(m.desc, "nightly");
  EXPECT_EQ(m.methods, "POST");
  EXPECT_FALSE(m.manual_resume);
  // Fields a write does not give are kept.
  m = Configured(m, "job", {.interval_secs = 600}, kT0 + kSec);
  EXPECT_EQ(m.name, "Backups");
  EXPECT_FALSE(m.manual_resume);
}

}  // namespace
}  // namespace heartbeat::project_test
