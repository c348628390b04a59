#pragma once
// The HTTP API of SPEC §4: routing, authentication, validation, JSON. Stateless apart
// from its references; safe to call from every I/O thread at once.

#include <boost/asio/awaitable.hpp>
#include <functional>

#include "core/clock.h"
#include "http/auth_limiter.h"
#include "http/server.h"
#include "store/key_cache.h"
#include "store/store.h"

namespace heartbeat::http {

class Api {
 public:
  // Called on the I/O thread after a ping, a fail or an unpause was stored, with the time
  // the monitor's next check became due: the in-process checker uses it to wake early.
  // Must be cheap.
  using WriteHook = std::function<void(UnixMillis)>;

  Api(Store& store, const KeyCache& keys, const Clock& clock, WriteHook on_write = {},
      AuthLimiterOptions limiter = {})
      : store_(store),
        keys_(keys),
        clock_(clock),
        on_write_(std::move(on_write)),
        auth_limiter_(limiter) {}

  boost::asio::awaitable<Response> Handle(const Request& req, const RequestContext& context);

 private:
  Store& store_;
  const KeyCache& keys_;
  const Clock& clock_;
  WriteHook on_write_;
  AuthLimiter auth_limiter_;
};

// The JSON object of one monitor, as listed by GET /monitors.
std::string MonitorJson(const Monitor& m, UnixMillis now);

}  // namespace heartbeat::http
