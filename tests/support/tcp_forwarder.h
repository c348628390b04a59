#pragma once
// A port on 127.0.0.1 that refuses connections until Open(), then forwards each connection
// to a target port on 127.0.0.1, byte for byte: an outage of a loopback service (dynalite)
// that ends, for a client that keeps its endpoint.
//
//   TcpForwarder outage(target_port);   // outage.url(): refused for now
//   ...                                  // the client fails
//   outage.Open();                       // the same url now reaches the target
//
// The port is bound (port 0) but not listening until Open(): no port is guessed, and
// nothing else can take it meanwhile. One I/O thread from Open() on; the destructor stops
// it and closes every connection. Not thread-safe: Open() and the destructor from one
// thread.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <memory>
#include <string>
#include <thread>

namespace heartbeat::testing {

class TcpForwarder {
 public:
  explicit TcpForwarder(unsigned short target_port)
      : target_(boost::asio::ip::make_address_v4("127.0.0.1"), target_port), acceptor_(io_) {
    acceptor_.open(tcp::v4());
    acceptor_.bind(tcp::endpoint(boost::asio::ip::make_address_v4("127.0.0.1"), 0));
    port_ = acceptor_.local_endpoint().port();
  }
  ~TcpForwarder() {
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }
  TcpForwarder(const TcpForwarder&) = delete;
  TcpForwarder& operator=(const TcpForwarder&) = delete;

  unsigned short port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Listens from now on and forwards every connection to the target.
  void Open() {
    acceptor_.listen();
    boost::asio::co_spawn(io_, Accept(), boost::asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }

 private:
  using tcp = boost::asio::ip::tcp;
  using Socket = std::shared_ptr<tcp::socket>;

  boost::asio::awaitable<void> Accept() {
    using boost::asio::as_tuple;
    using boost::asio::use_awaitable;
    for (;;) {
      auto [ec, client] = co_await acceptor_.async_accept(as_tuple(use_awaitable));
      if (ec) co_return;
      auto upstream = std::make_shared<tcp::socket>(io_);
      auto [connect_ec] = co_await upstream->async_connect(target_, as_tuple(use_awaitable));
      if (connect_ec) continue;  // the client sees its connection closed
      auto downstream = std::make_shared<tcp::socket>(std::move(client));
      boost::asio::co_spawn(io_, Pump(downstream, upstream), boost::asio::detached);
      boost::asio::co_spawn(io_, Pump(upstream, downstream), boost::asio::detached);
    }
  }

  // Copies `from` to `to` until `from` ends, then ends `to`'s sending side.
  static boost::asio::awaitable<void> Pump(Socket from, Socket to) {
    using boost::asio::as_tuple;
    using boost::asio::use_awaitable;
    char buf[16 * 1024];
    for (;;) {
      auto [ec, n] =
          co_await from->async_read_some(boost::asio::buffer(buf), as_tuple(use_awaitable));
      if (ec) break;
      auto [write_ec, written] = co_await boost::asio::async_write(*to, boost::asio::buffer(buf, n),
                                                                   as_tuple(use_awaitable));
      if (write_ec) break;
    }
    boost::system::error_code ignored;
    to->shutdown(tcp::socket::shutdown_send, ignored);
  }

  tcp::endpoint target_;
  boost::asio::io_context io_;
  tcp::acceptor acceptor_;  // on io_'s thread once Open() ran
  unsigned short port_ = 0;
  std::thread thread_;
};

}  // namespace heartbeat::testing
