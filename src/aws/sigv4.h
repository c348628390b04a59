#pragma once
// AWS Signature Version 4, header form.

#include <string_view>

#include "aws/credentials.h"
#include "core/clock.h"
#include "net/http_client.h"

namespace heartbeat::aws {

// Signs `request` (absolute URL; method, headers and body final) for `service` in `region`
// at `now`: adds X-Amz-Date, X-Amz-Security-Token when the credentials carry a session
// token, and Authorization. Host is derived from the URL and signed (not added as a header:
// the HTTP client sends it). Every header present is signed.
void SignRequest(HttpRequest& request, const Credentials& credentials, std::string_view region,
                 std::string_view service, UnixMillis now);

}  // namespace heartbeat::aws
