#include "aws/dynamodb_protocol.h"

#include "aws/json_error.h"

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/serialize.hpp>

#include "aws/base64.h"

namespace heartbeat::aws::protocol {
namespace json = boost::json;

namespace {

// DynamoDB nests M and L 32 deep; each level is two JSON levels ({"M":{...}}), and a
// response wraps items in a few more (Items -> [ -> item).
constexpr std::size_t kMaxJsonDepth = 2 * 32 + 8;

bool IsNumberText(std::string_view t) {
  // DynamoDB's number syntax: -?digits[.digits][(e|E)[+-]digits], also ".5" and "5.".
  std::size_t i = 0;
  if (i < t.size() && (t[i] == '-' || t[i] == '+')) ++i;
  std::size_t digits = 0;
  while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i, ++digits;
  if (i < t.size() && t[i] == '.') {
    ++i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '-' || t[i] == '+')) ++i;
    std::size_t exp = 0;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i, ++exp;
    if (exp == 0) return false;
  }
  return i == t.size();
}

std::string Where(std::string_view name, const std::string& error) {
  return Printable(name.substr(0, 64)) + "." + error;
}

void AddExpressionParts(json::object& o, const ExpressionNames& names,
                        const ExpressionValues& values) {
  // DynamoDB refuses empty maps here: leave them out.
  if (!names.empty()) {
    json::object n;
    for (const auto& [k, v] : names) n[k] = v;
    o["ExpressionAttributeNames"] = std::move(n);
  }
  if (!values.empty()) o["ExpressionAttributeValues"] = ToJson(values);
}

const char* ReturnValuesName(ReturnValues r) {
  switch (r) {
    case ReturnValues::kNone:
      return "NONE";
    case ReturnValues::kAllOld:
      return "ALL_OLD";
    case ReturnValues::kAllNew:
      return "ALL_NEW";
    case ReturnValues::kUpdatedOld:
      return "UPDATED_OLD";
    case ReturnValues::kUpdatedNew:
      return "UPDATED_NEW";
  }
  return "NONE";
}

json::object KeySchemaElement(const KeyAttribute& k, const char* key_type) {
  return {{"AttributeName", k.name}, {"KeyType", key_type}};
}

json::object AttributeDefinition(const KeyAttribute& k) {
  return {{"AttributeName", k.name}, {"AttributeType", std::string(1, k.type)}};
}

json::object IndexObject(const GlobalSecondaryIndex& gsi) {
  json::array ks{KeySchemaElement(gsi.hash, "HASH")};
  if (gsi.range) ks.push_back(KeySchemaElement(*gsi.range, "RANGE"));
  return json::object{{"IndexName", gsi.name},
                      {"KeySchema", std::move(ks)},
                      {"Projection", {{"ProjectionType", gsi.keys_only ? "KEYS_ONLY" : "ALL"}}}};
}

std::variant<std::vector<std::string>, std::string> StringArray(const json::value& v,
                                                                const char* type) {
  const json::array* a = v.if_array();
  if (a == nullptr) return std::string(type) + ": not an array";
  std::vector<std::string> out;
  out.reserve(a->size());
  for (const auto& e : *a) {
    const json::string* s = e.if_string();
    if (s == nullptr) return std::string(type) + ": an element is not a string";
    std::string_view text(*s);
    if (type[0] == 'N' && !IsNumberText(text)) return std::string(type) + ": not a number";
    if (type[0] == 'B') {
      auto bytes = Base64Decode(text);
      if (!bytes) return std::string(type) + ": not base64";
      out.push_back(std::move(*bytes));
    } else {
      out.emplace_back(text);
    }
  }
  return out;
}

}  // namespace

json::value ParseJson(std::string_view text, bool& ok) {
  json::parse_options opt;
  opt.max_depth = kMaxJsonDepth;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec, {}, opt);
  ok = !ec;
  if (!ok) return nullptr;
  return v;
}

// --- values ----------------------------------------------------------------------------

