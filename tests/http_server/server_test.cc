// The HTTP server itself, on loopback: size limits, malformed requests, keep-alive,
// pipelining, 100-continue, HTTP/1.0, deadlines, the connection limit, graceful shutdown
// and bind addresses. Raw sockets with deadlines on every read, so that a server that does
// not answer fails a test instead of hanging it.

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include "support/captured_log.h"
#include "support/sanitizers.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/time_format.h"
#include "support/test_server.h"

namespace heartbeat {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace json = boost::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
using testing::HttpResponse;
using testing::TestServer;

constexpr std::size_t kMiB = 1024 * 1024;

milliseconds Since(steady_clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
}

// A raw TCP connection to 127.0.0.1 with deadlines on every read.
class RawConn {
 public:
  explicit RawConn(unsigned short port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~RawConn() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;

  bool connected() const { return connected_; }

  // Sends every byte; false when the peer has gone (reset, broken pipe).
  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads one response. nullopt when the connection ends or the deadline passes first.
  std::optional<HttpResponse> Read(milliseconds timeout = milliseconds(5000), bool head = false) {
    auto deadline = steady_clock::now() + timeout;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.eager(true);
    parser.skip(head);
    parser.body_limit(64 * kMiB);
    for (;;) {
      if (!buffer_.empty()) {
        boost::system::error_code ec;
        std::size_t used = parser.put(asio::buffer(buffer_), ec);
        buffer_.erase(0, used);
        if (ec && ec != bhttp::error::need_more) {
          ADD_FAILURE() << "unparsable response: " << ec.message();
          return std::nullopt;
        }
        if (parser.is_done()) return Convert(parser);
        if (!ec && used > 0) continue;
      }
      if (!Fill(deadline)) {
        if (parser.got_some() && !parser.is_done()) {
          boost::system::error_code ec;
          parser.put_eof(ec);
          if (!ec && parser.is_done()) return Convert(parser);
        }
        return std::nullopt;
      }
    }
  }

  // True when the server closes the connection (EOF or reset) within `timeout`; any bytes
  // that arrive meanwhile are kept in `unread()`.
  bool WaitClosed(milliseconds timeout = milliseconds(3000)) {
    auto deadline = steady_clock::now() + timeout;
    while (Fill(deadline)) {
    }
    return closed_;
  }

  // Whether the server closed the connection, looking without waiting.
  bool ClosedNow() { return WaitClosed(milliseconds(0)); }

  const std::string& unread() const { return buffer_; }

 private:
  // Reads what is available before the deadline into buffer_. False on EOF, reset or
  // timeout.
  bool Fill(steady_clock::time_point deadline) {
    if (closed_) return false;
    for (;;) {
      auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      int ready = ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(0, left.count())));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return false;
      char chunk[65536];
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        closed_ = true;
        return false;
      }
      buffer_.append(chunk, static_cast<std::size_t>(n));
      return true;
    }
  }

  static HttpResponse Convert(bhttp::response_parser<bhttp::string_body>& parser) {
    return heartbeat::testing::ToHttpResponse(parser.get());
  }

  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
  std::string buffer_;
};

std::string Request(const std::string& method, const std::string& target, const std::string& key,
                    const std::string& extra_headers = {}, const std::string& body = {}) {
  std::string out = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!key.empty()) out += "Authorization: Bearer " + key + "\r\n";
  out += extra_headers;
  if (!body.empty() || method == "POST") {
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  out += "\r\n" + body;
  return out;
}

void ExpectJsonError(const std::optional<HttpResponse>& res, unsigned status) {
  ASSERT_TRUE(res.has_value()) << "no response";
  EXPECT_EQ(res->status, status) << res->body;
  EXPECT_EQ(res->header("content-type").rfind("application/json", 0), 0u);
  json::value v;
  ASSERT_NO_THROW(v = json::parse(res->body)) << res->body;
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v.as_object().size(), 1u) << res->body;
  ASSERT_TRUE(v.as_object().contains("error")) << res->body;
  ASSERT_TRUE(v.at("error").is_string());
  EXPECT_FALSE(v.at("error").as_string().empty());
}

class ServerTest : public ::testing::Test {
 protected:
  explicit ServerTest(http::ServerOptions options = {}) : server_(options) {}
  RawConn Connect() { return RawConn(server_.port()); }

  TestServer server_;
  std::string key_ = server_.AddKey();
};

// --- size limits ----------------------------------------------------------------------------

TEST_F(ServerTest, BodyOverOneMebibyteAnnouncedByContentLengthIs413) {
  RawConn c = Connect();
  // Only the head is sent: the server must answer from Content-Length alone.
  ASSERT_TRUE(c.Send("POST /heartbeat/big HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key_ +
                     "\r\nContent-Length: " + std::to_string(kMiB + 1) + "\r\n\r\n"));
  std::optional<HttpResponse> res = c.Read();
  ExpectJsonError(res, 413);
  EXPECT_TRUE(c.WaitClosed());
  // Nothing was recorded.
  EXPECT_EQ(server_.Client().Authed("GET", "/monitors/big", key_).status, 404u);
}

TEST_F(ServerTest, BodyOfExactlyOneMebibyteIsAccepted) {
  RawConn c = Connect();
  ASSERT_TRUE(c.Send(Request("POST", "/heartbeat/big", key_, {}, std::string(kMiB, 'x'))));
  std::optional<HttpResponse> res = c.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200u) << res->body;
}

