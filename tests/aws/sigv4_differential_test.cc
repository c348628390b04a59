// Differential test against the official JavaScript signer: a few hundred seeded
// pseudo-random requests, signed here and by @smithy/signature-v4 (through
// tests/aws/sigv4_reference.mjs, one node process for all of them), must get byte-identical
// X-Amz-Date, X-Amz-Security-Token and Authorization headers.
//
// node and the npm packages in tests/tools are required: without them the test fails and
// says to run scripts/install-deps.sh.

#include <gtest/gtest.h>

#include <unistd.h>

#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "aws/sigv4.h"

namespace heartbeat::aws {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr int kCases = 400;
constexpr std::uint32_t kSeed = 20150830;

// Deterministic on every standard library: the engine is specified, the distributions are
// not, so we take the engine's output modulo n.
class Rng {
 public:
  explicit Rng(std::uint32_t seed) : engine_(seed) {}
  std::size_t Below(std::size_t n) { return static_cast<std::size_t>(engine_() % n); }
  bool OneIn(std::size_t n) { return Below(n) == 0; }
  template <class T>
  const T& Pick(const std::vector<T>& v) {
    return v[Below(v.size())];
  }

 private:
  std::mt19937 engine_;
};

std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n = (std::uint32_t(std::uint8_t(bytes[i])) << 16) |
                   (std::uint32_t(std::uint8_t(bytes[i + 1])) << 8) | std::uint8_t(bytes[i + 2]);
    for (int s : {18, 12, 6, 0}) out += kAlphabet[(n >> s) & 63];
  }
  if (i + 1 == bytes.size()) {
    const auto n = std::uint32_t(std::uint8_t(bytes[i])) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const auto n = (std::uint32_t(std::uint8_t(bytes[i])) << 16) |
                   (std::uint32_t(std::uint8_t(bytes[i + 1])) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

struct Case {
  HttpRequest request;
  Credentials credentials;
  std::string region;
  std::string service;
  UnixMillis now = 0;
};

// Path segments: dot segments, empty ones (from "//"), already-encoded bytes (upper and
// lower case hex, an encoded slash), UTF-8 encoded and raw, sub-delimiters, '~', '+', '='.
const std::vector<std::string> kSegments = {
    "",          ".",
    "..",        "a",
    "Items",     "b%20c",
    "%E2%82%AC", "caf%c3%a9",
    "~user",     "a+b",
    "k=v",       "%2F",
    "%2f",       "%7E",
    "%41",       "x.y",
    "-_",        "!$&'()*,;:@",
    "%25",       "2015-08-30",
    "\xC3\xA9",  "%F0%9F%98%80",
    "...",       "a b",
};
const std::vector<std::string> kQueryKeys = {
    "a",   "A",   "b",   "Action", "x-id",   "%C3%A9t%C3%A9", "key%20sp",  "k+plus",       "~t",
    "a.b", "%2B", "%26", "%3D",    "Param1", "param1",        "%e2%9c%93", "\xE2\x9C\x93", "a%2Fb",
    "!",   "*",   "%7e",
};
const std::vector<std::string> kQueryValues = {
    "",      "1",        "v%20w",  "%E2%9C%93", "a+b",       "%2F%3F", "~",
    "hello", "x=y",      "%25",    "Value1",    "value1",    "()",     "%3d",
    "a/b?c", "\xC3\xBC", "%20%20", "--._~",     "2015%3A08",
};
const std::vector<std::string> kHeaderNames = {
    "Content-Type",     "X-Amz-Target",    "x-custom",        "X-Custom", "My-Header", "Accept",
    "content-encoding", "X-Amz-Meta-Note", "x-amz-meta-note", "ZZ-Last",  "a",
};
const std::vector<std::string> kHeaderValues = {
    "application/x-amz-json-1.0",
    "  leading spaces",
    "trailing spaces   ",
    "a   b    c",
    "\tx\t\t y ",
    "",
    "   ",
    "\xC3\xBC utf-8 \xE2\x9C\x93",
    "v1,v2",
    "DynamoDB_20120810.PutItem",
    "\"a   b   c\"",
    "value1",
    "VALUE2",
};
const std::vector<std::string> kBodies = {
    "",
    "{}",
    "{\"TableName\":\"heartbeat\",\"Key\":{\"pk\":{\"S\":\"m#caf\xC3\xA9\"}}}",
    "Param1=value1",
    "\xE2\x9C\x93 \xF0\x9F\x98\x80 line\nbreak\r\n",
};
const std::vector<std::string> kHosts = {
    "https://dynamodb.us-east-1.amazonaws.com",
    "https://ssm.eu-west-1.amazonaws.com",
    "http://127.0.0.1:8000",
    "http://localhost:4567",
    "https://example.amazonaws.com:443",
    "http://example.amazonaws.com:80",
    "https://example.amazonaws.com:8443",
    "https://dynamodb.cn-north-1.amazonaws.com.cn",
};
const std::vector<std::string> kMethods = {"GET", "POST", "PUT", "DELETE", "HEAD"};
const std::vector<std::string> kServices = {"dynamodb", "ssm"};
const std::vector<std::string> kRegions = {"us-east-1", "eu-west-1", "cn-north-1", "ap-southeast-2",
                                           "us-gov-west-1"};

std::string RandomSecret(Rng& rng, std::size_t size) {
  static const std::string kChars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string s;
  for (std::size_t i = 0; i < size; ++i) s += kChars[rng.Below(kChars.size())];
  return s;
}

Case Generate(Rng& rng) {
  Case c;
  std::string url = rng.Pick(kHosts);
  // The path: a few segments, sometimes a leading "//", sometimes a trailing slash, and
  // sometimes none at all (the URL ends after the host).
  if (!rng.OneIn(12)) {
    url += rng.OneIn(6) ? "//" : "/";
    const std::size_t n = rng.Below(6);
    for (std::size_t i = 0; i < n; ++i) {
      if (i > 0) url += '/';
      url += rng.Pick(kSegments);
    }
    if (n > 0 && rng.OneIn(3)) url += '/';
  }
  if (!rng.OneIn(3)) {
    url += '?';
    const std::size_t n = rng.Below(6);
    std::string previous_key;
    for (std::size_t i = 0; i < n; ++i) {
      if (i > 0) url += rng.OneIn(15) ? "&&" : "&";
      // Repeated keys are common: reuse the previous one half the time.
      const std::string key = (i > 0 && rng.OneIn(2)) ? previous_key : rng.Pick(kQueryKeys);
      previous_key = key;
      url += key;
      if (!rng.OneIn(6)) url += '=' + rng.Pick(kQueryValues);  // else a key without '='
    }
  }
  if (rng.OneIn(20)) url += "#fragment";
  c.request.url = url;
  c.request.method = rng.Pick(kMethods);
  const std::size_t headers = rng.Below(6);
  for (std::size_t i = 0; i < headers; ++i) {
    // Repeated headers, sometimes in another case.
    const std::string name =
        (i > 0 && rng.OneIn(3)) ? c.request.headers.back().first : rng.Pick(kHeaderNames);
    c.request.headers.emplace_back(name, rng.Pick(kHeaderValues));
  }
  c.request.body = rng.Pick(kBodies);
  if (rng.OneIn(8)) {  // arbitrary bytes
    c.request.body.clear();
    for (std::size_t i = rng.Below(64); i > 0; --i) c.request.body += char(rng.Below(256));
  }
  c.credentials.access_key_id = "AKIA" + RandomSecret(rng, 16);
  c.credentials.secret_access_key = RandomSecret(rng, 40);
  if (rng.OneIn(2)) c.credentials.session_token = RandomSecret(rng, 24 + rng.Below(300));
  c.service = rng.Pick(kServices);
  c.region = rng.Pick(kRegions);
  // 2015 to 2035, with milliseconds; now and then just before midnight or a leap day.
  c.now = 1420070400000 + static_cast<UnixMillis>(rng.Below(20u * 365 * 24 * 3600)) * 1000 +
          static_cast<UnixMillis>(rng.Below(1000));
  if (rng.OneIn(10)) c.now = 1709251199999;  // 2024-02-29T23:59:59.999Z
  return c;
}

std::optional<std::string> HeaderValue(const HttpRequest& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return std::nullopt;
}

std::string Describe(const Case& c) {
  std::ostringstream s;
  s << c.request.method << " " << c.request.url << "\n";
  for (const auto& [n, v] : c.request.headers) s << "  [" << n << ": " << v << "]\n";
  s << "  body " << c.request.body.size() << " bytes, " << c.service << " " << c.region << " at "
    << c.now << (c.credentials.session_token.empty() ? "" : ", with a token");
  return s.str();
}

TEST(SigV4Differential, MatchesSmithySignatureV4ByteForByte) {
  const fs::path source(HEARTBEAT_SOURCE_DIR);
  const fs::path script = source / "tests/aws/sigv4_reference.mjs";
  ASSERT_TRUE(fs::exists(source / "tests/tools/node_modules/@smithy/signature-v4/package.json"))
      << "the npm test tools are not installed: run scripts/install-deps.sh";
  ASSERT_EQ(std::system("command -v node >/dev/null 2>&1"), 0)
      << "node is not on PATH: run scripts/install-deps.sh";

  Rng rng(kSeed);
  std::vector<Case> cases;
  json::array input;
  for (int i = 0; i < kCases; ++i) {
    Case c = Generate(rng);
    json::array headers;
    for (const auto& [n, v] : c.request.headers) headers.push_back(json::array{n, v});
    input.push_back(json::object{
        {"method", c.request.method},
        {"url", c.request.url},
        {"headers", std::move(headers)},
        {"body_base64", Base64(c.request.body)},
        {"access_key_id", c.credentials.access_key_id},
        {"secret_access_key", c.credentials.secret_access_key},
        {"session_token", c.credentials.session_token},
        {"region", c.region},
        {"service", c.service},
        {"now_ms", c.now},
    });
    cases.push_back(std::move(c));
  }

  const fs::path dir =
      fs::path(testing::TempDir()) / ("sigv4_differential_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path in_path = dir / "requests.json";
  const fs::path out_path = dir / "signed.json";
  const fs::path err_path = dir / "stderr.txt";
  std::ofstream(in_path, std::ios::binary) << json::serialize(input);
  const std::string command = "node '" + script.string() + "' < '" + in_path.string() + "' > '" +
                              out_path.string() + "' 2> '" + err_path.string() + "'";
  const int status = std::system(command.c_str());
  std::ostringstream err;
  err << std::ifstream(err_path).rdbuf();
  ASSERT_EQ(status, 0) << "the reference signer failed (run scripts/install-deps.sh if the npm "
                          "packages are missing):\n"
                       << err.str();
  std::ostringstream out;
  out << std::ifstream(out_path).rdbuf();
  fs::remove_all(dir);
  const json::array expected = json::parse(out.str()).as_array();
  ASSERT_EQ(expected.size(), cases.size());

  int mismatches = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    HttpRequest signed_request = c.request;
    SignRequest(signed_request, c.credentials, c.region, c.service, c.now);
    const json::object& e = expected[i].as_object();
    const std::string want_authorization(e.at("authorization").as_string());
    const std::string want_date(e.at("x_amz_date").as_string());
    const std::optional<std::string> want_token =
        e.at("x_amz_security_token").is_null()
            ? std::nullopt
            : std::optional<std::string>(std::string(e.at("x_amz_security_token").as_string()));
    const bool same = HeaderValue(signed_request, "Authorization") == want_authorization &&
                      HeaderValue(signed_request, "X-Amz-Date") == want_date &&
                      HeaderValue(signed_request, "X-Amz-Security-Token") == want_token;
    if (!same && ++mismatches <= 10) {
      HttpRequest bare = signed_request;
      std::erase_if(bare.headers, [](const auto& h) { return h.first == "Authorization"; });
      ADD_FAILURE()
          << "case " << i << ": " << Describe(c)
          << "\n  ours:   " << HeaderValue(signed_request, "Authorization").value_or("(none)")
          << "\n  smithy: " << want_authorization << "\n  our canonical request:\n"
          << ComputeSignature(bare, c.credentials, c.region, c.service, c.now).canonical_request;
    }
  }
  EXPECT_EQ(mismatches, 0) << "of " << cases.size() << " requests";
}

}  // namespace
}  // namespace heartbeat::aws
