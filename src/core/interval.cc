#include "core/interval.h"

#include <array>
#include <utility>

namespace heartbeat {
namespace {

// Larger than any sane duration, small enough that sums cannot overflow int64.
constexpr std::int64_t kMaxParsedSecs = 1'000'000'000'000LL;

struct Unit {
  std::string_view name;
  std::int64_t seconds;
};

constexpr std::array<Unit, 21> kUnits{{
    {"s", 1},          {"sec", 1},     {"secs", 1},     {"second", 1},  {"seconds", 1},
    {"m", 60},         {"min", 60},    {"mins", 60},    {"minute", 60}, {"minutes", 60},
    {"h", 3600},       {"hr", 3600},   {"hrs", 3600},   {"hour", 3600}, {"hours", 3600},
    {"d", 86400},      {"day", 86400}, {"days", 86400}, {"w", 604800},  {"week", 604800},
    {"weeks", 604800},
}};

bool IsSpace(char c) { return c == ' ' || c == '\t'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string Quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    // Keep error messages printable whatever the client sent.
    out +=
        (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) ? '?' : c;
  }
  out += "'";
  return out;
}

std::string AppendUnit(std::string acc, std::int64_t& rest, std::int64_t unit, char suffix) {
  if (rest >= unit) {
    acc += std::to_string(rest / unit);
    acc += suffix;
    rest %= unit;
  }
  return acc;
}

}  // namespace

Result<std::int64_t> ParseDuration(std::string_view text) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  auto skip_spaces = [&] {
    while (i < n && IsSpace(text[i])) ++i;
  };
  skip_spaces();
  if (i == n) return InvalidArgument("interval must not be empty");

  std::int64_t total = 0;
  int parts = 0;
  while (i < n) {
    if (!IsDigit(text[i])) {
      return InvalidArgument("invalid interval " + Quote(text) + ": expected a number at " +
                             Quote(text.substr(i)));
    }
    std::int64_t value = 0;
    while (i < n && IsDigit(text[i])) {
      value = value * 10 + (text[i] - '0');
      if (value > kMaxParsedSecs) {
        return InvalidArgument("invalid interval " + Quote(text) + ": number too large");
      }
      ++i;
    }
    skip_spaces();
    std::size_t unit_start = i;
    while (i < n && IsLetter(text[i])) ++i;
    std::string_view unit_name = text.substr(unit_start, i - unit_start);
    if (unit_name.empty()) {
      if (i == n && parts == 0) {
        total = value;  // a plain integer: seconds
        ++parts;
        break;
      }
      if (i == n) {
        return InvalidArgument("invalid interval " + Quote(text) + ": missing unit after " +
                               std::to_string(value));
      }
      return InvalidArgument("invalid interval " + Quote(text) + ": unexpected " +
                             Quote(text.substr(i, 1)));
    }
    std::int64_t unit_secs = 0;
    for (const Unit& u : kUnits) {
      if (u.name == unit_name) unit_secs = u.seconds;
    }
    if (unit_secs == 0) {
      return InvalidArgument("invalid interval " + Quote(text) + ": unknown unit " +
                             Quote(unit_name) + " (use s, m, h, d or w)");
    }
    if (value > kMaxParsedSecs / unit_secs) {
      return InvalidArgument("invalid interval " + Quote(text) + ": number too large");
    }
    total += value * unit_secs;
    if (total > kMaxParsedSecs) {
      return InvalidArgument("invalid interval " + Quote(text) + ": number too large");
    }
    ++parts;
    skip_spaces();
  }
  return total;
}

Result<std::int64_t> ParseInterval(std::string_view text) {
  Result<std::int64_t> secs = ParseDuration(text);
  if (!secs.ok()) return secs;
  if (*secs < kMinIntervalSecs) {
    return InvalidArgument("interval " + Quote(text) + " is shorter than the minimum of 30s");
  }
  if (*secs > kMaxIntervalSecs) {
    return InvalidArgument("interval " + Quote(text) + " is longer than the maximum of 365d");
  }
  return secs;
}

std::string FormatDuration(std::int64_t seconds) {
  if (seconds < 0) seconds = 0;
  if (seconds < 60) return std::to_string(seconds) + "s";
  constexpr std::array<std::pair<std::int64_t, char>, 4> kParts{
      {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}}};
  std::string out;
  int shown = 0;
  std::int64_t rest = seconds;
  for (std::size_t k = 0; k < kParts.size() && shown < 2; ++k) {
    auto [unit, suffix] = kParts[k];
    if (rest >= unit) {
      if (!out.empty()) out += ' ';
      out += std::to_string(rest / unit);
      out += suffix;
      rest %= unit;
      ++shown;
    } else if (shown > 0) {
      break;  // "1d 5m" would skip the hours; stop at the first gap instead
    }
  }
  return out;
}

std::string FormatIntervalCompact(std::int64_t seconds) {
  if (seconds <= 0) return "0s";
  std::string out;
  std::int64_t rest = seconds;
  out = AppendUnit(std::move(out), rest, 86400, 'd');
  out = AppendUnit(std::move(out), rest, 3600, 'h');
  out = AppendUnit(std::move(out), rest, 60, 'm');
  out = AppendUnit(std::move(out), rest, 1, 's');
  return out;
}

}  // namespace heartbeat
