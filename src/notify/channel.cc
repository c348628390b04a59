#include "notify/channel.h"

#include <algorithm>
#include <array>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <cctype>

#include "core/time_format.h"
#include "core/utf8.h"
#include "notify/template.h"

namespace heartbeat {
namespace {

constexpr std::array<std::pair<ChannelKind, std::string_view>, 8> kKinds = {{
    {ChannelKind::kTelegram, "telegram"},
    {ChannelKind::kWebhook, "webhook"},
    {ChannelKind::kSlack, "slack"},
    {ChannelKind::kDiscord, "discord"},
    {ChannelKind::kNtfy, "ntfy"},
    {ChannelKind::kMattermost, "mattermost"},
    {ChannelKind::kTeams, "teams"},
    {ChannelKind::kEmail, "email"},
}};

constexpr std::size_t kMaxUrl = 2048;
constexpr std::size_t kMaxBody = std::size_t{16} * 1024;
constexpr std::size_t kMaxHeaders = 20;
constexpr std::size_t kMaxHeaderValue = 1024;
constexpr std::size_t kMaxRecipients = 20;

// The fields a kind takes besides name and kind.
std::vector<std::string_view> FieldsOf(ChannelKind kind) {
  switch (kind) {
    case ChannelKind::kTelegram:
      return {"bot_token", "chat_id"};
    case ChannelKind::kWebhook:
      return {"url", "method", "headers", "body"};
    case ChannelKind::kEmail:
      return {"to"};
    default:
      return {"url"};
  }
}

// A field name quoted in an error: it came from the client, so it is cut and made UTF-8.
std::string Quoted(std::string_view name) {
  if (name.size() > 64) name = name.substr(0, 64);
  return ValidUtf8(name);
}

bool AllOf(std::string_view s, bool (*pred)(char)) { return std::all_of(s.begin(), s.end(), pred); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsTokenChar(char c) { return IsAlnum(c) || c == '_' || c == '-'; }
// RFC 9110's tchar.
bool IsHeaderNameChar(char c) {
  return IsAlnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}
bool IsSsmNameChar(char c) {
  return IsAlnum(c) || std::string_view("_.-/").find(c) != std::string_view::npos;
}

Status CheckSsmReference(std::string_view field, std::string_view value) {
  std::string_view name = value.substr(kSsmPrefix.size());
  if (name.empty() || name.size() > 2048 || !AllOf(name, IsSsmNameChar)) {
    return InvalidArgument(std::string(field) +
                           ": an SSM reference is ssm:NAME, NAME of A-Z a-z 0-9 _ . - /");
  }
  return Ok{};
}

Result<std::string> StringField(const boost::json::object& body, std::string_view field,
                                bool required) {
  const boost::json::value* v = body.if_contains(field);
  if (v == nullptr || v->is_null()) {
    if (required) return InvalidArgument(std::string(field) + ": required");
    return std::string();
  }
  if (!v->is_string()) return InvalidArgument(std::string(field) + ": must be a string");
  return std::string(v->as_string());
}

Result<std::string> ChatId(const boost::json::object& body) {
  const boost::json::value* v = body.if_contains("chat_id");
  if (v == nullptr || v->is_null()) return InvalidArgument("chat_id: required");
  std::string id;
  if (v->is_int64()) {
    id = std::to_string(v->as_int64());
  } else if (v->is_string()) {
    id = std::string(v->as_string());
  } else {
    return InvalidArgument("chat_id: must be a string or an integer");
  }
  std::string_view digits = id;
  if (digits.starts_with('-')) digits.remove_prefix(1);
  const bool numeric = !digits.empty() && digits.size() <= 20 && AllOf(digits, IsDigit);
  const bool username = id.size() >= 2 && id.size() <= 65 && id[0] == '@' &&
                        AllOf(std::string_view(id).substr(1), IsTokenChar);
  if (!numeric && !username) {
    return InvalidArgument("chat_id: an integer (e.g. -1001234567890) or @channelname");
  }
  return id;
}

// local@domain: the local part of printable characters but for quotes, brackets, commas,
// spaces and the like (no quoted forms); a domain of dotted labels.
Status CheckEmail(std::string_view address) {
  const std::string error = "to: not an e-mail address: " + Quoted(address);
  std::size_t at = address.rfind('@');
  if (address.size() > 254 || at == std::string_view::npos || at == 0 || at > 64) {
    return InvalidArgument(error);
  }
  std::string_view local = address.substr(0, at);
  std::string_view domain = address.substr(at + 1);
  for (char c : local) {
    if (!IsAlnum(c) && std::string_view(".!#$%&'*+/=?^_`{|}~-").find(c) == std::string_view::npos) {
      return InvalidArgument(error);
    }
  }
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return InvalidArgument(error);
  }
  if (domain.empty() || domain.find('.') == std::string_view::npos) return InvalidArgument(error);
  std::size_t start = 0;
  while (start <= domain.size()) {
    std::size_t dot = domain.find('.', start);
    std::string_view label =
        domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
        !AllOf(label, [](char c) { return IsAlnum(c) || c == '-'; })) {
      return InvalidArgument(error);
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return Ok{};
}

Result<std::vector<std::string>> Recipients(const boost::json::object& body) {
  const boost::json::value* v = body.if_contains("to");
  if (v == nullptr || v->is_null()) return InvalidArgument("to: required, a list of addresses");
  if (!v->is_array()) return InvalidArgument("to: must be a list of addresses");
  const auto& list = v->as_array();
  if (list.empty() || list.size() > kMaxRecipients) {
    return InvalidArgument("to: 1 to " + std::to_string(kMaxRecipients) + " addresses");
  }
  std::vector<std::string> to;
  for (const auto& item : list) {
    if (!item.is_string()) return InvalidArgument("to: every address must be a string");
    std::string address(item.as_string());
    if (Status s = CheckEmail(address); !s.ok()) return s.error();
    if (std::find(to.begin(), to.end(), address) == to.end()) to.push_back(std::move(address));
  }
  return to;
}

Result<std::vector<std::pair<std::string, std::string>>> Headers(const boost::json::object& body) {
  std::vector<std::pair<std::string, std::string>> headers;
  const boost::json::value* v = body.if_contains("headers");
  if (v == nullptr || v->is_null()) return headers;
  if (!v->is_object()) return InvalidArgument("headers: must be an object of strings");
  const auto& o = v->as_object();
  if (o.size() > kMaxHeaders) {
    return InvalidArgument("headers: at most " + std::to_string(kMaxHeaders));
  }
  for (const auto& kv : o) {
    std::string name(kv.key());
    if (name.empty() || name.size() > 64 || !AllOf(name, IsHeaderNameChar)) {
      return InvalidArgument("headers: not a header name: " + Quoted(name));
    }
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (std::string_view reserved :
         {"host", "content-length", "transfer-encoding", "connection", "expect", "upgrade"}) {
      if (lower == reserved) return InvalidArgument("headers: " + name + " is set by heartbeat");
    }
    if (!kv.value().is_string()) {
      return InvalidArgument("headers: the value of " + name + " must be a string");
    }
    std::string value(kv.value().as_string());
    if (Status s = CheckHeaderValue(name, value); !s.ok()) return s.error();
    if (IsSsmReference(value)) {
      if (Status s = CheckSsmReference("headers: " + name, value); !s.ok()) return s.error();
    }
    headers.emplace_back(std::move(name), std::move(value));
  }
  return headers;
}

// A webhook's URL template: valid as a template, and an http(s) URL once rendered.
Status CheckUrlTemplate(std::string_view url) {
  if (IsSsmReference(url)) return CheckSsmReference("url", url);
  if (Status s = ValidateTemplate(url); !s.ok()) return s.error().Wrap("url");
  TemplateValues sample;
  sample.slug = "slug";
  sample.project = "default";
  sample.status = "down";
  sample.kind = "overdue";
  sample.message = "message";
  sample.now = "2026-01-02T03:04:05Z";
  return CheckHttpUrl(RenderTemplate(url, sample, TemplateEscape::kUrl));
}

}  // namespace

std::string_view ToString(ChannelKind kind) {
  for (const auto& [k, name] : kKinds) {
    if (k == kind) return name;
  }
  return "webhook";
}

std::optional<ChannelKind> ChannelKindFromString(std::string_view text) {
  for (const auto& [k, name] : kKinds) {
    if (name == text) return k;
  }
  return std::nullopt;
}

std::string PublicUrl(std::string_view url) {
  if (IsSsmReference(url)) return std::string(url);
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed || parsed->encoded_host().empty()) return "(hidden)";
  return std::string(parsed->scheme()) + "://" + std::string(parsed->encoded_host());
}

Status CheckHttpUrl(std::string_view url) {
  if (url.empty()) return InvalidArgument("url: required");
  if (url.size() > kMaxUrl) {
    return InvalidArgument("url: at most " + std::to_string(kMaxUrl) + " characters");
  }
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return InvalidArgument("url: not a URL");
  if (parsed->scheme_id() != boost::urls::scheme::http &&
      parsed->scheme_id() != boost::urls::scheme::https) {
    return InvalidArgument("url: must be an http:// or https:// URL");
  }
  if (parsed->encoded_host().empty()) return InvalidArgument("url: has no host");
  return Ok{};
}

Status CheckBotToken(std::string_view token) {
  if (IsSsmReference(token)) return CheckSsmReference("bot_token", token);
  std::size_t colon = token.find(':');
  if (token.size() > 256 || colon == std::string_view::npos || colon == 0 ||
      colon + 1 == token.size() || !AllOf(token.substr(0, colon), IsDigit) ||
      !AllOf(token.substr(colon + 1), IsTokenChar)) {
    return InvalidArgument("bot_token: not a Telegram bot token (digits, ':', then letters)");
  }
  return Ok{};
}

Status CheckHeaderValue(std::string_view name, std::string_view value) {
  // The value is a secret: the error names the header, never quotes the value.
  if (value.size() > kMaxHeaderValue || std::any_of(value.begin(), value.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return (u < 0x20 && c != '\t') || u == 0x7f;
      })) {
    return InvalidArgument("headers: the value of " + std::string(name) +
                           " must be at most 1024 characters, without control characters");
  }
  return Ok{};
}

