#pragma once
// Healthchecks' management API (SPEC §13, spec/healthchecks-compat.md): /api/v1/, /api/v2/
// and /api/v3/ checks (list, create, read, update, delete, pause, resume, pings, a ping's
// body, flips), channels and status, with Healthchecks' JSON shapes and errors, so that its
// clients work unchanged. A check is one of our monitors, seen only by keys of its project
// and found by its uuid; its slug is its key, so it never changes here.
//
// The check itself (its JSON, a body, the mapping to our settings) is hc_check.h's.

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/monitor.h"
#include "core/result.h"
#include "core/signal.h"
#include "http_server/hc_check.h"
#include "http_server/route_support.h"
#include "http_server/router.h"
#include "notify/channel_directory.h"
#include "store/store.h"

namespace heartbeat::http {

class HcApiRoutes {
 public:
  // Registers the store operations "hc_find", "hc_list", "hc_write", "hc_delete" and
  // "hc_history" in the metrics (when set). `public_url`: PUBLIC_URL, without a final '/'
  // (empty: the request's Host). `on_write` is told of every write that moves a deadline.
  // `channels`: the projects' channels (GET /api/v3/channels/, a check's "channels").
  HcApiRoutes(Store& store, StoreCalls calls, WriteHook on_write, std::string public_url,
              const ChannelDirectory* channels = nullptr);

  // Route handlers (see RouteHandler).
  boost::asio::awaitable<Response> Checks(RouteCall& call);  // GET: list, POST: create
  boost::asio::awaitable<Response> Check(RouteCall& call);   // GET, POST: update, DELETE
  boost::asio::awaitable<Response> Pause(RouteCall& call);
  boost::asio::awaitable<Response> Resume(RouteCall& call);
  boost::asio::awaitable<Response> Pings(RouteCall& call);
  boost::asio::awaitable<Response> PingBody(RouteCall& call);  // call.number: n
  boost::asio::awaitable<Response> Flips(RouteCall& call);     // ?seconds= ?start= ?end=
  // GET /api/vN/checks/<unique_key> and …/<unique_key>/flips (call.args[0]), the look-ups
  // of read-only keys: 404 for anything that is no unique_key of a check of the project.
  boost::asio::awaitable<Response> CheckByUniqueKey(RouteCall& call);
  boost::asio::awaitable<Response> FlipsByUniqueKey(RouteCall& call);
  boost::asio::awaitable<Response> Channels(RouteCall& call);
  static boost::asio::awaitable<Response> ServiceStatus(RouteCall& call);  // "OK"

 private:
  struct Context {
    unsigned http_version = 11;
    std::string project;
    UnixMillis now = 0;
    CheckView view;
  };
  // CheckSettings with the spec's channels (ApplyCheckChannels).
  static Result<MonitorSettings> SettingsOf(const Context& c, const CheckSpec& spec, bool creating);
  Context ContextOf(const RouteCall& call) const;

  // Coroutines, one each: a coroutine keeps in its frame every local of every branch.
  boost::asio::awaitable<Response> List(Context c, std::vector<std::string> tags, std::string slug);
  boost::asio::awaitable<Response> Create(Context c, CheckSpec spec);
  boost::asio::awaitable<Response> Get(Context c, std::string uuid);
  boost::asio::awaitable<Response> Update(Context c, std::string uuid, CheckSpec spec);
  boost::asio::awaitable<Response> Delete(Context c, std::string uuid);
  enum class Action { kPause, kResume };
  boost::asio::awaitable<Response> SetPaused(Context c, std::string uuid, Action action);
  boost::asio::awaitable<Response> ListPings(Context c, std::string uuid);
  boost::asio::awaitable<Response> ReadBody(Context c, std::string uuid, std::int64_t n);
  boost::asio::awaitable<Response> ListFlips(Context c, std::string uuid, UnixMillis since,
                                             std::optional<UnixMillis> until);
  // The check whose unique_key is `unique_key`, read (`flips` false) or its flips.
  boost::asio::awaitable<Response> ByUniqueKey(Context c, std::string unique_key, bool flips,
                                               UnixMillis since, std::optional<UnixMillis> until);
  // The flips window of ?seconds=, ?start= and ?end=, or a 400.
  static Result<std::pair<UnixMillis, std::optional<UnixMillis>>> FlipsWindow(
      const RouteCall& call);

  // The live monitor of the caller's project whose uuid is `uuid`, or nullopt.
  boost::asio::awaitable<Result<std::optional<Monitor>>> Find(const Context& c,
                                                              const std::string& uuid);
  // Every live monitor of the project, by key.
  boost::asio::awaitable<Result<std::vector<Monitor>>> All(const Context& c);
  // Applies `spec` to the monitor stored under `key` if it is still the check `uuid`:
  // 200 with it, 404 when it is gone.
  boost::asio::awaitable<Response> Apply(Context c, std::string key, std::string uuid,
                                         MonitorSettings settings);

  Store& store_;
  StoreCalls calls_;
  WriteHook on_write_;
  std::string public_url_;
  const ChannelDirectory* channels_;
  StoreOpLabel find_op_;
  StoreOpLabel list_op_;
  StoreOpLabel write_op_;
  StoreOpLabel delete_op_;
  StoreOpLabel history_op_;
};

}  // namespace heartbeat::http
