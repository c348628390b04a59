#include "store/sqlite/schema.h"

#include <array>
#include <string>

namespace heartbeat::sqlite {
namespace {

constexpr std::string_view kV1 = R"sql(
CREATE TABLE monitors (
  slug             TEXT PRIMARY KEY NOT NULL,
  interval_secs    INTEGER NOT NULL,
  last_ping        INTEGER,           -- Unix ms of the last successful ping
  next_due         INTEGER NOT NULL,  -- Unix ms
  created_at       INTEGER NOT NULL,
  expires_at       INTEGER NOT NULL,
  paused           INTEGER NOT NULL DEFAULT 0,
  first_alerted_at INTEGER,
  last_alerted_at  INTEGER,
  alert_count      INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
-- The checker asks for monitors by deadline: its work is proportional to what is due.
CREATE INDEX monitors_next_due ON monitors (next_due);
CREATE TABLE api_keys (
  key_hash     TEXT PRIMARY KEY NOT NULL,  -- hex SHA-256; never the key
  description  TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER
) WITHOUT ROWID;
)sql";

// v2: `fail` is remembered, so that the alert says the job reported failure.
constexpr std::string_view kV2 = R"sql(
ALTER TABLE monitors ADD COLUMN failed_at INTEGER;
)sql";

// v3: alerts. check_at is when the checker must next look at a monitor (NULL while
// paused), indexed instead of next_due, so that a wake-up costs time in proportion to
// what is due, also while monitors stay overdue between repeats. The outbox holds alerts
// decided but not yet delivered, written in the same transaction as the state change.
constexpr std::string_view kV3 = R"sql(
ALTER TABLE monitors ADD COLUMN check_at INTEGER;
ALTER TABLE monitors ADD COLUMN down_since INTEGER;
UPDATE monitors SET down_since = first_alerted_at WHERE alert_count > 0;
UPDATE monitors SET check_at = CASE
  WHEN paused THEN NULL
  WHEN alert_count = 0 AND failed_at IS NOT NULL THEN failed_at
  WHEN alert_count = 0 THEN next_due + 1
  ELSE coalesce(last_alerted_at, next_due) END;
DROP INDEX monitors_next_due;
CREATE INDEX monitors_check_at ON monitors (check_at) WHERE check_at IS NOT NULL;
CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  slug            TEXT NOT NULL,
  kind            TEXT NOT NULL,     -- overdue | failed | repeat | recovered
  interval_secs   INTEGER NOT NULL,
  last_ping       INTEGER,
  deadline        INTEGER NOT NULL,
  decided_at      INTEGER NOT NULL,
  down_since      INTEGER NOT NULL,
  state           TEXT NOT NULL DEFAULT 'pending',  -- pending | rejected
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_owner     TEXT,
  lease_until     INTEGER,
  last_error      TEXT
);
CREATE INDEX outbox_pending ON outbox (slug, id) WHERE state = 'pending';
)sql";

// v4: schedules (SPEC §12): a cron expression in a time zone instead of the interval, and
// a grace after the deadline before the monitor alerts.
constexpr std::string_view kV4 = R"sql(
ALTER TABLE monitors ADD COLUMN schedule TEXT;
ALTER TABLE monitors ADD COLUMN tz TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE monitors ADD COLUMN grace_secs INTEGER NOT NULL DEFAULT 0;
)sql";

// v5: runs and history (SPEC §12): a run started and not ended, its limit, the latest
// duration and exit code, the tail of the latest failure's body (its alert quotes it); each
// signal numbered in `pings` (the last PINGS_KEPT kept), status changes in `flips`; the
// outbox keeps what the new alert texts say.
constexpr std::string_view kV5 = R"sql(
ALTER TABLE monitors ADD COLUMN max_runtime_secs INTEGER;
ALTER TABLE monitors ADD COLUMN last_start INTEGER;
ALTER TABLE monitors ADD COLUMN running INTEGER NOT NULL DEFAULT 0;
ALTER TABLE monitors ADD COLUMN run_rid TEXT;
ALTER TABLE monitors ADD COLUMN last_duration_ms INTEGER;
ALTER TABLE monitors ADD COLUMN last_exit_code INTEGER;
ALTER TABLE monitors ADD COLUMN fail_tail TEXT NOT NULL DEFAULT '';
ALTER TABLE monitors ADD COLUMN pings_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN exit_code INTEGER;
ALTER TABLE outbox ADD COLUMN body_tail TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN run_started_at INTEGER;
ALTER TABLE outbox ADD COLUMN max_runtime_secs INTEGER;
CREATE TABLE pings (
  slug        TEXT NOT NULL,
  n           INTEGER NOT NULL,  -- from 1 per monitor (monitors.pings_seq)
  at          INTEGER NOT NULL,  -- Unix ms
  kind        TEXT NOT NULL,     -- success | start | fail | log
  exit_code   INTEGER,
  rid         TEXT,
  duration_ms INTEGER,
  method      TEXT NOT NULL,
  remote_addr TEXT NOT NULL,
  user_agent  TEXT NOT NULL,
  body_bytes  INTEGER NOT NULL,
  body        BLOB               -- the bytes as sent; NULL when there were none
);
CREATE UNIQUE INDEX pings_by_monitor ON pings (slug, n);
CREATE TABLE flips (
  slug    TEXT NOT NULL,
  at      INTEGER NOT NULL,
  overdue INTEGER NOT NULL,
  PRIMARY KEY (slug, at)
) WITHOUT ROWID;
)sql";

