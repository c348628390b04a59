// The libcurl multi client against a loopback server: many requests in flight on one
// event thread, keep-alive, statuses, headers and bodies, transport failures, timers,
// re-entrant callbacks and Close.

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http_client/async_http_client.h"
#include "support/loopback_http_server.h"

namespace heartbeat {
namespace {

using namespace std::chrono_literals;
using testing::LoopbackHttpServer;
using testing::LoopbackReply;
using testing::LoopbackRequest;
using Clock = std::chrono::steady_clock;

std::size_t ThreadCount() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator("/proc/self/task")) {
    ++n;
  }
  return n;
}

// True while this thread is inside AsyncHttpClient::Start (see StartChecked).
thread_local bool t_inside_start = false;

// Every callback of a test, by slot: how often it ran, on which thread, with what.
class Calls {
 public:
  explicit Calls(std::size_t n) : results_(n), counts_(n, 0) {}

  std::function<void(HttpResult)> Slot(std::size_t i) {
    return [this, i](HttpResult result) {
      std::lock_guard lock(mu_);
      if (t_inside_start) ++inside_start_;
      if (std::this_thread::get_id() == caller_) ++on_caller_thread_;
      threads_[std::this_thread::get_id()]++;
      ++counts_[i];
      results_[i] = std::move(result);
      ++total_;
      cv_.notify_all();
    };
  }

  bool WaitFor(std::size_t n, std::chrono::milliseconds timeout = 30s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return total_ >= n; });
  }

  HttpResult Result(std::size_t i) {
    std::lock_guard lock(mu_);
    return results_[i];
  }
  int Count(std::size_t i) {
    std::lock_guard lock(mu_);
    return counts_[i];
  }
  std::size_t Total() {
    std::lock_guard lock(mu_);
    return total_;
  }
  // Callbacks that ran inside Start, or on the thread that made the test's calls.
  int Misplaced() {
    std::lock_guard lock(mu_);
    return inside_start_ + on_caller_thread_;
  }
  std::size_t Threads() {
    std::lock_guard lock(mu_);
    return threads_.size();
  }

 private:
  const std::thread::id caller_ = std::this_thread::get_id();
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<HttpResult> results_;         // guarded by mu_
  std::vector<int> counts_;                 // guarded by mu_
  std::map<std::thread::id, int> threads_;  // guarded by mu_
  std::size_t total_ = 0;                   // guarded by mu_
  int inside_start_ = 0;                    // guarded by mu_
  int on_caller_thread_ = 0;                // guarded by mu_
};

void StartChecked(AsyncHttpClient& client, HttpRequest request,
                  std::function<void(HttpResult)> done) {
  t_inside_start = true;
  client.Start(std::move(request), std::move(done));
  t_inside_start = false;
}

HttpRequest Get(const std::string& url) {
  HttpRequest request;
  request.method = "GET";
  request.url = url;
  return request;
}

