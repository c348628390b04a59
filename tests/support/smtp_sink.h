#pragma once
// A real SMTP server on 127.0.0.1 for the e-mail tests: tests/support/smtp_sink.py (Debian's
// python3-aiosmtpd, from scripts/install-deps.sh) as a child process. It writes each message
// it accepts as a JSON file; Messages() reads them back. Recipients starting with "reject"
// are refused with 550, with "later" with 451. With TLS, it offers STARTTLS (and requires
// it) with a self-signed certificate for 127.0.0.1 made by the openssl command; with a
// login, it requires it (over TLS only).

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.h"

extern char** environ;

namespace heartbeat::testing {

struct SmtpSinkOptions {
  bool tls = false;
  bool implicit_tls = false;  // with tls: TLS from the first byte (smtps) instead of STARTTLS
  std::string login;          // "user:password", or empty for none
};

class SmtpSink {
 public:
  explicit SmtpSink(SmtpSinkOptions options = {}) {
    std::filesystem::create_directory(dir_.file("mail"));
    std::vector<std::string> args = {
        "/usr/bin/python3",
        std::string(HEARTBEAT_SOURCE_DIR) + "/tests/support/smtp_sink.py",
        "--port-file",
        dir_.file("port"),
        "--dir",
        dir_.file("mail")};
    if (options.tls) {
      const std::string cmd =
          "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "
          "-addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout " +
          dir_.file("key.pem") + " -out " + dir_.file("cert.pem") + " >/dev/null 2>&1";
      if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl req failed");
      args.insert(args.end(), {"--tls", dir_.file("cert.pem"), dir_.file("key.pem")});
      if (options.implicit_tls) args.push_back("--implicit-tls");
    }
    if (!options.login.empty()) args.insert(args.end(), {"--auth", options.login});
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // The server's own log (a refused TLS handshake is a traceback there) goes to a file.
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string log = dir_.file("log");
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const int spawned = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) throw std::runtime_error("cannot start " + args[1]);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      std::ifstream in(dir_.file("port"));
      if (in >> port_) return;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("smtp_sink.py exited (is python3-aiosmtpd installed?): " +
                                 ReadLog());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("smtp_sink.py did not listen within 15 s");
  }
  ~SmtpSink() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  unsigned short port() const { return port_; }
  std::string host_port() const { return "127.0.0.1:" + std::to_string(port_); }
  // The certificate to trust (TLS only).
  std::string cert_file() const { return dir_.file("cert.pem"); }

  // Every message accepted, in order (each a JSON object: see smtp_sink.py).
  std::vector<boost::json::value> Messages() const {
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir_.file("mail"))) {
      if (entry.path().extension() == ".json") files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    std::vector<boost::json::value> out;
    for (const std::string& f : files) {
      std::ifstream in(f);
      std::stringstream ss;
      ss << in.rdbuf();
      out.push_back(boost::json::parse(ss.str()));
    }
    return out;
  }

 private:
  std::string ReadLog() const {
    std::ifstream in(dir_.file("log"));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  TempDir dir_;
  pid_t pid_ = -1;
  unsigned short port_ = 0;
};

}  // namespace heartbeat::testing
