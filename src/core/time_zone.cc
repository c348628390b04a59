#include "core/time_zone.h"

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>

namespace heartbeat {

struct TimeZone::Zone {
  std::string name;
  cctz::time_zone tz;
};

namespace {

using Seconds = std::chrono::time_point<std::chrono::system_clock, std::chrono::seconds>;

// cctz maps any name to a path under the zoneinfo directory (so "../x" and absolute paths
// would open other files), and gives "localtime" and "file:..." special meanings: only what
// can be an IANA name reaches it.
bool IsZoneName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name == "localtime") return false;
  bool part_start = true;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '+' || c == '-' || c == '/';
    if (!ok || (c == '/' && part_start)) return false;
    part_start = c == '/';
  }
  return !part_start;
}

// Every zone loaded, by name. cctz keeps a cache of its own too, but also remembers names
// that failed, as UTC: this one holds only zones that loaded.
class ZoneCache {
 public:
  const TimeZone::Zone* Find(std::string_view name) const {
    std::shared_lock lock(mu_);
    auto it = zones_.find(name);
    return it == zones_.end() ? nullptr : it->second.get();
  }
  const TimeZone::Zone* Insert(std::unique_ptr<TimeZone::Zone> zone) {
    std::unique_lock lock(mu_);
    auto [it, inserted] = zones_.try_emplace(zone->name, std::move(zone));
    return it->second.get();
  }

 private:
  mutable std::shared_mutex mu_;  // guards zones_
  std::map<std::string, std::unique_ptr<TimeZone::Zone>, std::less<>> zones_;
};

ZoneCache& Cache() {
  static auto* cache = new ZoneCache;  // never destroyed: TimeZones point into it
  return *cache;
}

const TimeZone::Zone* UtcZone() {
  static const auto* utc = new TimeZone::Zone{"UTC", cctz::utc_time_zone()};
  return utc;
}

}  // namespace

Result<TimeZone> TimeZone::Load(std::string_view name) {
  if (name == "UTC") return Utc();
  auto unknown = [&] {
    return InvalidArgument("unknown time zone \"" + std::string(name) +
                           "\" (an IANA name such as Europe/Riga)");
  };
  if (!IsZoneName(name)) return unknown();
  if (const Zone* z = Cache().Find(name)) return TimeZone(z);
  auto zone = std::make_unique<Zone>();
  zone->name = std::string(name);
  // load_time_zone answers false, and UTC, for a zone it cannot read.
  if (!cctz::load_time_zone(zone->name, &zone->tz)) return unknown();
  return TimeZone(Cache().Insert(std::move(zone)));
}

TimeZone TimeZone::Utc() { return TimeZone(UtcZone()); }

const std::string& TimeZone::name() const { return zone_->name; }

const cctz::time_zone& TimeZone::cctz_zone() const { return zone_->tz; }

int TimeZone::UtcOffsetSeconds(UnixMillis t) const {
  return zone_->tz.lookup(Seconds(std::chrono::seconds(t / 1000 - (t % 1000 < 0 ? 1 : 0)))).offset;
}

std::string TimeZone::FormatRfc3339(UnixMillis t) const {
  Seconds secs(std::chrono::seconds(t / 1000 - (t % 1000 < 0 ? 1 : 0)));
  cctz::time_zone::absolute_lookup al = zone_->tz.lookup(secs);
  char buf[64];
  int n;
  if (al.offset % 60 == 0) {
    int minutes = std::abs(al.offset) / 60;
    n = std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
                      static_cast<long long>(al.cs.year()), al.cs.month(), al.cs.day(),
                      al.cs.hour(), al.cs.minute(), al.cs.second(), al.offset < 0 ? '-' : '+',
                      minutes / 60, minutes % 60);
  } else {
    cctz::civil_second cs = cctz::convert(secs, cctz::utc_time_zone());
    n = std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02dZ",
                      static_cast<long long>(cs.year()), cs.month(), cs.day(), cs.hour(),
                      cs.minute(), cs.second());
  }
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace heartbeat
