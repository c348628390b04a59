#include <curl/curl.h>

#include "net/curl_exchange.h"
#include "net/http_client.h"

namespace heartbeat {

CurlHttpClient::CurlHttpClient() { net_internal::EnsureCurlGlobalInit(); }

CurlHttpClient::~CurlHttpClient() = default;

HttpResult CurlHttpClient::Send(const HttpRequest& request) {
  net_internal::CurlExchange exchange(request);
  if (exchange.easy() == nullptr) return exchange.Finish(CURLE_FAILED_INIT);
  return exchange.Finish(curl_easy_perform(exchange.easy()));
}

}  // namespace heartbeat
