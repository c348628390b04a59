#pragma once
// The AWS Lambda Runtime API (2018-06-01) for a custom runtime (`provided.al2023`): fetch
// the next invocation (a long GET), run the handler, post its response or its error; report
// an init failure. Over the blocking HttpClient; one invocation at a time, as Lambda runs
// them.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "http_client/http_client.h"

namespace heartbeat::aws {

struct Invocation {
  std::string request_id;    // Lambda-Runtime-Aws-Request-Id
  std::int64_t deadline_ms;  // Lambda-Runtime-Deadline-Ms: Unix ms when Lambda stops the call
  std::string function_arn;  // Lambda-Runtime-Invoked-Function-Arn
  std::string trace_id;      // Lambda-Runtime-Trace-Id (X-Ray); may be empty
  std::string body;          // the event, e.g. an EventBridge scheduled event
};

// What a failed invocation or init reports: errorType (also sent as the
// Lambda-Runtime-Function-Error-Type header; "Category.Reason" by convention) and
// errorMessage. Never put a secret in either: both end up in CloudWatch.
struct FunctionError {
  std::string type;
  std::string message;
};

// "Heartbeat.Unavailable", "Heartbeat.NotFound", ... for an Error's code.
std::string ErrorTypeFor(const Error& error);

// {"errorMessage":...,"errorType":...}
std::string ErrorPayload(const FunctionError& error);

class RuntimeApiClient {
 public:
  // `api` is AWS_LAMBDA_RUNTIME_API: "host:port", no scheme. `http` must outlive this.
  RuntimeApiClient(HttpClient& http, std::string api);

  // Blocks until Lambda hands out the next event (no total timeout). kUnavailable when the
  // Runtime API cannot be reached or answers other than 200: the process should end.
  Result<Invocation> Next();
  Status PostResponse(const std::string& request_id, const std::string& response);
  Status PostError(const std::string& request_id, const FunctionError& error);
  Status PostInitError(const FunctionError& error);

 private:
  Status Post(const std::string& path, const std::string& body, const std::string& error_type);

  HttpClient& http_;
  std::string base_;  // "http://host:port/2018-06-01/runtime"
};

using Handler = std::function<Result<std::string>(const Invocation&)>;

struct RuntimeLoopOptions {
  // Sets _X_AMZN_TRACE_ID to each invocation's trace id, as Lambda's runtimes do (X-Ray
  // SDKs read it). Off in tests that run the loop inside the test process.
  bool set_trace_env = true;
  // Stop after this many invocations (0: never); for tests.
  std::size_t max_invocations = 0;
};

// Serves invocations one by one: a handler error is posted as an invocation error and the
// loop goes on with the next event; an exception escaping the handler is reported the same
// way. Returns only when the Runtime API itself fails (the error says how: the caller ends
// the process with a non-zero code) or after max_invocations (Ok).
Status ServeInvocations(RuntimeApiClient& runtime, const Handler& handler,
                        const RuntimeLoopOptions& options = {});

}  // namespace heartbeat::aws
