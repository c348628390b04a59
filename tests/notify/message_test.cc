// The alert messages of SPEC §5, in plain text and in Telegram's MarkdownV2, and a
// MarkdownV2 validator that parses the way Telegram does, run over generated alerts.

#include "notify/message.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/alert.h"
#include "support/test_time.h"

namespace heartbeat {
namespace {

using testing::kDay;
using testing::kHour;
using testing::kMinute;
using testing::kSecond;

// 2026-09-21T00:00:00Z, and 12:03 UTC that day.
constexpr UnixMillis kMidnight = 1'789'948'800'000LL;
constexpr UnixMillis k1203 = kMidnight + 12 * kHour + 3 * kMinute;
// SPEC §5's story: last ping 12:03, deadline 12:08 (a 5 m interval); OVERDUE at 12:15,
// STILL OVERDUE at 13:15, a ping and RECOVERED at 13:17. "down" counts from the deadline.
constexpr UnixMillis k1208 = k1203 + 5 * kMinute;
constexpr UnixMillis k1315 = kMidnight + 13 * kHour + 15 * kMinute;
constexpr UnixMillis k1317 = k1315 + 2 * kMinute;

// The emoji as UTF-8 bytes: ⚠️ is U+26A0 U+FE0F, ❌ U+274C, ✅ U+2705.
const std::string kWarning = "\xE2\x9A\xA0\xEF\xB8\x8F";
const std::string kCross = "\xE2\x9D\x8C";
const std::string kCheck = "\xE2\x9C\x85";

// The 18 characters Telegram reserves in MarkdownV2, plus the escape character itself.
constexpr std::string_view kReserved = "_*[]()~`>#+-=|{}.!";

Alert Overdue(std::string slug, std::int64_t interval_secs, std::optional<UnixMillis> last_ping,
              UnixMillis deadline, UnixMillis at) {
  return Alert{.kind = AlertKind::kOverdue,
               .slug = std::move(slug),
               .interval_secs = interval_secs,
               .last_ping = last_ping,
               .deadline = deadline,
               .at = at,
               .down_since = deadline};
}

Alert Failed(std::string slug, UnixMillis failed_at, UnixMillis at) {
  return Alert{.kind = AlertKind::kFailed,
               .slug = std::move(slug),
               .interval_secs = 300,
               .last_ping = failed_at - 5 * kMinute,
               .deadline = failed_at,
               .at = at,
               .down_since = failed_at};
}

Alert Repeat(std::string slug, UnixMillis down_since, UnixMillis at) {
  return Alert{.kind = AlertKind::kRepeat,
               .slug = std::move(slug),
               .interval_secs = 300,
               .last_ping = down_since - 5 * kMinute,
               .deadline = down_since,
               .at = at,
               .down_since = down_since};
}

Alert Recovered(std::string slug, UnixMillis down_since, UnixMillis back, UnixMillis at) {
  return Alert{.kind = AlertKind::kRecovered,
               .slug = std::move(slug),
               .interval_secs = 300,
               .last_ping = back,
               .deadline = back + 5 * kMinute,
               .at = at,
               .down_since = down_since};
}

// --- EscapeMarkdownV2 ---

TEST(EscapeMarkdownV2, EscapesEachReservedCharacterWithABackslash) {
  ASSERT_EQ(kReserved.size(), 18u);
  for (char c : kReserved) {
    EXPECT_EQ(EscapeMarkdownV2(std::string(1, c)), std::string("\\") + c) << "char " << c;
    EXPECT_EQ(EscapeMarkdownV2(std::string("a") + c + "b"), std::string("a\\") + c + "b")
        << "char " << c;
  }
}

TEST(EscapeMarkdownV2, EscapesTheBackslashItself) {
  EXPECT_EQ(EscapeMarkdownV2("\\"), "\\\\");
  EXPECT_EQ(EscapeMarkdownV2("C:\\dir"), "C:\\\\dir");
  EXPECT_EQ(EscapeMarkdownV2("\\\\"), "\\\\\\\\");
}

TEST(EscapeMarkdownV2, EscapesAllReservedCharactersTogether) {
  EXPECT_EQ(EscapeMarkdownV2("_*[]()~`>#+-=|{}.!\\"),
            "\\_\\*\\[\\]\\(\\)\\~\\`\\>\\#\\+\\-\\=\\|\\{\\}\\.\\!\\\\");
}

TEST(EscapeMarkdownV2, EscapesRepeatedAndAdjacentCharacters) {
  EXPECT_EQ(EscapeMarkdownV2("..."), "\\.\\.\\.");
  EXPECT_EQ(EscapeMarkdownV2("1.5 + 2 = 3.5!"), "1\\.5 \\+ 2 \\= 3\\.5\\!");
  EXPECT_EQ(EscapeMarkdownV2("a | b (c)"), "a \\| b \\(c\\)");
}

TEST(EscapeMarkdownV2, LeavesLettersDigitsSpacesColonsAndEmojiAlone) {
  const std::string plain = "Nightly backup 42: ok at 12:03 UTC ";
  EXPECT_EQ(EscapeMarkdownV2(plain), plain);
  EXPECT_EQ(EscapeMarkdownV2("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
  for (const std::string& emoji : {kWarning, kCross, kCheck, std::string("\xC3\xA9t\xC3\xA9")}) {
    EXPECT_EQ(EscapeMarkdownV2(emoji), emoji);
  }
  EXPECT_EQ(EscapeMarkdownV2(kWarning + " OVERDUE: "), kWarning + " OVERDUE: ");
}

TEST(EscapeMarkdownV2, LeavesEveryOtherPrintableAsciiCharacterAlone) {
  for (int c = 0x20; c < 0x7f; ++c) {
    const char ch = static_cast<char>(c);
    if (kReserved.find(ch) != std::string_view::npos || ch == '\\') continue;
    EXPECT_EQ(EscapeMarkdownV2(std::string(1, ch)), std::string(1, ch)) << "char " << ch;
  }
}

TEST(EscapeMarkdownV2, EmptyStaysEmpty) { EXPECT_EQ(EscapeMarkdownV2(""), ""); }

// --- EscapeMarkdownV2Code ---

TEST(EscapeMarkdownV2Code, EscapesOnlyBacktickAndBackslash) {
  EXPECT_EQ(EscapeMarkdownV2Code("`"), "\\`");
  EXPECT_EQ(EscapeMarkdownV2Code("\\"), "\\\\");
  EXPECT_EQ(EscapeMarkdownV2Code("a`b\\c"), "a\\`b\\\\c");
  for (char c : kReserved) {
    if (c == '`') continue;
    EXPECT_EQ(EscapeMarkdownV2Code(std::string(1, c)), std::string(1, c)) << "char " << c;
  }
}

TEST(EscapeMarkdownV2Code, LeavesSlugsWithHyphensAlone) {
  EXPECT_EQ(EscapeMarkdownV2Code("nightly-backup"), "nightly-backup");
  EXPECT_EQ(EscapeMarkdownV2Code("a-b-c-0-9"), "a-b-c-0-9");
  EXPECT_EQ(EscapeMarkdownV2Code(kCheck + " x"), kCheck + " x");
}

// --- the four formats, exactly as SPEC §5 shows them ---

TEST(AlertMessage, OverdueInPlainText) {
  const UnixMillis deadline = k1203 + 5 * kMinute;
  Alert a = Overdue("nightly-backup", 300, k1203, deadline, deadline + 7 * kMinute);
  EXPECT_EQ(AlertPlainText(a, a.at),
            kWarning + " OVERDUE: `nightly-backup` | interval: 5m | last: 12:03 UTC | 7m late");
}

TEST(AlertMessage, OverdueInMarkdownV2) {
  const UnixMillis deadline = k1203 + 5 * kMinute;
  Alert a = Overdue("nightly-backup", 300, k1203, deadline, deadline + 7 * kMinute);
  EXPECT_EQ(AlertMarkdownV2(a, a.at),
            kWarning +
                " OVERDUE: `nightly-backup` \\| interval: 5m \\| last: 12:03 "
                "UTC \\| 7m late");
}

TEST(AlertMessage, FailedInPlainText) {
  EXPECT_EQ(AlertPlainText(Failed("db", k1203, k1203 + 1500), k1203 + 1500),
            kCross + " FAILED: `db` | reported failure at 12:03 UTC");
}

TEST(AlertMessage, FailedInMarkdownV2) {
  EXPECT_EQ(AlertMarkdownV2(Failed("db", k1203, k1203 + 1500), k1203 + 1500),
            kCross + " FAILED: `db` \\| reported failure at 12:03 UTC");
}

TEST(AlertMessage, FailedNamesTheFailureTimeNotTheDecisionTime) {
  // Decided at 12:05 (a late checker): the message still says when the job failed.
  EXPECT_EQ(AlertPlainText(Failed("db", k1203 + 59 * kSecond, k1203 + 2 * kMinute),
                           (Failed("db", k1203 + 59 * kSecond, k1203 + 2 * kMinute)).at),
            kCross + " FAILED: `db` | reported failure at 12:03 UTC");
}

// Lateness and downtime are measured when the message is made: an OVERDUE decided 9 s
// after the deadline that goes out 14 s after it (a store outage held it) says 14 s.
TEST(AlertMessage, LatenessAndDowntimeAreMeasuredWhenTheMessageIsMade) {
  const UnixMillis deadline = k1203 + 5 * kMinute;
  Alert a = Overdue("backup", 300, k1203, deadline, deadline + 9'000);
  EXPECT_EQ(AlertPlainText(a, deadline + 14'000),
            kWarning + " OVERDUE: `backup` | interval: 5m | last: 12:03 UTC | 14s late");
  EXPECT_EQ(AlertPlainText(Repeat("x", k1208, k1315), k1315 + 3 * kMinute),
            kWarning + " STILL OVERDUE: `x` | down 1h 10m");
}

TEST(AlertMessage, StillOverdueInPlainText) {
  EXPECT_EQ(AlertPlainText(Repeat("x", k1208, k1315), k1315),
            kWarning + " STILL OVERDUE: `x` | down 1h 7m");
}

TEST(AlertMessage, StillOverdueInMarkdownV2) {
  EXPECT_EQ(AlertMarkdownV2(Repeat("x", k1208, k1315), k1315),
            kWarning + " STILL OVERDUE: `x` \\| down 1h 7m");
}

TEST(AlertMessage, RecoveredInPlainText) {
  Alert a = Recovered("x", k1208, k1317, k1317 + 400);
  EXPECT_EQ(AlertPlainText(a, a.at), kCheck + " RECOVERED: `x` (was down 1h 9m)");
}

TEST(AlertMessage, RecoveredInMarkdownV2) {
  Alert a = Recovered("x", k1208, k1317, k1317 + 400);
  EXPECT_EQ(AlertMarkdownV2(a, a.at), kCheck + " RECOVERED: `x` \\(was down 1h 9m\\)");
}

TEST(AlertMessage, RecoveredCountsTheDowntimeUntilThePingThatEndedIt) {
  // The checker looks 10 minutes after the ping: the monitor was down until the ping.
  Alert a = Recovered("x", k1208, k1317, k1317 + 10 * kMinute);
  EXPECT_EQ(AlertPlainText(a, a.at), kCheck + " RECOVERED: `x` (was down 1h 9m)");
}

TEST(AlertMessage, RealSlugsWithHyphensStayInsideCodeUnescaped) {
  const UnixMillis deadline = k1203 + 5 * kMinute;
  Alert a = Overdue("db-backup-eu-west-1", 300, k1203, deadline, deadline + 7 * kMinute);
  const std::string md = AlertMarkdownV2(a, a.at);
  EXPECT_NE(md.find("`db-backup-eu-west-1`"), std::string::npos) << md;
  EXPECT_EQ(md.find("\\-"), std::string::npos) << md;
  EXPECT_EQ(AlertMarkdownV2(Failed("a-1", k1203, k1203), k1203),
            kCross + " FAILED: `a-1` \\| reported failure at 12:03 UTC");
}

TEST(AlertMessage, CompactIntervals) {
  struct Case {
    std::int64_t secs;
    const char* shown;
  };
  for (const Case& c : {Case{30, "30s"}, Case{90, "1m30s"}, Case{300, "5m"}, Case{3600, "1h"},
                        Case{5400, "1h30m"}, Case{86400, "1d"}, Case{172800, "2d"},
                        Case{86400 + 300, "1d5m"}, Case{604800, "7d"}, Case{365 * 86400, "365d"}}) {
    const UnixMillis deadline = k1203 + c.secs * kSecond;
    Alert a = Overdue("job", c.secs, k1203, deadline, deadline + 7 * kMinute);
    EXPECT_EQ(AlertPlainText(a, a.at),
              kWarning + " OVERDUE: `job` | interval: " + c.shown + " | last: 12:03 UTC | 7m late");
    EXPECT_EQ(AlertMarkdownV2(a, a.at), kWarning + " OVERDUE: `job` \\| interval: " + c.shown +
                                            " \\| last: 12:03 UTC \\| 7m late");
  }
}

TEST(AlertMessage, NeverPingedSaysLastNever) {
  Alert a = Overdue("made-by-fail", 300, std::nullopt, k1203, k1203 + 2 * kHour + 30 * kMinute);
  EXPECT_EQ(AlertPlainText(a, a.at),
            kWarning + " OVERDUE: `made-by-fail` | interval: 5m | last: never | 2h 30m late");
  EXPECT_EQ(AlertMarkdownV2(a, a.at),
            kWarning +
                " OVERDUE: `made-by-fail` \\| interval: 5m \\| last: never "
                "\\| 2h 30m late");
}

TEST(AlertMessage, LatenessAndDowntimeUseTheTwoLargestUnits) {
  const UnixMillis deadline = k1203 + 5 * kMinute;
  EXPECT_EQ(AlertPlainText(Overdue("j", 300, k1203, deadline, deadline + 45 * kSecond + 999),
                           (Overdue("j", 300, k1203, deadline, deadline + 45 * kSecond + 999)).at),
            kWarning + " OVERDUE: `j` | interval: 5m | last: 12:03 UTC | 45s late");
  EXPECT_EQ(AlertPlainText(Overdue("j", 300, k1203, deadline, deadline + 1),
                           (Overdue("j", 300, k1203, deadline, deadline + 1)).at),
            kWarning + " OVERDUE: `j` | interval: 5m | last: 12:03 UTC | 0s late");
  EXPECT_EQ(AlertPlainText(Repeat("j", k1203, k1203 + 2 * kDay + 3 * kHour + 10 * kMinute),
                           (Repeat("j", k1203, k1203 + 2 * kDay + 3 * kHour + 10 * kMinute)).at),
            kWarning + " STILL OVERDUE: `j` | down 2d 3h");
  EXPECT_EQ(AlertPlainText(Repeat("j", k1203, k1203 + kHour), k1203 + kHour),
            kWarning + " STILL OVERDUE: `j` | down 1h");
}

TEST(AlertMessage, ClockTimeIsUtcOfTheLastPingAcrossMidnight) {
  const UnixMillis last = kMidnight - kMinute;  // 23:59 the day before
  Alert a = Overdue("j", 300, last, last + 5 * kMinute, last + 12 * kMinute);
  EXPECT_EQ(AlertPlainText(a, a.at),
            kWarning + " OVERDUE: `j` | interval: 5m | last: 23:59 UTC | 7m late");
}

TEST(AlertMessage, CodeEntityEscapesBacktickAndBackslashInTheSlug) {
  // Not a valid slug, but the message must still be valid MarkdownV2.
  EXPECT_EQ(AlertMarkdownV2(Repeat("a`b\\c", k1203, k1203 + kHour),
                            (Repeat("a`b\\c", k1203, k1203 + kHour)).at),
            kWarning + " STILL OVERDUE: `a\\`b\\\\c` \\| down 1h");
}

// --- a MarkdownV2 validator ---
//
// Parses text the way Telegram's Bot API does for parse_mode MarkdownV2 (core.telegram.org
// /bots/api#markdownv2-style): a backslash followed by any character of code 1..126
// makes it an ordinary character, anywhere; outside entities every reserved character must
// be escaped, else Telegram fails with "character 'X' is reserved"; inside an inline code
// entity `...` only ` and \ need the backslash; entities must be closed. It is stricter
// than Telegram in one way: formatting entities (*bold*, _italic_, __underline__, ~strike~,
// ||spoiler||, [links], ```pre```) are reported, because an alert never means to use them
// and would be rendered differently from its plain text. It yields the rendered text and
// the code entities, so that a test can compare them with the plain text.

struct Parsed {
  std::string error;  // empty when valid
  std::string text;   // as Telegram would show it
  std::vector<std::string> code;
  std::vector<std::string> pre;
};

bool ValidUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra = 0;
    if (c < 0x80) {
      extra = 0;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
    } else {
      return false;
    }
    if (s.size() - i <= extra) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += extra + 1;
  }
  return true;
}

Parsed ParseMarkdownV2(std::string_view s) {
  Parsed p;
  if (!ValidUtf8(s)) {
    p.error = "not valid UTF-8";
    return p;
  }
  std::size_t i = 0;
  auto escaped_char = [&](std::string& out) -> bool {
    // s[i] == '\\'
    if (i + 1 >= s.size()) {
      p.error = "a backslash ends the text";
      return false;
    }
    const auto next = static_cast<unsigned char>(s[i + 1]);
    if (next < 1 || next > 126) {
      p.error = "a backslash before a character that cannot be escaped at " + std::to_string(i);
      return false;
    }
    out += s[i + 1];
    i += 2;
    return true;
  };
  while (i < s.size()) {
    const char c = s[i];
    if (c == '\\') {
      if (!escaped_char(p.text)) return p;
      continue;
    }
    if (c == '`') {
      if (s.substr(i, 3) == "```") {
        // A pre block (a failure's quoted output): "```\n", text in which only ` and \ are
        // escaped, "```". A language name would follow the fence on its line: none may.
        if (s.substr(i, 4) != "```\n") {
          p.error = "a pre block with a language name at " + std::to_string(i);
          return p;
        }
        i += 4;
        std::string pre;
        bool closed = false;
        while (i < s.size()) {
          if (s[i] == '\\') {
            if (!escaped_char(pre)) return p;
            continue;
          }
          if (s[i] == '`') {
            if (s.substr(i, 3) != "```") {
              p.error = "an unescaped ` inside a pre block at " + std::to_string(i);
              return p;
            }
            closed = true;
            i += 3;
            break;
          }
          pre += s[i++];
        }
        if (!closed) {
          p.error = "can't find end of Pre entity";
          return p;
        }
        p.text += pre;
        p.pre.push_back(pre);
        continue;
      }
      ++i;
      std::string code;
      bool closed = false;
      while (i < s.size()) {
        if (s[i] == '\\') {
          if (!escaped_char(code)) return p;
          continue;
        }
        if (s[i] == '`') {
          closed = true;
          ++i;
          break;
        }
        code += s[i++];
      }
      if (!closed) {
        p.error = "can't find end of Code entity";
        return p;
      }
      if (code.empty()) {
        p.error = "an empty code entity";
        return p;
      }
      p.text += code;
      p.code.push_back(code);
      continue;
    }
    if (kReserved.find(c) != std::string_view::npos) {
      p.error = std::string("character '") + c + "' is reserved and must be escaped at " +
                std::to_string(i);
      return p;
    }
    p.text += c;
    ++i;
  }
  return p;
}

TEST(MarkdownV2Validator, AcceptsWellFormedText) {
  Parsed p = ParseMarkdownV2("a \\| b `c-d\\`e` \\(f\\)\\.");
  EXPECT_EQ(p.error, "");
  EXPECT_EQ(p.text, "a | b c-d`e (f).");
  EXPECT_EQ(p.code, std::vector<std::string>{"c-d`e"});
}

TEST(MarkdownV2Validator, RejectsWhatTelegramRejects) {
  EXPECT_NE(ParseMarkdownV2("a | b").error, "");
  EXPECT_NE(ParseMarkdownV2("was down (1h)").error, "");
  EXPECT_NE(ParseMarkdownV2("v1.2").error, "");
  EXPECT_NE(ParseMarkdownV2("a-b").error, "");
  EXPECT_NE(ParseMarkdownV2("`open").error, "");
  EXPECT_NE(ParseMarkdownV2("`a\\`").error, "");  // the escaped backtick does not close
  EXPECT_NE(ParseMarkdownV2("end\\").error, "");
  EXPECT_NE(ParseMarkdownV2("`a\\").error, "");
  EXPECT_NE(ParseMarkdownV2("\xE2\x9A").error, "");  // truncated UTF-8
  for (char c : kReserved) {
    if (c == '`') continue;
    EXPECT_NE(ParseMarkdownV2(std::string("x") + c + "y").error, "") << "char " << c;
  }
}

// Every message for an alert: valid MarkdownV2, shown exactly as its plain text without the
// backticks, with the slug as the only code entity.
void ExpectValidMessage(const Alert& a) {
  const std::string md = AlertMarkdownV2(a, a.at);
  const std::string plain = AlertPlainText(a, a.at);
  Parsed p = ParseMarkdownV2(md);
  ASSERT_EQ(p.error, "") << md;
  std::string shown = plain;
  const std::size_t open = shown.find('`');
  ASSERT_NE(open, std::string::npos) << plain;
  shown.erase(open, 1);
  const std::size_t close = shown.find('`', open + a.slug.size());
  ASSERT_NE(close, std::string::npos) << plain;
  shown.erase(close, 1);
  EXPECT_EQ(p.text, shown) << md;
  EXPECT_EQ(p.code, std::vector<std::string>{a.slug}) << md;
}

TEST(AlertMessage, SpecExamplesAreValidMarkdownV2) {
  const UnixMillis deadline = k1203 + 5 * kMinute;
  ExpectValidMessage(Overdue("nightly-backup", 300, k1203, deadline, deadline + 7 * kMinute));
  ExpectValidMessage(Overdue("never-pinged", 300, std::nullopt, deadline, deadline + 1));
  ExpectValidMessage(Failed("db", k1203, k1203));
  ExpectValidMessage(Repeat("x", k1208, k1315));
  ExpectValidMessage(Recovered("x", k1208, k1317, k1317 + 400));
  ExpectValidMessage(Repeat("a`b\\c", k1203, k1203 + kHour));
}

TEST(AlertMessage, HundredsOfGeneratedAlertsAreValidMarkdownV2) {
  std::mt19937_64 rng(20260921);
  auto pick = [&](std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(hi - lo + 1));
  };
  const std::string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-";
  const std::int64_t intervals[] = {30,   59,    60,    61,    90,     300,    3599,         3600,
                                    5400, 86399, 86400, 90061, 172800, 604800, 365LL * 86400};
  const AlertKind kinds[] = {AlertKind::kOverdue, AlertKind::kFailed, AlertKind::kRepeat,
                             AlertKind::kRecovered};
  int checked = 0;
  for (int n = 0; n < 600; ++n) {
    std::string slug;
    const auto len = pick(1, 64);
    for (std::int64_t k = 0; k < len; ++k) {
      slug += alphabet[static_cast<std::size_t>(pick(0, alphabet.size() - 1))];
    }
    const std::int64_t interval =
        n % 3 == 0 ? pick(30, 365LL * 86400) : intervals[pick(0, std::size(intervals) - 1)];
    const UnixMillis first = pick(0, 4'102'444'800'000LL);  // 1970 to 2100
    const UnixMillis at = first + pick(0, 400 * kDay);
    Alert a{.kind = kinds[n % 4],
            .slug = slug,
            .interval_secs = interval,
            .last_ping = pick(0, 4) == 0 ? std::nullopt : std::optional<UnixMillis>(first),
            .deadline = first + interval * kSecond,
            .at = at,
            .down_since = first + pick(0, 10 * kDay)};
    SCOPED_TRACE(AlertPlainText(a, a.at));
    ExpectValidMessage(a);
    if (::testing::Test::HasFatalFailure()) return;
    ++checked;
  }
  EXPECT_EQ(checked, 600);
}

TEST(AlertText, AFailureWithAnExitCodeQuotesTheTailOfItsBody) {
  Alert a = Failed("backup", k1203, k1203);
  a.exit_code = 2;
  a.body_tail = "cp: cannot stat `a_b*c`: No such file\nC:\\dir [x] (y) ``` done.";
  const std::string plain = AlertPlainText(a, k1203);
  EXPECT_EQ(plain, kCross + " FAILED: `backup` | exit code 2 | reported failure at 12:03 UTC\n" +
                       a.body_tail);
  Parsed p = ParseMarkdownV2(AlertMarkdownV2(a, k1203));
  ASSERT_EQ(p.error, "") << AlertMarkdownV2(a, k1203);
  ASSERT_EQ(p.pre.size(), 1u);
  EXPECT_EQ(p.pre[0], a.body_tail + "\n");
  EXPECT_EQ(p.code, std::vector<std::string>{"backup"});
}

TEST(AlertText, AFailureWithoutABodyHasNoBlock) {
  Alert a = Failed("backup", k1203, k1203);
  a.exit_code = 137;
  EXPECT_EQ(AlertPlainText(a, k1203),
            kCross + " FAILED: `backup` | exit code 137 | reported failure at 12:03 UTC");
  EXPECT_EQ(ParseMarkdownV2(AlertMarkdownV2(a, k1203)).pre.size(), 0u);
}

TEST(AlertText, ARunPastItsLimitSaysWhenItStartedAndHowLongItRuns) {
  Alert a{.kind = AlertKind::kTimedOut,
          .slug = "etl_job",
          .interval_secs = 86'400,
          .last_ping = std::nullopt,
          .deadline = kMidnight + 3 * kHour,
          .at = kMidnight + 3 * kHour,
          .down_since = kMidnight + 3 * kHour,
          .run_started_at = kMidnight + 2 * kHour,
          .max_runtime_secs = 3600};
  const UnixMillis now = kMidnight + 3 * kHour + 5 * kMinute;
  EXPECT_EQ(AlertPlainText(a, now),
            "\xE2\x8F\xB1\xEF\xB8\x8F RUN TIMED OUT: `etl_job` | started 02:00 UTC | "
            "running 1h 5m (max 1h)");
  Parsed p = ParseMarkdownV2(AlertMarkdownV2(a, now));
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.code, std::vector<std::string>{"etl_job"});
  EXPECT_EQ(p.text,
            "\xE2\x8F\xB1\xEF\xB8\x8F RUN TIMED OUT: etl_job | started 02:00 UTC | "
            "running 1h 5m (max 1h)");
}

}  // namespace
}  // namespace heartbeat