json::value ToJson(const AttributeValue& v) {
  using T = AttributeValue::Type;
  switch (v.type()) {
    case T::kS:
      return {{"S", *v.AsString()}};
    case T::kN:
      return {{"N", *v.NumberTextOrNull()}};
    case T::kB:
      return {{"B", Base64Encode(*v.AsBytes())}};
    case T::kBool:
      return {{"BOOL", *v.AsBool()}};
    case T::kNull:
      return {{"NULL", true}};
    case T::kM: {
      json::object o;
      o["M"] = ToJson(*v.AsMap());
      return o;
    }
    case T::kL: {
      json::array a;
      a.reserve(v.AsList()->size());
      for (const auto& e : *v.AsList()) a.push_back(ToJson(e));
      json::object o;
      o["L"] = std::move(a);
      return o;
    }
    case T::kSS:
    case T::kNS:
    case T::kBS: {
      json::array a;
      for (const auto& e : *v.AsSet()) {
        if (v.type() == T::kBS) {
          a.emplace_back(Base64Encode(e));
        } else {
          a.emplace_back(e);
        }
      }
      const char* name = v.type() == T::kSS ? "SS" : v.type() == T::kNS ? "NS" : "BS";
      json::object o;
      o[name] = std::move(a);
      return o;
    }
  }
  return {{"NULL", true}};
}

json::object ToJson(const Item& item) {
  json::object o;
  o.reserve(item.size());
  for (const auto& [name, value] : item) o[name] = ToJson(value);
  return o;
}

std::variant<AttributeValue, std::string> ValueFromJson(const json::value& v) {
  const json::object* o = v.if_object();
  if (o == nullptr) return std::string("not an AttributeValue object");
  if (o->size() != 1) return std::string("an AttributeValue has exactly one type");
  const auto& [key, inner] = *o->begin();
  std::string_view type = key;
  if (type == "S") {
    if (const json::string* s = inner.if_string()) return AttributeValue::S(std::string(*s));
    return std::string("S: not a string");
  }
  if (type == "N") {
    const json::string* s = inner.if_string();
    if (s == nullptr || !IsNumberText(*s)) return std::string("N: not a number in text");
    return AttributeValue::NumberText(std::string(*s));
  }
  if (type == "B") {
    const json::string* s = inner.if_string();
    if (s == nullptr) return std::string("B: not a string");
    auto bytes = Base64Decode(*s);
    if (!bytes) return std::string("B: not base64");
    return AttributeValue::B(std::move(*bytes));
  }
  if (type == "BOOL") {
    if (const bool* b = inner.if_bool()) return AttributeValue::Bool(*b);
    return std::string("BOOL: not a boolean");
  }
  if (type == "NULL") {
    const bool* b = inner.if_bool();
    if (b == nullptr || !*b) return std::string("NULL: not true");
    return AttributeValue::Null();
  }
  if (type == "M") {
    auto m = ItemFromJson(inner);
    if (auto* e = std::get_if<std::string>(&m)) return "M." + *e;
    return AttributeValue::M(std::move(std::get<Item>(m)));
  }
  if (type == "L") {
    const json::array* a = inner.if_array();
    if (a == nullptr) return std::string("L: not an array");
    std::vector<AttributeValue> list;
    list.reserve(a->size());
    for (std::size_t i = 0; i < a->size(); ++i) {
      auto e = ValueFromJson((*a)[i]);
      if (auto* err = std::get_if<std::string>(&e)) {
        return "L[" + std::to_string(i) + "]." + *err;
      }
      list.push_back(std::move(std::get<AttributeValue>(e)));
    }
    return AttributeValue::L(std::move(list));
  }
  if (type == "SS" || type == "NS" || type == "BS") {
    auto set = StringArray(inner, type == "SS" ? "SS" : type == "NS" ? "NS" : "BS");
    if (auto* e = std::get_if<std::string>(&set)) return *e;
    auto& s = std::get<std::vector<std::string>>(set);
    if (type == "SS") return AttributeValue::SS(std::move(s));
    if (type == "NS") return AttributeValue::NS(std::move(s));
    return AttributeValue::BS(std::move(s));
  }
  return "unknown type " + Printable(type.substr(0, 16));
}

std::variant<Item, std::string> ItemFromJson(const json::value& v) {
  const json::object* o = v.if_object();
  if (o == nullptr) return std::string("not an item object");
  Item item;
  for (const auto& [name, value] : *o) {
    auto a = ValueFromJson(value);
    if (auto* e = std::get_if<std::string>(&a)) return Where(name, *e);
    // A name given twice in the JSON: the last wins, as in the parser.
    item.insert_or_assign(std::string(name), std::move(std::get<AttributeValue>(a)));
  }
  return item;
}

// --- requests --------------------------------------------------------------------------

std::string GetItemBody(const GetItemRequest& r) {
  json::object o;
  o["TableName"] = r.table;
  o["Key"] = ToJson(r.key);
  o["ConsistentRead"] = r.consistent_read;
  return json::serialize(o);
}

