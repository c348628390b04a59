#pragma once
// A small DynamoDB client: the JSON protocol (X-Amz-Target: DynamoDB_20120810.<Operation>,
// Content-Type: application/x-amz-json-1.0), SigV4-signed, asynchronous on an
// AsyncHttpClient, with retries (exponential back-off, full jitter) on throttling, on 5xx
// and on transport failures, up to a bounded number of attempts.
//
// Only what heartbeat needs: item reads and writes with expressions, Query (also on a GSI),
// Scan, BatchWriteItem, and the table set-up of `heartbeat store init`.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "aws/credentials.h"
#include "core/clock.h"
#include "http_client/async_http_client.h"

namespace heartbeat::aws {

// --- AttributeValue ------------------------------------------------------------------

class AttributeValue;
using Item = std::map<std::string, AttributeValue>;  // attribute name -> value

// One typed DynamoDB value. Numbers keep their decimal text as DynamoDB sends it; B holds
// raw bytes (base64 on the wire). Every type can be read, so that items written by others
// (the Rust version) never fail to parse; heartbeat writes S, N, BOOL, NULL, M and L.
class AttributeValue {
 public:
  enum class Type { kS, kN, kB, kBool, kNull, kM, kL, kSS, kNS, kBS };

  AttributeValue();  // NULL
  static AttributeValue S(std::string s);
  static AttributeValue N(std::int64_t n);
  static AttributeValue NumberText(std::string decimal);  // as given, e.g. "1.5e3"
  static AttributeValue B(std::string bytes);
  static AttributeValue Bool(bool b);
  static AttributeValue Null();
  static AttributeValue M(Item m);
  static AttributeValue L(std::vector<AttributeValue> l);
  static AttributeValue SS(std::vector<std::string> v);
  static AttributeValue NS(std::vector<std::string> v);
  static AttributeValue BS(std::vector<std::string> v);

  Type type() const;

  // Typed reads: nullopt / nullptr when the type differs (or, for AsInt64, when the number
  // is not an integer that fits in 64 bits).
  const std::string* AsString() const;          // S
  std::optional<std::int64_t> AsInt64() const;  // N
  const std::string* NumberTextOrNull() const;  // N, as sent
  const std::string* AsBytes() const;           // B
  std::optional<bool> AsBool() const;           // BOOL
  bool IsNull() const;
  const Item* AsMap() const;                          // M
  const std::vector<AttributeValue>* AsList() const;  // L
  const std::vector<std::string>* AsSet() const;      // SS, NS (as text), BS (raw bytes)

  friend bool operator==(const AttributeValue&, const AttributeValue&);

