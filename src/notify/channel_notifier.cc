#include "notify/channel_notifier.h"

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <cmath>
#include <ctime>
#include <utility>

#include "core/project.h"
#include "core/utf8.h"
#include "notify/message.h"
#include "notify/telegram.h"
#include "notify/template.h"

namespace heartbeat {

struct ChannelNotifier::Outgoing {
  const Alert* alert = nullptr;  // null: a test message
  TemplateValues values;
  std::string title;     // ASCII, one line: ntfy's Title, Teams' summary
  std::string subject;   // the message's first line: an e-mail's subject
  std::string markdown;  // a test message in MarkdownV2 (an alert's is made by Telegram's)
  std::string priority;  // ntfy
  std::string tags;      // ntfy
};

namespace {

using Kind = SendOutcome::Kind;

constexpr std::int64_t kMaxRetryAfterSecs = std::int64_t{24} * 3600;
constexpr std::size_t kDiscordLimit = 2000;
constexpr std::size_t kSnippet = 200;

SendOutcome Outcome(Kind kind, std::string detail) {
  SendOutcome out;
  out.kind = kind;
  out.detail = std::move(detail);
  return out;
}

// The secrets of one send, cut out of whatever its detail quotes (an answer's body may echo
// the URL, curl's messages name hosts and never URLs, but a future one might).
class Secrets {
 public:
  void Add(std::string_view secret) {
    if (secret.size() >= 6) values_.emplace_back(secret);
  }
  // A header's value, and each long word of it ("Bearer <token>": the token alone).
  void AddValue(std::string_view value) {
    Add(value);
    while (!value.empty()) {
      std::size_t end = value.find_first_of(" ,;=");
      if (value.substr(0, end).size() >= 8) Add(value.substr(0, end));
      if (end == std::string_view::npos) break;
      value.remove_prefix(end + 1);
    }
  }
  // A URL's secret parts: all of it, its path and query, each long path segment.
  void AddUrl(std::string_view url) {
    Add(url);
    std::size_t start = url.find("://");
    if (start == std::string_view::npos) return;
    std::size_t path = url.find('/', start + 3);
    if (path == std::string_view::npos) return;
    Add(url.substr(path));
    std::string_view rest = url.substr(path + 1);
    while (!rest.empty()) {
      std::size_t end = rest.find_first_of("/?#&=");
      Add(rest.substr(0, end));
      if (end == std::string_view::npos) break;
      rest.remove_prefix(end + 1);
    }
  }
  std::string Scrub(std::string text) const {
    // Longest first, so that a secret's part does not break the match of the whole.
    std::vector<std::string> sorted = values_;
    std::sort(sorted.begin(), sorted.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    for (const std::string& secret : sorted) {
      for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
        text.replace(at, secret.size(), "(hidden)");
      }
    }
    return text;
  }

 private:
  std::vector<std::string> values_;
};

// Up to kSnippet bytes of an answer's body, on one line, for a detail.
std::string Snippet(std::string_view body) {
  std::string out;
  for (char c : body.substr(0, kSnippet)) {
    out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  // Not cut inside a UTF-8 character.
  while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0x80) != 0 &&
         body.size() > kSnippet) {
    const bool lead = (static_cast<unsigned char>(out.back()) & 0xC0) == 0xC0;
    out.pop_back();
    if (lead) break;
  }
  return ValidUtf8(out);
}

// Retry-After: delay-seconds, or an HTTP date (IMF-fixdate) measured from `now`.
std::optional<std::int64_t> ParseRetryAfter(std::string_view value, UnixMillis now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return kMaxRetryAfterSecs;
    return std::stoll(std::string(value));
  }
  std::tm tm{};
  std::string text(value);
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  const std::int64_t at = static_cast<std::int64_t>(timegm(&tm)) * 1000;
  return std::max<std::int64_t>(0, (at - now + 999) / 1000);
}

