// AttributeValue, the item JSON codec, base64, request bodies and the reading of answers:
// pure functions, no I/O.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <string>

#include "aws/base64.h"
#include "aws/dynamodb.h"
#include "aws/dynamodb_protocol.h"
#include "aws/json_error.h"

namespace heartbeat::aws {
namespace {

namespace json = boost::json;
using AV = AttributeValue;

Item EveryType() {
  return Item{
      {"s", AV::S("héllo ✓ \"quoted\" \\ \n")},
      {"empty", AV::S("")},
      {"n", AV::N(-42)},
      {"big", AV::NumberText("123456789012345678901234567890.123456789")},
      {"b", AV::B(std::string("\x00\x01\xff\xfe bytes", 10))},
      {"t", AV::Bool(true)},
      {"f", AV::Bool(false)},
      {"null", AV::Null()},
      {"m", AV::M({{"inner", AV::L({AV::N(1), AV::S("x"), AV::M({{"deep", AV::Bool(true)}})})}})},
      {"l", AV::L({})},
      {"ss", AV::SS({"a", "b"})},
      {"ns", AV::NS({"1", "2.5"})},
      {"bs", AV::BS({std::string("\x00", 1), "z"})},
  };
}

TEST(AttributeValue, TypedReadsAnswerOnlyForTheirType) {
  AV s = AV::S("x");
  EXPECT_EQ(s.type(), AV::Type::kS);
  ASSERT_NE(s.AsString(), nullptr);
  EXPECT_EQ(*s.AsString(), "x");
  EXPECT_EQ(s.AsInt64(), std::nullopt);
  EXPECT_EQ(s.AsBytes(), nullptr);
  EXPECT_EQ(s.AsBool(), std::nullopt);
  EXPECT_FALSE(s.IsNull());
  EXPECT_EQ(s.AsMap(), nullptr);
  EXPECT_EQ(s.AsList(), nullptr);
  EXPECT_EQ(s.AsSet(), nullptr);
  EXPECT_TRUE(AV().IsNull());
  EXPECT_EQ(AV::Bool(false).AsBool(), false);
  EXPECT_EQ(*AV::NS({"1"}).AsSet(), std::vector<std::string>{"1"});
}

TEST(AttributeValue, AsInt64ParsesOnlyCanonicalIntegersThatFit) {
  EXPECT_EQ(AV::N(INT64_MAX).AsInt64(), INT64_MAX);
  EXPECT_EQ(AV::N(INT64_MIN).AsInt64(), INT64_MIN);
  EXPECT_EQ(AV::NumberText("0").AsInt64(), 0);
  EXPECT_EQ(AV::NumberText("-17").AsInt64(), -17);
  for (const char* bad : {"9223372036854775808", "-9223372036854775809", "1.5", "1e3", "1.0", "+1",
                          " 1", "1 ", "007", "-0", "", "-", "0x10", "1_000"}) {
    EXPECT_EQ(AV::NumberText(bad).AsInt64(), std::nullopt) << bad;
  }
  EXPECT_EQ(*AV::NumberText("1.50").NumberTextOrNull(), "1.50");  // the text is kept as is
}

TEST(AttributeValue, EqualityIsDeepAndCopiesShareTheirValue) {
  Item a = EveryType();
  Item b = EveryType();
  EXPECT_EQ(a, b);
  b["m"] = AV::M({{"inner", AV::L({AV::N(2)})}});
  EXPECT_NE(a, b);
  EXPECT_NE(AV::S("1"), AV::N(1));
  EXPECT_NE(AV::NumberText("1"), AV::NumberText("1.0"));  // by text, as documented
  AV x = a["big"];
  EXPECT_EQ(x.NumberTextOrNull(), a["big"].NumberTextOrNull());  // the same representation
}

TEST(Base64, EncodesAndDecodesTheRfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    EXPECT_EQ(Base64Decode(encoded), plain);
  }
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_EQ(Base64Decode(Base64Encode(all)), all);
}

TEST(Base64, RefusesWhatIsNotStrictBase64) {
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zm9v\n", "Zm 9", "Zh==", "Zm9=", "=Zm9",
                          "Zg==Zg==", "Zm-v", "Zm_v", "Zm9v===="}) {
    EXPECT_EQ(Base64Decode(bad), std::nullopt) << bad;
  }
}

