// Fuzzes what heartbeat reads from DynamoDB (src/aws/dynamodb_protocol.h): arbitrary bytes
// as the body of an answer with a status chosen by the first byte, through the response
// classifier and every reader of a successful body; and the same bytes as an item in
// DynamoDB's JSON, which must survive a round trip once accepted. A crash, a sanitizer
// report, an error without a message, or a round trip that changes the item aborts.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "aws/dynamodb.h"
#include "aws/dynamodb_protocol.h"
#include "http_client/http_client.h"

namespace {

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "dynamo_json_fuzz: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace heartbeat;
  using namespace heartbeat::aws;
  if (size == 0) return 0;
  static constexpr long kStatuses[] = {200, 400, 500, 503, 413, 200, 200, 0};
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);

  HttpResult http;
  http.status = kStatuses[data[0] % 8];
  http.transport_ok = http.status != 0;
  http.body = std::string(body);
  if (!http.transport_ok) http.error = "connection reset";
  protocol::Outcome outcome = protocol::ClassifyResponse("Query", http);
  if (outcome.body) {
    const auto& b = *outcome.body;
    auto item = protocol::OptionalItemField(b, "Item");
    if (auto* e = std::get_if<std::string>(&item); e && e->empty()) Fail("item: empty error");
    auto page = protocol::PageFromJson(b);
    if (auto* e = std::get_if<std::string>(&page); e && e->empty()) Fail("page: empty error");
    auto writes = protocol::UnprocessedWrites(b, "heartbeat-monitors");
    if (auto* e = std::get_if<std::string>(&writes); e && e->empty()) Fail("writes: empty error");
    (void)protocol::TableDescriptionFromJson(b);
  } else if (outcome.error.message.empty() && outcome.error.type.empty()) {
    Fail("an error without a type or a message");
  }

  // The bytes as an item: once accepted, encoding and decoding it again gives it back.
  auto decoded = DecodeItemJson(body);
  if (auto* item = std::get_if<Item>(&decoded)) {
    auto again = DecodeItemJson(EncodeItemJson(*item));
    auto* item2 = std::get_if<Item>(&again);
    if (item2 == nullptr) Fail("an accepted item does not decode after encoding");
    if (*item2 != *item) Fail("an item changed in a round trip");
  } else if (std::get<std::string>(decoded).empty()) {
    Fail("a refused item without a message");
  }
  return 0;
}
