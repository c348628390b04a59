#include "notify/email.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "http_client/ca_bundle.h"
#include "http_client/curl_exchange.h"

namespace heartbeat {
namespace {

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned n = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == in.size()) {
    const unsigned n = static_cast<unsigned char>(in[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const unsigned n =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x7f;
  });
}

// RFC 2047 encoded words of at most 45 bytes each (60 characters of base64), cut between
// UTF-8 characters, folded onto continuation lines.
std::string EncodedHeader(std::string_view text) {
  if (IsAscii(text)) return std::string(text);
  std::string out;
  while (!text.empty()) {
    std::size_t n = std::min<std::size_t>(45, text.size());
    while (n < text.size() && n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
    if (n == 0) n = std::min<std::size_t>(45, text.size());
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64(text.substr(0, n)) + "?=";
    text.remove_prefix(n);
  }
  return out;
}

// A header's text on one line: line breaks and other control characters become spaces.
std::string OneLine(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return out;
}

std::string Scheme(std::string_view url) {
  std::size_t colon = url.find("://");
  if (colon == std::string_view::npos) return {};
  std::string scheme(url.substr(0, colon));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return scheme;
}

// The URL's password, to cut from curl's messages should one ever quote it.
std::string Password(std::string_view url) {
  std::size_t start = url.find("://");
  if (start == std::string_view::npos) return {};
  start += 3;
  std::size_t at = url.find('@', start);
  std::size_t slash = url.find('/', start);
  if (at == std::string_view::npos || (slash != std::string_view::npos && slash < at)) return {};
  std::size_t colon = url.find(':', start);
  if (colon == std::string_view::npos || colon > at) return {};
  return std::string(url.substr(colon + 1, at - colon - 1));
}

std::string Scrubbed(std::string text, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    if (secret.size() < 3) continue;
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
      text.replace(at, secret.size(), "(hidden)");
    }
  }
  return text;
}

// libcurl's upload source: the message, read in place.
struct Reader {
  const std::string* message;
  std::size_t offset = 0;
  static std::size_t Read(char* buffer, std::size_t size, std::size_t n, void* self) {
    auto* r = static_cast<Reader*>(self);
    const std::size_t take = std::min(size * n, r->message->size() - r->offset);
    // Bytes into curl's buffer, not a C string.
    std::memcpy(buffer, r->message->data() + r->offset, take);  // NOLINT(bugprone-not-null-*)
    r->offset += take;
    return take;
  }
};

// libcurl's progress callback (about once a second, and as data moves): non-zero aborts.
int AbortWhenCancelled(void* cancelled, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return (*static_cast<const std::function<bool()>*>(cancelled))() ? 1 : 0;
}

SendOutcome Outcome(SendOutcome::Kind kind, std::string detail) {
  SendOutcome out;
  out.kind = kind;
  out.detail = std::move(detail);
  return out;
}

}  // namespace

Status ValidateSmtpOptions(const SmtpOptions& options) {
  if (options.url.empty()) return InvalidArgument("SMTP_URL: not set (e.g. smtp://host:587)");
  const std::string scheme = Scheme(options.url);
  if (options.tls == "starttls" || options.tls == "none") {
    if (scheme != "smtp") {
      return InvalidArgument("SMTP_URL: must start with smtp:// when SMTP_TLS is " + options.tls);
    }
  } else if (options.tls == "tls") {
    if (scheme != "smtp" && scheme != "smtps") {
      return InvalidArgument(
          "SMTP_URL: must start with smtps:// (or smtp://) when SMTP_TLS is tls");
    }
  } else {
    return InvalidArgument("SMTP_TLS: one of starttls, tls, none");
  }
  const std::string address = SmtpFromAddress(options.from);
  if (address.empty() || address.find('@') == std::string::npos || !IsAscii(options.from) ||
      address.find_first_of(" <>") != std::string::npos) {
    return InvalidArgument("SMTP_FROM: an e-mail address (e.g. heartbeat@example.com)");
  }
  return Ok{};
}

std::string SmtpFromAddress(std::string_view from) {
  std::size_t open = from.find('<');
  std::size_t close = from.rfind('>');
  if (open != std::string_view::npos && close != std::string_view::npos && close > open) {
    return std::string(from.substr(open + 1, close - open - 1));
  }
  while (!from.empty() && from.front() == ' ') from.remove_prefix(1);
  while (!from.empty() && from.back() == ' ') from.remove_suffix(1);
  return std::string(from);
}

