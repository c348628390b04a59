// TelegramButtons with the real CurlHttpClient against FakeTelegram's getUpdates,
// answerCallbackQuery and editMessageText on 127.0.0.1.

#include "notify/telegram_updates.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "http_client/http_client.h"
#include "support/captured_log.h"
#include "support/fake_telegram.h"

namespace heartbeat {
namespace {

using heartbeat::testing::CapturedLog;
using heartbeat::testing::ConflictReply;
using heartbeat::testing::FakeTelegram;
using heartbeat::testing::TelegramPress;
using heartbeat::testing::TelegramReply;
using heartbeat::testing::TelegramUser;
using Kind = ButtonAction::Kind;
using std::chrono::milliseconds;

// Shaped like a real token, with characters that would show if it leaked.
constexpr char kToken[] = "7301234567:AAH-secret_TOKEN_value-zz9";
constexpr char kOtherToken[] = "7309999999:BBx-other_SECRET-qq1";
constexpr std::int64_t kChat = -1001234567890;
constexpr char kChatText[] = "-1001234567890";
constexpr std::int64_t kStrangerChat = -1009999999999;
constexpr char kUuid[] = "3f2a7c1e-9b4d-4e2a-8c6f-1d2e3f4a5b6c";
constexpr char kUuid2[] = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9";
constexpr char kKeyboard[] =
    R"({"inline_keyboard":[[{"text":"Snooze 1 h","callback_data":"snooze:3f2a7c1e-9b4d-4e2a-8c6f-1d2e3f4a5b6c"},)"
    R"({"text":"Pause","callback_data":"pause:3f2a7c1e-9b4d-4e2a-8c6f-1d2e3f4a5b6c"},)"
    R"({"text":"Acknowledge","callback_data":"ack:3f2a7c1e-9b4d-4e2a-8c6f-1d2e3f4a5b6c"}]]})";
constexpr char kEntities[] = R"([{"offset":0,"length":14,"type":"bold"}])";

// The actions the buttons asked for, in order; answers with the monitor's name, or
// kNotFound for a uuid it does not know.
class Actions {
 public:
  Result<std::string> Apply(const ButtonAction& a) {
    std::lock_guard lock(mu_);
    calls_.push_back(a);
    cv_.notify_all();
    if (a.uuid == kUuid) return std::string("nightly-backup");
    if (a.uuid == kUuid2) return std::string("hourly-sync");
    return NotFound("no monitor " + a.uuid);
  }
  std::vector<ButtonAction> Calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  bool WaitFor(std::size_t n, milliseconds timeout = std::chrono::seconds(10)) const {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return calls_.size() >= n; });
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<ButtonAction> calls_;  // guarded by mu_
};

// The bots the channels name; changed by the test while the buttons run.
class Bots {
 public:
  explicit Bots(std::vector<TelegramBot> bots) : bots_(std::move(bots)) {}
  std::vector<TelegramBot> Get() const {
    std::lock_guard lock(mu_);
    return bots_;
  }
  void Set(std::vector<TelegramBot> bots) {
    std::lock_guard lock(mu_);
    bots_ = std::move(bots);
  }

 private:
  mutable std::mutex mu_;
  std::vector<TelegramBot> bots_;  // guarded by mu_
};

TelegramButtonsOptions Options(const FakeTelegram& fake) {
  TelegramButtonsOptions o;
  o.api_url = fake.url();
  o.poll_timeout = std::chrono::seconds(1);
  o.connect_timeout = milliseconds(2000);
  o.call_timeout = milliseconds(5000);
  o.min_backoff = milliseconds(50);
  o.max_backoff = milliseconds(200);
  o.slow_retry = milliseconds(300);
  o.refresh = milliseconds(100);
  return o;
}

TelegramUser User(std::string username, std::string first = "Alice", std::string last = "") {
  TelegramUser u;
  u.username = std::move(username);
  u.first_name = std::move(first);
  u.last_name = std::move(last);
  return u;
}

TelegramPress Press(std::string data, std::int64_t chat = kChat,
                    TelegramUser from = User("alice")) {
  TelegramPress p;
  p.token = kToken;
  p.data = std::move(data);
  p.chat_id = chat;
  p.from = std::move(from);
  p.message_id = 77;
  p.text = "nightly-backup is DOWN\nlast ping 12:03 UTC";
  p.entities = kEntities;
  p.reply_markup = kKeyboard;
  return p;
}

class TelegramButtonsTest : public ::testing::Test {
 protected:
  void StartButtons() {
    buttons_ = std::make_unique<TelegramButtons>(
        http_, Options(fake_), [this] { return bots_.Get(); },
        [this](const ButtonAction& a) { return actions_.Apply(a); });
    buttons_->Start();
  }
  void TearDown() override {
    if (buttons_) buttons_->Stop();
  }