// v6, two changes that each cost every ping a share of its time:
// - `monitors` becomes a rowid table with its slug in a unique index. A table WITHOUT
//   ROWID compares keys as whole rows, and past 13 columns SQLite gives up its fast key
//   comparison: with v5's 24 columns every ping's lookup took the slow one (callgrind:
//   ~3,000 instructions a ping). The index holds only the slug; the row may grow.
// - `pings` becomes a log in rowid order, each entry naming the one before it of its
//   monitor (`prev`), the monitor naming its newest (`pings_head`), instead of an index
//   by (slug, n), which wrote one more page at random per ping (ping_log.h).
constexpr std::string_view kV6 = R"sql(
ALTER TABLE pings ADD COLUMN prev INTEGER;
ALTER TABLE pings ADD COLUMN gen INTEGER NOT NULL DEFAULT 0;
UPDATE pings SET prev = (SELECT p.rowid FROM pings p WHERE p.slug = pings.slug AND p.n = pings.n - 1);
CREATE TABLE monitors_v6 (
  slug             TEXT PRIMARY KEY NOT NULL,
  interval_secs    INTEGER NOT NULL,
  last_ping        INTEGER,
  next_due         INTEGER NOT NULL,
  created_at       INTEGER NOT NULL,
  expires_at       INTEGER NOT NULL,
  paused           INTEGER NOT NULL DEFAULT 0,
  first_alerted_at INTEGER,
  last_alerted_at  INTEGER,
  alert_count      INTEGER NOT NULL DEFAULT 0,
  failed_at        INTEGER,
  check_at         INTEGER,
  down_since       INTEGER,
  schedule         TEXT,
  tz               TEXT NOT NULL DEFAULT 'UTC',
  grace_secs       INTEGER NOT NULL DEFAULT 0,
  max_runtime_secs INTEGER,
  last_start       INTEGER,
  running          INTEGER NOT NULL DEFAULT 0,
  run_rid          TEXT,
  last_duration_ms INTEGER,
  last_exit_code   INTEGER,
  fail_tail        TEXT NOT NULL DEFAULT '',
  pings_seq        INTEGER NOT NULL DEFAULT 0,
  pings_head       INTEGER,            -- rowid in `pings` of its newest entry
  pings_prev       INTEGER,            -- the head before the last fast ping (its entry's prev)
  pings_gen        INTEGER NOT NULL DEFAULT 0  -- its entries' generation (ping_log.h)
);
INSERT INTO monitors_v6 (slug, interval_secs, last_ping, next_due, created_at, expires_at,
  paused, first_alerted_at, last_alerted_at, alert_count, failed_at, check_at, down_since,
  schedule, tz, grace_secs, max_runtime_secs, last_start, running, run_rid,
  last_duration_ms, last_exit_code, fail_tail, pings_seq, pings_head)
SELECT slug, interval_secs, last_ping, next_due, created_at, expires_at, paused,
  first_alerted_at, last_alerted_at, alert_count, failed_at, check_at, down_since, schedule,
  tz, grace_secs, max_runtime_secs, last_start, running, run_rid, last_duration_ms,
  last_exit_code, fail_tail, pings_seq,
  (SELECT p.rowid FROM pings p WHERE p.slug = monitors.slug ORDER BY p.n DESC LIMIT 1)
FROM monitors;
DROP TABLE monitors;
ALTER TABLE monitors_v6 RENAME TO monitors;
CREATE INDEX monitors_check_at ON monitors (check_at) WHERE check_at IS NOT NULL;
DROP INDEX pings_by_monitor;
)sql";

// v7: projects, read-only keys and Healthchecks' identifiers (SPEC §13). Every monitor gets
// a random version-4 uuid, fixed from then on; a monitor of a project other than the
// default is stored under "project/slug" (core/project.h), so the slug index serves both.
// Keys belong to a project ("default" for those made before) with a role.
constexpr std::string_view kV7 = R"sql(
ALTER TABLE monitors ADD COLUMN uuid TEXT NOT NULL DEFAULT '';
ALTER TABLE monitors ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE monitors ADD COLUMN tags TEXT NOT NULL DEFAULT '';
ALTER TABLE monitors ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE monitors ADD COLUMN methods TEXT NOT NULL DEFAULT '';
ALTER TABLE monitors ADD COLUMN manual_resume INTEGER NOT NULL DEFAULT 1;
UPDATE monitors SET uuid = lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) ||
  '-4' || substr(lower(hex(randomblob(2))), 2) || '-' ||
  substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' ||
  lower(hex(randomblob(6)));
