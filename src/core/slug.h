#pragma once
#include <string_view>

#include "core/result.h"

namespace heartbeat {

inline constexpr std::size_t kMaxSlugLength = 64;

// A slug is 1-64 characters of [a-z0-9-] with no leading or trailing hyphen.
// Returns an InvalidArgument error whose message names the problem.
Status ValidateSlug(std::string_view slug);

inline bool IsValidSlug(std::string_view slug) { return ValidateSlug(slug).ok(); }

}  // namespace heartbeat
