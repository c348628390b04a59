#include "core/channel.h"

#include <algorithm>

#include "core/api_key.h"
#include "core/project.h"

namespace heartbeat {

bool IsChannelName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

Status ValidateChannelName(std::string_view name) {
  if (!IsChannelName(name)) {
    return InvalidArgument("name: a channel name is 1 to 64 characters of a-z, 0-9 and '-'");
  }
  return Ok{};
}

std::vector<std::string> SplitNameList(std::string_view list) {
  std::vector<std::string> names;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view name = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (!name.empty()) names.emplace_back(name);
  }
  return names;
}

std::string ChannelKey(std::string_view project, std::string_view name) {
  return MonitorKey(project, name);
}

std::string ChannelUuid(std::string_view key) {
  std::string hex = HashApiKey("heartbeat channel " + std::string(key));
  hex[12] = '8';                                              // version 8: custom
  hex[16] = "89ab"[static_cast<unsigned char>(hex[16]) % 4];  // RFC 9562's variant
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

std::vector<std::string> RouteAlert(const Monitor& m,
                                    const std::vector<std::string>& project_channels) {
  const std::string_view project = ProjectOfKey(m.slug);
  std::vector<std::string> keys;
  if (!m.channels) {
    for (const std::string& name : project_channels) keys.push_back(ChannelKey(project, name));
    return keys;
  }
  for (const std::string& name : *m.channels) {
    if (std::find(project_channels.begin(), project_channels.end(), name) !=
        project_channels.end()) {
      keys.push_back(ChannelKey(project, name));
    }
  }
  return keys;
}

}  // namespace heartbeat
