#pragma once
#include <string>

namespace heartbeat::app {

enum class LogDestination { kStderr, kStdout };

// Sends spdlog's default logger to stderr (or stdout: `bootstrap`, whose stdout Lambda
// sends to CloudWatch), as text or as one JSON object a line ({"time","level","msg"}) for
// CloudWatch and log shippers. Level: trace..error.
void SetUpLogging(const std::string& level, const std::string& format,
                  LogDestination destination = LogDestination::kStderr);

}  // namespace heartbeat::app