TEST_F(ServerTest, ChunkedBodyOverOneMebibyteIs413) {
  RawConn c = Connect();
  ASSERT_TRUE(c.Send("POST /heartbeat/big HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key_ +
                     "\r\nTransfer-Encoding: chunked\r\n\r\n"));
  // Sixteen chunks of 64 KiB make exactly 1 MiB; one byte more is over the limit.
  const std::string chunk = "10000\r\n" + std::string(64 * 1024, 'x') + "\r\n";
  for (int i = 0; i < 16; ++i) ASSERT_TRUE(c.Send(chunk));
  ASSERT_TRUE(c.Send("1\r\nx\r\n"));
  std::optional<HttpResponse> res = c.Read();
  ExpectJsonError(res, 413);
  EXPECT_TRUE(c.WaitClosed());
  EXPECT_EQ(server_.Client().Authed("GET", "/monitors/big", key_).status, 404u);
}

TEST_F(ServerTest, ChunkAnnouncedOverOneMebibyteIs413) {
  RawConn c = Connect();
  ASSERT_TRUE(c.Send("POST /heartbeat/big HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key_ +
                     "\r\nTransfer-Encoding: chunked\r\n\r\n100001\r\n"));
  ExpectJsonError(c.Read(), 413);
  EXPECT_TRUE(c.WaitClosed());
}

TEST_F(ServerTest, ChunkedBodyOfExactlyOneMebibyteIsAccepted) {
  RawConn c = Connect();
  ASSERT_TRUE(c.Send("POST /heartbeat/big HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key_ +
                     "\r\nTransfer-Encoding: chunked\r\n\r\n"));
  const std::string chunk = "10000\r\n" + std::string(64 * 1024, 'x') + "\r\n";
  for (int i = 0; i < 16; ++i) ASSERT_TRUE(c.Send(chunk));
  ASSERT_TRUE(c.Send("0\r\n\r\n"));
  std::optional<HttpResponse> res = c.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200u) << res->body;
}

TEST_F(ServerTest, UrlOverEightKibibytesIs414) {
  // The target alone is 8193 bytes.
  std::string target = "/heartbeat/x?interval=" + std::string(8193 - 22, '1');
  ASSERT_EQ(target.size(), 8193u);
  RawConn c = Connect();
  ASSERT_TRUE(c.Send(Request("GET", target, key_)));
  ExpectJsonError(c.Read(), 414);
  EXPECT_TRUE(c.WaitClosed());
}

TEST_F(ServerTest, UrlOfExactlyEightKibibytesIsNot414) {
  std::string target = "/nope/" + std::string(8192 - 6, 'a');
  ASSERT_EQ(target.size(), 8192u);
  RawConn c = Connect();
  ASSERT_TRUE(c.Send(Request("GET", target, key_)));
  ExpectJsonError(c.Read(), 404);
}

TEST_F(ServerTest, HugeUrlIs414) {
  // Far beyond every limit, headers included.
  std::string target = "/heartbeat/" + std::string(30 * 1024, 'a');
  RawConn c = Connect();
  ASSERT_TRUE(c.Send(Request("GET", target, key_)));
  ExpectJsonError(c.Read(), 414);
  EXPECT_TRUE(c.WaitClosed());
}

TEST_F(ServerTest, ManyHeadersOverSixteenKibibytesAre431) {
  std::string headers;
  for (int i = 0; i < 200; ++i) {
    headers += "X-Fill-" + std::to_string(i) + ": " + std::string(90, 'v') + "\r\n";
  }
  ASSERT_GT(headers.size(), 16u * 1024);
  RawConn c = Connect();
  ASSERT_TRUE(c.Send(Request("GET", "/monitors", key_, headers)));
  ExpectJsonError(c.Read(), 431);
  EXPECT_TRUE(c.WaitClosed());
}

TEST_F(ServerTest, OneHugeHeaderIs431) {
  for (std::size_t size : {17u * 1024, 40u * 1024}) {
    SCOPED_TRACE(size);
    RawConn c = Connect();
    ASSERT_TRUE(
        c.Send(Request("GET", "/monitors", key_, "X-Big: " + std::string(size, 'v') + "\r\n")));
    ExpectJsonError(c.Read(), 431);
    EXPECT_TRUE(c.WaitClosed());
  }
}

TEST_F(ServerTest, ManyHeadersFarOverTheLimitAre431) {
  std::string headers;
  for (int i = 0; i < 400; ++i) {
    headers += "X-Fill-" + std::to_string(i) + ": " + std::string(90, 'v') + "\r\n";
  }
  ASSERT_GT(headers.size(), 32u * 1024);
  RawConn c = Connect();
  ASSERT_TRUE(c.Send(Request("GET", "/monitors", key_, headers)));
  ExpectJsonError(c.Read(), 431);
  EXPECT_TRUE(c.WaitClosed());
}

TEST_F(ServerTest, HeadersUnderSixteenKibibytesAreAccepted) {
  std::string headers;
  for (int i = 0; i < 100; ++i) {
    headers += "X-Fill-" + std::to_string(i) + ": " + std::string(100, 'v') + "\r\n";
  }
  ASSERT_LT(headers.size(), 15u * 1024);
  RawConn c = Connect();
  ASSERT_TRUE(c.Send(Request("GET", "/monitors", key_, headers)));
  std::optional<HttpResponse> res = c.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200u) << res->body;
}

