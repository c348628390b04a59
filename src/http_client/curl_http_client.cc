#include <curl/curl.h>

#include "http_client/curl_exchange.h"
#include "http_client/http_client.h"

namespace heartbeat {

CurlHttpClient::CurlHttpClient() { net_internal::EnsureCurlGlobalInit(); }

CurlHttpClient::~CurlHttpClient() = default;

HttpResult CurlHttpClient::Send(const HttpRequest& request) {
  net_internal::CurlExchange exchange(request);
  if (exchange.easy() == nullptr) return exchange.Finish(CURLE_FAILED_INIT);
  return exchange.Finish(curl_easy_perform(exchange.easy()));
}

}  // namespace heartbeat
