#pragma once
// The routes that read and manage monitors (SPEC §4, §12): GET /monitors, GET, PUT and
// DELETE /monitors/{slug}, POST /monitors/{slug}/pause and /unpause, and the history:
// GET /monitors/{slug}/pings, /pings/{n}/body and /flips.

#include <boost/asio/awaitable.hpp>
#include <string>

#include "core/clock.h"
#include "core/lifecycle.h"
#include "core/metrics.h"
#include "http_server/channel_routes.h"
#include "http_server/route_support.h"
#include "http_server/router.h"
#include "store/store.h"

namespace heartbeat::http {

// The JSON object of one monitor, as listed by GET /monitors.
std::string MonitorJson(const Monitor& m, UnixMillis now);

// The settings of a PUT /monitors/{slug} body (SPEC §12): a JSON object of "interval",
// "schedule", "tz", "grace" and "max_runtime" (durations as text in the interval grammar
// or as a number of seconds; null clears the schedule or the run limit). Anything else, a
// wrong type or a bad value is kInvalidArgument naming the field.
Result<MonitorSettings> SettingsFromJson(std::string_view body);

class MonitorRoutes {
 public:
  // Registers the store operations "get", "list", "delete", "pause" and "unpause" in
  // `metrics` (when set). `on_write` is told of an unpause (its deadline restarts).
  // `channels`: a PUT's "channels" must name the project's (none: unchecked).
  MonitorRoutes(Store& store, StoreCalls calls, WriteHook on_write,
                const ChannelDirectory* channels = nullptr);

  // Route handlers (see RouteHandler).
  boost::asio::awaitable<Response> List(RouteCall& call);
  // GET and HEAD read the monitor, PUT creates or configures it, DELETE deletes it.
  boost::asio::awaitable<Response> GetOrDelete(RouteCall& call);
  boost::asio::awaitable<Response> Pings(RouteCall& call);     // ?limit=
  boost::asio::awaitable<Response> PingBody(RouteCall& call);  // call.number: n
  boost::asio::awaitable<Response> Flips(RouteCall& call);
  boost::asio::awaitable<Response> Pause(RouteCall& call);
  boost::asio::awaitable<Response> Unpause(RouteCall& call);
  boost::asio::awaitable<Response> Snooze(RouteCall& call);  // ?for=2h
  boost::asio::awaitable<Response> Unsnooze(RouteCall& call);

 private:
  // Coroutines, one each: a coroutine keeps in its frame every local of every branch.
  boost::asio::awaitable<Response> ListAll(unsigned v, std::string project, UnixMillis now);
  boost::asio::awaitable<Response> Get(unsigned v, std::string slug, UnixMillis now);
  boost::asio::awaitable<Response> Delete(unsigned v, std::string slug, UnixMillis now);
  boost::asio::awaitable<Response> Put(unsigned v, std::string slug, MonitorSettings settings,
                                       UnixMillis now);
  boost::asio::awaitable<Response> ListPings(unsigned v, std::string slug, std::size_t limit,
                                             UnixMillis now);
  boost::asio::awaitable<Response> ReadBody(unsigned v, std::string slug, std::int64_t n,
                                            UnixMillis now);
  boost::asio::awaitable<Response> ListFlips(unsigned v, std::string slug, UnixMillis now);
  enum class StateChange { kPause, kUnpause, kSnooze, kUnsnooze };
  // `until`: the snooze's end.
  boost::asio::awaitable<Response> SetState(unsigned v, std::string slug, StateChange change,
                                            UnixMillis now, UnixMillis until);

  Store& store_;
  StoreCalls calls_;
  WriteHook on_write_;
  StoreOpLabel get_op_;
  StoreOpLabel list_op_;
  StoreOpLabel delete_op_;
  StoreOpLabel pause_op_;
  StoreOpLabel unpause_op_;
  StoreOpLabel put_op_;
  StoreOpLabel history_op_;
  StoreOpLabel snooze_op_;
  const ChannelDirectory* channels_;
};

}  // namespace heartbeat::http
