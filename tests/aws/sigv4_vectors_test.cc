// The published AWS SigV4 test suite (tests/aws/sigv4-vectors/, see its README): each
// request is signed in header form and its canonical request, string to sign and
// Authorization header compared with the published ones.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "aws/sigv4.h"
#include "aws/sigv4_suite.h"

namespace heartbeat::aws {
namespace {

namespace fs = std::filesystem;

// Cases that cannot be expressed as our HttpRequest, and why.
const std::map<std::string, std::string>& Skipped() {
  static const std::map<std::string, std::string> skipped = {
      {"get-header-value-multiline",
       "an obs-folded header value (continuation lines): a value of ours is one line on the "
       "wire, and the suite's answer (value1,value2,value3) treats the folds as repeated "
       "headers, which no header list can say"},
  };
  return skipped;
}

// Two cases of the suite contradict themselves: their .sts and .authz were computed from
// another request than their .req and .creq show (found by hashing candidates until one
// gave the published .sts): without the Content-Length header, and for the -parameters
// case with "charset=utf8" instead of "charset=utf-8". Their .creq is checked against the
// .req as published, their .sts and signature against the request they were computed from.
const std::map<std::string, std::vector<std::pair<std::string, std::string>>>& StsComputedFrom() {
  static const std::map<std::string, std::vector<std::pair<std::string, std::string>>> m = {
      {"post-x-www-form-urlencoded", {{"Content-Type", "application/x-www-form-urlencoded"}}},
      {"post-x-www-form-urlencoded-parameters",
       {{"Content-Type", "application/x-www-form-urlencoded; charset=utf8"}}},
  };
  return m;
}

std::optional<std::string> HeaderNamed(const HttpRequest& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return std::nullopt;
}

// The steps of the signature of a signed request (its Authorization header left out).
SigningParts Steps(HttpRequest signed_request, const Credentials& credentials) {
  std::erase_if(signed_request.headers, [](const auto& h) { return h.first == "Authorization"; });
  return ComputeSignature(signed_request, credentials, "us-east-1", "service", kSuiteTime);
}

fs::path VectorDir() { return fs::path(HEARTBEAT_SOURCE_DIR) / "tests/aws/sigv4-vectors"; }

std::optional<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct ParsedReq {
  std::string method;
  std::string target;  // path and query, as on the request line
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool folded = false;  // a header continued on the next line
};

ParsedReq ParseReq(const std::string& text) {
  ParsedReq req;
  std::vector<std::string> lines;
  std::size_t pos = 0;
  std::size_t body_start = std::string::npos;
  while (pos <= text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    pos = end + 1;
    if (line.empty() && !lines.empty()) {
      body_start = pos;
      break;
    }
    lines.push_back(line);
  }
  if (body_start != std::string::npos && body_start <= text.size()) {
    req.body = text.substr(body_start);
  }
  // The target may hold a space (get-space): it runs from the first space to the last one.
  const std::string& first = lines.at(0);
  const auto sp1 = first.find(' ');
  const auto sp2 = first.rfind(' ');
  req.method = first.substr(0, sp1);
  req.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.front() == ' ' || line.front() == '\t') {
      req.folded = true;
      req.headers.back().second += "\n" + line;
      continue;
    }
    const auto colon = line.find(':');
    req.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  return req;
}

std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(VectorDir())) {
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

TEST(SigV4TestSuite, HasTheCasesWeExpect) {
  // A vector folder lost or renamed must not make the suite pass by checking less.
  const auto names = CaseNames();
  EXPECT_EQ(names.size(), 31u);
  for (const char* name :
       {"get-vanilla", "get-vanilla-query-order-key-case", "get-utf8", "get-space", "get-slashes",
        "get-relative-relative", "post-sts-header-before", "post-x-www-form-urlencoded"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
}

class SigV4TestSuiteCase : public testing::TestWithParam<std::string> {};

TEST_P(SigV4TestSuiteCase, MatchesThePublishedSignature) {
  const std::string name = GetParam();
  if (auto it = Skipped().find(name); it != Skipped().end()) {
    GTEST_SKIP() << it->second;
  }
  const fs::path dir = VectorDir() / name;
  const auto req_text = ReadFile(dir / (name + ".req"));
  const auto authz = ReadFile(dir / (name + ".authz"));
  ASSERT_TRUE(req_text && authz) << "missing " << dir;
  const ParsedReq parsed = ParseReq(*req_text);
  ASSERT_FALSE(parsed.folded) << "a folded header: add the case to Skipped() with a reason";

  HttpRequest request;
  request.method = parsed.method;
  request.body = parsed.body;
  Credentials credentials = kSuiteCredentials;
  std::string host;
  for (const auto& [header, value] : parsed.headers) {
    if (IEquals(header, "host")) {
      host = value;  // the signer takes the host from the URL
    } else if (IEquals(header, "x-amz-date")) {
      ASSERT_EQ(value, "20150830T123600Z");  // the signer adds it
    } else if (IEquals(header, "x-amz-security-token")) {
      credentials.session_token = value;  // the signer adds it from the credentials
    } else {
      request.headers.emplace_back(header, value);
    }
  }
  ASSERT_FALSE(host.empty());
  request.url = "https://" + host + parsed.target;

  // The canonical request, where the suite publishes it (every case but get-utf8 and
  // get-space), from the request exactly as published.
  HttpRequest signed_request = request;
  SignRequest(signed_request, credentials, "us-east-1", "service", kSuiteTime);
  EXPECT_EQ(HeaderNamed(signed_request, "X-Amz-Date"), "20150830T123600Z");
  if (const auto creq = ReadFile(dir / (name + ".creq"))) {
    EXPECT_EQ(Steps(signed_request, credentials).canonical_request, *creq);
  }

  // The string to sign and the Authorization header.
  if (auto it = StsComputedFrom().find(name); it != StsComputedFrom().end()) {
    request.headers = it->second;
    signed_request = request;
    SignRequest(signed_request, credentials, "us-east-1", "service", kSuiteTime);
  }
  if (const auto sts = ReadFile(dir / (name + ".sts"))) {
    EXPECT_EQ(Steps(signed_request, credentials).string_to_sign, *sts);
  }
  const std::string authorization = HeaderNamed(signed_request, "Authorization").value_or("");
  if (StsComputedFrom().contains(name)) {
    // The -parameters .authz even lists content-length among its SignedHeaders, which its
    // signature did not sign: of these two, compare the signatures.
    EXPECT_EQ(authorization.substr(authorization.find("Signature=")),
              authz->substr(authz->find("Signature=")));
  } else {
    EXPECT_EQ(authorization, *authz);
  }
}

INSTANTIATE_TEST_SUITE_P(Published, SigV4TestSuiteCase, testing::ValuesIn(CaseNames()),
                         [](const testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

}  // namespace
}  // namespace heartbeat::aws