  FakeTelegram fake_;
  CurlHttpClient http_;
  Actions actions_;
  Bots bots_{{TelegramBot{kToken, {kChatText}}}};
  std::unique_ptr<TelegramButtons> buttons_;
};

TEST(ButtonsData, ReadsTheThreeButtons) {
  auto s = ParseButtonData(std::string("snooze:") + kUuid);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->kind, Kind::kSnooze);
  EXPECT_EQ(s->uuid, kUuid);
  ASSERT_TRUE(ParseButtonData(std::string("pause:") + kUuid));
  EXPECT_EQ(ParseButtonData(std::string("pause:") + kUuid)->kind, Kind::kPause);
  ASSERT_TRUE(ParseButtonData(std::string("ack:") + kUuid));
  EXPECT_EQ(ParseButtonData(std::string("ack:") + kUuid)->kind, Kind::kAck);
}

TEST(ButtonsData, RefusesAnythingElse) {
  for (std::string bad : {std::string(""), std::string("snooze"), std::string("snooze:"),
                          std::string("snooze:not-a-uuid"), std::string("reboot:") + kUuid,
                          std::string("Snooze:") + kUuid, std::string("snooze:") + kUuid + "x",
                          std::string("snooze:3F2A7C1E-9B4D-4E2A-8C6F-1D2E3F4A5B6C"),
                          std::string(":") + kUuid, std::string("snooze:") + kUuid + ":1"}) {
    EXPECT_FALSE(ParseButtonData(bad)) << bad;
  }
}

TEST(ButtonsData, LinesSayWhoDidWhat) {
  EXPECT_EQ(ButtonDoneLine(Kind::kSnooze, "@alice"), "🔕 Snoozed for 1 h by @alice");
  EXPECT_EQ(ButtonDoneLine(Kind::kPause, "Alice Smith"), "⏸ Paused by Alice Smith");
  EXPECT_EQ(ButtonDoneLine(Kind::kAck, "@alice"), "👌 Acknowledged by @alice");
}

Channel TelegramChannel(std::string name, std::string token, std::string chat) {
  Channel c;
  c.name = std::move(name);
  c.kind = ChannelKind::kTelegram;
  c.bot_token = std::move(token);
  c.chat_id = std::move(chat);
  return c;
}

TEST(ButtonsData, BotsOfChannelsAreEachTokenOnceWithItsChats) {
  Channel hook;
  hook.name = "hook";
  hook.kind = ChannelKind::kWebhook;
  hook.url = "https://example.com/x";
  const auto bots = TelegramBotsOf(
      {TelegramChannel("a", kToken, "-1002"), hook, TelegramChannel("b", kOtherToken, "-1003"),
       TelegramChannel("c", kToken, "-1001"), TelegramChannel("d", kToken, "-1002"),
       TelegramChannel("e", "", "-1004"), TelegramChannel("f", kToken, "")});
  ASSERT_EQ(bots.size(), 2u);
  EXPECT_EQ(bots[0].token, kToken);
  EXPECT_EQ(bots[0].chat_ids, (std::vector<std::string>{"-1001", "-1002"}));
  EXPECT_EQ(bots[1].token, kOtherToken);
  EXPECT_EQ(bots[1].chat_ids, (std::vector<std::string>{"-1003"}));
}

