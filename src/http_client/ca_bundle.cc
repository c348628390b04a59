#include "http_client/ca_bundle.h"

#include <curl/curl.h>
#include <unistd.h>

#include <cstdlib>

namespace heartbeat {

namespace {

bool Readable(const std::string& path) {
  return !path.empty() && ::access(path.c_str(), R_OK) == 0;
}

std::string CurlDefaultCaFile() {
  std::string result;
#if CURL_AT_LEAST_VERSION(7, 84, 0)
  if (CURL* curl = curl_easy_init()) {
    char* path = nullptr;
    if (curl_easy_getinfo(curl, CURLINFO_CAINFO, &path) == CURLE_OK && path != nullptr) {
      result = path;
    }
    curl_easy_cleanup(curl);
  }
#endif
  return result;
}

}  // namespace

std::string PickCaBundle(const std::string& builtin_default,
                         const std::vector<std::string>& candidates) {
  if (Readable(builtin_default)) return "";
  for (const std::string& c : candidates) {
    if (Readable(c)) return c;
  }
  return "";
}

const std::string& CaBundleOverride() {
  static const std::string chosen = [] {
    if (const char* env = std::getenv("SSL_CERT_FILE"); env != nullptr && Readable(env)) {
      return std::string(env);
    }
    return PickCaBundle(CurlDefaultCaFile(),
                        {
                            "/etc/pki/tls/certs/ca-bundle.crt",
                            "/etc/ssl/certs/ca-certificates.crt",
                            "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
                            "/etc/ssl/cert.pem",
                        });
  }();
  return chosen;
}

}  // namespace heartbeat
