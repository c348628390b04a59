#pragma once
// A fake Healthchecks server on 127.0.0.1 (real HTTP, LoopbackHttpServer) answering
// GET /api/v3/checks/ as Healthchecks' v3 API does (hc/api/views.py, Check.to_dict): the
// checks set with SetChecks; 401 {"error":"missing api key"} / {"error":"wrong api key"};
// for the read-only key, checks without "uuid", "ping_url", "update_url", "pause_url",
// "resume_url" and "channels", with "unique_key" instead. Any other path: 404 HTML, as
// Django answers. Thread-safe.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/loopback_http_server.h"

namespace heartbeat::testing {

// One check as Healthchecks holds it. A "simple" check has `timeout`, a "cron" one
// `schedule` and `tz`.
struct FakeCheck {
  std::string uuid = {};
  std::string name = {};
  std::string slug = {};
  std::string tags = {};
  std::string desc = {};
  std::optional<std::int64_t> timeout = 86400;
  std::optional<std::string> schedule = std::nullopt;
  std::string tz = "UTC";
  std::int64_t grace = 3600;
  bool manual_resume = false;
  std::string methods = {};
  std::string status = "new";  // new, up, grace, down, paused
};

class FakeHealthchecks {
 public:
  FakeHealthchecks(std::string read_write_key, std::string read_only_key)
      : read_write_key_(std::move(read_write_key)),
        read_only_key_(std::move(read_only_key)),
        server_([this](const LoopbackRequest& r) { return Handle(r); }) {}

  std::string url() const { return server_.url(); }
  std::size_t Requests() const { return server_.Requests(); }

  void SetChecks(std::vector<FakeCheck> checks) {
    std::lock_guard lock(mu_);
    checks_ = std::move(checks);
  }
  // Healthchecks before its "uuid" field: the uuid only at the end of ping_url and update_url.
  void OmitUuidField(bool omit) {
    std::lock_guard lock(mu_);
    omit_uuid_field_ = omit;
  }
  // The X-Api-Key of the latest request ("" when none).
  std::string LastKey() const {
    std::lock_guard lock(mu_);
    return last_key_;
  }

 private:
  static LoopbackReply Json(unsigned status, const boost::json::value& body) {
    LoopbackReply r = LoopbackReply::With(status, boost::json::serialize(body));
    r.headers = {{"Content-Type", "application/json"}, {"Access-Control-Allow-Origin", "*"}};
    return r;
  }

  boost::json::object CheckJson(const FakeCheck& c, bool read_only) const {
    boost::json::object o{
        {"name", c.name},
        {"slug", c.slug},
        {"tags", c.tags},
        {"desc", c.desc},
        {"grace", c.grace},
        {"n_pings", 0},
        {"status", c.status},
        {"started", false},
        {"last_ping", nullptr},
        {"next_ping", nullptr},
        {"manual_resume", c.manual_resume},
        {"methods", c.methods},
        {"subject", ""},
        {"subject_fail", ""},
        {"start_kw", ""},
        {"success_kw", ""},
        {"failure_kw", ""},
        {"filter_subject", false},
        {"filter_body", false},
    };
    if (read_only) {
      o["unique_key"] = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";
    } else {
      if (!omit_uuid_field_) o["uuid"] = c.uuid;
      o["ping_url"] = "https://hc-ping.example/" + c.uuid;
      std::string update_url = url() + "/api/v3/checks/" + c.uuid;
      o["update_url"] = update_url;
      o["pause_url"] = update_url + "/pause";
      o["resume_url"] = update_url + "/resume";
      o["channels"] = "";
    }
    if (c.schedule) {
      o["schedule"] = *c.schedule;
      o["tz"] = c.tz;
    } else if (c.timeout) {
      o["timeout"] = *c.timeout;
    }
    return o;
  }

  LoopbackReply Handle(const LoopbackRequest& r) {
    std::lock_guard lock(mu_);
    const std::string* key = r.Header("x-api-key");
    last_key_ = key ? *key : "";
    if (r.target != "/api/v3/checks/") {
      LoopbackReply page = LoopbackReply::With(404, "<!doctype html><h1>Not Found</h1>");
      page.headers = {{"Content-Type", "text/html"}};
      return page;
    }
    if (!key || key->empty()) return Json(401, {{"error", "missing api key"}});
    const bool read_only = *key == read_only_key_;
    if (!read_only && *key != read_write_key_) return Json(401, {{"error", "wrong api key"}});
    if (r.method != "GET") return Json(405, {{"error", "method not allowed"}});
    boost::json::array list;
    for (const FakeCheck& c : checks_) list.push_back(CheckJson(c, read_only));
    return Json(200, {{"checks", std::move(list)}});
  }

  const std::string read_write_key_;
  const std::string read_only_key_;
  mutable std::mutex mu_;
  std::vector<FakeCheck> checks_;  // guarded by mu_
  bool omit_uuid_field_ = false;   // guarded by mu_
  std::string last_key_;           // guarded by mu_
  LoopbackHttpServer server_;      // last: its thread calls Handle until it is destroyed
};

}  // namespace heartbeat::testing