TEST_F(TelegramButtonsTest, SnoozeFromTheChannelsChatIsAppliedAnsweredAndWritten) {
  StartButtons();
  const std::int64_t id = fake_.Press(Press(std::string("snooze:") + kUuid));
  ASSERT_TRUE(fake_.WaitForEdits(1));

  auto calls = actions_.Calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].kind, Kind::kSnooze);
  EXPECT_EQ(calls[0].uuid, kUuid);
  EXPECT_EQ(calls[0].who, "@alice");

  auto answers = fake_.Answers();
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].token, kToken);
  EXPECT_EQ(answers[0].callback_query_id, "cb" + std::to_string(id));
  EXPECT_EQ(answers[0].text, "Snoozed nightly-backup for 1 h");

  auto edits = fake_.Edits();
  ASSERT_EQ(edits.size(), 1u);
  EXPECT_EQ(edits[0].token, kToken);
  EXPECT_EQ(edits[0].chat_id, kChatText);
  EXPECT_EQ(edits[0].message_id, 77);
  EXPECT_EQ(edits[0].text,
            "nightly-backup is DOWN\nlast ping 12:03 UTC\n🔕 Snoozed for 1 h by @alice");
  EXPECT_EQ(edits[0].parse_mode, "");
  // The formatting is kept, and so are the buttons (a snooze ends).
  EXPECT_EQ(boost::json::parse(edits[0].entities), boost::json::parse(kEntities));
  EXPECT_EQ(boost::json::parse(edits[0].reply_markup), boost::json::parse(kKeyboard));
}

TEST_F(TelegramButtonsTest, PauseByAUserWithoutUsernameNamesThemAndRemovesTheButtons) {
  StartButtons();
  fake_.Press(Press(std::string("pause:") + kUuid, kChat, User("", "Alice", "Smith")));
  ASSERT_TRUE(fake_.WaitForEdits(1));
  ASSERT_EQ(actions_.Calls().size(), 1u);
  EXPECT_EQ(actions_.Calls()[0].kind, Kind::kPause);
  EXPECT_EQ(actions_.Calls()[0].who, "Alice Smith");
  EXPECT_EQ(fake_.Answers().at(0).text, "Paused nightly-backup");
  const auto edit = fake_.Edits().at(0);
  EXPECT_EQ(edit.text, "nightly-backup is DOWN\nlast ping 12:03 UTC\n⏸ Paused by Alice Smith");
  EXPECT_EQ(edit.reply_markup, "");
}

TEST_F(TelegramButtonsTest, AcknowledgeRemovesTheButtons) {
  StartButtons();
  fake_.Press(Press(std::string("ack:") + kUuid));
  ASSERT_TRUE(fake_.WaitForEdits(1));
  EXPECT_EQ(actions_.Calls().at(0).kind, Kind::kAck);
  EXPECT_EQ(fake_.Answers().at(0).text, "Acknowledged nightly-backup");
  const auto edit = fake_.Edits().at(0);
  EXPECT_EQ(edit.text, "nightly-backup is DOWN\nlast ping 12:03 UTC\n👌 Acknowledged by @alice");
  EXPECT_EQ(edit.reply_markup, "");
}

TEST_F(TelegramButtonsTest, PressFromAnotherChatIsAnsweredAndChangesNothing) {
  StartButtons();
  fake_.Press(Press(std::string("pause:") + kUuid, kStrangerChat));
  auto inline_press = Press(std::string("pause:") + kUuid);
  inline_press.without_message = true;
  fake_.Press(inline_press);
  ASSERT_TRUE(fake_.WaitForAnswers(2));
  for (const auto& a : fake_.Answers()) EXPECT_EQ(a.text, "Not allowed here");
  // A press after them is applied: they were read and passed over.
  fake_.Press(Press(std::string("ack:") + kUuid));
  ASSERT_TRUE(actions_.WaitFor(1));
  ASSERT_TRUE(fake_.WaitForEdits(1));
  EXPECT_EQ(actions_.Calls().size(), 1u);
  EXPECT_EQ(actions_.Calls()[0].kind, Kind::kAck);
  EXPECT_EQ(fake_.Edits().size(), 1u);
}

TEST_F(TelegramButtonsTest, ChatNamedByUsernameIsAllowed) {
  bots_.Set({TelegramBot{kToken, {"@OpsAlerts"}}});
  StartButtons();
  auto press = Press(std::string("ack:") + kUuid, kStrangerChat);
  press.chat_username = "opsalerts";
  fake_.Press(press);
  ASSERT_TRUE(actions_.WaitFor(1));
  ASSERT_TRUE(fake_.WaitForEdits(1));
  EXPECT_EQ(fake_.Edits()[0].chat_id, std::to_string(kStrangerChat));
}