TEST(ItemJson, EveryTypeSurvivesARoundTrip) {
  Item item = EveryType();
  std::string text = EncodeItemJson(item);
  auto back = DecodeItemJson(text);
  ASSERT_TRUE(std::holds_alternative<Item>(back)) << std::get<std::string>(back);
  EXPECT_EQ(std::get<Item>(back), item);
}

TEST(ItemJson, EncodesDynamoDbsWireShapes) {
  json::value v = json::parse(EncodeItemJson(EveryType()));
  EXPECT_EQ(v.at("n"), json::parse(R"({"N":"-42"})"));
  EXPECT_EQ(v.at("big"), json::parse(R"({"N":"123456789012345678901234567890.123456789"})"));
  EXPECT_EQ(v.at("b"), json::parse(R"({"B":"AAH//iBieXRlcw=="})"));
  EXPECT_EQ(v.at("null"), json::parse(R"({"NULL":true})"));
  EXPECT_EQ(v.at("t"), json::parse(R"({"BOOL":true})"));
  EXPECT_EQ(v.at("l"), json::parse(R"({"L":[]})"));
  EXPECT_EQ(v.at("bs"), json::parse(R"({"BS":["AA==","eg=="]})"));
  EXPECT_EQ(v.at("m"), json::parse(R"({"M":{"inner":{"L":[{"N":"1"},{"S":"x"},
                                     {"M":{"deep":{"BOOL":true}}}]}}})"));
}

TEST(ItemJson, RefusesWhatIsNotAnItemWithASentence) {
  const char* bad[] = {
      "",
      "[]",
      "{",
      R"({"a":"x"})",
      R"({"a":{}})",
      R"({"a":{"S":"x","N":"1"}})",
      R"({"a":{"S":1}})",
      R"({"a":{"N":"one"}})",
      R"({"a":{"N":"1e"}})",
      R"({"a":{"N":1}})",
      R"({"a":{"B":"not base64!"}})",
      R"({"a":{"BOOL":"true"}})",
      R"({"a":{"NULL":false}})",
      R"({"a":{"M":[]}})",
      R"({"a":{"L":{}}})",
      R"({"a":{"L":[{"X":"1"}]}})",
      R"({"a":{"SS":["x",1]}})",
      R"({"a":{"NS":["x"]}})",
      R"({"a":{"BS":["%%%%"]}})",
      R"({"a":{"Q":"1"}})",
      "{\"a\":{\"S\":\"\xff\xfe\"}}",  // not UTF-8
  };
  for (const char* text : bad) {
    auto r = DecodeItemJson(text);
    ASSERT_TRUE(std::holds_alternative<std::string>(r)) << text;
    EXPECT_FALSE(std::get<std::string>(r).empty()) << text;
  }
  auto nested = DecodeItemJson(R"({"outer":{"M":{"inner":{"L":[{"S":"x"},{"N":"z"}]}}}})");
  EXPECT_EQ(std::get<std::string>(nested), "outer.M.inner.L[1].N: not a number in text");
}

TEST(ItemJson, DeepNestingIsAnErrorNotACrash) {
  // DynamoDB nests 32 levels; 32 parse, 10,000 are refused without deep recursion.
  std::string ok = "{\"a\":";
  for (int i = 0; i < 31; ++i) ok += "{\"M\":{\"a\":";
  ok += "{\"S\":\"x\"}";
  for (int i = 0; i < 31; ++i) ok += "}}";
  ok += "}";
  EXPECT_TRUE(std::holds_alternative<Item>(DecodeItemJson(ok)));
  std::string deep;
  for (int i = 0; i < 10000; ++i) deep += "{\"a\":{\"L\":[";
  EXPECT_TRUE(std::holds_alternative<std::string>(DecodeItemJson(deep)));
}

