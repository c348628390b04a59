// Fuzzes the HTTP API with raw bytes, as a client would send them.
//
// The input is read like the server reads a connection (src/http_server/server.cc): Beast's
// request_parser with the server's header and body limits, one request after another while
// they ask for keep-alive (at most kMaxRequests), each one rejected as the server would
// (too long a URL, too large headers) before the handler sees it. Every complete request
// goes to heartbeat::http::Api::Handle against a real SqliteStore in a temporary directory
// (created once; on /dev/shm when there is one, so that syncs cost nothing), with a
// KeyCache holding one known key (kFuzzKey, in the seed corpus and dictionary, so that
// inputs reach the authenticated routes), a fixed clock and metrics enabled. The coroutine
// runs to completion on a local io_context.
//
// Checks, besides "no crash, no sanitizer report":
//  - Handle completes and does not throw (the server would answer 500);
//  - the status is never 5xx except 503;
//  - every error (4xx, 503) is application/json {"error": "<non-empty string>"}, with
//    Allow on 405, WWW-Authenticate on 401 (but on Healthchecks' API, /api/…, which has
//    none) and Retry-After on 429; but on Healthchecks' ping URLs (/ping/…), whose errors
//    are text/plain and non-empty, as Healthchecks answers them;
//  - every other application/json body is valid JSON, and a 204 has no body;
//  - the on_write hook is only called with a time at or after the request's.
//
// REQUEST_FUZZ_VERBOSE=1 prints every request and its response (to look at a corpus).
//
// The store is kept small: every kResetEvery inputs all monitors are deleted and the seed
// monitors recreated. An input run alone (to reproduce a finding) sees the freshly seeded
// store. The failed-authentication limiter is a fresh one per input (a fixed clock never
// refills it), with a small burst so that a few bad requests in one input reach the 429
// path.

#include <signal.h>
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/api_key.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "core/project.h"
#include "http_server/api.h"
#include "http_server/key_cache.h"
#include "http_server/server.h"
#include "store/sqlite/sqlite_store.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using heartbeat::UnixMillis;

// The API key the cache accepts. Also in fuzz/corpus/request_fuzz/ and fuzz/request.dict.
constexpr std::string_view kFuzzKey =
    "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed";
// The Bearer token /metrics asks for. Also in the corpus and dictionary.
constexpr std::string_view kMetricsToken = "fuzz-metrics-token";
constexpr UnixMillis kNow = 1'790'000'000'000LL;  // 2026-09-21, a fixed clock
constexpr int kMaxRequests = 8;                   // pipelined requests handled per input
constexpr int kResetEvery = 64;                   // inputs between store resets
constexpr std::string_view kClientAddress = "203.0.113.7";

class FixedClock final : public heartbeat::Clock {
 public:
  UnixMillis Now() const override { return kNow; }
  std::chrono::steady_clock::time_point Steady() const override {
    return std::chrono::steady_clock::time_point(std::chrono::milliseconds(kNow));
  }
};

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "request_fuzz: %s\n", what.c_str());
  std::abort();
}

template <class T>
T Must(heartbeat::Result<T> r, const char* what) {
  if (!r.ok()) Die(std::string(what) + ": " + r.error().message);
  return std::move(*r);
}
void Must(heartbeat::Status s, const char* what) {
  if (!s.ok()) Die(std::string(what) + ": " + s.error().message);
}

// A store operation run synchronously (outside Handle: set-up and resets only).
template <class T, class Start>
heartbeat::Result<T> Sync(Start start) {
  return heartbeat::Await<T>(std::move(start));
}

struct Env {
  std::filesystem::path dir;
  std::unique_ptr<heartbeat::SqliteStore> store;
  std::unique_ptr<heartbeat::KeyCache> keys;
  FixedClock clock;
  heartbeat::Metrics metrics;
  asio::io_context ioc{1};
  int inputs_since_reset = 0;
  // REQUEST_FUZZ_VERBOSE=1 prints each request's status and the start of its body.
  bool verbose = std::getenv("REQUEST_FUZZ_VERBOSE") != nullptr;
};

Env* g_env = nullptr;

constexpr std::string_view kTempPrefix = "heartbeat-request-fuzz-";

// Removes the directories of earlier runs that crashed (their process is gone): a crash
// leaves its store behind, since nothing runs at exit then.
void RemoveStaleTempDirs(const std::filesystem::path& base) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(base, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kTempPrefix, 0) != 0) continue;
    const long pid = std::strtol(name.c_str() + kTempPrefix.size(), nullptr, 10);
    if (pid <= 0 || pid == static_cast<long>(getpid())) continue;
    if (kill(static_cast<pid_t>(pid), 0) == -1 && errno == ESRCH) {
      std::filesystem::remove_all(entry.path(), ec);
    }
  }
}