std::string PutItemBody(const PutItemRequest& r) {
  json::object o;
  o["TableName"] = r.table;
  o["Item"] = ToJson(r.item);
  if (r.condition) o["ConditionExpression"] = *r.condition;
  AddExpressionParts(o, r.names, r.values);
  return json::serialize(o);
}

std::string UpdateItemBody(const UpdateItemRequest& r) {
  json::object o;
  o["TableName"] = r.table;
  o["Key"] = ToJson(r.key);
  o["UpdateExpression"] = r.update;
  if (r.condition) o["ConditionExpression"] = *r.condition;
  AddExpressionParts(o, r.names, r.values);
  o["ReturnValues"] = ReturnValuesName(r.return_values);
  return json::serialize(o);
}

std::string DeleteItemBody(const DeleteItemRequest& r) {
  json::object o;
  o["TableName"] = r.table;
  o["Key"] = ToJson(r.key);
  if (r.condition) o["ConditionExpression"] = *r.condition;
  AddExpressionParts(o, r.names, r.values);
  o["ReturnValues"] = ReturnValuesName(r.return_values);
  return json::serialize(o);
}

std::string QueryBody(const QueryRequest& r) {
  json::object o;
  o["TableName"] = r.table;
  if (r.index) o["IndexName"] = *r.index;
  o["KeyConditionExpression"] = r.key_condition;
  if (r.filter) o["FilterExpression"] = *r.filter;
  if (r.projection) o["ProjectionExpression"] = *r.projection;
  AddExpressionParts(o, r.names, r.values);
  if (r.limit) o["Limit"] = *r.limit;
  o["ScanIndexForward"] = r.scan_forward;
  o["ConsistentRead"] = r.consistent_read;
  if (r.exclusive_start_key) o["ExclusiveStartKey"] = ToJson(*r.exclusive_start_key);
  return json::serialize(o);
}

std::string ScanBody(const ScanRequest& r) {
  json::object o;
  o["TableName"] = r.table;
  if (r.filter) o["FilterExpression"] = *r.filter;
  if (r.projection) o["ProjectionExpression"] = *r.projection;
  AddExpressionParts(o, r.names, r.values);
  if (r.limit) o["Limit"] = *r.limit;
  o["ConsistentRead"] = r.consistent_read;
  if (r.exclusive_start_key) o["ExclusiveStartKey"] = ToJson(*r.exclusive_start_key);
  if (r.select_count) o["Select"] = "COUNT";
  return json::serialize(o);
}

std::string BatchWriteItemBody(const std::string& table, const std::vector<WriteRequest>& writes) {
  json::array a;
  a.reserve(writes.size());
  for (const auto& w : writes) {
    if (w.put) {
      json::object put;
      put["Item"] = ToJson(*w.put);
      a.push_back(json::object{{"PutRequest", std::move(put)}});
    } else if (w.delete_key) {
      json::object del;
      del["Key"] = ToJson(*w.delete_key);
      a.push_back(json::object{{"DeleteRequest", std::move(del)}});
    }
  }
  json::object items;
  items[table] = std::move(a);
  json::object o;
  o["RequestItems"] = std::move(items);
  return json::serialize(o);
}

std::string CreateTableBody(const CreateTableRequest& r) {
  json::array defs;
  std::vector<std::string> defined;
  auto define = [&](const KeyAttribute& k) {
    for (const auto& d : defined) {
      if (d == k.name) return;  // one definition per attribute, even if several keys use it
    }
    defined.push_back(k.name);
    defs.push_back(AttributeDefinition(k));
  };
  define(r.hash);
  if (r.range) define(*r.range);
  for (const auto& gsi : r.indexes) {
    define(gsi.hash);
    if (gsi.range) define(*gsi.range);
  }
  json::array schema{KeySchemaElement(r.hash, "HASH")};
  if (r.range) schema.push_back(KeySchemaElement(*r.range, "RANGE"));
  json::object o;
  o["TableName"] = r.table;
  o["AttributeDefinitions"] = std::move(defs);
  o["KeySchema"] = std::move(schema);
  o["BillingMode"] = "PAY_PER_REQUEST";
  if (!r.indexes.empty()) {
    json::array gsis;
    for (const auto& gsi : r.indexes) {
      gsis.push_back(IndexObject(gsi));
    }
    o["GlobalSecondaryIndexes"] = std::move(gsis);
  }
  return json::serialize(o);
}

