#pragma once
// A loopback endpoint speaking DynamoDB's JSON protocol, for the answers dynalite never gives
// (throttling, 5xx, refusals, a table still being built): what the handler needs to read a
// request's operation and to answer as DynamoDB does.

#include <string>
#include <utility>

#include "support/loopback_http_server.h"

namespace heartbeat::testing {

// An answer with DynamoDB's content type.
inline LoopbackReply DynamoJson(unsigned status, std::string body) {
  LoopbackReply r = LoopbackReply::With(status, std::move(body));
  r.headers = {{"Content-Type", "application/x-amz-json-1.0"}};
  return r;
}

// The operation a request asks for: "GetItem" for X-Amz-Target DynamoDB_20120810.GetItem;
// empty without the header.
inline std::string DynamoOperation(const LoopbackRequest& req) {
  const std::string* target = req.Header("x-amz-target");
  if (target == nullptr) return "";
  return target->substr(target->find('.') + 1);
}

}  // namespace heartbeat::testing
