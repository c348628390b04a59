#pragma once
// DynamoDB's JSON protocol without any I/O: request bodies for each operation, and the
// reading of answers (items, pages, errors and whether to try again). Pure functions, so
// that the unit tests and the fuzz target reach them directly. Internal to src/aws.
//
// Nothing here trusts the server: any JSON, any status, any size gives a value or an
// error, never a crash or an exception.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "aws/dynamodb.h"
#include "http_client/http_client.h"

namespace heartbeat::aws::protocol {

// --- values --------------------------------------------------------------------------

boost::json::value ToJson(const AttributeValue& v);
boost::json::object ToJson(const Item& item);
// An error sentence names what is wrong (and where: "Item.a.M.b: ...").
std::variant<AttributeValue, std::string> ValueFromJson(const boost::json::value& v);
std::variant<Item, std::string> ItemFromJson(const boost::json::value& v);

// --- requests ------------------------------------------------------------------------

std::string GetItemBody(const GetItemRequest& r);
std::string PutItemBody(const PutItemRequest& r);
std::string UpdateItemBody(const UpdateItemRequest& r);
std::string DeleteItemBody(const DeleteItemRequest& r);
std::string QueryBody(const QueryRequest& r);
std::string ScanBody(const ScanRequest& r);
std::string BatchWriteItemBody(const std::string& table, const std::vector<WriteRequest>& writes);
std::string CreateTableBody(const CreateTableRequest& r);
std::string DescribeTableBody(const std::string& table);
std::string UpdateTimeToLiveBody(const std::string& table, const std::string& attribute);
std::string CreateIndexBody(const std::string& table, const GlobalSecondaryIndex& index);

// --- answers -------------------------------------------------------------------------

// What one HTTP exchange means: a JSON object (2xx), or an error, retryable or not. The
// error's attempts field is left 0 (the caller counts).
struct Outcome {
  std::optional<boost::json::object> body;  // set on success
  DynamoError error;                        // when !body
  bool retryable = false;                   // when !body
};
Outcome ClassifyResponse(std::string_view operation, const HttpResult& result);

// The optional item under `field` ("Item", "Attributes"); an error sentence when present
// but not an item.
std::variant<std::optional<Item>, std::string> OptionalItemField(const boost::json::object& body,
                                                                 std::string_view field);
std::variant<Page, std::string> PageFromJson(const boost::json::object& body);
// BatchWriteItem's UnprocessedItems for `table` (empty when none).
std::variant<std::vector<WriteRequest>, std::string> UnprocessedWrites(
    const boost::json::object& body, const std::string& table);
// DescribeTable's Table.TableStatus and Table.GlobalSecondaryIndexes[].IndexName; nullopt
// when the status is missing or not a string, or the indexes are malformed.
std::optional<TableDescription> TableDescriptionFromJson(const boost::json::object& body);

// The JSON parser settings for anything from the server: nesting deep enough for
// DynamoDB's 32 levels of M/L (two JSON levels each) and no deeper.
boost::json::value ParseJson(std::string_view text, bool& ok);

}  // namespace heartbeat::aws::protocol
