#include "notify/telegram.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "notify/message.h"

namespace heartbeat {

boost::json::value AlertKeyboard(const Alert& alert) {
  if (alert.kind == AlertKind::kRecovered || alert.uuid.empty()) return nullptr;
  auto button = [&](std::string_view text, std::string_view action) {
    return boost::json::object{{"text", text},
                               {"callback_data", std::string(action) + ":" + alert.uuid}};
  };
  boost::json::array row{button("Snooze 1 h", "snooze"), button("Pause", "pause"),
                         button("Acknowledge", "ack")};
  // One row of buttons. Not array{row}: a braced list of one array is its copy with some
  // compilers (clang), which would send the buttons flat, and Telegram refuses that.
  boost::json::array rows;
  rows.emplace_back(std::move(row));
  return boost::json::object{{"inline_keyboard", std::move(rows)}};
}

SendOutcome TelegramNotifier::Send(const Alert& alert) {
  return Post(AlertMarkdownV2(alert, clock_.Now()), AlertKeyboard(alert));
}

SendOutcome TelegramNotifier::SendText(const std::string& markdown_v2) {
  return Post(markdown_v2, nullptr);
}

SendOutcome TelegramNotifier::Post(const std::string& markdown_v2,
                                   const boost::json::value& reply_markup) {
  boost::json::object body;
  body["chat_id"] = options_.chat_id;
  body["text"] = markdown_v2;
  body["parse_mode"] = "MarkdownV2";
  body["disable_web_page_preview"] = true;
  if (!reply_markup.is_null()) body["reply_markup"] = reply_markup;

  HttpRequest req;
  req.method = "POST";
  std::string base = options_.api_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  req.url = base + "/bot" + options_.bot_token + "/sendMessage";
  req.headers = {{"Content-Type", "application/json"}};
  req.body = boost::json::serialize(body);
  req.connect_timeout = options_.connect_timeout;
  req.total_timeout = options_.total_timeout;

  HttpResult res = http_.Send(req);
  SendOutcome out;
  if (!res.transport_ok) {
    out.kind = SendOutcome::Kind::kRetry;
    out.detail = "Telegram unreachable: " + res.error;
    return out;
  }
  // The description Telegram gives, for logs (it never echoes the token).
  std::string description;
  std::optional<std::int64_t> retry_after;
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(res.body, ec);
  if (!ec && parsed.is_object()) {
    const auto& o = parsed.as_object();
    if (auto* d = o.if_contains("description"); d != nullptr && d->is_string()) {
      description = std::string(d->as_string());
    }
    if (auto* p = o.if_contains("parameters"); p != nullptr && p->is_object()) {
      if (auto* r = p->as_object().if_contains("retry_after"); r != nullptr && r->is_int64()) {
        retry_after = r->as_int64();
      }
    }
  }
  std::string what = "Telegram answered " + std::to_string(res.status) +
                     (description.empty() ? "" : ": " + description);
  if (res.status == 200) {
    out.kind = SendOutcome::Kind::kSent;
  } else if (res.status == 429) {
    out.kind = SendOutcome::Kind::kRetry;
    if (retry_after && *retry_after >= 0) out.retry_after = std::chrono::seconds(*retry_after);
  } else if (res.status == 400) {
    out.kind = SendOutcome::Kind::kRejected;
  } else {
    out.kind = SendOutcome::Kind::kRetry;
  }
  out.detail = what;
  return out;
}

}  // namespace heartbeat
