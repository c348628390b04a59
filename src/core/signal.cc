#include "core/signal.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace heartbeat {
namespace {

constexpr std::size_t kTailLines = 10;
constexpr std::size_t kTailChars = 1000;
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the valid UTF-8 sequence at the start of `s`, or 0 when it is not one
// (overlong forms, surrogates and code points past U+10FFFF are not).
std::size_t Utf8Sequence(std::string_view s) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  auto cont = [&](std::size_t i) { return i < s.size() && (byte(i) & 0xC0) == 0x80; };
  unsigned char b = byte(0);
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) return cont(1) ? 2 : 0;
  if (b >= 0xE0 && b <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (b == 0xE0 && byte(1) < 0xA0) return 0;   // overlong
    if (b == 0xED && byte(1) >= 0xA0) return 0;  // surrogates
    return 3;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (b == 0xF0 && byte(1) < 0x90) return 0;   // overlong
    if (b == 0xF4 && byte(1) >= 0x90) return 0;  // past U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

std::string_view ToString(SignalKind kind) {
  switch (kind) {
    case SignalKind::kSuccess:
      return "success";
    case SignalKind::kStart:
      return "start";
    case SignalKind::kFail:
      return "fail";
    case SignalKind::kLog:
      return "log";
  }
  return "success";
}

std::optional<SignalKind> SignalKindFromString(std::string_view text) {
  for (SignalKind k :
       {SignalKind::kSuccess, SignalKind::kStart, SignalKind::kFail, SignalKind::kLog}) {
    if (ToString(k) == text) return k;
  }
  return std::nullopt;
}

std::string BodyTail(std::string_view body) {
  // Only the end matters: look at no more than the bytes 1,000 characters can take.
  constexpr std::size_t kMaxBytes = kTailChars * 4 + 4;
  if (body.size() > kMaxBytes) body = body.substr(body.size() - kMaxBytes);
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);

  // Decode into characters (each a valid sequence or one replacement).
  std::vector<std::string_view> chars;
  chars.reserve(body.size());
  for (std::size_t i = 0; i < body.size();) {
    std::size_t n = Utf8Sequence(body.substr(i));
    chars.push_back(n == 0 ? kReplacement : body.substr(i, n));
    i += n == 0 ? 1 : n;
  }
  std::size_t first = chars.size() > kTailChars ? chars.size() - kTailChars : 0;
  std::size_t lines = 0;
  for (std::size_t i = chars.size(); i > first; --i) {
    if (chars[i - 1] == "\n" && ++lines == kTailLines) {
      first = i;
      break;
    }
  }
  std::string out;
  out.reserve(body.size());
  for (std::size_t i = first; i < chars.size(); ++i) out.append(chars[i]);
  return out;
}

Result<std::string> ParseRunId(std::string_view text) {
  // 8-4-4-4-12 hexadecimal digits.
  static constexpr std::string_view kShape = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
  bool ok = text.size() == kShape.size();
  std::string out(text);
  for (std::size_t i = 0; ok && i < kShape.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    ok = kShape[i] == '-' ? c == '-' : std::isxdigit(c) != 0;
    out[i] = static_cast<char>(std::tolower(c));
  }
  if (!ok) return InvalidArgument("rid: must be a UUID (8-4-4-4-12 hexadecimal digits)");
  return out;
}

}  // namespace heartbeat
