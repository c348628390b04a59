#include "core/slug.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace heartbeat {
namespace {

using ::testing::HasSubstr;

// Asserts that `slug` is rejected with a non-empty InvalidArgument message, and returns it.
std::string RejectionOf(std::string_view slug) {
  Status s = ValidateSlug(slug);
  EXPECT_FALSE(s.ok()) << "accepted: '" << slug << "'";
  EXPECT_FALSE(IsValidSlug(slug));
  if (s.ok()) return "";
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(s.error().message.empty());
  return s.error().message;
}

TEST(Slug, SingleCharacterIsAccepted) {
  EXPECT_TRUE(ValidateSlug("a").ok());
  EXPECT_TRUE(ValidateSlug("z").ok());
  EXPECT_TRUE(ValidateSlug("0").ok());
  EXPECT_TRUE(ValidateSlug("9").ok());
}

TEST(Slug, SixtyFourCharactersAreAccepted) {
  std::string slug(kMaxSlugLength, 'a');
  ASSERT_EQ(slug.size(), 64u);
  EXPECT_TRUE(ValidateSlug(slug).ok());
  EXPECT_TRUE(IsValidSlug(slug));
}

TEST(Slug, EmptyIsRejected) { EXPECT_THAT(RejectionOf(""), HasSubstr("empty")); }

TEST(Slug, SixtyFiveCharactersAreRejected) {
  std::string message = RejectionOf(std::string(65, 'a'));
  EXPECT_THAT(message, HasSubstr("65"));
  EXPECT_THAT(message, HasSubstr("64"));
}

TEST(Slug, VeryLongIsRejected) { RejectionOf(std::string(10000, 'a')); }

TEST(Slug, EveryLowercaseLetterIsAllowed) {
  for (char c = 'a'; c <= 'z'; ++c) {
    EXPECT_TRUE(ValidateSlug(std::string(1, c)).ok()) << c;
  }
  EXPECT_TRUE(ValidateSlug("abcdefghijklmnopqrstuvwxyz").ok());
}

TEST(Slug, EveryDigitIsAllowed) {
  for (char c = '0'; c <= '9'; ++c) {
    EXPECT_TRUE(ValidateSlug(std::string(1, c)).ok()) << c;
  }
  EXPECT_TRUE(ValidateSlug("0123456789").ok());
}

TEST(Slug, MixedAllowedClassesAreAccepted) {
  EXPECT_TRUE(ValidateSlug("backup-db-01").ok());
  EXPECT_TRUE(ValidateSlug("9-lives").ok());
  EXPECT_TRUE(ValidateSlug("cron-job-2024-daily").ok());
}

TEST(Slug, InnerHyphensAreAccepted) {
  EXPECT_TRUE(ValidateSlug("a-b").ok());
  EXPECT_TRUE(ValidateSlug("a--b").ok());
  EXPECT_TRUE(ValidateSlug("a---------b").ok());
  EXPECT_TRUE(ValidateSlug("a" + std::string(62, '-') + "b").ok());
}

TEST(Slug, LeadingHyphenIsRejected) { EXPECT_THAT(RejectionOf("-abc"), HasSubstr("hyphen")); }

TEST(Slug, TrailingHyphenIsRejected) { EXPECT_THAT(RejectionOf("abc-"), HasSubstr("hyphen")); }

TEST(Slug, LoneHyphenIsRejected) {
  RejectionOf("-");
  RejectionOf("--");
}

TEST(Slug, UppercaseIsRejected) {
  EXPECT_THAT(RejectionOf("Backup"), HasSubstr("lowercase"));
  RejectionOf("BACKUP");
  RejectionOf("backuP");
  for (char c = 'A'; c <= 'Z'; ++c) {
    EXPECT_FALSE(IsValidSlug(std::string(1, c))) << c;
  }
}

TEST(Slug, UnderscoreIsRejected) { RejectionOf("backup_db"); }

TEST(Slug, DotIsRejected) {
  RejectionOf("backup.db");
  RejectionOf(".");
  RejectionOf("..");
}

TEST(Slug, SlashIsRejected) {
  RejectionOf("backup/db");
  RejectionOf("../etc");
  RejectionOf("a\\b");
}

TEST(Slug, SpaceIsRejected) {
  RejectionOf("backup db");
  RejectionOf(" backup");
  RejectionOf("backup ");
  RejectionOf("backup\t");
  RejectionOf("backup\n");
}

TEST(Slug, Utf8BytesAreRejected) {
  RejectionOf("caf\xc3\xa9");           // café
  RejectionOf("\xe2\x9c\x85");          // ✅
  RejectionOf("a\xff");                 // not UTF-8 at all
  RejectionOf(std::string(1, '\x80'));  // lone continuation byte
}

TEST(Slug, NulByteIsRejected) {
  RejectionOf(std::string_view("ab\0cd", 5));
  RejectionOf(std::string_view("\0", 1));
  RejectionOf(std::string_view("abc\0", 4));
}

TEST(Slug, OtherPunctuationIsRejected) {
  for (char c : std::string_view("!\"#$%&'()*+,:;<=>?@[]^`{|}~")) {
    EXPECT_FALSE(IsValidSlug(std::string("a") + c + "b")) << c;
  }
}

TEST(Slug, EveryByteOutsideTheAllowedSetIsRejected) {
  for (int i = 0; i < 256; ++i) {
    char c = static_cast<char>(i);
    bool allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    EXPECT_EQ(IsValidSlug(std::string("x") + c + "y"), allowed || c == '-') << i;
  }
}

}  // namespace
}  // namespace heartbeat
