#include "aws/credentials.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>

namespace heartbeat::aws {
namespace {

// An unset variable and an empty one mean the same: nothing configured.
std::optional<std::string> NonEmpty(const EnvLookup& env, std::string_view name) {
  std::optional<std::string> value = env(name);
  if (value && value->empty()) return std::nullopt;
  return value;
}

std::string_view Trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const auto first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(kSpace);
  return s.substr(first, last - first + 1);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The keys of one profile that we use. Key names are matched case-insensitively, as the
// AWS CLI's INI reader does.
struct ProfileKeys {
  std::optional<std::string> access_key_id;
  std::optional<std::string> secret_access_key;
  std::optional<std::string> session_token;
  std::optional<std::string> security_token;  // the legacy name of aws_session_token
};

// Reads `profile` from the INI text. Messages name the file and line numbers, never the
// content of a line: a malformed line may well be a pasted secret.
Result<ProfileKeys> ParseProfile(std::string_view text, std::string_view profile,
                                 std::string_view path) {
  ProfileKeys keys;
  bool found = false;
  bool in_profile = false;
  bool in_any_section = false;
  int line_number = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = Trim(text.substr(pos, end - pos));  // also drops a CR
    pos = end + 1;
    ++line_number;
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']') {
        return InvalidArgument("line " + std::to_string(line_number) + " of " + std::string(path) +
                               " is a section header without a closing ]");
      }
      const std::string_view name = Trim(line.substr(1, line.size() - 2));
      in_any_section = true;
      in_profile = name == profile;
      found = found || in_profile;
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      return InvalidArgument("line " + std::to_string(line_number) + " of " + std::string(path) +
                             " is neither a [profile] header nor key = value");
    }
    if (!in_any_section) {
      return InvalidArgument("line " + std::to_string(line_number) + " of " + std::string(path) +
                             " comes before any [profile] header");
    }
    if (!in_profile) continue;
    const std::string key = Lower(Trim(line.substr(0, eq)));
    std::string value(Trim(line.substr(eq + 1)));
    if (key == "aws_access_key_id") {
      keys.access_key_id = std::move(value);
    } else if (key == "aws_secret_access_key") {
      keys.secret_access_key = std::move(value);
    } else if (key == "aws_session_token") {
      keys.session_token = std::move(value);
    } else if (key == "aws_security_token") {
      keys.security_token = std::move(value);
    }
  }
  if (!found) {
    return NotFound("profile [" + std::string(profile) + "] not found in " + std::string(path));
  }
  return keys;
}

// Where the shared credentials file is, and which profile to read from it.
Result<std::pair<std::string, std::string>> FileAndProfile(const EnvLookup& env) {
  std::string path;
  if (auto file = NonEmpty(env, "AWS_SHARED_CREDENTIALS_FILE")) {
    path = *file;
  } else if (auto home = NonEmpty(env, "HOME")) {
    path = *home + "/.aws/credentials";
  } else {
    return NotFound(
        "no AWS credentials: AWS_ACCESS_KEY_ID is not set, and neither "
        "AWS_SHARED_CREDENTIALS_FILE nor HOME says where a credentials file is");
  }
  return std::pair{std::move(path), NonEmpty(env, "AWS_PROFILE").value_or("default")};
}

Result<Credentials> ReadFile(const std::string& path, const std::string& profile) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return NotFound("no AWS credentials: AWS_ACCESS_KEY_ID is not set and the credentials file " +
                    path + " cannot be read");
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return Unavailable("reading the credentials file " + path + " failed");

  auto keys = ParseProfile(content.str(), profile, path);
  if (!keys) return keys.error();
  const std::string where = "profile [" + profile + "] in " + path;
  if (!keys->access_key_id || keys->access_key_id->empty()) {
    return InvalidArgument(where + " has no aws_access_key_id");
  }
  if (!keys->secret_access_key || keys->secret_access_key->empty()) {
    return InvalidArgument(where + " has no aws_secret_access_key");
  }
  Credentials credentials;
  credentials.access_key_id = std::move(*keys->access_key_id);
  credentials.secret_access_key = std::move(*keys->secret_access_key);
  if (keys->session_token) {
    credentials.session_token = std::move(*keys->session_token);
  } else if (keys->security_token) {
    credentials.session_token = std::move(*keys->security_token);
  }
  return credentials;
}

