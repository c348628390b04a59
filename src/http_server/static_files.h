#pragma once
// The dashboard's files (HTML, CSS, JavaScript), compiled into the binary: nothing is
// read from disk or fetched from elsewhere at run time.

#include <optional>
#include <string_view>

namespace heartbeat::http {

struct StaticFile {
  std::string_view content_type;
  std::string_view body;
};

// The file served at `path` ("/" and "/ui/" are the dashboard page, "/ui/app.js" ...),
// or nullopt.
std::optional<StaticFile> FindStaticFile(std::string_view path);

// Headers every dashboard response carries: a strict Content-Security-Policy (no inline
// script, nothing from other origins, no framing), X-Content-Type-Options, and so on.
inline constexpr std::pair<std::string_view, std::string_view> kStaticSecurityHeaders[] = {
    {"Content-Security-Policy",
     "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"},
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
    {"Cache-Control", "no-cache"},
};

}  // namespace heartbeat::http
