// What only the DynamoDB store has to show: the seed's item layout both ways (items the
// Rust version wrote read correctly, ours carry the seed's attributes and types), the
// GSI partitions the checker relies on, listing past DynamoDB's 1 MB pages, and many
// requests in flight on few threads. The behaviour shared with SQLite is in
// store_contract_test.cc and the checker suites, which run on both stores.

#include <dirent.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include "core/alert.h"
#include "core/api_key.h"
#include "core/project.h"
#include "store/dynamo/dynamo_store.h"
#include "store/dynamo/monitor_item.h"
#include "support/dynalite.h"
#include "support/loopback_dynamo.h"
#include "support/temp_dir.h"
#include "support/test_stores.h"
#include "support/test_time.h"

namespace heartbeat {
namespace {

using aws::AttributeValue;
using aws::Item;
using testing::AwaitDynamo;
using testing::Dynalite;
using testing::kMinute;

constexpr UnixMillis kBase = 1'790'000'000'123LL;  // not a whole second, on purpose

std::size_t ThreadCount() {
  std::size_t n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') ++n;
    }
    closedir(d);
  }
  return n;
}

class DynamoStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(1); }
  void TearDown() override {
    if (store_) store_->Close();
  }

  void Open(int partitions) {
    if (store_) store_->Close();
    store_ = testing::OpenTestDynamoStore(dir_.path() + std::to_string(partitions), partitions);
    tables_ = testing::DynamoTablesOf(dir_.path() + std::to_string(partitions));
  }

  // The raw item, read with a client of the test's own.
  std::optional<Item> Raw(const std::string& slug) {
    auto r = AwaitDynamo<std::optional<Item>>([&](auto cb) {
      client_.GetItem({.table = tables_.monitors, .key = {{"slug", AttributeValue::S(slug)}}},
                      std::move(cb));
    });
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r.value() : std::nullopt;
  }
  void PutRaw(Item item) {
    auto r = AwaitDynamo<aws::Nothing>([&](auto cb) {
      client_.PutItem({.table = tables_.monitors, .item = std::move(item)}, std::move(cb));
    });
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  Monitor Ping(const std::string& slug, std::optional<std::int64_t> interval, UnixMillis now) {
    auto r = Await<Monitor>(
        [&](Callback<Monitor> cb) { store_->Ping(slug, interval, now, std::move(cb)); });
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : Monitor{};
  }
  std::optional<Monitor> Get(const std::string& slug, UnixMillis now) {
    auto r = Await<std::optional<Monitor>>(
        [&](Callback<std::optional<Monitor>> cb) { store_->Get(slug, now, std::move(cb)); });
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : std::nullopt;
  }
  std::vector<Monitor> Due(UnixMillis now) {
    auto r = Await<std::vector<Monitor>>([&](Callback<std::vector<Monitor>> cb) {
      store_->DueMonitors(now, 10'000, std::move(cb));
    });
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : std::vector<Monitor>{};
  }
  std::string Partition(const std::string& slug) {
    std::optional<Item> item = Raw(slug);
    if (!item || !item->count("check_partition")) return "";
    const std::string* p = item->at("check_partition").AsString();
    return p ? *p : "";
  }
  void PingMany(const std::vector<std::string>& slugs, std::int64_t interval, UnixMillis now) {
    EXPECT_EQ(testing::PingAllAtOnce(*store_, slugs, interval, now), 0u);
  }

  testing::TempDir dir_;
  std::unique_ptr<DynamoStore> store_;
  testing::DynamoTables tables_;
  std::unique_ptr<AsyncHttpClient> http_ = MakeCurlMultiHttpClient();
  aws::DynamoClient client_{*http_, Dynalite::Shared().ClientOptions()};
};

// A store on a loopback endpoint that answers as a test's handler says: two attempts per
// request, no waiting between them.
DynamoStoreOptions LoopbackStoreOptions(const std::string& url) {
  DynamoStoreOptions o;
  o.client.endpoint = url;
  o.client.region = "eu-north-1";
  o.client.credentials = [] { return aws::Credentials{"AKID", "secret", ""}; };
  o.client.max_attempts = 2;
  o.client.base_delay = std::chrono::milliseconds(1);
  return o;
}

// The item as the Rust version wrote it: times in whole Unix seconds, no attribute of
// ours (no milliseconds, no revision, no outbox).
Item SeedItem(const std::string& slug, std::int64_t interval, std::int64_t last_ping_s,
              std::int64_t created_s) {
  return {{"slug", AttributeValue::S(slug)},
          {"interval_secs", AttributeValue::N(interval)},
          {"last_ping", AttributeValue::N(last_ping_s)},
          {"next_due", AttributeValue::N(last_ping_s + interval)},
          {"check_partition", AttributeValue::S("CHECK")},
          {"alert_count", AttributeValue::N(0)},
          {"created_at", AttributeValue::N(created_s)},
          {"paused", AttributeValue::Bool(false)},
          {"expires_at", AttributeValue::N(last_ping_s + 90 * 24 * 3600)}};
}

TEST_F(DynamoStoreTest, ItemsWrittenByTheRustVersionReadCorrectly) {
  const std::int64_t now_s = kBase / 1000;
  PutRaw(SeedItem("from-rust", 600, now_s - 700, now_s - 86'400));
  Item alerted = SeedItem("rust-alerted", 300, now_s - 4000, now_s - 86'400);
  alerted["first_alerted_at"] = AttributeValue::N(now_s - 3600);
  alerted["last_alerted_at"] = AttributeValue::N(now_s - 3600);
  alerted["alert_count"] = AttributeValue::N(1);
  PutRaw(alerted);

  std::optional<Monitor> m = Get("from-rust", kBase);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->interval_secs, 600);
  EXPECT_EQ(m->last_ping, (now_s - 700) * 1000);
  EXPECT_EQ(m->next_due, (now_s - 100) * 1000);
  EXPECT_EQ(m->created_at, (now_s - 86'400) * 1000);
  EXPECT_FALSE(m->paused);
  EXPECT_EQ(DeriveStatus(*m, kBase), MonitorStatus::kOverdue);
  std::optional<Monitor> a = Get("rust-alerted", kBase);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->alert.alert_count, 1);
  EXPECT_EQ(a->alert.first_alerted_at, (now_s - 3600) * 1000);

  // The checker finds the overdue one in the seed's partition "CHECK" and alerts it once.
  std::vector<Monitor> due = Due(kBase);
  std::set<std::string> slugs;
  for (const Monitor& d : due) slugs.insert(d.slug);
  EXPECT_TRUE(slugs.count("from-rust")) << "the seed's overdue monitor is not found";

  // A ping keeps what we do not own and brings the item up to date, seed attributes first.
  Monitor pinged = Ping("from-rust", std::nullopt, kBase);
  EXPECT_EQ(pinged.interval_secs, 600);
  // (The seed kept no milliseconds of created_at; the ping, one UpdateItem that cannot tell
  // a new item from an old one, supplies its own: created_at moves by less than a second.)
  EXPECT_EQ(pinged.created_at, (now_s - 86'400) * 1000 + kBase % 1000);
  EXPECT_EQ(pinged.next_due, kBase + 600'000);
}

// The Rust version leaves an alerted monitor in "CHECK". A ping moves next_due on, where
// the checker's query on "CHECK" would never find it: the ping moves the item to ALERTING,
// so that its recovery goes out.
TEST_F(DynamoStoreTest, APingOnAMonitorTheRustVersionAlertedLeadsToItsRecovery) {
  const std::int64_t now_s = kBase / 1000;
  Item alerted = SeedItem("rust-down", 300, now_s - 4000, now_s - 86'400);
  alerted["first_alerted_at"] = AttributeValue::N(now_s - 3600);
  alerted["last_alerted_at"] = AttributeValue::N(now_s - 3600);
  alerted["alert_count"] = AttributeValue::N(2);
  PutRaw(alerted);
  Monitor m = Ping("rust-down", std::nullopt, kBase);
  EXPECT_EQ(m.alert.alert_count, 2);
  EXPECT_EQ(Partition("rust-down"), "ALERTING");
  std::vector<Monitor> due = Due(kBase + 1);
  ASSERT_EQ(due.size(), 1u);
  std::optional<Decision> d = Decide(due[0], kBase + 1, 3'600'000);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alert.kind, AlertKind::kRecovered);
}

TEST_F(DynamoStoreTest, OurItemsCarryTheSeedsAttributesWithTheSeedsTypes) {
  Ping("backup", 3600, kBase);
  std::optional<Item> item = Raw("backup");
  ASSERT_TRUE(item.has_value());
  const Item& i = *item;
  auto number = [&](const char* name) -> std::optional<std::int64_t> {
    if (!i.count(name)) return std::nullopt;
    return i.at(name).AsInt64();
  };
  EXPECT_EQ(*i.at("slug").AsString(), "backup");
  EXPECT_EQ(number("interval_secs"), 3600);
  // Whole seconds, as the seed (and DynamoDB's TTL) wants them.
  EXPECT_EQ(number("last_ping"), kBase / 1000);
  EXPECT_EQ(number("next_due"), kBase / 1000 + 3600);
  EXPECT_EQ(number("created_at"), kBase / 1000);
  EXPECT_EQ(number("expires_at"), kBase / 1000 + 90 * 24 * 3600);
  EXPECT_EQ(number("alert_count"), 0);
  EXPECT_EQ(i.at("paused").AsBool(), false);
  EXPECT_EQ(*i.at("check_partition").AsString(), "CHECK");
  // The milliseconds ride along in attributes of our own.
  EXPECT_EQ(number("next_due_frac_ms"), kBase % 1000);
  EXPECT_FALSE(i.count("first_alerted_at"));
}

TEST_F(DynamoStoreTest, TheGsiPartitionFollowsTheMonitorsState) {
  Ping("job", 60, kBase);
  EXPECT_EQ(Partition("job"), "CHECK");
  // Overdue and alerted: in ALERTING until the recovery went out.
  std::vector<Monitor> due = Due(kBase + 2 * kMinute);
  ASSERT_EQ(due.size(), 1u);
  CheckStep step = Check(due[0], kBase + 2 * kMinute, 3'600'000, {"telegram"});
  ASSERT_TRUE(step.decision.has_value());
  EXPECT_EQ(step.next.check_at, kBase + 62 * kMinute);
  Status applied = Await<void>([&](Callback<void> cb) {
    store_->ApplyCheck(due[0], step, kBase + 2 * kMinute, std::move(cb));
  });
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  EXPECT_EQ(Partition("job"), "ALERTING");
  // Paused: out of every partition the checker reads, once nothing waits for delivery.
  auto claimed = Await<std::vector<PendingAlert>>([&](Callback<std::vector<PendingAlert>> cb) {
    store_->ClaimAlerts(kBase + 2 * kMinute, 30'000, 10, "me", {}, std::move(cb));
  });
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(claimed->size(), 1u);
  ASSERT_TRUE(Await<void>([&](Callback<void> cb) {
                store_->FinishAlert((*claimed)[0], "me", std::move(cb));
              }).ok());
  ASSERT_TRUE(Await<bool>([&](Callback<bool> cb) {
                store_->Pause("job", kBase + 3 * kMinute, std::move(cb));
              }).value());
  EXPECT_EQ(Partition("job"), "PAUSED");
  EXPECT_TRUE(Due(kBase + 10 * kMinute).empty());
  ASSERT_TRUE(Await<bool>([&](Callback<bool> cb) {
                store_->Unpause("job", kBase + 4 * kMinute, std::move(cb));
              }).value());
  EXPECT_EQ(Partition("job"), "CHECK");
}

TEST_F(DynamoStoreTest, SpreadPartitionsAreAllQueriedByTheChecker) {
  Open(4);
  std::vector<std::string> slugs;
  for (int i = 0; i < 40; ++i) slugs.push_back("spread-" + std::to_string(i));
  PingMany(slugs, 60, kBase);
  std::map<std::string, int> per_partition;
  for (const std::string& s : slugs) ++per_partition[Partition(s)];
  EXPECT_EQ(per_partition.size(), 4u) << "40 monitors should land in all of CHECK#0..3";
  for (const auto& [p, n] : per_partition) EXPECT_EQ(p.rfind("CHECK#", 0), 0u) << p;
  // An item of the seed in "CHECK" is still found when the partitions are spread.
  PutRaw(SeedItem("legacy", 60, kBase / 1000, kBase / 1000));
  EXPECT_EQ(Due(kBase + 61'001).size(), 41u);
  EXPECT_TRUE(Due(kBase + 59'000).empty());
}

TEST_F(DynamoStoreTest, ListingReadsPastDynamoDbsOneMegabytePages) {
  // Monitor items are small: big seed attributes of another writer make 4 MB quickly.
  const std::string filler(2000, 'x');
  std::vector<std::string> slugs;
  for (int i = 0; i < 2000; ++i) {
    char slug[16];
    std::snprintf(slug, sizeof slug, "big-%04d", i);
    slugs.push_back(slug);
    Item item = SeedItem(slug, 600, kBase / 1000, kBase / 1000);
    item["note"] = AttributeValue::S(filler);  // an attribute we do not know: kept as it is
    PutRaw(std::move(item));
  }
  auto page = Await<MonitorPage>(
      [&](Callback<MonitorPage> cb) { store_->List("default", "", 5000, kBase, std::move(cb)); });
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->monitors.size(), slugs.size());
  for (std::size_t i = 0; i < slugs.size(); ++i) EXPECT_EQ(page->monitors[i].slug, slugs[i]);
  EXPECT_FALSE(page->next_after.has_value());
  // A write of ours keeps the other writer's attribute.
  ASSERT_TRUE(Await<bool>([&](Callback<bool> cb) {
                store_->Pause("big-0001", kBase, std::move(cb));
              }).value());
  EXPECT_EQ(*Raw("big-0001")->at("note").AsString(), filler);
}

TEST_F(DynamoStoreTest, HundredsOfPingsWaitOnDynamoDbAtOnceOnAFewThreads) {
  const std::size_t threads_before = ThreadCount();
  std::vector<std::string> slugs;
  for (int i = 0; i < 600; ++i) slugs.push_back("many-" + std::to_string(i));
  PingMany(slugs, 300, kBase);
  EXPECT_LE(ThreadCount(), threads_before + 1) << "a thread per request?";
  EXPECT_GE(store_->MaxInFlight(), 100) << "the pings did not overlap";
  RecordProperty("max_in_flight", static_cast<int>(store_->MaxInFlight()));
}

TEST_F(DynamoStoreTest, RaisingThePartitionsMovesEachMonitorOnItsNextPing) {
  Ping("moved", 60, kBase);
  ASSERT_EQ(Partition("moved"), "CHECK");
  // The operator raises CHECK_PARTITIONS: a replica with N = 4 on the same tables.
  auto spread = DynamoStore::Open(testing::TestDynamoOptions(tables_, 4));
  ASSERT_TRUE(spread.ok()) << spread.error().message;
  auto pinged = Await<Monitor>([&](Callback<Monitor> cb) {
    (*spread)->Ping("moved", std::nullopt, kBase + 1000, std::move(cb));
  });
  ASSERT_TRUE(pinged.ok()) << pinged.error().message;
  EXPECT_EQ(Partition("moved"), dynamo::HomePartition("moved", 4))
      << "the monitor stays in the hot partition";
  EXPECT_EQ(pinged->next_due, kBase + 61'000);
  // Once moved, a ping costs two requests again (the UpdateItem, then the history's
  // BatchWriteItem), and one with PINGS_KEPT=0; the spread checker finds the monitor.
  std::int64_t before = (*spread)->RequestsSent();
  ASSERT_TRUE(Await<Monitor>([&](Callback<Monitor> cb) {
                (*spread)->Ping("moved", std::nullopt, kBase + 2000, std::move(cb));
              }).ok());
  EXPECT_EQ((*spread)->RequestsSent() - before, 2);
  (*spread)->KeepPings(0);
  before = (*spread)->RequestsSent();
  ASSERT_TRUE(Await<Monitor>([&](Callback<Monitor> cb) {
                (*spread)->Ping("moved", std::nullopt, kBase + 2000, std::move(cb));
              }).ok());
  EXPECT_EQ((*spread)->RequestsSent() - before, 1);
  auto due = Await<std::vector<Monitor>>([&](Callback<std::vector<Monitor>> cb) {
    (*spread)->DueMonitors(kBase + 63'000, 100, std::move(cb));
  });
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].slug, "moved");
  (*spread)->Close();
}

// The ping is durable once its UpdateItem succeeded: when the move that follows fails (here
// DynamoDB answers every PutItem with a 500), the ping is still answered, as written, and
// the next ping tries the move again.
TEST_F(DynamoStoreTest, AFailedPartitionMoveStillAnswersThePing) {
  Item item = SeedItem("stuck", 60, kBase / 1000, kBase / 1000 - 86'400);  // in "CHECK"
  item["next_due"] = AttributeValue::N(kBase / 1000 + 60);
  const std::string item_json = aws::EncodeItemJson(item);
  std::mutex mu;
  std::map<std::string, int> ops;
  testing::LoopbackHttpServer dynamo([&](const testing::LoopbackRequest& req) {
    const std::string op = testing::DynamoOperation(req);
    {
      std::lock_guard lock(mu);
      ++ops[op];
    }
    if (op == "UpdateItem") return testing::DynamoJson(200, R"({"Attributes":)" + item_json + "}");
    if (op == "GetItem") return testing::DynamoJson(200, R"({"Item":)" + item_json + "}");
    return testing::DynamoJson(
        500, R"({"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError",)"
             R"("message":"Internal server error"})");
  });
  DynamoStoreOptions o = LoopbackStoreOptions(dynamo.url());
  o.check_partitions = 4;  // "stuck" belongs in CHECK#i: the ping tries to move it
  auto store = DynamoStore::Open(o);
  ASSERT_TRUE(store.ok()) << store.error().message;
  (*store)->KeepPings(0);  // the monitor's own requests only
  auto pinged = Await<Monitor>(
      [&](Callback<Monitor> cb) { (*store)->Ping("stuck", std::nullopt, kBase, std::move(cb)); });
  (*store)->Close();
  ASSERT_TRUE(pinged.ok()) << pinged.error().message;
  EXPECT_EQ(pinged->slug, "stuck");
  EXPECT_EQ(pinged->next_due, (kBase / 1000 + 60) * 1000);
  std::lock_guard lock(mu);
  EXPECT_EQ(ops["UpdateItem"], 1);
  EXPECT_EQ(ops["PutItem"], 2) << "the move was not tried";
}

// Another writer (the Rust version, during a switch-over) unpaused the monitor but left it
// in PAUSED, which the checker never reads: the next ping brings it back where it is seen.
TEST_F(DynamoStoreTest, AMonitorUnpausedByAnotherWriterComesBackToTheChecker) {
  Item item = SeedItem("unpaused", 60, kBase / 1000 - 10, kBase / 1000 - 86'400);
  item["check_partition"] = AttributeValue::S("PAUSED");
  PutRaw(item);
  Ping("unpaused", std::nullopt, kBase);
  EXPECT_EQ(Partition("unpaused"), "CHECK");
  std::vector<Monitor> due = Due(kBase + 61'000);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].slug, "unpaused");
}

// A ping is one UpdateItem (issue #4: no read before the write), with or without an
// interval, new monitor or not, when the history is off (PINGS_KEPT=0, SPEC §12); with it,
// one BatchWriteItem more.
TEST_F(DynamoStoreTest, APingIsOneRequest) {
  Ping("with-history", 300, kBase);
  std::int64_t with_history = store_->RequestsSent();
  Ping("with-history", 300, kBase + 1);
  EXPECT_EQ(store_->RequestsSent() - with_history, 2);
  store_->KeepPings(0);
  std::vector<std::string> slugs;
  for (int i = 0; i < 50; ++i) slugs.push_back("one-" + std::to_string(i));
  std::int64_t before = store_->RequestsSent();
  PingMany(slugs, 300, kBase);  // new monitors, with an interval
  EXPECT_EQ(store_->RequestsSent() - before, 50);
  before = store_->RequestsSent();
  EXPECT_EQ(testing::PingAllAtOnce(*store_, slugs, std::nullopt, kBase + 1000), 0u);
  EXPECT_EQ(store_->RequestsSent() - before, 50);  // the stored interval, read by the update
  before = store_->RequestsSent();
  Ping("one-new-without-interval", std::nullopt, kBase);
  EXPECT_EQ(store_->RequestsSent() - before, 1);
}

TEST_F(DynamoStoreTest, ListingSkipsAnItemItCannotReadInsteadOfFailing) {
  Ping("good", 60, kBase);
  Item broken = SeedItem("broken", 60, kBase / 1000, kBase / 1000);
  broken.erase("next_due");
  broken["interval_secs"] = AttributeValue::S("five minutes");
  PutRaw(broken);
  auto page = Await<MonitorPage>(
      [&](Callback<MonitorPage> cb) { store_->List("default", "", 100, kBase, std::move(cb)); });
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->monitors.size(), 1u);
  EXPECT_EQ(page->monitors[0].slug, "good");
}

// The checker's query reads what is due, not every monitor of the partition: 300 monitors
// not due and 3 due cost 3 items read (the ALERTING partition is empty).
TEST_F(DynamoStoreTest, TheCheckersQueryReadsOnlyDueItems) {
  std::vector<std::string> later, soon;
  for (int i = 0; i < 300; ++i) later.push_back("later-" + std::to_string(i));
  for (int i = 0; i < 3; ++i) soon.push_back("soon-" + std::to_string(i));
  PingMany(later, 3600, kBase);
  PingMany(soon, 60, kBase);
  const std::int64_t before = store_->ItemsScanned();
  std::vector<Monitor> due = Due(kBase + 61'000);
  EXPECT_EQ(due.size(), 3u);
  EXPECT_EQ(store_->ItemsScanned() - before, 3);
}

// A count of monitors is a whole-table Scan: /metrics reuses one for counts_max_age.
TEST_F(DynamoStoreTest, CountsAreReusedForTheirMaxAgeThenCountedAfresh) {
  DynamoStoreOptions o = testing::TestDynamoOptions(tables_);
  o.counts_max_age = std::chrono::milliseconds(60'000);
  auto counting = DynamoStore::Open(o);
  ASSERT_TRUE(counting.ok()) << counting.error().message;
  auto count = [&](UnixMillis now) {
    auto c = Await<MonitorCounts>(
        [&](Callback<MonitorCounts> cb) { (*counting)->CountMonitors(now, std::move(cb)); });
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
    return c.ok() ? c->ok : -1;
  };
  Ping("a", 3600, kBase);
  EXPECT_EQ(count(kBase), 1);
  Ping("b", 3600, kBase);
  const std::int64_t sent = (*counting)->RequestsSent();
  EXPECT_EQ(count(kBase + 59'000), 1) << "counted again within the max age";
  EXPECT_EQ((*counting)->RequestsSent(), sent);
  EXPECT_EQ(count(kBase + 60'000), 2);
  EXPECT_GT((*counting)->RequestsSent(), sent);
  (*counting)->Close();
}

// The original Rust service's keys table: hash key api_key holding each key in clear, with
// description and created_at (Unix seconds), as its add-api-key wrote them.
class RustKeysTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tables_ = {Dynalite::UniqueTableName("monitors"), Dynalite::UniqueTableName("rust-keys"),
               Dynalite::UniqueTableName("pings")};
    Dynalite::CreateTable(client_, Dynalite::TableRequest(tables_.keys, "api_key"));
    PutClear(kKey1, "backup host", 1'700'000'000);
    PutClear(kKey2, "ci", 1'700'000'100);
    auto store = DynamoStore::Open(testing::TestDynamoOptions(tables_));
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(*store);
    std::string note;
    Status init = store_->InitTables(&note);  // the monitors and pings tables
    ASSERT_TRUE(init.ok()) << init.error().message;
  }
  void TearDown() override {
    if (store_) store_->Close();
  }

  void PutClear(const std::string& key, const std::string& description, std::int64_t created_s) {
    auto r = AwaitDynamo<aws::Nothing>([&](auto cb) {
      client_.PutItem({.table = tables_.keys,
                       .item = {{"api_key", AttributeValue::S(key)},
                                {"description", AttributeValue::S(description)},
                                {"created_at", AttributeValue::N(created_s)}}},
                      std::move(cb));
    });
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  std::vector<Item> RawKeys() {
    auto r = AwaitDynamo<std::vector<Item>>(
        [&](auto cb) { client_.ScanAll({.table = tables_.keys}, std::move(cb)); });
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r.value() : std::vector<Item>{};
  }
  std::map<std::string, ApiKeyRecord> Keys() {
    auto r = Await<std::vector<ApiKeyRecord>>(
        [&](Callback<std::vector<ApiKeyRecord>> cb) { store_->ListKeys(std::move(cb)); });
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    std::map<std::string, ApiKeyRecord> out;
    if (r.ok()) {
      for (ApiKeyRecord& k : *r) out.emplace(k.key_hash, std::move(k));
    }
    return out;
  }
  std::optional<std::size_t> Migrate() {
    auto r = Await<std::optional<std::size_t>>(
        [&](Callback<std::optional<std::size_t>> cb) { store_->MigrateKeys(std::move(cb)); });
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : std::nullopt;
  }

  static constexpr char kKey1[] =
      "0f0e0d0c0b0a09080706050403020100f0e0d0c0b0a090807060504030201000";
  static constexpr char kKey2[] =
      "1111111111111111111111111111111111111111111111111111111111111111";
  testing::DynamoTables tables_;
  std::unique_ptr<DynamoStore> store_;
  std::unique_ptr<AsyncHttpClient> http_ = MakeCurlMultiHttpClient();
  aws::DynamoClient client_{*http_, Dynalite::Shared().ClientOptions()};
};

TEST_F(RustKeysTableTest, ItsKeysAreAcceptedAsTheyAreThenHashedByMigrate) {
  std::map<std::string, ApiKeyRecord> keys = Keys();
  ASSERT_EQ(keys.size(), 2u);
  const std::string hash1 = HashApiKey(kKey1);
  const std::string hash2 = HashApiKey(kKey2);
  ASSERT_EQ(keys.count(hash1), 1u);
  EXPECT_TRUE(keys[hash1].clear_text);
  EXPECT_EQ(keys[hash1].description, "backup host");
  EXPECT_EQ(keys[hash1].created_at, 1'700'000'000'000);
  EXPECT_EQ(keys[hash1].project, "default");
  EXPECT_FALSE(keys[hash1].read_only);
  EXPECT_EQ(store_->ClearTextKeys(), 2u);

  // The last use of a key in clear is recorded on its item.
  ASSERT_TRUE(Await<void>([&](Callback<void> cb) {
                store_->TouchKeys({{hash2, 1'800'000'000'000}}, std::move(cb));
              }).ok());
  EXPECT_EQ(Keys()[hash2].last_used_at, 1'800'000'000'000);

  // Projects and new keys go into the same table, hashed.
  ASSERT_TRUE(Await<void>([&](Callback<void> cb) {
                store_->EnsureDefaultProject(1'800'000'000'000, std::move(cb));
              }).ok());
  const std::string hash3 = HashApiKey("a new key of ours");
  ASSERT_TRUE(Await<void>([&](Callback<void> cb) {
                store_->AddKey({.key_hash = hash3,
                                .description = "new",
                                .created_at = 1'800'000'000'000,
                                .last_used_at = std::nullopt,
                                .project = "default",
                                .read_only = true},
                               std::move(cb));
              }).ok());
  keys = Keys();
  ASSERT_EQ(keys.size(), 3u) << "the project is no key";
  EXPECT_FALSE(keys[hash3].clear_text);
  EXPECT_TRUE(keys[hash3].read_only);
  auto projects = Await<std::vector<ProjectRecord>>(
      [&](Callback<std::vector<ProjectRecord>> cb) { store_->ListProjects(std::move(cb)); });
  ASSERT_TRUE(projects.ok());
  ASSERT_EQ(projects->size(), 1u);
  EXPECT_EQ((*projects)[0].name, "default");

  EXPECT_EQ(Migrate(), std::optional<std::size_t>(2));
  EXPECT_EQ(store_->ClearTextKeys(), 0u);
  keys = Keys();
  ASSERT_EQ(keys.size(), 3u);
  for (const std::string& h : {hash1, hash2}) {
    EXPECT_FALSE(keys[h].clear_text);
    EXPECT_EQ(keys[h].project, "default");
    EXPECT_FALSE(keys[h].read_only);
  }
  EXPECT_EQ(keys[hash1].description, "backup host");
  EXPECT_EQ(keys[hash1].created_at, 1'700'000'000'000);
  EXPECT_EQ(keys[hash2].last_used_at, 1'800'000'000'000);
  for (const Item& item : RawKeys()) {
    const std::string* key = item.at("api_key").AsString();
    ASSERT_NE(key, nullptr);
    EXPECT_NE(*key, kKey1);
    EXPECT_NE(*key, kKey2);
    EXPECT_TRUE(key->starts_with("hash:") || key->find("project:") != std::string::npos) << *key;
  }
  EXPECT_EQ(Migrate(), std::optional<std::size_t>(0)) << "a second run changes nothing";
  EXPECT_EQ(Keys().size(), 3u);

  // Revoking works on hashed entries too.
  ASSERT_TRUE(Await<void>([&](Callback<void> cb) {
                store_->RevokeKey(KeyIdFromHash(hash1), std::move(cb));
              }).ok());
  EXPECT_EQ(Keys().count(hash1), 0u);
}

TEST_F(RustKeysTableTest, AKeyInClearCanBeRevoked) {
  const std::string hash1 = HashApiKey(kKey1);
  Status revoked = Await<void>([&](Callback<void> cb) { store_->RevokeKey(hash1, std::move(cb)); });
  ASSERT_TRUE(revoked.ok()) << revoked.error().message;
  EXPECT_EQ(Keys().size(), 1u);
  EXPECT_EQ(RawKeys().size(), 1u);
}

TEST_F(RustKeysTableTest, AnEmptyTableOfThatLayoutTakesOurItemsUnderApiKey) {
  const std::string table = Dynalite::UniqueTableName("rust-keys-empty");
  Dynalite::CreateTable(client_, Dynalite::TableRequest(table, "api_key"));
  testing::DynamoTables tables = tables_;
  tables.keys = table;
  auto store = DynamoStore::Open(testing::TestDynamoOptions(tables));
  ASSERT_TRUE(store.ok());
  Status added = Await<void>([&](Callback<void> cb) {
    (*store)->AddProject({.name = "ops", .ping_key = "abcdefghij0123456789ab", .created_at = 1},
                         std::move(cb));
  });
  ASSERT_TRUE(added.ok()) << added.error().message;
  auto projects = Await<std::vector<ProjectRecord>>(
      [&](Callback<std::vector<ProjectRecord>> cb) { (*store)->ListProjects(std::move(cb)); });
  ASSERT_TRUE(projects.ok()) << projects.error().message;
  ASSERT_EQ(projects->size(), 1u);
  EXPECT_EQ((*projects)[0].ping_key, "abcdefghij0123456789ab");
  (*store)->Close();
}

// Channels live in the keys table beside the Rust service's keys: under a hash key no
// Bearer token can carry (a byte outside visible ASCII), never listed or migrated as keys.
TEST_F(RustKeysTableTest, ChannelsLiveBesideItsKeysAndAreNeverKeys) {
  const ChannelRecord ops{.project = "default",
                          .name = "ops",
                          .kind = "webhook",
                          .config = R"({"url":"https://example.com/hook"})",
                          .created_at = 1'800'000'000'123};
  auto add = [&](const ChannelRecord& c) {
    return Await<void>([&](Callback<void> cb) { store_->AddChannel(c, std::move(cb)); });
  };
  auto list = [&] {
    return Await<std::vector<ChannelRecord>>([&](Callback<std::vector<ChannelRecord>> cb) {
             store_->ListChannels(std::move(cb));
           })
        .value();
  };
  ASSERT_TRUE(add(ops).ok());
  // (The very same record again is taken for a retry whose answer was lost, as AddKey.)
  EXPECT_TRUE(add(ops).ok());
  ChannelRecord other = ops;
  other.config = R"({"url":"https://example.com/other"})";
  Status again = add(other);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(list(), std::vector<ChannelRecord>{ops});
  EXPECT_EQ(Keys().size(), 2u) << "a channel is no key";
  bool found = false;
  for (const Item& item : RawKeys()) {
    const std::string* key = item.at("api_key").AsString();
    ASSERT_NE(key, nullptr);
    if (key->find("channel:") == std::string::npos) continue;
    found = true;
    EXPECT_TRUE(key->starts_with("\xc2\xa7")) << *key;
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(Migrate(), std::optional<std::size_t>(2));
  EXPECT_EQ(list(), std::vector<ChannelRecord>{ops}) << "migrate leaves channels alone";
  EXPECT_EQ(Keys().size(), 2u);
  ASSERT_TRUE(Await<void>([&](Callback<void> cb) {
                store_->RemoveChannel("default", "ops", std::move(cb));
              }).ok());
  EXPECT_TRUE(list().empty());
  EXPECT_EQ(Keys().size(), 2u);
}

// An item written before channels and policies: its alerts go to the environment's channel
// `telegram`, and the monitor reads with the policies' defaults.
TEST_F(DynamoStoreTest, AnOutboxEntryWithoutAChannelGoesToTelegram) {
  const std::int64_t now_s = kBase / 1000;
  Item item = SeedItem("old", 300, now_s - 4000, now_s - 86'400);
  item["first_alerted_at"] = AttributeValue::N(now_s - 3600);
  item["last_alerted_at"] = AttributeValue::N(now_s - 3600);
  item["alert_count"] = AttributeValue::N(1);
  item["check_partition"] = AttributeValue::S("ALERTING");
  item["rev"] = AttributeValue::N(7);
  item["outbox_seq"] = AttributeValue::N(1);
  item["outbox"] = AttributeValue::M(
      {{"1", AttributeValue::M({{"kind", AttributeValue::S("overdue")},
                                {"slug", AttributeValue::S("old")},
                                {"interval_secs", AttributeValue::N(300)},
                                {"deadline", AttributeValue::N((now_s - 3700) * 1000)},
                                {"at", AttributeValue::N((now_s - 3600) * 1000)},
                                {"down_since", AttributeValue::N((now_s - 3700) * 1000)},
                                {"attempts", AttributeValue::N(0)},
                                {"next_attempt_at", AttributeValue::N((now_s - 3600) * 1000)},
                                {"state", AttributeValue::S("pending")}})}});
  PutRaw(item);
  std::optional<Monitor> m = Get("old", kBase);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->channels, std::nullopt);
  EXPECT_EQ(m->repeat_secs, std::nullopt);
  EXPECT_EQ(m->down_after, 1);
  EXPECT_EQ(m->fail_streak, 0);
  EXPECT_EQ(m->snoozed_until, std::nullopt);
  EXPECT_FALSE(m->alert.acknowledged);
  auto claimed = Await<std::vector<PendingAlert>>([&](Callback<std::vector<PendingAlert>> cb) {
    store_->ClaimAlerts(kBase, 30'000, 10, "me", {}, std::move(cb));
  });
  ASSERT_TRUE(claimed.ok()) << claimed.error().message;
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ((*claimed)[0].alert.channel, "telegram");
  EXPECT_EQ((*claimed)[0].alert.kind, AlertKind::kOverdue);
  // Skipping telegram skips it.
  auto skipped = Await<std::vector<PendingAlert>>([&](Callback<std::vector<PendingAlert>> cb) {
    store_->ClaimAlerts(kBase + 60'000, 30'000, 10, "other", ClaimRoom{.skip = {"telegram"}},
                        std::move(cb));
  });
  ASSERT_TRUE(skipped.ok());
  EXPECT_TRUE(skipped->empty());
}

TEST_F(DynamoStoreTest, MigrateHasNothingToDoOnATableOfOurLayout) {
  auto r = Await<std::optional<std::size_t>>(
      [&](Callback<std::optional<std::size_t>> cb) { store_->MigrateKeys(std::move(cb)); });
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, std::nullopt);
}

// A monitor the Rust version wrote has no uuid: `store init` gives it one, so that
// /ping/<uuid> finds it without its ever being pinged; a table that had no uuid-index and
// an engine that cannot add one (dynalite) still find it, by a scan.
TEST_F(DynamoStoreTest, StoreInitGivesSeedItemsAUuidThatFindsThem) {
  PutRaw(SeedItem("seed", 300, kBase / 1000, kBase / 1000));
  EXPECT_TRUE(Get("seed", kBase)->uuid.empty());
  std::string note;
  std::vector<std::string> notes;
  Status init = store_->InitTables(&note, &notes);
  ASSERT_TRUE(init.ok()) << init.error().message;
  ASSERT_EQ(notes, std::vector<std::string>{"gave 1 monitors a uuid"});
  std::string uuid = Get("seed", kBase)->uuid;
  EXPECT_TRUE(IsUuid(uuid)) << uuid;
  auto found = Await<std::optional<Monitor>>(
      [&](Callback<std::optional<Monitor>> cb) { store_->FindByUuid(uuid, kBase, std::move(cb)); });
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->slug, "seed");
  EXPECT_EQ(Ping("seed", std::nullopt, kBase + 1000).uuid, uuid) << "kept by the fast ping";

  // A monitors table made before uuid-index.
  const std::string old_table = Dynalite::UniqueTableName("old-monitors");
  Dynalite::CreateTable(
      client_, Dynalite::TableRequest(old_table, "slug", "overdue-check-index", "check_partition"));
  testing::DynamoTables tables = tables_;
  tables.monitors = old_table;
  auto old = DynamoStore::Open(testing::TestDynamoOptions(tables));
  ASSERT_TRUE(old.ok());
  Monitor pinged;
  auto r =
      Await<Monitor>([&](Callback<Monitor> cb) { (*old)->Ping("old", 60, kBase, std::move(cb)); });
  ASSERT_TRUE(r.ok()) << r.error().message;
  found = Await<std::optional<Monitor>>([&](Callback<std::optional<Monitor>> cb) {
    (*old)->FindByUuid(r->uuid, kBase, std::move(cb));
  });
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->slug, "old");
  (*old)->Close();
}

// The seed's items take every new attribute of ours as additive: a Mutate of one gives it
// a uuid, and the fields Healthchecks' API sets are written only when set.
TEST_F(DynamoStoreTest, AWriteOfASeedItemGivesItAUuidAndOmitsEmptyFields) {
  PutRaw(SeedItem("seed", 300, kBase / 1000, kBase / 1000));
  auto failed =
      Await<Monitor>([&](Callback<Monitor> cb) { store_->Fail("seed", kBase, std::move(cb)); });
  ASSERT_TRUE(failed.ok()) << failed.error().message;
  EXPECT_TRUE(IsUuid(failed->uuid));
  std::optional<Item> raw = Raw("seed");
  ASSERT_TRUE(raw.has_value());
  EXPECT_EQ(*raw->at("uuid").AsString(), failed->uuid);
  for (const char* absent : {"name", "tags", "desc", "methods", "manual_resume"}) {
    EXPECT_EQ(raw->count(absent), 0u) << absent;
  }
}

// A stalled DynamoDB (issue #14): it accepts connections and never answers. Every operation
// answers kUnavailable by store_timeout, whatever its requests and retries, and Healthy()
// turns false within about stall_after, also on a store nobody calls but /healthz (its
// probe); once DynamoDB answers again, so does Healthy(). Bounds are generous: they tell
// the deadline from 10 attempts x 10 s.
class DynamoStallTest : public ::testing::Test {
 protected:
  DynamoStallTest()
      : server_([this](const testing::LoopbackRequest&) {
          if (stalled_) return testing::LoopbackReply::NeverAnswer();
          return testing::DynamoJson(200, "{}");  // GetItem: no such item
        }) {}

  std::unique_ptr<DynamoStore> Open(std::chrono::milliseconds store_timeout,
                                    std::chrono::milliseconds stall_after) {
    DynamoStoreOptions o = LoopbackStoreOptions(server_.url());
    o.client.max_attempts = 10;
    o.client.request_timeout = std::chrono::milliseconds(10'000);
    o.store_timeout = store_timeout;
    o.stall_after = stall_after;
    auto store = DynamoStore::Open(o);
    EXPECT_TRUE(store.ok());
    return std::move(*store);
  }

  static bool Eventually(std::chrono::milliseconds bound, const std::function<bool()>& ok) {
    auto deadline = std::chrono::steady_clock::now() + bound;
    while (!ok()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }

  static double SecondsSince(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  }

  std::atomic<bool> stalled_{true};
  testing::LoopbackHttpServer server_;
};

TEST_F(DynamoStallTest, EveryOperationAnswersUnavailableByTheStoreTimeout) {
  auto store = Open(std::chrono::milliseconds(700), std::chrono::milliseconds(2000));
  auto start = std::chrono::steady_clock::now();
  auto pinged = Await<Monitor>(
      [&](Callback<Monitor> cb) { store->Ping("stalled", std::nullopt, kBase, std::move(cb)); });
  ASSERT_FALSE(pinged.ok());
  EXPECT_EQ(pinged.error().code, ErrorCode::kUnavailable) << pinged.error().message;
  EXPECT_LT(SecondsSince(start), 5.0);

  // A read-modify-write: a read, a decision, a conditional write.
  start = std::chrono::steady_clock::now();
  auto failed =
      Await<Monitor>([&](Callback<Monitor> cb) { store->Fail("stalled", kBase, std::move(cb)); });
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable) << failed.error().message;
  EXPECT_LT(SecondsSince(start), 5.0);

  // The checker's query, over every partition at once.
  start = std::chrono::steady_clock::now();
  auto due = Await<std::vector<Monitor>>(
      [&](Callback<std::vector<Monitor>> cb) { store->DueMonitors(kBase, 100, std::move(cb)); });
  ASSERT_FALSE(due.ok());
  EXPECT_EQ(due.error().code, ErrorCode::kUnavailable) << due.error().message;
  EXPECT_LT(SecondsSince(start), 5.0);
  EXPECT_FALSE(store->Healthy());

  // Close waits for what the operations left in flight, which ends by the same deadline.
  start = std::chrono::steady_clock::now();
  store->Close();
  EXPECT_LT(SecondsSince(start), 5.0);
}

TEST_F(DynamoStallTest, HealthyTurnsFalseWithinSecondsOfAStallAndBackOnceAnswered) {
  stalled_ = false;
  auto store = Open(std::chrono::milliseconds(1500), std::chrono::milliseconds(500));
  // Answered: healthy (the first calls start a probe, which DynamoDB answers).
  EXPECT_TRUE(Eventually(std::chrono::seconds(5), [&] { return store->Healthy(); }));

  stalled_ = true;
  // Nobody calls the store but Healthy(): its probe goes out once DynamoDB has been quiet
  // for a second, and waits unanswered.
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(Eventually(std::chrono::seconds(10), [&] { return !store->Healthy(); }));
  EXPECT_LT(SecondsSince(start), 10.0);

  stalled_ = false;
  EXPECT_TRUE(Eventually(std::chrono::seconds(10), [&] { return store->Healthy(); }));
  store->Close();
}

// `heartbeat store init` against an endpoint that answers as AWS would: the request that
// turns TTL on, TTL already on, an engine without TTL, TTL refused, and a table that exists
// without the GSI.
class InitTablesTest : public ::testing::Test {
 protected:
  struct Script {
    std::string existing_indexes =
        R"([{"IndexName":"overdue-check-index"},{"IndexName":"uuid-index"}])";
    int index_creating_for = 0;  // DescribeTable calls on the monitors table that say CREATING
    bool tables_exist = false;
    unsigned ttl_status = 200;
    std::string ttl_answer = R"({"TimeToLiveSpecification":{"Enabled":true,)"
                             R"("AttributeName":"expires_at"}})";
  };

  Status Init(const Script& script, std::string* note, std::vector<std::string>* notes = nullptr) {
    testing::LoopbackHttpServer server([&](const testing::LoopbackRequest& req) {
      const std::string op = testing::DynamoOperation(req);
      std::lock_guard lock(mu_);
      ops_.push_back(op);
      auto json = testing::DynamoJson;
      if (op == "CreateTable") {
        if (script.tables_exist) {
          return json(400, R"({"__type":"com.amazonaws.dynamodb.v20120810#)"
                           R"(ResourceInUseException","message":"Table already exists"})");
        }
        return json(200, R"({"TableDescription":{"TableStatus":"CREATING"}})");
      }
      if (op == "DescribeTable") {
        bool monitors = req.body.find("\"monitors\"") != std::string::npos;
        std::string indexes = script.existing_indexes;
        if (monitors && described_monitors_++ < script.index_creating_for) {
          indexes = R"([{"IndexName":"overdue-check-index","IndexStatus":"CREATING"},)"
                    R"({"IndexName":"uuid-index"}])";
        }
        if (monitors && !update_table_body_.empty()) {
          indexes = R"([{"IndexName":"overdue-check-index"},)"
                    R"({"IndexName":"uuid-index","IndexStatus":"CREATING"}])";
        }
        return json(200, std::string(R"({"Table":{"TableStatus":"ACTIVE")") +
                             (monitors ? ",\"GlobalSecondaryIndexes\":" + indexes : "") + "}}");
      }
      if (op == "UpdateTable") {
        update_table_body_ = req.body;
        return json(200, R"({"TableDescription":{"TableStatus":"UPDATING"}})");
      }
      if (op == "Scan") return json(200, R"({"Items":[],"Count":0,"ScannedCount":0})");
      if (op == "UpdateTimeToLive") {
        ttl_body_ = req.body;
        return json(script.ttl_status, script.ttl_answer);
      }
      return json(400, R"({"__type":"com.amazon.coral.service#UnknownOperationException"})");
    });
    DynamoStoreOptions o = LoopbackStoreOptions(server.url());
    o.monitors_table = "monitors";
    o.keys_table = "keys";
    o.pings_table = "pings";
    auto store = DynamoStore::Open(o);
    if (!store.ok()) return store.error();
    Status s = (*store)->InitTables(note, notes);
    (*store)->Close();
    return s;
  }

  std::mutex mu_;
  std::vector<std::string> ops_;
  std::string ttl_body_;
  std::string update_table_body_;
  int described_monitors_ = 0;
};

TEST_F(InitTablesTest, CreatesBothTablesWithTheIndexAndTurnsTtlOnForExpiresAt) {
  std::string note;
  Status s = Init({}, &note);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(note, "");
  EXPECT_EQ(ops_, (std::vector<std::string>{"CreateTable", "DescribeTable", "CreateTable",
                                            "DescribeTable", "CreateTable", "DescribeTable", "Scan",
                                            "UpdateTimeToLive", "UpdateTimeToLive"}));
  // The last TTL request: the history's (the monitors' came first).
  boost::json::value ttl = boost::json::parse(ttl_body_);
  EXPECT_EQ(ttl.at("TableName"), "pings");
  EXPECT_EQ(ttl.at("TimeToLiveSpecification").at("Enabled"), true);
  EXPECT_EQ(ttl.at("TimeToLiveSpecification").at("AttributeName"), "expires_at");
}

TEST_F(InitTablesTest, WaitsForTheIndexToBeBuilt) {
  Script script;
  script.index_creating_for = 2;
  std::string note;
  Status s = Init(script, &note);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(described_monitors_, 3);
}

TEST_F(InitTablesTest, TtlAlreadyOnIsFine) {
  Script script;
  script.tables_exist = true;
  script.ttl_status = 400;
  script.ttl_answer = R"({"__type":"com.amazon.coral.validate#ValidationException",)"
                      R"("message":"TimeToLive is already enabled"})";
  std::string note;
  Status s = Init(script, &note);
  EXPECT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(note, "");
}

TEST_F(InitTablesTest, AnEngineWithoutTtlIsANoteNotAFailure) {
  Script script;
  script.ttl_status = 400;
  script.ttl_answer = R"({"__type":"com.amazon.coral.service#UnknownOperationException"})";
  std::string note;
  Status s = Init(script, &note);
  EXPECT_TRUE(s.ok()) << s.error().message;
  EXPECT_NE(note.find("TTL could not be turned on"), std::string::npos) << note;
}

TEST_F(InitTablesTest, TtlRefusedIsAFailure) {
  Script script;
  script.ttl_status = 400;
  script.ttl_answer =
      R"({"__type":"com.amazon.coral.service#AccessDeniedException",)"
      R"("message":"User is not authorized to perform: dynamodb:UpdateTimeToLive"})";
  std::string note;
  Status s = Init(script, &note);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("not authorized"), std::string::npos) << s.error().message;
}

// A monitors table of the seed, or of a version before uuids: uuid-index is added
// (KEYS_ONLY on uuid S) and not waited for, since DynamoDB builds it from every item.
TEST_F(InitTablesTest, AnExistingTableWithoutTheUuidIndexGetsIt) {
  Script script;
  script.tables_exist = true;
  script.existing_indexes = R"([{"IndexName":"overdue-check-index"}])";
  std::string note;
  std::vector<std::string> notes;
  Status s = Init(script, &note, &notes);
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_FALSE(update_table_body_.empty());
  boost::json::value body = boost::json::parse(update_table_body_);
  EXPECT_EQ(body.at("TableName"), "monitors");
  EXPECT_EQ(body.at("AttributeDefinitions"),
            boost::json::parse(R"([{"AttributeName":"uuid","AttributeType":"S"}])"));
  const boost::json::value& create = body.at("GlobalSecondaryIndexUpdates").at(0).at("Create");
  EXPECT_EQ(create.at("IndexName"), "uuid-index");
  EXPECT_EQ(create.at("KeySchema"),
            boost::json::parse(R"([{"AttributeName":"uuid","KeyType":"HASH"}])"));
  EXPECT_EQ(create.at("Projection").at("ProjectionType"), "KEYS_ONLY");
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("added the index uuid-index"), std::string::npos) << notes[0];
}

TEST_F(InitTablesTest, AnExistingTableWithoutTheIndexIsAFailure) {
  Script script;
  script.tables_exist = true;
  script.existing_indexes = R"([{"IndexName":"something-else"}])";
  std::string note;
  Status s = Init(script, &note);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("overdue-check-index"), std::string::npos) << s.error().message;
}

}  // namespace
}  // namespace heartbeat
