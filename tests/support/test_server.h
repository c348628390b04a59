#pragma once
// The real API on a real HTTP server on 127.0.0.1:0, backed by a real store (a SQLite file
// in a temporary directory, or DynamoDB tables on dynalite), with a FakeClock. Keys are added
// through the store and the key cache refreshed at once.

#include <memory>
#include <string>

#include "core/api_key.h"
#include "core/project.h"
#include "http_server/api.h"
#include "http_server/key_cache.h"
#include "http_server/server.h"
#include "notify/channel_directory.h"
#include "notify/channel_notifier.h"
#include "support/fake_clock.h"
#include "support/http_client.h"
#include "support/temp_dir.h"
#include "support/test_stores.h"

namespace heartbeat::testing {

class TestServer {
 public:
  // `public_url`: PUBLIC_URL, for the absolute URLs of Healthchecks' API.
  explicit TestServer(http::ServerOptions options = {}, std::string metrics_token = "",
                      StoreKind kind = StoreKind::kSqlite, std::string public_url = "") {
    store_ = OpenTestStore(kind, dir_.path());
    keys_ = std::make_unique<KeyCache>(*store_);
    http::ApiOptions api_options;
    api_options.metrics = &metrics_;
    api_options.metrics_token = metrics_token;
    api_options.public_url = std::move(public_url);
    // Channels: the store's (no environment Telegram), sent for real by a ChannelNotifier
    // (POST /channels/{name}/test).
    channels_ = std::make_unique<ChannelDirectory>();
    notifier_ = std::make_unique<ChannelNotifier>(http_client_, *channels_, ChannelSendOptions{});
    api_options.channels = channels_.get();
    api_options.channel_tester = [this](const Channel& c) { return notifier_->SendTest(c); };
    api_ = std::make_unique<http::Api>(*store_, *keys_, clock_, std::move(api_options));
    options.bind = "127.0.0.1:0";
    if (options.threads == 0) options.threads = 2;
    server_ = std::make_unique<http::Server>(
        options, [this](const http::Request& req, const http::RequestContext& ctx) {
          return api_->Handle(req, ctx);
        });
    Status started = server_->Start();
    if (!started.ok()) throw std::runtime_error(started.error().message);
    Status ensured = Await<void>(
        [&](Callback<void> cb) { store_->EnsureDefaultProject(clock_.Now(), std::move(cb)); });
    if (!ensured.ok()) throw std::runtime_error(ensured.error().message);
    RefreshKeys();
  }
  ~TestServer() {
    server_->Stop();
    store_->Close();
  }

  // Creates a key (of `project`, read-only or not), makes the server accept it, and
  // returns it.
  std::string AddKey(const std::string& description = "test",
                     const std::string& project = "default", bool read_only = false) {
    std::string key = *GenerateApiKey();
    ApiKeyRecord record{.key_hash = HashApiKey(key),
                        .description = description,
                        .created_at = clock_.Now(),
                        .last_used_at = std::nullopt,
                        .project = project,
                        .read_only = read_only};
    Status s = Await<void>([&](Callback<void> cb) { store_->AddKey(record, std::move(cb)); });
    if (!s.ok()) throw std::runtime_error(s.error().message);
    RefreshKeys();
    return key;
  }
  // Creates a project, makes the server know it, and returns its ping key.
  std::string AddProject(const std::string& name) {
    std::string ping_key = *GeneratePingKey();
    Status s = Await<void>([&](Callback<void> cb) {
      store_->AddProject({name, ping_key, clock_.Now()}, std::move(cb));
    });
    if (!s.ok()) throw std::runtime_error(s.error().message);
    RefreshKeys();
    return ping_key;
  }
  // The ping key of `project`, as the server knows it.
  std::string PingKey(const std::string& project) const {
    for (const ProjectRecord& p : keys_->Projects()) {
      if (p.name == project) return p.ping_key;
    }
    return {};
  }
  void RefreshKeys() {
    Status s = Await<void>([&](Callback<void> cb) { keys_->Refresh(std::move(cb)); });
    if (!s.ok()) throw std::runtime_error(s.error().message);
  }

  HttpClient Client() const { return HttpClient(server_->port()); }
  unsigned short port() const { return server_->port(); }
  FakeClock& clock() { return clock_; }
  Metrics& metrics() { return metrics_; }
  Store& store() { return *store_; }
  KeyCache& keys() { return *keys_; }
  ChannelDirectory& channels() { return *channels_; }
  http::Server& server() { return *server_; }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
  FakeClock clock_;
  Metrics metrics_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<KeyCache> keys_;
  CurlHttpClient http_client_;
  std::unique_ptr<ChannelDirectory> channels_;
  std::unique_ptr<ChannelNotifier> notifier_;
  std::unique_ptr<http::Api> api_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace heartbeat::testing
