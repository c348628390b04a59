// Fuzzes heartbeat::ValidateSlug (src/core/slug.h) on arbitrary bytes against an
// independent re-implementation of the rule: a slug is accepted iff it has 1 to 64
// characters, all of [a-z0-9-], and neither starts nor ends with a hyphen. Also checks that
// IsValidSlug agrees and that a refusal is an InvalidArgument with a message.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "core/slug.h"

namespace {

bool ExpectedValid(std::string_view s) {
  if (s.size() < 1 || s.size() > 64) return false;
  for (unsigned char c : s) {
    const bool lower = c >= 'a' && c <= 'z';
    const bool digit = c >= '0' && c <= '9';
    if (!lower && !digit && c != '-') return false;
  }
  return s[0] != '-' && s[s.size() - 1] != '-';
}

[[noreturn]] void Fail(const char* what, std::string_view input) {
  std::fprintf(stderr, "slug_fuzz: %s (input '%.*s', %zu bytes)\n", what,
               static_cast<int>(input.size()), input.data(), input.size());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view slug(reinterpret_cast<const char*>(data), size);
  const heartbeat::Status status = heartbeat::ValidateSlug(slug);
  const bool expected = ExpectedValid(slug);
  if (status.ok() != expected) {
    Fail(expected ? "a valid slug is refused" : "an invalid slug is accepted", slug);
  }
  if (heartbeat::IsValidSlug(slug) != expected) Fail("IsValidSlug disagrees", slug);
  if (!status.ok()) {
    if (status.error().code != heartbeat::ErrorCode::kInvalidArgument) {
      Fail("refusal is not InvalidArgument", slug);
    }
    if (status.error().message.empty()) Fail("refusal without a message", slug);
  }
  return 0;
}
