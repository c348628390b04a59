#include "http_client/curl_exchange.h"

#include "http_client/ca_bundle.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <string_view>
#include <utility>

namespace heartbeat::net_internal {
namespace {

std::once_flag g_curl_init;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// curl's messages name hosts and ports, not URLs; the URL (it may carry a token in its path)
// is cut out anyway, should a future message quote it.
std::string WithoutUrl(std::string error, const std::string& url) {
  if (url.empty()) return error;
  for (auto at = error.find(url); at != std::string::npos; at = error.find(url, at)) {
    error.replace(at, url.size(), "<url>");
  }
  return error;
}

// Whether `error` means the process (EMFILE) or the system (ENFILE) is out of descriptors.
bool OutOfDescriptors(int error) { return error == EMFILE || error == ENFILE; }

}  // namespace

void EnsureCurlGlobalInit() {
  std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

HttpResult TransportFailure(std::string error) {
  HttpResult result;
  result.error = std::move(error);
  return result;
}

CurlExchange::CurlExchange(HttpRequest request) : request_(std::move(request)) {
  easy_ = curl_easy_init();
  if (easy_ == nullptr) return;
  for (const auto& [name, value] : request_.headers) {
    headers_ = curl_slist_append(headers_, (name + ": " + value).c_str());
  }
  // No "Expect: 100-continue" round trip for small JSON bodies.
  headers_ = curl_slist_append(headers_, "Expect:");
  curl_easy_setopt(easy_, CURLOPT_URL, request_.url.c_str());
  curl_easy_setopt(easy_, CURLOPT_CUSTOMREQUEST, request_.method.c_str());
  if (request_.method != "GET") {
    curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, request_.body.data());
    curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request_.body.size()));
  }
  curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers_);
  curl_easy_setopt(easy_, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(request_.connect_timeout.count()));
  curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, static_cast<long>(request_.total_timeout.count()));
  curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYHOST, 2L);
  // Debian's libcurl, bundled into bootstrap.zip, looks for Debian's CA file, which Amazon
  // Linux does not have: the override names one that exists there.
  if (const std::string& ca = CaBundleOverride(); !ca.empty()) {
    curl_easy_setopt(easy_, CURLOPT_CAINFO, ca.c_str());
  }
  curl_easy_setopt(easy_, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy_, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(easy_, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(easy_, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(easy_, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, error_);
  curl_easy_setopt(easy_, CURLOPT_OPENSOCKETFUNCTION, OnOpenSocket);
  curl_easy_setopt(easy_, CURLOPT_OPENSOCKETDATA, this);
}

// curl's own socket() call, plus the reason it failed: curl reports a failed socket() as
// CURLE_COULDNT_CONNECT, "Couldn't connect to server", whatever errno said.
curl_socket_t CurlExchange::OnOpenSocket(void* self, curlsocktype /*purpose*/,
                                         curl_sockaddr* address) {
  curl_socket_t fd = ::socket(address->family, address->socktype, address->protocol);
  if (fd == CURL_SOCKET_BAD) static_cast<CurlExchange*>(self)->socket_errno_ = errno;
  return fd;
}

CurlExchange::~CurlExchange() {
  if (easy_ != nullptr) curl_easy_cleanup(easy_);
  curl_slist_free_all(headers_);
}

std::size_t CurlExchange::OnBody(char* data, std::size_t size, std::size_t n, void* self) {
  static_cast<CurlExchange*>(self)->result_.body.append(data, size * n);
  return size * n;
}

// curl passes one header line per call, status lines included, for every response it reads
// (a 100 Continue, then the final one): a status line starts the list over, so that only
// the final response's headers remain.
std::size_t CurlExchange::OnHeader(char* data, std::size_t size, std::size_t n, void* self) {
  auto& headers = static_cast<CurlExchange*>(self)->result_.headers;
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    headers.clear();
  } else if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
    // An obsolete folded continuation of the previous header's value.
    if (!headers.empty()) {
      auto more = Trim(line);
      if (!more.empty()) headers.back().second.append(" ").append(more);
    }
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    std::string name(Trim(line.substr(0, colon)));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    headers.emplace_back(std::move(name), std::string(Trim(line.substr(colon + 1))));
  }
  return size * n;
}

HttpResult CurlExchange::Finish(CURLcode rc) {
  if (easy_ == nullptr) return TransportFailure("curl_easy_init failed");
  if (rc != CURLE_OK) {
    // curl_easy_strerror and the error buffer name the failure, not the URL.
    std::string error =
        std::string(curl_easy_strerror(rc)) + (error_[0] ? std::string(": ") + error_ : "");
    // Out of descriptors, curl says only that it could not connect (socket() failed) or
    // resolve (its resolver thread's socketpair() failed): say why. The socket's errno is
    // exact; otherwise a descriptor we cannot open ourselves now tells.
    int cause = socket_errno_;
    if (!OutOfDescriptors(cause) &&
        (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
         rc == CURLE_COULDNT_RESOLVE_PROXY || rc == CURLE_FAILED_INIT)) {
      int probe = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0);
      if (probe >= 0) {
        ::close(probe);
      } else if (OutOfDescriptors(errno)) {
        cause = errno;
      }
    }
    if (OutOfDescriptors(cause)) {
      error += std::string(" (out of file descriptors: ") + std::strerror(cause) +
               "; raise the open-files limit)";
    }
    return TransportFailure(WithoutUrl(std::move(error), request_.url));
  }
  HttpResult result = std::move(result_);
  result.transport_ok = true;
  curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &result.status);
  return result;
}

}  // namespace heartbeat::net_internal
