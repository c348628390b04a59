// `heartbeat import healthchecks` (SPEC §13): the real binary against a fake Healthchecks v3
// API on loopback (support/fake_healthchecks.h) and a real SQLite store, read back in this
// process once the command has exited.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "store/sqlite/sqlite_store.h"
#include "support/fake_healthchecks.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace heartbeat::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kKey[] = "rw-key-0123456789abcdef0123456";
constexpr char kReadOnlyKey[] = "ro-key-0123456789abcdef0123456";

// The checks of the fake's project: every kind the import maps.
std::vector<FakeCheck> Checks() {
  return {
      FakeCheck{.uuid = "0b4f8e2a-55a1-4e0c-9d4b-2f1c3e5a7b90",
                .name = "Nightly backups",
                .slug = "backups",
                .tags = "prod db",
                .desc = "pg_dump to S3",
                .timeout = 86400,
                .grace = 7200,
                .status = "up"},
      FakeCheck{.uuid = "1c5e9f3b-66b2-4f1d-8e5c-3a2d4f6b8c01",
                .name = "Reports",
                .slug = "reports",
                .timeout = std::nullopt,
                .schedule = "30 2 * * 1-5",
                .tz = "Europe/Riga",
                .grace = 900,
                .manual_resume = true,
                .methods = "POST",
                .status = "down"},
      FakeCheck{.uuid = "2d6fa04c-77c3-4a2e-8f6d-4b3e5a7c9d12",
                .name = "Old sync",
                .slug = "old-sync",
                .timeout = 3600,
                .grace = 60,
                .status = "paused"},
      FakeCheck{.uuid = "3e7ab15d-88d4-4b3f-9a7e-5c4f6b8dae23",
                .name = "No slug",
                .slug = "",
                .timeout = 600,
                .grace = 300},
      FakeCheck{.uuid = "4f8bc26e-99e5-4c4a-8b8f-6d5a7c9ebf34",
                .name = "With underscores",
                .slug = "db_vacuum_weekly",
                .tags = "db",
                .timeout = 604800,
                .grace = 3600,
                .status = "grace"},
  };
}

class Import : public ::testing::Test {
 protected:
  Import() : hc_(kKey, kReadOnlyKey) {
    hc_.SetChecks(Checks());
    Run({"store", "init"});
  }

  std::map<std::string, std::string> Env() {
    return {{"HEARTBEAT_STORE", "sqlite:" + dir_.file("hb.db")}};
  }
  RunResult Run(std::vector<std::string> args, std::map<std::string, std::string> extra = {}) {
    std::map<std::string, std::string> env = Env();
    for (auto& [k, v] : extra) env[k] = v;
    return RunHeartbeat(std::move(args), env, dir_.path());
  }
  RunResult RunImport(const std::string& url, const std::string& key,
                      std::vector<std::string> more = {},
                      std::map<std::string, std::string> extra = {}) {
    std::vector<std::string> args{"import", "healthchecks", "--url", url, "--api-key", key};
    args.insert(args.end(), more.begin(), more.end());
    return Run(std::move(args), std::move(extra));
  }
  RunResult RunImport() { return RunImport(hc_.url(), kKey); }

  // The monitor stored under `key`, read from the SQLite file (no command running).
  std::optional<Monitor> Stored(const std::string& key) {
    auto store = SqliteStore::Open({.path = dir_.file("hb.db"), .create = false});
    if (!store.ok()) {
      ADD_FAILURE() << store.error().message;
      return std::nullopt;
    }
    auto got = Await<std::optional<Monitor>>([&](Callback<std::optional<Monitor>> cb) {
      (*store)->Get(key, RealClock().Now(), std::move(cb));
    });
    (*store)->Close();
    if (!got.ok()) {
      ADD_FAILURE() << got.error().message;
      return std::nullopt;
    }
    return *got;
  }

  static std::vector<std::string> Lines(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      lines.push_back(text.substr(start, end - start));
      start = end + 1;
    }
    return lines;
  }

  TempDir dir_;
  FakeHealthchecks hc_;
};

