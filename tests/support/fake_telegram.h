#pragma once
// A fake Telegram Bot API on 127.0.0.1 that speaks real HTTP. It records every
// sendMessage it receives and answers as told: 200, 429 with retry_after, 500, 400, a
// slow answer, or no answer at all (the port refuses connections while "down"). A TLS
// handshake (an https:// client) is counted and the connection closed.
// Thread-safe.
// It also serves the buttons' getUpdates (presses queued by Press), answerCallbackQuery and
// editMessageText, which it records.

#include <sys/socket.h>

#include <atomic>
#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
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

// The buttons' side of the Bot API (getUpdates, answerCallbackQuery, editMessageText).

// 409, as Telegram answers a second getUpdates consumer of a bot, or one while a webhook is set.
inline TelegramReply ConflictReply() {
  return {409,
          0,
          {},
          "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
          "is running"};
}

// Who presses a button.
struct TelegramUser {
  std::int64_t id = 1001;
  std::string username;  // without '@'; empty: none
  std::string first_name = "Alice";
  std::string last_name;
};

// A press of an inline keyboard's button, as a callback_query update.
struct TelegramPress {
  std::string token;  // the bot whose message it is
  std::string data;   // the button's callback_data
  std::int64_t chat_id = 0;
  std::string chat_username;  // a public chat's, without '@'; empty: none
  TelegramUser from;
  std::int64_t message_id = 1;
  std::string text = "nightly-backup is DOWN";  // the message's, as Telegram gives it back
  std::string entities;                         // the message's entities, JSON; empty: none
  std::string reply_markup;                     // the message's keyboard, JSON; empty: none
  bool without_message = false;  // a press on an inline message (no message, no chat)
};

// A getUpdates call received.
struct TelegramPoll {
  std::string token;
  std::optional<std::int64_t> offset;
  std::int64_t timeout = 0;
  std::string allowed_updates;  // JSON; empty: none given
};

// An answerCallbackQuery received.
struct TelegramCallbackAnswer {
  std::string token;
  std::string callback_query_id;
  std::string text;
};

// An editMessageText received.
struct TelegramEdit {
  std::string token;
  std::string chat_id;  // as sent, serialized when a number
  std::int64_t message_id = 0;
  std::string text;
  std::string parse_mode;    // empty: none
  std::string entities;      // JSON; empty: none
  std::string reply_markup;  // JSON; empty: none (the keyboard goes)
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

  // --- The buttons: getUpdates answers like Telegram's long poll (the updates of that bot
  // from `offset` on, at once, or when one comes, or empty after `timeout` seconds; an
  // update below the offset given is confirmed and forgotten; a second getUpdates of a bot
  // while one waits gets 409). answerCallbackQuery and editMessageText are recorded and
  // answered 200. None of them is counted in Requests() or answered from Enqueue's queue.

