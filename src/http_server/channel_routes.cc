#include "http_server/channel_routes.h"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <thread>

#include "core/channel.h"
#include "core/project.h"
#include "core/utf8.h"
#include "http_server/server.h"

namespace heartbeat::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using bhttp::status;

namespace {

// Test messages sent at once, at most: each holds a thread for up to its timeout.
constexpr int kMaxTestsAtOnce = 4;

}  // namespace

Status CheckChannelNames(const MonitorSettings& settings, std::string_view project,
                         const ChannelDirectory& channels) {
  if (!settings.channels) return Ok{};
  const std::vector<std::string> names = channels.Names(project);
  for (const std::string& name : *settings.channels) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      return InvalidArgument("channels: the project " + std::string(project) +
                             " has no channel named " + name);
    }
  }
  return Ok{};
}

ChannelRoutes::ChannelRoutes(Store& store, StoreCalls calls, ChannelDirectory& channels,
                             ChannelTester tester)
    : store_(store), calls_(calls), channels_(channels), tester_(std::move(tester)) {
  if (calls_.metrics != nullptr) channels_op_ = calls_.metrics->RegisterStoreOperation("channels");
}

// Not a coroutine: what it needs of `call` is read at once (it dies before the coroutine
// runs).
asio::awaitable<Response> ChannelRoutes::ListOrAdd(RouteCall& call) {
  const unsigned v = call.version();
  if (call.req.method() == bhttp::verb::post) {
    boost::system::error_code ec;
    boost::json::value doc = boost::json::parse(call.req.body(), ec);
    if (ec)
      return Ready(FromError(v, InvalidArgument("the body is not valid JSON: " + ec.message())));
    const boost::json::object* o = doc.if_object();
    if (o == nullptr) return Ready(FromError(v, InvalidArgument("the body must be a JSON object")));
    Result<Channel> channel = ParseChannelSpec(*o, call.grant.project, call.now);
    if (!channel.ok()) return Ready(FromError(v, channel.error()));
    return Add(v, std::move(*channel));
  }
  boost::json::array list;
  for (const Channel& c : channels_.Of(call.grant.project)) list.push_back(PublicJson(c));
  return Ready(Json(v, status::ok,
                    boost::json::serialize(boost::json::object{{"channels", std::move(list)}})));
}

asio::awaitable<Response> ChannelRoutes::Add(unsigned v, Channel channel) {
  if (channels_.Find(channel.key())) {
    co_return ErrorResponse(v, status::conflict,
                            "a channel named " + channel.name + " already exists");
  }
  Result<void> added = co_await TimedStoreCall<void>(calls_, channels_op_, [&](Callback<void> cb) {
    store_.AddChannel(ToRecord(channel), std::move(cb));
  });
  if (!added.ok()) {
    if (added.error().code == ErrorCode::kConflict) {
      co_return ErrorResponse(v, status::conflict,
                              "a channel named " + channel.name + " already exists");
    }
    co_return FromError(v, added.error());
  }
  (void)co_await Reload();
  co_return Json(v, status::created, boost::json::serialize(PublicJson(channel)));
}

asio::awaitable<Response> ChannelRoutes::Remove(RouteCall& call) {
  return Delete(call.version(), call.grant.project, call.args.empty() ? "" : call.args[0]);
}

asio::awaitable<Response> ChannelRoutes::Delete(unsigned v, std::string project, std::string name) {
  std::optional<Channel> channel =
      IsChannelName(name) ? channels_.Find(ChannelKey(project, name)) : std::nullopt;
  if (channel && channel->from_environment) {
    co_return ErrorResponse(
        v, status::conflict,
        "the channel " + name + " is set by the environment (TELEGRAM_*): change it there");
  }
  Result<void> removed = co_await TimedStoreCall<void>(
      calls_, channels_op_,
      [&](Callback<void> cb) { store_.RemoveChannel(project, name, std::move(cb)); });
  if (!removed.ok()) {
    if (removed.error().code == ErrorCode::kNotFound) {
      co_return ErrorResponse(v, status::not_found, "no channel " + ValidUtf8(name));
    }
    co_return FromError(v, removed.error());
  }
  (void)co_await Reload();
  co_return NoContent(v);
}

asio::awaitable<Response> ChannelRoutes::Test(RouteCall& call) {
  const std::string name = call.args.empty() ? "" : call.args[0];
  std::optional<Channel> channel =
      IsChannelName(name) ? channels_.Find(ChannelKey(call.grant.project, name)) : std::nullopt;
  if (!channel) {
    return Ready(ErrorResponse(call.version(), status::not_found, "no channel " + ValidUtf8(name)));
  }
  return SendTest(call.version(), std::move(*channel));
}

asio::awaitable<Response> ChannelRoutes::SendTest(unsigned v, Channel channel) {
  if (tests_running_.fetch_add(1) >= kMaxTestsAtOnce) {
    --tests_running_;
    Response res = ErrorResponse(v, status::too_many_requests,
                                 "too many test messages at once; retry in a few seconds");
    res.set(bhttp::field::retry_after, "5");
    co_return res;
  }
  // The send blocks (up to its own timeout): on a thread of its own, never an I/O thread.
  // The lambda captures by reference only (it runs at once, within the co_await): GCC 12
  // destroys a by-value capture of a temporary in a co_await twice.
  Result<SendOutcome> outcome =
      co_await AwaitStore<SendOutcome>([this, &channel](Callback<SendOutcome> done) {
        std::thread([this, channel, done = std::move(done)] {
          SendOutcome out = tester_ ? tester_(channel)
                                    : SendOutcome{SendOutcome::Kind::kRejected, std::nullopt,
                                                  "no sender is configured"};
          --tests_running_;
          done(std::move(out));
        }).detach();
      });
  boost::json::object body;
  if (!outcome.ok()) {
    body = {{"ok", false}, {"error", outcome.error().message}};
  } else if (outcome->kind == SendOutcome::Kind::kSent) {
    body = {{"ok", true}};
  } else {
    body = {{"ok", false}, {"error", outcome->detail.empty() ? "not delivered" : outcome->detail}};
  }
  co_return Json(v, status::ok, boost::json::serialize(body));
}

asio::awaitable<Status> ChannelRoutes::Reload() {
  using Records = std::vector<ChannelRecord>;
  Result<Records> records = co_await TimedStoreCall<Records>(
      calls_, channels_op_, [&](Callback<Records> cb) { store_.ListChannels(std::move(cb)); });
  if (!records.ok()) co_return records.error();
  channels_.Replace(*records);
  co_return Ok{};
}

}  // namespace heartbeat::http