// A port on 127.0.0.1 that nothing listens on (bound, then released).
unsigned short ClosedPort() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor acceptor(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

TEST(CurlMultiHttpClient, FiveHundredRequestsAreInFlightAtOnceOnOneThread) {
  constexpr std::size_t kRequests = 500;
  LoopbackHttpServer server([](const LoopbackRequest& req) {
    LoopbackReply reply = LoopbackReply::Ok("answer to " + req.target);
    reply.delay = 200ms;
    return reply;
  });
  server.Hold();
  Calls calls(kRequests);
  const std::size_t threads_before = ThreadCount();
  auto client = MakeCurlMultiHttpClient({.max_connections_per_host = 600});
  EXPECT_LE(ThreadCount(), threads_before + 1);

  auto start = Clock::now();
  for (std::size_t i = 0; i < kRequests; ++i) {
    StartChecked(*client, Get(server.url() + "/item/" + std::to_string(i)), calls.Slot(i));
  }
  // Every request reached the server while it had answered none: all in flight at once.
  ASSERT_TRUE(server.WaitForRequests(kRequests)) << server.Requests();
  EXPECT_EQ(server.Answered(), 0u);
  EXPECT_EQ(calls.Total(), 0u);
  EXPECT_EQ(client->OnConnections(), static_cast<std::int64_t>(kRequests));
  EXPECT_LE(ThreadCount(), threads_before + 1);
  server.Release();

  ASSERT_TRUE(calls.WaitFor(kRequests)) << calls.Total();
  auto elapsed = Clock::now() - start;
  // One after another they would take 500 x 200 ms = 100 s.
  EXPECT_LT(elapsed, 20s);
  for (std::size_t i = 0; i < kRequests; ++i) {
    HttpResult r = calls.Result(i);
    ASSERT_TRUE(r.transport_ok) << i << ": " << r.error;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "answer to /item/" + std::to_string(i));
    EXPECT_EQ(calls.Count(i), 1);
  }
  EXPECT_EQ(calls.Misplaced(), 0);
  EXPECT_EQ(calls.Threads(), 1u);
  client->Close();
  EXPECT_LE(ThreadCount(), threads_before);
}

// Requests beyond the connection cap wait in the client: OnConnections counts only those
// sent on a connection, the figure that says how many the server really had at once.
TEST(CurlMultiHttpClient, OnConnectionsCountsRequestsSentNotThoseWaitingForAConnection) {
  constexpr std::size_t kRequests = 10;
  LoopbackHttpServer server([](const LoopbackRequest&) { return LoopbackReply::Ok("x"); });
  server.Hold();
  Calls calls(kRequests);
  auto client = MakeCurlMultiHttpClient({.max_connections_per_host = 4});
  for (std::size_t i = 0; i < kRequests; ++i) {
    StartChecked(*client, Get(server.url() + "/" + std::to_string(i)), calls.Slot(i));
  }
  ASSERT_TRUE(server.WaitForRequests(4));
  std::this_thread::sleep_for(200ms);  // were the cap not kept, more would arrive meanwhile
  EXPECT_EQ(server.Requests(), 4u);
  EXPECT_EQ(client->OnConnections(), 4);
  server.Release();
  ASSERT_TRUE(calls.WaitFor(kRequests)) << calls.Total();
  EXPECT_EQ(client->OnConnections(), 0);
  EXPECT_EQ(client->MaxOnConnections(), 4);
  client->Close();
}

TEST(CurlMultiHttpClient, SequentialRequestsReuseTheConnection) {
  constexpr std::size_t kRequests = 200;
  LoopbackHttpServer server([](const LoopbackRequest&) { return LoopbackReply::Ok("ok"); });
  Calls calls(kRequests);
  auto client = MakeCurlMultiHttpClient();
  for (std::size_t i = 0; i < kRequests; ++i) {
    client->Start(Get(server.url() + "/"), calls.Slot(i));
    ASSERT_TRUE(calls.WaitFor(i + 1));
    ASSERT_TRUE(calls.Result(i).transport_ok) << calls.Result(i).error;
  }
  EXPECT_TRUE(server.WaitForAnswered(kRequests));
  EXPECT_EQ(server.Answered(), kRequests);
  EXPECT_LE(server.Connections(), 2u);
}

