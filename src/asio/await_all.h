#pragma once
// Awaits several coroutines at once: the parts of an operation that do not depend on each
// other (one request each) run concurrently on the awaiting coroutine's executor, and the
// awaiting coroutine resumes once every part has finished.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <optional>
#include <utility>
#include <vector>

namespace heartbeat {

namespace internal {

// co_spawn answers a default-constructed value alongside an exception; T need not have one.
template <class T>
boost::asio::awaitable<std::optional<T>> Optionally(boost::asio::awaitable<T> part) {
  co_return co_await std::move(part);
}

}  // namespace internal

// The results of `parts`, in the order given. Every part runs to its end; if one threw,
// the first (in that order) exception is rethrown then.
template <class T>
boost::asio::awaitable<std::vector<T>> AwaitAll(std::vector<boost::asio::awaitable<T>> parts) {
  namespace asio = boost::asio;
  std::vector<T> results;
  if (parts.empty()) co_return results;  // a group of none would never complete
  auto executor = co_await asio::this_coro::executor;
  using Spawned = decltype(asio::co_spawn(
      executor, std::declval<asio::awaitable<std::optional<T>>>(), asio::deferred));
  std::vector<Spawned> spawned;
  spawned.reserve(parts.size());
  for (asio::awaitable<T>& part : parts) {
    spawned.push_back(
        asio::co_spawn(executor, internal::Optionally(std::move(part)), asio::deferred));
  }
  auto [order, exceptions, values] =
      co_await asio::experimental::make_parallel_group(std::move(spawned))
          .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
  results.reserve(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (exceptions[i]) std::rethrow_exception(exceptions[i]);
    results.push_back(std::move(*values[i]));
  }
  co_return results;
}

}  // namespace heartbeat
