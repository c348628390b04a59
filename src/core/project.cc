#include "core/project.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>

namespace heartbeat {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsHexDigit(char c) { return (c >= 'a' && c <= 'f') || (c >= '0' && c <= '9'); }

Status RandomBytes(unsigned char* out, std::size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) {
    return Internal("the system's random number generator failed");
  }
  return Ok{};
}

}  // namespace

Status ValidateProjectName(std::string_view name) {
  if (name.empty()) return InvalidArgument("project name is empty");
  if (name.size() > kMaxProjectLength) {
    return InvalidArgument("project name is longer than 32 characters");
  }
  for (char c : name) {
    if (!IsLowerAlnum(c) && c != '-') {
      return InvalidArgument("project name may only contain a-z, 0-9 and '-'");
    }
  }
  if (name.front() == '-' || name.back() == '-') {
    return InvalidArgument("project name may not start or end with '-'");
  }
  return Ok{};
}

std::string MonitorKey(std::string_view project, std::string_view slug) {
  if (project == kDefaultProject) return std::string(slug);
  std::string key;
  key.reserve(project.size() + 1 + slug.size());
  key.append(project).append("/").append(slug);
  return key;
}

std::string_view ProjectOfKey(std::string_view key) {
  std::size_t slash = key.find('/');
  return slash == std::string_view::npos ? kDefaultProject : key.substr(0, slash);
}

std::string_view SlugOfKey(std::string_view key) {
  std::size_t slash = key.find('/');
  return slash == std::string_view::npos ? key : key.substr(slash + 1);
}

std::string KeyRangeBegin(std::string_view project) { return std::string(project) + "/"; }
std::string KeyRangeEnd(std::string_view project) { return std::string(project) + "0"; }

Error MonitorLimitReached(std::string_view project, std::int64_t limit) {
  return {ErrorCode::kForbidden, "project " + std::string(project) + " has reached its limit of " +
                                     std::to_string(limit) +
                                     " monitors (MAX_MONITORS_PER_PROJECT); delete one first"};
}

Error ReadOnlyKey() {
  return {ErrorCode::kForbidden, "this API key is read-only: it may not change anything"};
}

std::string_view RoleName(bool read_only) { return read_only ? "read-only" : "read-write"; }

Result<std::string> GenerateUuid() {
  std::array<unsigned char, 16> b{};
  if (Status s = RandomBytes(b.data(), b.size()); !s.ok()) return s.error();
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kDigits[b[i] >> 4]);
    out.push_back(kDigits[b[i] & 0xf]);
  }
  return out;
}

bool IsUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !IsHexDigit(text[i])) return false;
  }
  return true;
}

Result<std::string> GeneratePingKey() {
  // 36 symbols; bytes of 252 and more are drawn again, so that each is equally likely.
  static constexpr char kSymbols[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string key;
  while (key.size() < kPingKeyLength) {
    std::array<unsigned char, 32> b{};
    if (Status s = RandomBytes(b.data(), b.size()); !s.ok()) return s.error();
    for (unsigned char c : b) {
      if (c < 252 && key.size() < kPingKeyLength) key.push_back(kSymbols[c % 36]);
    }
  }
  return key;
}

bool IsPingKey(std::string_view text) {
  return text.size() == kPingKeyLength && std::all_of(text.begin(), text.end(), IsLowerAlnum);
}

bool IsCheckSlug(std::string_view text) {
  return !text.empty() && text.size() <= 100 && std::all_of(text.begin(), text.end(), [](char c) {
    return IsLowerAlnum(c) || c == '-' || c == '_';
  });
}

}  // namespace heartbeat
