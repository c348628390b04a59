#pragma once
// Internal to heartbeat_net: one HTTP exchange on a curl easy handle, set up the same way
// for the blocking CurlHttpClient and the multi-interface AsyncHttpClient (TLS
// verification, timeouts, no redirects, http/https only, no signals, no Expect: 100-continue),
// collecting the final response's status, headers and body.

#include <curl/curl.h>

#include "http_client/http_client.h"

namespace heartbeat::net_internal {

// curl_global_init, once per process (it is not thread-safe itself).
void EnsureCurlGlobalInit();

// Owns the easy handle, the request (curl reads its body in place) and what is collected.
// Neither copyable nor movable: curl holds pointers into it while the transfer runs.
class CurlExchange {
 public:
  explicit CurlExchange(HttpRequest request);
  ~CurlExchange();
  CurlExchange(const CurlExchange&) = delete;
  CurlExchange& operator=(const CurlExchange&) = delete;

  // nullptr when curl_easy_init failed; Finish then reports a transport failure.
  CURL* easy() const { return easy_; }

  // The result once the transfer ended with `rc`. Call once.
  HttpResult Finish(CURLcode rc);

 private:
  static std::size_t OnBody(char* data, std::size_t size, std::size_t n, void* self);
  static std::size_t OnHeader(char* data, std::size_t size, std::size_t n, void* self);
  static curl_socket_t OnOpenSocket(void* self, curlsocktype purpose, curl_sockaddr* address);

  HttpRequest request_;
  CURL* easy_ = nullptr;
  curl_slist* headers_ = nullptr;
  char error_[CURL_ERROR_SIZE] = {};
  int socket_errno_ = 0;  // errno of a socket() that failed, else 0
  HttpResult result_;
};

// A transport failure that happened before or around curl (never names the URL).
HttpResult TransportFailure(std::string error);

}  // namespace heartbeat::net_internal
