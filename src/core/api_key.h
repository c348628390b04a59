#pragma once
// API keys: 32 random bytes from the operating system's CSPRNG, shown once as 64 hex
// characters. Only the hex SHA-256 of a key is ever stored; keys are 256-bit random,
// so no salt or slow hash is needed.

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace heartbeat {

inline constexpr std::size_t kApiKeyHexLength = 64;
inline constexpr std::size_t kKeyIdLength = 12;

// A new key, 64 lowercase hex characters.
Result<std::string> GenerateApiKey();

// Lowercase hex SHA-256 of the key's bytes.
std::string HashApiKey(std::string_view key);

// The public ID of a key: the first 12 hex characters of its hash. Reveals nothing usable
// about the key, and is stable across stores.
inline std::string KeyIdFromHash(std::string_view key_hash) {
  return std::string(key_hash.substr(0, kKeyIdLength));
}

// A key ID as `keys revoke` takes it: 12 to 64 lowercase hex characters (the ID `keys list`
// shows, or more of the hash). InvalidArgument, saying so, otherwise.
Status CheckKeyId(std::string_view id);

// The one hash among `hashes` that the key ID `id` names (a prefix of it): NotFound when
// none, InvalidArgument when several or when `id` is malformed. `hashes` may hold every
// stored hash or only those that start with `id`.
Result<std::string> ResolveKeyId(std::string_view id, const std::vector<std::string>& hashes);

// Compares two strings in time that depends only on their lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace heartbeat
