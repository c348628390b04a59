// The blocking CurlHttpClient against the loopback server: response headers (of the final
// response only) next to status and body.

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace heartbeat