 private:
  struct Rep;
  // A value of `type` whose representation `fill` completes.
  static AttributeValue Make(Type type, const std::function<void(Rep&)>& fill);
  std::shared_ptr<const Rep> rep_;  // immutable, shared on copy
};

// --- errors ----------------------------------------------------------------------------

enum class DynamoErrorKind {
  kConditionalCheckFailed,  // ConditionalCheckFailedException
  kThrottled,               // throttling, still after every attempt
  kValidation,              // ValidationException, SerializationException, 400s of ours
  kNotFound,                // ResourceNotFoundException (no such table or index)
  kTransport,               // no HTTP answer, still after every attempt
  kService,                 // 5xx, still after every attempt
  kTimeout,                 // no answer before the operation's deadline (operation_timeout)
  kOther,                   // anything else (auth failures, unknown __type)
};

struct DynamoError {
  DynamoErrorKind kind = DynamoErrorKind::kOther;
  std::string type;      // the short __type ("ConditionalCheckFailedException"); empty if none
  std::string message;   // a human sentence; never carries credentials
  long http_status = 0;  // 0 for transport failures
  int attempts = 0;      // how many requests were sent
};

std::string_view ToString(DynamoErrorKind kind);

template <class T>
class [[nodiscard]] DynamoResult {
 public:
  DynamoResult(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  DynamoResult(DynamoError error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const DynamoError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, DynamoError> v_;
};

struct Nothing {};

template <class T>
using DynamoCallback = std::function<void(DynamoResult<T>)>;

// --- requests ----------------------------------------------------------------------------

using ExpressionNames = std::map<std::string, std::string>;  // "#n" -> attribute name
using ExpressionValues = Item;                               // ":v" -> value

enum class ReturnValues { kNone, kAllOld, kAllNew, kUpdatedOld, kUpdatedNew };

struct GetItemRequest {
  std::string table{};
  Item key{};
  bool consistent_read = true;
};

struct PutItemRequest {
  std::string table{};
  Item item{};
  std::optional<std::string> condition{};
  ExpressionNames names{};
  ExpressionValues values{};
};

struct UpdateItemRequest {
  std::string table{};
  Item key{};
  std::string update{};  // UpdateExpression
  std::optional<std::string> condition{};
  ExpressionNames names{};
  ExpressionValues values{};
  ReturnValues return_values = ReturnValues::kNone;
};

struct DeleteItemRequest {
  std::string table{};
  Item key{};
  std::optional<std::string> condition{};
  ExpressionNames names{};
  ExpressionValues values{};
  ReturnValues return_values = ReturnValues::kNone;  // kNone or kAllOld
};

struct QueryRequest {
  std::string table{};
  std::optional<std::string> index{};  // a GSI name
  std::string key_condition{};
  std::optional<std::string> filter{};
  std::optional<std::string> projection{};
  ExpressionNames names{};
  ExpressionValues values{};
  std::optional<std::int32_t> limit{};  // items evaluated per page (DynamoDB's Limit)
  bool scan_forward = true;
  bool consistent_read = false;  // must stay false on a GSI
  std::optional<Item> exclusive_start_key{};
};

struct ScanRequest {
  std::string table{};
  std::optional<std::string> filter{};
  std::optional<std::string> projection{};
  ExpressionNames names{};
  ExpressionValues values{};
  std::optional<std::int32_t> limit{};
  bool consistent_read = false;
  std::optional<Item> exclusive_start_key{};
  bool select_count = false;  // Select COUNT: no items, only the page's Count
};

// One page of a Query or a Scan.
struct Page {
  std::vector<Item> items{};
  std::optional<Item> last_evaluated_key{};  // none on the last page
  std::int64_t scanned_count = 0;
  std::int64_t count = 0;  // the items that matched (Count), also under Select COUNT
};

struct WriteRequest {
  std::optional<Item> put{};         // a PutRequest's item, or
  std::optional<Item> delete_key{};  // a DeleteRequest's key
};

struct KeyAttribute {
  std::string name{};
  char type = 'S';  // 'S', 'N' or 'B'
};

struct GlobalSecondaryIndex {
  std::string name{};
  KeyAttribute hash{};
  std::optional<KeyAttribute> range{};
  bool keys_only = false;  // projection KEYS_ONLY; ALL otherwise
};

// What `heartbeat store init` checks of an existing table.
struct TableDescription {
  std::string status{};  // "ACTIVE", "CREATING", ...
  // Its global secondary indexes: name -> IndexStatus ("ACTIVE", "CREATING", ...; empty
  // when the engine does not say).
  std::map<std::string, std::string> indexes{};
};

struct CreateTableRequest {
  std::string table{};
  KeyAttribute hash{};
  std::optional<KeyAttribute> range{};
  std::vector<GlobalSecondaryIndex> indexes{};
  // BillingMode PAY_PER_REQUEST.
};

// --- the client -------------------------------------------------------------------------

struct DynamoClientOptions {
  std::string endpoint;  // "https://dynamodb.eu-west-1.amazonaws.com" or "http://127.0.0.1:8000"
  std::string region;    // signs the requests
  // Called for every request (credentials may be refreshed underneath).
  std::function<Credentials()> credentials;
  int max_attempts = 10;                     // requests per operation, the first included
  std::chrono::milliseconds base_delay{25};  // back-off: random in [0, min(cap, base * 2^n))
  std::chrono::milliseconds max_delay{2000};
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds request_timeout{10000};
  // The most one operation takes, every attempt and back-off included (QueryAll, ScanAll
  // and BatchWriteItem: all their requests): each attempt's timeouts are clipped to what is
  // left, no attempt starts after it, and the operation then fails with kTimeout. Zero: no
  // overall bound (up to max_attempts x request_timeout, plus the back-off).
  std::chrono::milliseconds operation_timeout{0};
  // Seeds the back-off jitter; none: a seed from std::random_device, so that many
  // processes throttled together do not retry in step. Tests set it.
  std::optional<std::uint64_t> jitter_seed;
};

class DynamoClient {
 public:
  // `http` and `clock` must outlive the client and every operation in flight. Callbacks run
  // on http's event thread and must not block. Thread-safe: operations may start from any
  // thread. `clock` dates the signatures (Now()).
  DynamoClient(AsyncHttpClient& http, DynamoClientOptions options, Clock& clock = RealClock());

  void GetItem(GetItemRequest request, DynamoCallback<std::optional<Item>> done);
  // Each reports the item as ReturnValues asks (nullopt for kNone, or when there was none).
  void PutItem(PutItemRequest request, DynamoCallback<Nothing> done);
  void UpdateItem(UpdateItemRequest request, DynamoCallback<std::optional<Item>> done);
  void DeleteItem(DeleteItemRequest request, DynamoCallback<std::optional<Item>> done);

  // One page.
  void Query(QueryRequest request, DynamoCallback<Page> done);
  void Scan(ScanRequest request, DynamoCallback<Page> done);
  // Every page, following LastEvaluatedKey to the end; items in order.
  void QueryAll(QueryRequest request, DynamoCallback<std::vector<Item>> done);
  void ScanAll(ScanRequest request, DynamoCallback<std::vector<Item>> done);

  // Up to 25 writes; UnprocessedItems are sent again (with back-off) until none is left or
  // the attempts run out (then kThrottled).
  void BatchWriteItem(std::string table, std::vector<WriteRequest> writes,
                      DynamoCallback<Nothing> done);

  // Table set-up (heartbeat store init). CreateTable reports kOther with type
  // "ResourceInUseException" when the table exists. DescribeTable reports the TableStatus
  // and the GSIs' names. UpdateTimeToLive turns TTL on for `attribute`.
  void CreateTable(CreateTableRequest request, DynamoCallback<Nothing> done);
  void DescribeTable(std::string table, DynamoCallback<TableDescription> done);
  void UpdateTimeToLive(std::string table, std::string attribute, DynamoCallback<Nothing> done);
  // UpdateTable with GlobalSecondaryIndexUpdates [Create `index`] (its key attributes
  // defined as `index` says): DynamoDB builds it from the existing items.
  void CreateIndex(std::string table, GlobalSecondaryIndex index, DynamoCallback<Nothing> done);

  // How many requests are in flight right now, and the most there ever were (bench).
  std::int64_t InFlight() const;
  std::int64_t MaxInFlight() const;
  // HTTP requests sent so far, every attempt counted.
  std::int64_t RequestsSent() const;
  // How long requests have been waiting with no answer from DynamoDB: since its latest
  // answer (any HTTP status) or, when that came before this busy spell, since the first
  // request of the spell; zero when none is in flight. A stalled endpoint (it accepts
  // connections and never answers) shows here as a duration that grows; one that refuses
  // shows as failed operations instead.
  std::chrono::milliseconds Unanswered() const;
  // Time since DynamoDB's latest answer (any HTTP status); nullopt before the first.
  std::optional<std::chrono::milliseconds> SinceLastAnswer() const;
  // Items Query and Scan evaluated so far (their ScannedCount, filtered-out items included).
  std::int64_t ItemsScanned() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// The JSON codec, exposed for tests and the fuzz target.
std::string EncodeItemJson(const Item& item);  // {"name":{"S":"..."},...}
// Parses DynamoDB's JSON for an item; an error sentence when it is not one.
std::variant<Item, std::string> DecodeItemJson(std::string_view json);

}  // namespace heartbeat::aws
