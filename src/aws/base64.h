#pragma once
// Standard base64 (RFC 4648, with padding), as DynamoDB carries B values on the wire.

#include <optional>
#include <string>
#include <string_view>

namespace heartbeat::aws {

std::string Base64Encode(std::string_view bytes);

// Strict: the standard alphabet, padding to a multiple of 4, no whitespace, and the unused
// bits of the last symbol zero. nullopt otherwise.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace heartbeat::aws
