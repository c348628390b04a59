#pragma once
// A fake Telegram Bot API on 127.0.0.1 that speaks real HTTP. It records every
// sendMessage it receives and answers as told: 200, 429 with retry_after, 500, 400, a
// slow answer, or no answer at all (the port refuses connections while "down"). A TLS
// handshake (an https:// client) is counted and the connection closed.
// Thread-safe.

#include <sys/socket.h>

#include <atomic>
#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace heartbeat::testing {

// The chat the end-to-end tests configure (TELEGRAM_CHAT_ID) and expect alerts in.
inline constexpr const char* kChatId = "-1004242424242";

struct TelegramMessage {
  std::string token;  // from the path /bot<token>/sendMessage
  std::string chat_id;
  std::string text;
  std::string parse_mode;
  std::string method;        // "POST"
  std::string target;        // the request target, e.g. "/bot<token>/sendMessage"
  std::string content_type;  // the Content-Type header
  std::string reply_markup;  // the reply_markup given, serialized, or empty
};

struct TelegramReply {
  unsigned status = 200;
  int retry_after = 0;  // for 429
  std::chrono::milliseconds delay{0};
  std::string description;

  static TelegramReply Ok() { return {}; }
  static TelegramReply TooManyRequests(int retry_after) {
    return {429, retry_after, {}, "Too Many Requests: retry after " + std::to_string(retry_after)};
  }
  static TelegramReply ServerError() { return {500, 0, {}, "Internal Server Error"}; }
  static TelegramReply BadRequest() {
    return {400, 0, {}, "Bad Request: can't parse entities: character '.' is reserved"};
  }
  static TelegramReply Slow(std::chrono::milliseconds d) { return {200, 0, d, {}}; }
};

class FakeTelegram {
 public:
  FakeTelegram() { Listen(0); }
  ~FakeTelegram() { Shutdown(); }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  unsigned short port() const { return port_; }

  // Replies to give, in order; when none is queued, `default_reply`.
  void Enqueue(TelegramReply reply) {
    std::lock_guard lock(mu_);
    queue_.push_back(reply);
  }
  void SetDefault(TelegramReply reply) {
    std::lock_guard lock(mu_);
    default_ = reply;
  }

  // Down: closes the listening socket, so connections are refused, and cuts the open
  // connections (a request in flight gets no answer). Up: listens again on the same port.
  void Down() { Shutdown(); }
  void Up() { Listen(port_); }

