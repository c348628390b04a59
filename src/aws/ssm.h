#pragma once
// A small SSM Parameter Store client: GetParameter only, for the secrets `bootstrap` reads
// at init. JSON 1.1 protocol (X-Amz-Target: AmazonSSM.GetParameter, Content-Type:
// application/x-amz-json-1.1), SigV4-signed, over the blocking HttpClient.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "aws/credentials.h"
#include "core/clock.h"
#include "core/result.h"
#include "http_client/http_client.h"

namespace heartbeat::aws {

struct SsmOptions {
  std::string endpoint;  // "https://ssm.<region>.amazonaws.com", or SSM_ENDPOINT
  std::string region;
  Credentials credentials;
  // Attempts in all for a transport failure, a 5xx or throttling; never for other errors.
  int max_attempts = 3;
  std::chrono::milliseconds retry_base{200};  // doubled after each failed attempt
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds total_timeout{10000};
};

// The options from the environment: AWS_REGION / AWS_DEFAULT_REGION (required),
// SSM_ENDPOINT (else the regional endpoint) and the credentials of ResolveCredentials.
// The error sentence names what is missing, never a secret.
Result<SsmOptions> SsmOptionsFromEnv(const EnvLookup& env);

class SsmClient {
 public:
  // `http` and `clock` must outlive the client. `sleep` waits between attempts (tests pass
  // one that does not wait); by default the thread sleeps.
  using Sleep = std::function<void(std::chrono::milliseconds)>;
  SsmClient(HttpClient& http, const Clock& clock, SsmOptions options, Sleep sleep = {});

  // The parameter's value (decrypted when `with_decryption` and it is a SecureString).
  // Errors name the parameter, never its value: kNotFound for ParameterNotFound,
  // kUnavailable when SSM does not answer (transport, 5xx, throttling after the retries),
  // kInvalidArgument for other refusals (access denied, bad signature, ...), kInternal for
  // an answer that cannot be read. Thread-safe.
  Result<std::string> GetParameter(std::string_view name, bool with_decryption);

 private:
  HttpClient& http_;
  const Clock& clock_;
  SsmOptions options_;
  Sleep sleep_;
};

}  // namespace heartbeat::aws