TEST(CurlMultiHttpClient, ReturnsStatusHeadersAndBody) {
  LoopbackHttpServer server([](const LoopbackRequest& req) {
    if (req.target == "/missing") return LoopbackReply::With(404, "no such item");
    if (req.target == "/broken") return LoopbackReply::With(500, R"({"message":"boom"})");
    LoopbackReply reply = LoopbackReply::Ok("fine");
    reply.headers = {{"X-Amzn-RequestId", "req-1"}, {"X-Multi", "a"}, {"X-Multi", "b"}};
    return reply;
  });
  Calls calls(3);
  auto client = MakeCurlMultiHttpClient();
  client->Start(Get(server.url() + "/ok"), calls.Slot(0));
  client->Start(Get(server.url() + "/missing"), calls.Slot(1));
  client->Start(Get(server.url() + "/broken"), calls.Slot(2));
  ASSERT_TRUE(calls.WaitFor(3));

  HttpResult ok = calls.Result(0);
  ASSERT_TRUE(ok.transport_ok) << ok.error;
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "fine");
  ASSERT_NE(ok.Header("x-amzn-requestid"), nullptr);
  EXPECT_EQ(*ok.Header("x-amzn-requestid"), "req-1");
  ASSERT_NE(ok.Header("content-length"), nullptr);
  EXPECT_EQ(*ok.Header("content-length"), "4");
  EXPECT_EQ(ok.Header("X-Amzn-RequestId"), nullptr);  // names are lower-cased
  std::vector<std::string> multi;
  for (const auto& [name, value] : ok.headers) {
    if (name == "x-multi") multi.push_back(value);
  }
  EXPECT_EQ(multi, (std::vector<std::string>{"a", "b"}));

  HttpResult missing = calls.Result(1);
  ASSERT_TRUE(missing.transport_ok);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "no such item");
  HttpResult broken = calls.Result(2);
  ASSERT_TRUE(broken.transport_ok);
  EXPECT_EQ(broken.status, 500);
  EXPECT_EQ(broken.body, R"({"message":"boom"})");
}

TEST(CurlMultiHttpClient, KeepsOnlyTheFinalResponsesHeaders) {
  LoopbackHttpServer server([](const LoopbackRequest&) {
    LoopbackReply reply = LoopbackReply::Ok("after continue");
    reply.interim_continue = true;
    reply.headers = {{"X-Final", "yes"}};
    return reply;
  });
  Calls calls(1);
  auto client = MakeCurlMultiHttpClient();
  HttpRequest request;
  request.url = server.url() + "/";
  request.body = "{}";
  client->Start(request, calls.Slot(0));
  ASSERT_TRUE(calls.WaitFor(1));
  HttpResult r = calls.Result(0);
  ASSERT_TRUE(r.transport_ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "after continue");
  EXPECT_EQ(r.Header("x-interim"), nullptr);
  ASSERT_NE(r.Header("x-final"), nullptr);
}

TEST(CurlMultiHttpClient, ReceivesALargeBody) {
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 23);
  LoopbackHttpServer server([&big](const LoopbackRequest&) { return LoopbackReply::Ok(big); });
  Calls calls(1);
  auto client = MakeCurlMultiHttpClient();
  client->Start(Get(server.url() + "/big"), calls.Slot(0));
  ASSERT_TRUE(calls.WaitFor(1));
  HttpResult r = calls.Result(0);
  ASSERT_TRUE(r.transport_ok) << r.error;
  EXPECT_EQ(r.body.size(), big.size());
  EXPECT_TRUE(r.body == big);
}