  // Every message answered 200 (delivered), in arrival order.
  std::vector<TelegramMessage> Delivered() const {
    std::lock_guard lock(mu_);
    return delivered_;
  }
  // Every request received, whatever the answer.
  std::size_t Requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  // Waits until at least n requests were received (answered or not).
  bool WaitForRequests(std::size_t n,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return requests_ >= n; });
  }
  // TLS handshakes received (an https:// client on this plain-HTTP port); never answered.
  std::size_t TlsHandshakes() const {
    std::lock_guard lock(mu_);
    return tls_handshakes_;
  }
  // Waits until at least n messages were delivered.
  bool WaitForDelivered(std::size_t n,
                        std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return delivered_.size() >= n; });
  }

 private:
  void Listen(unsigned short port) {
    namespace asio = boost::asio;
    acceptor_.reset();  // before the io_context it belongs to
    ioc_ = std::make_unique<asio::io_context>();
    acceptor_ = std::make_unique<asio::ip::tcp::acceptor>(*ioc_);
    asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
    acceptor_->open(ep.protocol());
    acceptor_->set_option(asio::socket_base::reuse_address(true));
    acceptor_->bind(ep);
    acceptor_->listen();
    port_ = acceptor_->local_endpoint().port();
    stopping_ = false;
    thread_ = std::thread([this] { AcceptLoop(); });
  }

  void Shutdown() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();  // a slow answer in progress gives up (see the delay)
    // On Linux, closing a listening socket does not wake a thread blocked in accept();
    // shutting it down does (accept fails with EINVAL).
    ::shutdown(acceptor_->native_handle(), SHUT_RDWR);
    thread_.join();
    boost::system::error_code ec;
    acceptor_->close(ec);
    {
      // Cut open connections too: their threads may wait in a read of the next request.
      std::lock_guard lock(conn_mu_);
      for (auto& s : sockets_) ::shutdown(s->native_handle(), SHUT_RDWR);
    }
    for (auto& t : connections_) t.join();
    connections_.clear();
    sockets_.clear();
  }

  void AcceptLoop() {
    for (;;) {
      boost::asio::ip::tcp::socket socket(*ioc_);
      boost::system::error_code ec;
      acceptor_->accept(socket, ec);
      if (ec || stopping_) return;
      auto shared = std::make_shared<boost::asio::ip::tcp::socket>(std::move(socket));
      {
        std::lock_guard lock(conn_mu_);
        sockets_.push_back(shared);
      }
      connections_.emplace_back([this, shared] { Serve(*shared); });
    }
  }

  void Serve(boost::asio::ip::tcp::socket& socket) {
    namespace http = boost::beast::http;
    // A TLS handshake record starts with 0x16: not HTTP. Count it and hang up at once, as
    // a plain-HTTP server would, so that an https:// client fails fast.
    unsigned char first = 0;
    boost::system::error_code pec;
    socket.receive(boost::asio::buffer(&first, 1), boost::asio::socket_base::message_peek, pec);
    if (pec) return;
    if (first == 0x16) {
      {
        std::lock_guard lock(mu_);
        ++tls_handshakes_;
      }
      ::shutdown(socket.native_handle(), SHUT_RDWR);  // the socket itself lives on in sockets_
      return;
    }
    boost::beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      boost::system::error_code ec;
      http::read(socket, buffer, req, ec);
      if (ec) return;
      TelegramReply reply;
      TelegramMessage msg;
      {
        std::lock_guard lock(mu_);
        ++requests_;
        cv_.notify_all();
        if (!queue_.empty()) {
          reply = queue_.front();
          queue_.pop_front();
        } else {
          reply = default_;
        }
      }
      std::string target(req.target());
      msg.method = std::string(req.method_string());
      msg.target = target;
      msg.content_type = std::string(req[boost::beast::http::field::content_type]);
      auto bot = target.find("/bot");
      auto send = target.find("/sendMessage");
      if (bot != std::string::npos && send != std::string::npos && send > bot + 4) {
        msg.token = target.substr(bot + 4, send - bot - 4);
      }
      boost::system::error_code jec;
      auto body = boost::json::parse(req.body(), jec);
      if (!jec && body.is_object()) {
        auto& o = body.as_object();
        if (auto* v = o.if_contains("chat_id")) {
          msg.chat_id = v->is_string() ? std::string(v->as_string()) : boost::json::serialize(*v);
        }
        if (auto* v = o.if_contains("text"); v && v->is_string()) msg.text = v->as_string();
        if (auto* v = o.if_contains("parse_mode"); v && v->is_string()) {
          msg.parse_mode = v->as_string();
        }
        if (auto* v = o.if_contains("reply_markup")) msg.reply_markup = boost::json::serialize(*v);
      }
      if (reply.delay.count() > 0) {
        // Answers late, but not past Down() or the end of the test: a stopping fake does
        // not hold its owner's destructor for the whole delay.
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, reply.delay, [&] { return stopping_.load(); });
      }
      http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
      res.set(http::field::content_type, "application/json");
      if (reply.status == 200) {
        res.body() = R"({"ok":true,"result":{"message_id":1}})";
      } else {
        boost::json::object o{
            {"ok", false}, {"error_code", reply.status}, {"description", reply.description}};
        if (reply.status == 429) o["parameters"] = {{"retry_after", reply.retry_after}};
        res.body() = boost::json::serialize(o);
      }
      res.prepare_payload();
      res.keep_alive(req.keep_alive());
      if (stopping_) return;  // went down while answering slowly: no answer at all
      if (reply.status == 200) {
        // Recorded before the answer goes out, as Telegram posts a message before it
        // answers: whoever sees the 200 finds the message in Delivered().
        std::lock_guard lock(mu_);
        delivered_.push_back(msg);
        cv_.notify_all();
      }
      http::write(socket, res, ec);
      if (ec || !req.keep_alive()) return;
    }
  }

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::deque<TelegramReply> queue_;         // guarded by mu_
  TelegramReply default_;                   // guarded by mu_
  std::vector<TelegramMessage> delivered_;  // guarded by mu_
  std::size_t requests_ = 0;                // guarded by mu_
  std::size_t tls_handshakes_ = 0;          // guarded by mu_

  unsigned short port_ = 0;
  std::atomic<bool> stopping_{false};
  std::unique_ptr<boost::asio::io_context> ioc_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::thread thread_;
  std::vector<std::thread> connections_;  // touched by the accept thread and Shutdown
  std::mutex conn_mu_;
  std::vector<std::shared_ptr<boost::asio::ip::tcp::socket>> sockets_;  // guarded by conn_mu_
};

}  // namespace heartbeat::testing
