#pragma once
// The HTTP API of SPEC §4: routing, authentication, validation, JSON. Stateless apart
// from its references; safe to call from every I/O thread at once.

#include <boost/asio/awaitable.hpp>

#include "core/clock.h"
#include "http/server.h"
#include "store/key_cache.h"
#include "store/store.h"

namespace heartbeat::http {

class Api {
 public:
  Api(Store& store, const KeyCache& keys, const Clock& clock)
      : store_(store), keys_(keys), clock_(clock) {}

  boost::asio::awaitable<Response> Handle(const Request& req);

 private:
  Store& store_;
  const KeyCache& keys_;
  const Clock& clock_;
};

// The JSON object of one monitor, as listed by GET /monitors.
std::string MonitorJson(const Monitor& m, UnixMillis now);

}  // namespace heartbeat::http