TEST_F(Import, CopiesEveryFieldOfEveryCheckWithItsUuid) {
  RunResult r = RunImport();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(hc_.LastKey(), kKey);
  EXPECT_THAT(Lines(r.out),
              ::testing::ElementsAre("created backups", "created reports", "created old-sync",
                                     "created 3e7ab15d-88d4-4b3f-9a7e-5c4f6b8dae23",
                                     "created db_vacuum_weekly"));
  EXPECT_THAT(r.err, HasSubstr("5 created, 0 updated, 0 skipped, 0 failed"));

  std::optional<Monitor> backups = Stored("backups");
  ASSERT_TRUE(backups);
  EXPECT_EQ(backups->uuid, "0b4f8e2a-55a1-4e0c-9d4b-2f1c3e5a7b90");
  EXPECT_EQ(backups->name, "Nightly backups");
  EXPECT_EQ(backups->tags, "prod db");
  EXPECT_EQ(backups->desc, "pg_dump to S3");
  EXPECT_EQ(backups->interval_secs, 86400);
  EXPECT_FALSE(backups->schedule);
  EXPECT_EQ(backups->grace_secs, 7200);
  EXPECT_EQ(backups->max_runtime_secs, 7200);  // a started run times out a grace after
  EXPECT_FALSE(backups->manual_resume);        // Healthchecks' default, as sent
  EXPECT_EQ(backups->methods, "");
  EXPECT_FALSE(backups->paused);

  std::optional<Monitor> reports = Stored("reports");
  ASSERT_TRUE(reports);
  EXPECT_EQ(reports->uuid, "1c5e9f3b-66b2-4f1d-8e5c-3a2d4f6b8c01");
  EXPECT_EQ(reports->schedule, "30 2 * * 1-5");
  EXPECT_EQ(reports->tz, "Europe/Riga");
  EXPECT_EQ(reports->grace_secs, 900);
  EXPECT_EQ(reports->max_runtime_secs, 900);
  EXPECT_TRUE(reports->manual_resume);
  EXPECT_EQ(reports->methods, "POST");
  EXPECT_FALSE(reports->paused);

  std::optional<Monitor> old_sync = Stored("old-sync");
  ASSERT_TRUE(old_sync);
  EXPECT_TRUE(old_sync->paused);
  EXPECT_FALSE(old_sync->check_at);  // nothing due while paused
  EXPECT_EQ(old_sync->interval_secs, 3600);
  EXPECT_EQ(old_sync->grace_secs, 60);

  std::optional<Monitor> no_slug = Stored("3e7ab15d-88d4-4b3f-9a7e-5c4f6b8dae23");
  ASSERT_TRUE(no_slug);
  EXPECT_EQ(no_slug->uuid, "3e7ab15d-88d4-4b3f-9a7e-5c4f6b8dae23");
  EXPECT_EQ(no_slug->name, "No slug");
  EXPECT_EQ(no_slug->interval_secs, 600);

  std::optional<Monitor> vacuum = Stored("db_vacuum_weekly");
  ASSERT_TRUE(vacuum);
  EXPECT_EQ(vacuum->uuid, "4f8bc26e-99e5-4c4a-8b8f-6d5a7c9ebf34");
  EXPECT_EQ(vacuum->interval_secs, 604800);
  EXPECT_EQ(vacuum->tags, "db");
}

TEST_F(Import, SecondRunChangesNothingAndSaysSkipped) {
  ASSERT_EQ(RunImport().exit_code, 0);
  std::optional<Monitor> before = Stored("reports");
  RunResult again = RunImport();
  ASSERT_EQ(again.exit_code, 0) << again.err;
  std::vector<std::string> lines = Lines(again.out);
  ASSERT_EQ(lines.size(), 5u) << again.out;
  for (const std::string& line : lines) {
    EXPECT_THAT(line, ::testing::MatchesRegex("skipped [a-z0-9_-]+ \\(unchanged\\)"));
  }
  EXPECT_THAT(again.err, HasSubstr("0 created, 0 updated, 5 skipped, 0 failed"));
  EXPECT_EQ(Stored("reports"), before);  // not even its expiry moved
}

