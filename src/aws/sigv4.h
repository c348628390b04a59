#pragma once
// AWS Signature Version 4, header form.

#include <string>
#include <string_view>

#include "aws/credentials.h"
#include "core/clock.h"
#include "http_client/http_client.h"

namespace heartbeat::aws {

// Signs `request` (absolute URL; method, headers and body final) for `service` in `region`
// at `now`: adds X-Amz-Date, X-Amz-Security-Token when the credentials carry a session
// token, and Authorization. Host is derived from the URL and signed (not added as a header:
// the HTTP client sends it). Every header present is signed.
//
// Existing Authorization, X-Amz-Date and X-Amz-Security-Token headers (any case) are
// replaced, so a request can be signed again before a retry.
//
// The URL is taken as it will go on the wire (already percent-encoded). Like the AWS SDKs
// for every service but S3, the path is normalized (empty and "." segments dropped, ".."
// resolved) and then URI-encoded once more: "/a%20b" is signed as "/a%2520b". Query
// parameters are percent-decoded ('+' stays a plus) and re-encoded with AWS's rules. A
// Host header in `request.headers` wins over the URL's host (the HTTP client sends it).
void SignRequest(HttpRequest& request, const Credentials& credentials, std::string_view region,
                 std::string_view service, UnixMillis now);

// --- the steps, exposed for tests ------------------------------------------------------

struct SigningParts {
  std::string canonical_request;
  std::string string_to_sign;
  std::string authorization;  // the Authorization header's value
};

// Signs `request` exactly as it is, adding nothing: its headers (which should already
// carry X-Amz-Date, and X-Amz-Security-Token if any) plus host. SignRequest uses it.
SigningParts ComputeSignature(const HttpRequest& request, const Credentials& credentials,
                              std::string_view region, std::string_view service, UnixMillis now);

// "20150830T123600Z" (UTC, seconds truncated from milliseconds).
std::string AmzDate(UnixMillis now);

// The canonical URI of an encoded path ("" is "/"), and the canonical query string of an
// encoded query (without '?').
std::string CanonicalPath(std::string_view encoded_path);
std::string CanonicalQuery(std::string_view encoded_query);

// The Host value to sign for an absolute URL: host, or host:port for a non-default port.
std::string HostOfUrl(std::string_view url);

}  // namespace heartbeat::aws
