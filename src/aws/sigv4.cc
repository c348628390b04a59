#include "aws/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <utility>
#include <vector>

namespace heartbeat::aws {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && Lower(a) == Lower(b);
}

std::string Hex(const unsigned char* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0xf];
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return Hex(digest, sizeof digest);
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &size);
  return std::string(reinterpret_cast<const char*>(out), size);
}

// AWS's URI encoding: unreserved bytes kept (and '/' in a path), every other byte as %XX
// in upper-case hex, a space included: Boost.URL's encoding with its defaults, as
// `heartbeat run` uses it (app/run_support.cc).
void AppendUriEncoded(std::string& out, std::string_view s, bool keep_slash) {
  if (keep_slash) {
    out += boost::urls::encode(s, boost::urls::unreserved_chars + '/');
  } else {
    out += boost::urls::encode(s, boost::urls::unreserved_chars);
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX becomes its byte; a '%' not followed by two hex digits stays a literal '%' (and is
// then signed as %25). '+' is not a space: RFC 3986, not HTML forms.
std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

struct UrlParts {
  std::string_view scheme;
  std::string_view authority;
  std::string_view path;
  std::string_view query;
};

// A lenient split (scheme://authority/path?query#fragment) rather than a validating parse:
// signing must not fail, and whatever bytes are there get encoded.
UrlParts SplitUrl(std::string_view url) {
  UrlParts parts;
  url = url.substr(0, url.find('#'));
  if (const auto p = url.find("://"); p != std::string_view::npos) {
    parts.scheme = url.substr(0, p);
    url.remove_prefix(p + 3);
    const auto end = std::min(url.find_first_of("/?"), url.size());
    parts.authority = url.substr(0, end);
    url.remove_prefix(end);
  }
  const auto q = url.find('?');
  parts.path = url.substr(0, q);
  if (q != std::string_view::npos) parts.query = url.substr(q + 1);
  return parts;
}

// Collapses runs of spaces and tabs (CR and LF count as spaces) into one space and trims
// both ends, as @smithy/signature-v4 does.
std::string CanonicalHeaderValue(std::string_view value) {
  std::string out;
  bool space = false;
  for (const char c : value) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string SigningKey(const Credentials& credentials, std::string_view date,
                       std::string_view region, std::string_view service) {
  std::string key = HmacSha256("AWS4" + credentials.secret_access_key, date);
  key = HmacSha256(key, region);
  key = HmacSha256(key, service);
  return HmacSha256(key, "aws4_request");
}

void RemoveHeader(HttpRequest& request, std::string_view name) {
  std::erase_if(request.headers, [&](const auto& h) { return EqualsIgnoreCase(h.first, name); });
}

}  // namespace

std::string AmzDate(UnixMillis now) {
  using namespace std::chrono;
  const sys_seconds t{duration_cast<seconds>(floor<seconds>(milliseconds{now}))};
  const sys_days day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buffer;
}

std::string CanonicalPath(std::string_view encoded_path) {
  if (encoded_path.empty()) encoded_path = "/";
  std::vector<std::string_view> segments;
  std::size_t pos = 0;
  while (pos <= encoded_path.size()) {
    auto end = encoded_path.find('/', pos);
    if (end == std::string_view::npos) end = encoded_path.size();
    const std::string_view segment = encoded_path.substr(pos, end - pos);
    pos = end + 1;
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
      continue;
    }
    segments.push_back(segment);
  }
  std::string normalized;
  if (encoded_path.front() == '/') normalized += '/';
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) normalized += '/';
    normalized += segments[i];
  }
  if (!segments.empty() && encoded_path.back() == '/') normalized += '/';
  // The path is already encoded once (it is the wire form); encoding it again is what AWS
  // asks of every service but S3.
  std::string out;
  AppendUriEncoded(out, normalized, /*keep_slash=*/true);
  return out;
}

