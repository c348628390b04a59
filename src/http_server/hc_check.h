#pragma once
// A Healthchecks check as heartbeat shows and takes it (SPEC §13, spec/healthchecks-compat.md):
// its JSON, its status, a create or update body and the monitor settings it gives, the
// slug v1 and v2 derive from a name, a ping in Healthchecks' shape. Pure: no I/O, no clock.
//
// The mapping: a check's `timeout` is our interval, its `schedule` and `tz` ours, its `grace`
// our grace and also our max_runtime (a started run is down `grace` after its start, as
// Healthchecks has it). Statuses: `new` (never pinged), `up`, `grace` (our late), `down`
// (our overdue), `paused`, and in v1 `started` while a run runs.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/monitor.h"
#include "core/result.h"
#include "core/signal.h"

namespace heartbeat::http {

// Healthchecks' bounds of `timeout` and `grace`, in seconds.
inline constexpr std::int64_t kMinTimeoutSecs = 60;
inline constexpr std::int64_t kMaxTimeoutSecs = 31'536'000;

// A create or update body, read with Healthchecks' strict types (any field may be absent;
// unknown fields are ignored).
struct CheckSpec {
  std::optional<std::string> name, slug, tags, desc, schedule, tz, methods, channels;
  std::optional<std::int64_t> timeout, grace;
  std::optional<bool> manual_resume;
  std::vector<std::string> unique;  // of name, slug, tags, timeout, grace
};

// Parses a body: an empty one is an empty spec. Errors (kInvalidArgument) are Healthchecks'
// messages: "could not parse request body", "json validation error: <field> is not a
// string", "… is too long", "… is too small", "… has unexpected value", and for what
// Healthchecks takes and we do not, "json validation error: schedule …" naming it.
Result<CheckSpec> ParseCheckSpec(std::string_view body);

// Django's slugify on ASCII (letters and digits lowercased, runs of spaces and '-' become
// one '-', anything else but '_' dropped, '-' and '_' trimmed from the ends); other
// characters are dropped. What v1 and v2 use as the slug of a check created with a name
// and no slug.
std::string Slugify(std::string_view name);

// The check's "unique_key" (what read-only keys see instead of its uuid): Healthchecks'
// hex SHA-1 of the first 16 hex digits of the uuid.
std::string UniqueKey(std::string_view uuid);

// How a check is shown.
// A channel as Healthchecks' API names it: its name and its id (core's ChannelUuid).
struct HcChannel {
  std::string name;
  std::string id;
};

struct CheckView {
  int api_version = 3;
  bool read_only = false;           // unique_key instead of uuid and the URLs
  std::string base_url;             // PUBLIC_URL, else http://<Host>
  std::vector<HcChannel> channels;  // the project's: a check's "channels" lists their ids
};
std::string CheckJson(const Monitor& m, UnixMillis now, const CheckView& view);
// Its Healthchecks status: new, up, grace, down, paused (and started, v1).
std::string_view CheckStatus(const Monitor& m, UnixMillis now, int api_version);

// The settings a spec gives: only the fields it has; `creating`: with the defaults of a
// check created through Healthchecks' API (timeout 86400, grace 3600, tz UTC,
// manual_resume false, name "").
MonitorSettings CheckSettings(const CheckSpec& spec, bool creating);
// A spec's "channels" into `settings`: "*" all of the project's, "" none, else a comma list
// of `channels`' ids or names; kInvalidArgument "invalid channel identifier: X" otherwise.
Status ApplyCheckChannels(const CheckSpec& spec, const std::vector<HcChannel>& channels,
                          MonitorSettings& settings);
// Whether spec.unique is non-empty and the spec gives each of its fields (else Healthchecks
// looks nothing up), and whether `m` has each of them as the spec gives it.
bool UniqueFieldsGiven(const CheckSpec& spec);
bool MatchesUnique(const Monitor& m, const CheckSpec& spec);

// The slug a client sees: none for a check created without one (kept under its uuid).
std::string_view ShownSlug(const Monitor& m);
// Whether the space-separated tags of `m` include every one of `wanted`.
bool HasEveryTag(const Monitor& m, const std::vector<std::string>& wanted);

// {"pings":[…]}, newest first as given; `check_url` is the base of each "body_url".
std::string PingsJson(const std::vector<PingRecord>& pings, const std::string& check_url);
// "2026-12-07T22:00:00+00:00": Healthchecks' ISO 8601, whole seconds.
std::string IsoSeconds(UnixMillis t);

}  // namespace heartbeat::http
