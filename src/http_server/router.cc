#include "http_server/router.h"

#include <algorithm>
#include <array>
#include <boost/url/parse.hpp>
#include <charconv>
#include <span>
#include <stdexcept>

#include <boost/json/parse.hpp>

#include "core/api_key.h"
#include "core/project.h"
#include "core/slug.h"
#include "http_server/route_support.h"

namespace heartbeat::http {

namespace bhttp = boost::beast::http;
using bhttp::status;

namespace {

// The status codes the API answers with, each counted under its own `code` label; any
// other is counted as "other".
constexpr unsigned kCountedStatusCodes[] = {200, 201, 204, 400, 401, 403, 404, 405,
                                            409, 408, 413, 414, 429, 431, 500, 503};

// No pattern has more than seven segments (Healthchecks' /api/v3/checks/<uuid>/pings/<n>/body);
// a path has one more with a trailing slash, and one more again is kept only to tell longer
// paths apart (a longer path cut there must not end in the empty segment of a slash).
constexpr std::size_t kMaxPatternSegments = 7;
constexpr std::size_t kMaxSegments = kMaxPatternSegments + 2;
constexpr std::string_view kSlugParameter = "{slug}";
constexpr std::string_view kUuidParameter = "{uuid}";
constexpr std::string_view kAnyParameter = "{any}";
constexpr std::string_view kVersionParameter = "{v}";
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

std::optional<int> ApiVersion(std::string_view segment) {
  if (segment == "v1") return 1;
  if (segment == "v2") return 2;
  if (segment == "v3") return 3;
  return std::nullopt;
}

// The API key of a Healthchecks API request: X-Api-Key, else "api_key" in a JSON body.
std::string HcApiKey(const Request& req) {
  if (auto it = req.find("X-Api-Key"); it != req.end()) return std::string(it->value());
  if (req.body().empty()) return {};
  boost::system::error_code ec;
  boost::json::value body = boost::json::parse(req.body(), ec);
  if (ec || !body.is_object()) return {};
  const boost::json::value* key = body.as_object().if_contains("api_key");
  if (key == nullptr || !key->is_string()) return {};
  return std::string(key->as_string());
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
        } else if (segment == kUuidParameter || segment == kVersionParameter) {
          std::optional<std::size_t>& at =
              segment == kUuidParameter ? entry.uuid_at : entry.version_at;
          if (at)
            throw std::invalid_argument("two " + std::string(segment) + " in " +
                                        std::string(route.pattern));
          at = entry.segments.size();
          segment = {};
        } else if (segment == kAnyParameter) {
          entry.any_at.push_back(entry.segments.size());
          segment = {};
        } else if (segment.find_first_of("{}") != std::string_view::npos) {
          throw std::invalid_argument("unknown parameter in " + std::string(route.pattern));
        }
        entry.segments.emplace_back(segment);
      }
      if (entry.segments.size() > kMaxPatternSegments) {
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
  const Entry* entry = nullptr;
  Response res = co_await Dispatch(req, context, label, entry);
  if (entry != nullptr && entry->route.cors) {
    res.set(bhttp::field::access_control_allow_origin, "*");
    res.set(bhttp::field::access_control_allow_headers, "X-Api-Key");
    res.set(bhttp::field::access_control_allow_methods, entry->allow);
  }
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
    std::size_t n = segments.size();
    if (entry.route.trailing_slash && n == entry.segments.size() + 1 && segments[n - 1].empty()) {
      --n;
    }
    if (entry.segments.size() != n) continue;
    bool match = true;
    for (std::size_t i = 0; i < n && match; ++i) {
      if (entry.slug_at == i) continue;
      if (entry.number_at == i) {
        match = IsNumber(segments[i]);
      } else if (entry.uuid_at == i) {
        match = IsUuid(segments[i]);
      } else if (entry.version_at == i) {
        match = ApiVersion(segments[i]).has_value();
      } else if (std::find(entry.any_at.begin(), entry.any_at.end(), i) != entry.any_at.end()) {
        match = !segments[i].empty();
      } else {
        match = entry.segments[i] == segments[i];
      }
    }
    if (match) return &entry;
  }
  return nullptr;
}

