#include "core/slug.h"

#include <string>

namespace heartbeat {

Status ValidateSlug(std::string_view slug) {
  if (slug.empty()) return InvalidArgument("slug must not be empty");
  if (slug.size() > kMaxSlugLength) {
    return InvalidArgument("slug is " + std::to_string(slug.size()) +
                           " characters long; the limit is 64");
  }
  for (char c : slug) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) {
      return InvalidArgument("slug may contain only lowercase letters, digits and hyphens");
    }
  }
  if (slug.front() == '-' || slug.back() == '-') {
    return InvalidArgument("slug must not start or end with a hyphen");
  }
  return Ok{};
}

}  // namespace heartbeat