// A JSON body's retry_after: Discord's (top level, seconds, fractional) or Telegram's
// (parameters.retry_after).
std::optional<std::int64_t> JsonRetryAfter(std::string_view body) {
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(body, ec);
  if (ec || !parsed.is_object()) return std::nullopt;
  const boost::json::object& o = parsed.as_object();
  const boost::json::value* r = o.if_contains("retry_after");
  if (r == nullptr) {
    if (const auto* p = o.if_contains("parameters"); p != nullptr && p->is_object()) {
      r = p->as_object().if_contains("retry_after");
    }
  }
  if (r == nullptr || !r->is_number()) return std::nullopt;
  boost::system::error_code nec;
  const double secs = r->to_number<double>(nec);
  if (nec || !(secs >= 0)) return std::nullopt;
  if (secs > static_cast<double>(kMaxRetryAfterSecs)) return kMaxRetryAfterSecs;
  return static_cast<std::int64_t>(std::ceil(secs));
}

SendOutcome HttpOutcome(std::string_view who, const HttpResult& res, UnixMillis now,
                        const Secrets& secrets, bool teams) {
  if (!res.transport_ok) {
    return Outcome(Kind::kRetry, secrets.Scrub(std::string(who) + " unreachable: " + res.error));
  }
  std::string detail = std::string(who) + " answered " + std::to_string(res.status);
  // Secrets are cut out before the snippet is: one across its end would leave its start.
  const std::string snippet =
      Snippet(secrets.Scrub(res.body.substr(0, std::min<std::size_t>(res.body.size(), 4096))));
  // Teams' connectors answer 200 when Teams itself throttled the message, saying so in
  // the body ("... Microsoft Teams endpoint returned HTTP error 429 ..."): not delivered.
  if (teams && res.status >= 200 && res.status < 300 &&
      res.body.find("returned HTTP error 429") != std::string::npos) {
    return Outcome(Kind::kRetry, secrets.Scrub(detail + ": " + snippet));
  }
  if (res.status >= 200 && res.status < 300) return Outcome(Kind::kSent, detail);
  if (!snippet.empty()) detail += ": " + snippet;
  detail = secrets.Scrub(std::move(detail));
  if (res.status == 429) {
    SendOutcome out = Outcome(Kind::kRetry, detail);
    std::optional<std::int64_t> wait;
    if (const std::string* h = res.Header("retry-after")) wait = ParseRetryAfter(*h, now);
    if (!wait) wait = JsonRetryAfter(res.body);
    if (wait) {
      out.retry_after = std::chrono::seconds(std::min(*wait, kMaxRetryAfterSecs));
    }
    return out;
  }
  if (res.status == 408 || res.status == 425 || (res.status >= 500 && res.status < 600)) {
    return Outcome(Kind::kRetry, detail);
  }
  return Outcome(Kind::kRejected, detail);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool HasHeader(const std::vector<std::pair<std::string, std::string>>& headers,
               std::string_view lower_name) {
  for (const auto& [name, value] : headers) {
    if (Lower(name) == lower_name) return true;
  }
  return false;
}

// At most `limit` characters (code points) of `text`.
std::string CutCodePoints(std::string_view text, std::size_t limit) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (count == limit) return std::string(text.substr(0, i));
      ++count;
    }
  }
  return std::string(text);
}

std::string FirstLine(std::string_view text) {
  return std::string(text.substr(0, text.find('\n')));
}

std::string AlertTitle(const Alert& alert) {
  switch (alert.kind) {
    case AlertKind::kOverdue:
      return "OVERDUE: " + alert.slug;
    case AlertKind::kFailed:
      return "FAILED: " + alert.slug;
    case AlertKind::kRepeat:
      return "STILL OVERDUE: " + alert.slug;
    case AlertKind::kRecovered:
      return "RECOVERED: " + alert.slug;
    case AlertKind::kTimedOut:
      return "RUN TIMED OUT: " + alert.slug;
  }
  return alert.slug;
}

std::string NtfyPriority(AlertKind kind) {
  switch (kind) {
    case AlertKind::kRecovered:
      return "default";
    case AlertKind::kRepeat:
      return "high";
    default:
      return "urgent";
  }
}

std::string NtfyTags(AlertKind kind) {
  switch (kind) {
    case AlertKind::kFailed:
      return "x";
    case AlertKind::kTimedOut:
      return "stopwatch";
    case AlertKind::kRecovered:
      return "white_check_mark";
    default:
      return "warning";
  }
}

}  // namespace

