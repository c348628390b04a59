#include "core/signal.h"

#include <cctype>

#include "core/utf8.h"

namespace heartbeat {
namespace {

constexpr std::size_t kTailLines = 10;
constexpr std::size_t kTailChars = 1000;

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
  const std::string text = ValidUtf8(body);
  // From the end: up to kTailChars characters (a character starts at any byte that is not a
  // continuation byte) and up to kTailLines lines.
  std::size_t start = text.size();
  std::size_t chars = 0;
  std::size_t lines = 0;
  while (start > 0 && chars < kTailChars) {
    --start;
    if ((static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) continue;
    if (text[start] == '\n' && ++lines == kTailLines) {
      ++start;
      break;
    }
    ++chars;
  }
  return text.substr(start);
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