Result<Channel> ParseChannelSpec(const boost::json::object& body, std::string_view project,
                                 UnixMillis now) {
  Channel c;
  c.project = std::string(project);
  c.created_at = now;

  Result<std::string> name = StringField(body, "name", true);
  if (!name.ok()) return name.error();
  if (Status s = ValidateChannelName(*name); !s.ok()) return s.error();
  c.name = std::move(*name);

  Result<std::string> kind_text = StringField(body, "kind", true);
  if (!kind_text.ok()) return kind_text.error();
  std::optional<ChannelKind> kind = ChannelKindFromString(*kind_text);
  if (!kind) {
    return InvalidArgument(
        "kind: one of telegram, webhook, slack, discord, ntfy, mattermost, teams, email");
  }
  c.kind = *kind;

  const std::vector<std::string_view> fields = FieldsOf(c.kind);
  for (const auto& kv : body) {
    std::string_view key = kv.key();
    if (key == "name" || key == "kind") continue;
    if (std::find(fields.begin(), fields.end(), key) == fields.end()) {
      return InvalidArgument(Quoted(key) + ": unknown field for a " + std::string(*kind_text) +
                             " channel");
    }
  }

  switch (c.kind) {
    case ChannelKind::kTelegram: {
      Result<std::string> token = StringField(body, "bot_token", true);
      if (!token.ok()) return token.error();
      if (Status s = CheckBotToken(*token); !s.ok()) return s.error();
      Result<std::string> chat = ChatId(body);
      if (!chat.ok()) return chat.error();
      c.bot_token = std::move(*token);
      c.chat_id = std::move(*chat);
      break;
    }
    case ChannelKind::kWebhook: {
      Result<std::string> url = StringField(body, "url", true);
      if (!url.ok()) return url.error();
      if (Status s = CheckUrlTemplate(*url); !s.ok()) return s.error();
      Result<std::string> method = StringField(body, "method", false);
      if (!method.ok()) return method.error();
      std::string m = method->empty() ? "POST" : *method;
      for (char& ch : m) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      if (m != "GET" && m != "POST" && m != "PUT" && m != "PATCH") {
        return InvalidArgument("method: one of GET, POST, PUT, PATCH");
      }
      auto headers = Headers(body);
      if (!headers.ok()) return headers.error();
      Result<std::string> tmpl = StringField(body, "body", false);
      if (!tmpl.ok()) return tmpl.error();
      if (tmpl->size() > kMaxBody) {
        return InvalidArgument("body: at most " + std::to_string(kMaxBody) + " bytes");
      }
      if (m == "GET" && !tmpl->empty()) return InvalidArgument("body: a GET request sends no body");
      if (Status s = ValidateTemplate(*tmpl); !s.ok()) return s.error().Wrap("body");
      if (!tmpl->empty() && IsJsonBody(*headers, *tmpl)) {
        if (Status s = CheckJsonTemplate(*tmpl); !s.ok()) return s.error().Wrap("body");
      }
      c.url = std::move(*url);
      c.method = std::move(m);
      c.headers = std::move(*headers);
      c.body = std::move(*tmpl);
      break;
    }
    case ChannelKind::kEmail: {
      auto to = Recipients(body);
      if (!to.ok()) return to.error();
      c.to = std::move(*to);
      break;
    }
    default: {  // slack, discord, ntfy, mattermost, teams
      Result<std::string> url = StringField(body, "url", true);
      if (!url.ok()) return url.error();
      Status s = IsSsmReference(*url) ? CheckSsmReference("url", *url) : CheckHttpUrl(*url);
      if (!s.ok()) return s.error();
      c.url = std::move(*url);
      break;
    }
  }
  return c;
}

