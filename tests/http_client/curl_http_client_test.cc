// The blocking CurlHttpClient against the loopback server: response headers (of the final
// response only) next to status and body.

#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "support/sanitizers.h"

#include <algorithm>
#include <chrono>
#include <string>

#include "http_client/http_client.h"
#include "support/loopback_http_server.h"

namespace heartbeat {
namespace {

using testing::LoopbackHttpServer;
using testing::LoopbackReply;
using testing::LoopbackRequest;

TEST(CurlHttpClient, ReturnsResponseHeaders) {
  LoopbackHttpServer server([](const LoopbackRequest&) {
    LoopbackReply reply = LoopbackReply::With(400, R"({"__type":"ValidationException"})");
    reply.headers = {{"X-Amzn-RequestId", "req-7"}, {"Content-Type", "application/json"}};
    return reply;
  });
  CurlHttpClient client;
  HttpRequest request;
  request.url = server.url() + "/";
  request.body = "{}";
  HttpResult r = client.Send(request);
  ASSERT_TRUE(r.transport_ok) << r.error;
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"__type":"ValidationException"})");
  ASSERT_NE(r.Header("x-amzn-requestid"), nullptr);
  EXPECT_EQ(*r.Header("x-amzn-requestid"), "req-7");
  ASSERT_NE(r.Header("content-type"), nullptr);
  EXPECT_EQ(*r.Header("content-type"), "application/json");
  ASSERT_NE(r.Header("content-length"), nullptr);
  EXPECT_EQ(r.Header("missing"), nullptr);
}

TEST(CurlHttpClient, KeepsOnlyTheFinalResponsesHeaders) {
  LoopbackHttpServer server([](const LoopbackRequest&) {
    LoopbackReply reply = LoopbackReply::Ok("done");
    reply.interim_continue = true;
    reply.headers = {{"X-Final", "yes"}};
    return reply;
  });
  CurlHttpClient client;
  HttpRequest request;
  request.url = server.url() + "/";
  request.body = "{}";
  HttpResult r = client.Send(request);
  ASSERT_TRUE(r.transport_ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "done");
  EXPECT_EQ(r.Header("x-interim"), nullptr);
  ASSERT_NE(r.Header("x-final"), nullptr);
  EXPECT_EQ(*r.Header("x-final"), "yes");
}

TEST(CurlHttpClient, HangUpIsATransportFailureWithoutTheUrl) {
  LoopbackHttpServer server(
      [](const LoopbackRequest&) { return LoopbackReply::CloseWithoutAnswer(); });
  CurlHttpClient client;
  HttpRequest request;
  request.url = server.url() + "/bot123:secret/sendMessage";
  HttpResult r = client.Send(request);
  EXPECT_FALSE(r.transport_ok);
  EXPECT_FALSE(r.error.empty());
  EXPECT_EQ(r.error.find("secret"), std::string::npos) << r.error;
  EXPECT_TRUE(r.headers.empty());
}

// Issue #14: out of descriptors, curl's socket() fails and it says only "Couldn't connect to
// server". The send runs in a child process whose every descriptor is taken.
TEST(CurlHttpClient, OutOfFileDescriptorsIsNamed) {
  HEARTBEAT_SKIP_UNDER_ASAN();
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(out[0]);
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, 64);
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) ::_exit(2);
    CurlHttpClient client;  // curl's global set-up (OpenSSL's) before every descriptor is taken
    while (::dup(out[1]) >= 0) {
    }
    HttpRequest request;
    request.method = "GET";
    request.url = "http://127.0.0.1:9/bot123:secret/sendMessage";
    request.connect_timeout = std::chrono::milliseconds(2000);
    request.total_timeout = std::chrono::milliseconds(3000);
    HttpResult r = client.Send(request);
    std::string report = (r.transport_ok ? "ok: " : "failed: ") + r.error;
    ssize_t ignored = ::write(out[1], report.data(), report.size());
    (void)ignored;
    ::_exit(0);
  }
  ::close(out[1]);
  std::string report;
  char buf[512];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) report.append(buf, n);
  ::close(out[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(report.rfind("failed: ", 0), 0u) << report;
  EXPECT_NE(report.find("out of file descriptors: Too many open files"), std::string::npos)
      << report;
  EXPECT_EQ(report.find("secret"), std::string::npos) << report;
}

}  // namespace
}  // namespace heartbeat
