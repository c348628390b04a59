// Channels and alert policies through the real API (SPEC §14): GET/POST /channels, DELETE
// /channels/{name}, POST /channels/{name}/test against a webhook sink on loopback; secrets
// never answered; a project sees its own channels only; read-only keys read only; a
// monitor's channels, repeat and down_after through PUT and a ping's query; snooze and
// unsnooze. On the store in memory and on SQLite.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "support/http_client.h"
#include "support/loopback_http_server.h"
#include "support/store_kind.h"
#include "support/test_server.h"

namespace heartbeat::testing {
namespace {

namespace json = boost::json;

class ChannelsApiTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  HttpResponse As(const std::string& key, const std::string& method, const std::string& target,
                  const std::string& body = {}) {
    return client_.Request(method, target, {{"Authorization", "Bearer " + key}}, body);
  }
  // The webhook channel `name` of the key's project, pointing at the sink.
  HttpResponse AddWebhook(const std::string& key, const std::string& name,
                          const std::string& path = "/hook/s3cr3t-path") {
    json::object spec{{"name", name},
                      {"kind", "webhook"},
                      {"url", sink_.url() + path},
                      {"headers", json::object{{"X-Token", "header-secret-value"}}},
                      {"body", R"({"text":"$MESSAGE","slug":"$SLUG","kind":"$KIND"})"}};
    return As(key, "POST", "/channels", json::serialize(spec));
  }
  std::vector<std::string> Names(const std::string& key) {
    std::vector<std::string> out;
    HttpResponse res = As(key, "GET", "/channels");
    EXPECT_EQ(res.status, 200u) << res.body;
    const json::value doc = res.json();
    for (const json::value& c : doc.at("channels").as_array()) {
      out.emplace_back(c.at("name").as_string());
    }
    return out;
  }
  json::object Monitor(const std::string& slug) {
    HttpResponse res = As(key_, "GET", "/monitors/" + slug);
    EXPECT_EQ(res.status, 200u) << res.body;
    return res.status == 200 ? res.json().as_object() : json::object();
  }