std::optional<Response> Router::Authorize(const Entry& entry, const Request& req,
                                          const RequestContext& context, UnixMillis now,
                                          KeyGrant& grant) {
  const unsigned v = req.version();
  const Access access = entry.route.access;
  if (access == Access::kPublic) return std::nullopt;
  if (access == Access::kMetricsToken && options_.metrics_token.empty()) return std::nullopt;
  // An address that failed too often waits, whatever it sends now.
  if (auto wait = auth_limiter_.RetryAfter(context.client_address, now)) {
    return TooManyFailures(v, *wait);
  }
  // A route that writes, or any method but GET and HEAD (PUT and DELETE share a path
  // with GET): never for a read-only key.
  const bool writes = access == Access::kApiKeyWrite || access == Access::kHcApiKeyWrite ||
                      (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head);
  auto accepted = [&](std::optional<KeyGrant> key) -> std::optional<Response> {
    grant = std::move(*key);
    if (writes && grant.read_only) return FromError(v, ReadOnlyKey());
    return std::nullopt;
  };
  if (access == Access::kHcApiKey || access == Access::kHcApiKeyWrite) {
    std::string token = HcApiKey(req);
    if (token.empty()) return ErrorResponse(v, status::unauthorized, "missing api key");
    std::optional<KeyGrant> key = keys_.Authenticate(token, now);
    if (!key) {
      auth_limiter_.RecordFailure(context.client_address, now);
      return ErrorResponse(v, status::unauthorized, "wrong api key");
    }
    return accepted(std::move(key));
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
  std::optional<KeyGrant> key = keys_.Authenticate(token, now);
  if (!key) {
    auth_limiter_.RecordFailure(context.client_address, now);
    return Unauthorized(v, "invalid or revoked API key", "Bearer error=\"invalid_token\"");
  }
  return accepted(std::move(key));
}

boost::asio::awaitable<Response> Router::Dispatch(const Request& req, const RequestContext& context,
                                                  RouteLabel& label, const Entry*& matched) {
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
  matched = entry;
  const Route& route = entry->route;

  RouteCall call{req, context, {}, {}, {}, clock_.Now(), {}, {}, {}, 0};
  if (route.cors && req.method() == bhttp::verb::options) {
    Response res(status::no_content, v);
    res.set(bhttp::field::allow, entry->allow);
    return Ready(std::move(res));
  }
  if (route.access != Access::kPublic && route.access != Access::kMetricsToken) {
    if (auto refused = Authorize(*entry, req, context, call.now, call.grant)) {
      return Ready(std::move(*refused));
    }
  }

  if (route.query.kind != QuerySpec::Kind::kIgnored) {
    const bool lenient = route.query.kind == QuerySpec::Kind::kLenient;
    for (auto param : url.params(boost::urls::encoding_opts(true))) {
      auto known = std::find(route.query.names.begin(), route.query.names.end(), param.key);
      if (!param.key.empty() && known != route.query.names.end()) {
        if (call.Param(*known)) {
          if (lenient) continue;
          return Ready(ErrorResponse(v, status::bad_request, param.key + " given twice"));
        }
        call.params.emplace_back(*known, param.has_value ? param.value : std::string());
        continue;
      }
      if (lenient) continue;
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
    if (auto refused = Authorize(*entry, req, context, call.now, call.grant)) {
      return Ready(std::move(*refused));
    }
  }
  if (entry->uuid_at) call.uuid = std::move(segments[*entry->uuid_at]);
  if (entry->version_at) call.api_version = *ApiVersion(segments[*entry->version_at]);
  for (std::size_t at : entry->any_at) call.args.push_back(std::move(segments[at]));

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
