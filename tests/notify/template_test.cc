// Webhook templates (notify/template.h): the variables, how a name is read, the escaping
// for a JSON body, a URL and plain text, and the refusal of templates that cannot work.

#include "notify/template.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/alert.h"

namespace heartbeat::template_test {
namespace {

TemplateValues Values() {
  TemplateValues v;
  v.slug = "nightly-backup";
  v.project = "default";
  v.status = "down";
  v.kind = "failed";
  v.message = "❌ FAILED: `nightly-backup` | exit code 3";
  v.now = "2026-09-21T12:15:00Z";
  v.last_ping = "2026-09-21T12:03:00Z";
  v.exit_code = "3";
  v.body_tail = "tar: \"/data\": Cannot open\n\\ done";
  return v;
}

TEST(TemplateTest, EveryVariableIsReplaced) {
  EXPECT_EQ(RenderTemplate("$SLUG|$PROJECT|$STATUS|$KIND|$NOW|$LAST_PING|$EXIT_CODE", Values(),
                           TemplateEscape::kPlain),
            "nightly-backup|default|down|failed|2026-09-21T12:15:00Z|2026-09-21T12:03:00Z|3");
  EXPECT_EQ(RenderTemplate("$MESSAGE", Values(), TemplateEscape::kPlain), Values().message);
  EXPECT_EQ(RenderTemplate("$BODY_TAIL", Values(), TemplateEscape::kPlain), Values().body_tail);
}

TEST(TemplateTest, ALongerNameIsNeverAShorterVariableFollowedByLetters) {
  // $SLUGX is the (unknown) name SLUGX: left as written, and refused on save.
  EXPECT_EQ(RenderTemplate("$SLUGX", Values(), TemplateEscape::kPlain), "$SLUGX");
  EXPECT_FALSE(ValidateTemplate("$SLUGX").ok());
  // $LAST_PING is not $LAST followed by _PING, nor anything else shorter.
  EXPECT_EQ(RenderTemplate("$LAST_PING.", Values(), TemplateEscape::kPlain),
            "2026-09-21T12:03:00Z.");
  // Braces end a name where the writer wants.
  EXPECT_EQ(RenderTemplate("${SLUG}X", Values(), TemplateEscape::kPlain), "nightly-backupX");
  EXPECT_TRUE(ValidateTemplate("${SLUG}X").ok());
}

TEST(TemplateTest, DoubleDollarIsALiteralDollarAndOtherDollarsStay) {
  EXPECT_EQ(
      RenderTemplate("$$SLUG costs $5, $ alone, $lower, end$", Values(), TemplateEscape::kPlain),
      "$SLUG costs $5, $ alone, $lower, end$");
  EXPECT_TRUE(ValidateTemplate("$$SLUG costs $5, $ alone, $lower, end$").ok());
  EXPECT_EQ(RenderTemplate("$$$SLUG", Values(), TemplateEscape::kPlain), "$nightly-backup");
}

TEST(TemplateTest, UnknownVariablesAndUnclosedBracesAreRefusedWithTheirName) {
  Status unknown = ValidateTemplate("{\"a\":\"$SLGU\"}");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("$SLGU"), std::string::npos) << unknown.error().message;
  Status braces = ValidateTemplate("${SLUG");
  ASSERT_FALSE(braces.ok());
  EXPECT_NE(braces.error().message.find("${"), std::string::npos) << braces.error().message;
  EXPECT_FALSE(ValidateTemplate("${}").ok());
  EXPECT_FALSE(ValidateTemplate("${slug}").ok());
}

TEST(TemplateTest, JsonEscapingKeepsABodyValidWhateverTheValues) {
  TemplateValues v = Values();
  v.message = "quote \" backslash \\ newline \n tab \t cr \r bell \x07 del \x7f";
  std::string rendered =
      RenderTemplate(R"({"text":"$MESSAGE","tail":"$BODY_TAIL"})", v, TemplateEscape::kJson);
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(rendered, ec);
  ASSERT_FALSE(ec) << rendered;
  EXPECT_EQ(parsed.at("text").as_string(), v.message);
  EXPECT_EQ(parsed.at("tail").as_string(), v.body_tail);
  EXPECT_EQ(JsonEscape("a\"b\\c\nd\x01"), "a\\\"b\\\\c\\nd\\u0001");
}

TEST(TemplateTest, JsonEscapingMakesInvalidUtf8Valid) {
  TemplateValues v = Values();
  v.body_tail = "bad \xff\xfe bytes";
  std::string rendered = RenderTemplate(R"({"t":"$BODY_TAIL"})", v, TemplateEscape::kJson);
  boost::system::error_code ec;
  boost::json::parse(rendered, ec);
  EXPECT_FALSE(ec) << rendered;
}

TEST(TemplateTest, UrlEscapingPercentEncodesEverythingButUnreserved) {
  TemplateValues v = Values();
  v.slug = "a b/c?d=e&f#g";
  EXPECT_EQ(
      RenderTemplate("https://example.com/hook?slug=$SLUG&s=$STATUS", v, TemplateEscape::kUrl),
      "https://example.com/hook?slug=a%20b%2Fc%3Fd%3De%26f%23g&s=down");
  EXPECT_EQ(UrlEncode("✅ A-z_0.9~"), "%E2%9C%85%20A-z_0.9~");
}

TEST(TemplateTest, PlainTextTakesValuesAsTheyAre) {
  EXPECT_EQ(RenderTemplate("$BODY_TAIL", Values(), TemplateEscape::kPlain),
            "tar: \"/data\": Cannot open\n\\ done");
}

TEST(TemplateTest, ABodyIsJsonByContentTypeOrByItsFirstCharacter) {
  using Headers = std::vector<std::pair<std::string, std::string>>;
  EXPECT_TRUE(IsJsonBody({}, "  \n{\"a\":1}"));
  EXPECT_TRUE(IsJsonBody({}, "[1]"));
  EXPECT_FALSE(IsJsonBody({}, "slug=$SLUG"));
  EXPECT_FALSE(IsJsonBody({}, ""));
  EXPECT_TRUE(IsJsonBody(Headers{{"content-TYPE", "application/vnd.api+JSON"}}, "x"));
  EXPECT_FALSE(IsJsonBody(Headers{{"Content-Type", "text/plain"}}, "{\"a\":1}"));
}

TEST(TemplateTest, AFormBodyTakesUrlEncodedValues) {
  using Headers = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(BodyEscape(Headers{{"Content-Type", "application/x-www-form-urlencoded"}}, "a=$SLUG"),
            TemplateEscape::kUrl);
  EXPECT_EQ(BodyEscape({}, "{\"a\":1}"), TemplateEscape::kJson);
  EXPECT_EQ(BodyEscape({}, "a=$SLUG"), TemplateEscape::kPlain);
}

TEST(TemplateTest, AJsonTemplateWithAValueOutsideQuotesIsRefused) {
  // An empty exit code leaves `"code": ,`.
  Status bare = CheckJsonTemplate(R"({"code": $EXIT_CODE})");
  ASSERT_FALSE(bare.ok());
  EXPECT_NE(bare.error().message.find("the template does not make valid JSON"), std::string::npos)
      << bare.error().message;
  EXPECT_FALSE(CheckJsonTemplate(R"({"text": $MESSAGE})").ok());
  EXPECT_FALSE(CheckJsonTemplate(R"({"text": "$MESSAGE")").ok());
  EXPECT_FALSE(CheckJsonTemplate(R"({"text": "$MESSAGE"} trailing)").ok());
  EXPECT_TRUE(CheckJsonTemplate(R"({"code": "$EXIT_CODE", "text": "$MESSAGE"})").ok());
  EXPECT_TRUE(CheckJsonTemplate(R"([{"t": "$SLUG $STATUS $$"}])").ok());
}

TEST(TemplateTest, AlertValuesSplitTheKeyAndLeaveMissingValuesEmpty) {
  Alert a;
  a.kind = AlertKind::kOverdue;
  a.slug = "team-a/db-backup";
  a.interval_secs = 300;
  a.deadline = 1'789'992'480'000LL;
  TemplateValues v = AlertTemplateValues(a, 1'789'992'900'000LL);
  EXPECT_EQ(v.slug, "db-backup");
  EXPECT_EQ(v.project, "team-a");
  EXPECT_EQ(v.status, "down");
  EXPECT_EQ(v.kind, "overdue");
  EXPECT_EQ(v.now, "2026-09-21T12:15:00Z");
  EXPECT_EQ(v.last_ping, "");
  EXPECT_EQ(v.exit_code, "");
  a.kind = AlertKind::kRecovered;
  a.slug = "plain";
  a.last_ping = 1'789'992'180'000LL;
  a.exit_code = 0;
  v = AlertTemplateValues(a, 1'789'992'900'000LL);
  EXPECT_EQ(v.slug, "plain");
  EXPECT_EQ(v.project, "default");
  EXPECT_EQ(v.status, "up");
  EXPECT_EQ(v.kind, "recovered");
  EXPECT_EQ(v.last_ping, "2026-09-21T12:03:00Z");
  EXPECT_EQ(v.exit_code, "0");
}

// Random templates made of JSON's pieces and variables: every one CheckJsonTemplate accepts
// makes valid JSON with any values an alert can have.
TEST(TemplateTest, AnAcceptedJsonTemplateMakesValidJsonWithAnyAlertsValues) {
  std::mt19937 rng(20261208);
  const std::vector<std::string> pieces = {"{",
                                           "}",
                                           "[",
                                           "]",
                                           "\"",
                                           ":",
                                           ",",
                                           " ",
                                           "1",
                                           "0",
                                           "-",
                                           ".",
                                           "e",
                                           "\"k\":",
                                           "\"v\"",
                                           "\\",
                                           "\\\"",
                                           "$$",
                                           "${SLUG}",
                                           "$SLUG",
                                           "$PROJECT",
                                           "$STATUS",
                                           "$KIND",
                                           "$MESSAGE",
                                           "$NOW",
                                           "$LAST_PING",
                                           "$EXIT_CODE",
                                           "$BODY_TAIL",
                                           "null",
                                           "true",
                                           "\"$EXIT_CODE\"",
                                           "\"$MESSAGE\"",
                                           "\"a $SLUG b\""};
  const std::vector<std::string> texts = {"",         "\"",   "\\", "\n",  "a\"b\\c",
                                          "\x01\x1f", "\xff", "✅",  "}",   "]",
                                          ",",        "null", "1",  "x y", "\t\r"};
  const std::vector<std::string> exit_codes = {"", "0", "1", "-1", "2", "137", "255"};
  const std::vector<std::string> times = {"", "2026-09-21T12:03:00Z"};
  auto pick = [&](const std::vector<std::string>& from) {
    return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(rng)];
  };
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string tmpl = "{";
    const int n = std::uniform_int_distribution<int>(0, 8)(rng);
    for (int k = 0; k < n; ++k) tmpl += pick(pieces);
    if (std::uniform_int_distribution<int>(0, 1)(rng) == 0) tmpl += "}";
    if (!CheckJsonTemplate(tmpl).ok()) continue;
    ++accepted;
    for (int j = 0; j < 20; ++j) {
      TemplateValues v;
      v.slug = pick({"a", "nightly-backup", "x_1"});
      v.project = pick({"default", "team-a"});
      v.status = pick({"down", "up"});
      v.kind = pick({"overdue", "failed", "repeat", "recovered", "timed_out", "test"});
      v.message = pick(texts) + pick(texts);
      v.now = "2026-09-21T12:15:00Z";
      v.last_ping = pick(times);
      v.exit_code = pick(exit_codes);
      v.body_tail = pick(texts) + pick(texts);
      const std::string rendered = RenderTemplate(tmpl, v, TemplateEscape::kJson);
      boost::system::error_code ec;
      boost::json::parse(rendered, ec);
      ASSERT_FALSE(ec) << "template " << tmpl << " accepted, but makes " << rendered;
    }
  }
  EXPECT_GT(accepted, 100);  // the generator does make valid templates
}

}  // namespace
}  // namespace heartbeat::template_test
