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

enum class ChannelKind { kTelegram, kWebhook, kSlack, kDiscord, kNtfy, kMattermost, kTeams, kEmail };

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
Result<Channel> ParseChannelSpec(const boost::json::object& body, std::string_view project,
                                 UnixMillis now);

// The record the store keeps, and back (secrets included).
ChannelRecord ToRecord(const Channel& channel);
Result<Channel> FromRecord(const ChannelRecord& record);

// The channel as the API and `channels list` show it: name, kind, created_at, and its
// settings with secrets hidden (a URL shows its scheme and host only; tokens, passwords
// and header values never).
boost::json::object PublicJson(const Channel& channel);

}  // namespace heartbeat
