// The real `heartbeat serve` short of file descriptors (SPEC §8: "the soft open-files limit
// is raised to the hard one at start"; issue #14): the soft limit is raised, and with a low
// hard limit idle keep-alive connections are closed, oldest first, so that new connections,
// pings and /healthz still get through, with one log line per period instead of one per
// failed accept.

#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "support/process.h"
#include "support/temp_dir.h"

namespace heartbeat::testing {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using Steady = std::chrono::steady_clock;

constexpr char kShedLine[] = "made room for new connections: closed";

// A client socket to 127.0.0.1:port, blocking; -1 when it cannot connect.
int ConnectTo(unsigned short port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends `request` on `fd` and reads one response (head and Content-Length body) within
// `limit`; returns its status, or nullopt when the server closed or did not answer in time.
std::optional<unsigned> Exchange(int fd, const std::string& request, milliseconds limit) {
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    return std::nullopt;
  }
  std::string data;
  auto deadline = Steady::now() + limit;
  std::smatch m;
  for (;;) {
    std::size_t head_end = data.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      std::string head = data.substr(0, head_end);
      std::size_t length = 0;
      if (std::regex_search(head, m, std::regex("[Cc]ontent-[Ll]ength: *([0-9]+)"))) {
        length = std::stoul(m[1]);
      }
      if (data.size() >= head_end + 4 + length && data.starts_with("HTTP/1.1 ")) {
        return static_cast<unsigned>(std::stoul(data.substr(9, 3)));
      }
    }
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Steady::now()).count();
    if (left <= 0) return std::nullopt;
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left)) <= 0) continue;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return std::nullopt;
    data.append(buf, static_cast<std::size_t>(n));
  }
}

// Whether the server has closed `fd` (EOF or reset), looking for `wait` at most.
bool ClosedByServer(int fd, milliseconds wait = milliseconds(0)) {
  pollfd pfd{fd, POLLIN, 0};
  if (::poll(&pfd, 1, static_cast<int>(wait.count())) <= 0) return false;
  char c;
  return ::recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

std::size_t CountLines(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// This process's soft open-files limit raised to its hard one (the test holds hundreds of
// sockets); returns the hard limit.
rlim_t RaiseOwnLimit() {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_max;
}

class FaultFd : public ::testing::Test {
 protected:
  std::map<std::string, std::string> Env() {
    return {{"HEARTBEAT_STORE", "sqlite:" + dir_.file("hb.db")}, {"BIND_ADDR", "127.0.0.1:0"}};
  }
  std::string AddKey() {
    auto env = Env();
    env.erase("BIND_ADDR");
    RunResult r = RunHeartbeat({"keys", "add", "--description", "fd e2e"}, env, dir_.path());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  }
  // Starts `serve` with the open-files limit {soft, hard}; sets `port` (0 when it did not).
  std::unique_ptr<Process> Serve(rlim_t soft, rlim_t hard, unsigned short& port) {
    Served served = StartServe(Env(), dir_.path(), {.nofile = std::make_pair(soft, hard)});
    port = served.port;
    EXPECT_NE(port, 0) << served.process->Stderr();
    return std::move(served.process);
  }

  TempDir dir_;
};

TEST_F(FaultFd, SoftOpenFilesLimitIsRaisedToTheHardOne) {
  if (RaiseOwnLimit() < 4096) GTEST_SKIP() << "this process's hard open-files limit is < 4096";
  AddKey();
  unsigned short port = 0;
  auto serve = Serve(256, 4096, port);
  ASSERT_NE(port, 0);
  std::string limits = ReadFile("/proc/" + std::to_string(serve->pid()) + "/limits");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(limits, m, std::regex("Max open files +([0-9]+) +([0-9]+)")))
      << limits;
  EXPECT_EQ(m[1], "4096") << limits;
  EXPECT_EQ(m[2], "4096") << limits;
  // 4096 descriptors hold fewer than 10,000 connections: the cap is logged.
  EXPECT_THAT(serve->Stderr(), HasSubstr("the open-files limit is 4096: at most 3840 connections"));
  serve->Signal(SIGTERM);
  EXPECT_EQ(serve->Wait(milliseconds(15'000)), 0) << serve->Stderr();
}

TEST_F(FaultFd, IdleConnectionsAreShedSoNewOnesGetThrough) {
  constexpr int kIdle = 400;
  constexpr rlim_t kLimit = 256;  // the server's soft and hard limit
  if (RaiseOwnLimit() < kIdle + 100) GTEST_SKIP() << "this process cannot hold enough sockets";
  std::string key = AddKey();
  unsigned short port = 0;
  auto serve = Serve(kLimit, kLimit, port);
  ASSERT_NE(port, 0);
  EXPECT_THAT(serve->Stderr(), HasSubstr("the open-files limit is 256: at most 192 connections"));
  const auto start = Steady::now();

  // Each connection gets one answered request: it is then an idle keep-alive connection.
  const std::string healthz = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  std::vector<int> idle;
  int answered = 0;
  for (int i = 0; i < kIdle; ++i) {
    int fd = ConnectTo(port);
    ASSERT_GE(fd, 0) << "connection " << i << ": " << std::strerror(errno);
    idle.push_back(fd);
    if (Exchange(fd, healthz, milliseconds(10'000)) == 200u) ++answered;
  }
  // Room was made for every new connection by closing old idle ones.
  EXPECT_EQ(answered, kIdle);

  // A new connection's ping and /healthz answer at once.
  const std::string ping =
      "GET /heartbeat/fd-probe HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key + "\r\n\r\n";
  for (const std::string* request : {&ping, &healthz}) {
    auto asked = Steady::now();
    int fd = ConnectTo(port);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(Exchange(fd, *request, milliseconds(5'000)), 200u) << *request;
    EXPECT_LT(Steady::now() - asked, milliseconds(5'000));
    ::close(fd);
  }

  // The oldest were closed, the newest kept: at most the cap of 192 stays open.
  int closed = 0;
  for (int fd : idle) closed += ClosedByServer(fd) ? 1 : 0;
  EXPECT_GE(closed, kIdle - 192);
  EXPECT_TRUE(ClosedByServer(idle.front(), milliseconds(2'000)));
  for (int i = kIdle - 20; i < kIdle; ++i) EXPECT_FALSE(ClosedByServer(idle[i])) << i;

  // One line per period (10 s) says so, not one per connection.
  EXPECT_TRUE(serve->WaitForStderr(kShedLine, milliseconds(5'000))) << serve->Stderr();
  auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(Steady::now() - start);
  std::string err = serve->Stderr();
  EXPECT_LE(CountLines(err, kShedLine), static_cast<std::size_t>(elapsed.count() / 10 + 2)) << err;
  EXPECT_LE(CountLines(err, "accept failed"), static_cast<std::size_t>(elapsed.count() / 10 + 2))
      << err;

  for (int fd : idle) ::close(fd);
  serve->Signal(SIGTERM);
  EXPECT_EQ(serve->Wait(milliseconds(15'000)), 0) << serve->Stderr();
}

}  // namespace
}  // namespace heartbeat::testing