std::string DescribeTableBody(const std::string& table) {
  return json::serialize(json::object{{"TableName", table}});
}

std::string UpdateTimeToLiveBody(const std::string& table, const std::string& attribute) {
  json::object o;
  o["TableName"] = table;
  o["TimeToLiveSpecification"] = {{"Enabled", true}, {"AttributeName", attribute}};
  return json::serialize(o);
}

std::string CreateIndexBody(const std::string& table, const GlobalSecondaryIndex& index) {
  json::array defs{AttributeDefinition(index.hash)};
  if (index.range && index.range->name != index.hash.name) {
    defs.push_back(AttributeDefinition(*index.range));
  }
  json::object o;
  o["TableName"] = table;
  o["AttributeDefinitions"] = std::move(defs);
  o["GlobalSecondaryIndexUpdates"] = json::array{json::object{{"Create", IndexObject(index)}}};
  return json::serialize(o);
}

// --- answers ---------------------------------------------------------------------------

Outcome ClassifyResponse(std::string_view operation, const HttpResult& result) {
  Outcome out;
  std::string prefix = "DynamoDB " + std::string(operation) + ": ";
  if (!result.transport_ok) {
    out.error.kind = DynamoErrorKind::kTransport;
    out.error.message = prefix + "no answer: " + Printable(result.error);
    out.retryable = true;
    return out;
  }
  out.error.http_status = result.status;
  bool parsed = false;
  json::value body = ParseJson(result.body, parsed);
  if (result.status >= 200 && result.status < 300) {
    if (parsed && body.is_object()) {
      out.body = std::move(body.as_object());
      return out;
    }
    out.error.kind = DynamoErrorKind::kOther;
    out.error.message =
        prefix + "the answer is not a JSON object (HTTP " + std::to_string(result.status) + ")";
    return out;
  }
  auto [type, message] = ReadJsonError(parsed ? &body : nullptr, result);
  out.error.type = type;
  static constexpr std::array<std::string_view, 4> kThrottling = {
      "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
      "Throttling"};
  bool throttled = false;
  for (auto t : kThrottling) throttled = throttled || type == t;
  if (throttled) {
    out.error.kind = DynamoErrorKind::kThrottled;
    out.retryable = true;
  } else if (type == "InternalServerError" || type == "ServiceUnavailable" ||
             type == "ServiceUnavailableException" || result.status >= 500) {
    out.error.kind = DynamoErrorKind::kService;
    out.retryable = true;
  } else if (type == "ConditionalCheckFailedException") {
    out.error.kind = DynamoErrorKind::kConditionalCheckFailed;
  } else if (type == "ValidationException" || type == "SerializationException") {
    out.error.kind = DynamoErrorKind::kValidation;
  } else if (type == "ResourceNotFoundException") {
    out.error.kind = DynamoErrorKind::kNotFound;
  } else {
    out.error.kind = DynamoErrorKind::kOther;
  }
  out.error.message = prefix + (type.empty() ? std::string("error") : type);
  if (!message.empty()) out.error.message += ": " + message;
  out.error.message += " (HTTP " + std::to_string(result.status) + ")";
  return out;
}

std::variant<std::optional<Item>, std::string> OptionalItemField(const json::object& body,
                                                                 std::string_view field) {
  const json::value* v = body.if_contains(field);
  if (v == nullptr) return std::optional<Item>();
  auto item = ItemFromJson(*v);
  if (auto* e = std::get_if<std::string>(&item)) return std::string(field) + ": " + *e;
  return std::optional<Item>(std::move(std::get<Item>(item)));
}