// TMPDIR, else /dev/shm (tmpfs: the store's syncs cost nothing), else /tmp.
std::filesystem::path MakeTempDir() {
  std::string base;
  if (const char* tmp = std::getenv("TMPDIR"); tmp != nullptr && *tmp != '\0') {
    base = tmp;
  } else if (access("/dev/shm", W_OK) == 0) {
    base = "/dev/shm";
  } else {
    base = "/tmp";
  }
  RemoveStaleTempDirs(base);
  std::string templ = base + "/" + std::string(kTempPrefix) + std::to_string(getpid()) + "-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) Die("mkdtemp in " + base + " failed");
  return templ;
}

// A few monitors in different states, so that reads, pauses and deletes find something:
// one overdue, one failed, one paused, one healthy with a long interval.
void Seed(heartbeat::Store& store) {
  using heartbeat::Callback;
  using heartbeat::Monitor;
  auto ping = [&](const char* slug, std::optional<std::int64_t> interval, UnixMillis at) {
    Must(Sync<Monitor>([&](Callback<Monitor> cb) { store.Ping(slug, interval, at, cb); }),
         "seed ping");
  };
  ping("backup-db", 3600, kNow - 2 * 3600 * 1000);
  ping("nightly-report", 86400, kNow - 1000);
  Must(Sync<Monitor>([&](Callback<Monitor> cb) { store.Fail("nightly-report", kNow, cb); }),
       "seed fail");
  ping("paused-job", 300, kNow - 60 * 1000);
  Must(Sync<bool>([&](Callback<bool> cb) { store.Pause("paused-job", kNow, cb); }), "seed pause");
  ping("web-1", 365LL * 86400, kNow);
}

void ResetStore(heartbeat::Store& store) {
  using heartbeat::Callback;
  std::string after;
  for (;;) {
    heartbeat::MonitorPage page =
        Must(Sync<heartbeat::MonitorPage>([&](Callback<heartbeat::MonitorPage> cb) {
               store.List(std::string(heartbeat::kDefaultProject), after, 1000, kNow, cb);
             }),
             "list");
    for (const heartbeat::Monitor& m : page.monitors) {
      Must(Sync<bool>([&](Callback<bool> cb) { store.Delete(m.slug, kNow, cb); }), "delete");
    }
    if (!page.next_after) break;
    after = *page.next_after;
  }
  // Channels an input added (POST /channels).
  for (const heartbeat::ChannelRecord& c : Must(
           Sync<std::vector<heartbeat::ChannelRecord>>(
               [&](Callback<std::vector<heartbeat::ChannelRecord>> cb) { store.ListChannels(cb); }),
           "list channels")) {
    (void)Sync<void>([&](Callback<void> cb) { store.RemoveChannel(c.project, c.name, cb); });
  }
  Seed(store);
}

Env& GetEnv() {
  if (g_env != nullptr) return *g_env;
  auto env = std::make_unique<Env>();
  env->dir = MakeTempDir();
  heartbeat::SqliteStoreOptions options;
  options.path = (env->dir / "heartbeat.db").string();
  env->store = Must(heartbeat::SqliteStore::Open(options), "open store");
  heartbeat::ApiKeyRecord key;
  key.key_hash = heartbeat::HashApiKey(kFuzzKey);
  key.description = "request_fuzz";
  key.created_at = kNow - 1000;
  Must(Sync<void>([&](heartbeat::Callback<void> cb) { env->store->AddKey(key, cb); }), "add key");
  env->keys = std::make_unique<heartbeat::KeyCache>(*env->store);
  Must(Sync<void>([&](heartbeat::Callback<void> cb) { env->keys->Refresh(cb); }), "load keys");
  if (!env->keys->Authenticate(kFuzzKey, kNow)) Die("the known key is not accepted");
  Seed(*env->store);
  g_env = env.release();
  // Stops the store's threads and removes the directory when libFuzzer exits normally
  // (after a crash, the next run removes it).
  std::atexit([] {
    g_env->store->Close();
    std::error_code ignored;
    std::filesystem::remove_all(g_env->dir, ignored);
  });
  return *g_env;
}

// Feeds `rest` to the parser as the server's reads would, until the header (or the whole
// message) is complete. The end of the input is the client closing the connection.
// Returns false when no complete request can be had (the server would answer 4xx or
// close the connection).
bool Feed(bhttp::request_parser<bhttp::string_body>& parser, std::string_view& rest,
          bool header_only) {
  for (;;) {
    if (header_only ? parser.is_header_done() : parser.is_done()) return true;
    beast::error_code ec;
    std::size_t used = 0;
    if (!rest.empty()) {
      used = parser.put(asio::buffer(rest.data(), rest.size()), ec);
      rest.remove_prefix(used);
    }
    if (ec && ec != bhttp::error::need_more) return false;
    if (rest.empty() || ec == bhttp::error::need_more || used == 0) {
      // Every byte there is has been offered: the connection ends here.
      if (!parser.got_some()) return false;
      ec = {};
      parser.put_eof(ec);
      if (ec) return false;
      return header_only ? parser.is_header_done() : parser.is_done();
    }
  }
}

