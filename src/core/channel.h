#pragma once
// Channels (SPEC §14): named destinations of a project's alerts, and which of them an alert
// goes to. What a channel is made of (its kind, URL, secrets, template) is notify/'s; core
// knows only names and the route. Pure.

#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/monitor.h"
#include "core/project.h"
#include "core/result.h"

namespace heartbeat {

// A channel of a project as stored: the store keeps its configuration as notify/ writes it
// (notify/channel.h: JSON, secrets included) and reads nothing in it.
struct ChannelRecord {
  std::string project{kDefaultProject};
  std::string name;
  std::string kind;
  std::string config;  // a JSON object
  UnixMillis created_at = 0;
  friend bool operator==(const ChannelRecord&, const ChannelRecord&) = default;
};

// The channel the environment's Telegram settings stand for, in the default project.
inline constexpr std::string_view kEnvironmentChannel = "telegram";

// A channel name: 1-64 characters of [a-z0-9-].
bool IsChannelName(std::string_view name);
// kInvalidArgument naming the problem ("name: ...") unless IsChannelName.
Status ValidateChannelName(std::string_view name);

// The names of a comma list ("ops, mail"): each trimmed of spaces, empty ones dropped; the
// form `?channels=` and Healthchecks' "channels" take.
std::vector<std::string> SplitNameList(std::string_view list);

// A channel's key: its name in the default project, "project/name" in another (as
// MonitorKey). An alert in the outbox names its channel by key.
std::string ChannelKey(std::string_view project, std::string_view name);

// A channel's id in Healthchecks' API (its /channels/ and a check's "channels"): a UUID
// derived from its key (SHA-256), so the same channel always has the same one.
std::string ChannelUuid(std::string_view key);

// Where an alert of `m` goes: the keys of the channels it names that its project has, in
// its order, or of all of `project_channels` (names, the project's) when it names none.
std::vector<std::string> RouteAlert(const Monitor& m,
                                    const std::vector<std::string>& project_channels);

}  // namespace heartbeat
