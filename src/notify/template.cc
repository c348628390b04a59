#include "notify/template.h"

#include <array>
#include <boost/json/parse.hpp>
#include <cctype>

#include "core/project.h"
#include "core/time_format.h"
#include "core/utf8.h"
#include "notify/message.h"

namespace heartbeat {
namespace {

constexpr std::array<std::string_view, 9> kNames = {
    "SLUG", "PROJECT", "STATUS", "KIND", "MESSAGE", "NOW", "LAST_PING", "EXIT_CODE", "BODY_TAIL"};

const std::string* Lookup(std::string_view name, const TemplateValues& v) {
  if (name == "SLUG") return &v.slug;
  if (name == "PROJECT") return &v.project;
  if (name == "STATUS") return &v.status;
  if (name == "KIND") return &v.kind;
  if (name == "MESSAGE") return &v.message;
  if (name == "NOW") return &v.now;
  if (name == "LAST_PING") return &v.last_ping;
  if (name == "EXIT_CODE") return &v.exit_code;
  if (name == "BODY_TAIL") return &v.body_tail;
  return nullptr;
}

bool IsNameStart(char c) { return (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

// One piece of a template: literal text, or a variable's name.
struct Piece {
  bool variable = false;
  std::string_view text;     // the literal, or the name
  std::string_view written;  // as written, for a name that is no variable
};

// Splits `text` by the rules in the header. Errors name the first problem.
Result<std::vector<Piece>> Scan(std::string_view text) {
  std::vector<Piece> pieces;
  std::size_t literal_start = 0;
  auto flush = [&](std::size_t end) {
    if (end > literal_start) {
      pieces.push_back({false, text.substr(literal_start, end - literal_start), {}});
    }
  };
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '$' || i + 1 >= text.size()) {
      ++i;
      continue;
    }
    const char next = text[i + 1];
    if (next == '$') {
      flush(i + 1);  // keeps one '$'
      i += 2;
      literal_start = i;
    } else if (next == '{') {
      std::size_t close = text.find('}', i + 2);
      if (close == std::string_view::npos) {
        return InvalidArgument("unclosed ${ at character " + std::to_string(i + 1) +
                               " (write $$ for a literal $)");
      }
      std::string_view name = text.substr(i + 2, close - i - 2);
      flush(i);
      pieces.push_back({true, name, text.substr(i, close + 1 - i)});
      i = close + 1;
      literal_start = i;
    } else if (IsNameStart(next)) {
      std::size_t end = i + 1;
      while (end < text.size() && IsNameChar(text[end])) ++end;
      flush(i);
      pieces.push_back({true, text.substr(i + 1, end - i - 1), text.substr(i, end - i)});
      i = end;
      literal_start = i;
    } else {
      ++i;
    }
  }
  flush(text.size());
  return pieces;
}

std::string Escaped(std::string_view value, TemplateEscape escape) {
  switch (escape) {
    case TemplateEscape::kJson:
      return JsonEscape(ValidUtf8(value));
    case TemplateEscape::kUrl:
      return UrlEncode(value);
    case TemplateEscape::kPlain:
      return std::string(value);
  }
  return std::string(value);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

TemplateValues AlertTemplateValues(const Alert& alert, UnixMillis now) {
  TemplateValues v;
  v.slug = std::string(SlugOfKey(alert.slug));
  v.project = std::string(ProjectOfKey(alert.slug));
  v.status = alert.kind == AlertKind::kRecovered ? "up" : "down";
  v.kind = std::string(ToString(alert.kind));
  v.message = AlertPlainText(alert, now);
  v.now = FormatRfc3339(now);
  v.last_ping = alert.last_ping ? FormatRfc3339(*alert.last_ping) : "";
  v.exit_code = alert.exit_code ? std::to_string(*alert.exit_code) : "";
  v.body_tail = alert.body_tail;
  return v;
}

TemplateValues TestTemplateValues(std::string_view project, std::string message, UnixMillis now) {
  TemplateValues v;
  v.project = std::string(project);
  v.status = "up";
  v.kind = "test";
  v.message = std::move(message);
  v.now = FormatRfc3339(now);
  return v;
}

std::string RenderTemplate(std::string_view text, const TemplateValues& values,
                           TemplateEscape escape) {
  Result<std::vector<Piece>> pieces = Scan(text);
  if (!pieces.ok()) return std::string(text);  // refused on save; sent as written
  std::string out;
  out.reserve(text.size() + 64);
  for (const Piece& p : *pieces) {
    if (!p.variable) {
      out += p.text;
    } else if (const std::string* value = Lookup(p.text, values)) {
      out += Escaped(*value, escape);
    } else {
      out += p.written;
    }
  }
  return out;
}

Status ValidateTemplate(std::string_view text) {
  Result<std::vector<Piece>> pieces = Scan(text);
  if (!pieces.ok()) return pieces.error();
  for (const Piece& p : *pieces) {
    if (!p.variable) continue;
    bool known = false;
    for (std::string_view name : kNames) known = known || name == p.text;
    if (!known) {
      return InvalidArgument("unknown variable " + std::string(p.written) +
                             " (the variables: $SLUG, $PROJECT, $STATUS, $KIND, $MESSAGE, $NOW, "
                             "$LAST_PING, $EXIT_CODE, $BODY_TAIL; write $$ for a literal $)");
    }
  }
  return Ok{};
}

bool IsJsonBody(const std::vector<std::pair<std::string, std::string>>& headers,
                std::string_view body_template) {
  for (const auto& [name, value] : headers) {
    if (Lower(name) == "content-type") return Lower(value).find("json") != std::string::npos;
  }
  std::size_t first = body_template.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos &&
         (body_template[first] == '{' || body_template[first] == '[');
}

TemplateEscape BodyEscape(const std::vector<std::pair<std::string, std::string>>& headers,
                          std::string_view body_template) {
  if (IsJsonBody(headers, body_template)) return TemplateEscape::kJson;
  for (const auto& [name, value] : headers) {
    if (Lower(name) == "content-type" &&
        Lower(value).find("application/x-www-form-urlencoded") != std::string::npos) {
      return TemplateEscape::kUrl;
    }
  }
  return TemplateEscape::kPlain;
}

Status CheckJsonTemplate(std::string_view body_template) {
  TemplateValues hostile;
  hostile.slug = "a\"b\\c";
  hostile.project = "p\"\\";
  hostile.status = "down";
  hostile.kind = "failed";
  hostile.message = "line \"one\"\nline\\two\r\n\t\x01\x1f end } ] ,";
  hostile.now = "2026-01-02T03:04:05Z";
  hostile.last_ping = "";
  hostile.exit_code = "";
  hostile.body_tail = "\"}\n{\\\x7f\x02 \xe2\x80\xa8 \xff";
  // A number next to a bare $EXIT_CODE, or a bare $LAST_PING, breaks only with a value.
  TemplateValues with_numbers = hostile;
  with_numbers.exit_code = "-1";
  with_numbers.last_ping = "2026-01-02T03:04:05Z";
  TemplateValues zero = with_numbers;
  zero.exit_code = "0";
  for (const TemplateValues& values : {hostile, with_numbers, zero, TemplateValues{}}) {
    std::string rendered = RenderTemplate(body_template, values, TemplateEscape::kJson);
    boost::system::error_code ec;
    boost::json::parse(rendered, ec);
    if (ec) {
      return InvalidArgument("the template does not make valid JSON: " + ec.message() +
                             " (put each variable inside quotes, e.g. \"$EXIT_CODE\": a value "
                             "may be empty or hold any character)");
    }
  }
  return Ok{};
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

}  // namespace heartbeat