std::string CanonicalQuery(std::string_view encoded_query) {
  std::vector<std::pair<std::string, std::string>> params;
  std::size_t pos = 0;
  while (pos <= encoded_query.size()) {
    auto end = encoded_query.find('&', pos);
    if (end == std::string_view::npos) end = encoded_query.size();
    const std::string_view param = encoded_query.substr(pos, end - pos);
    pos = end + 1;
    if (param.empty()) continue;
    const auto eq = param.find('=');
    std::string key;
    std::string value;
    AppendUriEncoded(key, PercentDecode(param.substr(0, eq)), false);
    if (eq != std::string_view::npos) {
      AppendUriEncoded(value, PercentDecode(param.substr(eq + 1)), false);
    }
    params.emplace_back(std::move(key), std::move(value));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out += '&';
    out += key;
    out += '=';
    out += value;
  }
  return out;
}

std::string HostOfUrl(std::string_view url) {
  const UrlParts parts = SplitUrl(url);
  std::string_view authority = parts.authority;
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  // The port starts at the last ':' unless that ':' is inside an IPv6 literal.
  const auto bracket = authority.rfind(']');
  auto colon = authority.rfind(':');
  if (colon == std::string_view::npos || (bracket != std::string_view::npos && colon < bracket)) {
    return std::string(authority);
  }
  const std::string_view host = authority.substr(0, colon);
  const std::string_view port = authority.substr(colon + 1);
  const std::string scheme = Lower(parts.scheme);
  const std::string_view default_port = scheme == "https" ? "443" : scheme == "http" ? "80" : "";
  std::string_view digits = port;
  while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
  if (port.empty() || digits == default_port) return std::string(host);
  return std::string(authority);
}

SigningParts ComputeSignature(const HttpRequest& request, const Credentials& credentials,
                              std::string_view region, std::string_view service, UnixMillis now) {
  const UrlParts url = SplitUrl(request.url);

  // Repeated headers are joined with commas, in the order they appear.
  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : request.headers) {
    auto [it, inserted] = headers.try_emplace(Lower(name), CanonicalHeaderValue(value));
    if (!inserted) {
      it->second += ',';
      it->second += CanonicalHeaderValue(value);
    }
  }
  if (!headers.contains("host")) headers.emplace("host", HostOfUrl(request.url));

  std::string canonical_headers;
  std::string signed_headers;
  for (const auto& [name, value] : headers) {
    canonical_headers += name + ':' + value + '\n';
    if (!signed_headers.empty()) signed_headers += ';';
    signed_headers += name;
  }

  SigningParts parts;
  parts.canonical_request = request.method + '\n' + CanonicalPath(url.path) + '\n' +
                            CanonicalQuery(url.query) + '\n' + canonical_headers + '\n' +
                            signed_headers + '\n' + Sha256Hex(request.body);

  const std::string date_time = AmzDate(now);
  const std::string date = date_time.substr(0, 8);
  const std::string scope =
      date + '/' + std::string(region) + '/' + std::string(service) + "/aws4_request";
  parts.string_to_sign = std::string(kAlgorithm) + '\n' + date_time + '\n' + scope + '\n' +
                         Sha256Hex(parts.canonical_request);

  const std::string key = SigningKey(credentials, date, region, service);
  const std::string signature = HmacSha256(key, parts.string_to_sign);
  parts.authorization =
      std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + '/' + scope +
      ", SignedHeaders=" + signed_headers + ", Signature=" +
      Hex(reinterpret_cast<const unsigned char*>(signature.data()), signature.size());
  return parts;
}

void SignRequest(HttpRequest& request, const Credentials& credentials, std::string_view region,
                 std::string_view service, UnixMillis now) {
  RemoveHeader(request, "authorization");
  RemoveHeader(request, "x-amz-date");
  RemoveHeader(request, "x-amz-security-token");
  request.headers.emplace_back("X-Amz-Date", AmzDate(now));
  if (!credentials.session_token.empty()) {
    request.headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  SigningParts parts = ComputeSignature(request, credentials, region, service, now);
  request.headers.emplace_back("Authorization", std::move(parts.authorization));
}

}  // namespace heartbeat::aws
