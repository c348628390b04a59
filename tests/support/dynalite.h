#pragma once
// dynalite (npm, a DynamoDB-compatible engine in Node.js, in-memory) as a child process on
// 127.0.0.1, for tests of the DynamoDB client and store.
//
//   auto& db = heartbeat::testing::Dynalite::Shared();   // one per test binary
//   aws::DynamoClientOptions o = db.ClientOptions();     // endpoint, region, fake keys
//   std::string table = Dynalite::UniqueTableName("monitors");
//   db.CreateTable(request);                             // throws on failure
//
// dynalite's own CLI cannot listen on port 0 (it takes 0 for "unset" and uses 4567), so
// the fixture starts it through a three-line script that does: no port is guessed.
// The child runs in its own process group, dies with the test binary (PR_SET_PDEATHSIG), and
// is killed (the whole group) on destruction. When node or dynalite is missing, the
// constructor throws with the fix ("run scripts/install-deps.sh"): the test fails, it is
// not skipped. Needs HEARTBEAT_SOURCE_DIR (tests/CMakeLists.txt defines it).
//
// Tables and items are shared by every test of the binary: give each test its own tables.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>

#include "aws/dynamodb.h"
#include "http_client/async_http_client.h"

namespace heartbeat::testing {

// Runs `start(callback)` and waits for the callback's result (from a thread that may block).
template <class T, class Start>
aws::DynamoResult<T> AwaitDynamo(Start&& start) {
  auto promise = std::make_shared<std::promise<aws::DynamoResult<T>>>();
  auto future = promise->get_future();
  start([promise](aws::DynamoResult<T> r) { promise->set_value(std::move(r)); });
  if (future.wait_for(std::chrono::seconds(120)) != std::future_status::ready) {
    throw std::runtime_error("a DynamoDB call did not call back within 120 s");
  }
  return future.get();
}

class Dynalite {
 public:
  Dynalite() { Start(); }
  ~Dynalite() { Stop(); }
  Dynalite(const Dynalite&) = delete;
  Dynalite& operator=(const Dynalite&) = delete;

  // One dynalite for the whole test binary, started on first use. Throws (every time) if
  // it could not start.
  static Dynalite& Shared() {
    static std::once_flag once;
    static std::unique_ptr<Dynalite> shared;
    static std::string failure;
    std::call_once(once, [] {
      try {
        shared = std::make_unique<Dynalite>();
      } catch (const std::exception& e) {
        failure = e.what();
      }
    });
    if (!shared) throw std::runtime_error(failure);
    return *shared;
  }

  // "http://127.0.0.1:<port>"
  std::string endpoint() const { return endpoint_; }
  pid_t pid() const { return pid_; }

  // Options for a client of this dynalite: its endpoint, us-east-1, made-up keys (dynalite
  // checks the form of the signature, not the keys), short back-off.
  aws::DynamoClientOptions ClientOptions() const {
    aws::DynamoClientOptions o;
    o.endpoint = endpoint_;
    o.region = "us-east-1";
    o.credentials = [] {
      return aws::Credentials{"AKIDEXAMPLETEST", "testsecretkeytestsecretkey", ""};
    };
    o.base_delay = std::chrono::milliseconds(5);
    o.max_delay = std::chrono::milliseconds(100);
    o.jitter_seed = 1;
    return o;
  }

  // "<prefix>-<pid>-<n>": unique in this process (and across processes sharing a dynalite).
  static std::string UniqueTableName(std::string_view prefix) {
    static std::atomic<int> counter{0};
    return std::string(prefix) + "-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
  }

