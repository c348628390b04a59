#include "app/run_support.h"

#include <openssl/rand.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <cstdint>

#include "core/interval.h"
#include "core/lifecycle.h"
#include "core/slug.h"

namespace heartbeat::app {
namespace {

// "{url}/heartbeat/{slug}/{signal}", the base's trailing slashes dropped.
std::string SignalUrl(const RunOptions& options, std::string_view signal) {
  std::string_view base = options.url;
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  std::string url(base);
  url.append("/heartbeat/").append(options.slug).append("/").append(signal);
  return url;
}

void AddParam(std::string& url, char& separator, std::string_view name, std::string_view value) {
  url.push_back(separator);
  separator = '&';
  url.append(name).append("=").append(PercentEncode(value));
}

// The first line of an answer's body, printable and short, to say why a ping was refused.
std::string Excerpt(std::string_view body) {
  constexpr std::size_t kMax = 200;
  std::string line;
  for (char c : body) {
    if (c == '\n' || c == '\r') break;
    if (line.size() == kMax) {
      line.append("...");
      break;
    }
    const auto u = static_cast<unsigned char>(c);
    line.push_back(u < 0x20 || u == 0x7f ? '?' : c);
  }
  return line;
}

}  // namespace

void ApplyRunEnvironment(const Environment& env, RunOptions& options) {
  if (auto it = env.find("HEARTBEAT_URL"); it != env.end() && !it->second.empty()) {
    options.url = it->second;
  }
  if (auto it = env.find("HEARTBEAT_API_KEY"); it != env.end() && !it->second.empty()) {
    options.key = it->second;
  }
}

std::optional<int> RunSeparatorIndex(int argc, const char* const* argv) {
  if (argc < 2 || std::string_view(argv[1]) != "run") return std::nullopt;
  for (int i = 2; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--") return i;
  }
  return std::nullopt;
}

Status ValidateRunOptions(const RunOptions& options) {
  if (Status slug = ValidateSlug(options.slug); !slug.ok()) return slug.error().Wrap("--slug");
  if (options.command.empty()) {
    return InvalidArgument(
        "expected the command to run after --: heartbeat run --slug SLUG "
        "[options] -- COMMAND [ARGS...]");
  }
  if (options.command.front().empty()) return InvalidArgument("the command is an empty word");
  if (!options.url.starts_with("http://") && !options.url.starts_with("https://")) {
    return InvalidArgument("--url (HEARTBEAT_URL): must start with http:// or https://");
  }
  if (options.interval && options.schedule) {
    return InvalidArgument("--interval and --schedule: give one of them, not both");
  }
  MonitorSettings settings;
  if (options.interval) {
    Result<std::int64_t> interval = ParseInterval(*options.interval);
    if (!interval.ok()) return interval.error().Wrap("--interval");
    settings.interval_secs = *interval;
  }
  if (options.grace) {
    Result<std::int64_t> grace = ParseDuration(*options.grace);
    if (!grace.ok()) return grace.error().Wrap("--grace");
    settings.grace_secs = *grace;
  }
  if (options.tz && options.tz->empty()) return InvalidArgument("--tz: empty");
  // Not the zone (see the header): the rest as the server checks it.
  settings.schedule = options.schedule;
  if (Status valid = ValidateSettings(settings); !valid.ok()) {
    return InvalidArgument("--" + valid.error().message);
  }
  return Ok{};
}

std::string PercentEncode(std::string_view text) {
  // Upper-case hex and a space as "%20": Boost.URL's defaults.
  return boost::urls::encode(text, boost::urls::unreserved_chars);
}

std::string StartPingUrl(const RunOptions& options, std::string_view rid) {
  std::string url = SignalUrl(options, "start");
  char separator = '?';
  if (!rid.empty()) AddParam(url, separator, "rid", rid);
  if (options.interval) AddParam(url, separator, "interval", *options.interval);
  if (options.schedule) AddParam(url, separator, "schedule", *options.schedule);
  if (options.tz) AddParam(url, separator, "tz", *options.tz);
  if (options.grace) AddParam(url, separator, "grace", *options.grace);
  return url;
}

std::string EndPingUrl(const RunOptions& options, std::string_view rid, int exit_code) {
  std::string url = SignalUrl(options, std::to_string(exit_code));
  char separator = '?';
  if (!rid.empty()) AddParam(url, separator, "rid", rid);
  return url;
}

std::string ServerForMessages(std::string_view url) {
  std::size_t scheme_end = url.find("://");
  std::size_t host_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  std::size_t host_end = url.find_first_of("/?#", host_start);
  if (host_end == std::string_view::npos) host_end = url.size();
  std::string_view authority = url.substr(host_start, host_end - host_start);
  if (std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  return std::string(url.substr(0, host_start)).append(authority);
}

Result<std::string> NewRunId() {
  std::array<unsigned char, 16> b{};
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) {
    return Internal("cannot draw random bytes for the run ID");
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(36);
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) id.push_back('-');
    id.push_back(kHex[b[i] >> 4]);
    id.push_back(kHex[b[i] & 0xf]);
  }
  return id;
}

int ExitCodeOfWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return std::min(128 + WTERMSIG(status), 255);
  return 255;  // neither exited nor killed: not a final status
}

void OutputTail::Append(std::string_view data) {
  total_ += data.size();
  if (data.size() >= max_bytes_) {
    buffer_.assign(data.substr(data.size() - max_bytes_));
    return;
  }
  buffer_.append(data);
  // Trimming only past twice the bound keeps Append amortised linear.
  if (buffer_.size() > 2 * max_bytes_) buffer_.erase(0, buffer_.size() - max_bytes_);
}

std::string OutputTail::Contents() const {
  std::string_view held = buffer_;
  const bool cut = total_ > max_bytes_;
  if (held.size() > max_bytes_) held.remove_prefix(held.size() - max_bytes_);
  if (cut) {
    // Begin with a whole line when the window holds one after a break.
    std::size_t nl = held.find('\n');
    if (nl != std::string_view::npos && nl + 1 < held.size()) held.remove_prefix(nl + 1);
  }
  return std::string(held);
}

bool ShouldRetry(const HttpResult& result) {
  if (!result.transport_ok) return true;
  return result.status >= 500 || result.status == 408 || result.status == 429;
}

PingOutcome PingSender::Send(HttpRequest request, const PingPolicy& policy, std::string_view what,
                             std::string_view server) {
  PingOutcome outcome;
  const auto deadline = clock_.Steady() + policy.budget;
  std::chrono::milliseconds backoff = policy.first_backoff;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_.Steady());
    request.total_timeout = std::min(policy.attempt_timeout, left);
    request.connect_timeout = std::min(policy.connect_timeout, request.total_timeout);
    outcome.last = client_.Send(request);
    ++outcome.attempts;
    if (outcome.last.transport_ok && outcome.last.status >= 200 && outcome.last.status < 300) {
      outcome.ok = true;
      return outcome;
    }
    if (!ShouldRetry(outcome.last) || outcome.attempts >= policy.attempts) break;
    // Another try only when it would have time of its own after the wait.
    if (clock_.Steady() + backoff + std::chrono::milliseconds(100) >= deadline) break;
    sleep_(backoff);
    backoff *= 3;
  }
  const std::string tries =
      outcome.attempts == 1 ? "1 attempt" : std::to_string(outcome.attempts) + " attempts";
  std::string warning(what);
  if (outcome.last.transport_ok) {
    warning.append(" refused by ")
        .append(server)
        .append(": HTTP ")
        .append(std::to_string(outcome.last.status));
    if (std::string excerpt = Excerpt(outcome.last.body); !excerpt.empty()) {
      warning.append(" ").append(excerpt);
    }
    if (outcome.last.status == 401 &&
        request.headers.end() ==
            std::find_if(request.headers.begin(), request.headers.end(),
                         [](const auto& h) { return h.first == "Authorization"; })) {
      warning.append(" (no API key: give --key or set HEARTBEAT_API_KEY)");
    }
    if (outcome.attempts > 1) warning.append(" (").append(tries).append(")");
  } else {
    warning.append(" not sent to ")
        .append(server)
        .append(" (")
        .append(tries)
        .append("): ")
        .append(outcome.last.error);
  }
  outcome.warning = std::move(warning);
  return outcome;
}

}  // namespace heartbeat::app
