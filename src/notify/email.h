#pragma once
// E-mail over SMTP (SPEC §14), with libcurl's SMTP: the message (RFC 5322 headers, UTF-8
// plain text) and its sending, with SMTP_TLS's three modes.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "notify/notifier.h"

namespace heartbeat {

// SMTP_URL, SMTP_TLS, SMTP_FROM (SPEC §14).
struct SmtpOptions {
  std::string url;               // smtp://user:pass@host:587 (secret: the password)
  std::string tls = "starttls";  // starttls | tls | none
  std::string from;              // "ops@example.com" or "Heartbeat <ops@example.com>"
  // Trusted CA certificates for the server's (tests: a self-signed one); empty: the system's.
  std::string ca_file = {};
};

// kInvalidArgument naming the setting ("SMTP_TLS: ...") unless the options can send: a URL
// of smtp:// (smtps:// for tls, which also takes smtp:// and makes it smtps://), a known
// SMTP_TLS, a SMTP_FROM with an address and no line break. Never quotes the URL.
Status ValidateSmtpOptions(const SmtpOptions& options);

// The address inside SMTP_FROM: what is between '<' and '>', else all of it.
std::string SmtpFromAddress(std::string_view from);

// The message as sent: Date, From, To, Subject (RFC 2047 when not ASCII), Message-ID
// (<message_id>), MIME-Version, Content-Type text/plain UTF-8, base64 body; CRLF lines.
std::string BuildEmail(std::string_view from, const std::vector<std::string>& to,
                       std::string_view subject, std::string_view body, UnixMillis now,
                       std::string_view message_id);

// "Tue, 08 Dec 2026 01:32:21 +0000"
std::string FormatRfc5322Date(UnixMillis t);

struct SmtpTimeouts {
  std::chrono::milliseconds connect{5000};
  std::chrono::milliseconds total{30'000};
};

// Sends `message` (BuildEmail's) to `to` through the server of `options`. Blocking.
// Sent once the server accepted it; kRetry for transport failures, timeouts, 4xx answers and
// a server that offers no STARTTLS when SMTP_TLS is starttls (the message is never sent in
// clear then); kRejected for 5xx answers (a refused recipient, bad credentials) and options
// that cannot send. The detail never holds the password or the URL.
// `cancelled`, when set, is asked about once a second: true abandons the send (kRetry).
SendOutcome SendSmtp(const SmtpOptions& options, const std::vector<std::string>& to,
                     const std::string& message, SmtpTimeouts timeouts,
                     const std::function<bool()>& cancelled = {});

}  // namespace heartbeat
