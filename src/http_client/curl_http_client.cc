#include <curl/curl.h>

#include "http_client/curl_exchange.h"
#include "http_client/http_client.h"

namespace heartbeat {

CurlHttpClient::CurlHttpClient() { net_internal::EnsureCurlGlobalInit(); }

CurlHttpClient::~CurlHttpClient() = default;

namespace {

constexpr char kCancelled[] = "cancelled: heartbeat is stopping";

// libcurl's progress callback: a non-zero answer aborts the transfer.
int AbortWhenCancelled(void* cancelled, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(cancelled)->load() ? 1 : 0;
}

HttpResult Cancelled() {
  HttpResult r;
  r.error = kCancelled;
  return r;
}

}  // namespace

HttpResult CurlHttpClient::Send(const HttpRequest& request) {
  if (cancelled_.load()) return Cancelled();
  net_internal::CurlExchange exchange(request);
  if (exchange.easy() == nullptr) return exchange.Finish(CURLE_FAILED_INIT);
  curl_easy_setopt(exchange.easy(), CURLOPT_XFERINFOFUNCTION, &AbortWhenCancelled);
  curl_easy_setopt(exchange.easy(), CURLOPT_XFERINFODATA, &cancelled_);
  curl_easy_setopt(exchange.easy(), CURLOPT_NOPROGRESS, 0L);
  const CURLcode rc = curl_easy_perform(exchange.easy());
  HttpResult result = exchange.Finish(rc);
  if (rc == CURLE_ABORTED_BY_CALLBACK) result.error = kCancelled;
  return result;
}

}  // namespace heartbeat
