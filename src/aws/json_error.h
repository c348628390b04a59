#pragma once
// The error answer of AWS's JSON protocols (DynamoDB, SSM): a body
// {"__type": "com.amazonaws...#Name", "message": "..."} (or "Message"), or, without one,
// the x-amzn-errortype header. Server text is made printable and cut short: it goes into
// messages and logs.

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "http_client/http_client.h"

namespace heartbeat::aws {

struct JsonErrorAnswer {
  std::string type;     // the short name, e.g. "ConditionalCheckFailedException"; may be empty
  std::string message;  // may be empty
};

// "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException" -> the part after '#'
// (also strips a ":http://..." suffix some services append).
std::string ShortErrorType(std::string_view type);

// Control characters become spaces; text past `max` bytes is cut, with "...".
std::string Printable(std::string_view s, std::size_t max = 300);

// The error of `result`, whose body the caller has parsed into `body` (null when it is not
// JSON).
JsonErrorAnswer ReadJsonError(const boost::json::value* body, const HttpResult& result);

}  // namespace heartbeat::aws