ChannelNotifier::ChannelNotifier(HttpClient& http, const ChannelDirectory& channels,
                                 ChannelSendOptions options, const Clock& clock)
    : http_(http), channels_(channels), options_(std::move(options)), clock_(clock) {}

SendOutcome ChannelNotifier::Send(const Alert& alert) {
  const std::string key = alert.channel.empty() ? std::string(kEnvironmentChannel) : alert.channel;
  std::optional<Channel> channel = channels_.Find(key);
  if (!channel) return Outcome(Kind::kRejected, "no channel " + key + ": it was removed");
  const UnixMillis now = clock_.Now();
  Outgoing message;
  message.alert = &alert;
  message.values = AlertTemplateValues(alert, now);
  message.title = AlertTitle(alert);
  message.subject = FirstLine(message.values.message);
  message.priority = NtfyPriority(alert.kind);
  message.tags = NtfyTags(alert.kind);
  return Dispatch(*channel, message);
}

SendOutcome ChannelNotifier::SendTest(const Channel& channel) {
  const std::string text =
      "✅ heartbeat test message for channel " + channel.name + " (project " + channel.project + ")";
  Outgoing message;
  message.values = TestTemplateValues(channel.project, text, clock_.Now());
  message.title = "heartbeat test: channel " + channel.name;
  message.subject = text;
  message.markdown = EscapeMarkdownV2(text);
  message.priority = "default";
  message.tags = "white_check_mark";
  return Dispatch(channel, message);
}

SendOutcome ChannelNotifier::Dispatch(const Channel& channel, const Outgoing& message) {
  switch (channel.kind) {
    case ChannelKind::kTelegram:
      return SendTelegram(channel, message);
    case ChannelKind::kEmail:
      return SendEmail(channel, message);
    default:
      return SendHttp(channel, message);
  }
}

Result<std::string> ChannelNotifier::Resolve(const std::string& value) const {
  if (!IsSsmReference(value)) return value;
  const std::string name = value.substr(kSsmPrefix.size());
  if (!options_.resolve_ssm) {
    return InvalidArgument("SSM parameter " + name + " cannot be read: no SSM client here");
  }
  Result<std::string> resolved = options_.resolve_ssm(name);
  if (!resolved.ok()) return resolved.error().Wrap("SSM parameter " + name);
  return resolved;
}

namespace {

// The outcome of a secret that could not be read.
SendOutcome Unresolved(const std::string& who, const Error& error) {
  return Outcome(error.code == ErrorCode::kUnavailable ? Kind::kRetry : Kind::kRejected,
                 who + ": " + error.message);
}

}  // namespace

SendOutcome ChannelNotifier::SendTelegram(const Channel& channel, const Outgoing& message) {
  const std::string who = "telegram channel " + channel.name;
  Result<std::string> token = Resolve(channel.bot_token);
  if (!token.ok()) return Unresolved(who, token.error());
  // An SSM value was not seen on save: it goes into the URL's path, so it is checked here.
  if (Status s = CheckBotToken(*token); !s.ok()) {
    return Outcome(Kind::kRejected, who + ": " + s.error().message);
  }
  Secrets secrets;
  secrets.Add(*token);
  TelegramOptions options;
  options.api_url = options_.telegram_api_url;
  options.bot_token = *token;
  options.chat_id = channel.chat_id;
  options.connect_timeout = options_.connect_timeout;
  options.total_timeout = options_.telegram_timeout;
  TelegramNotifier telegram(http_, std::move(options), clock_);
  SendOutcome out = message.alert != nullptr ? telegram.Send(*message.alert)
                                             : telegram.SendText(message.markdown);
  out.detail = secrets.Scrub(who + ": " + out.detail);
  return out;
}

