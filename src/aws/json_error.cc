#include "aws/json_error.h"

#include <boost/json/object.hpp>

namespace heartbeat::aws {

std::string ShortErrorType(std::string_view type) {
  if (auto hash = type.rfind('#'); hash != std::string_view::npos) type.remove_prefix(hash + 1);
  if (auto colon = type.find(':'); colon != std::string_view::npos) type = type.substr(0, colon);
  return Printable(type.substr(0, 100));
}

std::string Printable(std::string_view s, std::size_t max) {
  std::string out;
  for (char c : s.substr(0, max)) {
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  }
  if (s.size() > max) out += "...";
  return out;
}

JsonErrorAnswer ReadJsonError(const boost::json::value* body, const HttpResult& result) {
  JsonErrorAnswer e;
  if (body != nullptr && body->is_object()) {
    const boost::json::object& o = body->as_object();
    if (auto* t = o.if_contains("__type"); t && t->is_string())
      e.type = ShortErrorType(t->as_string());
    for (const char* field : {"message", "Message"}) {
      if (auto* m = o.if_contains(field); m && m->is_string()) {
        e.message = Printable(m->as_string());
        break;
      }
    }
  }
  if (e.type.empty()) {
    if (const std::string* h = result.Header("x-amzn-errortype")) e.type = ShortErrorType(*h);
  }
  return e;
}

}  // namespace heartbeat::aws
