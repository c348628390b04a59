#pragma once
// The small pieces route handlers share: JSON bodies, errors from a Result, the 429 of the
// authentication limiter, the bearer token of a request, store calls timed for the metrics.

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/status.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/result.h"
#include "http_server/server.h"
#include "store/store_awaitable.h"

namespace heartbeat::http {

// Called on the I/O thread after a ping, a fail or an unpause was stored, with the time the
// monitor's next check became due: the in-process checker uses it to wake early. Must be
// cheap.
using WriteHook = std::function<void(UnixMillis)>;

// A coroutine that answers `res` as it is: for handlers that know their answer at once.
boost::asio::awaitable<Response> Ready(Response res);

Response Json(unsigned version, boost::beast::http::status code, std::string body);
Response NoContent(unsigned version);
// The answer to a failed store call or a rejected argument: 400, 404, 503 (or 500).
Response FromError(unsigned version, const Error& e);
// 429 for an address that failed authentication too often.
Response TooManyFailures(unsigned version, std::int64_t wait_secs);
// The bearer token of an Authorization header value, or an empty view when it has none.
std::string_view BearerToken(std::string_view header);

// How a handler calls the store: within STORE_TIMEOUT (503 after it, whatever the store
// does meanwhile), and timed for the metrics when they are kept.
struct StoreCalls {
  const Clock& clock;
  Metrics* metrics = nullptr;
  std::chrono::milliseconds timeout{5000};  // zero: no deadline
};

// A store call (`start` receives the Callback<T>), timed under `op` when metrics are kept.
template <class T, class Start>
boost::asio::awaitable<Result<T>> TimedStoreCall(const StoreCalls& calls, StoreOpLabel op,
                                                 Start start) {
  return AwaitStore<T>(
      std::move(start),
      [metrics = calls.metrics, &clock = calls.clock, op, begin = calls.clock.Steady()] {
        if (metrics != nullptr) {
          metrics->ObserveStoreOperation(
              op, std::chrono::duration<double>(clock.Steady() - begin).count());
        }
      },
      calls.timeout);
}

}  // namespace heartbeat::http
