#include "http_server/router.h"

#include <algorithm>
#include <array>
#include <boost/url/parse.hpp>
#include <charconv>
#include <span>
#include <stdexcept>

#include "core/api_key.h"
#include "core/slug.h"
#include "http_server/route_support.h"

namespace heartbeat::http {

namespace bhttp = boost::beast::http;
using bhttp::status;

namespace {

// The status codes the API answers with, each counted under its own `code` label; any
// other is counted as "other".
constexpr unsigned kCountedStatusCodes[] = {200, 201, 204, 400, 401, 404, 405,
                                            408, 413, 414, 429, 431, 500, 503};

// No pattern has more than five segments: a sixth is kept only to tell longer paths apart.
constexpr std::size_t kMaxSegments = 6;
constexpr std::string_view kSlugParameter = "{slug}";
constexpr std::string_view kNumberParameters[] = {"{code}", "{n}"};
constexpr std::size_t kMaxNumberDigits = 10;

bool IsNumber(std::string_view s) {
  return !s.empty() && s.size() <= kMaxNumberDigits &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Response Unauthorized(unsigned version, std::string_view message, std::string_view challenge) {
  Response res = ErrorResponse(version, status::unauthorized, message);
  res.set(bhttp::field::www_authenticate, challenge);
  return res;
}

}  // namespace

Router::Router(std::vector<Route> routes, const KeyCache& keys, const Clock& clock,
               RouterOptions options)
    : keys_(keys), clock_(clock), options_(std::move(options)), auth_limiter_(options_.limiter) {
  for (Route& route : routes) {
    Entry entry;
    if (route.methods.empty() || !route.handler || route.label.empty()) {
      throw std::invalid_argument("route " + std::string(route.pattern) +
                                  " needs methods, a label and a handler");
    }
    if (route.matches_path == nullptr) {
      std::string_view rest = route.pattern;
      if (rest.empty() || rest.front() != '/') {
        throw std::invalid_argument("route pattern must start with '/': " +
                                    std::string(route.pattern));
      }
      while (!rest.empty()) {
        rest.remove_prefix(1);  // the '/'
        std::string_view segment = rest.substr(0, rest.find('/'));
        rest.remove_prefix(segment.size());
        if (segment == kSlugParameter) {
          if (entry.slug_at) {
            throw std::invalid_argument("two {slug} in " + std::string(route.pattern));
          }
          entry.slug_at = entry.segments.size();
          segment = {};
        } else if (std::find(std::begin(kNumberParameters), std::end(kNumberParameters), segment) !=
                   std::end(kNumberParameters)) {
          if (entry.number_at) {
            throw std::invalid_argument("two numbers in " + std::string(route.pattern));
          }
          entry.number_at = entry.segments.size();
          segment = {};
        } else if (segment.find_first_of("{}") != std::string_view::npos) {
          throw std::invalid_argument("unknown parameter in " + std::string(route.pattern));
        }
        entry.segments.emplace_back(segment);
      }
      if (entry.segments.size() >= kMaxSegments) {
        throw std::invalid_argument("too many segments in " + std::string(route.pattern));
      }
    }
    for (bhttp::verb method : route.methods) {
      if (!entry.allow.empty()) entry.allow += ", ";
      entry.allow += bhttp::to_string(method);
    }
    if (options_.metrics != nullptr) entry.label = options_.metrics->RegisterRoute(route.label);
    entry.route = std::move(route);
    entries_.push_back(std::move(entry));
  }
  if (options_.metrics != nullptr) {
    unknown_label_ = options_.metrics->RegisterRoute(kUnknownLabel);
    for (unsigned code : kCountedStatusCodes) options_.metrics->RegisterStatusCode(code);
  }
}

boost::asio::awaitable<Response> Router::Handle(const Request& req, const RequestContext& context) {
  auto begin = clock_.Steady();
  RouteLabel label = unknown_label_;
  Response res = co_await Dispatch(req, context, label);
  if (options_.metrics != nullptr) {
    options_.metrics->ObserveRequest(
        label, res.result_int(), std::chrono::duration<double>(clock_.Steady() - begin).count());
  }
  co_return res;
}

const Router::Entry* Router::Match(std::span<std::string> segments,
                                   const boost::urls::url_view& url) const {
  for (const Entry& entry : entries_) {
    if (entry.route.matches_path != nullptr) {
      if (entry.route.matches_path(url.path())) return &entry;
      continue;
    }
    if (entry.segments.size() != segments.size()) continue;
    bool match = true;
    for (std::size_t i = 0; i < segments.size() && match; ++i) {
      match = entry.slug_at == i ||
              (entry.number_at == i ? IsNumber(segments[i]) : entry.segments[i] == segments[i]);
    }
    if (match) return &entry;
  }
  return nullptr;
}

std::optional<Response> Router::Authorize(const Entry& entry, const Request& req,
                                          const RequestContext& context, UnixMillis now) {
  const unsigned v = req.version();
  const Access access = entry.route.access;
  if (access == Access::kPublic) return std::nullopt;
  if (access == Access::kMetricsToken && options_.metrics_token.empty()) return std::nullopt;
  // An address that failed too often waits, whatever it sends now.
  if (auto wait = auth_limiter_.RetryAfter(context.client_address, now)) {
    return TooManyFailures(v, *wait);
  }
  auto auth = req.find(bhttp::field::authorization);
  if (access == Access::kMetricsToken) {
    std::string_view token = auth == req.end() ? std::string_view() : BearerToken(auth->value());
    if (ConstantTimeEquals(token, options_.metrics_token)) return std::nullopt;
    auth_limiter_.RecordFailure(context.client_address, now);
    return Unauthorized(
        v, std::string(entry.route.pattern) + " needs Authorization: Bearer <METRICS_TOKEN>",
        "Bearer");
  }
  if (auth == req.end()) {
    auth_limiter_.RecordFailure(context.client_address, now);
    return Unauthorized(v, "missing API key: send Authorization: Bearer <api_key>", "Bearer");
  }
  std::string_view token = BearerToken(auth->value());
  if (token.empty()) {
    auth_limiter_.RecordFailure(context.client_address, now);
    return Unauthorized(v, "malformed Authorization header: expected Bearer <api_key>", "Bearer");
  }
  if (!keys_.Authenticate(token, now)) {
    auth_limiter_.RecordFailure(context.client_address, now);
    return Unauthorized(v, "invalid or revoked API key", "Bearer error=\"invalid_token\"");
  }
  return std::nullopt;
}

boost::asio::awaitable<Response> Router::Dispatch(const Request& req, const RequestContext& context,
                                                  RouteLabel& label) {
  const unsigned v = req.version();
  auto parsed = boost::urls::parse_origin_form(req.target());
  if (!parsed) return Ready(ErrorResponse(v, status::bad_request, "malformed request target"));
  const boost::urls::url_view& url = *parsed;

  std::array<std::string, kMaxSegments> segments;
  std::size_t count = 0;
  for (auto segment : url.segments()) {
    if (count == segments.size()) break;
    segments[count++] = segment;
  }
  const Entry* entry = Match(std::span<std::string>(segments.data(), count), url);
  if (entry == nullptr) {
    return Ready(
        ErrorResponse(v, status::not_found, "no such endpoint: " + std::string(url.path())));
  }
  label = entry->label;
  const Route& route = entry->route;

  RouteCall call{req, context, {}, {}, {}, clock_.Now()};
  if (route.access == Access::kApiKey) {
    if (auto refused = Authorize(*entry, req, context, call.now)) {
      return Ready(std::move(*refused));
    }
  }

  if (route.query.kind != QuerySpec::Kind::kIgnored) {
    for (auto param : url.params(boost::urls::encoding_opts(true))) {
      auto known = std::find(route.query.names.begin(), route.query.names.end(), param.key);
      if (route.query.kind == QuerySpec::Kind::kParameters && !param.key.empty() &&
          known != route.query.names.end()) {
        if (call.Param(*known)) {
          return Ready(ErrorResponse(v, status::bad_request, param.key + " given twice"));
        }
        call.params.emplace_back(*known, param.has_value ? param.value : std::string());
        continue;
      }
      return Ready(
          ErrorResponse(v, status::bad_request, "unknown query parameter '" + param.key + "'"));
    }
  }

  if (std::find(route.methods.begin(), route.methods.end(), req.method()) == route.methods.end()) {
    Response res = ErrorResponse(
        v, status::method_not_allowed,
        "method " + std::string(req.method_string()) + " is not allowed here; use " + entry->allow);
    res.set(bhttp::field::allow, entry->allow);
    return Ready(std::move(res));
  }

  if (route.access == Access::kMetricsToken) {
    if (auto refused = Authorize(*entry, req, context, call.now)) {
      return Ready(std::move(*refused));
    }
  }

  if (entry->number_at) {
    const std::string& digits = segments[*entry->number_at];
    std::int64_t n = 0;
    std::from_chars(digits.data(), digits.data() + digits.size(), n);
    call.number = n;
  }
  if (entry->slug_at) {
    call.slug = std::move(segments[*entry->slug_at]);
    if (Status s = ValidateSlug(call.slug); !s.ok()) {
      return Ready(ErrorResponse(v, status::bad_request, s.error().message));
    }
  }
  return route.handler(call);
}

}  // namespace heartbeat::http
