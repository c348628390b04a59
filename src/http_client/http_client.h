#pragma once
// Outbound HTTP, behind an interface so that notifiers and AWS clients can be tested
// against fakes that speak real HTTP on 127.0.0.1.

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace heartbeat {

struct HttpRequest {
  std::string method = "POST";
  std::string url;  // may carry a secret (the Telegram token): never log it
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout{15000};
};

struct HttpResult {
  bool transport_ok = false;  // false: no HTTP answer (refused, reset, timeout, TLS failure)
  long status = 0;
  std::string body;
  // Response headers, names lower-cased, in the order received.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string error;  // transport failure, without the URL

  // The first header of that (lower-case) name, or nullptr.
  const std::string* Header(std::string_view lower_name) const {
    for (const auto& [name, value] : headers) {
      if (name == lower_name) return &value;
    }
    return nullptr;
  }
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Blocking: call it from a thread that may wait (never an I/O thread). Thread-safe.
  virtual HttpResult Send(const HttpRequest& request) = 0;
};

// libcurl: HTTPS with certificate and host verification, connect and total timeouts,
// no redirects, no proxies from the environment unless curl's own variables say so.
class CurlHttpClient final : public HttpClient {
 public:
  CurlHttpClient();
  ~CurlHttpClient() override;
  HttpResult Send(const HttpRequest& request) override;

  // For a process that is stopping: every transfer in progress ends within about a second
  // (libcurl's progress callback) and every later Send fails at once, each as a transport
  // failure saying so, so that nothing waits out a hung receiver's timeout. Thread-safe;
  // there is no undoing it.
  void CancelAll() { cancelled_.store(true); }

 private:
  std::atomic<bool> cancelled_{false};
};

}  // namespace heartbeat
