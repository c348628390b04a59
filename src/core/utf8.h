#pragma once
// Text that must be valid UTF-8 (JSON answers, Telegram messages) made from bytes that may not
// be (a request's path, a ping's body).

#include <string>
#include <string_view>

namespace heartbeat {

// `text` with each byte that does not start a valid UTF-8 sequence (overlong forms,
// surrogates and code points past U+10FFFF are not valid) replaced by U+FFFD.
std::string ValidUtf8(std::string_view text);

// Text for inside a JSON string: " \ and control characters (and DEL) escaped; other bytes
// as they are.
std::string JsonEscape(std::string_view text);

}  // namespace heartbeat
