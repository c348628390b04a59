// `heartbeat channels add|list|remove|test` (SPEC §14): the API's channel routes for the
// command line, on the store directly.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <iostream>

#include "app/commands.h"
#include "app/components.h"
#include "core/channel.h"
#include "core/project.h"
#include "http_client/http_client.h"
#include "notify/channel.h"

namespace heartbeat::app {

namespace {

// The POST /channels body the flags describe (or --json's).
Result<boost::json::object> SpecOf(const ChannelsOptions& o) {
  if (!o.spec_json.empty()) {
    boost::system::error_code ec;
    boost::json::value doc = boost::json::parse(o.spec_json, ec);
    if (ec || !doc.is_object()) return InvalidArgument("--json: not a JSON object");
    boost::json::object spec = doc.as_object();
    if (!o.name.empty()) spec["name"] = o.name;
    return spec;
  }
  boost::json::object spec{{"name", o.name}, {"kind", o.kind}};
  auto text = [&](const char* field, const std::string& value) {
    if (!value.empty()) spec[field] = value;
  };
  text("url", o.url);
  text("method", o.method);
  text("body", o.body);
  text("bot_token", o.bot_token);
  text("chat_id", o.chat_id);
  if (!o.headers.empty()) {
    boost::json::object headers;
    for (const std::string& h : o.headers) {
      const std::size_t colon = h.find(':');
      if (colon == std::string::npos || colon == 0) {
        return InvalidArgument("--header: '" + h.substr(0, 40) + "' is not 'Name: value'");
      }
      std::string value = h.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      headers[h.substr(0, colon)] = value;
    }
    spec["headers"] = std::move(headers);
  }
  if (!o.to.empty()) {
    boost::json::array to;
    for (const std::string& t : o.to) to.emplace_back(t);
    spec["to"] = std::move(to);
  }
  return spec;
}

// What `list` shows of where a channel sends: its public settings, in one short line.
std::string Destination(const boost::json::object& shown) {
  for (const char* field : {"url", "chat_id"}) {
    if (const boost::json::value* v = shown.if_contains(field); v && v->is_string()) {
      return std::string(v->as_string());
    }
  }
  if (const boost::json::value* to = shown.if_contains("to"); to && to->is_array()) {
    std::string out;
    for (const boost::json::value& t : to->as_array()) {
      if (!t.is_string()) continue;
      if (!out.empty()) out += ", ";
      out += t.as_string();
    }
    return out;
  }
  return "";
}

}  // namespace

int RunChannels(const Config& config, const ChannelsOptions& options) {
  if (Status s = ValidateProjectName(options.project); !s.ok()) {
    std::cerr << "heartbeat: --project: " << s.error().message << "\n";
    return kExitUsage;
  }
  if (options.action != ChannelsOptions::Action::kList && !IsChannelName(options.name) &&
      (options.action != ChannelsOptions::Action::kAdd || options.spec_json.empty())) {
    std::cerr << "heartbeat: " << ValidateChannelName(options.name).error().message << "\n";
    return kExitUsage;
  }
  auto opened = OpenStoreOrReport(config, CreateStore::kNo);
  if (!opened.ok()) return kExitFailure;
  Store& store = **opened;
  CurlHttpClient http;
  Result<Alerting> alerting = MakeAlerting(config, http, store);
  auto finish = [&](int code) {
    store.Close();
    return code;
  };
  if (!alerting.ok()) {
    std::cerr << "heartbeat: " << alerting.error().message << "\n";
    return finish(kExitFailure);
  }
  ChannelDirectory& channels = *alerting->channels;
  const Clock& clock = RealClock();
  switch (options.action) {
    case ChannelsOptions::Action::kAdd: {
      Result<boost::json::object> spec = SpecOf(options);
      Result<Channel> channel = spec.ok() ? ParseChannelSpec(*spec, options.project, clock.Now())
                                          : Result<Channel>(spec.error());
      if (!channel.ok()) {
        std::cerr << "heartbeat: " << channel.error().message << "\n";
        return finish(kExitUsage);
      }
      if (channels.Find(channel->key())) {
        std::cerr << "heartbeat: a channel named " << channel->name << " already exists\n";
        return finish(kExitFailure);
      }
      Status added = Await<void>(
          [&](Callback<void> cb) { store.AddChannel(ToRecord(*channel), std::move(cb)); });
      if (!added.ok()) {
        std::cerr << "heartbeat: " << added.error().message << "\n";
        return finish(kExitFailure);
      }
      std::cerr << "Added channel " << channel->name << " (" << ToString(channel->kind)
                << ") to project " << options.project << ".\n";
      return finish(kExitOk);
    }
    case ChannelsOptions::Action::kRemove: {
      std::optional<Channel> channel = channels.Find(ChannelKey(options.project, options.name));
      if (channel && channel->from_environment) {
        std::cerr << "heartbeat: the channel " << options.name
                  << " is set by the environment (TELEGRAM_*): change it there\n";
        return finish(kExitFailure);
      }
      Status removed = Await<void>([&](Callback<void> cb) {
        store.RemoveChannel(options.project, options.name, std::move(cb));
      });
      if (!removed.ok()) {
        std::cerr << "heartbeat: " << removed.error().message << "\n";
        return finish(kExitFailure);
      }
      std::cerr << "Removed channel " << options.name << ".\n";
      return finish(kExitOk);
    }
    case ChannelsOptions::Action::kTest: {
      std::optional<Channel> channel = channels.Find(ChannelKey(options.project, options.name));
      if (!channel) {
        std::cerr << "heartbeat: no channel named " << options.name << " in project "
                  << options.project << "\n";
        return finish(kExitFailure);
      }
      SendOutcome outcome = alerting->notifier->SendTest(*channel);
      if (outcome.kind != SendOutcome::Kind::kSent) {
        std::cerr << "heartbeat: the test message was not delivered: " << outcome.detail << "\n";
        return finish(kExitFailure);
      }
      std::cerr << "Sent a test message to " << options.name << ".\n";
      return finish(kExitOk);
    }
    case ChannelsOptions::Action::kList:
      break;
  }
  std::vector<Channel> list = channels.Of(options.project);
  if (options.json) {
    boost::json::array out;
    for (const Channel& c : list) out.push_back(PublicJson(c));
    std::cout << boost::json::serialize(boost::json::object{{"channels", std::move(out)}})
              << std::endl;
    return finish(kExitOk);
  }
  std::size_t width = 4;
  for (const Channel& c : list) width = std::max(width, c.name.size());
  std::cout << PadRight("NAME", width + 2) << PadRight("KIND", 12) << "DESTINATION\n";
  for (const Channel& c : list) {
    std::cout << PadRight(c.name, width + 2) << PadRight(std::string(ToString(c.kind)), 12)
              << Destination(PublicJson(c)) << (c.from_environment ? " (environment)" : "") << "\n";
  }
  return finish(kExitOk);
}

}  // namespace heartbeat::app
