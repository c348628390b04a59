#pragma once
// Runs the real `heartbeat` binary (path from $HEARTBEAT_BINARY, set by CTest) as a child
// process with a controlled environment, capturing stdout and stderr in files.

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace heartbeat::testing {

inline std::string HeartbeatBinary() {
  const char* p = std::getenv("HEARTBEAT_BINARY");
  if (p == nullptr) throw std::runtime_error("HEARTBEAT_BINARY is not set (run through ctest)");
  return p;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Process {
 public:
  // Starts `heartbeat args...` with exactly `env` as its environment (plus PATH), and with
  // the open-files limit {soft, hard} when `nofile` is given.
  Process(std::vector<std::string> args, std::map<std::string, std::string> env,
          const std::string& output_dir,
          std::optional<std::pair<rlim_t, rlim_t>> nofile = std::nullopt) {
    static int counter = 0;
    std::string tag = std::to_string(getpid()) + "-" + std::to_string(counter++);
    out_path_ = output_dir + "/stdout-" + tag;
    err_path_ = output_dir + "/stderr-" + tag;
    std::string binary = HeartbeatBinary();
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      FILE* out = std::fopen(out_path_.c_str(), "w");
      FILE* err = std::fopen(err_path_.c_str(), "w");
      dup2(fileno(out), 1);
      dup2(fileno(err), 2);
      if (nofile) {
        rlimit limit{nofile->first, nofile->second};
        if (setrlimit(RLIMIT_NOFILE, &limit) != 0) _exit(126);
      }
      std::vector<std::string> env_strings;
      env.emplace("PATH", "/usr/bin:/bin");
      for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
      std::vector<char*> envp;
      for (auto& s : env_strings) envp.push_back(s.data());
      envp.push_back(nullptr);
      std::vector<char*> argv;
      argv.push_back(binary.data());
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execve(binary.c_str(), argv.data(), envp.data());
      _exit(127);
    }
  }
  ~Process() {
    if (!exited_) {
      kill(pid_, SIGKILL);
      int status;
      waitpid(pid_, &status, 0);
    }
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  void Signal(int sig) { kill(pid_, sig); }

  // Waits for exit; returns the exit code (128 + signal when killed), or nullopt on timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exited_ = true;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return exit_code_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::nullopt;
  }

  std::string Stdout() const { return ReadFile(out_path_); }
  std::string Stderr() const { return ReadFile(err_path_); }

  // Waits until stderr contains `text`; returns whether it did within `timeout`. It looks
  // every `poll` (zero: as fast as it can, to act on a line the moment it appears).
  bool WaitForStderr(const std::string& text,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10),
                     std::chrono::microseconds poll = std::chrono::milliseconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (Stderr().find(text) != std::string::npos) return true;
      if (poll.count() > 0) {
        std::this_thread::sleep_for(poll);
      } else {
        std::this_thread::yield();
      }
    }
    return false;
  }

  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_code_ = -1;
  std::string out_path_;
  std::string err_path_;
};

struct RunResult {
  int exit_code;
  std::string out;
  std::string err;
};

// Runs the binary to completion.
inline RunResult RunHeartbeat(std::vector<std::string> args, std::map<std::string, std::string> env,
                              const std::string& output_dir) {
  Process p(std::move(args), std::move(env), output_dir);
  std::optional<int> code = p.Wait();
  if (!code) throw std::runtime_error("heartbeat did not exit in time");
  return {*code, p.Stdout(), p.Stderr()};
}

// Whether one line of `log` holds both `a` and `b`.
inline bool LineWith(const std::string& log, const std::string& a, const std::string& b) {
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(a) != std::string::npos && line.find(b) != std::string::npos) return true;
  }
  return false;
}

// `heartbeat serve` on a free port of 127.0.0.1 (BIND_ADDR is set to it), waited for until
// it says "listening on"; `port` is read from that line, 0 when it did not come in time.
struct Served {
  std::unique_ptr<Process> process;
  unsigned short port = 0;
};

struct ServeOptions {
  std::vector<std::string> flags = {};  // after `serve`
  std::optional<std::pair<rlim_t, rlim_t>> nofile = std::nullopt;
  std::chrono::milliseconds timeout = std::chrono::seconds(15);
};

inline Served StartServe(std::map<std::string, std::string> env, const std::string& output_dir,
                         ServeOptions options = {}) {
  env["BIND_ADDR"] = "127.0.0.1:0";
  std::vector<std::string> args{"serve"};
  args.insert(args.end(), options.flags.begin(), options.flags.end());
  Served s;
  s.process =
      std::make_unique<Process>(std::move(args), std::move(env), output_dir, options.nofile);
  if (!s.process->WaitForStderr("listening on", options.timeout)) return s;
  std::smatch m;
  const std::string err = s.process->Stderr();
  if (std::regex_search(err, m, std::regex("\\(port ([0-9]+)\\)"))) {
    s.port = static_cast<unsigned short>(std::stoi(m[1]));
  }
  return s;
}

}  // namespace heartbeat::testing
