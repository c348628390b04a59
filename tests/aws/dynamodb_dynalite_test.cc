// The DynamoDB client against a real DynamoDB-compatible engine (dynalite, npm) on
// 127.0.0.1: every operation the store uses, conditions, the GSI, pagination past 1 MB
// pages, batches, and the errors a real engine gives.

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "aws/dynamodb.h"
#include "http_client/async_http_client.h"
#include "support/dynalite.h"

namespace heartbeat::aws {
namespace {

using testing::AwaitDynamo;
using testing::Dynalite;
using AV = AttributeValue;

class DynamoOnDynalite : public ::testing::Test {
 protected:
  void SetUp() override {
    table_ = Dynalite::UniqueTableName("client");
    Dynalite::CreateTable(client_, {.table = table_,
                                    .hash = {"slug", 'S'},
                                    .indexes = {{.name = "by-due",
                                                 .hash = {"part", 'S'},
                                                 .range = KeyAttribute{"due", 'N'}}}});
  }
  void Put(Item item) {
    auto r = AwaitDynamo<Nothing>([&](auto cb) {
      client_.PutItem({.table = table_, .item = std::move(item)}, std::move(cb));
    });
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  std::optional<Item> Get(const std::string& slug) {
    auto r = AwaitDynamo<std::optional<Item>>([&](auto cb) {
      client_.GetItem({.table = table_, .key = {{"slug", AV::S(slug)}}}, std::move(cb));
    });
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r.value() : std::nullopt;
  }

  std::unique_ptr<AsyncHttpClient> http_ = MakeCurlMultiHttpClient();
  DynamoClient client_{*http_, Dynalite::Shared().ClientOptions()};
  std::string table_;
};

TEST_F(DynamoOnDynalite, CreatingAnExistingTableIsResourceInUse) {
  auto r = AwaitDynamo<Nothing>([&](auto cb) {
    client_.CreateTable({.table = table_, .hash = {"slug", 'S'}}, std::move(cb));
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type, "ResourceInUseException");
}

TEST_F(DynamoOnDynalite, EveryTypeRoundTrips) {
  Item item{
      {"slug", AV::S("all-types")},
      {"empty", AV::S("")},
      {"utf8", AV::S("Grüße, 世界 ✅")},
      {"big", AV::NumberText("12345678901234567890123456789012345678")},
      {"neg", AV::N(-42)},
      {"bytes", AV::B(std::string("\x00\x01\xff", 3))},
      {"yes", AV::Bool(true)},
      {"nothing", AV::Null()},
      {"map", AV::M({{"inner", AV::L({AV::N(1), AV::S("two"), AV::M({{"x", AV::Bool(false)}})})}})},
      {"strings", AV::SS({"a", "b"})},
      {"numbers", AV::NS({"1", "2.5"})}};
  Put(item);
  std::optional<Item> got = Get("all-types");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->size(), item.size());
  for (const auto& [name, value] : item) {
    if (name == "strings" || name == "numbers") continue;  // sets come back in any order
    EXPECT_TRUE(got->count(name) && got->at(name) == value) << name;
  }
  auto as_set = [&](const char* name) {
    const auto* set = got->at(name).AsSet();
    return set == nullptr ? std::set<std::string>{}
                          : std::set<std::string>(set->begin(), set->end());
  };
  EXPECT_EQ(as_set("strings"), (std::set<std::string>{"a", "b"}));
  EXPECT_EQ(as_set("numbers"), (std::set<std::string>{"1", "2.5"}));
  EXPECT_EQ(got->at("big").AsInt64(), std::nullopt);  // too big for 64 bits: text only
  EXPECT_EQ(*got->at("big").NumberTextOrNull(), "12345678901234567890123456789012345678");
}

TEST_F(DynamoOnDynalite, UpdateWithIfNotExistsArithmeticAndReturnValues) {
  auto update = [&](std::optional<std::string> condition, ReturnValues rv) {
    return AwaitDynamo<std::optional<Item>>([&](auto cb) {
      client_.UpdateItem(
          {.table = table_,
           .key = {{"slug", AV::S("u")}},
           .update = "SET #n = if_not_exists(#n, :zero) + :one, #w = :w REMOVE #gone",
           .condition = condition,
           .names = {{"#n", "n"}, {"#w", "when"}, {"#gone", "gone"}},
           .values = {{":zero", AV::N(0)}, {":one", AV::N(1)}, {":w", AV::N(7)}},
           .return_values = rv},
          std::move(cb));
    });
  };
  auto first = update(std::nullopt, ReturnValues::kAllNew);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first.value()->at("n").AsInt64(), 1);
  auto second = update(std::nullopt, ReturnValues::kAllOld);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second.value()->at("n").AsInt64(), 1);  // as it was
  EXPECT_EQ(Get("u")->at("n").AsInt64(), 2);
  auto none = update(std::nullopt, ReturnValues::kNone);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none.value().has_value());
  // A failed condition changes nothing.
  auto refused = update("#n = :zero", ReturnValues::kAllNew);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, DynamoErrorKind::kConditionalCheckFailed);
  EXPECT_EQ(refused.error().attempts, 1);
  EXPECT_EQ(Get("u")->at("n").AsInt64(), 3);
}

