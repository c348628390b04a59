#pragma once
// Where AWS credentials, the region and service endpoints come from.

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
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

// The credentials of a long-running process (`heartbeat serve`), as ResolveCredentials finds
// them. Taken from the environment, they never change. Taken from the shared credentials
// file, the file is looked at again at most once every `recheck` (its modification time,
// size and inode) and read again when it changed, so that temporary credentials a job
// rotates into it (`aws configure set ... --profile P` from a timer) are used without a
// restart. A rewrite that cannot be read keeps the credentials read before, so that a file
// caught half-written never stops the requests, and is reported to `warn` (a sentence that
// names the file and what is wrong, never a secret), once for each state of the file.
class CredentialsProvider {
 public:
  using Warn = std::function<void(const std::string& message)>;
  static Result<std::shared_ptr<CredentialsProvider>> Resolve(
      const EnvLookup& env, std::chrono::milliseconds recheck = std::chrono::seconds(10),
      Warn warn = nullptr);

  Credentials Get();  // thread-safe
  bool from_file() const { return !path_.empty(); }

 private:
  struct FileState {
    long long mtime_ns = 0;
    long long size = -1;
    unsigned long long inode = 0;
    friend bool operator==(const FileState&, const FileState&) = default;
  };
  static FileState Stat(const std::string& path);

  std::string path_;  // empty: from the environment
  std::string profile_;
  std::chrono::milliseconds recheck_{0};
  Warn warn_;
  std::mutex mu_;
  Credentials current_;                              // guarded by mu_
  FileState seen_;                                   // guarded by mu_
  std::chrono::steady_clock::time_point checked_{};  // guarded by mu_
};

// AWS_REGION, else AWS_DEFAULT_REGION; nullopt when neither is set.
std::optional<std::string> ResolveRegion(const EnvLookup& env);

// "https://<service>.<region>.amazonaws.com" (".amazonaws.com.cn" in cn- regions).
std::string RegionalEndpoint(std::string_view service, std::string_view region);

}  // namespace heartbeat::aws