TEST_F(Import, ChangedChecksAreUpdatedInPlace) {
  ASSERT_EQ(RunImport().exit_code, 0);
  std::vector<FakeCheck> checks = Checks();
  checks[0].name = "Nightly backups (v2)";
  checks[0].timeout = std::nullopt;  // a simple check turned cron
  checks[0].schedule = "0 3 * * *";
  checks[0].tz = "America/New_York";
  checks[0].grace = 1800;
  checks[1].status = "paused";  // paused in Healthchecks since
  checks[2].status = "up";      // resumed there
  checks[3].slug = "renamed";   // given a slug: the monitor keeps the one it has
  hc_.SetChecks(checks);

  RunResult r = RunImport();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(Lines(r.out),
              ::testing::ElementsAre(
                  "updated backups", "updated reports", "updated old-sync",
                  "skipped 3e7ab15d-88d4-4b3f-9a7e-5c4f6b8dae23 (unchanged; Healthchecks' slug "
                  "is now renamed; the monitor keeps its own)",
                  "skipped db_vacuum_weekly (unchanged)"));
  EXPECT_THAT(r.err, HasSubstr("0 created, 3 updated, 2 skipped, 0 failed"));

  std::optional<Monitor> backups = Stored("backups");
  ASSERT_TRUE(backups);
  EXPECT_EQ(backups->uuid, "0b4f8e2a-55a1-4e0c-9d4b-2f1c3e5a7b90");
  EXPECT_EQ(backups->name, "Nightly backups (v2)");
  EXPECT_EQ(backups->schedule, "0 3 * * *");
  EXPECT_EQ(backups->tz, "America/New_York");
  EXPECT_EQ(backups->grace_secs, 1800);
  EXPECT_EQ(backups->max_runtime_secs, 1800);
  EXPECT_TRUE(Stored("reports")->paused);
  std::optional<Monitor> old_sync = Stored("old-sync");
  EXPECT_FALSE(old_sync->paused);
  EXPECT_TRUE(old_sync->check_at);
  EXPECT_FALSE(Stored("renamed"));

  // And back from cron to a timeout.
  checks[0].schedule = std::nullopt;
  checks[0].timeout = 7200;
  hc_.SetChecks(checks);
  RunResult back = RunImport();
  ASSERT_EQ(back.exit_code, 0) << back.err;
  EXPECT_THAT(back.out, HasSubstr("updated backups\n"));
  EXPECT_FALSE(Stored("backups")->schedule);
  EXPECT_EQ(Stored("backups")->interval_secs, 7200);
}

TEST_F(Import, ASlugTakenByAnotherMonitorIsSkippedNeverOverwritten) {
  ASSERT_EQ(RunImport().exit_code, 0);
  // Another Healthchecks project with a check of the same slug and another uuid.
  FakeHealthchecks other("other-key", "other-ro");
  FakeCheck twin = Checks()[0];
  twin.uuid = "5a9cd37f-aaf6-4d5b-9c90-7e6b8dafc045";
  twin.name = "Someone else's backups";
  other.SetChecks({twin});
  RunResult r = RunImport(other.url(), "other-key");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "skipped backups (the slug is taken by another monitor, uuid "
            "0b4f8e2a-55a1-4e0c-9d4b-2f1c3e5a7b90; not overwritten)\n");
  EXPECT_THAT(r.err, HasSubstr("0 created, 0 updated, 1 skipped, 0 failed"));
  std::optional<Monitor> backups = Stored("backups");
  ASSERT_TRUE(backups);
  EXPECT_EQ(backups->uuid, "0b4f8e2a-55a1-4e0c-9d4b-2f1c3e5a7b90");
  EXPECT_EQ(backups->name, "Nightly backups");
}

