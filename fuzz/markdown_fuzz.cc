// Fuzzes the Telegram MarkdownV2 escaping of src/notify/message.h on arbitrary bytes.
// Checks, for EscapeMarkdownV2 (text outside entities):
//  - every one of _*[]()~`>#+-=|{}.!\ in the output is escaped: preceded by a backslash
//    that is not itself the escaped character of an earlier pair, and nothing but those
//    characters is escaped;
//  - removing the escapes gives the input back.
// And for EscapeMarkdownV2Code (inside inline code): only ` and \ are escaped, every ` and
// \ is, and removing the escapes gives the input back.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "notify/message.h"

namespace {

constexpr std::string_view kSpecial = "_*[]()~`>#+-=|{}.!\\";

bool IsSpecial(char c) { return kSpecial.find(c) != std::string_view::npos; }
bool IsCodeSpecial(char c) { return c == '`' || c == '\\'; }

[[noreturn]] void Fail(const char* what, std::string_view input, std::string_view output) {
  std::fprintf(stderr, "markdown_fuzz: %s\n  input:  '%.*s'\n  output: '%.*s'\n", what,
               static_cast<int>(input.size()), input.data(), static_cast<int>(output.size()),
               output.data());
  std::abort();
}

// Reads `escaped` as a sequence of plain characters and backslash pairs: checks that
// exactly the characters for which `must_escape` holds are escaped, and returns the text
// with the escapes removed.
template <class MustEscape>
std::string Unescape(std::string_view input, std::string_view escaped, MustEscape must_escape) {
  std::string out;
  for (std::size_t i = 0; i < escaped.size(); ++i) {
    char c = escaped[i];
    if (c == '\\') {
      if (i + 1 == escaped.size()) Fail("output ends with a lone backslash", input, escaped);
      c = escaped[++i];
      if (!must_escape(c)) Fail("a character that needs no escape is escaped", input, escaped);
    } else if (must_escape(c)) {
      Fail("a special character is not preceded by a backslash", input, escaped);
    }
    out += c;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const std::string escaped = heartbeat::EscapeMarkdownV2(text);
  if (Unescape(text, escaped, IsSpecial) != text) {
    Fail("EscapeMarkdownV2 does not unescape to its input", text, escaped);
  }

  const std::string code = heartbeat::EscapeMarkdownV2Code(text);
  if (Unescape(text, code, IsCodeSpecial) != text) {
    Fail("EscapeMarkdownV2Code does not unescape to its input", text, code);
  }
  return 0;
}
