// MakeCurlMultiHttpClient: libcurl's multi interface driven by one event thread.
//
// Thread model: Start and RunAfter (any thread) only touch the mutex-guarded queue and timer
// heap, then curl_multi_wakeup the event thread. The event thread alone touches the multi
// handle and the transfers in flight; it runs every callback with no lock held, so a
// callback may call Start or RunAfter again (a retry) without deadlock.

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "http_client/async_http_client.h"
#include "http_client/curl_exchange.h"

namespace heartbeat {
namespace {

using Clock = std::chrono::steady_clock;
using net_internal::CurlExchange;
using net_internal::TransportFailure;

// The longest the event thread sleeps in curl_multi_poll: a bound in case a wakeup were
// ever lost, not a heartbeat anything depends on.
constexpr std::chrono::milliseconds kMaxPoll{1000};

class CurlMultiClient;

struct Transfer {
  explicit Transfer(HttpRequest request) : exchange(std::move(request)) {}
  CurlExchange exchange;
  std::function<void(HttpResult)> done;
  bool on_connection = false;  // curl has a connection for it and is about to send it
  CurlMultiClient* owner = nullptr;
};

struct Timer {
  Clock::time_point when;
  std::uint64_t seq;  // equal deadlines run in the order they were set
  std::function<void()> fn;
};

// For std::push_heap: the earliest deadline on top.
bool Later(const Timer& a, const Timer& b) {
  return a.when != b.when ? a.when > b.when : a.seq > b.seq;
}

// A callback that throws must not take the event thread, and every request after it, down.
template <typename Fn, typename... Args>
void RunGuarded(Fn& fn, Args&&... args) {
  try {
    fn(std::forward<Args>(args)...);
  } catch (...) {
  }
}

class CurlMultiClient final : public AsyncHttpClient {
 public:
  explicit CurlMultiClient(CurlMultiOptions options) {
    net_internal::EnsureCurlGlobalInit();
    multi_ = curl_multi_init();
    if (multi_ != nullptr) {
      long per_host = static_cast<long>(options.max_connections_per_host);
      curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, per_host);
      // The connection cache keeps idle connections for reuse; by default it shrinks with
      // the number of easy handles, which would close keep-alive connections between bursts.
      if (per_host > 0) curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, per_host * 4);
      thread_ = std::thread([this] { Loop(); });
      thread_id_ = thread_.get_id();
    } else {
      closing_ = true;  // every Start fails at once
    }
  }

  ~CurlMultiClient() override {
    Close();
    if (multi_ != nullptr) curl_multi_cleanup(multi_);
  }

  void Start(HttpRequest request, std::function<void(HttpResult)> done) override {
    auto transfer = std::make_unique<Transfer>(std::move(request));
    transfer->done = std::move(done);
    {
      std::lock_guard lock(mu_);
      if (!closing_) {
        incoming_.push_back(std::move(transfer));
        curl_multi_wakeup(multi_);
        return;
      }
    }
    // Closed: no event thread is left to call back on.
    RunGuarded(transfer->done, TransportFailure("http client closed"));
  }

  void RunAfter(std::chrono::milliseconds delay, std::function<void()> fn) override {
    {
      std::lock_guard lock(mu_);
      if (!closing_) {
        timers_.push_back(Timer{Clock::now() + delay, next_seq_++, std::move(fn)});
        std::push_heap(timers_.begin(), timers_.end(), Later);
        curl_multi_wakeup(multi_);
        return;
      }
    }
    RunGuarded(fn);
  }

