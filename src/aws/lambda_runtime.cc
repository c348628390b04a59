#include "aws/lambda_runtime.h"

#include <stdlib.h>

#include <spdlog/spdlog.h>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <exception>

namespace heartbeat::aws {

namespace {

// The Runtime API answers on the same host at once; only `next` waits for an event.
constexpr std::chrono::milliseconds kConnectTimeout{2000};
constexpr std::chrono::milliseconds kPostTimeout{10000};

}  // namespace

std::string ErrorTypeFor(const Error& error) {
  switch (error.code) {
    case ErrorCode::kInvalidArgument:
      return "Heartbeat.InvalidArgument";
    case ErrorCode::kNotFound:
      return "Heartbeat.NotFound";
    case ErrorCode::kForbidden:
      return "Heartbeat.Forbidden";
    case ErrorCode::kConflict:
      return "Heartbeat.Conflict";
    case ErrorCode::kUnavailable:
      return "Heartbeat.Unavailable";
    case ErrorCode::kInternal:
      break;
  }
  return "Heartbeat.Internal";
}

std::string ErrorPayload(const FunctionError& error) {
  return boost::json::serialize(
      boost::json::object{{"errorMessage", error.message}, {"errorType", error.type}});
}

RuntimeApiClient::RuntimeApiClient(HttpClient& http, std::string api)
    : http_(http), base_("http://" + std::move(api) + "/2018-06-01/runtime") {}

Result<Invocation> RuntimeApiClient::Next() {
  HttpRequest request;
  request.method = "GET";
  request.url = base_ + "/invocation/next";
  request.connect_timeout = kConnectTimeout;
  // The long poll: Lambda answers when there is an event, which may be never (the
  // environment is frozen meanwhile). 0 is "no timeout" for the HTTP client.
  request.total_timeout = std::chrono::milliseconds(0);
  HttpResult r = http_.Send(request);
  if (!r.transport_ok) return Unavailable("Runtime API: next invocation: " + r.error);
  if (r.status != 200) {
    return Unavailable("Runtime API: next invocation: HTTP " + std::to_string(r.status));
  }
  Invocation inv;
  if (const std::string* id = r.Header("lambda-runtime-aws-request-id")) inv.request_id = *id;
  if (inv.request_id.empty()) {
    return Unavailable("Runtime API: next invocation without Lambda-Runtime-Aws-Request-Id");
  }
  inv.deadline_ms = 0;
  if (const std::string* d = r.Header("lambda-runtime-deadline-ms")) {
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(d->data(), d->data() + d->size(), v);
    if (ec == std::errc() && end == d->data() + d->size()) inv.deadline_ms = v;
  }
  if (const std::string* arn = r.Header("lambda-runtime-invoked-function-arn")) {
    inv.function_arn = *arn;
  }
  if (const std::string* trace = r.Header("lambda-runtime-trace-id")) inv.trace_id = *trace;
  inv.body = std::move(r.body);
  return inv;
}

Status RuntimeApiClient::Post(const std::string& path, const std::string& body,
                              const std::string& error_type) {
  HttpRequest request;
  request.method = "POST";
  request.url = base_ + path;
  request.headers = {{"Content-Type", "application/json"}};
  if (!error_type.empty()) {
    request.headers.emplace_back("Lambda-Runtime-Function-Error-Type", error_type);
  }
  request.body = body;
  request.connect_timeout = kConnectTimeout;
  request.total_timeout = kPostTimeout;
  HttpResult r = http_.Send(request);
  if (!r.transport_ok) return Unavailable("Runtime API: POST " + path + ": " + r.error);
  // 202 Accepted; 400/413 mean this one answer was refused (too large, already answered):
  // say so, but the Runtime API itself still works.
  if (r.status == 202 || r.status == 200) return Ok{};
  if (r.status >= 400 && r.status < 500) {
    return InvalidArgument("Runtime API: POST " + path + " refused: HTTP " +
                           std::to_string(r.status) + " " + r.body.substr(0, 200));
  }
  return Unavailable("Runtime API: POST " + path + ": HTTP " + std::to_string(r.status));
}

Status RuntimeApiClient::PostResponse(const std::string& request_id, const std::string& response) {
  return Post("/invocation/" + request_id + "/response", response, "");
}

Status RuntimeApiClient::PostError(const std::string& request_id, const FunctionError& error) {
  return Post("/invocation/" + request_id + "/error", ErrorPayload(error), error.type);
}

Status RuntimeApiClient::PostInitError(const FunctionError& error) {
  return Post("/init/error", ErrorPayload(error), error.type);
}

Status ServeInvocations(RuntimeApiClient& runtime, const Handler& handler,
                        const RuntimeLoopOptions& options) {
  for (std::size_t served = 0; options.max_invocations == 0 || served < options.max_invocations;
       ++served) {
    Result<Invocation> next = runtime.Next();
    if (!next.ok()) return next.error();
    const Invocation& inv = *next;
    if (options.set_trace_env) {
      if (inv.trace_id.empty()) {
        ::unsetenv("_X_AMZN_TRACE_ID");
      } else {
        ::setenv("_X_AMZN_TRACE_ID", inv.trace_id.c_str(), 1);
      }
    }
    spdlog::debug("invocation {} started", inv.request_id);
    Result<std::string> response = Internal("the handler returned nothing");
    try {
      response = handler(inv);
    } catch (const std::exception& e) {
      // The last net: one bad invocation never ends the runtime.
      response = Internal(std::string("unexpected exception: ") + e.what());
    } catch (...) {
      response = Internal("unexpected exception");
    }
    Status posted = response.ok() ? runtime.PostResponse(inv.request_id, *response)
                                  : runtime.PostError(inv.request_id,
                                                      FunctionError{ErrorTypeFor(response.error()),
                                                                    response.error().message});
    if (!response.ok()) {
      spdlog::error("invocation {} failed: {}", inv.request_id, response.error().message);
    }
    if (!posted.ok()) {
      // A refused answer (4xx) concerns this invocation only; an unreachable API ends the
      // loop.
      if (posted.error().code == ErrorCode::kUnavailable) return posted;
      spdlog::error("invocation {}: {}", inv.request_id, posted.error().message);
    }
  }
  return Ok{};
}

}  // namespace heartbeat::aws
