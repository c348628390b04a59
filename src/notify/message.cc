#include "notify/message.h"

#include <algorithm>
#include <vector>

#include "core/interval.h"
#include "core/time_format.h"

namespace heartbeat {
namespace {

constexpr std::string_view kSpecial = "_*[]()~`>#+-=|{}.!\\";

// A message is a list of parts: plain text, the slug in inline code, or a quoted body in a
// code block.
enum class Markup { kText, kCode, kPre };
struct Part {
  Markup markup;
  std::string text;
};
constexpr Markup kText = Markup::kText;
constexpr Markup kCode = Markup::kCode;

std::vector<Part> Parts(const Alert& a, UnixMillis now) {
  auto secs = [](UnixMillis ms) { return std::max<std::int64_t>(0, ms / 1000); };
  switch (a.kind) {
    case AlertKind::kOverdue:
      return {{kText, "⚠️ OVERDUE: "},
              {kCode, a.slug},
              {kText, " | interval: " + FormatIntervalCompact(a.interval_secs) + " | last: " +
                          (a.last_ping ? FormatClockUtc(*a.last_ping) : std::string("never")) +
                          " | " + FormatDuration(secs(now - a.deadline)) + " late"}};
    case AlertKind::kFailed: {
      std::vector<Part> parts{{kText, "❌ FAILED: "}, {kCode, a.slug}};
      if (a.exit_code) parts.push_back({kText, " | exit code " + std::to_string(*a.exit_code)});
      parts.push_back({kText, " | reported failure at " + FormatClockUtc(a.deadline)});
      if (!a.body_tail.empty()) {
        parts.push_back({kText, "\n"});
        parts.push_back({Markup::kPre, a.body_tail});
      }
      return parts;
    }
    case AlertKind::kTimedOut: {
      UnixMillis started = a.run_started_at.value_or(a.deadline);
      return {{kText, "⏱️ RUN TIMED OUT: "},
              {kCode, a.slug},
              {kText, " | started " + FormatClockUtc(started) + " | running " +
                          FormatDuration(secs(now - started)) + " (max " +
                          FormatDuration(a.max_runtime_secs.value_or(0)) + ")"}};
    }
    case AlertKind::kRepeat:
      return {{kText, "⚠️ STILL OVERDUE: "},
              {kCode, a.slug},
              {kText, " | down " + FormatDuration(secs(now - a.down_since))}};
    case AlertKind::kRecovered:
      return {{kText, "✅ RECOVERED: "},
              {kCode, a.slug},
              {kText, " (was down " +
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
    switch (p.markup) {
      case Markup::kText:
        out += EscapeMarkdownV2(p.text);
        break;
      case Markup::kCode:
        out += "`" + EscapeMarkdownV2Code(p.text) + "`";
        break;
      case Markup::kPre:
        // Inside a pre block only ` and \ are special, as in inline code.
        out += "```\n" + EscapeMarkdownV2Code(p.text) + "\n```";
        break;
    }
  }
  return out;
}

std::string AlertPlainText(const Alert& alert, UnixMillis now) {
  std::string out;
  for (const Part& p : Parts(alert, now)) {
    switch (p.markup) {
      case Markup::kText:
        out += p.text;
        break;
      case Markup::kCode:
        out += "`" + p.text + "`";
        break;
      case Markup::kPre:
        out += p.text;
        break;
    }
  }
  return out;
}

}  // namespace heartbeat
