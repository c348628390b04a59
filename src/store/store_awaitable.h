#pragma once
// Adapts the Store's callback API to C++20 coroutines: the store's thread hands the result
// back to the awaiting coroutine's thread, where the coroutine resumes.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "store/store.h"

namespace heartbeat {

// Where store threads leave completions for one I/O thread. A group commit completes
// hundreds of operations at once: they go out in one post and one wake-up of the thread,
// not one each. Used only through AwaitStore; one per thread that awaits.
class CompletionInbox : public std::enable_shared_from_this<CompletionInbox> {
 public:
  // A completion, run on the inbox's thread.
  class Item {
   public:
    virtual ~Item() = default;
    virtual void Run() = 0;
  };

  explicit CompletionInbox(boost::asio::any_io_executor executor)
      : executor_(std::move(executor)) {}

  // Called on any thread.
  void Push(std::shared_ptr<Item> item) {
    bool first;
    {
      std::lock_guard lock(mu_);
      first = items_.empty();
      items_.push_back(std::move(item));
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
    std::vector<std::shared_ptr<Item>> batch;
    {
      std::lock_guard lock(mu_);
      batch.swap(items_);
    }
    for (auto& item : batch) item->Run();
  }

  boost::asio::any_io_executor executor_;
  std::mutex mu_;
  std::vector<std::shared_ptr<Item>> items_;  // guarded by mu_
};

// The default `on_done` of AwaitStore: no hook.
struct NoHook {
  void operator()() const {}
};

// The error of a store call that did not answer within its deadline.
inline Error StoreDeadlineExceeded(std::chrono::milliseconds deadline) {
  return Unavailable("the store did not answer within " + std::to_string(deadline.count()) +
                     " ms (STORE_TIMEOUT)");
}

// `start` receives a Callback<T> and starts the store operation with it. `on_done` runs
// on the awaiting thread when the result is back, just before the coroutine resumes.
// With a `deadline` (> 0), the coroutine resumes with StoreDeadlineExceeded once it passes
// without an answer; the operation itself goes on, and its late answer is dropped (a
// write cut off this way may still land). The awaiting thread's executor must run on
// that one thread (the server's io_context per thread), which the answer and the timer
// share. One allocation holds the awaiting handler and the result on its way back.
template <class T, class Start, class OnDone = NoHook>
boost::asio::awaitable<Result<T>> AwaitStore(
    Start start, OnDone on_done = {},
    std::chrono::milliseconds deadline = std::chrono::milliseconds(0)) {
  auto executor = co_await boost::asio::this_coro::executor;
  // Result<T> has no default constructor, which the awaitable machinery needs: carry it in
  // an optional.
  std::optional<Result<T>> result = co_await boost::asio::async_initiate<
      const boost::asio::use_awaitable_t<>, void(std::optional<Result<T>>)>(
      [&start, &executor, &on_done, deadline](auto handler) {
        using Handler = decltype(handler);
        struct Pending final : CompletionInbox::Item {
          Pending(Handler h, OnDone d) : handler(std::move(h)), on_done(std::move(d)) {}
          void Run() override { Finish(std::move(result)); }
          // On the awaiting thread: the first of the answer and the deadline resumes the
          // coroutine; the timer is destroyed there too.
          void Finish(std::optional<Result<T>> r) {
            if (finished) return;
            finished = true;
            timer.reset();
            on_done();
            std::move(handler)(std::move(r));
          }
          Handler handler;
          OnDone on_done;
          std::optional<Result<T>> result;  // set on the store's thread, then pushed
          std::optional<boost::asio::steady_timer> timer;
          bool finished = false;
        };
        auto pending = std::make_shared<Pending>(std::move(handler), std::move(on_done));
        if (deadline.count() > 0) {
          pending->timer.emplace(executor, deadline);
          pending->timer->async_wait([pending, deadline](boost::system::error_code ec) {
            if (!ec) pending->Finish(Result<T>(StoreDeadlineExceeded(deadline)));
          });
        }
        start(Callback<T>([pending, inbox = CompletionInbox::ForThisThread(executor)](Result<T> r) {
          pending->result.emplace(std::move(r));
          inbox->Push(pending);
        }));
      },
      boost::asio::use_awaitable);
  co_return std::move(*result);
}

}  // namespace heartbeat
