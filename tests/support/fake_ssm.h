#pragma once
// A fake AWS SSM Parameter Store on 127.0.0.1, real HTTP, JSON 1.1 protocol: answers
// GetParameter from its map, ParameterNotFound (400 with __type) for a name it lacks, and
// queued failures (500, throttling) first. It checks what a SigV4-signed request must
// carry: X-Amz-Target, the JSON 1.1 Content-Type, X-Amz-Date, an Authorization header whose
// credential scope is <access key>/<date of X-Amz-Date>/<region>/ssm/aws4_request and whose
// signed headers include host and x-amz-date (and x-amz-security-token, whose value must be
// the expected session token, when one is configured). A request that fails a check gets
// 400 InvalidSignatureException and is listed in Rejections(). Thread-safe.

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <deque>
#include <map>
#include <mutex>
#include <regex>
#include <string>
#include <vector>

#include "support/blocking_http_server.h"

namespace heartbeat::testing {

struct SsmExpectations {
  std::string access_key_id = "AKIDEXAMPLE";
  std::string region = "eu-north-1";
  std::string session_token;  // empty: the request must carry none
};

struct SsmRequest {
  std::string name;
  bool with_decryption = false;
};

class FakeSsm {
 public:
  explicit FakeSsm(SsmExpectations expect = {})
      : expect_(std::move(expect)),
        server_([this](const BlockingHttpServer::Request& req) { return Handle(req); }) {}
  ~FakeSsm() { server_.Stop(); }

  std::string url() const { return server_.url(); }

  void Put(const std::string& name, const std::string& value) {
    std::lock_guard lock(mu_);
    params_[name] = value;
  }
  // Failures answered before anything else, in order: 500 or a 400 ThrottlingException.
  void EnqueueServerError() {
    std::lock_guard lock(mu_);
    failures_.push_back(500);
  }
  void EnqueueThrottling() {
    std::lock_guard lock(mu_);
    failures_.push_back(429);
  }

  std::vector<SsmRequest> Requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  // Why requests were refused as badly signed or malformed; empty when all were fine.
  std::vector<std::string> Rejections() const {
    std::lock_guard lock(mu_);
    return rejections_;
  }

 private:
  using Request = BlockingHttpServer::Request;
  using Response = BlockingHttpServer::Response;

  static Response Answer(unsigned status, const boost::json::object& body) {
    Response res{static_cast<boost::beast::http::status>(status), 11};
    res.set(boost::beast::http::field::content_type, "application/x-amz-json-1.1");
    res.body() = boost::json::serialize(body);
    return res;
  }

  // Empty when the request carries what a signed SSM request must; else what is wrong.
  std::string CheckSigned(const Request& req) const {
    auto header = [&](const char* name) { return std::string(req[name]); };
    if (req.method() != boost::beast::http::verb::post) return "method is not POST";
    if (req.target() != "/") return "target is not /";
    if (header("X-Amz-Target") != "AmazonSSM.GetParameter") return "X-Amz-Target is wrong";
    if (header("Content-Type") != "application/x-amz-json-1.1") return "Content-Type is wrong";
    std::string date = header("X-Amz-Date");
    if (!std::regex_match(date, std::regex("[0-9]{8}T[0-9]{6}Z"))) return "X-Amz-Date missing";
    std::string auth = header("Authorization");
    std::smatch m;
    if (!std::regex_match(auth, m,
                          std::regex("AWS4-HMAC-SHA256 Credential=([^,]+), ?SignedHeaders=([^,]+), "
                                     "?Signature=([0-9a-f]{64})"))) {
      return "Authorization is not a SigV4 header";
    }
    std::string scope = expect_.access_key_id + "/" + date.substr(0, 8) + "/" + expect_.region +
                        "/ssm/aws4_request";
    if (m[1] != scope) return "credential scope '" + std::string(m[1]) + "' is not " + scope;
    std::string signed_headers = ";" + std::string(m[2]) + ";";
    for (const char* h : {"host", "x-amz-date", "x-amz-target", "content-type"}) {
      if (signed_headers.find(std::string(";") + h + ";") == std::string::npos) {
        return std::string(h) + " is not signed";
      }
    }
    std::string token = header("X-Amz-Security-Token");
    if (expect_.session_token.empty()) {
      if (!token.empty()) return "unexpected X-Amz-Security-Token";
    } else {
      if (token != expect_.session_token) return "X-Amz-Security-Token missing or wrong";
      if (signed_headers.find(";x-amz-security-token;") == std::string::npos) {
        return "x-amz-security-token is not signed";
      }
    }
    return "";
  }

  Response Handle(const Request& req) {
    std::lock_guard lock(mu_);
    if (std::string wrong = CheckSigned(req); !wrong.empty()) {
      rejections_.push_back(wrong);
      return Answer(400, {{"__type", "InvalidSignatureException"}, {"message", wrong}});
    }
    boost::system::error_code ec;
    auto body = boost::json::parse(req.body(), ec);
    if (ec || !body.is_object() || !body.as_object().contains("Name") ||
        !body.as_object().at("Name").is_string()) {
      rejections_.push_back("body is not {\"Name\":...}");
      return Answer(400, {{"__type", "ValidationException"}, {"message", "bad body"}});
    }
    SsmRequest r;
    r.name = body.as_object().at("Name").as_string();
    if (auto* d = body.as_object().if_contains("WithDecryption"); d && d->is_bool()) {
      r.with_decryption = d->as_bool();
    }
    requests_.push_back(r);
    if (!failures_.empty()) {
      int f = failures_.front();
      failures_.pop_front();
      if (f == 500) return Answer(500, {{"__type", "InternalServerError"}});
      return Answer(400, {{"__type", "ThrottlingException"}, {"message", "Rate exceeded"}});
    }
    auto it = params_.find(r.name);
    if (it == params_.end()) {
      // As SSM answers: the type with a namespace prefix, no message.
      return Answer(400, {{"__type", "com.amazonaws.ssm#ParameterNotFound"}});
    }
    return Answer(200,
                  {{"Parameter",
                    {{"Name", r.name},
                     {"Type", "SecureString"},
                     {"Value", it->second},
                     {"Version", 1},
                     {"ARN", "arn:aws:ssm:" + expect_.region + ":123456789012:parameter" + r.name},
                     {"DataType", "text"}}}});
  }

  SsmExpectations expect_;
  mutable std::mutex mu_;
  std::map<std::string, std::string> params_;  // guarded by mu_
  std::deque<int> failures_;                   // guarded by mu_
  std::vector<SsmRequest> requests_;           // guarded by mu_
  std::vector<std::string> rejections_;        // guarded by mu_
  BlockingHttpServer server_;                  // last: stopped first
};

}  // namespace heartbeat::testing
