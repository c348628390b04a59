#include "http_server/static_files.h"

#include <string>

namespace heartbeat::http {
namespace embedded {
struct Entry {
  const char* name;
  const unsigned char* data;
  std::size_t size;
};
extern const Entry kFiles[];
extern const std::size_t kFileCount;
}  // namespace embedded

namespace {

std::string_view ContentType(std::string_view name) {
  auto ends_with = [&](std::string_view suffix) {
    return name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
  };
  if (ends_with(".html")) return "text/html; charset=utf-8";
  if (ends_with(".js")) return "text/javascript; charset=utf-8";
  if (ends_with(".css")) return "text/css; charset=utf-8";
  if (ends_with(".svg")) return "image/svg+xml";
  if (ends_with(".png")) return "image/png";
  return "application/octet-stream";
}

}  // namespace

std::optional<StaticFile> FindStaticFile(std::string_view path) {
  std::string_view name;
  if (path == "/" || path == "/ui" || path == "/ui/") {
    name = "index.html";
  } else if (path.substr(0, 4) == "/ui/") {
    name = path.substr(4);
  } else {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < embedded::kFileCount; ++i) {
    const embedded::Entry& e = embedded::kFiles[i];
    if (name == e.name) {
      return StaticFile{ContentType(name),
                        std::string_view(reinterpret_cast<const char*>(e.data), e.size)};
    }
  }
  return std::nullopt;
}

}  // namespace heartbeat::http
