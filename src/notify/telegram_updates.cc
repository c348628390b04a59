#include "notify/telegram_updates.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <exception>
#include <map>
#include <set>
#include <utility>

#include "core/project.h"

namespace heartbeat {

struct TelegramButtons::Poller {
  std::string token;
  bool stop = false;  // guarded by TelegramButtons::mu_
  std::atomic<bool> done{false};
  std::thread thread;
};

namespace {

// The texts say "1 h".
static_assert(kButtonSnooze == std::chrono::hours(1));

// The answers shown to whoever pressed (answerCallbackQuery: up to 200 characters).
constexpr char kNotAllowed[] = "Not allowed here";
constexpr char kUnknownButton[] = "Unknown button";
constexpr char kUnknownMonitor[] = "Unknown monitor";
constexpr char kFailed[] = "Failed, try again";

// A token is "<bot id>:<secret>": the bot's id is public (it is the bot's user id), so logs
// name a bot by it and never show the rest.
std::string BotLabel(std::string_view token) {
  const auto colon = token.find(':');
  const std::string_view id = token.substr(0, colon);
  const bool digits =
      colon != std::string_view::npos && !id.empty() &&
      std::all_of(id.begin(), id.end(), [](unsigned char c) { return std::isdigit(c); });
  return digits ? "bot " + std::string(id) : std::string("a bot");
}

std::string BaseUrl(std::string base) {
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

// One Bot API call's answer, read.
struct ApiAnswer {
  bool transport_ok = false;
  long status = 0;
  std::string error;        // transport failure (without the URL)
  std::string description;  // Telegram's (it never echoes the token)
  std::optional<std::int64_t> retry_after;
  std::optional<boost::json::value> result;  // "result" of an {"ok":true} answer

  bool ok() const { return transport_ok && status == 200 && result.has_value(); }
  std::string What() const {
    if (!transport_ok) return "unreachable: " + error;
    if (status == 200 && !result) return "an unreadable answer";
    return "answered " + std::to_string(status) + (description.empty() ? "" : ": " + description);
  }
};

ApiAnswer Call(HttpClient& http, const std::string& url, const boost::json::object& body,
               std::chrono::milliseconds connect_timeout, std::chrono::milliseconds timeout) {
  HttpRequest req;
  req.method = "POST";
  req.url = url;
  req.headers = {{"Content-Type", "application/json"}};
  req.body = boost::json::serialize(body);
  req.connect_timeout = connect_timeout;
  req.total_timeout = timeout;
  HttpResult res = http.Send(req);
  ApiAnswer a;
  a.transport_ok = res.transport_ok;
  a.status = res.status;
  a.error = res.error;
  if (!res.transport_ok) return a;
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(res.body, ec);
  if (ec || !parsed.is_object()) return a;
  auto& o = parsed.as_object();
  if (auto* d = o.if_contains("description"); d != nullptr && d->is_string()) {
    a.description = std::string(d->as_string());
  }
  if (auto* p = o.if_contains("parameters"); p != nullptr && p->is_object()) {
    if (auto* r = p->as_object().if_contains("retry_after"); r != nullptr && r->is_int64()) {
      a.retry_after = r->as_int64();
    }
  }
  auto* ok = o.if_contains("ok");
  auto* result = o.if_contains("result");
  if (ok != nullptr && ok->is_bool() && ok->as_bool() && result != nullptr) {
    a.result = std::move(*result);
  }
  return a;
}

const boost::json::object* Object(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_object() ? &v->as_object() : nullptr;
}

std::string String(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::optional<std::int64_t> Int(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(v->as_uint64());
  }
  return std::nullopt;
}

// Who pressed, as the message says it: "@username", else the name Telegram shows.
std::string Who(const boost::json::object* from) {
  if (from == nullptr) return "someone";
  if (std::string u = String(*from, "username"); !u.empty()) return "@" + u;
  std::string name = String(*from, "first_name");
  if (std::string last = String(*from, "last_name"); !last.empty()) {
    name += name.empty() ? last : " " + last;
  }
  if (!name.empty()) return name;
  if (auto id = Int(*from, "id")) return "user " + std::to_string(*id);
  return "someone";
}

bool EqualNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Whether `chat` (a message's) is one of `allowed`: a numeric id, or "@username" for a
// public channel or group (usernames are case-insensitive).
bool ChatAllowed(const boost::json::object& chat, const std::vector<std::string>& allowed) {
  const auto id = Int(chat, "id");
  const std::string username = String(chat, "username");
  for (const std::string& a : allowed) {
    if (id && a == std::to_string(*id)) return true;
    if (!username.empty() && a.size() > 1 && a[0] == '@' &&
        EqualNoCase(std::string_view(a).substr(1), username)) {
      return true;
    }
  }
  return false;
}

// What the answer to a done press says, e.g. "Snoozed nightly-backup for 1 h".
std::string DoneAnswer(ButtonAction::Kind kind, const std::string& name) {
  std::string text;
  switch (kind) {
    case ButtonAction::Kind::kSnooze:
      text = "Snoozed " + name + " for 1 h";
      break;
    case ButtonAction::Kind::kPause:
      text = "Paused " + name;
      break;
    case ButtonAction::Kind::kAck:
      text = "Acknowledged " + name;
      break;
  }
  // answerCallbackQuery takes 200 characters; a long name is cut on a UTF-8 boundary.
  if (text.size() > 190) {
    std::size_t n = 187;
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
    text = text.substr(0, n) + "...";
  }
  return text;
}

}  // namespace

std::vector<TelegramBot> TelegramBotsOf(const std::vector<Channel>& channels) {
  std::map<std::string, std::set<std::string>> chats;  // by token
  for (const Channel& c : channels) {
    if (c.kind != ChannelKind::kTelegram || c.bot_token.empty() || c.chat_id.empty()) continue;
    chats[c.bot_token].insert(c.chat_id);
  }
  std::vector<TelegramBot> bots;
  for (auto& [token, ids] : chats) {
    bots.push_back(TelegramBot{token, std::vector<std::string>(ids.begin(), ids.end())});
  }
  return bots;
}

std::string_view ToString(ButtonAction::Kind kind) {
  switch (kind) {
    case ButtonAction::Kind::kSnooze:
      return "snooze";
    case ButtonAction::Kind::kPause:
      return "pause";
    case ButtonAction::Kind::kAck:
      return "ack";
  }
  return "?";
}

std::optional<ButtonData> ParseButtonData(std::string_view data) {
  const auto colon = data.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view verb = data.substr(0, colon);
  const std::string_view uuid = data.substr(colon + 1);
  if (!IsUuid(uuid)) return std::nullopt;
  for (auto kind :
       {ButtonAction::Kind::kSnooze, ButtonAction::Kind::kPause, ButtonAction::Kind::kAck}) {
    if (verb == ToString(kind)) return ButtonData{kind, std::string(uuid)};
  }
  return std::nullopt;
}

std::string ButtonDoneLine(ButtonAction::Kind kind, std::string_view who) {
  switch (kind) {
    case ButtonAction::Kind::kSnooze:
      return "🔕 Snoozed for 1 h by " + std::string(who);
    case ButtonAction::Kind::kPause:
      return "⏸ Paused by " + std::string(who);
    case ButtonAction::Kind::kAck:
      return "👌 Acknowledged by " + std::string(who);
  }
  return {};
}

TelegramButtons::TelegramButtons(HttpClient& http, TelegramButtonsOptions options, BotsFn bots,
                                 ActionFn action, const Clock& clock)
    : http_(http),
      options_(std::move(options)),
      bots_(std::move(bots)),
      action_(std::move(action)),
      clock_(clock) {}

TelegramButtons::~TelegramButtons() { Stop(); }

void TelegramButtons::Start() {
  std::lock_guard lock(mu_);
  if (started_ || stopping_) return;
  started_ = true;
  supervisor_ = std::thread([this] { Supervise(); });
}

void TelegramButtons::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (supervisor_.joinable()) supervisor_.join();
}

bool TelegramButtons::Stopping(const Poller* poller) const {
  std::lock_guard lock(mu_);
  return stopping_ || (poller != nullptr && poller->stop);
}

bool TelegramButtons::Wait(const Poller* poller, std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, d, [&] { return stopping_ || (poller != nullptr && poller->stop); });
}

void TelegramButtons::Supervise() {
  for (;;) {
    std::set<std::string> tokens;
    try {
      for (const TelegramBot& bot : bots_()) {
        if (!bot.token.empty() && !bot.chat_ids.empty()) tokens.insert(bot.token);
      }
    } catch (const std::exception& e) {
      spdlog::error("Telegram buttons: reading the channels failed: {}", e.what());
    }
    {
      std::lock_guard lock(mu_);
      for (auto& p : pollers_) {
        if (tokens.count(p->token) == 0) p->stop = true;
      }
    }
    cv_.notify_all();
    // Ended pollers go; a token whose poller is still ending gets a new one at a later
    // round, never two at once (Telegram would answer one of them 409).
    std::erase_if(pollers_, [](std::unique_ptr<Poller>& p) {
      if (!p->done.load()) return false;
      p->thread.join();
      return true;
    });
    for (const std::string& token : tokens) {
      const bool running = std::any_of(pollers_.begin(), pollers_.end(),
                                       [&](const auto& p) { return p->token == token; });
      if (running) continue;
      auto p = std::make_unique<Poller>();
      p->token = token;
      Poller& ref = *p;
      p->thread = std::thread([this, &ref] {
        try {
          Poll(ref);
        } catch (const std::exception& e) {
          spdlog::critical("Telegram buttons of {}: the poller ended: {}", BotLabel(ref.token),
                           e.what());
        } catch (...) {
          spdlog::critical("Telegram buttons of {}: the poller ended", BotLabel(ref.token));
        }
        ref.done.store(true);
      });
      pollers_.push_back(std::move(p));
    }
    if (!Wait(nullptr, options_.refresh)) break;
  }
  for (auto& p : pollers_) p->thread.join();
  pollers_.clear();
}

void TelegramButtons::Poll(Poller& p) {
  const std::string label = BotLabel(p.token);
  const std::string url = BaseUrl(options_.api_url) + "/bot" + p.token + "/getUpdates";
  std::optional<std::int64_t> offset;
  // Received, not yet confirmed: applied once the next getUpdates (with the offset past
  // them) succeeded, so that no restart can see them again.
  std::vector<boost::json::object> pending;
  std::chrono::milliseconds backoff = options_.min_backoff;
  bool failing = false;  // a failure was logged: the recovery is logged too
  bool refused = false;  // a 409/401/404 was logged: not again until a success
  for (;;) {
    const bool stopping = Stopping(&p);
    if (stopping && pending.empty()) return;
    // A batch waiting to be confirmed is confirmed at once (timeout 0), not after a poll.
    const bool quick = stopping || !pending.empty();
    boost::json::object body;
    if (offset) body["offset"] = *offset;
    body["timeout"] = quick ? 0 : options_.poll_timeout.count();
    body["allowed_updates"] = boost::json::array{"callback_query"};
    const auto timeout =
        options_.call_timeout + (quick ? std::chrono::milliseconds(0) : options_.poll_timeout);
    const auto sent = clock_.Steady();
    ApiAnswer a = Call(http_, url, body, options_.connect_timeout, timeout);
    if (a.ok() && a.result->is_array()) {
      if (failing || refused) spdlog::info("Telegram getUpdates of {} works again", label);
      failing = refused = false;
      backoff = options_.min_backoff;
      for (const auto& update : pending) {
        try {
          HandleUpdate(p.token, update);
        } catch (const std::exception& e) {
          spdlog::error("Telegram buttons of {}: a press failed: {}", label, e.what());
        }
      }
      pending.clear();
      // What a stopping poller received is left unconfirmed, to the next poller.
      if (stopping) return;
      for (const auto& v : a.result->as_array()) {
        if (!v.is_object()) continue;
        const auto id = Int(v.as_object(), "update_id");
        if (!id || (offset && *id < *offset)) continue;
        pending.push_back(v.as_object());
        offset = std::max(offset.value_or(*id + 1), *id + 1);
      }
      // Telegram holds an empty poll for its timeout; one that did not wait is not repeated
      // at once.
      const bool at_once =
          options_.poll_timeout.count() == 0 || clock_.Steady() - sent < options_.poll_timeout / 2;
      if (!quick && pending.empty() && at_once) Wait(&p, options_.min_backoff);
      continue;
    }
    if (stopping) return;  // the batch stays unconfirmed: the next poller applies it
    std::chrono::milliseconds wait = backoff;
    const long status = a.transport_ok ? a.status : 0;
    if (status == 409 || status == 401 || status == 404) {
      // 409: another process polls this bot, or a webhook is set; 401/404: a revoked or
      // wrong token. Nothing to do but wait for someone to fix it.
      if (!refused) {
        spdlog::warn(
            "Telegram getUpdates of {} {}{}: its buttons are not read; trying again every {:g} s",
            label, a.What(),
            status == 409 ? " (another process reads this bot's updates, or a webhook is set)" : "",
            std::chrono::duration<double>(options_.slow_retry).count());
      }
      refused = true;
      wait = options_.slow_retry;
    } else {
      if (status == 429 && a.retry_after) {
        wait = std::max(wait, std::chrono::milliseconds(std::chrono::seconds(*a.retry_after)));
      }
      if (!failing) {
        spdlog::warn("Telegram getUpdates of {} failed ({}): trying again in {} ms", label,
                     a.What(), wait.count());
      } else {
        spdlog::debug("Telegram getUpdates of {} failed again ({})", label, a.What());
      }
      failing = true;
      backoff = std::min(options_.max_backoff, backoff * 2);
    }
    Wait(&p, wait);
  }
}

void TelegramButtons::AnswerPress(const std::string& token, const std::string& callback_id,
                                  const std::string& text) {
  boost::json::object body{{"callback_query_id", callback_id}, {"text", text}};
  ApiAnswer a = Call(http_, BaseUrl(options_.api_url) + "/bot" + token + "/answerCallbackQuery",
                     body, options_.connect_timeout, options_.call_timeout);
  // A press not answered in time only spins a little longer on the user's screen.
  if (!a.ok()) {
    spdlog::warn("Telegram answerCallbackQuery of {} {}", BotLabel(token), a.What());
  }
}

void TelegramButtons::HandleUpdate(const std::string& token, const boost::json::object& update) {
  const boost::json::object* press = Object(update, "callback_query");
  if (press == nullptr) return;  // allowed_updates asks for presses only
  const std::string callback_id = String(*press, "id");
  if (callback_id.empty()) return;
  const std::string label = BotLabel(token);
  const std::string who = Who(Object(*press, "from"));
  const std::string data = String(*press, "data");

  // Only a press on a message in one of the bot's channels' chats counts. A message too old
  // for the bot to see still has its chat; a press on an inline message has none.
  const boost::json::object* message = Object(*press, "message");
  const boost::json::object* chat = message != nullptr ? Object(*message, "chat") : nullptr;
  std::vector<std::string> allowed;
  for (const TelegramBot& bot : bots_()) {
    if (bot.token == token) allowed.insert(allowed.end(), bot.chat_ids.begin(), bot.chat_ids.end());
  }
  if (chat == nullptr || !ChatAllowed(*chat, allowed)) {
    const auto chat_id = chat != nullptr ? Int(*chat, "id") : std::nullopt;
    spdlog::warn("Telegram buttons of {}: a press by {} in chat {} refused: not a channel's chat",
                 label, who, chat_id ? std::to_string(*chat_id) : std::string("(none)"));
    AnswerPress(token, callback_id, kNotAllowed);
    return;
  }
  const std::optional<ButtonData> button = ParseButtonData(data);
  if (!button) {
    spdlog::warn("Telegram buttons of {}: a press by {} with unknown data refused", label, who);
    AnswerPress(token, callback_id, kUnknownButton);
    return;
  }
  const ButtonAction action{button->kind, button->uuid, who};
  Result<std::string> done = action_(action);
  if (!done) {
    const bool unknown = done.error().code == ErrorCode::kNotFound;
    spdlog::warn("Telegram buttons of {}: {} of {} by {} failed: {}", label, ToString(action.kind),
                 action.uuid, who, done.error().message);
    AnswerPress(token, callback_id, unknown ? kUnknownMonitor : kFailed);
    return;
  }
  spdlog::info("Telegram buttons: {} {} ({}) by {}", ToString(action.kind), *done, action.uuid,
               who);
  AnswerPress(token, callback_id, DoneAnswer(action.kind, *done));

  // The message says who did what. Its text comes back as sent, with its formatting as
  // entities: sent back as they are (the new line goes after them, so their offsets hold),
  // with no parse_mode. A snoozed alert keeps its buttons; a paused or acknowledged one
  // loses them (an edit without reply_markup removes the keyboard).
  const std::string text = message != nullptr ? String(*message, "text") : std::string();
  const auto message_id = message != nullptr ? Int(*message, "message_id") : std::nullopt;
  const auto chat_id = Int(*chat, "id");
  if (text.empty() || !message_id || !chat_id) return;  // a message the bot cannot see
  boost::json::object body{{"chat_id", *chat_id},
                           {"message_id", *message_id},
                           {"text", text + "\n" + ButtonDoneLine(action.kind, who)},
                           {"link_preview_options", {{"is_disabled", true}}}};
  if (const auto* entities = message->if_contains("entities");
      entities != nullptr && entities->is_array()) {
    body["entities"] = *entities;
  }
  if (action.kind == ButtonAction::Kind::kSnooze) {
    if (const auto* markup = message->if_contains("reply_markup"); markup != nullptr) {
      body["reply_markup"] = *markup;
    }
  }
  ApiAnswer a = Call(http_, BaseUrl(options_.api_url) + "/bot" + token + "/editMessageText", body,
                     options_.connect_timeout, options_.call_timeout);
  if (!a.ok()) spdlog::warn("Telegram editMessageText of {} {}", label, a.What());
}

}  // namespace heartbeat
