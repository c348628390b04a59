#include "core/api_key.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>

namespace heartbeat {
namespace {

constexpr std::string_view kSha256OfAbc =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr std::string_view kSha256OfEmpty =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::string_view kSha256OfQuickBrownFox =
    "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592";

bool IsLowercaseHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

TEST(GenerateApiKey, IsSixtyFourLowercaseHexCharacters) {
  Result<std::string> key = GenerateApiKey();
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->size(), kApiKeyHexLength);
  EXPECT_EQ(key->size(), 64u);
  EXPECT_TRUE(IsLowercaseHex(*key)) << *key;
}

TEST(GenerateApiKey, TwoCallsDiffer) {
  Result<std::string> a = GenerateApiKey();
  Result<std::string> b = GenerateApiKey();
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_NE(*a, *b);
}

TEST(GenerateApiKey, ManyCallsAreAllDistinctAndWellFormed) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    Result<std::string> key = GenerateApiKey();
    ASSERT_TRUE(key.ok());
    EXPECT_EQ(key->size(), 64u);
    EXPECT_TRUE(IsLowercaseHex(*key));
    seen.insert(*key);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(HashApiKey, MatchesKnownSha256OfAbc) { EXPECT_EQ(HashApiKey("abc"), kSha256OfAbc); }

TEST(HashApiKey, MatchesKnownSha256OfEmptyString) { EXPECT_EQ(HashApiKey(""), kSha256OfEmpty); }

TEST(HashApiKey, MatchesKnownSha256OfLongerText) {
  EXPECT_EQ(HashApiKey("The quick brown fox jumps over the lazy dog"), kSha256OfQuickBrownFox);
}

TEST(HashApiKey, IsSixtyFourLowercaseHexCharacters) {
  std::string hash = HashApiKey("some key");
  EXPECT_EQ(hash.size(), 64u);
  EXPECT_TRUE(IsLowercaseHex(hash));
}

TEST(HashApiKey, IsDeterministicAndDistinguishesKeys) {
  EXPECT_EQ(HashApiKey("key-one"), HashApiKey("key-one"));
  EXPECT_NE(HashApiKey("key-one"), HashApiKey("key-two"));
  EXPECT_NE(HashApiKey("abc"), HashApiKey("ABC"));
}

TEST(HashApiKey, HashesEveryByteIncludingNul) {
  EXPECT_NE(HashApiKey(std::string_view("abc\0", 4)), kSha256OfAbc);
  EXPECT_NE(HashApiKey(std::string_view("\0", 1)), kSha256OfEmpty);
}

TEST(HashApiKey, HashOfAGeneratedKeyIsNotTheKey) {
  Result<std::string> key = GenerateApiKey();
  ASSERT_TRUE(key.ok());
  EXPECT_NE(HashApiKey(*key), *key);
}

TEST(KeyIdFromHash, IsTheFirstTwelveCharacters) {
  EXPECT_EQ(KeyIdFromHash(kSha256OfAbc), "ba7816bf8f01");
  EXPECT_EQ(KeyIdFromHash(kSha256OfAbc).size(), kKeyIdLength);
  EXPECT_EQ(KeyIdFromHash(HashApiKey("")), "e3b0c44298fc");
}

TEST(KeyIdFromHash, ShortInputIsReturnedWhole) {
  EXPECT_EQ(KeyIdFromHash("abc"), "abc");
  EXPECT_EQ(KeyIdFromHash(""), "");
}

TEST(ConstantTimeEquals, EqualStrings) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_TRUE(ConstantTimeEquals(kSha256OfAbc, HashApiKey("abc")));
}

TEST(ConstantTimeEquals, DifferentStringsOfTheSameLength) {
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "xbc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ABC"));
  EXPECT_FALSE(ConstantTimeEquals(kSha256OfAbc, kSha256OfEmpty));
}

TEST(ConstantTimeEquals, DifferentLengths) {
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEquals("abcd", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", std::string_view("abc\0", 4)));
}

TEST(ConstantTimeEquals, Empty) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_FALSE(ConstantTimeEquals("a", ""));
}

TEST(ConstantTimeEquals, ComparesEmbeddedNulBytes) {
  EXPECT_TRUE(ConstantTimeEquals(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
  EXPECT_FALSE(ConstantTimeEquals(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

}  // namespace
}  // namespace heartbeat

namespace heartbeat {
namespace {

TEST(ResolveKeyId, NamesTheOneHashItIsAPrefixOf) {
  const std::string a(64, 'a');
  const std::string b = std::string(12, 'a') + std::string(52, 'b');
  const std::string c(64, 'c');
  EXPECT_EQ(*ResolveKeyId(std::string(12, 'c'), {a, c}), c);
  EXPECT_EQ(*ResolveKeyId(a, {a, b, c}), a);  // the whole hash names one key
  Result<std::string> several = ResolveKeyId(std::string(12, 'a'), {a, b, c});
  ASSERT_FALSE(several.ok());
  EXPECT_EQ(several.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(several.error().message, "the ID aaaaaaaaaaaa matches several keys; give more of it");
  Result<std::string> none = ResolveKeyId(std::string(12, 'd'), {a, b, c});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(none.error().message, "no API key with ID dddddddddddd");
}

TEST(ResolveKeyId, RefusesMalformedIdsBeforeLooking) {
  const std::string a(64, 'a');
  for (const std::string& id : {std::string(11, 'a'), std::string(65, 'a'), std::string(12, 'A'),
                                std::string("aaaaaaaaaaag"), std::string()}) {
    Result<std::string> r = ResolveKeyId(id, {a});
    ASSERT_FALSE(r.ok()) << id;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << id;
    EXPECT_EQ(r.error().message,
              "a key ID is 12 to 64 lowercase hex characters, as `keys list` shows");
  }
}

}  // namespace
}  // namespace heartbeat