TEST_F(DynamoOnDynalite, ConditionalDeleteReturnsTheOldItem) {
  Put({{"slug", AV::S("d")}, {"v", AV::N(1)}});
  auto refused = AwaitDynamo<std::optional<Item>>([&](auto cb) {
    client_.DeleteItem({.table = table_,
                        .key = {{"slug", AV::S("d")}},
                        .condition = "v = :two",
                        .values = {{":two", AV::N(2)}}},
                       std::move(cb));
  });
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, DynamoErrorKind::kConditionalCheckFailed);
  ASSERT_TRUE(Get("d").has_value());
  auto deleted = AwaitDynamo<std::optional<Item>>([&](auto cb) {
    client_.DeleteItem(
        {.table = table_, .key = {{"slug", AV::S("d")}}, .return_values = ReturnValues::kAllOld},
        std::move(cb));
  });
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted.value()->at("v").AsInt64(), 1);
  EXPECT_FALSE(Get("d").has_value());
}

TEST_F(DynamoOnDynalite, QueryOnTheIndexWithRangeFilterLimitAndOrder) {
  for (int i = 0; i < 30; ++i) {
    Put({{"slug", AV::S("q" + std::to_string(i))},
         {"part", AV::S(i % 3 == 0 ? "OTHER" : "CHECK")},
         {"due", AV::N(1000 + i)},
         {"paused", AV::Bool(i % 5 == 0)}});
  }
  QueryRequest q{.table = table_,
                 .index = "by-due",
                 .key_condition = "part = :p AND due <= :t",
                 .filter = "paused = :f",
                 .values = {{":p", AV::S("CHECK")}, {":t", AV::N(1019)}, {":f", AV::Bool(false)}}};
  auto all = AwaitDynamo<std::vector<Item>>([&](auto cb) { client_.QueryAll(q, std::move(cb)); });
  ASSERT_TRUE(all.ok()) << all.error().message;
  std::vector<std::int64_t> due;
  for (const Item& item : all.value()) due.push_back(*item.at("due").AsInt64());
  // CHECK and due <= 1019: i in 0..19, not a multiple of 3; paused (multiples of 5) filtered.
  std::vector<std::int64_t> want;
  for (int i = 0; i < 20; ++i) {
    if (i % 3 != 0 && i % 5 != 0) want.push_back(1000 + i);
  }
  EXPECT_EQ(due, want);
  // One page of 4, newest first, then the rest from where it stopped.
  q.limit = 4;
  q.scan_forward = false;
  q.filter.reset();
  q.values.erase(":f");
  auto page = AwaitDynamo<Page>([&](auto cb) { client_.Query(q, std::move(cb)); });
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page.value().items.size(), 4u);
  EXPECT_EQ(page.value().items[0].at("due").AsInt64(), 1019);
  ASSERT_TRUE(page.value().last_evaluated_key.has_value());
  q.exclusive_start_key = page.value().last_evaluated_key;
  auto next = AwaitDynamo<Page>([&](auto cb) { client_.Query(q, std::move(cb)); });
  ASSERT_TRUE(next.ok());
  ASSERT_FALSE(next.value().items.empty());
  EXPECT_LT(*next.value().items[0].at("due").AsInt64(), *page.value().items[3].at("due").AsInt64());
}