TEST(CurlMultiHttpClient, SendsMethodHeadersAndBodyByteForByte) {
  std::mutex mu;
  std::vector<LoopbackRequest> seen;  // guarded by mu
  LoopbackHttpServer server([&](const LoopbackRequest& req) {
    std::lock_guard lock(mu);
    seen.push_back(req);
    return LoopbackReply::Ok(req.body);  // echo
  });
  std::string binary;
  for (int round = 0; round < 4; ++round) {
    for (int b = 0; b < 256; ++b) binary.push_back(static_cast<char>(b));
  }
  const std::string utf8 = "Grüße, 世界 🚀 \"quoted\"\n";
  Calls calls(2);
  auto client = MakeCurlMultiHttpClient();
  HttpRequest post;
  post.method = "POST";
  post.url = server.url() + "/binary";
  post.headers = {{"Content-Type", "application/octet-stream"},
                  {"X-Amz-Target", "DynamoDB_20120810.PutItem"}};
  post.body = binary;
  client->Start(post, calls.Slot(0));
  ASSERT_TRUE(calls.WaitFor(1));
  HttpRequest put;
  put.method = "PUT";
  put.url = server.url() + "/text";
  put.headers = {{"Content-Type", "text/plain; charset=utf-8"}};
  put.body = utf8;
  client->Start(put, calls.Slot(1));
  ASSERT_TRUE(calls.WaitFor(2));

  EXPECT_TRUE(calls.Result(0).body == binary);
  EXPECT_EQ(calls.Result(1).body, utf8);
  std::lock_guard lock(mu);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/binary");
  EXPECT_TRUE(seen[0].body == binary);
  ASSERT_NE(seen[0].Header("x-amz-target"), nullptr);
  EXPECT_EQ(*seen[0].Header("x-amz-target"), "DynamoDB_20120810.PutItem");
  ASSERT_NE(seen[0].Header("content-type"), nullptr);
  EXPECT_EQ(*seen[0].Header("content-type"), "application/octet-stream");
  EXPECT_EQ(seen[0].Header("expect"), nullptr);  // no 100-continue round trip
  EXPECT_EQ(seen[1].method, "PUT");
  EXPECT_EQ(seen[1].body, utf8);
  ASSERT_NE(seen[1].Header("content-type"), nullptr);
  EXPECT_EQ(*seen[1].Header("content-type"), "text/plain; charset=utf-8");
}

TEST(CurlMultiHttpClient, ConnectionRefusedFailsQuickly) {
  Calls calls(1);
  auto client = MakeCurlMultiHttpClient();
  auto start = Clock::now();
  client->Start(Get("http://127.0.0.1:" + std::to_string(ClosedPort()) + "/secret-token/x"),
                calls.Slot(0));
  ASSERT_TRUE(calls.WaitFor(1));
  EXPECT_LT(Clock::now() - start, 3s);
  HttpResult r = calls.Result(0);
  EXPECT_FALSE(r.transport_ok);
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.error.empty());
  EXPECT_EQ(r.error.find("secret-token"), std::string::npos) << r.error;
}

TEST(CurlMultiHttpClient, SilentServerFailsAfterTheTotalTimeout) {
  LoopbackHttpServer server([](const LoopbackRequest&) { return LoopbackReply::NeverAnswer(); });
  Calls calls(1);
  auto client = MakeCurlMultiHttpClient();
  HttpRequest request = Get(server.url() + "/secret-token/x");
  request.total_timeout = 300ms;
  auto start = Clock::now();
  client->Start(request, calls.Slot(0));
  ASSERT_TRUE(calls.WaitFor(1));
  auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, 250ms);
  EXPECT_LT(elapsed, 5s);
  HttpResult r = calls.Result(0);
  EXPECT_FALSE(r.transport_ok);
  EXPECT_FALSE(r.error.empty());
  EXPECT_EQ(r.error.find("secret-token"), std::string::npos) << r.error;
  EXPECT_EQ(server.Requests(), 1u);
}

TEST(CurlMultiHttpClient, HangUpWithoutAnswerIsATransportFailure) {
  LoopbackHttpServer server(
      [](const LoopbackRequest&) { return LoopbackReply::CloseWithoutAnswer(); });
  Calls calls(1);
  auto client = MakeCurlMultiHttpClient();
  client->Start(Get(server.url() + "/"), calls.Slot(0));
  ASSERT_TRUE(calls.WaitFor(1));
  HttpResult r = calls.Result(0);
  EXPECT_FALSE(r.transport_ok);
  EXPECT_FALSE(r.error.empty());
  EXPECT_GE(server.Requests(), 1u);
}