TEST_F(Import, TwoChecksOfOneSlugMakeOneMonitor) {
  // Healthchecks allows it (its slug URLs then answer 409); the first one wins here.
  std::vector<FakeCheck> checks = Checks();
  checks[4].slug = "backups";
  hc_.SetChecks(checks);
  RunResult r = RunImport();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 5u) << r.out;
  EXPECT_EQ(lines[0], "created backups");
  EXPECT_EQ(lines[4],
            "skipped backups (the slug is taken by another monitor, uuid "
            "0b4f8e2a-55a1-4e0c-9d4b-2f1c3e5a7b90; not overwritten)");
  EXPECT_EQ(Stored("backups")->uuid, "0b4f8e2a-55a1-4e0c-9d4b-2f1c3e5a7b90");
}

TEST_F(Import, IntoANamedProjectThatMustExist) {
  RunResult missing = RunImport(hc_.url(), kKey, {"--project", "ops"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("heartbeat projects add ops"));
  EXPECT_EQ(hc_.Requests(), 0u);  // asked nothing of Healthchecks
  EXPECT_FALSE(Stored("backups"));

  ASSERT_EQ(Run({"projects", "add", "ops"}).exit_code, 0);
  RunResult r = RunImport(hc_.url(), kKey, {"--project", "ops"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("created backups\n"));
  EXPECT_THAT(r.out, HasSubstr("created db_vacuum_weekly\n"));
  std::optional<Monitor> backups = Stored("ops/backups");
  ASSERT_TRUE(backups);
  EXPECT_EQ(backups->uuid, "0b4f8e2a-55a1-4e0c-9d4b-2f1c3e5a7b90");
  EXPECT_FALSE(Stored("backups"));

  // The same uuids into the default project: each is a monitor of ops already.
  RunResult twice = RunImport();
  EXPECT_EQ(twice.exit_code, 0) << twice.err;
  EXPECT_THAT(twice.out, HasSubstr("skipped backups (its uuid is already monitor backups of "
                                   "project ops)"));
  EXPECT_FALSE(Stored("backups"));
}

TEST_F(Import, ACheckItRefusesIsReportedAndTheOthersImported) {
  std::vector<FakeCheck> checks = Checks();
  checks[1].schedule = "OnCalendar=Mon *-*-* 02:30";  // a systemd schedule: not cron
  checks[2].timeout = 10;                             // below any interval of ours
  checks[3].tz = "Mars/Olympus";
  checks[3].timeout = std::nullopt;
  checks[3].schedule = "* * * * *";
  hc_.SetChecks(checks);
  RunResult r = RunImport();
  EXPECT_EQ(r.exit_code, 1);
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 5u) << r.out;
  EXPECT_EQ(lines[0], "created backups");
  EXPECT_THAT(lines[1], ::testing::StartsWith("failed reports ("));
  EXPECT_THAT(lines[2], ::testing::StartsWith("failed old-sync (timeout: "));
  EXPECT_THAT(lines[3], ::testing::StartsWith("failed 3e7ab15d-88d4-4b3f-9a7e-5c4f6b8dae23 (tz: "));
  EXPECT_EQ(lines[4], "created db_vacuum_weekly");
  EXPECT_THAT(r.err, HasSubstr("2 created, 0 updated, 0 skipped, 3 failed"));
  EXPECT_FALSE(Stored("reports"));
  EXPECT_FALSE(Stored("old-sync"));
}

TEST_F(Import, AFullProjectFailsTheChecksPastItsLimit) {
  RunResult r = RunImport(hc_.url(), kKey, {}, {{"MAX_MONITORS_PER_PROJECT", "3"}});
  EXPECT_EQ(r.exit_code, 1);
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 5u) << r.out;
  EXPECT_EQ(lines[2], "created old-sync");
  EXPECT_THAT(lines[3], HasSubstr("MAX_MONITORS_PER_PROJECT"));
  EXPECT_THAT(lines[3], ::testing::StartsWith("failed "));
  EXPECT_THAT(lines[4], ::testing::StartsWith("failed db_vacuum_weekly (project default has "
                                              "reached its limit"));
  EXPECT_THAT(r.err, HasSubstr("3 created, 0 updated, 0 skipped, 2 failed"));
}

