// `heartbeat run --slug SLUG [...] -- COMMAND ARGS...` (SPEC §12): a `start` ping with a
// fresh run ID, the command with its output passed through as it comes, then
// `/{exit code}` with the output's tail, and the command's exit code as ours.
//
// The child's stdout and stderr are pipes read here and copied at once to ours (the last
// bytes kept for the report); its stdin is ours. SIGINT, SIGTERM and SIGHUP are passed on
// to it, except those the terminal sent, which its process group (the child's too) got
// already. A ping never stops the command nor changes the exit code: it is retried, then
// one warning line on stderr.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <iostream>
#include <thread>

#include "app/commands.h"
#include "app/run_support.h"

extern char** environ;

namespace heartbeat::app {
namespace {

constexpr char kPrefix[] = "heartbeat run: ";
constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP};

// Shared with the signal handlers (async-signal-safe: plain stores, kill, write).
volatile sig_atomic_t g_child = 0;     // the command's pid once it runs, else 0
volatile sig_atomic_t g_pending = 0;   // a signal that came before there was a child
volatile sig_atomic_t g_wake_fd = -1;  // written to when a child ends

void OnForwardedSignal(int sig, siginfo_t* info, void*) {
  const int saved = errno;
  const pid_t child = g_child;
  if (child > 0) {
    // The terminal's signals (SI_KERNEL) reach the whole foreground process group,
    // the command included: passing them on would deliver them twice.
    if (info == nullptr || info->si_code != SI_KERNEL) ::kill(child, sig);
  } else if (g_pending == 0) {
    g_pending = sig;
  }
  errno = saved;
}

void OnChildSignal(int) {
  const int saved = errno;
  const char byte = 1;
  if (g_wake_fd >= 0) {
    ssize_t ignored = ::write(g_wake_fd, &byte, 1);  // a full pipe is awake enough
    (void)ignored;
  }
  errno = saved;
}

void InstallHandlers() {
  struct sigaction forward {};
  forward.sa_sigaction = &OnForwardedSignal;
  forward.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&forward.sa_mask);
  for (int sig : kForwarded) ::sigaction(sig, &forward, nullptr);

  struct sigaction child {};
  child.sa_handler = &OnChildSignal;
  child.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigemptyset(&child.sa_mask);
  ::sigaction(SIGCHLD, &child, nullptr);

  // A reader of our output that went away must not kill us before the report.
  ::signal(SIGPIPE, SIG_IGN);

  // Blocked by whoever started us (a mask is inherited), they would never be passed on.
  sigset_t ours;
  sigemptyset(&ours);
  for (int sig : kForwarded) sigaddset(&ours, sig);
  sigaddset(&ours, SIGCHLD);
  ::sigprocmask(SIG_UNBLOCK, &ours, nullptr);
}

void Warn(const std::string& line) { std::cerr << kPrefix << "warning: " << line << std::endl; }

std::string SignalName(int sig) {
  switch (sig) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    default:
      return "signal " + std::to_string(sig);
  }
}

// Writes all of `data` to `fd`; false when `fd` is broken (and then it stays unused).
bool WriteAll(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n > 0) {
      data += n;
      size -= static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {  // an inherited non-blocking descriptor
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, -1);
    } else {
      return false;
    }
  }
  return true;
}

// A pipe from the child to us: its read end here, copied to `out` as it comes.
struct Stream {
  int read_fd = -1;
  int out = -1;
  bool out_ok = true;
};