TEST_F(TelegramButtonsTest, MalformedDataIsAnsweredAndChangesNothing) {
  StartButtons();
  const std::vector<std::string> bad = {"", "snooze:", "reboot:" + std::string(kUuid),
                                        "snooze:not-a-uuid", "ack"};
  for (const auto& d : bad) fake_.Press(Press(d));
  ASSERT_TRUE(fake_.WaitForAnswers(bad.size()));
  for (const auto& a : fake_.Answers()) EXPECT_EQ(a.text, "Unknown button");
  fake_.Press(Press(std::string("ack:") + kUuid));
  ASSERT_TRUE(fake_.WaitForEdits(1));
  EXPECT_EQ(actions_.Calls().size(), 1u);
  EXPECT_EQ(fake_.Edits().size(), 1u);
}

TEST_F(TelegramButtonsTest, UnknownMonitorIsAnsweredAndNotWritten) {
  StartButtons();
  fake_.Press(Press("snooze:aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"));
  ASSERT_TRUE(fake_.WaitForAnswers(1));
  EXPECT_EQ(fake_.Answers()[0].text, "Unknown monitor");
  EXPECT_EQ(actions_.Calls().size(), 1u);
  fake_.Press(Press(std::string("ack:") + kUuid));
  ASSERT_TRUE(fake_.WaitForEdits(1));
  EXPECT_EQ(fake_.Edits().size(), 1u);  // only the known monitor's
}

TEST_F(TelegramButtonsTest, OffsetsAdvanceAndNoPressIsAppliedTwiceAcrossARestart) {
  StartButtons();
  fake_.Press(Press(std::string("snooze:") + kUuid));
  fake_.Press(Press(std::string("ack:") + kUuid2));
  const std::int64_t last = fake_.Press(Press(std::string("pause:") + kUuid));
  ASSERT_TRUE(actions_.WaitFor(3));
  ASSERT_TRUE(fake_.WaitForEdits(3));
  // Every getUpdates asks for presses only, and the offsets never go back.
  std::optional<std::int64_t> previous;
  for (const auto& p : fake_.Polls()) {
    EXPECT_EQ(p.allowed_updates, R"(["callback_query"])");
    if (previous) {
      ASSERT_TRUE(p.offset);
      EXPECT_GE(*p.offset, *previous);
    }
    if (p.offset) previous = p.offset;
  }
  ASSERT_TRUE(previous);
  EXPECT_EQ(*previous, last + 1);
  EXPECT_EQ(fake_.Unconfirmed(kToken), 0u);  // confirmed before they were applied

  // A new poller (a restart of `serve`) starts without an offset: Telegram gives it only
  // what was never confirmed.
  buttons_->Stop();
  buttons_.reset();
  const std::size_t polls_before = fake_.Polls().size();
  StartButtons();
  fake_.Press(Press(std::string("ack:") + kUuid));
  ASSERT_TRUE(actions_.WaitFor(4));
  ASSERT_TRUE(fake_.WaitForEdits(4));
  buttons_->Stop();
  EXPECT_FALSE(fake_.Polls().at(polls_before).offset);
  const auto calls = actions_.Calls();
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[0].kind, Kind::kSnooze);
  EXPECT_EQ(calls[1].uuid, kUuid2);
  EXPECT_EQ(calls[2].kind, Kind::kPause);
  EXPECT_EQ(calls[3].kind, Kind::kAck);
  EXPECT_EQ(fake_.Edits().size(), 4u);
  EXPECT_EQ(fake_.Answers().size(), 4u);
}

