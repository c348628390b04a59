#pragma once
// The DynamoClient's awaitable face, for C++20 coroutines:
//
//   aws::DynamoResult<std::optional<aws::Item>> r =
//       co_await aws::Call(client, &aws::DynamoClient::GetItem, std::move(request));
//
// starts the operation when awaited and resumes the coroutine with its DynamoResult on the
// coroutine's own executor. The client's callback runs on its HTTP event thread; all it
// does there is post the result to that executor (one post per call), so that the
// coroutine never runs on the event thread. The client must outlive the call.

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <tuple>
#include <utility>

#include "aws/dynamodb.h"

namespace heartbeat::aws {

namespace internal {

// The T of an operation `void (DynamoClient::*)(Args..., DynamoCallback<T>)`.
template <class Callback>
struct CallbackValue;
template <class T>
struct CallbackValue<DynamoCallback<T>> {
  using type = T;
};
template <class Op>
struct DynamoOperation;
template <class... Args>
struct DynamoOperation<void (DynamoClient::*)(Args...)> {
  using Value =
      typename CallbackValue<std::tuple_element_t<sizeof...(Args) - 1, std::tuple<Args...>>>::type;
};

}  // namespace internal

// `op` is one of DynamoClient's operations; `args` are its arguments but the callback
// (copied into the awaitable, so temporaries are fine).
template <class Op, class... Args>
boost::asio::awaitable<DynamoResult<typename internal::DynamoOperation<Op>::Value>> Call(
    DynamoClient& client, Op op, Args&&... args) {
  using T = typename internal::DynamoOperation<Op>::Value;
  return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>, void(DynamoResult<T>)>(
      [&client, op](auto handler, auto... request) {
        // The client's callback must be copyable; the coroutine's handler is not.
        auto executor = boost::asio::get_associated_executor(handler);
        auto waiting = std::make_shared<decltype(handler)>(std::move(handler));
        (client.*op)(std::move(request)..., [waiting, executor](DynamoResult<T> r) {
          boost::asio::post(executor, [waiting, r = std::move(r)]() mutable {
            std::move (*waiting)(std::move(r));
          });
        });
      },
      boost::asio::use_awaitable, std::forward<Args>(args)...);
}

}  // namespace heartbeat::aws
