#pragma once
// Outbound HTTP without a thread per request: many requests in flight on one event thread.
// The DynamoDB store sends every operation through it, so that hundreds of pings can wait
// on DynamoDB at once while the server keeps a few threads.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "http_client/http_client.h"

namespace heartbeat {

class AsyncHttpClient {
 public:
  virtual ~AsyncHttpClient() = default;

  // Starts `request` and returns at once. `done` runs exactly once, on the client's event
  // thread (never inside this call), with the answer or the transport failure. `done` must
  // not block. Thread-safe. After Close, `done` runs at once with a transport failure (then
  // inside this call: the event thread is gone).
  virtual void Start(HttpRequest request, std::function<void(HttpResult)> done) = 0;

  // Runs `fn` once on the event thread after `delay` (for retries with back-off without a
  // sleeping thread). Thread-safe. After Close, `fn` runs at once (inside this call), so
  // that a caller waiting on a retry always hears back.
  virtual void RunAfter(std::chrono::milliseconds delay, std::function<void()> fn) = 0;

  // Fails what is in flight or waiting with a transport failure, runs pending timers, stops
  // the event thread, and returns when it has. Idempotent. The callbacks it causes run on
  // the event thread. Called from a callback, it returns at once and the event thread stops
  // when the callback returns; the client must not be destroyed from a callback.
  virtual void Close() = 0;

  // Requests written to a connection and not yet answered (not those still waiting for a
  // connection), now and at most so far. Thread-safe.
  virtual std::int64_t OnConnections() const = 0;
  virtual std::int64_t MaxOnConnections() const = 0;
};

struct CurlMultiOptions {
  // Connections kept open per host (keep-alive, reused); requests beyond it queue.
  std::size_t max_connections_per_host = 64;
};

// libcurl's multi interface on one event thread: HTTP/1.1 keep-alive, HTTPS with certificate
// and host verification, the timeouts of HttpRequest, no redirects.
std::unique_ptr<AsyncHttpClient> MakeCurlMultiHttpClient(CurlMultiOptions options = {});

}  // namespace heartbeat