TEST_F(TelegramButtonsTest, PressWaitingWhenStoppedIsLeftToTheNextPoller) {
  // Telegram fails the confirmation of the batch, so the poller still holds it when it is
  // stopped: it must not apply it (it is not confirmed), and the next poller must.
  StartButtons();
  ASSERT_TRUE(fake_.WaitForPolls(1));
  fake_.EnqueueUpdatesReply(TelegramReply::ServerError());
  fake_.EnqueueUpdatesReply(TelegramReply::ServerError());
  fake_.EnqueueUpdatesReply(TelegramReply::ServerError());
  fake_.EnqueueUpdatesReply(TelegramReply::ServerError());
  fake_.EnqueueUpdatesReply(TelegramReply::ServerError());
  fake_.EnqueueUpdatesReply(TelegramReply::ServerError());
  fake_.Press(Press(std::string("ack:") + kUuid));
  buttons_->Stop();
  buttons_.reset();
  const std::size_t applied = actions_.Calls().size();
  StartButtons();
  ASSERT_TRUE(actions_.WaitFor(1));
  ASSERT_TRUE(fake_.WaitForEdits(1));
  buttons_->Stop();
  EXPECT_LE(applied, 1u);
  EXPECT_EQ(actions_.Calls().size(), 1u);  // once, whichever poller applied it
  EXPECT_EQ(fake_.Edits().size(), 1u);
}

TEST_F(TelegramButtonsTest, ServerErrorsAreRetriedWithBackoffAndTheTokenNeverLogged) {
  CapturedLog log;
  for (int i = 0; i < 3; ++i) fake_.EnqueueUpdatesReply(TelegramReply::ServerError());
  StartButtons();
  fake_.Press(Press(std::string("ack:") + kUuid));
  ASSERT_TRUE(actions_.WaitFor(1));
  ASSERT_TRUE(fake_.WaitForEdits(1));
  buttons_->Stop();
  const std::string lines = log.Release();
  EXPECT_NE(lines.find("answered 500"), std::string::npos) << lines;
  EXPECT_NE(lines.find("bot 7301234567"), std::string::npos) << lines;
  EXPECT_NE(lines.find("works again"), std::string::npos) << lines;
  EXPECT_EQ(lines.find("AAH-secret"), std::string::npos) << lines;
  // Three failures, then the polls that worked: no busy loop (backoff 50, 100, 200 ms).
  EXPECT_LT(fake_.Polls().size(), 20u);
}

TEST_F(TelegramButtonsTest, ConflictIsLoggedOnceAndRetriedSlowly) {
  CapturedLog log;
  for (int i = 0; i < 3; ++i) fake_.EnqueueUpdatesReply(ConflictReply());
  const auto start = std::chrono::steady_clock::now();
  StartButtons();
  fake_.Press(Press(std::string("ack:") + kUuid));
  ASSERT_TRUE(actions_.WaitFor(1));
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(fake_.WaitForEdits(1));
  buttons_->Stop();
  const std::string lines = log.Release();
  // Three conflicts, each followed by slow_retry (300 ms).
  EXPECT_GE(took, milliseconds(800));
  std::size_t logged = 0;
  for (auto at = lines.find("answered 409"); at != std::string::npos;
       at = lines.find("answered 409", at + 1)) {
    ++logged;
  }
  EXPECT_EQ(logged, 1u) << lines;
  EXPECT_NE(lines.find("webhook"), std::string::npos) << lines;
  EXPECT_EQ(lines.find("AAH-secret"), std::string::npos) << lines;
}

TEST_F(TelegramButtonsTest, TooManyRequestsWaitsRetryAfter) {
  fake_.EnqueueUpdatesReply(TelegramReply::TooManyRequests(1));
  StartButtons();
  ASSERT_TRUE(fake_.WaitForPolls(1));
  const auto refused = std::chrono::steady_clock::now();
  ASSERT_TRUE(fake_.WaitForPolls(2));
  EXPECT_GE(std::chrono::steady_clock::now() - refused, milliseconds(900));
}

TEST_F(TelegramButtonsTest, PollsThatDoNotWaitAreNotABusyLoop) {
  // A poll timeout of 0: every empty getUpdates comes back at once.
  TelegramButtonsOptions o = Options(fake_);
  o.poll_timeout = std::chrono::seconds(0);
  o.min_backoff = milliseconds(200);
  buttons_ = std::make_unique<TelegramButtons>(
      http_, o, [this] { return bots_.Get(); },
      [this](const ButtonAction& a) { return actions_.Apply(a); });
  buttons_->Start();
  ASSERT_TRUE(fake_.WaitForPolls(1));
  std::this_thread::sleep_for(milliseconds(1000));
  EXPECT_LE(fake_.Polls().size(), 8u);
  // And presses still go through.
  fake_.Press(Press(std::string("ack:") + kUuid));
  ASSERT_TRUE(actions_.WaitFor(1));
}