// --- requests ----------------------------------------------------------------------------

TEST(RequestBody, UpdateItemCarriesExpressionsAndLeavesEmptyMapsOut) {
  UpdateItemRequest r;
  r.table = "t";
  r.key = {{"pk", AV::S("k")}};
  r.update = "SET #c = if_not_exists(#c, :zero) + :one";
  r.condition = "attribute_exists(pk)";
  r.names = {{"#c", "count"}};
  r.values = {{":zero", AV::N(0)}, {":one", AV::N(1)}};
  r.return_values = ReturnValues::kAllNew;
  json::value v = json::parse(protocol::UpdateItemBody(r));
  EXPECT_EQ(v, json::parse(R"j({"TableName":"t","Key":{"pk":{"S":"k"}},
      "UpdateExpression":"SET #c = if_not_exists(#c, :zero) + :one",
      "ConditionExpression":"attribute_exists(pk)",
      "ExpressionAttributeNames":{"#c":"count"},
      "ExpressionAttributeValues":{":one":{"N":"1"},":zero":{"N":"0"}},
      "ReturnValues":"ALL_NEW"})j"));

  PutItemRequest p;
  p.table = "t";
  p.item = {{"pk", AV::S("k")}};
  json::value pv = json::parse(protocol::PutItemBody(p));
  EXPECT_EQ(pv, json::parse(R"({"TableName":"t","Item":{"pk":{"S":"k"}}})"));
}

TEST(RequestBody, QueryOnAnIndexWithEveryOption) {
  QueryRequest q;
  q.table = "t";
  q.index = "by_due";
  q.key_condition = "shard = :s AND due <= :now";
  q.filter = "paused = :f";
  q.projection = "pk, due";
  q.values = {{":s", AV::S("0")}, {":now", AV::N(5)}, {":f", AV::Bool(false)}};
  q.limit = 10;
  q.scan_forward = false;
  q.exclusive_start_key = Item{{"pk", AV::S("a")}};
  json::object o = json::parse(protocol::QueryBody(q)).as_object();
  EXPECT_EQ(o.at("IndexName"), "by_due");
  EXPECT_EQ(o.at("KeyConditionExpression"), "shard = :s AND due <= :now");
  EXPECT_EQ(o.at("FilterExpression"), "paused = :f");
  EXPECT_EQ(o.at("ProjectionExpression"), "pk, due");
  EXPECT_EQ(o.at("Limit"), 10);
  EXPECT_EQ(o.at("ScanIndexForward"), false);
  EXPECT_EQ(o.at("ConsistentRead"), false);
  EXPECT_EQ(o.at("ExclusiveStartKey"), json::parse(R"({"pk":{"S":"a"}})"));
  EXPECT_FALSE(o.contains("ExpressionAttributeNames"));
}

TEST(RequestBody, CreateTableDefinesEachKeyAttributeOnce) {
  CreateTableRequest r;
  r.table = "t";
  r.hash = {"pk", 'S'};
  r.indexes.push_back({"by_due", {"shard", 'S'}, KeyAttribute{"due", 'N'}});
  r.indexes.push_back({"by_pk", {"pk", 'S'}, std::nullopt});
  EXPECT_EQ(json::parse(protocol::CreateTableBody(r)), json::parse(R"({
      "TableName":"t",
      "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},
                              {"AttributeName":"shard","AttributeType":"S"},
                              {"AttributeName":"due","AttributeType":"N"}],
      "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
      "BillingMode":"PAY_PER_REQUEST",
      "GlobalSecondaryIndexes":[
        {"IndexName":"by_due","KeySchema":[{"AttributeName":"shard","KeyType":"HASH"},
                                           {"AttributeName":"due","KeyType":"RANGE"}],
         "Projection":{"ProjectionType":"ALL"}},
        {"IndexName":"by_pk","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
         "Projection":{"ProjectionType":"ALL"}}]})"));
}

