#pragma once
// The routes that read and manage monitors (SPEC §4): GET /monitors, GET and DELETE
// /monitors/{slug}, POST /monitors/{slug}/pause and /unpause.

#include <boost/asio/awaitable.hpp>
#include <string>

#include "core/clock.h"
#include "core/metrics.h"
#include "http_server/route_support.h"
#include "http_server/router.h"
#include "store/store.h"

namespace heartbeat::http {

// The JSON object of one monitor, as listed by GET /monitors.
std::string MonitorJson(const Monitor& m, UnixMillis now);

class MonitorRoutes {
 public:
  // Registers the store operations "get", "list", "delete", "pause" and "unpause" in
  // `metrics` (when set). `on_write` is told of an unpause (its deadline restarts).
  MonitorRoutes(Store& store, StoreCalls calls, WriteHook on_write);

  // Route handlers (see RouteHandler).
  boost::asio::awaitable<Response> List(RouteCall& call);
  // GET and HEAD read the monitor, DELETE deletes it.
  boost::asio::awaitable<Response> GetOrDelete(RouteCall& call);
  boost::asio::awaitable<Response> Pause(RouteCall& call);
  boost::asio::awaitable<Response> Unpause(RouteCall& call);

 private:
  // Coroutines, one each: a coroutine keeps in its frame every local of every branch.
  boost::asio::awaitable<Response> ListAll(unsigned v, UnixMillis now);
  boost::asio::awaitable<Response> Get(unsigned v, std::string slug, UnixMillis now);
  boost::asio::awaitable<Response> Delete(unsigned v, std::string slug, UnixMillis now);
  boost::asio::awaitable<Response> SetPaused(unsigned v, std::string slug, bool pause,
                                             UnixMillis now);

  Store& store_;
  StoreCalls calls_;
  WriteHook on_write_;
  StoreOpLabel get_op_;
  StoreOpLabel list_op_;
  StoreOpLabel delete_op_;
  StoreOpLabel pause_op_;
  StoreOpLabel unpause_op_;
};

}  // namespace heartbeat::http