  void Close() override {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
      if (multi_ != nullptr) curl_multi_wakeup(multi_);
    }
    // From a callback (the event thread itself) the loop ends when the callback returns;
    // the thread is joined by a later Close or the destructor.
    if (std::this_thread::get_id() == thread_id_) return;
    std::lock_guard lock(join_mu_);
    if (thread_.joinable()) thread_.join();
  }

  std::int64_t OnConnections() const override { return on_connections_.load(); }
  std::int64_t MaxOnConnections() const override { return max_on_connections_.load(); }

  // The event thread's count of transfers on a connection (see OnConnections).
  void CountOnConnection(int delta) { on_connections_.fetch_add(delta); }

 private:
  void Loop() {
    for (;;) {
      std::vector<std::unique_ptr<Transfer>> starts;
      std::vector<std::function<void()>> due;
      auto timeout = kMaxPoll;
      {
        std::lock_guard lock(mu_);
        if (closing_) break;
        starts.swap(incoming_);
        auto now = Clock::now();
        while (!timers_.empty() && timers_.front().when <= now) {
          std::pop_heap(timers_.begin(), timers_.end(), Later);
          due.push_back(std::move(timers_.back().fn));
          timers_.pop_back();
        }
        if (!timers_.empty()) {
          // Rounded up, so that a timer is never polled for just short of its deadline.
          auto left = std::chrono::ceil<std::chrono::milliseconds>(timers_.front().when - now);
          timeout = std::min(timeout, left);
        }
      }
      for (auto& transfer : starts) Add(std::move(transfer));
      for (auto& fn : due) RunGuarded(fn);
      int running = 0;
      curl_multi_perform(multi_, &running);
      Reap();
      // The most on connections at once, sampled here and not as transfers start: within
      // one perform, a finished transfer's connection goes to the next before Reap counts
      // the first one out, so only now is the count right. A sample, so a lower bound: a
      // request sent and answered within one perform is not seen.
      if (std::int64_t now = on_connections_.load(); now > max_on_connections_.load()) {
        max_on_connections_.store(now);
      }
      // Callbacks above may have queued work; their wakeups make this poll return at once.
      // curl shortens the wait further when one of its own timeouts comes sooner.
      curl_multi_poll(multi_, nullptr, 0, static_cast<int>(timeout.count()), nullptr);
    }
    Drain();
  }

  void Add(std::unique_ptr<Transfer> transfer) {
    CURL* easy = transfer->exchange.easy();
    if (easy == nullptr) {
      RunGuarded(transfer->done, transfer->exchange.Finish(CURLE_FAILED_INIT));
      return;
    }
    // Called when the transfer has its connection (new or reused), just before the request
    // is sent; again if curl resends it on a fresh connection, hence the flag.
    curl_easy_setopt(easy, CURLOPT_PREREQDATA, transfer.get());
    curl_easy_setopt(
        easy, CURLOPT_PREREQFUNCTION, +[](void* data, char*, char*, int, int) -> int {
          auto* t = static_cast<Transfer*>(data);
          if (!t->on_connection) {
            t->on_connection = true;
            t->owner->CountOnConnection(+1);
          }
          return CURL_PREREQFUNC_OK;
        });
    transfer->owner = this;
    if (CURLMcode rc = curl_multi_add_handle(multi_, easy); rc != CURLM_OK) {
      RunGuarded(transfer->done, TransportFailure(std::string("curl_multi_add_handle: ") +
                                                  curl_multi_strerror(rc)));
      return;
    }
    in_flight_.emplace(easy, std::move(transfer));
  }

  // Calls a transfer that was added to the multi handle back, its connection counted out.
  void Answer(Transfer& transfer, HttpResult result) {
    if (transfer.on_connection) CountOnConnection(-1);
    RunGuarded(transfer.done, std::move(result));
  }

  // Calls back every finished transfer.
  void Reap() {
    std::vector<std::pair<std::unique_ptr<Transfer>, CURLcode>> finished;
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      auto it = in_flight_.find(msg->easy_handle);
      if (it == in_flight_.end()) continue;
      CURLcode rc = msg->data.result;  // msg is invalid once the handle is removed
      curl_multi_remove_handle(multi_, msg->easy_handle);
      finished.emplace_back(std::move(it->second), rc);
      in_flight_.erase(it);
    }
    for (auto& [transfer, rc] : finished) Answer(*transfer, transfer->exchange.Finish(rc));
  }

  // After closing_: fails what is in flight or queued, then runs the timers, earliest
  // first. Anything a callback starts now is answered inside Start / RunAfter.
  void Drain() {
    for (auto& [easy, transfer] : in_flight_) curl_multi_remove_handle(multi_, easy);
    auto in_flight = std::move(in_flight_);
    in_flight_.clear();
    std::vector<std::unique_ptr<Transfer>> queued;
    std::vector<Timer> timers;
    {
      std::lock_guard lock(mu_);
      queued.swap(incoming_);
      timers.swap(timers_);
    }
    for (auto& [easy, transfer] : in_flight) {
      Answer(*transfer, TransportFailure("request cancelled: http client closed"));
    }
    for (auto& transfer : queued) {
      RunGuarded(transfer->done, TransportFailure("request cancelled: http client closed"));
    }
    std::sort(timers.begin(), timers.end(),
              [](const Timer& a, const Timer& b) { return Later(b, a); });
    for (auto& timer : timers) RunGuarded(timer.fn);
  }

  CURLM* multi_ = nullptr;
  std::thread thread_;
  std::thread::id thread_id_;  // the event thread's, set before any work can reach it
  std::mutex join_mu_;         // serialises joining thread_ between concurrent Closes

  std::mutex mu_;
  bool closing_ = false;                             // guarded by mu_
  std::vector<std::unique_ptr<Transfer>> incoming_;  // guarded by mu_
  std::vector<Timer> timers_;                        // guarded by mu_; a heap by Later
  std::uint64_t next_seq_ = 0;                       // guarded by mu_

  std::unordered_map<CURL*, std::unique_ptr<Transfer>> in_flight_;  // event thread only
  std::atomic<std::int64_t> on_connections_{0};
  std::atomic<std::int64_t> max_on_connections_{0};
};

}  // namespace

std::unique_ptr<AsyncHttpClient> MakeCurlMultiHttpClient(CurlMultiOptions options) {
  return std::make_unique<CurlMultiClient>(options);
}

}  // namespace heartbeat
