#pragma once
// A loopback HTTP/1.1 server for HTTP client tests, on 127.0.0.1 port 0. What it does with
// each request is a lambda: answer (status, headers, body) after a delay, hang up without
// answering, or never answer. It counts the connections it accepts and the requests it
// receives and answers, and can hold every answer until released, to show that requests
// were in flight at once.
//
// One I/O thread with asynchronous sessions (C++20 coroutines): hundreds of open connections
// cost no threads. The handler runs on that thread and must not block. Thread-safe.

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace heartbeat::testing {

struct LoopbackRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, in order
  std::string body;
  std::size_t connection = 0;  // the connection it came on, 1-based in accept order

  // The first header of that (lower-case) name, or nullptr.
  const std::string* Header(std::string_view lower_name) const {
    for (const auto& [name, value] : headers) {
      if (name == lower_name) return &value;
    }
    return nullptr;
  }
};

struct LoopbackReply {
  enum class Action {
    kAnswer,              // the response below
    kCloseWithoutAnswer,  // hang up: no response at all
    kNeverAnswer,         // keep the connection open, silent, until the client leaves
  };
  Action action = Action::kAnswer;
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds delay{0};  // before the action
  // Sends "100 Continue" (with an "X-Interim: 1" header) before the response.
  bool interim_continue = false;

  static LoopbackReply Ok(std::string body = {}) { return With(200, std::move(body)); }
  static LoopbackReply With(unsigned status, std::string body) {
    LoopbackReply r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
  static LoopbackReply CloseWithoutAnswer() {
    LoopbackReply r;
    r.action = Action::kCloseWithoutAnswer;
    return r;
  }
  static LoopbackReply NeverAnswer() {
    LoopbackReply r;
    r.action = Action::kNeverAnswer;
    return r;
  }
};

using LoopbackHandler = std::function<LoopbackReply(const LoopbackRequest&)>;

class LoopbackHttpServer {
 public:
  explicit LoopbackHttpServer(LoopbackHandler handler)
      : handler_(std::move(handler)),
        acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}),
        gate_(ioc_, std::chrono::steady_clock::time_point::max()) {
    port_ = acceptor_.local_endpoint().port();
    boost::asio::co_spawn(ioc_, AcceptLoop(), boost::asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }

  // Drops every connection as it stands: no answer for requests held or delayed.
  ~LoopbackHttpServer() {
    ioc_.stop();
    thread_.join();
    // The sessions' coroutine frames (and their sockets) go with the io_context's queue.
  }

  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  unsigned short port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // While held, answers (and the other actions) wait, after the handler ran, for Release.
  void Hold() { held_ = true; }
  void Release() {
    held_ = false;
    boost::asio::post(ioc_, [this] { gate_.cancel(); });
  }

  std::size_t Connections() const {
    std::lock_guard lock(mu_);
    return connections_;
  }
  // Requests received (the handler has seen them).
  std::size_t Requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  // Responses written in full.
  std::size_t Answered() const {
    std::lock_guard lock(mu_);
    return answered_;
  }
  // The client may read a response before this thread learns its write completed.
  bool WaitForAnswered(std::size_t n,
                       std::chrono::milliseconds timeout = std::chrono::seconds(20)) const {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return answered_ >= n; });
  }
  bool WaitForRequests(std::size_t n,
                       std::chrono::milliseconds timeout = std::chrono::seconds(20)) const {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return requests_ >= n; });
  }

 private:
  static constexpr auto kTuple = boost::asio::as_tuple(boost::asio::use_awaitable);

  boost::asio::awaitable<void> AcceptLoop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kTuple);
      if (ec) co_return;
      std::size_t id;
      {
        std::lock_guard lock(mu_);
        id = ++connections_;
      }
      boost::asio::co_spawn(ioc_, Session(std::move(socket), id), boost::asio::detached);
    }
  }

  boost::asio::awaitable<void> Session(boost::asio::ip::tcp::socket socket, std::size_t id) {
    namespace http = boost::beast::http;
    boost::beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(64 * 1024 * 1024);
      auto [rec, rn] = co_await http::async_read(socket, buffer, parser, kTuple);
      if (rec) co_return;
      const auto& req = parser.get();
      LoopbackRequest request;
      request.method = std::string(req.method_string());
      request.target = std::string(req.target());
      for (const auto& field : req) {
        std::string name(field.name_string());
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        request.headers.emplace_back(std::move(name), std::string(field.value()));
      }
      request.body = req.body();
      request.connection = id;
      LoopbackReply reply = handler_(request);
      {
        std::lock_guard lock(mu_);
        ++requests_;
        cv_.notify_all();
      }
      // No suspension between this check and the wait: Release's cancel, posted to this
      // thread, cannot slip in between.
      if (held_) co_await gate_.async_wait(kTuple);
      if (reply.delay.count() > 0) {
        boost::asio::steady_timer timer(ioc_, reply.delay);
        co_await timer.async_wait(kTuple);
      }
      boost::system::error_code ignored;
      if (reply.action == LoopbackReply::Action::kCloseWithoutAnswer) {
        socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
        socket.close(ignored);
        co_return;
      }
      if (reply.action == LoopbackReply::Action::kNeverAnswer) {
        char sink[512];
        for (;;) {
          auto [ec, n] = co_await socket.async_read_some(boost::asio::buffer(sink), kTuple);
          if (ec) co_return;
        }
      }
      if (reply.interim_continue) {
        http::response<http::empty_body> interim{http::status::continue_, 11};
        interim.set("X-Interim", "1");
        auto [ec, n] = co_await http::async_write(socket, interim, kTuple);
        if (ec) co_return;
      }
      http::response<http::string_body> res{static_cast<http::status>(reply.status), req.version()};
      for (const auto& [name, value] : reply.headers) res.insert(name, value);
      res.body() = std::move(reply.body);
      res.prepare_payload();
      res.keep_alive(req.keep_alive());
      auto [wec, wn] = co_await http::async_write(socket, res, kTuple);
      if (wec) co_return;
      {
        std::lock_guard lock(mu_);
        ++answered_;
        cv_.notify_all();
      }
      if (!res.keep_alive()) {
        socket.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
        co_return;
      }
    }
  }

  LoopbackHandler handler_;  // I/O thread only
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;  // I/O thread only, once running
  boost::asio::steady_timer gate_;           // I/O thread only, once running
  std::atomic<bool> held_{false};
  unsigned short port_ = 0;
  std::thread thread_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::size_t connections_ = 0;  // guarded by mu_
  std::size_t requests_ = 0;     // guarded by mu_
  std::size_t answered_ = 0;     // guarded by mu_
};

}  // namespace heartbeat::testing
