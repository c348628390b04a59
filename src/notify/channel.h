#pragma once
// What a channel is (SPEC §14): its kind, destination, secrets and body template; how it is
// read from an API body, kept in the store (ChannelRecord's config) and shown (secrets
// never whole). Pure but for JSON.

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/channel.h"
#include "core/result.h"

namespace heartbeat {

enum class ChannelKind {
  kTelegram,
  kWebhook,
  kSlack,
  kDiscord,
  kNtfy,
  kMattermost,
  kTeams,
  kEmail
};

std::string_view ToString(ChannelKind kind);  // "telegram", "webhook", "slack", ...
std::optional<ChannelKind> ChannelKindFromString(std::string_view text);

struct Channel {
  std::string project{kDefaultProject};
  std::string name;
  ChannelKind kind = ChannelKind::kWebhook;
  // telegram (secret: bot_token)
  std::string bot_token;
  std::string chat_id;
  // webhook and its presets (secret: the whole URL, and header values)
  std::string url;
  std::string method = "POST";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // the template (webhook); the presets' is their own
  // email
  std::vector<std::string> to;
  UnixMillis created_at = 0;
  // The environment's Telegram settings (TELEGRAM_*): shown, never stored or removed.
  bool from_environment = false;

  std::string key() const { return ChannelKey(project, name); }
};

// A channel from a POST /channels body (SPEC §14) in `project`: kInvalidArgument naming the
// field when it is malformed, among them a webhook template that would not make valid JSON
// when its body is JSON (a JSON Content-Type, or a template starting with '{' or '[').
//
// Per kind, the fields besides `name` and `kind` (any other is refused):
// - telegram: `bot_token` (digits ':' then [A-Za-z0-9_-]), `chat_id` (an integer, as a
//   string or a number, or "@channelname");
// - webhook: `url` (http or https; a template, its values URL-encoded), `method` (GET, POST,
//   PUT or PATCH; default POST), `headers` (an object of strings; not templates), `body`
//   (a template, notify/template.h; empty: kDefaultWebhookBody, none for GET);
// - slack, discord, mattermost, teams, ntfy: `url` (http or https); the body is the
//   service's own (notify/channel_notifier.h);
// - email: `to`, a list of 1 to 20 addresses (the sender and the server are SMTP_*).
// A secret may be given as "ssm:NAME" instead of its value: the bot_token, a header's value,
// the url. It is read from SSM Parameter Store at each send (ChannelSendOptions::resolve_ssm),
// never stored; the URL's checks then apply to the value read.
Result<Channel> ParseChannelSpec(const boost::json::object& body, std::string_view project,
                                 UnixMillis now);

// The body a webhook sends when its template is empty (and its method is not GET).
inline constexpr std::string_view kDefaultWebhookBody =
    R"({"slug":"$SLUG","project":"$PROJECT","status":"$STATUS","kind":"$KIND",)"
    R"("message":"$MESSAGE","now":"$NOW","last_ping":"$LAST_PING","exit_code":"$EXIT_CODE",)"
    R"("body_tail":"$BODY_TAIL"})";

// "ssm:NAME": a secret that SSM Parameter Store holds under NAME.
inline constexpr std::string_view kSsmPrefix = "ssm:";
inline bool IsSsmReference(std::string_view value) { return value.starts_with(kSsmPrefix); }

// What may be shown of a URL: "scheme://host" (no user, port, path or query); an SSM
// reference as it is (a name, not the secret); "(hidden)" for what does not parse.
std::string PublicUrl(std::string_view url);

// Whether `url` is an absolute http:// or https:// URL with a host; kInvalidArgument
// ("url: ...") otherwise. The error never quotes the URL (it is a secret).
Status CheckHttpUrl(std::string_view url);

// A Telegram bot token (digits, ':', then [A-Za-z0-9_-]) or an SSM reference;
// kInvalidArgument ("bot_token: ...") otherwise, never quoting it.
Status CheckBotToken(std::string_view token);
// A header's value: at most 1024 characters, no control character but tab;
// kInvalidArgument ("headers: the value of NAME ...") otherwise, never quoting it.
Status CheckHeaderValue(std::string_view name, std::string_view value);

// The record the store keeps, and back (secrets included).
ChannelRecord ToRecord(const Channel& channel);
Result<Channel> FromRecord(const ChannelRecord& record);

// The channel as the API and `channels list` show it: name, kind, created_at, and its
// settings with secrets hidden (a URL shows its scheme and host only; tokens, passwords
// and header values never).
boost::json::object PublicJson(const Channel& channel);

}  // namespace heartbeat
