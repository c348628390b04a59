#pragma once
// The text of alert messages (SPEC §5), in Telegram's MarkdownV2 and in plain text.

#include <string>
#include <string_view>

#include "core/alert.h"

namespace heartbeat {

// Escapes text for MarkdownV2 outside entities: every one of _*[]()~`>#+-=|{}.!\ gets a
// backslash, so that Telegram never rejects the message.
std::string EscapeMarkdownV2(std::string_view text);

// Escapes text for a MarkdownV2 inline code entity: only ` and \.
std::string EscapeMarkdownV2Code(std::string_view text);

// "⚠️ OVERDUE: `slug` | interval: 5m | last: 12:03 UTC | 7m late", etc., made at `now`:
// how late a job is and how long a monitor has been down are measured when the message is
// made (sent, or retried), not when the alert was decided; a message that went out after
// a store outage or a Telegram retry tells the lateness its reader sees.
std::string AlertMarkdownV2(const Alert& alert, UnixMillis now);

// The same message without markup, for logs and tests.
std::string AlertPlainText(const Alert& alert, UnixMillis now);

}  // namespace heartbeat
