#pragma once
// Adapts the Store's callback API to C++20 coroutines: the store's thread posts the result
// back to the awaiting coroutine's executor, so the coroutine resumes on its own thread.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <optional>

#include "core/result.h"
#include "store/store.h"

namespace heartbeat::http {

// `start` receives a Callback<T> and starts the store operation with it.
template <class T, class Start>
boost::asio::awaitable<Result<T>> AwaitStore(Start start) {
  auto executor = co_await boost::asio::this_coro::executor;
  // Result<T> has no default constructor, which the awaitable machinery needs: carry it in
  // an optional.
  std::optional<Result<T>> result =
      co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>,
                                           void(std::optional<Result<T>>)>(
          [&start, executor](auto handler) {
            auto shared = std::make_shared<decltype(handler)>(std::move(handler));
            start(Callback<T>([shared, executor](Result<T> r) {
              boost::asio::post(executor, [shared, r = std::make_shared<Result<T>>(std::move(r))] {
                (*shared)(std::optional<Result<T>>(std::move(*r)));
              });
            }));
          },
          boost::asio::use_awaitable);
  co_return std::move(*result);
}

}  // namespace heartbeat::http