TEST_F(Import, BaseUrlWithTrailingSlashAndHealthchecksWithoutUuidField) {
  hc_.OmitUuidField(true);  // older Healthchecks: the uuid ends ping_url and update_url
  RunResult r = RunImport(hc_.url() + "/", kKey);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("5 created"));
  std::optional<Monitor> reports = Stored("reports");
  ASSERT_TRUE(reports);
  EXPECT_EQ(reports->uuid, "1c5e9f3b-66b2-4f1d-8e5c-3a2d4f6b8c01");
}

TEST_F(Import, AWrongKeyIsRefused) {
  RunResult r = RunImport(hc_.url(), "not-the-key");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("the API key was refused by " + hc_.url()));
  EXPECT_THAT(r.err, HasSubstr("wrong api key"));
  EXPECT_EQ(r.out, "");
  EXPECT_FALSE(Stored("backups"));
}

TEST_F(Import, AReadOnlyKeyIsNotEnoughAndNothingIsWritten) {
  RunResult r = RunImport(hc_.url(), kReadOnlyKey);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("read-write API key"));
  EXPECT_THAT(r.err, HasSubstr("read-only"));
  EXPECT_EQ(r.out, "");
  EXPECT_FALSE(Stored("backups"));
}

TEST_F(Import, AServerThatIsNotHealthchecksIsNamed) {
  LoopbackHttpServer not_found(
      [](const LoopbackRequest&) { return LoopbackReply::With(404, "<html>nothing here</html>"); });
  RunResult r = RunImport(not_found.url(), kKey);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(not_found.url() + " does not look like a Healthchecks server"));
  EXPECT_THAT(r.err, HasSubstr("404"));

  LoopbackHttpServer html([](const LoopbackRequest&) {
    return LoopbackReply::Ok("<!doctype html><title>Welcome to nginx!</title>");
  });
  RunResult page = RunImport(html.url(), kKey);
  EXPECT_EQ(page.exit_code, 1);
  EXPECT_THAT(page.err, HasSubstr(html.url() + " does not look like a Healthchecks server"));
  EXPECT_THAT(page.err, HasSubstr("not JSON"));

  LoopbackHttpServer redirect([](const LoopbackRequest&) {
    LoopbackReply r = LoopbackReply::With(301, "");
    r.headers = {{"Location", "https://hc.example/api/v3/checks/"}};
    return r;
  });
  RunResult moved = RunImport(redirect.url(), kKey);
  EXPECT_EQ(moved.exit_code, 1);
  EXPECT_THAT(moved.err, HasSubstr(redirect.url() + " redirects GET /api/v3/checks/ to "
                                                    "https://hc.example/api/v3/checks/"));

  LoopbackHttpServer other_json([](const LoopbackRequest&) { return LoopbackReply::Ok("[]"); });
  RunResult json = RunImport(other_json.url(), kKey);
  EXPECT_EQ(json.exit_code, 1);
  EXPECT_THAT(json.err, HasSubstr("does not look like a Healthchecks server"));
  EXPECT_FALSE(Stored("backups"));
}

TEST_F(Import, AnUnreachableServerIsNamed) {
  std::string url;
  {
    LoopbackHttpServer gone([](const LoopbackRequest&) { return LoopbackReply::Ok(); });
    url = gone.url();
  }  // closed: its port refuses connections now
  RunResult r = RunImport(url, kKey);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("cannot reach " + url + ": "));
  EXPECT_EQ(r.out, "");
}

TEST_F(Import, ABadCommandLineExitsTwo) {
  EXPECT_EQ(Run({"import", "healthchecks", "--url", hc_.url()}).exit_code, 2);  // no key
  RunResult no_scheme = RunImport("healthchecks.example", kKey);
  EXPECT_EQ(no_scheme.exit_code, 2);
  EXPECT_THAT(no_scheme.err, HasSubstr("--url"));
  RunResult bad_project = RunImport(hc_.url(), kKey, {"--project", "Not A Name"});
  EXPECT_EQ(bad_project.exit_code, 2);
  EXPECT_THAT(bad_project.err, HasSubstr("--project"));
  EXPECT_THAT(Run({"import", "healthchecks", "--help"}).out, HasSubstr("--api-key"));
}

}  // namespace
}  // namespace heartbeat::testing