std::variant<Page, std::string> PageFromJson(const json::object& body) {
  Page page;
  if (const json::value* items = body.if_contains("Items")) {
    const json::array* a = items->if_array();
    if (a == nullptr) return std::string("Items: not an array");
    page.items.reserve(a->size());
    for (std::size_t i = 0; i < a->size(); ++i) {
      auto item = ItemFromJson((*a)[i]);
      if (auto* e = std::get_if<std::string>(&item)) {
        return "Items[" + std::to_string(i) + "]: " + *e;
      }
      page.items.push_back(std::move(std::get<Item>(item)));
    }
  }
  auto last = OptionalItemField(body, "LastEvaluatedKey");
  if (auto* e = std::get_if<std::string>(&last)) return *e;
  page.last_evaluated_key = std::move(std::get<std::optional<Item>>(last));
  if (page.last_evaluated_key && page.last_evaluated_key->empty()) {
    return std::string("LastEvaluatedKey: empty");  // would page forever
  }
  if (const json::value* n = body.if_contains("ScannedCount")) {
    if (const std::int64_t* i = n->if_int64()) {
      page.scanned_count = *i;
    } else if (const std::uint64_t* u = n->if_uint64()) {
      page.scanned_count = static_cast<std::int64_t>(std::min<std::uint64_t>(*u, INT64_MAX));
    } else {
      return std::string("ScannedCount: not an integer");
    }
  }
  if (const json::value* n = body.if_contains("Count")) {
    if (const std::int64_t* i = n->if_int64()) {
      page.count = *i;
    } else if (const std::uint64_t* u = n->if_uint64()) {
      page.count = static_cast<std::int64_t>(std::min<std::uint64_t>(*u, INT64_MAX));
    } else {
      return std::string("Count: not an integer");
    }
  } else {
    page.count = static_cast<std::int64_t>(page.items.size());
  }
  return page;
}

std::variant<std::vector<WriteRequest>, std::string> UnprocessedWrites(const json::object& body,
                                                                       const std::string& table) {
  std::vector<WriteRequest> out;
  const json::value* u = body.if_contains("UnprocessedItems");
  if (u == nullptr) return out;
  const json::object* tables = u->if_object();
  if (tables == nullptr) return std::string("UnprocessedItems: not an object");
  for (const auto& [name, writes] : *tables) {
    const json::array* a = writes.if_array();
    if (a == nullptr) return std::string("UnprocessedItems: not an array");
    if (std::string_view(name) != table) {
      if (!a->empty()) return std::string("UnprocessedItems: a table we did not write");
      continue;
    }
    for (const auto& w : *a) {
      const json::object* wo = w.if_object();
      if (wo == nullptr) return std::string("UnprocessedItems: not a write request");
      WriteRequest req;
      if (const json::value* put = wo->if_contains("PutRequest")) {
        const json::object* po = put->if_object();
        const json::value* item = po ? po->if_contains("Item") : nullptr;
        if (item == nullptr) return std::string("UnprocessedItems: PutRequest without Item");
        auto i = ItemFromJson(*item);
        if (auto* e = std::get_if<std::string>(&i)) return "UnprocessedItems: " + *e;
        req.put = std::move(std::get<Item>(i));
      } else if (const json::value* del = wo->if_contains("DeleteRequest")) {
        const json::object* d = del->if_object();
        const json::value* key = d ? d->if_contains("Key") : nullptr;
        if (key == nullptr) return std::string("UnprocessedItems: DeleteRequest without Key");
        auto k = ItemFromJson(*key);
        if (auto* e = std::get_if<std::string>(&k)) return "UnprocessedItems: " + *e;
        req.delete_key = std::move(std::get<Item>(k));
      } else {
        return std::string("UnprocessedItems: neither PutRequest nor DeleteRequest");
      }
      out.push_back(std::move(req));
    }
  }
  return out;
}

std::optional<TableDescription> TableDescriptionFromJson(const json::object& body) {
  const json::value* t = body.if_contains("Table");
  if (t == nullptr || !t->is_object()) return std::nullopt;
  const json::object& table = t->as_object();
  const json::value* s = table.if_contains("TableStatus");
  if (s == nullptr || !s->is_string()) return std::nullopt;
  TableDescription d;
  d.status = Printable(s->as_string());
  if (const json::value* gsis = table.if_contains("GlobalSecondaryIndexes")) {
    if (!gsis->is_array()) return std::nullopt;
    for (const json::value& g : gsis->as_array()) {
      const json::value* name = g.is_object() ? g.as_object().if_contains("IndexName") : nullptr;
      if (name == nullptr || !name->is_string()) return std::nullopt;
      const json::value* status = g.as_object().if_contains("IndexStatus");
      if (status != nullptr && !status->is_string()) return std::nullopt;
      d.indexes[Printable(name->as_string())] = status ? Printable(status->as_string()) : "";
    }
  }
  return d;
}

}  // namespace heartbeat::aws::protocol

namespace heartbeat::aws {

std::string EncodeItemJson(const Item& item) {
  return boost::json::serialize(protocol::ToJson(item));
}

std::variant<Item, std::string> DecodeItemJson(std::string_view json_text) {
  bool ok = false;
  boost::json::value v = protocol::ParseJson(json_text, ok);
  if (!ok) return std::string("not JSON");
  return protocol::ItemFromJson(v);
}

}  // namespace heartbeat::aws