std::string FormatRfc5322Date(UnixMillis t) {
  std::time_t secs = static_cast<std::time_t>(t / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string BuildEmail(std::string_view from, const std::vector<std::string>& to,
                       std::string_view subject, std::string_view body, UnixMillis now,
                       std::string_view message_id) {
  std::string to_line;
  for (const std::string& address : to) {
    if (!to_line.empty()) to_line += ", ";
    to_line += address;
  }
  std::string m;
  m += "Date: " + FormatRfc5322Date(now) + "\r\n";
  m += "From: " + OneLine(from) + "\r\n";
  m += "To: " + to_line + "\r\n";
  m += "Subject: " + EncodedHeader(OneLine(subject)) + "\r\n";
  m += "Message-ID: <" + OneLine(message_id) + ">\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: text/plain; charset=UTF-8\r\n";
  m += "Content-Transfer-Encoding: base64\r\n";
  m += "Auto-Submitted: auto-generated\r\n";
  m += "\r\n";
  const std::string encoded = Base64(body);
  for (std::size_t i = 0; i < encoded.size(); i += 76) m += encoded.substr(i, 76) + "\r\n";
  return m;
}

SendOutcome SendSmtp(const SmtpOptions& options, const std::vector<std::string>& to,
                     const std::string& message, SmtpTimeouts timeouts,
                     const std::function<bool()>& cancelled) {
  using Kind = SendOutcome::Kind;
  const std::vector<std::string> secrets = {options.url, Password(options.url)};
  if (Status s = ValidateSmtpOptions(options); !s.ok()) {
    return Outcome(Kind::kRejected, "e-mail not sent: " + s.error().message);
  }
  std::string url = options.url;
  if (options.tls == "tls" && Scheme(url) == "smtp") url.insert(4, "s");

  net_internal::EnsureCurlGlobalInit();
  CURL* easy = curl_easy_init();
  if (easy == nullptr) return Outcome(Kind::kRetry, "SMTP: curl_easy_init failed");
  curl_slist* rcpt = nullptr;
  for (const std::string& address : to)
    rcpt = curl_slist_append(rcpt, ("<" + address + ">").c_str());
  const std::string mail_from = "<" + SmtpFromAddress(options.from) + ">";
  Reader reader{&message};
  char error[CURL_ERROR_SIZE] = {};

  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(easy, CURLOPT_USE_SSL,
                   options.tls == "none" ? static_cast<long>(CURLUSESSL_NONE)
                                         : static_cast<long>(CURLUSESSL_ALL));
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options.ca_file.empty()) {
    curl_easy_setopt(easy, CURLOPT_CAINFO, options.ca_file.c_str());
  } else if (const std::string& ca = CaBundleOverride(); !ca.empty()) {
    curl_easy_setopt(easy, CURLOPT_CAINFO, ca.c_str());
  }
  curl_easy_setopt(easy, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(easy, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(easy, CURLOPT_READFUNCTION, &Reader::Read);
  curl_easy_setopt(easy, CURLOPT_READDATA, &reader);
  curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeouts.connect.count()));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(timeouts.total.count()));
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error);
  if (cancelled) {
    curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, &AbortWhenCancelled);
    curl_easy_setopt(easy, CURLOPT_XFERINFODATA, &cancelled);
    curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
  }

  const CURLcode rc = curl_easy_perform(easy);
  long code = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(easy);
  curl_slist_free_all(rcpt);

  if (rc == CURLE_OK) return Outcome(Kind::kSent, "SMTP server accepted the message");
  std::string detail = std::string("SMTP: ") + curl_easy_strerror(rc);
  if (error[0] != '\0') detail += std::string(": ") + error;
  if (code > 0) detail += " (server answered " + std::to_string(code) + ")";
  detail = Scrubbed(std::move(detail), secrets);
  if (rc == CURLE_ABORTED_BY_CALLBACK) {
    return Outcome(Kind::kRetry, "SMTP: cancelled: heartbeat is stopping");
  }
  if (rc == CURLE_USE_SSL_FAILED) {
    return Outcome(Kind::kRetry, detail + "; SMTP_TLS is " + options.tls +
                                     ": the message is not sent without TLS");
  }
  if (code >= 500 && code < 600) return Outcome(Kind::kRejected, detail);
  return Outcome(Kind::kRetry, detail);
}

}  // namespace heartbeat