  // Queues a press as an update of its bot; returns its update_id. Its callback_query id
  // is "cb<update_id>".
  std::int64_t Press(const TelegramPress& press) {
    std::lock_guard lock(mu_);
    const std::int64_t id = next_update_id_++;
    boost::json::object q{
        {"id", "cb" + std::to_string(id)}, {"chat_instance", "-42"}, {"data", press.data}};
    boost::json::object from{
        {"id", press.from.id}, {"is_bot", false}, {"first_name", press.from.first_name}};
    if (!press.from.last_name.empty()) from["last_name"] = press.from.last_name;
    if (!press.from.username.empty()) from["username"] = press.from.username;
    q["from"] = std::move(from);
    if (!press.without_message) {
      boost::json::object chat{{"id", press.chat_id}, {"type", "supergroup"}, {"title", "ops"}};
      if (!press.chat_username.empty()) chat["username"] = press.chat_username;
      boost::json::object m{{"message_id", press.message_id},
                            {"date", 1'789'992'180},
                            {"chat", std::move(chat)},
                            {"text", press.text}};
      if (!press.entities.empty()) m["entities"] = boost::json::parse(press.entities);
      if (!press.reply_markup.empty()) m["reply_markup"] = boost::json::parse(press.reply_markup);
      q["message"] = std::move(m);
    }
    updates_[press.token].push_back(boost::json::object{{"update_id", id}, {"callback_query", q}});
    cv_.notify_all();
    return id;
  }
  // getUpdates' answers to give, in order, before it answers normally again (a 200 here
  // means "answer normally").
  void EnqueueUpdatesReply(TelegramReply reply) {
    std::lock_guard lock(mu_);
    updates_replies_.push_back(reply);
  }
  // The updates of `token`'s bot not confirmed yet.
  std::size_t Unconfirmed(const std::string& token) const {
    std::lock_guard lock(mu_);
    auto it = updates_.find(token);
    return it == updates_.end() ? 0 : it->second.size();
  }
  std::vector<TelegramPoll> Polls() const {
    std::lock_guard lock(mu_);
    return polls_;
  }
  // getUpdates calls answered 409 because another one of the same bot was waiting.
  std::size_t ConcurrentPolls() const {
    std::lock_guard lock(mu_);
    return concurrent_polls_;
  }
  std::vector<TelegramCallbackAnswer> Answers() const {
    std::lock_guard lock(mu_);
    return answers_;
  }
  std::vector<TelegramEdit> Edits() const {
    std::lock_guard lock(mu_);
    return edits_;
  }
  bool WaitForPolls(std::size_t n,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return polls_.size() >= n; });
  }
  bool WaitForAnswers(std::size_t n,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return answers_.size() >= n; });
  }
  bool WaitForEdits(std::size_t n,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return edits_.size() >= n; });
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
      if (auto res = ServeButtons(req)) {  // getUpdates, answerCallbackQuery, editMessageText
        if (stopping_) return;
        http::write(socket, *res, ec);
        if (ec || !req.keep_alive()) return;
        continue;
      }
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

  // The buttons' methods; nullopt for any other (sendMessage).
  std::optional<boost::beast::http::response<boost::beast::http::string_body>> ServeButtons(
      const boost::beast::http::request<boost::beast::http::string_body>& req) {
    namespace http = boost::beast::http;
    namespace json = boost::json;
    const std::string target(req.target());
    const auto bot = target.find("/bot");
    if (bot == std::string::npos) return std::nullopt;
    const auto slash = target.find('/', bot + 4);
    if (slash == std::string::npos) return std::nullopt;
    const std::string token = target.substr(bot + 4, slash - bot - 4);
    const std::string method = target.substr(slash + 1);
    if (method != "getUpdates" && method != "answerCallbackQuery" && method != "editMessageText") {
      return std::nullopt;
    }
    boost::system::error_code jec;
    json::value parsed = json::parse(req.body(), jec);
    const json::object body = !jec && parsed.is_object() ? parsed.as_object() : json::object();
    auto text_of = [&](const char* key) {
      const auto* v = body.if_contains(key);
      if (v == nullptr) return std::string();
      return v->is_string() ? std::string(v->as_string()) : json::serialize(*v);
    };
    auto int_of = [&](const char* key) -> std::optional<std::int64_t> {
      const auto* v = body.if_contains(key);
      if (v != nullptr && v->is_int64()) return v->as_int64();
      return std::nullopt;
    };
    auto answer = [&](unsigned status, json::value result, const std::string& description,
                      int retry_after = 0) {
      http::response<http::string_body> res{static_cast<http::status>(status), 11};
      res.set(http::field::content_type, "application/json");
      json::object o;
      if (status == 200) {
        o = {{"ok", true}, {"result", std::move(result)}};
      } else {
        o = {{"ok", false}, {"error_code", status}, {"description", description}};
        if (status == 429) o["parameters"] = {{"retry_after", retry_after}};
      }
      res.body() = json::serialize(o);
      res.prepare_payload();
      res.keep_alive(req.keep_alive());
      return res;
    };

    std::unique_lock lock(mu_);
    if (method == "answerCallbackQuery") {
      answers_.push_back({token, text_of("callback_query_id"), text_of("text")});
      cv_.notify_all();
      return answer(200, true, {});
    }
    if (method == "editMessageText") {
      edits_.push_back({token, text_of("chat_id"), int_of("message_id").value_or(0),
                        text_of("text"), text_of("parse_mode"), text_of("entities"),
                        text_of("reply_markup")});
      cv_.notify_all();
      return answer(200, true, {});
    }
    // getUpdates
    TelegramPoll poll{token, int_of("offset"), int_of("timeout").value_or(0),
                      text_of("allowed_updates")};
    polls_.push_back(poll);
    cv_.notify_all();
    if (!updates_replies_.empty()) {
      TelegramReply r = updates_replies_.front();
      updates_replies_.pop_front();
      if (r.status != 200) return answer(r.status, nullptr, r.description, r.retry_after);
    }
    if (polling_[token] > 0) {
      ++concurrent_polls_;
      return answer(409, nullptr, ConflictReply().description);
    }
    auto& queue = updates_[token];
    if (poll.offset) {
      while (!queue.empty() && queue.front().at("update_id").as_int64() < *poll.offset) {
        queue.pop_front();
      }
    }
    ++polling_[token];
    cv_.wait_for(lock, std::chrono::seconds(poll.timeout),
                 [&] { return stopping_.load() || !queue.empty(); });
    --polling_[token];
    json::array result;
    for (const auto& u : queue) {
      if (result.size() == 100) break;
      result.push_back(u);
    }
    return answer(200, std::move(result), {});
  }

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::deque<TelegramReply> queue_;         // guarded by mu_
  TelegramReply default_;                   // guarded by mu_
  std::vector<TelegramMessage> delivered_;  // guarded by mu_
  std::size_t requests_ = 0;                // guarded by mu_
  std::size_t tls_handshakes_ = 0;          // guarded by mu_
  // The buttons' side, all guarded by mu_.
  std::map<std::string, std::deque<boost::json::object>> updates_;  // by token, unconfirmed
  std::int64_t next_update_id_ = 700'000'001;
  std::map<std::string, int> polling_;  // getUpdates waiting, by token
  std::deque<TelegramReply> updates_replies_;
  std::vector<TelegramPoll> polls_;
  std::size_t concurrent_polls_ = 0;
  std::vector<TelegramCallbackAnswer> answers_;
  std::vector<TelegramEdit> edits_;

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