TEST(RequestBody, BatchWriteItemAndTimeToLive) {
  std::vector<WriteRequest> w(2);
  w[0].put = Item{{"pk", AV::S("a")}};
  w[1].delete_key = Item{{"pk", AV::S("b")}};
  EXPECT_EQ(json::parse(protocol::BatchWriteItemBody("t", w)), json::parse(R"({"RequestItems":
      {"t":[{"PutRequest":{"Item":{"pk":{"S":"a"}}}},{"DeleteRequest":{"Key":{"pk":{"S":"b"}}}}]}})"));
  EXPECT_EQ(json::parse(protocol::UpdateTimeToLiveBody("t", "expires")),
            json::parse(R"({"TableName":"t","TimeToLiveSpecification":
                            {"Enabled":true,"AttributeName":"expires"}})"));
}

// --- answers -----------------------------------------------------------------------------

HttpResult Answer(long status, std::string body) {
  HttpResult r;
  r.transport_ok = true;
  r.status = status;
  r.body = std::move(body);
  return r;
}

std::string ErrorBody(const std::string& type, const std::string& message = "m") {
  return R"({"__type":")" + type + R"(","message":")" + message + R"("})";
}

TEST(RequestBody, AKeysOnlyIndexAndItsAdditionToAnExistingTable) {
  GlobalSecondaryIndex by_uuid{
      .name = "uuid-index", .hash = {"uuid", 'S'}, .range = std::nullopt, .keys_only = true};
  json::value created = json::parse(protocol::CreateTableBody(
      {.table = "t", .hash = {"slug", 'S'}, .range = std::nullopt, .indexes = {by_uuid}}));
  EXPECT_EQ(created.at("GlobalSecondaryIndexes").at(0).at("Projection"),
            json::parse(R"({"ProjectionType":"KEYS_ONLY"})"));
  json::value added = json::parse(protocol::CreateIndexBody("t", by_uuid));
  EXPECT_EQ(added, json::parse(R"({"TableName":"t",
      "AttributeDefinitions":[{"AttributeName":"uuid","AttributeType":"S"}],
      "GlobalSecondaryIndexUpdates":[{"Create":{"IndexName":"uuid-index",
        "KeySchema":[{"AttributeName":"uuid","KeyType":"HASH"}],
        "Projection":{"ProjectionType":"KEYS_ONLY"}}}]})"));
}

TEST(RequestBody, ScanSelectCountAndThePagesCount) {
  json::value body = json::parse(protocol::ScanBody({.table = "t", .select_count = true}));
  EXPECT_EQ(body.at("Select"), "COUNT");
  EXPECT_FALSE(json::parse(protocol::ScanBody({.table = "t"})).as_object().contains("Select"));
  auto page = protocol::PageFromJson(json::parse(R"({"Count":7,"ScannedCount":9})").as_object());
  ASSERT_TRUE(std::holds_alternative<Page>(page));
  EXPECT_EQ(std::get<Page>(page).count, 7);
  EXPECT_TRUE(std::get<Page>(page).items.empty());
  page = protocol::PageFromJson(json::parse(R"({"Items":[{"a":{"S":"x"}}]})").as_object());
  ASSERT_TRUE(std::holds_alternative<Page>(page));
  EXPECT_EQ(std::get<Page>(page).count, 1) << "without Count, the items";
  EXPECT_TRUE(std::holds_alternative<std::string>(
      protocol::PageFromJson(json::parse(R"({"Count":"7"})").as_object())));
}

