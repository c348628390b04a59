#include "http_server/server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cerrno>
#include <exception>
#include <unordered_set>

namespace heartbeat::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
// How often each worker looks for connections past their deadline: timeouts are enforced
// to within this.
constexpr auto kSweepPeriod = std::chrono::milliseconds(250);
// At most one log line per this about shed connections and failed accepts: under a flood of
// connections they happen hundreds of times a second.
constexpr auto kPressureReportPeriod = std::chrono::seconds(10);
// Idle connections closed per accept that finds no descriptor left (about every 10 ms while it
// lasts), as nginx's ngx_drain_connections reuses 32 at a time.
constexpr std::size_t kShedOnNoDescriptors = 32;

Result<tcp::endpoint> ParseBindAddress(const std::string& text) {
  auto bad = [&](std::string why) {
    return InvalidArgument("invalid address '" + text + "': " + why);
  };
  std::string host;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return bad("expected [ipv6]:port");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) return bad("expected host:port");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) > 65535) {
    return bad("the port must be a number from 0 to 65535");
  }
  boost::system::error_code ec;
  asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec) return bad("'" + host + "' is not an IPv4 or IPv6 address");
  return tcp::endpoint(address, static_cast<unsigned short>(std::stoul(port)));
}

Response ErrorResponse(unsigned version, bhttp::status status, std::string_view message) {
  Response res{status, version};
  res.set(bhttp::field::content_type, "application/json");
  boost::json::object body;
  // Messages may quote what the client sent (a path, a parameter): JSON must stay UTF-8.
  body["error"] = ValidUtf8(message);
  res.body() = boost::json::serialize(body);
  return res;
}

void SerializeResponseHead(const Response& res, std::string& out) {
  char status_line[] = "HTTP/1.1 200 ";  // version and code replaced below
  status_line[5] = static_cast<char>('0' + res.version() / 10 % 10);
  status_line[7] = static_cast<char>('0' + res.version() % 10);
  for (unsigned code = res.result_int(), i = 11; i >= 9; --i, code /= 10) {
    status_line[i] = static_cast<char>('0' + code % 10);
  }
  out.append(status_line, sizeof status_line - 1);
  beast::string_view reason = res.reason();
  out.append(reason.data(), reason.size());
  out.append("\r\n");
  for (const auto& field : res) {
    beast::string_view name = field.name_string();
    beast::string_view value = field.value();
    out.append(name.data(), name.size());
    out.append(": ");
    out.append(value.data(), value.size());
    out.append("\r\n");
  }
  out.append("\r\n");
}

struct Server::Worker {
  asio::io_context ioc{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard{ioc.get_executor()};
  std::unordered_set<Session*> sessions;  // touched only on this worker's thread
};

// Deadlines are enforced by one sweeper per worker instead of a timer per operation:
// arming and cancelling a timer around every read and write costs more than the request.
// A session sets `deadline` before each socket operation; the sweeper closes the sockets
// of sessions past theirs, which ends their pending operation with an error.
class Server::Session {
 public:
  explicit Session(tcp::socket s) : socket(std::move(s)) {
    // Send writes without waiting first; asynchronous operations are unaffected.
    boost::system::error_code ignored;
    socket.non_blocking(true, ignored);
  }
  tcp::socket socket;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  bool reading = true;  // waiting for or reading a request: safe to close on shutdown
  // Waiting for the next request on a kept-alive connection, nothing of it read yet: may be
  // closed to make room. All idle sessions wait the same idle timeout, so the earliest
  // `deadline` is the oldest idle one.
  bool idle = false;

  void ExpiresAfter(std::chrono::milliseconds d) {
    deadline = std::chrono::steady_clock::now() + d;
  }
  void ExpiresNever() { deadline = std::chrono::steady_clock::time_point::max(); }

  // Sends `res`, head then body. A response nearly always fits in the socket's send
  // buffer: written at once, it needs no trip through the I/O loop. What does not fit is
  // sent asynchronously, within `timeout`.
  asio::awaitable<boost::system::error_code> Send(const Response& res,
                                                  std::chrono::milliseconds timeout) {
    head_.clear();
    SerializeResponseHead(res, head_);
    const std::array<asio::const_buffer, 2> bytes{asio::buffer(head_), asio::buffer(res.body())};
    boost::system::error_code ec;
    std::size_t written = socket.write_some(bytes, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      ec = {};
      written = 0;
    }
    if (!ec && written < asio::buffer_size(bytes)) {
      beast::buffers_suffix<std::array<asio::const_buffer, 2>> rest(bytes);
      rest.consume(written);
      ExpiresAfter(timeout);
      auto [aec, an] = co_await asio::async_write(socket, rest, kTuple);
      ec = aec;
    }
    co_return ec;
  }

