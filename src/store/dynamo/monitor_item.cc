#include "store/dynamo/monitor_item.h"

#include <algorithm>
#include <charconv>
#include <set>
#include <string_view>

#include "core/channel.h"
#include "core/lifecycle.h"

namespace heartbeat::dynamo {

using aws::AttributeValue;
using aws::Item;

namespace {

constexpr char kFracSuffix[] = "_frac_ms";
constexpr std::size_t kMaxRejectedKept = 20;

std::optional<OutboxEntry> ParseEntry(const std::string& key, const AttributeValue& v) {
  const Item* m = v.AsMap();
  if (m == nullptr) return std::nullopt;
  OutboxEntry e;
  auto [ptr, ec] = std::from_chars(key.data(), key.data() + key.size(), e.id);
  if (ec != std::errc() || ptr != key.data() + key.size()) return std::nullopt;
  std::optional<std::string> kind = GetString(*m, "kind");
  std::optional<AlertKind> k = kind ? AlertKindFromString(*kind) : std::nullopt;
  if (!k) return std::nullopt;
  e.alert.kind = *k;
  e.alert.slug = GetString(*m, "slug").value_or("");
  e.alert.interval_secs = GetInt(*m, "interval_secs").value_or(0);
  e.alert.last_ping = GetInt(*m, "last_ping");
  e.alert.deadline = GetInt(*m, "deadline").value_or(0);
  e.alert.at = GetInt(*m, "at").value_or(0);
  e.alert.down_since = GetInt(*m, "down_since").value_or(0);
  if (std::optional<std::int64_t> code = GetInt(*m, "exit_code")) {
    e.alert.exit_code = static_cast<int>(*code);
  }
  e.alert.body_tail = GetString(*m, "body_tail").value_or("");
  e.alert.run_started_at = GetInt(*m, "run_started_at");
  e.alert.max_runtime_secs = GetInt(*m, "max_runtime_secs");
  e.alert.channel = GetString(*m, "channel").value_or(std::string(kEnvironmentChannel));
  e.alert.uuid = GetString(*m, "uuid").value_or("");
  e.attempts = GetInt(*m, "attempts").value_or(0);
  e.next_attempt_at = GetInt(*m, "next_attempt_at").value_or(0);
  e.lease_owner = GetString(*m, "lease_owner");
  e.lease_until = GetInt(*m, "lease_until");
  e.rejected = GetString(*m, "state").value_or("pending") == "rejected";
  e.last_error = GetString(*m, "last_error").value_or("");
  return e;
}

AttributeValue EntryValue(const OutboxEntry& e) {
  Item m;
  m["kind"] = AttributeValue::S(std::string(ToString(e.alert.kind)));
  m["slug"] = AttributeValue::S(e.alert.slug);
  m["interval_secs"] = AttributeValue::N(e.alert.interval_secs);
  SetInt(m, "last_ping", e.alert.last_ping);
  m["deadline"] = AttributeValue::N(e.alert.deadline);
  m["at"] = AttributeValue::N(e.alert.at);
  m["down_since"] = AttributeValue::N(e.alert.down_since);
  SetInt(m, "exit_code",
         e.alert.exit_code ? std::optional<std::int64_t>(*e.alert.exit_code) : std::nullopt);
  if (!e.alert.body_tail.empty()) m["body_tail"] = AttributeValue::S(e.alert.body_tail);
  SetInt(m, "run_started_at", e.alert.run_started_at);
  SetInt(m, "max_runtime_secs", e.alert.max_runtime_secs);
  // (Absent reads as the environment's channel; an alert always names one.)
  if (!e.alert.channel.empty()) m["channel"] = AttributeValue::S(e.alert.channel);
  if (!e.alert.uuid.empty()) m["uuid"] = AttributeValue::S(e.alert.uuid);
  m["attempts"] = AttributeValue::N(e.attempts);
  m["next_attempt_at"] = AttributeValue::N(e.next_attempt_at);
  if (e.lease_owner) m["lease_owner"] = AttributeValue::S(*e.lease_owner);
  SetInt(m, "lease_until", e.lease_until);
  m["state"] = AttributeValue::S(e.rejected ? "rejected" : "pending");
  if (!e.last_error.empty()) m["last_error"] = AttributeValue::S(e.last_error);
  return AttributeValue::M(std::move(m));
}

// FNV-1a, 64 bits: stable across processes and versions, unlike std::hash.
std::uint64_t Fnv1a(const std::string& s) {
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace

std::optional<std::int64_t> GetInt(const Item& item, const std::string& name) {
  auto it = item.find(name);
  if (it == item.end()) return std::nullopt;
  return it->second.AsInt64();
}

std::optional<std::string> GetString(const Item& item, const std::string& name) {
  auto it = item.find(name);
  if (it == item.end() || it->second.AsString() == nullptr) return std::nullopt;
  return *it->second.AsString();
}

bool GetBool(const Item& item, const std::string& name) {
  auto it = item.find(name);
  return it != item.end() && it->second.AsBool().value_or(false);
}

void SetInt(Item& item, const std::string& name, std::optional<std::int64_t> v) {
  if (v) {
    item[name] = AttributeValue::N(*v);
  } else {
    item.erase(name);
  }
}

std::vector<const OutboxEntry*> MonitorRecord::Heads() const {
  std::vector<const OutboxEntry*> heads;
  std::set<std::string_view> seen;
  for (const OutboxEntry& e : outbox) {
    if (!e.rejected && seen.insert(e.alert.channel).second) heads.push_back(&e);
  }
  return heads;
}

std::vector<OutboxEntry*> MonitorRecord::Heads() {
  std::vector<OutboxEntry*> heads;
  for (const OutboxEntry* e : std::as_const(*this).Heads()) {
    heads.push_back(const_cast<OutboxEntry*>(e));
  }
  return heads;
}

std::int64_t MonitorRecord::PendingCount() const {
  return std::count_if(outbox.begin(), outbox.end(),
                       [](const OutboxEntry& e) { return !e.rejected; });
}

std::string HomePartition(const std::string& slug, int partitions) {
  if (partitions <= 1) return "CHECK";
  return "CHECK#" + std::to_string(Fnv1a(slug) % static_cast<std::uint64_t>(partitions));
}

std::vector<std::string> HomePartitions(int partitions) {
  if (partitions <= 1) return {"CHECK"};
  std::vector<std::string> all;
  for (int i = 0; i < partitions; ++i) all.push_back("CHECK#" + std::to_string(i));
  all.push_back("CHECK");
  return all;
}

std::string PartitionFor(const MonitorRecord& r, const std::string& home) {
  if (r.PendingCount() > 0) return kAlertingPartition;
  if (r.monitor.paused) return kPausedPartition;
  if (r.monitor.alert.alert_count > 0) return kAlertingPartition;
  if (r.monitor.run_deadline()) return kAlertingPartition;
  return home;
}

void SetTime(Item& item, const std::string& name, std::optional<UnixMillis> ms) {
  const std::string frac = name + kFracSuffix;
  if (!ms) {
    item.erase(name);
    item.erase(frac);
    return;
  }
  // Floor division: times before 1970 never occur, but the split must stay exact anyway.
  std::int64_t secs = *ms / 1000;
  std::int64_t rest = *ms % 1000;
  if (rest < 0) {
    rest += 1000;
    --secs;
  }
  item[name] = AttributeValue::N(secs);
  item[frac] = AttributeValue::N(rest);
}

std::optional<UnixMillis> GetTime(const Item& item, const std::string& name) {
  std::optional<std::int64_t> secs = GetInt(item, name);
  if (!secs) return std::nullopt;
  std::int64_t frac = GetInt(item, name + kFracSuffix).value_or(0);
  if (frac < 0 || frac > 999) frac = 0;
  return *secs * 1000 + frac;
}

Result<MonitorRecord> ParseMonitorItem(const Item& item) {
  MonitorRecord r;
  r.raw = item;
  Monitor& m = r.monitor;
  std::optional<std::string> slug = GetString(item, "slug");
  if (!slug) return Internal("a monitor item without a slug");
  m.slug = *slug;
  auto bad = [&](const char* what) {
    return Internal("monitor item " + m.slug + ": " + what + " is missing or not a number");
  };
  std::optional<std::int64_t> interval = GetInt(item, "interval_secs");
  if (!interval) return bad("interval_secs");
  m.interval_secs = *interval;
  std::optional<UnixMillis> next_due = GetTime(item, "next_due");
  if (!next_due) return bad("next_due");
  m.next_due = *next_due;
  std::optional<UnixMillis> expires = GetTime(item, "expires_at");
  if (!expires) return bad("expires_at");
  m.expires_at = *expires;
  m.created_at = GetTime(item, "created_at").value_or(m.next_due);
  m.last_ping = GetTime(item, "last_ping");
  m.paused = GetBool(item, "paused");
  m.failed_at = GetInt(item, "failed_at");
  m.alert.first_alerted_at = GetTime(item, "first_alerted_at");
  m.alert.last_alerted_at = GetTime(item, "last_alerted_at");
  m.alert.alert_count = GetInt(item, "alert_count").value_or(0);
  m.alert.down_since = GetInt(item, "down_since");
  // SPEC §12's settings, additive: an item without them (the seed's) is an interval
  // monitor in UTC with no grace.
  m.schedule = GetString(item, "schedule");
  m.tz = GetString(item, "tz").value_or("UTC");
  m.grace_secs = GetInt(item, "grace_secs").value_or(0);
  // Runs and history (SPEC §12), additive as well.
  m.max_runtime_secs = GetInt(item, "max_runtime_secs");
  m.last_start = GetInt(item, "last_start");
  m.running = GetBool(item, "running");
  m.run_rid = GetString(item, "run_rid");
  m.last_duration_ms = GetInt(item, "last_duration_ms");
  if (std::optional<std::int64_t> code = GetInt(item, "last_exit_code")) {
    m.last_exit_code = static_cast<int>(*code);
  }
  m.fail_tail = GetString(item, "fail_tail").value_or("");
  m.pings_seq = GetInt(item, "pings_seq").value_or(0);
  // Projects and Healthchecks' fields (SPEC §13), additive: absent strings are empty, an
  // absent manual_resume is true (the seed's rule: a paused monitor stays paused).
  m.uuid = GetString(item, "uuid").value_or("");
  m.name = GetString(item, "name").value_or("");
  m.tags = GetString(item, "tags").value_or("");
  m.desc = GetString(item, "desc").value_or("");
  m.methods = GetString(item, "methods").value_or("");
  if (auto mr = item.find("manual_resume"); mr != item.end()) {
    m.manual_resume = mr->second.AsBool().value_or(true);
  }
  // Alert policies (SPEC §14), additive: an item without them alerts every channel of its
  // project after one miss, repeating every ALERT_REPEAT_INTERVAL.
  if (auto ch = item.find("channels"); ch != item.end()) {
    if (const std::vector<AttributeValue>* names = ch->second.AsList()) {
      std::vector<std::string> channels;
      for (const AttributeValue& name : *names) {
        if (name.AsString() == nullptr) {
          return Internal("monitor item " + m.slug + ": a name in channels is not a string");
        }
        channels.push_back(*name.AsString());
      }
      m.channels = std::move(channels);
    }
  }
  m.repeat_secs = GetInt(item, "repeat_secs");
  m.down_after = GetInt(item, "down_after").value_or(1);
  m.fail_streak = GetInt(item, "fail_streak").value_or(0);
  m.snoozed_until = GetInt(item, "snoozed_until");
  m.alert.acknowledged = GetBool(item, "acknowledged");
  // The seed keeps alert state without a count of ours: an alert was sent if it says so.
  if (m.alert.alert_count == 0 && m.alert.first_alerted_at) m.alert.alert_count = 1;
  if (m.alert.alert_count > 0 && !m.alert.down_since) m.alert.down_since = m.alert.first_alerted_at;

  // check_at: written by every read-modify-write; the fast ping removes it, and then it
  // is what the ping set (core/lifecycle.h).
  // A NULL check_at is a write's "never" (an alerting monitor that repeats never, or
  // acknowledged, waits for a ping; core/alert.h's NextCheckAt), which must not be taken
  // for the ping's removal.
  if (auto ca = item.find("check_at"); ca != item.end() && ca->second.IsNull()) {
    m.check_at = std::nullopt;
  } else {
    std::optional<std::int64_t> check_at = GetInt(item, "check_at");
    m.check_at = check_at && !m.paused ? check_at : CheckAtAfterPing(m);
  }

  r.rev = GetInt(item, "rev").value_or(0);
  r.outbox_seq = GetInt(item, "outbox_seq").value_or(0);
  r.partition = GetString(item, "check_partition").value_or("");
  if (auto ob = item.find("outbox"); ob != item.end()) {
    if (const Item* entries = ob->second.AsMap()) {
      for (const auto& [key, value] : *entries) {
        std::optional<OutboxEntry> e = ParseEntry(key, value);
        if (!e) return Internal("monitor item " + m.slug + ": malformed outbox entry " + key);
        if (e->alert.slug.empty()) e->alert.slug = m.slug;
        r.outbox.push_back(std::move(*e));
      }
    }
  }
  std::sort(r.outbox.begin(), r.outbox.end(),
            [](const OutboxEntry& a, const OutboxEntry& b) { return a.id < b.id; });
  return r;
}

Item ToItem(const MonitorRecord& r, const std::string& home) {
  Item item = r.raw;
  const Monitor& m = r.monitor;
  item["slug"] = AttributeValue::S(m.slug);
  item["interval_secs"] = AttributeValue::N(m.interval_secs);
  SetTime(item, "last_ping", m.last_ping);
  SetTime(item, "next_due", m.next_due);
  SetTime(item, "created_at", m.created_at);
  SetTime(item, "expires_at", m.expires_at);
  SetTime(item, "first_alerted_at", m.alert.first_alerted_at);
  SetTime(item, "last_alerted_at", m.alert.last_alerted_at);
  item["alert_count"] = AttributeValue::N(m.alert.alert_count);
  item["paused"] = AttributeValue::Bool(m.paused);
  SetInt(item, "failed_at", m.failed_at);
  SetInt(item, "down_since", m.alert.down_since);
  // None: NULL, not absent (absent is the fast ping's "as after a ping", see the parse).
  if (m.check_at) {
    item["check_at"] = AttributeValue::N(*m.check_at);
  } else {
    item["check_at"] = AttributeValue::Null();
  }
  if (m.schedule) {
    item["schedule"] = AttributeValue::S(*m.schedule);
  } else {
    item.erase("schedule");
  }
  if (m.tz != "UTC") {
    item["tz"] = AttributeValue::S(m.tz);
  } else {
    item.erase("tz");
  }
  SetInt(item, "grace_secs",
         m.grace_secs != 0 ? std::optional<std::int64_t>(m.grace_secs) : std::nullopt);
  SetInt(item, "max_runtime_secs", m.max_runtime_secs);
  SetInt(item, "last_start", m.last_start);
  if (m.running) {
    item["running"] = AttributeValue::Bool(true);
  } else {
    item.erase("running");
  }
  if (m.run_rid) {
    item["run_rid"] = AttributeValue::S(*m.run_rid);
  } else {
    item.erase("run_rid");
  }
  SetInt(item, "last_duration_ms", m.last_duration_ms);
  SetInt(item, "last_exit_code",
         m.last_exit_code ? std::optional<std::int64_t>(*m.last_exit_code) : std::nullopt);
  if (!m.fail_tail.empty()) {
    item["fail_tail"] = AttributeValue::S(m.fail_tail);
  } else {
    item.erase("fail_tail");
  }
  SetInt(item, "pings_seq",
         m.pings_seq != 0 ? std::optional<std::int64_t>(m.pings_seq) : std::nullopt);
  auto set_string = [&](const char* name, const std::string& v) {
    if (!v.empty()) {
      item[name] = AttributeValue::S(v);
    } else {
      item.erase(name);  // an empty string is no value (and no GSI key) to DynamoDB
    }
  };
  set_string("uuid", m.uuid);
  set_string("name", m.name);
  set_string("tags", m.tags);
  set_string("desc", m.desc);
  set_string("methods", m.methods);
  if (!m.manual_resume) {
    item["manual_resume"] = AttributeValue::Bool(false);
  } else {
    item.erase("manual_resume");
  }
  if (m.channels) {
    std::vector<AttributeValue> names;
    for (const std::string& name : *m.channels) names.push_back(AttributeValue::S(name));
    item["channels"] = AttributeValue::L(std::move(names));
  } else {
    item.erase("channels");
  }
  SetInt(item, "repeat_secs", m.repeat_secs);
  SetInt(item, "down_after",
         m.down_after != 1 ? std::optional<std::int64_t>(m.down_after) : std::nullopt);
  SetInt(item, "fail_streak",
         m.fail_streak != 0 ? std::optional<std::int64_t>(m.fail_streak) : std::nullopt);
  SetInt(item, "snoozed_until", m.snoozed_until);
  if (m.alert.acknowledged) {
    item["acknowledged"] = AttributeValue::Bool(true);
  } else {
    item.erase("acknowledged");
  }
  item["rev"] = AttributeValue::N(r.rev + 1);

  // Rejected alerts are kept for inspection, the newest few only: an item has a size limit.
  std::vector<const OutboxEntry*> kept;
  std::size_t rejected = std::count_if(r.outbox.begin(), r.outbox.end(),
                                       [](const OutboxEntry& e) { return e.rejected; });
  for (const OutboxEntry& e : r.outbox) {
    if (e.rejected && rejected > kMaxRejectedKept) {
      --rejected;
      continue;
    }
    kept.push_back(&e);
  }
  if (kept.empty()) {
    item.erase("outbox");
  } else {
    Item entries;
    for (const OutboxEntry* e : kept) entries[std::to_string(e->id)] = EntryValue(*e);
    item["outbox"] = AttributeValue::M(std::move(entries));
  }
  SetInt(item, "outbox_seq",
         r.outbox_seq > 0 ? std::optional<std::int64_t>(r.outbox_seq) : std::nullopt);
  item["check_partition"] = AttributeValue::S(PartitionFor(r, home));
  return item;
}

}  // namespace heartbeat::dynamo