TEST_F(TelegramButtonsTest, TelegramDownThenUpIsRetried) {
  StartButtons();
  ASSERT_TRUE(fake_.WaitForPolls(1));
  fake_.Down();
  std::this_thread::sleep_for(milliseconds(300));
  fake_.Up();
  fake_.Press(Press(std::string("ack:") + kUuid));
  ASSERT_TRUE(actions_.WaitFor(1));
  ASSERT_TRUE(fake_.WaitForEdits(1));
}

TEST_F(TelegramButtonsTest, OnePollerPerTokenAndEachBotsChats) {
  // Two channels share a bot (two chats), a third has its own bot.
  bots_.Set({TelegramBot{kToken, {kChatText}}, TelegramBot{kToken, {"-1005555555555"}},
             TelegramBot{kOtherToken, {"-1006666666666"}}});
  StartButtons();
  fake_.Press(Press(std::string("ack:") + kUuid, -1005555555555));
  auto other = Press(std::string("pause:") + kUuid2, -1006666666666);
  other.token = kOtherToken;
  fake_.Press(other);
  // The other bot's chat is not this bot's.
  auto crossed = Press(std::string("snooze:") + kUuid, -1006666666666);
  fake_.Press(crossed);
  ASSERT_TRUE(fake_.WaitForEdits(2));
  ASSERT_TRUE(fake_.WaitForAnswers(3));
  buttons_->Stop();
  EXPECT_EQ(actions_.Calls().size(), 2u);
  EXPECT_EQ(fake_.ConcurrentPolls(), 0u);
  std::set<std::string> tokens;
  for (const auto& p : fake_.Polls()) tokens.insert(p.token);
  EXPECT_EQ(tokens, (std::set<std::string>{kToken, kOtherToken}));
  for (const auto& e : fake_.Edits()) {
    EXPECT_EQ(e.token, e.chat_id == "-1006666666666" ? kOtherToken : kToken);
  }
  std::size_t refused = 0;
  for (const auto& a : fake_.Answers()) refused += a.text == "Not allowed here";
  EXPECT_EQ(refused, 1u);
}

TEST_F(TelegramButtonsTest, ABotWhoseChannelsWentIsNoLongerPolled) {
  StartButtons();
  ASSERT_TRUE(fake_.WaitForPolls(1));
  bots_.Set({});
  // Within a refresh and a poll, its polls end: no poll for longer than a poll's timeout.
  std::size_t polls = fake_.Polls().size();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    std::this_thread::sleep_for(milliseconds(1300));
    const std::size_t now = fake_.Polls().size();
    if (now == polls || std::chrono::steady_clock::now() > deadline) break;
    polls = now;
  }
  EXPECT_EQ(fake_.Polls().size(), polls);
  // And it comes back with its channel.
  bots_.Set({TelegramBot{kToken, {kChatText}}});
  fake_.Press(Press(std::string("ack:") + kUuid));
  ASSERT_TRUE(actions_.WaitFor(1));
}

TEST_F(TelegramButtonsTest, StopReturnsPromptlyDuringALongPoll) {
  // The default poll, not the tests' shorter one.
  TelegramButtonsOptions o;
  o.api_url = fake_.url();
  buttons_ = std::make_unique<TelegramButtons>(
      http_, o, [this] { return bots_.Get(); },
      [this](const ButtonAction& a) { return actions_.Apply(a); });
  buttons_->Start();
  ASSERT_TRUE(fake_.WaitForPolls(1));
  const auto start = std::chrono::steady_clock::now();
  buttons_->Stop();
  // The poll in flight ends within its timeout (2 s).
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(3000));
}

TEST_F(TelegramButtonsTest, StopWithoutStartAndTwiceIsFine) {
  buttons_ = std::make_unique<TelegramButtons>(
      http_, Options(fake_), [this] { return bots_.Get(); },
      [this](const ButtonAction& a) { return actions_.Apply(a); });
  buttons_->Stop();
  buttons_->Stop();
  EXPECT_EQ(fake_.Polls().size(), 0u);
}

}  // namespace
}  // namespace heartbeat