 private:
  std::string head_;  // the head being sent; its capacity is kept for the next
};

Server::Server(ServerOptions options, Handler handler)
    : options_(std::move(options)),
      handler_(std::move(handler)),
      shed_at_(options_.max_connections - options_.max_connections / 16) {
  std::size_t n =
      options_.threads != 0 ? options_.threads : std::max(1u, std::thread::hardware_concurrency());
  for (std::size_t i = 0; i < n; ++i) workers_.push_back(std::make_unique<Worker>());
}

Server::~Server() { Stop(); }

asio::any_io_executor Server::executor() { return workers_[0]->ioc.get_executor(); }

Status Server::Start() {
  Result<tcp::endpoint> endpoint = ParseBindAddress(options_.bind);
  if (!endpoint.ok()) return endpoint.error();
  acceptor_ = std::make_unique<tcp::acceptor>(workers_[0]->ioc);
  boost::system::error_code ec;
  acceptor_->open(endpoint->protocol(), ec);
  if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(*endpoint, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Unavailable("cannot listen on " + options_.bind + ": " + ec.message());
  port_ = acceptor_->local_endpoint().port();
  asio::co_spawn(workers_[0]->ioc, AcceptLoop(), asio::detached);
  for (auto& w : workers_) asio::co_spawn(w->ioc, SweepLoop(*w), asio::detached);
  for (auto& w : workers_) {
    threads_.emplace_back([&ioc = w->ioc] {
      for (;;) {
        try {
          ioc.run();
          return;
        } catch (const std::exception& e) {
          // A last net: one failed handler never takes the process down.
          spdlog::error("unexpected exception on an I/O thread: {}", e.what());
        }
      }
    });
  }
  return Ok{};
}

asio::awaitable<void> Server::AcceptLoop() {
  while (!stopping_.load()) {
    Worker& worker = *workers_[next_worker_++ % workers_.size()];
    auto [ec, socket] = co_await acceptor_->async_accept(worker.ioc, kTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || stopping_.load()) break;
      ++accept_errors_;
      last_accept_error_ = ec.message();
      // Out of file descriptors: the connection waits in the backlog while idle keep-alive
      // connections make room; it is taken once they are closed. Anything else: back off
      // instead of spinning. Either is logged by ReportPressure, not once per attempt.
      bool no_descriptors = ec.value() == EMFILE || ec.value() == ENFILE;
      if (no_descriptors) ShedIdle(kShedOnNoDescriptors);
      asio::steady_timer pause(acceptor_->get_executor(),
                               std::chrono::milliseconds(no_descriptors ? 10 : 50));
      co_await pause.async_wait(kTuple);
      continue;
    }
    if (connections_.load() >= options_.max_connections) {
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    std::size_t open = connections_.fetch_add(1) + 1;
    if (open > shed_at_) ShedIdle(open - shed_at_ + options_.max_connections / 32);
    asio::co_spawn(worker.ioc, RunSession(worker, std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> Server::SweepLoop(Worker& worker) {
  asio::steady_timer timer(worker.ioc);
  // Also while stopping: the requests Stop waits for are held to their deadlines. The
  // loop ends with the I/O thread.
  for (;;) {
    timer.expires_after(kSweepPeriod);
    auto [ec] = co_await timer.async_wait(kTuple);
    if (ec) co_return;
    auto now = std::chrono::steady_clock::now();
    for (Session* s : worker.sessions) {
      if (s->deadline <= now) {
        boost::system::error_code ignored;
        s->socket.close(ignored);
      }
    }
    if (&worker == workers_[0].get()) ReportPressure(now, false);
  }
}

void Server::ShedIdle(std::size_t n) {
  if (shed_rounds_pending_.load() != 0) return;
  const std::size_t share = (n + workers_.size() - 1) / workers_.size();
  shed_rounds_pending_.store(workers_.size());
  for (auto& w : workers_) {
    // Each worker's sessions are its own thread's: it closes its share there. Connections
    // are dealt to the workers in turn, so each share's oldest are about the oldest overall.
    asio::post(w->ioc, [this, &worker = *w, share] {
      std::vector<Session*> idle;
      for (Session* s : worker.sessions) {
        if (s->idle) idle.push_back(s);
      }
      std::size_t k = std::min(share, idle.size());
      std::partial_sort(idle.begin(), idle.begin() + static_cast<std::ptrdiff_t>(k), idle.end(),
                        [](Session* a, Session* b) { return a->deadline < b->deadline; });
      for (std::size_t i = 0; i < k; ++i) {
        // Ends the session's pending read; it closes and leaves as on a timeout.
        boost::system::error_code ignored;
        idle[i]->idle = false;
        idle[i]->socket.close(ignored);
      }
      shed_.fetch_add(k);
      shed_rounds_pending_.fetch_sub(1);
    });
  }
}

void Server::ReportPressure(std::chrono::steady_clock::time_point now, bool now_or_never) {
  if (now - last_report_ < kPressureReportPeriod && !now_or_never) return;
  std::size_t shed = shed_.exchange(0);
  if (shed == 0 && accept_errors_ == 0) return;
  std::string what;
  if (shed > 0) {
    what = fmt::format(
        "made room for new connections: closed {} idle keep-alive ones, oldest first", shed);
  }
  if (accept_errors_ > 0) {
    if (!what.empty()) what += "; ";
    what += fmt::format("accept failed {} time{}: {}", accept_errors_,
                        accept_errors_ == 1 ? "" : "s", last_accept_error_);
  }
  spdlog::warn("{} ({} connections open, at most {}; this line at most every {} s)", what,
               connections_.load(), options_.max_connections,
               std::chrono::duration_cast<std::chrono::seconds>(kPressureReportPeriod).count());
  accept_errors_ = 0;
  last_report_ = now;
}

namespace {

// Whether the start of the buffered bytes is a request line longer than `limit`.
bool RequestLineTooLong(const beast::flat_buffer& buffer, std::size_t limit) {
  auto data = buffer.data();
  std::string_view bytes(static_cast<const char*>(data.data()), data.size());
  auto eol = bytes.find('\n');
  return eol == std::string_view::npos ? bytes.size() > limit : eol > limit;
}

// A parse error caused by what the client sent (as opposed to a timeout or a closed
// connection).
bool IsMalformedRequest(const boost::system::error_code& ec) {
  const auto& http_category = bhttp::make_error_code(bhttp::error::end_of_stream).category();
  return ec.category() == http_category && ec != bhttp::error::end_of_stream &&
         ec != bhttp::error::partial_message;
}

std::size_t HeaderBytes(const Request& req) {
  std::size_t n = 0;
  for (const auto& field : req) n += field.name_string().size() + field.value().size() + 4;
  return n;
}

}  // namespace

asio::awaitable<void> Server::RunSession(Worker& worker, tcp::socket socket) {
  RequestContext context;
  {
    boost::system::error_code ec;
    auto peer = socket.remote_endpoint(ec);
    if (!ec) context.client_address = peer.address().to_string();
  }
  Session session(std::move(socket));
  worker.sessions.insert(&session);
  beast::flat_buffer buffer;
  auto& stream = session.socket;

  // Sends an error and ends the connection: used when the request cannot be read.
  auto reject = [&](bhttp::status status, std::string_view message) -> asio::awaitable<void> {
    Response res = ErrorResponse(11, status, message);
    res.keep_alive(false);
    res.prepare_payload();
    co_await session.Send(res, options_.write_timeout);
  };

  bool first_request = true;
  for (;;) {
    session.reading = true;
    if (stopping_.load()) break;
    if (buffer.size() == 0) {
      // Keep-alive: wait for the first byte of the next request. A new connection gets no
      // more than the header timeout to start talking, so silent ones cannot hold the
      // connection slots for long.
      session.ExpiresAfter(first_request ? options_.header_timeout : options_.idle_timeout);
      session.idle = !first_request;
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), kTuple);
      session.idle = false;
      if (ec) break;
      buffer.commit(n);
    }

    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(
        static_cast<std::uint32_t>(options_.max_url_bytes + options_.max_header_bytes + 1024));
    parser.body_limit(options_.max_body_bytes);
    session.ExpiresAfter(options_.header_timeout);
    // Nearly always the whole header is buffered by now (a client sends its request at
    // once): parse it in place. Beast's async_read_header would parse it just the same but
    // complete through the I/O loop, a second trip per request. It reads only what is
    // missing, with the same limits.
    boost::system::error_code hec;
    std::size_t used = parser.put(buffer.data(), hec);
    buffer.consume(used);
    if (hec == bhttp::error::need_more) hec = {};
    if (!hec && !parser.is_header_done()) {
      auto [rec, rn] = co_await bhttp::async_read_header(stream, buffer, parser, kTuple);
      hec = rec;
    }
    if (hec) {
      if (hec == bhttp::error::header_limit) {
        // Beast has consumed the request line and complete fields by now: the URL is to
        // blame only when the request line is unfinished and long, or its target is.
        std::string_view target = parser.get().target();
        bool url_too_long = target.empty() ? RequestLineTooLong(buffer, options_.max_url_bytes + 64)
                                           : target.size() > options_.max_url_bytes;
        if (url_too_long) {
          co_await reject(bhttp::status::uri_too_long, "the URL is longer than 8 KiB");
        } else {
          co_await reject(bhttp::status::request_header_fields_too_large,
                          "the request headers are larger than 16 KiB");
        }
      } else if (hec == bhttp::error::body_limit) {
        co_await reject(bhttp::status::payload_too_large, "the request body is larger than 1 MiB");
      } else if (IsMalformedRequest(hec)) {
        co_await reject(bhttp::status::bad_request, "malformed HTTP request: " + hec.message());
      }
      // Timeouts, resets and a client closing mid-request end the connection quietly.
      break;
    }
    const Request& head = parser.get();
    if (head.target().size() > options_.max_url_bytes) {
      co_await reject(bhttp::status::uri_too_long, "the URL is longer than 8 KiB");
      break;
    }
    if (HeaderBytes(head) > options_.max_header_bytes) {
      co_await reject(bhttp::status::request_header_fields_too_large,
                      "the request headers are larger than 16 KiB");
      break;
    }
    if (!parser.is_done()) {
      auto expect = head[bhttp::field::expect];
      if (beast::iequals(expect, "100-continue")) {
        Response cont{bhttp::status::continue_, head.version()};
        if (co_await session.Send(cont, options_.write_timeout)) break;
      }
      session.ExpiresAfter(options_.body_timeout);
      auto [bec, bn] = co_await bhttp::async_read(stream, buffer, parser, kTuple);
      if (bec) {
        if (bec == bhttp::error::body_limit) {
          co_await reject(bhttp::status::payload_too_large,
                          "the request body is larger than 1 MiB");
        } else if (IsMalformedRequest(bec)) {
          co_await reject(bhttp::status::bad_request, "malformed HTTP request: " + bec.message());
        }
        break;
      }
    }

    session.reading = false;
    first_request = false;
    Request req = parser.release();
    session.ExpiresNever();
    Response res;
    try {
      res = co_await handler_(req, context);
    } catch (const std::exception& e) {
      spdlog::error("request handler failed: {}", e.what());
      res = ErrorResponse(req.version(), bhttp::status::internal_server_error, "internal error");
    }
    bool keep_alive = req.keep_alive() && !stopping_.load();
    res.version(req.version());
    res.keep_alive(keep_alive);
    if (req.method() == bhttp::verb::head) {
      std::size_t length = res.body().size();
      res.body().clear();
      res.content_length(length);
    } else {
      res.prepare_payload();
    }
    boost::system::error_code wec = co_await session.Send(res, options_.write_timeout);
    if (wec || !keep_alive) break;
  }

  boost::system::error_code ignored;
  stream.shutdown(tcp::socket::shutdown_send, ignored);
  stream.close(ignored);
  worker.sessions.erase(&session);
  connections_.fetch_sub(1);
}

void Server::Stop() {
  if (stopped_.exchange(true)) return;
  stopping_.store(true);
  if (acceptor_) {
    asio::post(workers_[0]->ioc, [this] {
      boost::system::error_code ignored;
      acceptor_->close(ignored);
    });
  }
  for (auto& w : workers_) {
    asio::post(w->ioc, [&worker = *w] {
      for (Session* s : worker.sessions) {
        boost::system::error_code ignored;
        if (s->reading) s->socket.cancel(ignored);
      }
    });
  }
  // In-flight requests finish; their connections then close.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (connections_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (auto& w : workers_) {
    w->guard.reset();
    w->ioc.stop();
  }
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  // What happened since the last line is not lost with the server.
  ReportPressure(std::chrono::steady_clock::now(), true);
}

}  // namespace heartbeat::http