std::size_t HeaderBytes(const heartbeat::http::Request& req) {
  std::size_t n = 0;
  for (const auto& field : req) n += field.name_string().size() + field.value().size() + 4;
  return n;
}

void CheckResponse(const heartbeat::http::Request& req, const heartbeat::http::Response& res) {
  const unsigned status = res.result_int();
  auto fail = [&](const std::string& what) {
    Die(what + "\n  request: " + std::string(req.method_string()) + " " +
        std::string(req.target()) + "\n  status: " + std::to_string(status) +
        "\n  body: " + res.body());
  };
  if (status < 200 || status > 599) fail("status out of range");
  if (status >= 500 && status != 503) fail("a 5xx other than 503");
  const std::string_view content_type = res[bhttp::field::content_type];
  const bool is_json = content_type.substr(0, 16) == "application/json";
  if (status == 204 && !res.body().empty()) fail("a 204 with a body");
  const std::string_view target = req.target();
  const bool hc_ping = target.substr(0, 6) == "/ping/";
  const bool hc_api = target.substr(0, 5) == "/api/";
  if (status >= 400 && hc_ping && content_type.substr(0, 10) == "text/plain") {
    if (res.body().empty() && req.method() != bhttp::verb::head) fail("an empty text error");
  } else if (status >= 400) {
    if (!is_json) fail("an error that is not application/json");
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(res.body(), ec);
    if (ec) fail("an error body that is not JSON: " + ec.message());
    if (!v.is_object()) fail("an error body that is not a JSON object");
    const boost::json::value* error = v.as_object().if_contains("error");
    if (error == nullptr || !error->is_string()) fail("an error body without an \"error\" string");
    if (error->as_string().empty()) fail("an empty \"error\" message");
    if (status == 405 && res[bhttp::field::allow].empty()) fail("a 405 without Allow");
    if (status == 401 && !hc_api && res[bhttp::field::www_authenticate].empty()) {
      fail("a 401 without WWW-Authenticate");
    }
    if (status == 429 && res[bhttp::field::retry_after].empty()) fail("a 429 without Retry-After");
  } else if (is_json) {
    boost::system::error_code ec;
    boost::json::parse(res.body(), ec);
    if (ec) fail("an application/json body that is not JSON: " + ec.message());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Env& env = GetEnv();
  if (++env.inputs_since_reset >= kResetEvery) {
    ResetStore(*env.store);
    env.inputs_since_reset = 0;
  }

  heartbeat::http::ApiOptions options;
  options.on_write = [](UnixMillis t) {
    if (t < kNow) Die("on_write called with a time before the request's: " + std::to_string(t));
  };
  options.limiter.burst = 3;
  options.metrics = &env.metrics;
  options.metrics_token = std::string(kMetricsToken);
  heartbeat::http::Api api(*env.store, *env.keys, env.clock, std::move(options));
  const heartbeat::http::ServerOptions limits;  // the server's defaults
  const heartbeat::http::RequestContext context{std::string(kClientAddress)};

  std::string_view rest(reinterpret_cast<const char*>(data), size);
  for (int i = 0; i < kMaxRequests && !rest.empty(); ++i) {
    // As Server::RunSession: the header (with the limits), its checks, then the body.
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(
        static_cast<std::uint32_t>(limits.max_url_bytes + limits.max_header_bytes + 1024));
    parser.body_limit(limits.max_body_bytes);
    if (!Feed(parser, rest, /*header_only=*/true)) break;
    if (parser.get().target().size() > limits.max_url_bytes) break;  // 414
    if (HeaderBytes(parser.get()) > limits.max_header_bytes) break;  // 431
    parser.eager(true);
    if (!Feed(parser, rest, /*header_only=*/false)) break;
    heartbeat::http::Request req = parser.release();

    std::optional<heartbeat::http::Response> res;
    std::exception_ptr error;
    bool done = false;
    asio::co_spawn(env.ioc, api.Handle(req, context),
                   [&](std::exception_ptr e, heartbeat::http::Response r) {
                     done = true;
                     error = e;
                     if (!e) res = std::move(r);
                   });
    env.ioc.restart();
    env.ioc.run();
    if (!done) Die("Handle did not complete");
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        Die(std::string("Handle threw (the server would answer 500): ") + e.what());
      } catch (...) {
        Die("Handle threw something that is not a std::exception");
      }
    }
    CheckResponse(req, *res);
    if (env.verbose) {
      std::fprintf(stderr, "request_fuzz: %s %s -> %u %s\n",
                   std::string(req.method_string()).c_str(), std::string(req.target()).c_str(),
                   res->result_int(), res->body().substr(0, 160).c_str());
    }
    if (!req.keep_alive()) break;
  }
  return 0;
}
