#pragma once
// Projects (SPEC §13): a namespace of monitors, API keys and channels. `default` always
// exists and holds everything the seed's API sees. A monitor is stored under its key: its
// slug in the default project (so that the seed's DynamoDB items keep their layout), and
// "project/slug" in any other (a slug never holds '/', so the two never meet). Also the
// identifiers Healthchecks' clients use: a monitor's uuid and a project's ping key. Pure
// but for the random generators, which read the operating system's CSPRNG.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace heartbeat {

inline constexpr std::string_view kDefaultProject = "default";
inline constexpr std::size_t kMaxProjectLength = 32;
inline constexpr std::size_t kPingKeyLength = 22;
inline constexpr std::int64_t kDefaultMaxMonitorsPerProject = 10'000;

// A project name: 1-32 characters of [a-z0-9-], no leading or trailing hyphen.
// kInvalidArgument naming the problem otherwise.
Status ValidateProjectName(std::string_view name);

// The key a monitor is stored under, and back.
std::string MonitorKey(std::string_view project, std::string_view slug);
std::string_view ProjectOfKey(std::string_view key);
std::string_view SlugOfKey(std::string_view key);
// The first and last keys of `project` in key order, for range reads: every key of a
// project other than the default is in [KeyRangeBegin, KeyRangeEnd).
std::string KeyRangeBegin(std::string_view project);  // "project/"
std::string KeyRangeEnd(std::string_view project);    // "project0" ('0' follows '/')

// The refusal of a creation past MAX_MONITORS_PER_PROJECT (403).
Error MonitorLimitReached(std::string_view project, std::int64_t limit);
// The refusal of a write by a read-only key (403).
Error ReadOnlyKey();

// What an API key may do: act in its project, and write unless it is read-only.
struct KeyGrant {
  std::string project{kDefaultProject};
  bool read_only = false;
  friend bool operator==(const KeyGrant&, const KeyGrant&) = default;
};
std::string_view RoleName(bool read_only);  // "read-write" or "read-only"

// A random version-4 UUID, lowercase, 8-4-4-4-12.
Result<std::string> GenerateUuid();
// Lowercase hex 8-4-4-4-12 (what Healthchecks' URLs take; any version).
bool IsUuid(std::string_view text);

// A project's ping key: 22 random characters of [a-z0-9].
Result<std::string> GeneratePingKey();
bool IsPingKey(std::string_view text);

// A slug as Healthchecks has it: [a-z0-9_-], 1 to 100 characters. Our own slugs (core/slug.h)
// are a subset; a check imported or created through Healthchecks' API may use the rest.
bool IsCheckSlug(std::string_view text);

}  // namespace heartbeat
