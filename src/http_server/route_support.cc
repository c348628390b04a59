#include "http_server/route_support.h"

namespace heartbeat::http {

namespace bhttp = boost::beast::http;
using bhttp::status;

boost::asio::awaitable<Response> Ready(Response res) { co_return res; }

Response Json(unsigned version, status code, std::string body) {
  Response res{code, version};
  res.set(bhttp::field::content_type, "application/json");
  res.body() = std::move(body);
  return res;
}

Response NoContent(unsigned version) { return Response{status::no_content, version}; }

Response FromError(unsigned version, const Error& e) {
  switch (e.code) {
    case ErrorCode::kInvalidArgument:
      return ErrorResponse(version, status::bad_request, e.message);
    case ErrorCode::kNotFound:
      return ErrorResponse(version, status::not_found, e.message);
    case ErrorCode::kForbidden:
      return ErrorResponse(version, status::forbidden, e.message);
    case ErrorCode::kUnavailable:
    case ErrorCode::kConflict:
      return ErrorResponse(version, status::service_unavailable,
                           "the store is unavailable, try again: " + e.message);
    case ErrorCode::kInternal:
      break;
  }
  return ErrorResponse(version, status::internal_server_error, "internal error: " + e.message);
}

Response TooManyFailures(unsigned version, std::int64_t wait_secs) {
  Response res = ErrorResponse(version, status::too_many_requests,
                               "too many failed authentications from this address; retry in " +
                                   std::to_string(wait_secs) + " s");
  res.set(bhttp::field::retry_after, std::to_string(wait_secs));
  return res;
}

std::string_view BearerToken(std::string_view header) {
  constexpr std::string_view kScheme = "bearer";
  if (header.size() <= kScheme.size() + 1) return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    char c = header[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kScheme[i]) return {};
  }
  if (header[kScheme.size()] != ' ') return {};
  std::string_view token = header.substr(kScheme.size() + 1);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.find(' ') != std::string_view::npos) return {};
  return token;
}

}  // namespace heartbeat::http
