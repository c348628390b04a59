#pragma once
// A Store that forwards every call to another: tests derive from it and override only
// the calls they intercept (to inject a failure, a race, or to observe).

#include "store/store.h"

namespace heartbeat::testing {

class ForwardingStore : public Store {
 public:
  explicit ForwardingStore(Store& inner) : inner_(inner) {}

  void Mutate(std::string slug, MutateFn fn, Callback<Mutated> done) override {
    inner_.Mutate(std::move(slug), std::move(fn), std::move(done));
  }
  void PlainPing(std::string slug, SignalCall call, UnixMillis now,
                 Callback<Monitor> done) override {
    inner_.Receive(std::move(slug), std::move(call), now, std::move(done));
  }
  void ListPings(std::string slug, std::size_t limit, UnixMillis now,
                 Callback<std::optional<std::vector<PingRecord>>> done) override {
    inner_.ListPings(std::move(slug), limit, now, std::move(done));
  }
  void PingBody(std::string slug, std::int64_t n, UnixMillis now,
                Callback<std::optional<std::string>> done) override {
    inner_.PingBody(std::move(slug), n, now, std::move(done));
  }
  void ListFlips(std::string slug, UnixMillis since, UnixMillis now,
                 Callback<std::optional<std::vector<Flip>>> done) override {
    inner_.ListFlips(std::move(slug), since, now, std::move(done));
  }
  void Get(std::string slug, UnixMillis now, Callback<std::optional<Monitor>> done) override {
    inner_.Get(std::move(slug), now, std::move(done));
  }
  void FindByUuid(std::string uuid, UnixMillis now,
                  Callback<std::optional<Monitor>> done) override {
    inner_.FindByUuid(std::move(uuid), now, std::move(done));
  }
  void List(std::string project, std::string after, std::size_t limit, UnixMillis now,
            Callback<MonitorPage> done) override {
    inner_.List(std::move(project), std::move(after), limit, now, std::move(done));
  }
  void Delete(std::string slug, UnixMillis now, Callback<bool> done) override {
    inner_.Delete(std::move(slug), now, std::move(done));
  }
  void DeleteExpired(UnixMillis now, std::size_t limit, Callback<std::size_t> done) override {
    inner_.DeleteExpired(now, limit, std::move(done));
  }
  void DueMonitors(UnixMillis now, std::size_t limit,
                   Callback<std::vector<Monitor>> done) override {
    inner_.DueMonitors(now, limit, std::move(done));
  }
  void EarliestCheck(Callback<std::optional<UnixMillis>> done) override {
    inner_.EarliestCheck(std::move(done));
  }
  void ClaimAlerts(UnixMillis now, std::int64_t lease_ms, std::size_t limit, std::string owner,
                   ClaimRoom room, Callback<std::vector<PendingAlert>> done) override {
    inner_.ClaimAlerts(now, lease_ms, limit, std::move(owner), std::move(room), std::move(done));
  }
  void FinishAlert(const PendingAlert& alert, std::string owner, Callback<void> done) override {
    inner_.FinishAlert(alert, std::move(owner), std::move(done));
  }
  void RenewAlert(const PendingAlert& alert, std::string owner, UnixMillis lease_until,
                  Callback<void> done) override {
    inner_.RenewAlert(alert, std::move(owner), lease_until, std::move(done));
  }
  void RetryAlert(const PendingAlert& alert, std::string owner, UnixMillis next_attempt_at,
                  std::string error, Callback<void> done) override {
    inner_.RetryAlert(alert, std::move(owner), next_attempt_at, std::move(error), std::move(done));
  }
  void RejectAlert(const PendingAlert& alert, std::string owner, std::string error,
                   Callback<void> done) override {
    inner_.RejectAlert(alert, std::move(owner), std::move(error), std::move(done));
  }
  void EarliestAlertAttempt(Callback<std::optional<UnixMillis>> done) override {
    inner_.EarliestAlertAttempt(std::move(done));
  }
  void CountPendingAlerts(Callback<std::int64_t> done) override {
    inner_.CountPendingAlerts(std::move(done));
  }
  void CountMonitors(UnixMillis now, Callback<MonitorCounts> done) override {
    inner_.CountMonitors(now, std::move(done));
  }
  void AddKey(ApiKeyRecord key, Callback<void> done) override {
    inner_.AddKey(std::move(key), std::move(done));
  }
  void ListKeys(Callback<std::vector<ApiKeyRecord>> done) override {
    inner_.ListKeys(std::move(done));
  }
  void RevokeKey(std::string id, Callback<void> done) override {
    inner_.RevokeKey(std::move(id), std::move(done));
  }
  void TouchKeys(std::vector<std::pair<std::string, UnixMillis>> uses,
                 Callback<void> done) override {
    inner_.TouchKeys(std::move(uses), std::move(done));
  }
  void AddProject(ProjectRecord project, Callback<void> done) override {
    inner_.AddProject(std::move(project), std::move(done));
  }
  void ListProjects(Callback<std::vector<ProjectRecord>> done) override {
    inner_.ListProjects(std::move(done));
  }
  void RemoveProject(std::string name, UnixMillis now, Callback<void> done) override {
    inner_.RemoveProject(std::move(name), now, std::move(done));
  }
  void AddChannel(ChannelRecord channel, Callback<void> done) override {
    inner_.AddChannel(std::move(channel), std::move(done));
  }
  void ListChannels(Callback<std::vector<ChannelRecord>> done) override {
    inner_.ListChannels(std::move(done));
  }
  void RemoveChannel(std::string project, std::string name, Callback<void> done) override {
    inner_.RemoveChannel(std::move(project), std::move(name), std::move(done));
  }
  void SetPingKey(std::string name, std::string ping_key, Callback<void> done) override {
    inner_.SetPingKey(std::move(name), std::move(ping_key), std::move(done));
  }
  bool Healthy() const override { return inner_.Healthy(); }
  std::optional<std::string> Fatal() const override { return inner_.Fatal(); }
  void Close() override { inner_.Close(); }

 protected:
  Store& inner_;
};

}  // namespace heartbeat::testing
