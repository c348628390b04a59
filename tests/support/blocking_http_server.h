#pragma once
// A small HTTP/1.1 server on 127.0.0.1 for fakes of remote APIs: one thread per
// connection, keep-alive, and a handler that is a plain function from request to response
// (it may block, e.g. for a long poll). Stop() closes the port and cuts open connections;
// a fake whose handler blocks must wake it before (see FakeLambdaRuntime).

#include <sys/socket.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace heartbeat::testing {

class BlockingHttpServer {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Response = boost::beast::http::response<boost::beast::http::string_body>;
  using Handler = std::function<Response(const Request&)>;

  explicit BlockingHttpServer(Handler handler) : handler_(std::move(handler)) {
    namespace asio = boost::asio;
    acceptor_ = std::make_unique<asio::ip::tcp::acceptor>(ioc_);
    asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_->open(ep.protocol());
    acceptor_->bind(ep);
    acceptor_->listen();
    port_ = acceptor_->local_endpoint().port();
    thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~BlockingHttpServer() { Stop(); }
  BlockingHttpServer(const BlockingHttpServer&) = delete;
  BlockingHttpServer& operator=(const BlockingHttpServer&) = delete;

  unsigned short port() const { return port_; }
  std::string host_port() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string url() const { return "http://" + host_port(); }

  // Closes the port (connections are refused from now on) and cuts the open connections:
  // a request in flight gets no answer. Idempotent.
  void Stop() {
    if (!thread_.joinable()) return;
    stopping_ = true;
    // Closing a listening socket does not wake accept() on Linux; shutting it down does.
    ::shutdown(acceptor_->native_handle(), SHUT_RDWR);
    thread_.join();
    boost::system::error_code ec;
    acceptor_->close(ec);
    {
      std::lock_guard lock(mu_);
      for (auto& s : sockets_) ::shutdown(s->native_handle(), SHUT_RDWR);
    }
    for (auto& t : connections_) t.join();
  }

 private:
  void AcceptLoop() {
    for (;;) {
      auto socket = std::make_shared<boost::asio::ip::tcp::socket>(ioc_);
      boost::system::error_code ec;
      acceptor_->accept(*socket, ec);
      if (ec || stopping_) return;
      {
        std::lock_guard lock(mu_);
        sockets_.push_back(socket);
      }
      connections_.emplace_back([this, socket] { Serve(*socket); });
    }
  }

  void Serve(boost::asio::ip::tcp::socket& socket) {
    namespace http = boost::beast::http;
    boost::beast::flat_buffer buffer;
    for (;;) {
      Request req;
      boost::system::error_code ec;
      http::read(socket, buffer, req, ec);
      if (ec) return;
      Response res = handler_(req);
      if (stopping_) return;  // stopped while the handler waited: no answer at all
      res.version(11);
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      http::write(socket, res, ec);
      if (ec || !req.keep_alive()) return;
    }
  }

  Handler handler_;
  boost::asio::io_context ioc_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  unsigned short port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::vector<std::thread> connections_;  // touched by the accept thread, then Stop
  std::mutex mu_;
  std::vector<std::shared_ptr<boost::asio::ip::tcp::socket>> sockets_;  // guarded by mu_
};

}  // namespace heartbeat::testing
