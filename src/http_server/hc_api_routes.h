#pragma once
// Healthchecks' management API (SPEC §13, spec/healthchecks-compat.md): /api/v1/, /api/v2/
// and /api/v3/ checks (list, create, read, update, delete, pause, resume, pings, a ping's
// body, flips), channels and status, with Healthchecks' JSON shapes and errors, so that its
// clients work unchanged. A check is one of our monitors, seen only by keys of its project
// and found by its uuid; its slug is its key, so it never changes here.
//
// The mapping: a check's `timeout` is our interval, its `schedule` and `tz` ours, its `grace`
// our grace and also our max_runtime (a started run is down `grace` after its start, as
// Healthchecks has it). Statuses: `new` (never pinged), `up`, `grace` (our late), `down`
// (our overdue), `paused`, and in v1 `started` while a run runs.

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/monitor.h"
#include "core/result.h"
#include "core/signal.h"
#include "http_server/route_support.h"
#include "http_server/router.h"
#include "store/store.h"

namespace heartbeat::http {

// A create or update body, read with Healthchecks' strict types (any field may be absent;
// unknown fields are ignored).
struct CheckSpec {
  std::optional<std::string> name, slug, tags, desc, schedule, tz, methods, channels;
  std::optional<std::int64_t> timeout, grace;
  std::optional<bool> manual_resume;
  std::vector<std::string> unique;  // of name, slug, tags, timeout, grace
};

// Parses a body: an empty one is an empty spec. Errors (kInvalidArgument) are Healthchecks'
// messages: "could not parse request body", "json validation error: <field> is not a
// string", "… is too long", "… is too small", "… has unexpected value", and for what
// Healthchecks takes and we do not, "json validation error: schedule …" naming it.
Result<CheckSpec> ParseCheckSpec(std::string_view body);

// Django's slugify on ASCII (letters and digits lowercased, runs of spaces and '-' become
// one '-', anything else but '_' dropped, '-' and '_' trimmed from the ends); other
// characters are dropped. What v1 and v2 use as the slug of a check created with a name
// and no slug.
std::string Slugify(std::string_view name);

// The check's "unique_key" (what read-only keys see instead of its uuid): Healthchecks'
// hex SHA-1 of the first 16 hex digits of the uuid.
std::string UniqueKey(std::string_view uuid);

// How a check is shown.
struct CheckView {
  int api_version = 3;
  bool read_only = false;  // unique_key instead of uuid and the URLs
  std::string base_url;    // PUBLIC_URL, else http://<Host>
};
std::string CheckJson(const Monitor& m, UnixMillis now, const CheckView& view);
// Its Healthchecks status: new, up, grace, down, paused (and started, v1).
std::string_view CheckStatus(const Monitor& m, UnixMillis now, int api_version);

class HcApiRoutes {
 public:
  // Registers the store operations "hc_find", "hc_list", "hc_write", "hc_delete" and
  // "hc_history" in the metrics (when set). `public_url`: PUBLIC_URL, without a final '/'
  // (empty: the request's Host). `on_write` is told of every write that moves a deadline.
  HcApiRoutes(Store& store, StoreCalls calls, WriteHook on_write, std::string public_url);

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
  static boost::asio::awaitable<Response> Channels(RouteCall& call);
  static boost::asio::awaitable<Response> ServiceStatus(RouteCall& call);  // "OK"

 private:
  struct Context {
    unsigned http_version = 11;
    std::string project;
    UnixMillis now = 0;
    CheckView view;
  };
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
  StoreOpLabel find_op_;
  StoreOpLabel list_op_;
  StoreOpLabel write_op_;
  StoreOpLabel delete_op_;
  StoreOpLabel history_op_;
};

}  // namespace heartbeat::http
