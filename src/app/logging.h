#pragma once
#include <string>

namespace heartbeat::app {

// Sends spdlog's default logger to stderr, as text or as one JSON object a line
// ({"time","level","msg"}) for CloudWatch and log shippers. Level: trace..error.
void SetUpLogging(const std::string& level, const std::string& format);

// Escapes a string for a JSON string literal (without the quotes).
std::string JsonEscape(std::string_view s);

}  // namespace heartbeat::app