// --- malformed requests ---------------------------------------------------------------------

TEST_F(ServerTest, MalformedRequestsAre400AndCloseTheConnection) {
  const std::vector<std::string> requests = {
      "GARBAGE\r\n\r\n",
      "GET\r\n\r\n",
      "GET /healthz\r\n\r\n",
      "GET /healthz HTTX/1.1\r\n\r\n",
      "GET /healthz HTTP/1.x\r\n\r\n",
      "GET /healthz HTTP/11\r\n\r\n",
      "GET  /healthz HTTP/1.1\r\n\r\n",
      "G@T /healthz HTTP/1.1\r\n\r\n",
      "\x01\x02\x03\x04\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nNoColonHere\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nBad Header: x\r\n\r\n",
      "GET /healthz HTTP/1.1\r\n: no name\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nX: a\rb\r\n\r\n",
      "POST /heartbeat/x HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
      "POST /heartbeat/x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy",
      "POST /heartbeat/x HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
      "POST /heartbeat/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
  };
  for (const std::string& raw : requests) {
    SCOPED_TRACE(::testing::PrintToString(raw));
    RawConn c = Connect();
    ASSERT_TRUE(c.Send(raw));
    std::optional<HttpResponse> res = c.Read();
    ExpectJsonError(res, 400);
    EXPECT_TRUE(c.WaitClosed());
  }
}

TEST_F(ServerTest, MalformedRequestAfterAGoodOneStillGetsTheGoodAnswerFirst) {
  RawConn c = Connect();
  ASSERT_TRUE(c.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\r\n\r\n"));
  std::optional<HttpResponse> first = c.Read();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->status, 200u);
  ExpectJsonError(c.Read(), 400);
  EXPECT_TRUE(c.WaitClosed());
}

TEST_F(ServerTest, UnsupportedHttpVersionIs400NotA5xx) {
  // A 505 would be a 5xx for something the client sent, which SPEC §4 rules out.
  for (const std::string version : {"HTTP/2.0", "HTTP/9.9", "HTTP/0.9", "HTTP/1.2"}) {
    SCOPED_TRACE(version);
    RawConn c = Connect();
    ASSERT_TRUE(c.Send("GET /healthz " + version + "\r\nHost: x\r\n\r\n"));
    ExpectJsonError(c.Read(), 400);
    EXPECT_TRUE(c.WaitClosed());
  }
}

// --- keep-alive, pipelining, 100-continue, HTTP/1.0 -------------------------------------