// DynamoDB answers at most 1 MB a page: ScanAll and QueryAll must follow every page.
TEST_F(DynamoOnDynalite, ScanAllAndQueryAllReadPastOneMegabytePages) {
  const std::string filler(1000, 'x');
  constexpr int kItems = 1500;  // about 1.5 MB
  for (int start = 0; start < kItems; start += 25) {
    std::vector<WriteRequest> writes;
    for (int i = start; i < start + 25; ++i) {
      writes.push_back({.put = Item{{"slug", AV::S("big-" + std::to_string(i))},
                                    {"part", AV::S("CHECK")},
                                    {"due", AV::N(i)},
                                    {"filler", AV::S(filler)}}});
    }
    auto r = AwaitDynamo<Nothing>(
        [&](auto cb) { client_.BatchWriteItem(table_, std::move(writes), std::move(cb)); });
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  auto first = AwaitDynamo<Page>([&](auto cb) { client_.Scan({.table = table_}, std::move(cb)); });
  ASSERT_TRUE(first.ok());
  EXPECT_LT(first.value().items.size(), static_cast<std::size_t>(kItems)) << "no 1 MB page limit?";
  EXPECT_TRUE(first.value().last_evaluated_key.has_value());

  auto scanned = AwaitDynamo<std::vector<Item>>(
      [&](auto cb) { client_.ScanAll({.table = table_}, std::move(cb)); });
  ASSERT_TRUE(scanned.ok()) << scanned.error().message;
  std::set<std::string> slugs;
  for (const Item& item : scanned.value()) slugs.insert(*item.at("slug").AsString());
  EXPECT_EQ(scanned.value().size(), static_cast<std::size_t>(kItems));
  EXPECT_EQ(slugs.size(), static_cast<std::size_t>(kItems));

  auto queried = AwaitDynamo<std::vector<Item>>([&](auto cb) {
    client_.QueryAll({.table = table_,
                      .index = "by-due",
                      .key_condition = "part = :p",
                      .values = {{":p", AV::S("CHECK")}}},
                     std::move(cb));
  });
  ASSERT_TRUE(queried.ok()) << queried.error().message;
  ASSERT_EQ(queried.value().size(), static_cast<std::size_t>(kItems));
  for (int i = 0; i < kItems; ++i) EXPECT_EQ(queried.value()[i].at("due").AsInt64(), i);
}

TEST_F(DynamoOnDynalite, EngineErrorsHaveTheirKinds) {
  auto missing = AwaitDynamo<std::optional<Item>>([&](auto cb) {
    client_.GetItem({.table = "no-such-table", .key = {{"slug", AV::S("x")}}}, std::move(cb));
  });
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, DynamoErrorKind::kNotFound);
  auto bad = AwaitDynamo<std::optional<Item>>([&](auto cb) {
    client_.UpdateItem({.table = table_, .key = {{"slug", AV::S("x")}}, .update = "SET = oops"},
                       std::move(cb));
  });
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, DynamoErrorKind::kValidation);
  std::vector<WriteRequest> too_many(26, WriteRequest{.put = Item{{"slug", AV::S("x")}}});
  auto batch = AwaitDynamo<Nothing>(
      [&](auto cb) { client_.BatchWriteItem(table_, std::move(too_many), std::move(cb)); });
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.error().kind, DynamoErrorKind::kValidation);
}

// Three hundred requests started at once through one client all come back right. That
// they are on the wire together (not queued behind each other) is proven against a server
// that holds its answers (CurlMultiHttpClient.FiveHundredRequestsAreInFlightAtOnceOnOneThread):
// dynalite cannot be held, and the client counts a request in flight from its start.
TEST_F(DynamoOnDynalite, ThreeHundredConcurrentRequestsAllSucceed) {
  Put({{"slug", AV::S("hot")}, {"v", AV::N(1)}});
  constexpr int kRequests = 300;
  std::atomic<int> ok{0};
  std::atomic<int> answered{0};
  std::mutex mu;
  std::condition_variable cv;
  for (int i = 0; i < kRequests; ++i) {
    client_.GetItem({.table = table_, .key = {{"slug", AV::S("hot")}}},
                    [&](DynamoResult<std::optional<Item>> r) {
                      if (r.ok() && r.value()) ok.fetch_add(1);
                      std::lock_guard lock(mu);
                      answered.fetch_add(1);
                      cv.notify_all();
                    });
  }
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return answered.load() == kRequests; });
  EXPECT_EQ(ok.load(), kRequests);
  RecordProperty("max_in_flight", static_cast<int>(client_.MaxInFlight()));
}

}  // namespace
}  // namespace heartbeat::aws