  // Creates a table (PAY_PER_REQUEST, GSIs with projection ALL) with `client` and waits
  // until it is ACTIVE. Throws with DynamoDB's message on failure.
  static void CreateTable(aws::DynamoClient& client, const aws::CreateTableRequest& request) {
    auto created =
        AwaitDynamo<aws::Nothing>([&](auto cb) { client.CreateTable(request, std::move(cb)); });
    if (!created.ok()) throw std::runtime_error("CreateTable: " + created.error().message);
    for (int i = 0; i < 200; ++i) {
      auto described = AwaitDynamo<aws::TableDescription>(
          [&](auto cb) { client.DescribeTable(request.table, std::move(cb)); });
      if (!described.ok()) throw std::runtime_error("DescribeTable: " + described.error().message);
      if (described.value().status == "ACTIVE") return;
      usleep(10'000);
    }
    throw std::runtime_error("table " + request.table + " never became ACTIVE");
  }

  // A table with a string hash key `hash` and, when `gsi` is set, one GSI of that name on
  // string `gsi_hash` (+ string `gsi_range` when not empty).
  static aws::CreateTableRequest TableRequest(std::string table, std::string hash,
                                              std::string gsi = {}, std::string gsi_hash = {},
                                              std::string gsi_range = {}) {
    aws::CreateTableRequest r;
    r.table = std::move(table);
    r.hash = {std::move(hash), 'S'};
    if (!gsi.empty()) {
      aws::GlobalSecondaryIndex index;
      index.name = std::move(gsi);
      index.hash = {std::move(gsi_hash), 'S'};
      if (!gsi_range.empty()) index.range = aws::KeyAttribute{std::move(gsi_range), 'S'};
      r.indexes.push_back(std::move(index));
    }
    return r;
  }

 private:
  void Start() {
    std::string root = HEARTBEAT_SOURCE_DIR;
    std::string module = root + "/tests/tools/node_modules/dynalite";
    struct stat st {};
    if (::stat((module + "/index.js").c_str(), &st) != 0) {
      throw std::runtime_error("dynalite is not installed (" + module +
                               " is missing): run scripts/install-deps.sh");
    }
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    // Listens on port 0 and says where, in the CLI's words.
    static const char kScript[] =
        "const server = require(process.argv[1])({createTableMs: 0, deleteTableMs: 0, "
        "updateTableMs: 0});"
        "server.listen(0, '127.0.0.1', () => console.log("
        "'Dynalite listening at: http://127.0.0.1:' + server.address().port));";
    pid_t parent = getpid();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::setpgid(0, 0);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(1);  // the parent died before prctl
      ::dup2(out[1], 1);
      const char* argv[] = {"node", "-e", kScript, module.c_str(), nullptr};
      ::execvp("node", const_cast<char* const*>(argv));
      _exit(127);
    }
    ::setpgid(pid_, pid_);  // also here: no race with the kill in Stop
    ::close(out[1]);
    out_fd_ = out[0];
    std::string seen;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    static constexpr std::string_view kMarker = "listening at: ";
    auto complete = [&] {
      std::size_t m = seen.find(kMarker);
      return m != std::string::npos && seen.find('\n', m) != std::string::npos;
    };
    while (!complete()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{out_fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
        Stop();
        throw std::runtime_error("dynalite did not start within 30 s (output: " + seen + ")");
      }
      char buf[512];
      ssize_t n = ::read(out_fd_, buf, sizeof buf);
      if (n <= 0) {
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        bool no_node = WIFEXITED(status) && WEXITSTATUS(status) == 127;
        Stop();
        throw std::runtime_error(
            std::string(no_node ? "node is not installed" : "dynalite exited at start") +
            " (output: " + seen + "): run scripts/install-deps.sh");
      }
      seen.append(buf, static_cast<std::size_t>(n));
    }
    std::size_t at = seen.find(kMarker) + kMarker.size();
    endpoint_ = seen.substr(at, seen.find('\n', at) - at);
    while (!endpoint_.empty() && (endpoint_.back() == '\r' || endpoint_.back() == ' ')) {
      endpoint_.pop_back();
    }
  }

  void Stop() {
    if (pid_ > 0) {
      ::kill(-pid_, SIGKILL);  // the group: node and anything it started
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
    if (out_fd_ >= 0) {
      ::close(out_fd_);
      out_fd_ = -1;
    }
  }

  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string endpoint_;
};

}  // namespace heartbeat::testing