TEST(CurlMultiHttpClient, RunAfterRunsInDelayOrderOnTheEventThread) {
  LoopbackHttpServer server([](const LoopbackRequest&) { return LoopbackReply::Ok(); });
  Calls calls(1);
  auto client = MakeCurlMultiHttpClient();
  client->Start(Get(server.url() + "/"), calls.Slot(0));
  ASSERT_TRUE(calls.WaitFor(1));

  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> order;           // guarded by mu
  std::vector<std::thread::id> thread_ids;  // guarded by mu
  auto note = [&](std::string name) {
    return [&, name] {
      std::lock_guard lock(mu);
      order.push_back(name);
      thread_ids.push_back(std::this_thread::get_id());
      cv.notify_all();
    };
  };
  auto start = Clock::now();
  client->RunAfter(150ms, note("150ms"));
  client->RunAfter(50ms, note("50ms"));
  client->RunAfter(100ms, note("100ms (1st)"));
  client->RunAfter(100ms, note("100ms (2nd)"));
  client->RunAfter(0ms, note("0ms"));
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return order.size() == 5; }));
  EXPECT_GE(Clock::now() - start, 150ms);
  EXPECT_EQ(order,
            (std::vector<std::string>{"0ms", "50ms", "100ms (1st)", "100ms (2nd)", "150ms"}));
  for (auto id : thread_ids) {
    EXPECT_NE(id, std::this_thread::get_id());
    EXPECT_EQ(id, thread_ids.front());
  }
  lock.unlock();
  // A timer set from the event thread runs there too, and so does a request's callback.
  std::promise<std::pair<std::thread::id, std::thread::id>> ids;
  client->RunAfter(0ms, [&] {
    auto timer_thread = std::this_thread::get_id();
    client->Start(Get(server.url() + "/"), [&, timer_thread](HttpResult) {
      ids.set_value({timer_thread, std::this_thread::get_id()});
    });
  });
  auto [timer_thread, done_thread] = ids.get_future().get();
  EXPECT_EQ(timer_thread, thread_ids.front());
  EXPECT_EQ(done_thread, thread_ids.front());
}

TEST(CurlMultiHttpClient, CallbacksMayStartRequestsAndTimers) {
  std::atomic<int> second_requests{0};
  LoopbackHttpServer server([&](const LoopbackRequest& req) {
    if (req.target == "/retry") ++second_requests;
    return LoopbackReply::With(req.target == "/first" ? 503 : 200, req.target);
  });
  Calls calls(3);
  auto client = MakeCurlMultiHttpClient();
  // A retry straight from the callback, and one after a back-off from a timer.
  StartChecked(*client, Get(server.url() + "/first"), [&](HttpResult first) {
    EXPECT_EQ(first.status, 503);
    StartChecked(*client, Get(server.url() + "/retry"), calls.Slot(0));
    client->RunAfter(30ms, [&] {
      StartChecked(*client, Get(server.url() + "/retry"), calls.Slot(1));
      client->RunAfter(0ms, [&] { calls.Slot(2)(HttpResult{}); });
    });
  });
  ASSERT_TRUE(calls.WaitFor(3));
  EXPECT_EQ(calls.Result(0).body, "/retry");
  EXPECT_EQ(calls.Result(0).status, 200);
  EXPECT_EQ(calls.Result(1).body, "/retry");
  EXPECT_EQ(second_requests.load(), 2);
  EXPECT_EQ(calls.Misplaced(), 0);  // none inside the re-entrant Start, none on this thread
  EXPECT_EQ(calls.Threads(), 1u);
}