TEST(ClassifyResponse, SortsDynamoDbErrorsIntoKinds) {
  struct Case {
    long status;
    std::string type;
    DynamoErrorKind kind;
    bool retryable;
  };
  const std::string p = "com.amazonaws.dynamodb.v20120810#";
  const Case cases[] = {
      {400, p + "ConditionalCheckFailedException", DynamoErrorKind::kConditionalCheckFailed, false},
      {400, p + "ProvisionedThroughputExceededException", DynamoErrorKind::kThrottled, true},
      {400, "com.amazon.coral.availability#ThrottlingException", DynamoErrorKind::kThrottled, true},
      {400, p + "RequestLimitExceeded", DynamoErrorKind::kThrottled, true},
      {400, "com.amazon.coral.validate#ValidationException", DynamoErrorKind::kValidation, false},
      {400, "com.amazon.coral.service#SerializationException", DynamoErrorKind::kValidation, false},
      {400, p + "ResourceNotFoundException", DynamoErrorKind::kNotFound, false},
      {400, p + "ResourceInUseException", DynamoErrorKind::kOther, false},
      {400, "com.amazon.coral.service#UnknownOperationException", DynamoErrorKind::kOther, false},
      {500, p + "InternalServerError", DynamoErrorKind::kService, true},
      {503, "com.amazon.coral.availability#ServiceUnavailable", DynamoErrorKind::kService, true},
      {502, "", DynamoErrorKind::kService, true},
      {403, "com.amazon.coral.service#UnrecognizedClientException", DynamoErrorKind::kOther, false},
  };
  for (const auto& c : cases) {
    auto out = protocol::ClassifyResponse("GetItem", Answer(c.status, ErrorBody(c.type)));
    ASSERT_FALSE(out.body) << c.type;
    EXPECT_EQ(out.error.kind, c.kind) << c.type;
    EXPECT_EQ(out.retryable, c.retryable) << c.type;
    EXPECT_EQ(out.error.http_status, c.status);
    EXPECT_EQ(out.error.type, ShortErrorType(c.type));
  }
  auto ccf = protocol::ClassifyResponse("PutItem",
                                        Answer(400, ErrorBody(p + "ConditionalCheckFailedException",
                                                              "The conditional "
                                                              "request failed")));
  EXPECT_EQ(ccf.error.type, "ConditionalCheckFailedException");
  EXPECT_EQ(ccf.error.message,
            "DynamoDB PutItem: ConditionalCheckFailedException: The conditional request failed "
            "(HTTP 400)");
}

TEST(ClassifyResponse, TransportFailuresAreRetryable) {
  HttpResult r;
  r.transport_ok = false;
  r.error = "Connection refused";
  auto out = protocol::ClassifyResponse("Query", r);
  EXPECT_EQ(out.error.kind, DynamoErrorKind::kTransport);
  EXPECT_TRUE(out.retryable);
  EXPECT_EQ(out.error.http_status, 0);
  EXPECT_NE(out.error.message.find("Connection refused"), std::string::npos);
}

TEST(ClassifyResponse, MalformedBodiesAreErrorsNotCrashes) {
  for (const char* body : {"", "null", "[1,2]", "{", "\"str\"", "{\"__type\":5}", "<html>"}) {
    auto ok = protocol::ClassifyResponse("GetItem", Answer(200, body));
    if (std::string_view(body) == "{\"__type\":5}") {
      EXPECT_TRUE(ok.body);  // an object: the operation's reader decides
      continue;
    }
    EXPECT_FALSE(ok.body) << body;
    EXPECT_EQ(ok.error.kind, DynamoErrorKind::kOther) << body;
    EXPECT_FALSE(ok.retryable) << body;
    auto err = protocol::ClassifyResponse("GetItem", Answer(400, body));
    EXPECT_EQ(err.error.kind, DynamoErrorKind::kOther) << body;
  }
  // The exception name may also come in a header.
  HttpResult h = Answer(400, "");
  h.headers.emplace_back("x-amzn-errortype", "ThrottlingException:http://internal.amazon.com/");
  auto out = protocol::ClassifyResponse("GetItem", h);
  EXPECT_EQ(out.error.kind, DynamoErrorKind::kThrottled);
  EXPECT_EQ(out.error.type, "ThrottlingException");
}