CREATE UNIQUE INDEX monitors_by_uuid ON monitors (uuid) WHERE uuid != '';
ALTER TABLE api_keys ADD COLUMN project TEXT NOT NULL DEFAULT 'default';
ALTER TABLE api_keys ADD COLUMN read_only INTEGER NOT NULL DEFAULT 0;
CREATE TABLE projects (
  name       TEXT PRIMARY KEY NOT NULL,
  ping_key   TEXT NOT NULL UNIQUE,  -- 22 characters of [a-z0-9]: /ping/<ping_key>/<slug>
  created_at INTEGER NOT NULL
);
)sql";

// v8: channels and alert policies (SPEC §14). A monitor names its channels (NULL: all of
// its project's; else the names joined by ',', '' for none: a name is [a-z0-9-]), its
// repeat period (NULL: ALERT_REPEAT_INTERVAL; 0: never), down_after, its streak of failures,
// a snooze, and whether its outage was acknowledged. The outbox holds one entry per
// (alert, channel), each queue of a (monitor, channel) in id order; entries queued before
// go to the environment's channel, `telegram`. Channels are stored per project.
constexpr std::string_view kV8 = R"sql(
ALTER TABLE monitors ADD COLUMN channels TEXT;
ALTER TABLE monitors ADD COLUMN repeat_secs INTEGER;
ALTER TABLE monitors ADD COLUMN down_after INTEGER NOT NULL DEFAULT 1;
ALTER TABLE monitors ADD COLUMN fail_streak INTEGER NOT NULL DEFAULT 0;
ALTER TABLE monitors ADD COLUMN snoozed_until INTEGER;
ALTER TABLE monitors ADD COLUMN alert_acknowledged INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'telegram';
ALTER TABLE outbox ADD COLUMN uuid TEXT NOT NULL DEFAULT '';
UPDATE outbox SET uuid = coalesce((SELECT m.uuid FROM monitors m WHERE m.slug = outbox.slug), '');
DROP INDEX outbox_pending;
CREATE INDEX outbox_pending ON outbox (slug, channel, id) WHERE state = 'pending';
CREATE TABLE channels (
  project    TEXT NOT NULL,
  name       TEXT NOT NULL,
  kind       TEXT NOT NULL,
  config     TEXT NOT NULL,  -- JSON, as notify/ writes it (secrets included)
  created_at INTEGER NOT NULL,
  PRIMARY KEY (project, name)
) WITHOUT ROWID;
)sql";

constexpr std::array<std::string_view, 8> kMigrations{kV1, kV2, kV3, kV4, kV5, kV6, kV7, kV8};

}  // namespace

std::span<const std::string_view> Migrations() { return kMigrations; }

Result<int> SchemaVersion(Connection& db) {
  Result<Statement*> st = db.Prepare("PRAGMA user_version");
  if (!st.ok()) return st.error();
  Result<bool> row = (*st)->Step();
  if (!row.ok()) return row.error();
  int version = *row ? static_cast<int>((*st)->Int(0)) : 0;
  (*st)->Reset();
  return version;
}

Status Migrate(Connection& db) {
  if (Status s = db.Exec("BEGIN IMMEDIATE"); !s.ok()) return s.error().Wrap("migrate");
  auto fail = [&](const Error& e) -> Status {
    (void)db.Exec("ROLLBACK");
    return e.Wrap("migrate");
  };
  Result<int> version = SchemaVersion(db);
  if (!version.ok()) return fail(version.error());
  if (*version > CurrentSchemaVersion()) {
    return fail(Internal("the database has schema version " + std::to_string(*version) +
                         ", newer than this heartbeat's " + std::to_string(CurrentSchemaVersion()) +
                         "; upgrade heartbeat"));
  }
  for (int v = *version; v < CurrentSchemaVersion(); ++v) {
    if (Status s = db.Exec(kMigrations[static_cast<std::size_t>(v)]); !s.ok()) {
      return fail(s.error().Wrap("to version " + std::to_string(v + 1)));
    }
  }
  if (Status s = db.Exec("PRAGMA user_version = " + std::to_string(CurrentSchemaVersion()));
      !s.ok()) {
    return fail(s.error());
  }
  if (Status s = db.Exec("COMMIT"); !s.ok()) return fail(s.error());
  return Ok{};
}

}  // namespace heartbeat::sqlite
