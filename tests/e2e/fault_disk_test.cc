// SPEC §8, the disk under a SQLite store: the real `heartbeat` binary on real files. A full
// disk (a small tmpfs, filled) answers 503 and heals by itself once space is back, losing
// nothing acknowledged; an fsync that fails (EIO, injected into the real binary with
// LD_PRELOAD: see fail_sync_preload.cc) ends the process with exit 1 for its supervisor to
// restart; a data directory that is not writable is named in the error.

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "support/http_client.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace heartbeat::testing {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

constexpr milliseconds kBound{10'000};  // generous: 2 cores, other suites running

class FaultDisk : public ::testing::Test {
 protected:
  void TearDown() override {
    if (mounted_) ::umount2(mnt_.c_str(), MNT_DETACH);
  }

  // A tmpfs of `size` at dir_/mnt, or the reason it cannot be had (mounting needs root).
  std::string MountTmpfs(const std::string& size) {
    mnt_ = dir_.file("mnt");
    std::filesystem::create_directories(mnt_);
    if (::geteuid() != 0) return "mounting a small tmpfs needs root";
    const std::string options = "size=" + size;
    if (::mount("tmpfs", mnt_.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      return std::string("mount tmpfs: ") + std::strerror(errno);
    }
    mounted_ = true;
    return {};
  }

  std::map<std::string, std::string> Env(const std::string& db) {
    return {{"HEARTBEAT_STORE", "sqlite:" + db}};
  }
  RunResult Heartbeat(std::vector<std::string> args, const std::string& db) {
    return RunHeartbeat(std::move(args), Env(db), dir_.path());
  }
  std::string InitWithKey(const std::string& db) {
    RunResult init = Heartbeat({"store", "init"}, db);
    EXPECT_EQ(init.exit_code, 0) << init.err;
    RunResult r = Heartbeat({"keys", "add", "--description", "disk e2e"}, db);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  }
  std::unique_ptr<Process> Serve(std::map<std::string, std::string> env) {
    Served served = StartServe(std::move(env), dir_.path());
    port_ = served.port;
    EXPECT_NE(port_, 0) << served.process->Stderr();
    return std::move(served.process);
  }
  HttpResponse Ask(const std::string& method, const std::string& target, const std::string& key) {
    return AskOnce(port_, method, target, key);
  }
  bool WaitForStatus(unsigned want, const std::string& method, const std::string& target,
                     const std::string& key) {
    return testing::WaitForStatus(port_, want, method, target, key, kBound);
  }
  // Fills the file system of `dir` up to its last block.
  static void Fill(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::vector<char> block(4096, 'x');
    while (std::fwrite(block.data(), 1, block.size(), f) == block.size() && std::fflush(f) == 0) {
    }
    std::fclose(f);
  }

  TempDir dir_;
  std::string mnt_;
  bool mounted_ = false;
  unsigned short port_ = 0;
};

TEST_F(FaultDisk, AFullDiskAnswers503AndHealsByItselfOnceSpaceIsBack) {
  if (std::string why = MountTmpfs("4m"); !why.empty()) GTEST_SKIP() << why;
  const std::string db = mnt_ + "/hb.db";
  const std::string key = InitWithKey(db);
  auto serve = Serve(Env(db));
  ASSERT_EQ(Ask("POST", "/heartbeat/before-the-disk-filled", key).status, 200u);

  Fill(mnt_ + "/filler");
  // Distinct monitors make the write-ahead log grow until there is no room for it.
  std::vector<std::string> acked;
  HttpResponse refused;
  const std::string padding(50, 'p');
  for (int i = 0; i < 20'000 && refused.status == 0; ++i) {
    std::string slug = "job-" + std::to_string(i) + "-" + padding;
    HttpResponse r = Ask("POST", "/heartbeat/" + slug, key);
    if (r.status == 200) {
      acked.push_back(slug);
    } else {
      refused = r;
    }
  }
  ASSERT_EQ(refused.status, 503u) << refused.body;
  EXPECT_NE(refused.body.find("disk is full"), std::string::npos) << refused.body;
  // While writes keep failing the store stays unhealthy, and the server says why.
  bool healthz_refused = false;
  for (auto until = Steady::now() + milliseconds(1500); Steady::now() < until;) {
    EXPECT_NE(Ask("POST", "/heartbeat/while-full-" + padding, key).status, 200u);
    healthz_refused = healthz_refused || Ask("GET", "/healthz", "").status == 503u;
  }
  EXPECT_TRUE(healthz_refused) << "/healthz stayed 200 while writes failed";
  EXPECT_TRUE(serve->WaitForStderr("the store is failing", kBound)) << serve->Stderr();
  EXPECT_TRUE(LineWith(serve->Stderr(), "the store is failing", "disk is full")) << serve->Stderr();

  // Space is back: no restart, writes work again within seconds.
  std::filesystem::remove(mnt_ + "/filler");
  EXPECT_TRUE(WaitForStatus(200, "POST", "/heartbeat/after-the-disk-emptied", key));
  EXPECT_TRUE(WaitForStatus(200, "GET", "/healthz", ""));
  EXPECT_TRUE(serve->WaitForStderr("the store answers again", kBound)) << serve->Stderr();
  EXPECT_FALSE(serve->Wait(milliseconds(0)).has_value()) << "the server exited";

  serve->Signal(SIGTERM);
  EXPECT_EQ(serve->Wait(), 0) << serve->Stderr();
  // Everything acknowledged, before, during and after, is there after a restart.
  serve = Serve(Env(db));
  acked.push_back("before-the-disk-filled");
  acked.push_back("after-the-disk-emptied");
  for (const std::string& slug : acked) {
    EXPECT_EQ(Ask("GET", "/monitors/" + slug, key).status, 200u) << slug;
  }
}

TEST_F(FaultDisk, AFailedFsyncEndsTheProcessWithExitOneAndARestartRecovers) {
  const std::string db = dir_.file("data/hb.db");
  const std::string key = InitWithKey(db);
  const std::string trigger = dir_.file("fail-sync");
  auto env = Env(db);
  env["LD_PRELOAD"] = HEARTBEAT_FAIL_SYNC_PRELOAD;
  env["HEARTBEAT_TEST_FAIL_SYNC_WHEN"] = trigger;
  env["ASAN_OPTIONS"] = "verify_asan_link_order=0:detect_leaks=0";
  auto serve = Serve(env);
  ASSERT_EQ(Ask("POST", "/heartbeat/acked-before", key).status, 200u);

  std::ofstream(trigger) << "EIO from now on\n";
  HttpResponse r = Ask("POST", "/heartbeat/when-the-sync-fails", key);
  EXPECT_EQ(r.status, 503u) << r.body;
  std::optional<int> code = serve->Wait(kBound);
  ASSERT_TRUE(code.has_value()) << "still running after a failed fsync\n" << serve->Stderr();
  EXPECT_EQ(*code, 1) << serve->Stderr();
  EXPECT_TRUE(LineWith(serve->Stderr(), "fdatasync of " + db + "-wal failed", "stopping"))
      << serve->Stderr();

  // The supervisor restarts it (the disk works again): what was acknowledged is there.
  std::filesystem::remove(trigger);
  serve = Serve(Env(db));
  EXPECT_EQ(Ask("GET", "/monitors/acked-before", key).status, 200u);
  EXPECT_EQ(Ask("POST", "/heartbeat/after-the-restart", key).status, 200u);
}

TEST_F(FaultDisk, ADataDirectoryThatIsNotWritableIsNamed) {
  std::string db;
  if (::geteuid() == 0) {
    // Root writes through permissions: only a read-only file system stops it.
    if (std::string why = MountTmpfs("4m"); !why.empty()) GTEST_SKIP() << why;
    db = mnt_ + "/hb.db";
    ASSERT_EQ(Heartbeat({"store", "init"}, db).exit_code, 0);
    ASSERT_EQ(::mount(nullptr, mnt_.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, "size=4m"), 0)
        << std::strerror(errno);
  } else {
    mnt_ = dir_.file("data");
    db = mnt_ + "/hb.db";
    ASSERT_EQ(Heartbeat({"store", "init"}, db).exit_code, 0);
    std::filesystem::permissions(
        mnt_, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  }
  auto env = Env(db);
  env["BIND_ADDR"] = "127.0.0.1:0";
  RunResult r = RunHeartbeat({"serve"}, env, dir_.path());
  if (!mounted_) std::filesystem::permissions(mnt_, std::filesystem::perms::owner_all);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("the data directory " + mnt_ + " is not writable"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace heartbeat::testing