// The environment's key pair; nullopt when none is set; an error for half a pair.
Result<std::optional<Credentials>> FromEnvironment(const EnvLookup& env) {
  auto id = NonEmpty(env, "AWS_ACCESS_KEY_ID");
  auto secret = NonEmpty(env, "AWS_SECRET_ACCESS_KEY");
  if (id && secret) {
    Credentials credentials;
    credentials.access_key_id = std::move(*id);
    credentials.secret_access_key = std::move(*secret);
    credentials.session_token = NonEmpty(env, "AWS_SESSION_TOKEN").value_or("");
    return std::optional<Credentials>(std::move(credentials));
  }
  // Half a key pair is a mistake worth reporting rather than silently reading a file that
  // may hold someone else's keys.
  if (id) {
    return InvalidArgument("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  }
  if (secret) {
    return InvalidArgument("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
  }
  return std::optional<Credentials>();
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Result<Credentials> ResolveCredentials(const EnvLookup& env) {
  auto provider = CredentialsProvider::Resolve(env);
  if (!provider) return provider.error();
  return (*provider)->Get();
}

Result<std::shared_ptr<CredentialsProvider>> CredentialsProvider::Resolve(
    const EnvLookup& env, std::chrono::milliseconds recheck, Warn warn) {
  auto provider = std::make_shared<CredentialsProvider>();
  auto from_env = FromEnvironment(env);
  if (!from_env) return from_env.error();
  if (*from_env) {
    provider->current_ = std::move(**from_env);
    return provider;
  }
  auto where = FileAndProfile(env);
  if (!where) return where.error();
  provider->seen_ = Stat(where->first);  // before the read: a change after it is seen later
  auto read = ReadFile(where->first, where->second);
  if (!read) return read.error();
  provider->current_ = std::move(*read);
  provider->path_ = std::move(where->first);
  provider->profile_ = std::move(where->second);
  provider->recheck_ = recheck;
  provider->warn_ = std::move(warn);
  provider->checked_ = std::chrono::steady_clock::now();
  return provider;
}

CredentialsProvider::FileState CredentialsProvider::Stat(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {static_cast<long long>(st.st_mtim.tv_sec) * 1'000'000'000LL + st.st_mtim.tv_nsec,
          static_cast<long long>(st.st_size), static_cast<unsigned long long>(st.st_ino)};
}

// Runs on whichever thread signs a request (the HTTP client's event thread among them): a
// stat every `recheck`, and a read of a small file when it changed, both under the lock.
Credentials CredentialsProvider::Get() {
  std::optional<std::string> problem;
  Credentials credentials;
  {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (!path_.empty() && now - checked_ >= recheck_) {
      checked_ = now;
      FileState state = Stat(path_);
      if (!(state == seen_)) {
        seen_ = state;
        auto read = ReadFile(path_, profile_);
        if (read) {
          current_ = std::move(*read);
        } else {
          problem = read.error().message;
        }
      }
    }
    credentials = current_;
  }
  if (problem && warn_) {
    warn_("the AWS credentials file changed and cannot be used (" + *problem +
          "); the credentials read before are kept");
  }
  return credentials;
}

std::optional<std::string> ResolveRegion(const EnvLookup& env) {
  if (auto region = NonEmpty(env, "AWS_REGION")) return region;
  return NonEmpty(env, "AWS_DEFAULT_REGION");
}

std::string RegionalEndpoint(std::string_view service, std::string_view region) {
  const bool china = region.substr(0, 3) == "cn-";
  return "https://" + std::string(service) + "." + std::string(region) +
         (china ? ".amazonaws.com.cn" : ".amazonaws.com");
}

}  // namespace heartbeat::aws
