#pragma once
// Webhook templates (SPEC §14): a URL or a body with variables that an alert fills in.
//
// The variables: $SLUG, $PROJECT, $STATUS (down or up), $KIND (overdue, failed, repeat,
// recovered, timed_out, test), $MESSAGE (notify/message.h's AlertPlainText), $NOW (RFC 3339,
// UTC), $LAST_PING (RFC 3339, or empty), $EXIT_CODE (a number, or empty), $BODY_TAIL.
//
// How a template reads, left to right:
// - `$$` is a literal `$`;
// - `${NAME}` is the variable NAME, so that a variable may be followed by letters
//   (`${SLUG}X`);
// - `$` followed by a name ([A-Z_][A-Z0-9_]*) takes the whole name, the longest run of those
//   characters: `$SLUGX` is the name SLUGX, never $SLUG followed by X. A name that is not
//   a variable is refused when the channel is saved (ValidateTemplate);
// - any other `$` (followed by a digit, a lower-case letter, a space, the end) is itself.
//
// A value is escaped for where it lands: JSON-escaped in a JSON body (write "$MESSAGE",
// inside quotes: the value is the string's content), percent-encoded in a URL and in a form
// body (application/x-www-form-urlencoded), as it is in a plain-text body. Pure.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/alert.h"
#include "core/clock.h"
#include "core/result.h"
#include "core/utf8.h"  // JsonEscape

namespace heartbeat {

// The values of a template's variables.
struct TemplateValues {
  std::string slug;
  std::string project;
  std::string status;  // "down" or "up"
  std::string kind;    // "overdue", ..., "test"
  std::string message;
  std::string now;
  std::string last_ping;
  std::string exit_code;
  std::string body_tail;
};

// The values for `alert`, made at `now`. The alert's slug is its monitor's key
// (core/project.h): $PROJECT and $SLUG are its two parts.
TemplateValues AlertTemplateValues(const Alert& alert, UnixMillis now);

// The values of a test message to channel `name` of `project`: kind "test", status "up",
// an empty slug, and `message` as $MESSAGE.
TemplateValues TestTemplateValues(std::string_view project, std::string message, UnixMillis now);

enum class TemplateEscape { kJson, kUrl, kPlain };

// `text` with its variables replaced, each value escaped as `escape` says. A name that is
// not a variable (ValidateTemplate refuses it) is left as it was written.
std::string RenderTemplate(std::string_view text, const TemplateValues& values,
                           TemplateEscape escape);

// kInvalidArgument ("unknown variable $SLUGX ...", "unclosed ${") unless every `$` of
// `text` reads as the header says. The message does not name the field: callers prefix it.
Status ValidateTemplate(std::string_view text);

// Whether a webhook's body is JSON: its Content-Type header (any case) says json, or, when it
// has none, the template starts (after white space) with '{' or '['.
bool IsJsonBody(const std::vector<std::pair<std::string, std::string>>& headers,
                std::string_view body_template);

// How a webhook body's values are escaped: kJson for a JSON body (IsJsonBody), kUrl for a
// form (Content-Type application/x-www-form-urlencoded), else kPlain.
TemplateEscape BodyEscape(const std::vector<std::pair<std::string, std::string>>& headers,
                          std::string_view body_template);

// kInvalidArgument ("the template does not make valid JSON: ...") unless `body_template`,
// rendered JSON-escaped with hostile values (quotes, backslashes, new lines, control
// characters; an empty exit code and last ping, then -1, 0 and a time), and with every value
// empty, parses as JSON. A template that passes makes valid JSON with any alert's values
// (tests/notify/template_test.cc holds it to that on random templates).
Status CheckJsonTemplate(std::string_view body_template);

// Every byte but A-Z a-z 0-9 - . _ ~ as %XX.
std::string UrlEncode(std::string_view text);

}  // namespace heartbeat