TEST(CurlMultiHttpClient, StartIsSafeFromManyThreads) {
  constexpr std::size_t kThreads = 4;
  constexpr std::size_t kEach = 50;
  LoopbackHttpServer server(
      [](const LoopbackRequest& req) { return LoopbackReply::Ok(req.target); });
  Calls calls(kThreads * kEach);
  auto client = MakeCurlMultiHttpClient();
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (std::size_t i = 0; i < kEach; ++i) {
        std::size_t slot = t * kEach + i;
        StartChecked(*client, Get(server.url() + "/" + std::to_string(slot)), calls.Slot(slot));
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(calls.WaitFor(kThreads * kEach));
  for (std::size_t slot = 0; slot < kThreads * kEach; ++slot) {
    EXPECT_EQ(calls.Result(slot).body, "/" + std::to_string(slot));
    EXPECT_EQ(calls.Count(slot), 1);
  }
  EXPECT_EQ(calls.Misplaced(), 0);
}

TEST(CurlMultiHttpClient, CloseFailsWhatIsInFlightOnceAndRunsTimers) {
  constexpr std::size_t kRequests = 20;
  LoopbackHttpServer server([](const LoopbackRequest&) { return LoopbackReply::NeverAnswer(); });
  Calls calls(kRequests + 1);
  const std::size_t threads_before = ThreadCount();
  // Four connections: four requests reach the server, sixteen wait inside curl.
  auto client = MakeCurlMultiHttpClient({.max_connections_per_host = 4});
  for (std::size_t i = 0; i < kRequests; ++i) {
    client->Start(Get(server.url() + "/" + std::to_string(i)), calls.Slot(i));
  }
  ASSERT_TRUE(server.WaitForRequests(4));
  std::atomic<int> timer_runs{0};
  std::atomic<bool> timer_on_this_thread{false};
  client->RunAfter(1h, [&, caller = std::this_thread::get_id()] {
    ++timer_runs;
    if (std::this_thread::get_id() == caller) timer_on_this_thread = true;
  });

  client->Close();
  EXPECT_EQ(calls.Total(), kRequests);
  for (std::size_t i = 0; i < kRequests; ++i) {
    EXPECT_EQ(calls.Count(i), 1) << i;
    EXPECT_FALSE(calls.Result(i).transport_ok);
    EXPECT_FALSE(calls.Result(i).error.empty());
  }
  EXPECT_EQ(timer_runs.load(), 1);
  EXPECT_FALSE(timer_on_this_thread.load());  // on the event thread, before it stopped
  EXPECT_EQ(calls.Misplaced(), 0);
  EXPECT_LE(ThreadCount(), threads_before);

  // After Close: a failure at once, and a timer at once.
  client->Start(Get(server.url() + "/late"), calls.Slot(kRequests));
  EXPECT_EQ(calls.Count(kRequests), 1);
  EXPECT_FALSE(calls.Result(kRequests).transport_ok);
  bool ran = false;
  client->RunAfter(1h, [&] { ran = true; });
  EXPECT_TRUE(ran);
  client->Close();  // idempotent
  EXPECT_EQ(calls.Total(), kRequests + 1);
}

TEST(CurlMultiHttpClient, DestroyingWithoutCloseCallsBackAndStops) {
  LoopbackHttpServer server([](const LoopbackRequest&) { return LoopbackReply::NeverAnswer(); });
  Calls calls(5);
  const std::size_t threads_before = ThreadCount();
  bool timer_ran = false;
  {
    auto client = MakeCurlMultiHttpClient();
    for (std::size_t i = 0; i < 5; ++i) client->Start(Get(server.url() + "/"), calls.Slot(i));
    ASSERT_TRUE(server.WaitForRequests(5));
    client->RunAfter(1h, [&] { timer_ran = true; });
  }
  EXPECT_EQ(calls.Total(), 5u);
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(calls.Count(i), 1);
  EXPECT_TRUE(timer_ran);
  EXPECT_LE(ThreadCount(), threads_before);
}

TEST(CurlMultiHttpClient, CloseFromACallbackStopsTheClient) {
  LoopbackHttpServer server([](const LoopbackRequest&) { return LoopbackReply::Ok(); });
  Calls calls(2);
  auto client = MakeCurlMultiHttpClient();
  client->Start(Get(server.url() + "/"), [&](HttpResult r) {
    client->Close();
    calls.Slot(0)(std::move(r));
  });
  ASSERT_TRUE(calls.WaitFor(1));
  EXPECT_TRUE(calls.Result(0).transport_ok);
  client->Start(Get(server.url() + "/"), calls.Slot(1));
  EXPECT_EQ(calls.Count(1), 1);  // closed: answered at once
  EXPECT_FALSE(calls.Result(1).transport_ok);
  client.reset();  // joins the event thread
}

}  // namespace
}  // namespace heartbeat
