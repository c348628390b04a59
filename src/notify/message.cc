#include "notify/message.h"

#include <algorithm>
#include <vector>

#include "core/interval.h"
#include "core/time_format.h"

namespace heartbeat {
namespace {

constexpr std::string_view kSpecial = "_*[]()~`>#+-=|{}.!\\";

// A message is a list of parts: plain text, or the slug in inline code.
struct Part {
  bool code;
  std::string text;
};

std::vector<Part> Parts(const Alert& a, UnixMillis now) {
  auto secs = [](UnixMillis ms) { return std::max<std::int64_t>(0, ms / 1000); };
  switch (a.kind) {
    case AlertKind::kOverdue:
      return {{false, "⚠️ OVERDUE: "},
              {true, a.slug},
              {false, " | interval: " + FormatIntervalCompact(a.interval_secs) + " | last: " +
                          (a.last_ping ? FormatClockUtc(*a.last_ping) : std::string("never")) +
                          " | " + FormatDuration(secs(now - a.deadline)) + " late"}};
    case AlertKind::kFailed:
      return {{false, "❌ FAILED: "},
              {true, a.slug},
              {false, " | reported failure at " + FormatClockUtc(a.deadline)}};
    case AlertKind::kRepeat:
      return {{false, "⚠️ STILL OVERDUE: "},
              {true, a.slug},
              {false, " | down " + FormatDuration(secs(now - a.down_since))}};
    case AlertKind::kRecovered:
      return {{false, "✅ RECOVERED: "},
              {true, a.slug},
              {false, " (was down " +
                          FormatDuration(secs(a.last_ping.value_or(a.at) - a.down_since)) + ")"}};
  }
  return {};
}

}  // namespace

std::string EscapeMarkdownV2(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    if (kSpecial.find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

std::string EscapeMarkdownV2Code(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  for (char c : text) {
    if (c == '`' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string AlertMarkdownV2(const Alert& alert, UnixMillis now) {
  std::string out;
  for (const Part& p : Parts(alert, now)) {
    out += p.code ? "`" + EscapeMarkdownV2Code(p.text) + "`" : EscapeMarkdownV2(p.text);
  }
  return out;
}

std::string AlertPlainText(const Alert& alert, UnixMillis now) {
  std::string out;
  for (const Part& p : Parts(alert, now)) out += p.code ? "`" + p.text + "`" : p.text;
  return out;
}

}  // namespace heartbeat
