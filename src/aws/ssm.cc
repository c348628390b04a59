#include "aws/ssm.h"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <thread>

#include "aws/json_error.h"
#include "aws/sigv4.h"

namespace heartbeat::aws {

namespace {

JsonErrorAnswer ReadError(const HttpResult& r) {
  boost::system::error_code ec;
  boost::json::value body = boost::json::parse(r.body, ec);
  return ReadJsonError(ec ? nullptr : &body, r);
}

bool Retryable(const HttpResult& r, const JsonErrorAnswer& e) {
  if (!r.transport_ok || r.status >= 500) return true;
  return e.type == "ThrottlingException" || e.type == "Throttling" || e.type == "TooManyUpdates" ||
         r.status == 429;
}

}  // namespace

Result<SsmOptions> SsmOptionsFromEnv(const EnvLookup& env) {
  SsmOptions options;
  std::optional<std::string> region = ResolveRegion(env);
  if (!region || region->empty()) {
    return InvalidArgument("SSM: no region (set AWS_REGION or AWS_DEFAULT_REGION)");
  }
  options.region = *region;
  std::optional<std::string> endpoint = env("SSM_ENDPOINT");
  if (endpoint && !endpoint->empty()) {
    if (endpoint->rfind("https://", 0) != 0 && endpoint->rfind("http://", 0) != 0) {
      return InvalidArgument("SSM_ENDPOINT: '" + *endpoint +
                             "' must start with https:// or http://");
    }
    options.endpoint = *endpoint;
    while (!options.endpoint.empty() && options.endpoint.back() == '/') options.endpoint.pop_back();
  } else {
    options.endpoint = RegionalEndpoint("ssm", options.region);
  }
  Result<Credentials> credentials = ResolveCredentials(env);
  if (!credentials.ok()) return credentials.error().Wrap("SSM credentials");
  options.credentials = std::move(*credentials);
  return options;
}

SsmClient::SsmClient(HttpClient& http, const Clock& clock, SsmOptions options, Sleep sleep)
    : http_(http), clock_(clock), options_(std::move(options)), sleep_(std::move(sleep)) {
  if (!sleep_) sleep_ = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

Result<std::string> SsmClient::GetParameter(std::string_view name, bool with_decryption) {
  const std::string quoted = "'" + std::string(name) + "'";
  boost::json::object payload{{"Name", name}, {"WithDecryption", with_decryption}};
  const std::string body = boost::json::serialize(payload);
  std::chrono::milliseconds wait = options_.retry_base;
  std::string last_failure;
  for (int attempt = 1; attempt <= std::max(1, options_.max_attempts); ++attempt) {
    if (attempt > 1) {
      sleep_(wait);
      wait *= 2;
    }
    HttpRequest request;
    request.method = "POST";
    request.url = options_.endpoint + "/";
    request.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                       {"X-Amz-Target", "AmazonSSM.GetParameter"}};
    request.body = body;
    request.connect_timeout = options_.connect_timeout;
    request.total_timeout = options_.total_timeout;
    // Signed per attempt: the signature carries the time.
    SignRequest(request, options_.credentials, options_.region, "ssm", clock_.Now());
    HttpResult r = http_.Send(request);

    if (r.transport_ok && r.status == 200) {
      boost::system::error_code ec;
      auto answer = boost::json::parse(r.body, ec);
      const boost::json::value* value = nullptr;
      if (!ec && answer.is_object()) {
        if (auto* p = answer.as_object().if_contains("Parameter"); p && p->is_object()) {
          value = p->as_object().if_contains("Value");
        }
      }
      if (value == nullptr || !value->is_string()) {
        return Internal("SSM GetParameter " + quoted + ": the answer has no Parameter.Value");
      }
      return std::string(value->as_string());
    }

    JsonErrorAnswer e = r.transport_ok ? ReadError(r) : JsonErrorAnswer{};
    if (e.type == "ParameterNotFound") {
      return NotFound("SSM parameter " + quoted + " does not exist (ParameterNotFound)");
    }
    if (!r.transport_ok) {
      last_failure = "no answer from SSM: " + r.error;
    } else {
      last_failure = "HTTP " + std::to_string(r.status) + (e.type.empty() ? "" : " " + e.type) +
                     (e.message.empty() ? "" : ": " + e.message);
    }
    if (!Retryable(r, e)) {
      return InvalidArgument("SSM GetParameter " + quoted + " refused: " + last_failure);
    }
  }
  return Unavailable("SSM GetParameter " + quoted + " failed after " +
                     std::to_string(std::max(1, options_.max_attempts)) +
                     " attempt(s): " + last_failure);
}

}  // namespace heartbeat::aws