namespace {

boost::json::object Config(const Channel& c) {
  boost::json::object config;
  switch (c.kind) {
    case ChannelKind::kTelegram:
      config["bot_token"] = c.bot_token;
      config["chat_id"] = c.chat_id;
      break;
    case ChannelKind::kWebhook: {
      config["url"] = c.url;
      config["method"] = c.method;
      boost::json::object headers;
      for (const auto& [name, value] : c.headers) headers[name] = value;
      config["headers"] = std::move(headers);
      config["body"] = c.body;
      break;
    }
    case ChannelKind::kEmail: {
      boost::json::array to;
      for (const std::string& address : c.to) to.emplace_back(address);
      config["to"] = std::move(to);
      break;
    }
    default:
      config["url"] = c.url;
      break;
  }
  return config;
}

}  // namespace

ChannelRecord ToRecord(const Channel& channel) {
  ChannelRecord r;
  r.project = channel.project;
  r.name = channel.name;
  r.kind = std::string(ToString(channel.kind));
  r.config = boost::json::serialize(Config(channel));
  r.created_at = channel.created_at;
  return r;
}

Result<Channel> FromRecord(const ChannelRecord& record) {
  boost::system::error_code ec;
  boost::json::value config = boost::json::parse(record.config, ec);
  const std::string context = "channel " + ChannelKey(record.project, record.name);
  if (ec || !config.is_object()) return Internal(context + ": its configuration is not JSON");
  // The same rules as a new channel's: one place says what a channel may be.
  boost::json::object spec = config.as_object();
  spec["name"] = record.name;
  spec["kind"] = record.kind;
  Result<Channel> channel = ParseChannelSpec(spec, record.project, record.created_at);
  if (!channel.ok()) return channel.error().Wrap(context);
  return channel;
}

boost::json::object PublicJson(const Channel& channel) {
  boost::json::object o;
  o["name"] = channel.name;
  o["kind"] = ToString(channel.kind);
  o["created_at"] = ToUnixSeconds(channel.created_at);
  if (channel.from_environment) o["source"] = "environment";
  switch (channel.kind) {
    case ChannelKind::kTelegram:
      o["chat_id"] = channel.chat_id;
      break;
    case ChannelKind::kWebhook: {
      o["url"] = PublicUrl(channel.url);
      o["method"] = channel.method;
      boost::json::object headers;
      for (const auto& [name, value] : channel.headers) headers[name] = "(hidden)";
      o["headers"] = std::move(headers);
      o["body"] = channel.body;
      break;
    }
    case ChannelKind::kEmail: {
      boost::json::array to;
      for (const std::string& address : channel.to) to.emplace_back(address);
      o["to"] = std::move(to);
      break;
    }
    default:
      o["url"] = PublicUrl(channel.url);
      break;
  }
  return o;
}

}  // namespace heartbeat
