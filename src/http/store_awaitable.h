#pragma once
// Adapts the Store's callback API to C++20 coroutines: the store's thread hands the result
// back to the awaiting coroutine's thread, where the coroutine resumes.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "core/result.h"
#include "store/store.h"

namespace heartbeat::http {

// Where store threads leave completions for one I/O thread. A group commit completes
// hundreds of operations at once: they go out in one post and one wake-up of the thread,
// not one each. Used only through AwaitStore; one per thread that awaits.
class CompletionInbox : public std::enable_shared_from_this<CompletionInbox> {
 public:
  explicit CompletionInbox(boost::asio::any_io_executor executor)
      : executor_(std::move(executor)) {}

  // Called on any thread.
  void Push(std::function<void()> completion) {
    bool first;
    {
      std::lock_guard lock(mu_);
      first = items_.empty();
      items_.push_back(std::move(completion));
    }
    if (first) boost::asio::post(executor_, [self = shared_from_this()] { self->Drain(); });
  }

  // The inbox of the calling thread, made on first use with that thread's executor.
  static std::shared_ptr<CompletionInbox> ForThisThread(
      const boost::asio::any_io_executor& executor) {
    thread_local std::shared_ptr<CompletionInbox> inbox;
    if (!inbox || inbox->executor_ != executor) inbox = std::make_shared<CompletionInbox>(executor);
    return inbox;
  }

 private:
  void Drain() {
    std::vector<std::function<void()>> batch;
    {
      std::lock_guard lock(mu_);
      batch.swap(items_);
    }
    for (auto& completion : batch) completion();
  }

  boost::asio::any_io_executor executor_;
  std::mutex mu_;
  std::vector<std::function<void()>> items_;  // guarded by mu_
};

// `start` receives a Callback<T> and starts the store operation with it.
template <class T, class Start>
boost::asio::awaitable<Result<T>> AwaitStore(Start start) {
  auto executor = co_await boost::asio::this_coro::executor;
  // Result<T> has no default constructor, which the awaitable machinery needs: carry it in
  // an optional.
  std::optional<Result<T>> result =
      co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>,
                                           void(std::optional<Result<T>>)>(
          [&start, &executor](auto handler) {
            auto shared = std::make_shared<decltype(handler)>(std::move(handler));
            std::shared_ptr<CompletionInbox> inbox = CompletionInbox::ForThisThread(executor);
            start(Callback<T>([shared, inbox](Result<T> r) {
              inbox->Push([shared, r = std::make_shared<Result<T>>(std::move(r))] {
                (*shared)(std::optional<Result<T>>(std::move(*r)));
              });
            }));
          },
          boost::asio::use_awaitable);
  co_return std::move(*result);
}

}  // namespace heartbeat::http