SendOutcome ChannelNotifier::SendHttp(const Channel& channel, const Outgoing& message) {
  const std::string who = std::string(ToString(channel.kind)) + " channel " + channel.name;
  Result<std::string> url = Resolve(channel.url);
  if (!url.ok()) return Unresolved(who, url.error());
  Secrets secrets;
  secrets.AddUrl(*url);

  HttpRequest req;
  req.method = "POST";
  req.connect_timeout = options_.connect_timeout;
  req.total_timeout = options_.webhook_timeout;
  req.url = *url;
  const TemplateValues& v = message.values;
  switch (channel.kind) {
    case ChannelKind::kWebhook: {
      req.method = channel.method;
      req.url = RenderTemplate(*url, v, TemplateEscape::kUrl);
      secrets.AddUrl(req.url);
      for (const auto& [name, value] : channel.headers) {
        Result<std::string> resolved = Resolve(value);
        if (!resolved.ok()) return Unresolved(who, resolved.error());
        if (Status s = CheckHeaderValue(name, *resolved); !s.ok()) {
          return Outcome(Kind::kRejected, who + ": " + s.error().message);
        }
        secrets.AddValue(*resolved);
        req.headers.emplace_back(name, *resolved);
      }
      if (req.method != "GET") {
        const std::string_view tmpl =
            channel.body.empty() ? kDefaultWebhookBody : std::string_view(channel.body);
        const TemplateEscape escape = BodyEscape(channel.headers, tmpl);
        const bool json = escape == TemplateEscape::kJson;
        req.body = RenderTemplate(tmpl, v, escape);
        if (!HasHeader(req.headers, "content-type")) {
          req.headers.emplace_back("Content-Type",
                                   json ? "application/json" : "text/plain; charset=utf-8");
        }
      }
      break;
    }
    case ChannelKind::kSlack:
    case ChannelKind::kMattermost:
      req.body = boost::json::serialize(boost::json::object{{"text", v.message}});
      break;
    case ChannelKind::kDiscord:
      req.body = boost::json::serialize(
          boost::json::object{{"content", CutCodePoints(v.message, kDiscordLimit)}});
      break;
    case ChannelKind::kTeams:
      req.body =
          boost::json::serialize(boost::json::object{{"@type", "MessageCard"},
                                                     {"@context", "https://schema.org/extensions"},
                                                     {"summary", message.title},
                                                     {"text", v.message}});
      break;
    case ChannelKind::kNtfy:
      req.body = v.message;
      req.headers = {{"Content-Type", "text/plain; charset=utf-8"},
                     {"Title", message.title},
                     {"Priority", message.priority},
                     {"Tags", message.tags}};
      break;
    default:
      return Outcome(Kind::kRejected, who + ": not an HTTP channel");
  }
  if (channel.kind != ChannelKind::kWebhook && channel.kind != ChannelKind::kNtfy) {
    req.headers.emplace_back("Content-Type", "application/json");
  }
  if (!HasHeader(req.headers, "user-agent")) req.headers.emplace_back("User-Agent", "heartbeat");
  // The URL is checked again as it is sent: an SSM value, or a template's, was not seen on
  // save. The error never quotes it.
  if (Status s = CheckHttpUrl(req.url); !s.ok()) {
    return Outcome(Kind::kRejected, who + ": " + s.error().message);
  }
  const HttpResult res = http_.Send(req);
  return HttpOutcome(who + " (" + PublicUrl(req.url) + ")", res, clock_.Now(), secrets,
                     channel.kind == ChannelKind::kTeams);
}

SendOutcome ChannelNotifier::SendEmail(const Channel& channel, const Outgoing& message) {
  const std::string who = "email channel " + channel.name;
  std::string domain = SmtpFromAddress(options_.smtp.from);
  domain = domain.substr(domain.find('@') + 1);
  Result<std::string> uuid = GenerateUuid();
  const UnixMillis now = clock_.Now();
  const std::string id =
      (uuid.ok() ? *uuid : std::to_string(now)) + "@" + (domain.empty() ? "heartbeat" : domain);
  const std::string mail = BuildEmail(options_.smtp.from, channel.to, message.subject,
                                      message.values.message + "\n", now, id);
  SendOutcome out =
      SendSmtp(options_.smtp, channel.to, mail,
               {options_.connect_timeout, options_.webhook_timeout}, options_.cancelled);
  out.detail = who + ": " + out.detail;
  return out;
}

}  // namespace heartbeat
