#pragma once
// A small synchronous HTTP/1.1 client for tests: one keep-alive connection to 127.0.0.1,
// plus raw byte access for malformed and pipelined requests.

#include <poll.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <thread>

namespace heartbeat::testing {

struct HttpResponse {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
  bool keep_alive = true;

  boost::json::value json() const { return boost::json::parse(body); }
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// Our view of a Beast response: lowercased header names.
inline HttpResponse ToHttpResponse(
    const boost::beast::http::response<boost::beast::http::string_body>& res) {
  HttpResponse out;
  out.status = res.result_int();
  for (const auto& field : res) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(field.value());
  }
  out.body = res.body();
  out.keep_alive = res.keep_alive();
  return out;
}

class HttpClient {
 public:
  explicit HttpClient(unsigned short port) : port_(port) {}

  // Sends one request on the kept-alive connection (reconnecting when needed).
  // Throws boost::system::system_error on transport failure.
  HttpResponse Request(const std::string& method, const std::string& target,
                       const std::map<std::string, std::string>& headers = {},
                       const std::string& body = {}) {
    namespace http = boost::beast::http;
    EnsureConnected();
    http::request<http::string_body> req;
    req.method_string(method);
    req.target(target);
    req.version(11);
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty() || method == "POST" || method == "PUT") {
      req.body() = body;
      req.prepare_payload();
    }
    http::write(*socket_, req);
    return ReadResponse(method == "HEAD");
  }

  // Convenience: a request with Authorization: Bearer <key>.
  HttpResponse Authed(const std::string& method, const std::string& target,
                      const std::string& key) {
    return Request(method, target, {{"Authorization", "Bearer " + key}});
  }

  // Writes raw bytes on the connection.
  void SendRaw(const std::string& bytes) {
    EnsureConnected();
    boost::asio::write(*socket_, boost::asio::buffer(bytes));
  }

  // Reads one response from the connection (after SendRaw).
  HttpResponse ReadResponse(bool head = false) {
    namespace http = boost::beast::http;
    http::response_parser<http::string_body> parser;
    parser.skip(head);
    parser.body_limit(64 * 1024 * 1024);
    http::read(*socket_, buffer_, parser);
    HttpResponse out = ToHttpResponse(parser.get());
    if (!out.keep_alive) Close();
    return out;
  }

  // True when the server has closed the connection (reads EOF within `wait`).
  bool ServerClosed(std::chrono::milliseconds wait = std::chrono::milliseconds(2000)) {
    if (!socket_) return true;
    pollfd pfd{socket_->native_handle(), POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(wait.count())) <= 0) return false;  // still open
    char c;
    boost::system::error_code ec;
    socket_->read_some(boost::asio::buffer(&c, 1), ec);
    return ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset;
  }

  void Close() {
    if (socket_) {
      boost::system::error_code ignored;
      socket_->close(ignored);
      socket_.reset();
    }
    buffer_.clear();
  }

 private:
  void EnsureConnected() {
    if (socket_) return;
    socket_.emplace(ioc_);
    socket_->connect({boost::asio::ip::make_address("127.0.0.1"), port_});
  }

  unsigned short port_;
  boost::asio::io_context ioc_;
  std::optional<boost::asio::ip::tcp::socket> socket_;
  boost::beast::flat_buffer buffer_;
};

// One request on a connection of its own, with `key` as its bearer token unless empty;
// status 0 when the server did not answer (not listening, or the connection cut).
inline HttpResponse AskOnce(unsigned short port, const std::string& method,
                            const std::string& target, const std::string& key = "") {
  try {
    HttpClient client(port);
    return key.empty() ? client.Request(method, target) : client.Authed(method, target, key);
  } catch (const std::exception&) {
    return HttpResponse{};
  }
}

// Asks (AskOnce) every 50 ms until the status is `want`; whether it was within `bound`.
inline bool WaitForStatus(unsigned short port, unsigned want, const std::string& method,
                          const std::string& target, const std::string& key,
                          std::chrono::milliseconds bound) {
  for (auto deadline = std::chrono::steady_clock::now() + bound;
       std::chrono::steady_clock::now() < deadline;) {
    if (AskOnce(port, method, target, key).status == want) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace heartbeat::testing
