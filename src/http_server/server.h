#pragma once
// An HTTP/1.1 server on Boost.Beast: keep-alive, pipelining, one io_context per thread
// (all cores by default), size limits and per-phase deadlines, graceful shutdown.
//
// The request handler is a coroutine from request to response; it runs on the
// connection's thread and must not block (store calls go through AwaitStore).

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"
#include "core/utf8.h"

namespace heartbeat::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
// What the server knows about a request besides its bytes.
struct RequestContext {
  std::string client_address;  // the peer's IP address, e.g. "127.0.0.1"
};
using Handler =
    std::function<boost::asio::awaitable<Response>(const Request&, const RequestContext&)>;

struct ServerOptions {
  std::string bind = "0.0.0.0:3000";         // "host:port", "[v6]:port"; port 0 picks a free one
  std::size_t threads = 0;                   // 0: one per core
  std::size_t max_url_bytes = 8 * 1024;      // longer request targets get 414
  std::size_t max_header_bytes = 16 * 1024;  // larger header sections get 431
  std::size_t max_body_bytes = 1024 * 1024;  // larger bodies get 413
  // Further connections are closed at once. From 15/16 of it on, and whenever accept runs
  // out of file descriptors, the oldest idle keep-alive connections (waiting for their next
  // request, never one mid-request) are closed to make room, as nginx reuses its idle
  // keep-alive connections when worker_connections run short.
  std::size_t max_connections = 10000;
  std::chrono::milliseconds idle_timeout{60'000};    // keep-alive wait for the next request
  std::chrono::milliseconds header_timeout{10'000};  // first byte to end of headers
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds write_timeout{30'000};
};

// Parses "0.0.0.0:3000", "127.0.0.1:0", "[::]:3000", "[::1]:8080".
Result<boost::asio::ip::tcp::endpoint> ParseBindAddress(const std::string& text);

// core/utf8.h's, where the error messages of this namespace use it.
using ::heartbeat::ValidUtf8;

// A JSON error response: {"error": message}; invalid UTF-8 in the message is replaced.
Response ErrorResponse(unsigned version, boost::beast::http::status status,
                       std::string_view message);

// The status line and header section of `res`, as Beast's serializer writes them (fields
// in order, each "Name: value\r\n", then an empty line), appended to `out`. The body is
// sent after it as it is.
void SerializeResponseHead(const Response& res, std::string& out);

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts the I/O threads. Errors: the address is invalid or taken.
  Status Start();
  // The bound port (useful with port 0).
  unsigned short port() const { return port_; }
  // An executor of the server's, for timers of the application's own.
  boost::asio::any_io_executor executor();

  // Stops accepting, lets in-flight requests finish within their deadlines (their
  // responses say Connection: close), closes idle connections, then returns once every connection
  // is gone and the I/O threads have stopped. Thread-safe and idempotent.
  void Stop();

  std::size_t open_connections() const { return connections_.load(); }

 private:
  struct Worker;
  class Session;

  boost::asio::awaitable<void> AcceptLoop();
  boost::asio::awaitable<void> SweepLoop(Worker& worker);
  boost::asio::awaitable<void> RunSession(Worker& worker, boost::asio::ip::tcp::socket socket);
  // Asks every worker to close its share of `n` idle keep-alive connections, oldest first;
  // does nothing while the last round is under way. On workers_[0]'s thread.
  void ShedIdle(std::size_t n);
  // Logs, at most once per period (or now, when `now_or_never`), what ShedIdle and failed
  // accepts did since the last line. On workers_[0]'s thread, or once its thread has ended.
  void ReportPressure(std::chrono::steady_clock::time_point now, bool now_or_never);

  ServerOptions options_;
  Handler handler_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;  // on workers_[0]
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> connections_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> stopped_{false};
  unsigned short port_ = 0;
  std::size_t next_worker_ = 0;       // used by the accept loop only
  std::size_t shed_at_ = 0;           // open connections from which idle ones are shed
  std::atomic<std::size_t> shed_{0};  // idle connections closed, not yet logged
  std::atomic<std::size_t> shed_rounds_pending_{0};  // workers yet to run the last ShedIdle
  // On workers_[0]'s thread only: failed accepts not yet logged, the last one's reason, when
  // the last line about them was logged.
  std::size_t accept_errors_ = 0;
  std::string last_accept_error_;
  std::chrono::steady_clock::time_point last_report_{};
};

}  // namespace heartbeat::http