TEST_F(ServerTest, KeepAliveServesAHundredRequestsOnOneConnection) {
  RawConn c = Connect();
  for (int i = 0; i < 100; ++i) {
    std::string slug = "keep-" + std::to_string(i % 10);
    ASSERT_TRUE(c.Send(Request(i % 2 ? "POST" : "GET", "/heartbeat/" + slug, key_))) << i;
    std::optional<HttpResponse> res = c.Read();
    ASSERT_TRUE(res.has_value()) << "request " << i;
    ASSERT_EQ(res->status, 200u) << res->body;
    ASSERT_TRUE(res->keep_alive) << i;
  }
  EXPECT_FALSE(c.ClosedNow());
  EXPECT_EQ(server_.server().open_connections(), 1u);
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  RawConn c = Connect();
  const UnixMillis now = server_.clock().Now();
  ASSERT_TRUE(c.Send(Request("GET", "/heartbeat/pipe-a?interval=1m", key_) +
                     Request("HEAD", "/heartbeat/pipe-b?interval=2m", key_) +
                     Request("POST", "/heartbeat/pipe-c?interval=3m", key_, {}, "body") +
                     Request("GET", "/monitors/pipe-b", key_) + Request("GET", "/nope", key_)));
  std::optional<HttpResponse> a = c.Read();
  std::optional<HttpResponse> b = c.Read(milliseconds(5000), /*head=*/true);
  std::optional<HttpResponse> cc = c.Read();
  std::optional<HttpResponse> d = c.Read();
  std::optional<HttpResponse> e = c.Read();
  ASSERT_TRUE(a && b && cc && d && e);
  EXPECT_EQ(a->status, 200u);
  EXPECT_EQ(json::parse(a->body).at("next_due"), json::value(FormatRfc3339(now + 60'000)));
  EXPECT_EQ(b->status, 200u);
  EXPECT_TRUE(b->body.empty());
  EXPECT_EQ(cc->status, 200u);
  EXPECT_EQ(json::parse(cc->body).at("next_due"), json::value(FormatRfc3339(now + 180'000)));
  EXPECT_EQ(d->status, 200u);
  EXPECT_EQ(json::parse(d->body).at("interval_secs"), json::value(120));
  EXPECT_EQ(e->status, 404u);
  EXPECT_TRUE(c.unread().empty());
  EXPECT_FALSE(c.ClosedNow());
}

// The header is parsed in place when it is all buffered, and read further when it is not:
// a request cut anywhere, also after a whole one on the same connection, is answered.
TEST_F(ServerTest, HeaderArrivingInPiecesIsAnsweredOnceComplete) {
  RawConn c = Connect();
  const std::string first = Request("GET", "/heartbeat/piece-a?interval=1m", key_);
  const std::string second = Request("GET", "/monitors/piece-a", key_);
  const std::size_t cut = second.size() / 2;
  ASSERT_TRUE(c.Send(first + second.substr(0, cut)));
  std::optional<HttpResponse> a = c.Read();
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->status, 200u);
  std::this_thread::sleep_for(milliseconds(50));
  ASSERT_TRUE(c.Send(second.substr(cut, 5)));
  std::this_thread::sleep_for(milliseconds(50));
  ASSERT_TRUE(c.Send(second.substr(cut + 5)));
  std::optional<HttpResponse> b = c.Read();
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->status, 200u);
  EXPECT_EQ(json::parse(b->body).at("slug"), json::value("piece-a"));
  EXPECT_TRUE(c.unread().empty());
  EXPECT_FALSE(c.ClosedNow());
}

TEST_F(ServerTest, ExpectContinueGetsAnInterimResponseThenTheAnswer) {
  RawConn c = Connect();
  ASSERT_TRUE(c.Send("POST /heartbeat/cont HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key_ +
                     "\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  std::optional<HttpResponse> interim = c.Read();
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->status, 100u);
  ASSERT_TRUE(c.Send("hello"));
  std::optional<HttpResponse> res = c.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200u) << res->body;
  EXPECT_EQ(json::parse(res->body).at("status"), json::value("ok"));
  EXPECT_TRUE(res->keep_alive);
}

TEST_F(ServerTest, Http10WithoutKeepAliveIsClosedAfterTheResponse) {
  RawConn c = Connect();
  ASSERT_TRUE(c.Send("GET /healthz HTTP/1.0\r\n\r\n"));
  std::optional<HttpResponse> res = c.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200u);
  EXPECT_EQ(res->body, R"({"ok":true})");
  EXPECT_FALSE(res->keep_alive);
  EXPECT_NE(res->header("connection"), "keep-alive");
  EXPECT_TRUE(c.WaitClosed());
}

TEST_F(ServerTest, Http10WithKeepAliveStaysOpen) {
  RawConn c = Connect();
  ASSERT_TRUE(c.Send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  std::optional<HttpResponse> first = c.Read();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->status, 200u);
  EXPECT_TRUE(first->keep_alive);
  ASSERT_TRUE(c.Send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  std::optional<HttpResponse> second = c.Read();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->status, 200u);
}

TEST_F(ServerTest, ConnectionCloseIsHonoured) {
  RawConn c = Connect();
  ASSERT_TRUE(c.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  std::optional<HttpResponse> res = c.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200u);
  EXPECT_EQ(res->header("connection"), "close");
  EXPECT_TRUE(c.WaitClosed());
}

// --- deadlines ------------------------------------------------------------------------------

class ShortTimeoutServerTest : public ServerTest {
 protected:
  static http::ServerOptions Options() {
    http::ServerOptions o;
    o.header_timeout = milliseconds(300);
    o.idle_timeout = milliseconds(400);
    o.body_timeout = milliseconds(400);
    return o;
  }
  ShortTimeoutServerTest() : ServerTest(Options()) {}
};

TEST_F(ShortTimeoutServerTest, PartialRequestLineIsCutOffAfterTheHeaderTimeout) {
  RawConn c = Connect();
  auto start = steady_clock::now();
  ASSERT_TRUE(c.Send("GET /heal"));
  EXPECT_TRUE(c.WaitClosed(milliseconds(3000)));
  milliseconds took = Since(start);
  EXPECT_GE(took, milliseconds(250));
  EXPECT_LT(took, milliseconds(3000));
}

TEST_F(ShortTimeoutServerTest, PartialHeadersAreCutOffAfterTheHeaderTimeout) {
  RawConn c = Connect();
  auto start = steady_clock::now();
  ASSERT_TRUE(c.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
  EXPECT_TRUE(c.WaitClosed(milliseconds(3000)));
  EXPECT_GE(Since(start), milliseconds(250));
}

TEST_F(ShortTimeoutServerTest, PartialBodyIsCutOffAfterTheBodyTimeout) {
  RawConn c = Connect();
  auto start = steady_clock::now();
  ASSERT_TRUE(c.Send("POST /heartbeat/slow HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key_ +
                     "\r\nContent-Length: 10\r\n\r\nabc"));
  EXPECT_TRUE(c.WaitClosed(milliseconds(3000)));
  EXPECT_GE(Since(start), milliseconds(350));
  EXPECT_EQ(server_.Client().Authed("GET", "/monitors/slow", key_).status, 404u);
}

TEST_F(ShortTimeoutServerTest, IdleKeepAliveConnectionIsClosedAfterTheIdleTimeout) {
  RawConn c = Connect();
  ASSERT_TRUE(c.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::optional<HttpResponse> res = c.Read();
  ASSERT_TRUE(res.has_value());
  ASSERT_TRUE(res->keep_alive);
  auto start = steady_clock::now();
  EXPECT_TRUE(c.WaitClosed(milliseconds(3000)));
  milliseconds took = Since(start);
  EXPECT_GE(took, milliseconds(350));
  EXPECT_LT(took, milliseconds(3000));
}

TEST_F(ShortTimeoutServerTest, ConnectionWithoutARequestIsClosedAfterTheIdleTimeout) {
  RawConn c = Connect();
  EXPECT_TRUE(c.WaitClosed(milliseconds(3000)));
  EXPECT_TRUE(c.unread().empty());
}

TEST_F(ShortTimeoutServerTest, BusyKeepAliveConnectionIsNotCutOff) {
  // Each request restarts the idle wait: 15 requests 100 ms apart outlive the timeouts.
  RawConn c = Connect();
  auto start = steady_clock::now();
  for (int i = 0; i < 15; ++i) {
    ASSERT_TRUE(c.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")) << i;
    std::optional<HttpResponse> res = c.Read();
    ASSERT_TRUE(res.has_value()) << "request " << i;
    EXPECT_EQ(res->status, 200u);
    std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_GE(Since(start), milliseconds(1500));
}

class SlowClientServerTest : public ServerTest {
 protected:
  static http::ServerOptions Options() {
    http::ServerOptions o;
    o.header_timeout = milliseconds(500);
    return o;
  }
  SlowClientServerTest() : ServerTest(Options()) {}
};

TEST_F(SlowClientServerTest, SlowClientIsCutOffWhileOthersAreServed) {
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: yes\r\n\r\n";
  RawConn slow = Connect();
  RawConn fast = Connect();
  auto start = steady_clock::now();
  std::size_t sent = 0;
  int served = 0;
  bool cut = false;
  while (sent < request.size() && Since(start) < milliseconds(6000)) {
    if (!slow.Send(request.substr(sent, 1)) || slow.ClosedNow()) {
      cut = true;
      break;
    }
    ++sent;
    auto asked = steady_clock::now();
    ASSERT_TRUE(fast.Send(Request("GET", "/heartbeat/fast", key_)));
    std::optional<HttpResponse> res = fast.Read(milliseconds(2000));
    ASSERT_TRUE(res.has_value());
    EXPECT_EQ(res->status, 200u);
    EXPECT_LT(Since(asked), milliseconds(1000));
    ++served;
    std::this_thread::sleep_for(milliseconds(100));
  }
  if (!cut) cut = slow.WaitClosed(milliseconds(0));
  EXPECT_TRUE(cut) << "the slow client sent " << sent << " bytes in " << Since(start).count()
                   << " ms";
  EXPECT_LT(sent, request.size());
  EXPECT_LT(Since(start), milliseconds(2500));
  EXPECT_GE(served, 3);
  // The fast client is still fine afterwards.
  ASSERT_TRUE(fast.Send(Request("GET", "/monitors/fast", key_)));
  std::optional<HttpResponse> after = fast.Read();
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->status, 200u);
}

// --- connection limit -----------------------------------------------------------------------

class TwoConnectionServerTest : public ServerTest {
 protected:
  static http::ServerOptions Options() {
    http::ServerOptions o;
    o.max_connections = 2;
    return o;
  }
  TwoConnectionServerTest() : ServerTest(Options()) {}
};

TEST_F(TwoConnectionServerTest, ConnectionBeyondTheLimitIsClosedAtOnce) {
  RawConn first = Connect();
  RawConn second = Connect();
  for (RawConn* c : {&first, &second}) {
    ASSERT_TRUE(c->Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    std::optional<HttpResponse> res = c->Read();
    ASSERT_TRUE(res.has_value());
    EXPECT_EQ(res->status, 200u);
  }
  EXPECT_EQ(server_.server().open_connections(), 2u);

  RawConn third = Connect();
  ASSERT_TRUE(third.connected());
  auto start = steady_clock::now();
  third.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(third.WaitClosed(milliseconds(2000)));
  EXPECT_LT(Since(start), milliseconds(1000));
  EXPECT_EQ(third.unread().find("200"), std::string::npos) << third.unread();

  // The first two still work.
  for (RawConn* c : {&first, &second}) {
    ASSERT_TRUE(c->Send(Request("GET", "/heartbeat/limit", key_)));
    std::optional<HttpResponse> res = c->Read();
    ASSERT_TRUE(res.has_value());
    EXPECT_EQ(res->status, 200u);
  }
}

TEST_F(TwoConnectionServerTest, ClosedConnectionFreesItsPlace) {
  auto first = std::make_unique<RawConn>(server_.port());
  RawConn second = Connect();
  for (RawConn* c : {first.get(), &second}) {
    ASSERT_TRUE(c->Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_TRUE(c->Read().has_value());
  }
  first.reset();
  auto start = steady_clock::now();
  while (server_.server().open_connections() > 1 && Since(start) < milliseconds(3000)) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_EQ(server_.server().open_connections(), 1u);
  RawConn third = Connect();
  ASSERT_TRUE(third.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::optional<HttpResponse> res = third.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200u);
}

// --- graceful stop --------------------------------------------------------------------------

TEST_F(ServerTest, StopReturnsPromptlyAndClosesIdleConnections) {
  RawConn kept_alive = Connect();
  ASSERT_TRUE(kept_alive.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(kept_alive.Read().has_value());
  RawConn silent = Connect();
  RawConn partial = Connect();
  ASSERT_TRUE(partial.Send("GET /healthz HTTP/1.1\r\n"));
  std::this_thread::sleep_for(milliseconds(100));  // let the server accept them all

  auto start = steady_clock::now();
  server_.server().Stop();
  EXPECT_LT(Since(start), milliseconds(2000));
  EXPECT_EQ(server_.server().open_connections(), 0u);
  EXPECT_TRUE(kept_alive.WaitClosed(milliseconds(1000)));
  EXPECT_TRUE(silent.WaitClosed(milliseconds(1000)));
  EXPECT_TRUE(partial.WaitClosed(milliseconds(1000)));
  // No longer listening.
  RawConn late(server_.port());
  EXPECT_TRUE(!late.connected() || late.WaitClosed(milliseconds(1000)));
  server_.server().Stop();  // idempotent
}

// Answers after 500 ms, to catch a request in flight.
asio::awaitable<http::Response> SlowAnswer(unsigned version) {
  asio::steady_timer timer(co_await asio::this_coro::executor, milliseconds(500));
  co_await timer.async_wait(asio::use_awaitable);
  http::Response res{bhttp::status::ok, version};
  res.set(bhttp::field::content_type, "application/json");
  res.body() = R"({"done":true})";
  co_return res;
}

TEST(ServerStopTest, RequestInFlightCompletesDuringStop) {
  http::ServerOptions options;
  options.bind = "127.0.0.1:0";
  options.threads = 2;
  std::atomic<bool> started{false};
  http::Server server(options, [&started](const http::Request& req, const http::RequestContext&) {
    started = true;
    return SlowAnswer(req.version());
  });
  ASSERT_TRUE(server.Start().ok());
  RawConn c(server.port());
  ASSERT_TRUE(c.Send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto wait = steady_clock::now();
  while (!started && Since(wait) < milliseconds(5000)) std::this_thread::sleep_for(milliseconds(5));
  ASSERT_TRUE(started);
  std::this_thread::sleep_for(milliseconds(50));

  auto start = steady_clock::now();
  std::thread stopper([&] { server.Stop(); });
  std::optional<HttpResponse> res = c.Read(milliseconds(5000));
  stopper.join();
  milliseconds took = Since(start);
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200u);
  EXPECT_EQ(res->body, R"({"done":true})");
  EXPECT_FALSE(res->keep_alive);
  EXPECT_EQ(res->header("connection"), "close");
  EXPECT_TRUE(c.WaitClosed(milliseconds(1000)));
  EXPECT_GE(took, milliseconds(250));  // Stop waited for the request
  EXPECT_LT(took, milliseconds(5000));
  EXPECT_EQ(server.open_connections(), 0u);
}

TEST(ServerStartTest, StartFailsWhenThePortIsTaken) {
  TestServer first;
  http::ServerOptions options;
  options.bind = "127.0.0.1:" + std::to_string(first.port());
  options.threads = 1;
  http::Server second(
      options,
      [](const http::Request& req, const http::RequestContext&) -> asio::awaitable<http::Response> {
        co_return http::Response{bhttp::status::ok, req.version()};
      });
  Status started = second.Start();
  EXPECT_FALSE(started.ok());
  // The first server is unaffected.
  EXPECT_EQ(first.Client().Request("GET", "/healthz").status, 200u);
}

TEST(ServerStartTest, StartFailsOnAnInvalidAddress) {
  http::ServerOptions options;
  options.bind = "localhost";
  http::Server server(
      options,
      [](const http::Request& req, const http::RequestContext&) -> asio::awaitable<http::Response> {
        co_return http::Response{bhttp::status::ok, req.version()};
      });
  EXPECT_FALSE(server.Start().ok());
}

// --- bind addresses -------------------------------------------------------------------------

TEST(ParseBindAddressTest, AcceptsIpv4AndBracketedIpv6WithPort) {
  Result<asio::ip::tcp::endpoint> a = http::ParseBindAddress("127.0.0.1:0");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->address().to_string(), "127.0.0.1");
  EXPECT_EQ(a->port(), 0);

  Result<asio::ip::tcp::endpoint> b = http::ParseBindAddress("[::1]:8080");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->address().is_v6());
  EXPECT_EQ(b->address().to_string(), "::1");
  EXPECT_EQ(b->port(), 8080);

  Result<asio::ip::tcp::endpoint> c = http::ParseBindAddress("0.0.0.0:3000");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->address().to_string(), "0.0.0.0");
  EXPECT_EQ(c->port(), 3000);

  Result<asio::ip::tcp::endpoint> d = http::ParseBindAddress("[::]:65535");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->address().is_v6());
  EXPECT_EQ(d->port(), 65535);
}

TEST(ParseBindAddressTest, RejectsWhatIsNotAnAddressAndPort) {
  for (const std::string text :
       {"localhost", "localhost:3000", "1.2.3.4", "1.2.3.4:99999", "1.2.3.4:65536", "[::1]",
        "[::1]8080", "[::1:8080", "", ":", "1.2.3.4:", "1.2.3.4:-1", "1.2.3.4:80a", "1.2.3.4: 80",
        "1.2.3.4:000000080", "256.1.1.1:80", "[1.2.3.4.5]:80"}) {
    Result<asio::ip::tcp::endpoint> r = http::ParseBindAddress(text);
    EXPECT_FALSE(r.ok()) << "'" << text << "' was accepted";
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << text;
      EXPECT_NE(r.error().message.find(text), std::string::npos) << r.error().message;
    }
  }
}

}  // namespace
}  // namespace heartbeat

namespace heartbeat::testing {
namespace {

// Found by fuzz/request_fuzz: error messages quote the decoded path or parameter, which
// may be any bytes; the body must stay valid UTF-8 JSON.
TEST(ValidUtf8, ReplacesInvalidBytesAndKeepsValidText) {
  EXPECT_EQ(http::ValidUtf8("plain /path"), "plain /path");
  EXPECT_EQ(http::ValidUtf8("caf\xc3\xa9 \xe2\x9c\x85"), "caf\xc3\xa9 \xe2\x9c\x85");
  EXPECT_EQ(http::ValidUtf8("/\xff"), "/\xef\xbf\xbd");
  EXPECT_EQ(http::ValidUtf8("\xc3"), "\xef\xbf\xbd");                  // truncated
  EXPECT_EQ(http::ValidUtf8("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");  // overlong '/'
  EXPECT_EQ(http::ValidUtf8("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // surrogate
}

TEST(ServerUtf8, ErrorsQuotingRawBytesAreValidJson) {
  TestServer server;
  std::string key = server.AddKey();
  HttpClient client = server.Client();
  HttpResponse unknown = client.Request("GET", "/%ff");
  EXPECT_EQ(unknown.status, 404u);
  boost::system::error_code ec;
  auto parsed = boost::json::parse(unknown.body, ec);
  ASSERT_FALSE(ec) << unknown.body;
  EXPECT_NE(std::string(parsed.at("error").as_string()).find("\xef\xbf\xbd"), std::string::npos);
  HttpResponse param = client.Authed("GET", "/heartbeat/x?%ff=1", key);
  EXPECT_EQ(param.status, 400u);
  boost::json::parse(param.body, ec);
  EXPECT_FALSE(ec) << param.body;
}

// --- writing responses ---------------------------------------------------------------------

// The head the server writes itself is byte for byte what Beast's serializer writes.
TEST(SerializeResponseHead, MatchesBeastsSerializer) {
  std::vector<http::Response> cases;
  cases.push_back(http::ErrorResponse(11, bhttp::status::not_found, "no monitor 'x'"));
  {
    http::Response ok{bhttp::status::ok, 11};
    ok.set(bhttp::field::content_type, "application/json");
    ok.body() = R"({"ok":true,"next_due":"2026-11-28T08:00:00Z","status":"ok"})";
    cases.push_back(ok);
  }
  {
    http::Response unauthorized = http::ErrorResponse(11, bhttp::status::unauthorized, "no key");
    unauthorized.set(bhttp::field::www_authenticate, "Bearer");
    unauthorized.keep_alive(false);
    cases.push_back(unauthorized);
  }
  {
    http::Response wrong_method =
        http::ErrorResponse(10, bhttp::status::method_not_allowed, "use GET");
    wrong_method.set(bhttp::field::allow, "GET, HEAD");
    wrong_method.set("X-Custom-Header", "value with spaces");
    wrong_method.keep_alive(true);
    cases.push_back(wrong_method);
  }
  {
    http::Response head{bhttp::status::ok, 11};
    head.content_length(57);  // a HEAD answer: the length of a body not sent
    cases.push_back(head);
  }
  {
    http::Response odd{static_cast<bhttp::status>(599), 11};
    odd.reason("Odd Reason");
    odd.body() = "x";
    cases.push_back(odd);
  }
  cases.push_back(http::Response{bhttp::status::continue_, 11});  // the interim answer
  cases.push_back(http::Response{bhttp::status::no_content, 11});
  cases.push_back(http::Response{bhttp::status::service_unavailable, 10});
  for (http::Response& res : cases) {
    if (res.body().size() > 0 || res.result() == bhttp::status::no_content) res.prepare_payload();
    std::ostringstream beast_bytes;
    beast_bytes << res;
    std::string ours = "leading bytes are kept|";
    http::SerializeResponseHead(res, ours);
    EXPECT_EQ(ours, "leading bytes are kept|" +
                        beast_bytes.str().substr(0, beast_bytes.str().size() - res.body().size()));
    EXPECT_EQ(beast_bytes.str().substr(beast_bytes.str().size() - res.body().size()), res.body());
  }
}

// A response larger than the socket's send buffer, to a client that does not read for a
// while: what the first write leaves is sent asynchronously, and the connection carries
// on with the next request.
class ServerLargeResponse : public ::testing::Test {
 protected:
  // Answers /big with 8 MiB, anything else with "small".
  http::Server Start(http::ServerOptions options) {
    options.bind = "127.0.0.1:0";
    options.threads = 1;
    return http::Server(options,
                        [this](const http::Request& req,
                               const http::RequestContext&) -> asio::awaitable<http::Response> {
                          http::Response res{bhttp::status::ok, req.version()};
                          res.set(bhttp::field::content_type, "text/plain");
                          res.body() = req.target() == "/big" ? big_ : std::string("small");
                          co_return res;
                        });
  }
  // A server whose writes must finish within `write_timeout` (not started yet).
  http::Server WithWriteTimeout(milliseconds write_timeout) {
    http::ServerOptions options;
    options.write_timeout = write_timeout;
    return Start(options);
  }
  // Waits (up to 5 s) until the server has `n` open connections; true when it has.
  static bool WaitForConnections(const http::Server& server, std::size_t n) {
    auto start = steady_clock::now();
    while (server.open_connections() != n && Since(start) < milliseconds(5000)) {
      std::this_thread::sleep_for(milliseconds(5));
    }
    return server.open_connections() == n;
  }
  ServerLargeResponse() : big_(8 * kMiB, '\0') {
    for (std::size_t i = 0; i < big_.size(); ++i) big_[i] = static_cast<char>('a' + i * 7 % 26);
  }
  std::string big_;
};

TEST_F(ServerLargeResponse, WhatDoesNotFitAtOnceIsSentLater) {
  const std::string& big = big_;
  http::Server server = Start({});
  ASSERT_TRUE(server.Start().ok());
  RawConn c(server.port());
  ASSERT_TRUE(c.Send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::this_thread::sleep_for(milliseconds(200));  // the server fills the socket meanwhile
  std::optional<HttpResponse> res = c.Read(milliseconds(10000));
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200u);
  EXPECT_EQ(res->body.size(), big.size());
  EXPECT_TRUE(res->body == big);
  EXPECT_TRUE(res->keep_alive);
  ASSERT_TRUE(c.Send("GET /small HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::optional<HttpResponse> next = c.Read();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->body, "small");
  EXPECT_TRUE(c.unread().empty());
  server.Stop();
}

// Stop lets in-flight requests finish, but no longer than their deadlines: a client that
// does not read its answer does not hold up the shutdown.
TEST_F(ServerLargeResponse, StopIsNotHeldUpByAClientThatDoesNotRead) {
  http::Server server = WithWriteTimeout(milliseconds(300));
  ASSERT_TRUE(server.Start().ok());
  RawConn c(server.port());
  ASSERT_TRUE(c.Send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::this_thread::sleep_for(milliseconds(100));  // the server is stuck writing
  ASSERT_TRUE(WaitForConnections(server, 1));
  auto start = steady_clock::now();
  server.Stop();
  EXPECT_LT(Since(start), milliseconds(3000));
  EXPECT_EQ(server.open_connections(), 0u);
}

// The part of a response left to send asynchronously is under the write deadline: a
// client that never reads it loses the connection instead of holding it for good.
TEST_F(ServerLargeResponse, ClientThatStopsReadingIsCutOffAfterTheWriteTimeout) {
  http::Server server = WithWriteTimeout(milliseconds(300));
  ASSERT_TRUE(server.Start().ok());
  RawConn c(server.port());
  ASSERT_TRUE(WaitForConnections(server, 1));
  ASSERT_TRUE(c.Send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto start = steady_clock::now();
  EXPECT_TRUE(WaitForConnections(server, 0));
  EXPECT_GE(Since(start), milliseconds(250));
  EXPECT_LT(Since(start), milliseconds(3000));
  server.Stop();
}

// --- out of file descriptors ---------------------------------------------------------------

// Issue #14: when accept finds no descriptor left, the oldest idle keep-alive connections are
// closed so that the connections waiting in the backlog are taken, and the failures are
// logged once a period, not once per attempt. The client sockets are opened first, then this
// process's soft limit is lowered to leave room for 60 accepted connections only.
TEST(ServerOutOfDescriptors, IdleKeepAliveConnectionsMakeRoomWhenAcceptRunsOut) {
  HEARTBEAT_SKIP_UNDER_ASAN();
  CapturedLog log;
  http::ServerOptions options;
  options.bind = "127.0.0.1:0";
  options.threads = 2;
  http::Server server(
      options,
      [](const http::Request& req, const http::RequestContext&) -> asio::awaitable<http::Response> {
        http::Response res{bhttp::status::ok, req.version()};
        res.body() = "ok";
        co_return res;
      });
  ASSERT_TRUE(server.Start().ok());

  constexpr int kClients = 200;
  std::vector<int> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(::socket(AF_INET, SOCK_STREAM, 0));
  ASSERT_GE(*std::min_element(clients.begin(), clients.end()), 0);
  int highest = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    highest = std::max(highest, std::stoi(entry.path().filename().string()));
  }
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit lowered{static_cast<rlim_t>(highest + 1 + 60), saved.rlim_max};
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lowered), 0);

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server.port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::string request = "GET /x HTTP/1.1\r\nHost: x\r\n\r\n";
  int answered = 0;
  for (int fd : clients) {
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) continue;
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
      continue;
    }
    pollfd pfd{fd, POLLIN, 0};
    char buf[512];
    if (::poll(&pfd, 1, 10'000) == 1 && ::recv(fd, buf, sizeof buf, 0) >= 12 &&
        std::string_view(buf, 12) == "HTTP/1.1 200") {
      ++answered;
    }
  }
  // Every connection was taken and answered; old idle ones were closed to make room.
  EXPECT_EQ(answered, kClients);
  EXPECT_LT(server.open_connections(), 80u);
  pollfd last{clients.back(), POLLIN, 0};
  EXPECT_EQ(::poll(&last, 1, 0), 0) << "the newest connection was closed";

  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
  for (int fd : clients) ::close(fd);
  server.Stop();
  std::string lines = log.Release();
  EXPECT_NE(lines.find("made room for new connections: closed"), std::string::npos) << lines;
  EXPECT_NE(lines.find("Too many open files"), std::string::npos) << lines;
  EXPECT_LE(std::count(lines.begin(), lines.end(), '\n'), 4) << lines;
}

}  // namespace
}  // namespace heartbeat::testing