// Copies what `stream` has now, `max_reads` pipe-fulls at most, to its output and the tail.
// At the end of the stream (EOF or an error) closes it.
void Pump(Stream& stream, OutputTail& tail, int max_reads) {
  char buffer[65536];
  for (int reads = 0; reads < max_reads;) {
    ssize_t n = ::read(stream.read_fd, buffer, sizeof buffer);
    if (n > 0) {
      ++reads;
      if (stream.out_ok) stream.out_ok = WriteAll(stream.out, buffer, static_cast<std::size_t>(n));
      tail.Append(std::string_view(buffer, static_cast<std::size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    ::close(stream.read_fd);
    stream.read_fd = -1;
    return;
  }
}

struct Child {
  pid_t pid = -1;
  int error = 0;  // posix_spawnp's error when it could not start
};

// Starts the command with stdout and stderr into `out_w` and `err_w`, its signals as a
// fresh program has them.
Child Spawn(const std::vector<std::string>& command, int out_w, int err_w) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_w, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_w, STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : kForwarded) sigaddset(&defaults, sig);
  sigaddset(&defaults, SIGCHLD);
  sigaddset(&defaults, SIGPIPE);  // ignored here; an ignored signal would stay so in the child
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> argv;
  for (const std::string& word : command) argv.push_back(const_cast<char*>(word.c_str()));
  argv.push_back(nullptr);
  Child child;
  child.error = ::posix_spawnp(&child.pid, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  return child;
}

// Like a shell: 127 for a command not found, 126 for one found but not executable.
int ReportSpawnFailure(const std::string& program, int error, OutputTail& tail) {
  std::string why = error == ENOENT && program.find('/') == std::string::npos
                        ? "command not found"
                        : std::strerror(error);
  std::string line = std::string(kPrefix) + program + ": " + why + "\n";
  std::cerr << line << std::flush;
  tail.Append(line);
  return error == ENOENT ? 127 : 126;
}

// Runs the command to its end, passing its output through; returns its exit code.
int RunChild(const std::vector<std::string>& command, OutputTail& tail) {
  int out_pipe[2], err_pipe[2], wake_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0 ||
      ::pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    std::string line = std::string(kPrefix) + "cannot create a pipe: " + std::strerror(errno);
    std::cerr << line << std::endl;
    tail.Append(line + "\n");
    return 126;
  }
  g_wake_fd = wake_pipe[1];

  // No forwarded signal may slip between the spawn and g_child's store.
  sigset_t forwarded, previous;
  sigemptyset(&forwarded);
  for (int sig : kForwarded) sigaddset(&forwarded, sig);
  ::sigprocmask(SIG_BLOCK, &forwarded, &previous);
  Child child = Spawn(command, out_pipe[1], err_pipe[1]);
  if (child.error == 0) g_child = child.pid;
  ::sigprocmask(SIG_SETMASK, &previous, nullptr);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);

  if (child.error != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    g_wake_fd = -1;
    ::close(wake_pipe[0]);
    ::close(wake_pipe[1]);
    return ReportSpawnFailure(command.front(), child.error, tail);
  }

  Stream streams[2] = {{out_pipe[0], STDOUT_FILENO}, {err_pipe[0], STDERR_FILENO}};
  for (Stream& s : streams) ::fcntl(s.read_fd, F_SETFL, O_NONBLOCK);
  int status = 0;
  bool reaped = false;
  while (!reaped && (streams[0].read_fd >= 0 || streams[1].read_fd >= 0)) {
    pollfd fds[3];
    nfds_t n = 0;
    for (Stream& s : streams) {
      if (s.read_fd >= 0) fds[n++] = {s.read_fd, POLLIN, 0};
    }
    fds[n++] = {wake_pipe[0], POLLIN, 0};
    if (::poll(fds, n, -1) < 0 && errno != EINTR) break;
    for (Stream& s : streams) {
      if (s.read_fd >= 0) Pump(s, tail, 1);
    }
    char drain[64];
    while (::read(wake_pipe[0], drain, sizeof drain) > 0) {
    }
    if (::waitpid(child.pid, &status, WNOHANG) == child.pid) reaped = true;
  }
  // The command ended. What it wrote before is in the pipes: take it. A process it left
  // behind may hold them open (and write on): what is there now is read, a few MiB at most.
  for (Stream& s : streams) {
    if (s.read_fd >= 0) Pump(s, tail, 64);
    if (s.read_fd >= 0) ::close(s.read_fd);
  }
  if (!reaped) {
    while (::waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  g_child = 0;
  g_wake_fd = -1;
  ::close(wake_pipe[0]);
  ::close(wake_pipe[1]);
  return ExitCodeOfWaitStatus(status);
}

HttpRequest PingRequest(const RunOptions& options, std::string url) {
  HttpRequest request;
  request.method = "POST";
  request.url = std::move(url);
  if (!options.key.empty()) request.headers.emplace_back("Authorization", "Bearer " + options.key);
  request.headers.emplace_back("User-Agent", std::string("heartbeat-run/") + HEARTBEAT_VERSION);
  return request;
}

// The bytes the server keeps of a body (its Ping-Body-Limit answer header), if it said.
std::optional<std::size_t> BodyLimit(const HttpResult& answer) {
  const std::string* value = answer.Header("ping-body-limit");
  if (value == nullptr) return std::nullopt;
  std::size_t limit = 0;
  const char* end = value->data() + value->size();
  auto [stop, error] = std::from_chars(value->data(), end, limit);
  if (error != std::errc() || stop != end) return std::nullopt;
  return limit;
}

}  // namespace

int RunJob(const RunOptions& options) {
  InstallHandlers();
  const std::string server = ServerForMessages(options.url);
  CurlHttpClient client;
  PingSender pings(client, RealClock(),
                   [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); });

  std::string rid;
  if (Result<std::string> id = NewRunId(); id.ok()) {
    rid = std::move(*id);
  } else {
    Warn(id.error().message + "; the run goes without one");
  }

  OutputTail tail(kTailBytes);
  PingOutcome start = pings.Send(PingRequest(options, StartPingUrl(options, rid)), kStartPingPolicy,
                                 "start ping", server);
  if (!start.ok) Warn(start.warning + "; the command runs anyway");
  if (std::optional<std::size_t> limit = BodyLimit(start.last);
      limit && start.ok && *limit < kTailBytes) {
    tail.SetLimit(*limit);
  }

  int code;
  if (const int sig = g_pending; sig != 0) {
    // Stopped while the start ping was on its way: the command is not started.
    std::string line = std::string(kPrefix) + SignalName(sig) + " before the command started";
    std::cerr << line << std::endl;
    tail.Append(line + "\n");
    code = 128 + sig;
  } else {
    code = RunChild(options.command, tail);
  }

  HttpRequest end = PingRequest(options, EndPingUrl(options, rid, code));
  end.headers.emplace_back("Content-Type", "text/plain");
  end.body = tail.Contents();
  PingOutcome ended = pings.Send(std::move(end), kEndPingPolicy,
                                 "exit ping (code " + std::to_string(code) + ")", server);
  if (!ended.ok) Warn(ended.warning + "; the exit code stays " + std::to_string(code));
  return code;
}

}  // namespace heartbeat::app
