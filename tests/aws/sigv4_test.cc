// The steps of SigV4 one by one, on the cases the published suite does not cover.

#include "aws/sigv4.h"
#include "aws/sigv4_suite.h"

#include <gtest/gtest.h>

#include <string>

namespace heartbeat::aws {
namespace {

int CountHeaders(const HttpRequest& r, std::string_view name) {
  int n = 0;
  for (const auto& h : r.headers) n += h.first == name;
  return n;
}

std::string Header(const HttpRequest& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "(none)";
}

TEST(AmzDate, FormatsUtcAndTruncatesMilliseconds) {
  EXPECT_EQ(AmzDate(kSuiteTime), "20150830T123600Z");
  EXPECT_EQ(AmzDate(kSuiteTime + 999), "20150830T123600Z");
  EXPECT_EQ(AmzDate(0), "19700101T000000Z");
  EXPECT_EQ(AmzDate(1709251199999), "20240229T235959Z");
  EXPECT_EQ(AmzDate(1709251200000), "20240301T000000Z");
}

TEST(CanonicalPath, EncodesTheWirePathOnceMore) {
  // The wire form of "/ሴ" and of "/example space/": what botocore's (adjusted) copies of
  // get-utf8 and get-space expect, and what @smithy/signature-v4 does.
  EXPECT_EQ(CanonicalPath("/%E1%88%B4"), "/%25E1%2588%25B4");
  EXPECT_EQ(CanonicalPath("/%20/foo"), "/%2520/foo");
  // An encoded slash is not a separator: it is encoded too.
  EXPECT_EQ(CanonicalPath("/a%2Fb"), "/a%252Fb");
  // Raw bytes that a URL should not carry are encoded once.
  EXPECT_EQ(CanonicalPath("/example space/"), "/example%20space/");
  EXPECT_EQ(CanonicalPath("/-._~AZaz09"), "/-._~AZaz09");
  EXPECT_EQ(CanonicalPath("/a+b=c!*'()"), "/a%2Bb%3Dc%21%2A%27%28%29");
}

TEST(CanonicalPath, NormalizesDotsAndEmptySegments) {
  EXPECT_EQ(CanonicalPath(""), "/");
  EXPECT_EQ(CanonicalPath("/"), "/");
  EXPECT_EQ(CanonicalPath("//"), "/");
  EXPECT_EQ(CanonicalPath("//example//"), "/example/");
  EXPECT_EQ(CanonicalPath("/./"), "/");
  EXPECT_EQ(CanonicalPath("/./example"), "/example");
  EXPECT_EQ(CanonicalPath("/example/.."), "/");
  EXPECT_EQ(CanonicalPath("/a/b/../c/./d/"), "/a/c/d/");
  EXPECT_EQ(CanonicalPath("/../../a"), "/a");
  EXPECT_EQ(CanonicalPath("/a/."), "/a");
  EXPECT_EQ(CanonicalPath("/.../a"), "/.../a");
  // Dot segments that are encoded are not dot segments.
  EXPECT_EQ(CanonicalPath("/a/%2E%2E/b"), "/a/%252E%252E/b");
}

TEST(CanonicalQuery, SortsByEncodedNameThenValue) {
  EXPECT_EQ(CanonicalQuery(""), "");
  EXPECT_EQ(CanonicalQuery("b=2&a=1&B=3"), "B=3&a=1&b=2");
  EXPECT_EQ(CanonicalQuery("a=2&a=10&a=1"), "a=1&a=10&a=2");
  // Sorting happens after encoding: '%' (0x25) sorts before letters.
  EXPECT_EQ(CanonicalQuery("z=1&%C3%A9=2"), "%C3%A9=2&z=1");
}

TEST(CanonicalQuery, DecodesThenEncodesWithAwsRules) {
  EXPECT_EQ(CanonicalQuery("a=%7e&b=~&c=%41"), "a=~&b=~&c=A");
  EXPECT_EQ(CanonicalQuery("q=a%20b"), "q=a%20b");
  EXPECT_EQ(CanonicalQuery("q=a+b"), "q=a%2Bb");  // a plus is a plus, not a space
  EXPECT_EQ(CanonicalQuery("q=%ff%e2%9c%93"), "q=%FF%E2%9C%93");
  EXPECT_EQ(CanonicalQuery("q=%zz&r=%4"), "q=%25zz&r=%254");  // not escapes: literal '%'
  EXPECT_EQ(CanonicalQuery("q=x=y"), "q=x%3Dy");
  EXPECT_EQ(CanonicalQuery("q=a/b?c"), "q=a%2Fb%3Fc");
}

TEST(CanonicalQuery, KeysWithoutValuesAndEmptyPieces) {
  EXPECT_EQ(CanonicalQuery("flag"), "flag=");
  EXPECT_EQ(CanonicalQuery("flag&a=1"), "a=1&flag=");
  EXPECT_EQ(CanonicalQuery("a=1&&b=2&"), "a=1&b=2");
  EXPECT_EQ(CanonicalQuery("=v"), "=v");
}

TEST(HostOfUrl, KeepsOnlyNonDefaultPorts) {
  EXPECT_EQ(HostOfUrl("https://dynamodb.eu-west-1.amazonaws.com/"),
            "dynamodb.eu-west-1.amazonaws.com");
  EXPECT_EQ(HostOfUrl("https://example.com:443/x"), "example.com");
  EXPECT_EQ(HostOfUrl("http://example.com:80"), "example.com");
  EXPECT_EQ(HostOfUrl("http://example.com:443/"), "example.com:443");
  EXPECT_EQ(HostOfUrl("https://example.com:80/"), "example.com:80");
  EXPECT_EQ(HostOfUrl("http://127.0.0.1:8000/"), "127.0.0.1:8000");
  EXPECT_EQ(HostOfUrl("http://localhost:8000?x=1"), "localhost:8000");
  EXPECT_EQ(HostOfUrl("http://user:pw@example.com:8080/"), "example.com:8080");
  EXPECT_EQ(HostOfUrl("http://[::1]:8000/"), "[::1]:8000");
  EXPECT_EQ(HostOfUrl("http://[::1]/"), "[::1]");
  EXPECT_EQ(HostOfUrl("https://[::1]:443/"), "[::1]");
  EXPECT_EQ(HostOfUrl("https://example.com:/"), "example.com");
}

TEST(SignRequest, SignsANonDefaultPortInTheHost) {
  HttpRequest request;
  request.method = "GET";
  request.url = "http://127.0.0.1:8000/";
  const SigningParts parts =
      ComputeSignature(request, kSuiteCredentials, "us-east-1", "dynamodb", 0);
  EXPECT_NE(parts.canonical_request.find("\nhost:127.0.0.1:8000\n"), std::string::npos)
      << parts.canonical_request;
}

TEST(SignRequest, AddsDateTokenAndAuthorizationAndSignsTheToken) {
  HttpRequest request;
  request.method = "POST";
  request.url = "https://dynamodb.us-east-1.amazonaws.com/";
  request.headers = {{"Content-Type", "application/x-amz-json-1.0"},
                     {"X-Amz-Target", "DynamoDB_20120810.GetItem"}};
  request.body = "{}";
  Credentials credentials = kSuiteCredentials;
  credentials.session_token = "TOKEN/with+chars==";
  SignRequest(request, credentials, "us-east-1", "dynamodb", kSuiteTime);
  EXPECT_EQ(Header(request, "X-Amz-Date"), "20150830T123600Z");
  EXPECT_EQ(Header(request, "X-Amz-Security-Token"), "TOKEN/with+chars==");
  const std::string authorization = Header(request, "Authorization");
  EXPECT_EQ(
      authorization.rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/dynamodb/"
                          "aws4_request, SignedHeaders=content-type;host;x-amz-date;"
                          "x-amz-security-token;x-amz-target, Signature=",
                          0),
      0u)
      << authorization;
  EXPECT_EQ(authorization.size(), authorization.find("Signature=") + 10 + 64);
}

TEST(SignRequest, WithoutATokenAddsNoTokenHeader) {
  HttpRequest request;
  request.url = "https://ssm.eu-west-1.amazonaws.com/";
  SignRequest(request, kSuiteCredentials, "eu-west-1", "ssm", kSuiteTime);
  EXPECT_EQ(CountHeaders(request, "X-Amz-Security-Token"), 0);
  EXPECT_EQ(request.headers.size(), 2u);
}

TEST(SignRequest, SigningAgainReplacesThePreviousSignature) {
  HttpRequest request;
  request.url = "https://dynamodb.us-east-1.amazonaws.com/";
  request.body = "{}";
  Credentials credentials = kSuiteCredentials;
  credentials.session_token = "old";
  SignRequest(request, credentials, "us-east-1", "dynamodb", kSuiteTime);
  // A retry a second later with refreshed credentials; old headers in another case too.
  request.headers.emplace_back("authorization", "stale");
  request.headers.emplace_back("x-amz-date", "19990101T000000Z");
  credentials.session_token = "new";
  SignRequest(request, credentials, "us-east-1", "dynamodb", kSuiteTime + 1000);
  EXPECT_EQ(request.headers.size(), 3u);
  EXPECT_EQ(Header(request, "X-Amz-Date"), "20150830T123601Z");
  EXPECT_EQ(Header(request, "X-Amz-Security-Token"), "new");

  HttpRequest fresh;
  fresh.url = request.url;
  fresh.body = request.body;
  SignRequest(fresh, credentials, "us-east-1", "dynamodb", kSuiteTime + 1000);
  EXPECT_EQ(Header(request, "Authorization"), Header(fresh, "Authorization"));
}

TEST(SignRequest, AnExplicitHostHeaderWinsOverTheUrl) {
  HttpRequest request;
  request.method = "GET";
  request.url = "http://127.0.0.1:8000/";
  request.headers = {{"Host", "dynamodb.us-east-1.amazonaws.com"}};
  const SigningParts parts =
      ComputeSignature(request, kSuiteCredentials, "us-east-1", "dynamodb", 0);
  EXPECT_NE(parts.canonical_request.find("\nhost:dynamodb.us-east-1.amazonaws.com\n\nhost\n"),
            std::string::npos)
      << parts.canonical_request;
}

TEST(SignRequest, CanonicalHeadersTrimCollapseAndJoinRepeatsInOrder) {
  HttpRequest request;
  request.method = "GET";
  request.url = "https://example.amazonaws.com/";
  request.headers = {{"My-Header", "  b   c  "},
                     {"X-Empty", ""},
                     {"my-header", "\ta\t\tz "},
                     {"MY-HEADER", "last"}};
  const SigningParts parts =
      ComputeSignature(request, kSuiteCredentials, "us-east-1", "service", 0);
  EXPECT_EQ(parts.canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nmy-header:b c,a z,last\nx-empty:\n\n"
            "host;my-header;x-empty\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(SignRequest, TheFragmentIsNotSigned) {
  HttpRequest a;
  a.url = "https://example.amazonaws.com/p?q=1#frag";
  HttpRequest b;
  b.url = "https://example.amazonaws.com/p?q=1";
  EXPECT_EQ(ComputeSignature(a, kSuiteCredentials, "us-east-1", "service", 0).authorization,
            ComputeSignature(b, kSuiteCredentials, "us-east-1", "service", 0).authorization);
}

TEST(SignRequest, EveryInputChangesTheSignature) {
  HttpRequest base;
  base.url = "https://example.amazonaws.com/p?q=1";
  base.body = "body";
  const std::string reference =
      ComputeSignature(base, kSuiteCredentials, "us-east-1", "service", kSuiteTime).authorization;
  auto sig = [](const HttpRequest& r, const Credentials& c, std::string_view region,
                std::string_view service, UnixMillis now) {
    const std::string a = ComputeSignature(r, c, region, service, now).authorization;
    return a.substr(a.find("Signature="));
  };
  const std::string base_sig = sig(base, kSuiteCredentials, "us-east-1", "service", kSuiteTime);
  HttpRequest r = base;
  r.body = "Body";
  EXPECT_NE(sig(r, kSuiteCredentials, "us-east-1", "service", kSuiteTime), base_sig);
  r = base;
  r.method = "GET";
  EXPECT_NE(sig(r, kSuiteCredentials, "us-east-1", "service", kSuiteTime), base_sig);
  r = base;
  r.url = "https://example.amazonaws.com/p?q=2";
  EXPECT_NE(sig(r, kSuiteCredentials, "us-east-1", "service", kSuiteTime), base_sig);
  Credentials other = kSuiteCredentials;
  other.secret_access_key[0] = 'X';
  EXPECT_NE(sig(base, other, "us-east-1", "service", kSuiteTime), base_sig);
  EXPECT_NE(sig(base, kSuiteCredentials, "us-east-2", "service", kSuiteTime), base_sig);
  EXPECT_NE(sig(base, kSuiteCredentials, "us-east-1", "dynamodb", kSuiteTime), base_sig);
  EXPECT_NE(sig(base, kSuiteCredentials, "us-east-1", "service", kSuiteTime + 1000), base_sig);
  EXPECT_EQ(sig(base, kSuiteCredentials, "us-east-1", "service", kSuiteTime + 999), base_sig);
  EXPECT_NE(reference.find("Credential=AKIDEXAMPLE/20150830/"), std::string::npos);
}

}  // namespace
}  // namespace heartbeat::aws