  std::mutex mu_;
  std::vector<LoopbackRequest> received_;  // guarded by mu_
  unsigned sink_status_ = 200;
  LoopbackHttpServer sink_{[this](const LoopbackRequest& r) {
    std::lock_guard lock(mu_);
    received_.push_back(r);
    return LoopbackReply::With(sink_status_, sink_status_ == 200 ? "ok" : "no_service");
  }};
  TestServer server_{{}, "", GetParam()};
  std::string billing_ping_key_ = server_.AddProject("billing");
  std::string key_ = server_.AddKey("default rw");
  std::string reader_ = server_.AddKey("default ro", "default", /*read_only=*/true);
  std::string billing_ = server_.AddKey("billing rw", "billing");
  HttpClient client_ = server_.Client();
};

INSTANTIATE_TEST_SUITE_P(Stores, ChannelsApiTest,
                         ::testing::Values(StoreKind::kMemory, StoreKind::kSqlite),
                         StoreKindParamName);

TEST_P(ChannelsApiTest, AddListAndRemoveAChannel) {
  HttpResponse added = AddWebhook(key_, "ops");
  ASSERT_EQ(added.status, 201u) << added.body;
  const json::value channel = added.json();
  EXPECT_EQ(channel.at("name").as_string(), "ops");
  EXPECT_EQ(channel.at("kind").as_string(), "webhook");
  EXPECT_EQ(Names(key_), std::vector<std::string>{"ops"});
  EXPECT_EQ(Names(reader_), std::vector<std::string>{"ops"});  // a read-only key reads
  EXPECT_TRUE(Names(billing_).empty());                        // another project's: not seen
  EXPECT_EQ(As(key_, "DELETE", "/channels/ops").status, 204u);
  EXPECT_TRUE(Names(key_).empty());
  EXPECT_EQ(As(key_, "DELETE", "/channels/ops").status, 404u);
}

TEST_P(ChannelsApiTest, SecretsAreNeverAnswered) {
  HttpResponse added = AddWebhook(key_, "ops");
  ASSERT_EQ(added.status, 201u) << added.body;
  for (const std::string& body : {added.body, As(key_, "GET", "/channels").body}) {
    EXPECT_EQ(body.find("s3cr3t-path"), std::string::npos) << body;
    EXPECT_EQ(body.find("header-secret-value"), std::string::npos) << body;
    EXPECT_NE(body.find("127.0.0.1"), std::string::npos) << body;  // scheme and host shown
  }
  json::object tg{{"name", "tg"},
                  {"kind", "telegram"},
                  {"bot_token", "12345:AAE-very-secret"},
                  {"chat_id", "-1001"}};
  HttpResponse telegram = As(key_, "POST", "/channels", json::serialize(tg));
  ASSERT_EQ(telegram.status, 201u) << telegram.body;
  EXPECT_EQ(telegram.body.find("AAE-very-secret"), std::string::npos) << telegram.body;
  EXPECT_EQ(As(key_, "GET", "/channels").body.find("AAE-very-secret"), std::string::npos);
}

TEST_P(ChannelsApiTest, ATakenNameIsAConflictAndBadChannelsAreRefusedAndChangeNothing) {
  ASSERT_EQ(AddWebhook(key_, "ops").status, 201u);
  HttpResponse again = AddWebhook(key_, "ops");
  EXPECT_EQ(again.status, 409u) << again.body;
  EXPECT_NE(again.json().at("error").as_string().find("ops"), json::string::npos);
  // The same name in another project is another channel.
  EXPECT_EQ(AddWebhook(billing_, "ops").status, 201u);
  const std::vector<std::string> bad = {
      R"({"name":"Bad Name","kind":"slack","url":"https://hooks.slack.com/x"})",
      R"({"name":"x","kind":"carrier-pigeon"})",
      R"({"name":"x","kind":"slack","url":"ftp://example.com/"})",
      R"({"name":"x","kind":"webhook","url":"https://example.com/","body":"{\"n\": $EXIT_CODE}"})",
      R"({"name":"x","kind":"webhook","url":"https://example.com/","body":"{\"t\": \"$MESSAGE\""})",
      R"({"name":"x","kind":"email","to":["not an address"]})",
      R"({"name":"x","kind":"telegram","chat_id":"1"})",
      R"(not json)",
  };
  for (const std::string& body : bad) {
    HttpResponse res = As(key_, "POST", "/channels", body);
    EXPECT_EQ(res.status, 400u) << body << " -> " << res.body;
    EXPECT_TRUE(res.json().as_object().contains("error")) << res.body;
  }
  EXPECT_EQ(Names(key_), std::vector<std::string>{"ops"});
}

TEST_P(ChannelsApiTest, ReadOnlyKeysChangeNoChannel) {
  ASSERT_EQ(AddWebhook(key_, "ops").status, 201u);
  EXPECT_EQ(AddWebhook(reader_, "other").status, 403u);
  EXPECT_EQ(As(reader_, "DELETE", "/channels/ops").status, 403u);
  EXPECT_EQ(As(reader_, "POST", "/channels/ops/test").status, 403u);
  EXPECT_EQ(Names(key_), std::vector<std::string>{"ops"});
  std::lock_guard lock(mu_);
  EXPECT_TRUE(received_.empty());
}

TEST_P(ChannelsApiTest, ATestMessageReachesTheChannelOrSaysWhyNot) {
  ASSERT_EQ(AddWebhook(key_, "ops").status, 201u);
  HttpResponse ok = As(key_, "POST", "/channels/ops/test");
  ASSERT_EQ(ok.status, 200u) << ok.body;
  EXPECT_EQ(ok.json(), json::parse(R"({"ok":true})"));
  {
    std::lock_guard lock(mu_);
    ASSERT_EQ(received_.size(), 1u);
    EXPECT_EQ(received_[0].target, "/hook/s3cr3t-path");
    ASSERT_NE(received_[0].Header("x-token"), nullptr);
    EXPECT_EQ(*received_[0].Header("x-token"), "header-secret-value");
    const json::value sent = json::parse(received_[0].body);
    EXPECT_EQ(sent.at("kind").as_string(), "test");
  }
  sink_status_ = 404;
  HttpResponse failed = As(key_, "POST", "/channels/ops/test");
  ASSERT_EQ(failed.status, 200u) << failed.body;
  EXPECT_EQ(failed.json().at("ok"), false);
  EXPECT_NE(failed.json().at("error").as_string().find("404"), json::string::npos) << failed.body;
  EXPECT_EQ(failed.body.find("s3cr3t-path"), std::string::npos) << failed.body;
  EXPECT_EQ(As(key_, "POST", "/channels/nope/test").status, 404u);
}

TEST_P(ChannelsApiTest, AMonitorsChannelsAndPoliciesAreSetAndShown) {
  ASSERT_EQ(AddWebhook(key_, "ops").status, 201u);
  ASSERT_EQ(AddWebhook(key_, "mail").status, 201u);
  HttpResponse put = As(key_, "PUT", "/monitors/backup",
                        R"({"interval":"1h","channels":["ops"],"repeat":"never","down_after":3})");
  ASSERT_EQ(put.status, 201u) << put.body;
  json::object m = Monitor("backup");
  EXPECT_EQ(m.at("channels"), json::parse(R"(["ops"])"));
  EXPECT_EQ(m.at("repeat_secs"), 0);
  EXPECT_EQ(m.at("down_after"), 3);
  EXPECT_TRUE(m.at("snoozed_until").is_null());
  EXPECT_EQ(m.at("acknowledged"), false);
  // On a ping, too; null goes back to all of the project's.
  ASSERT_EQ(As(key_, "GET", "/heartbeat/backup?channels=ops,mail&repeat=2h").status, 200u);
  m = Monitor("backup");
  EXPECT_EQ(m.at("channels"), json::parse(R"(["ops","mail"])"));
  EXPECT_EQ(m.at("repeat_secs"), 7200);
  ASSERT_EQ(As(key_, "PUT", "/monitors/backup", R"({"channels":null})").status, 200u);
  EXPECT_TRUE(Monitor("backup").at("channels").is_null());
  // A name the project has no channel of, and bad policies: 400, nothing changed.
  for (const std::string& body :
       {std::string(R"({"channels":["nope"]})"), std::string(R"({"down_after":0})"),
        std::string(R"({"repeat":"5s"})"), std::string(R"({"channels":"Ops"})")}) {
    HttpResponse res = As(key_, "PUT", "/monitors/backup", body);
    EXPECT_EQ(res.status, 400u) << body << " -> " << res.body;
  }
  HttpResponse other = As(billing_, "GET", "/heartbeat/job?channels=ops");
  EXPECT_EQ(other.status, 400u) << other.body;  // billing has no channel "ops"
  m = Monitor("backup");
  EXPECT_TRUE(m.at("channels").is_null());
  EXPECT_EQ(m.at("down_after"), 3);
  EXPECT_EQ(m.at("repeat_secs"), 7200);
}

TEST_P(ChannelsApiTest, SnoozeAndUnsnooze) {
  ASSERT_EQ(As(key_, "GET", "/heartbeat/backup").status, 200u);
  const std::int64_t now = server_.clock().Now() / 1000;
  EXPECT_EQ(As(key_, "POST", "/monitors/backup/snooze?for=2h").status, 204u);
  EXPECT_EQ(Monitor("backup").at("snoozed_until"), now + 7200);
  EXPECT_EQ(As(key_, "POST", "/monitors/backup/unsnooze").status, 204u);
  EXPECT_TRUE(Monitor("backup").at("snoozed_until").is_null());
  EXPECT_EQ(As(key_, "POST", "/monitors/backup/snooze").status, 400u);
  EXPECT_EQ(As(key_, "POST", "/monitors/backup/snooze?for=soon").status, 400u);
  EXPECT_EQ(As(key_, "POST", "/monitors/backup/snooze?for=10s").status, 400u);
  EXPECT_EQ(As(key_, "POST", "/monitors/nope/snooze?for=1h").status, 404u);
  EXPECT_EQ(As(key_, "POST", "/monitors/nope/unsnooze").status, 404u);
  EXPECT_EQ(As(reader_, "POST", "/monitors/backup/snooze?for=1h").status, 403u);
  EXPECT_EQ(As(key_, "GET", "/monitors/backup/snooze?for=1h").status, 405u);
  EXPECT_TRUE(Monitor("backup").at("snoozed_until").is_null());
}

}  // namespace
}  // namespace heartbeat::testing
