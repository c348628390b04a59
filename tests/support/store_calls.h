#pragma once
// Store calls awaited, for tests that drive a store step by step. `now` is explicit: a test
// says exactly when each write happens. A failing call throws (the test then fails with
// the store's message).

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "core/monitor.h"
#include "store/store.h"

namespace heartbeat::testing {

template <class T>
T OrThrow(Result<T> r) {
  if (!r.ok()) throw std::runtime_error(r.error().message);
  return std::move(*r);
}

inline Monitor PingAt(Store& s, const std::string& slug, std::optional<std::int64_t> interval,
                      UnixMillis now) {
  return OrThrow(
      Await<Monitor>([&](Callback<Monitor> cb) { s.Ping(slug, interval, now, std::move(cb)); }));
}

inline Monitor FailAt(Store& s, const std::string& slug, UnixMillis now) {
  return OrThrow(Await<Monitor>([&](Callback<Monitor> cb) { s.Fail(slug, now, std::move(cb)); }));
}

inline std::optional<Monitor> GetAt(Store& s, const std::string& slug, UnixMillis now) {
  return OrThrow(Await<std::optional<Monitor>>(
      [&](Callback<std::optional<Monitor>> cb) { s.Get(slug, now, std::move(cb)); }));
}

// Alerts in the outbox not yet delivered.
inline std::int64_t PendingIn(Store& s) {
  return OrThrow(
      Await<std::int64_t>([&](Callback<std::int64_t> cb) { s.CountPendingAlerts(std::move(cb)); }));
}

}  // namespace heartbeat::testing
