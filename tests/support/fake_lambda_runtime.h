#pragma once
// A fake AWS Lambda Runtime API (2018-06-01) on 127.0.0.1, real HTTP: hands out queued
// events to GET /runtime/invocation/next (a long poll that waits for the next Enqueue), and
// records what the runtime posts: responses, invocation errors and init errors. Gone()
// takes the API away (the port refuses, a poll in flight is cut). Thread-safe.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "support/blocking_http_server.h"

namespace heartbeat::testing {

struct LambdaEvent {
  std::string request_id;
  std::int64_t deadline_ms = 0;  // Unix ms; 0: one minute from when it is handed out
  std::string body = R"({"version":"0","id":"53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",)"
                     R"("detail-type":"Scheduled Event","source":"aws.events",)"
                     R"("account":"123456789012","time":"2025-01-01T00:00:00Z",)"
                     R"("region":"eu-north-1","resources":)"
                     R"(["arn:aws:events:eu-north-1:123456789012:rule/heartbeat"],"detail":{}})";
  std::string trace_id =
      "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
  std::string function_arn = "arn:aws:lambda:eu-north-1:123456789012:function:heartbeat-checker";
};

// What the runtime posted about one invocation.
struct LambdaOutcome {
  std::string request_id;
  bool ok = false;         // /response (true) or /error (false)
  std::string body;        // the response, or {"errorMessage","errorType"}
  std::string error_type;  // the Lambda-Runtime-Function-Error-Type header
  std::string content_type;
};

struct LambdaInitError {
  std::string body;
  std::string error_type;  // the header
};

class FakeLambdaRuntime {
 public:
  FakeLambdaRuntime()
      : server_([this](const BlockingHttpServer::Request& req) { return Handle(req); }) {}
  ~FakeLambdaRuntime() { Gone(); }

  // AWS_LAMBDA_RUNTIME_API: "127.0.0.1:port".
  std::string api() const { return server_.host_port(); }

  void Enqueue(LambdaEvent event) {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(event));
    cv_.notify_all();
  }

  // The Runtime API goes away: polls in flight are cut, new connections refused.
  void Gone() {
    {
      std::lock_guard lock(mu_);
      gone_ = true;
      cv_.notify_all();
    }
    server_.Stop();
  }

  std::vector<LambdaOutcome> Outcomes() const {
    std::lock_guard lock(mu_);
    return outcomes_;
  }
  std::vector<LambdaInitError> InitErrors() const {
    std::lock_guard lock(mu_);
    return init_errors_;
  }
  // GET /next requests received (also those still waiting for an event).
  std::size_t Polls() const {
    std::lock_guard lock(mu_);
    return polls_;
  }
  std::vector<std::string> Unexpected() const {
    std::lock_guard lock(mu_);
    return unexpected_;
  }

  bool WaitForOutcomes(std::size_t n,
                       std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return outcomes_.size() >= n; });
  }
  bool WaitForInitErrors(std::size_t n,
                         std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return init_errors_.size() >= n; });
  }
  bool WaitForPolls(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return polls_ >= n; });
  }

 private:
  using Request = BlockingHttpServer::Request;
  using Response = BlockingHttpServer::Response;

  static Response Answer(unsigned status, std::string body) {
    Response res{static_cast<boost::beast::http::status>(status), 11};
    res.set(boost::beast::http::field::content_type, "application/json");
    res.body() = std::move(body);
    return res;
  }

  Response Handle(const Request& req) {
    namespace http = boost::beast::http;
    const std::string target(req.target());
    const std::string prefix = "/2018-06-01/runtime";
    std::unique_lock lock(mu_);
    if (req.method() == http::verb::get && target == prefix + "/invocation/next") {
      ++polls_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return gone_ || !events_.empty(); });
      if (gone_) return Answer(500, "{}");  // never sent: the server is stopping
      LambdaEvent e = std::move(events_.front());
      events_.pop_front();
      if (e.deadline_ms == 0) {
        e.deadline_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count() +
                        60'000;
      }
      Response res = Answer(200, e.body);
      res.set("Lambda-Runtime-Aws-Request-Id", e.request_id);
      res.set("Lambda-Runtime-Deadline-Ms", std::to_string(e.deadline_ms));
      res.set("Lambda-Runtime-Invoked-Function-Arn", e.function_arn);
      if (!e.trace_id.empty()) res.set("Lambda-Runtime-Trace-Id", e.trace_id);
      return res;
    }
    const std::string inv = prefix + "/invocation/";
    if (req.method() == http::verb::post && target.rfind(inv, 0) == 0) {
      std::string rest = target.substr(inv.size());
      auto slash = rest.find('/');
      std::string what = slash == std::string::npos ? "" : rest.substr(slash + 1);
      if (what == "response" || what == "error") {
        LambdaOutcome o;
        o.request_id = rest.substr(0, slash);
        o.ok = what == "response";
        o.body = req.body();
        o.error_type = std::string(req["Lambda-Runtime-Function-Error-Type"]);
        o.content_type = std::string(req[http::field::content_type]);
        outcomes_.push_back(std::move(o));
        cv_.notify_all();
        return Answer(202, R"({"status":"OK"})");
      }
    }
    if (req.method() == http::verb::post && target == prefix + "/init/error") {
      init_errors_.push_back({req.body(), std::string(req["Lambda-Runtime-Function-Error-Type"])});
      cv_.notify_all();
      return Answer(202, R"({"status":"OK"})");
    }
    unexpected_.push_back(std::string(req.method_string()) + " " + target);
    return Answer(404, R"({"errorMessage":"unknown path","errorType":"InvalidRequest"})");
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<LambdaEvent> events_;            // guarded by mu_
  std::vector<LambdaOutcome> outcomes_;       // guarded by mu_
  std::vector<LambdaInitError> init_errors_;  // guarded by mu_
  std::vector<std::string> unexpected_;       // guarded by mu_
  std::size_t polls_ = 0;                     // guarded by mu_
  bool gone_ = false;                         // guarded by mu_
  BlockingHttpServer server_;                 // last: stopped first, before what it uses
};

}  // namespace heartbeat::testing