TEST(ClassifyResponse, ServerTextIsCutAndControlCharactersDropped) {
  std::string huge(100000, 'x');
  auto out = protocol::ClassifyResponse(
      "GetItem", Answer(400, R"({"__type":"X","message":"a\nb)" + huge + "\"}"));
  EXPECT_LT(out.error.message.size(), 500u);
  EXPECT_EQ(out.error.message.find('\n'), std::string::npos);
}

TEST(Answers, PagesItemsAndUnprocessedWritesAreReadOrRefused) {
  auto page = protocol::PageFromJson(json::parse(R"({"Items":[{"pk":{"S":"a"}}],"Count":1,
      "ScannedCount":3,"LastEvaluatedKey":{"pk":{"S":"a"}}})")
                                         .as_object());
  ASSERT_TRUE(std::holds_alternative<Page>(page));
  EXPECT_EQ(std::get<Page>(page).items.size(), 1u);
  EXPECT_EQ(std::get<Page>(page).scanned_count, 3);
  EXPECT_TRUE(std::get<Page>(page).last_evaluated_key);
  for (const char* bad : {R"({"Items":{}})", R"({"Items":[1]})", R"({"LastEvaluatedKey":5})",
                          R"({"LastEvaluatedKey":{}})", R"({"ScannedCount":"3"})"}) {
    EXPECT_TRUE(
        std::holds_alternative<std::string>(protocol::PageFromJson(json::parse(bad).as_object())))
        << bad;
  }
  auto left = protocol::UnprocessedWrites(
      json::parse(R"({"UnprocessedItems":{"t":[{"PutRequest":{"Item":{"pk":{"S":"a"}}}},
                                              {"DeleteRequest":{"Key":{"pk":{"S":"b"}}}}]}})")
          .as_object(),
      "t");
  ASSERT_TRUE(std::holds_alternative<std::vector<WriteRequest>>(left));
  auto& writes = std::get<std::vector<WriteRequest>>(left);
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_TRUE(writes[0].put);
  EXPECT_TRUE(writes[1].delete_key);
  for (const char* bad :
       {R"({"UnprocessedItems":[]})", R"({"UnprocessedItems":{"t":{}}})",
        R"({"UnprocessedItems":{"t":[{}]}})", R"({"UnprocessedItems":{"t":[{"PutRequest":{}}]}})",
        R"({"UnprocessedItems":{"other":[{"PutRequest":{}}]}})"}) {
    EXPECT_TRUE(std::holds_alternative<std::string>(
        protocol::UnprocessedWrites(json::parse(bad).as_object(), "t")))
        << bad;
  }
  auto described = protocol::TableDescriptionFromJson(
      json::parse(R"({"Table":{"TableStatus":"ACTIVE"}})").as_object());
  ASSERT_TRUE(described.has_value());
  EXPECT_EQ(described->status, "ACTIVE");
  EXPECT_TRUE(described->indexes.empty());
  for (
      const char* bad :
      {R"({"Table":5})", R"({"Table":{"TableStatus":1}})",
       R"({"Table":{"TableStatus":"ACTIVE","GlobalSecondaryIndexes":{}}})",
       R"({"Table":{"TableStatus":"ACTIVE","GlobalSecondaryIndexes":[{"IndexName":7}]}})",
       R"({"Table":{"TableStatus":"ACTIVE","GlobalSecondaryIndexes":[{"IndexName":"i","IndexStatus":1}]}})"}) {
    EXPECT_FALSE(protocol::TableDescriptionFromJson(json::parse(bad).as_object()).has_value())
        << bad;
  }
}

}  // namespace
}  // namespace heartbeat::aws
