#pragma once
// The routes of a project's channels (SPEC §14): GET and POST /channels, DELETE
// /channels/{name}, POST /channels/{name}/test. A channel is read by notify/channel.h and
// kept in the store; after a change the directory is loaded again, so that the next
// request, the checker and the senders see it at once.

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <string>

#include "http_server/route_support.h"
#include "http_server/router.h"
#include "notify/channel.h"
#include "notify/channel_directory.h"
#include "notify/notifier.h"
#include "store/store.h"

namespace heartbeat::http {

// Sends a test message to a channel (ChannelNotifier::SendTest); blocking.
using ChannelTester = std::function<SendOutcome(const Channel&)>;

// kInvalidArgument when `settings` name a channel `project` does not have.
Status CheckChannelNames(const MonitorSettings& settings, std::string_view project,
                         const ChannelDirectory& channels);

class ChannelRoutes {
 public:
  ChannelRoutes(Store& store, StoreCalls calls, ChannelDirectory& channels, ChannelTester tester);

  boost::asio::awaitable<Response> ListOrAdd(RouteCall& call);
  boost::asio::awaitable<Response> Remove(RouteCall& call);  // call.args[0]: the name
  boost::asio::awaitable<Response> Test(RouteCall& call);    // call.args[0]: the name

 private:
  boost::asio::awaitable<Response> Add(unsigned v, Channel channel);
  boost::asio::awaitable<Response> Delete(unsigned v, std::string project, std::string name);
  boost::asio::awaitable<Response> SendTest(unsigned v, Channel channel);
  // Loads the directory again from the store (after a change).
  boost::asio::awaitable<Status> Reload();

  Store& store_;
  StoreCalls calls_;
  ChannelDirectory& channels_;
  ChannelTester tester_;
  StoreOpLabel channels_op_;
  std::atomic<int> tests_running_{0};
};

}  // namespace heartbeat::http
