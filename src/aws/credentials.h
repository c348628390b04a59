#pragma once
// Where AWS credentials, the region and service endpoints come from.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace heartbeat::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;  // a secret: never log it
  std::string session_token;      // empty when none (long-term keys)
};

// Reads one environment variable; nullopt when unset. Injected so that tests never touch
// the process environment.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
EnvLookup ProcessEnv();

// AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN); else the shared
// credentials file (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials), profile
// AWS_PROFILE (default "default"). An error sentence names what is missing or malformed,
// never a secret.
Result<Credentials> ResolveCredentials(const EnvLookup& env);

// AWS_REGION, else AWS_DEFAULT_REGION; nullopt when neither is set.
std::optional<std::string> ResolveRegion(const EnvLookup& env);

// "https://<service>.<region>.amazonaws.com" (".amazonaws.com.cn" in cn- regions).
std::string RegionalEndpoint(std::string_view service, std::string_view region);

}  // namespace heartbeat::aws
