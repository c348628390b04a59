// SqliteStore: the checker's queries and the outbox of alerts.

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "store/sqlite/monitor_row.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/store_ops.h"

namespace heartbeat {

using sqlite::OptionalScalar;
using sqlite::ReadMonitor;
using sqlite::Statement;

namespace {

// An UPDATE of one outbox row held by `owner`: kConflict when the lease was lost.
Status UpdateLeased(Connection& db, Statement* st) {
  if (Status s = st->Run(); !s.ok()) return s;
  if (db.Changes() == 0) return Conflict("the alert's lease was lost to another sender");
  return Ok{};
}

}  // namespace

void SqliteStore::DueMonitors(UnixMillis now, std::size_t limit,
                              Callback<std::vector<Monitor>> done) {
  Read<std::vector<Monitor>>(
      std::move(done), [now, limit](Connection& db) -> Result<std::vector<Monitor>> {
        // Walks the partial index on check_at from its start: only due rows are touched.
        Result<Statement*> st =
            db.Prepare("SELECT " HEARTBEAT_MONITOR_COLUMNS
                       " FROM monitors "
                       "WHERE check_at IS NOT NULL AND check_at <= ?1 ORDER BY check_at LIMIT ?2");
        if (!st.ok()) return st.error();
        (*st)->Bind(1, now);
        (*st)->Bind(2, static_cast<std::int64_t>(limit));
        std::vector<Monitor> due;
        for (;;) {
          Result<bool> row = (*st)->Step();
          if (!row.ok()) return row.error();
          if (!*row) break;
          due.push_back(ReadMonitor(**st));
        }
        (*st)->Reset();
        return due;
      });
}

void SqliteStore::CountMonitors(UnixMillis now, Callback<MonitorCounts> done) {
  Read<MonitorCounts>(std::move(done), [now](Connection& db) -> Result<MonitorCounts> {
    Result<Statement*> st = db.Prepare(
        "SELECT coalesce(sum(paused), 0), "
        "coalesce(sum(NOT paused AND (failed_at IS NOT NULL OR ?1 > next_due)), 0), "
        "coalesce(sum(NOT paused AND failed_at IS NOT NULL), 0), count(*) "
        "FROM monitors WHERE expires_at > ?1");
    if (!st.ok()) return st.error();
    (*st)->Bind(1, now);
    Result<bool> row = (*st)->Step();
    if (!row.ok()) return row.error();
    MonitorCounts c;
    if (*row) {
      c.paused = (*st)->Int(0);
      c.overdue = (*st)->Int(1);
      c.failed = (*st)->Int(2);
      c.ok = (*st)->Int(3) - c.paused - c.overdue;
    }
    (*st)->Reset();
    return c;
  });
}

void SqliteStore::EarliestCheck(Callback<std::optional<UnixMillis>> done) {
  Read<std::optional<UnixMillis>>(std::move(done), [](Connection& db) {
    return OptionalScalar(db, "SELECT min(check_at) FROM monitors WHERE check_at IS NOT NULL");
  });
}

void SqliteStore::ClaimAlerts(UnixMillis now, std::int64_t lease_ms, std::size_t limit,
                              std::string owner, ClaimRoom room,
                              Callback<std::vector<PendingAlert>> done) {
  Write<std::vector<PendingAlert>>(
      std::move(done),
      [now, lease_ms, limit, owner = std::move(owner),
       room = std::move(room)](Connection& db) -> Result<std::vector<PendingAlert>> {
        // The head of each (monitor, channel) queue, if it is ready and not leased by
        // another (the index outbox_pending finds each head), oldest first; of each channel,
        // what fits in its room (ClaimBudget).
        Result<Statement*> st = db.Prepare(
            "SELECT o.id, o.slug, o.kind, o.interval_secs, o.last_ping, o.deadline, "
            "o.decided_at, o.down_since, o.attempts, o.exit_code, o.body_tail, "
            "o.run_started_at, o.max_runtime_secs, o.channel, o.uuid FROM outbox o "
            "WHERE o.state = 'pending' AND o.next_attempt_at <= ?1 "
            "AND (o.lease_until IS NULL OR o.lease_until <= ?1) "
            "AND o.id = (SELECT min(id) FROM outbox h WHERE h.slug = o.slug "
            "AND h.channel = o.channel AND h.state = 'pending') ORDER BY o.id");
        if (!st.ok()) return st.error();
        (*st)->Bind(1, now);
        ClaimBudget budget(room);
        std::vector<PendingAlert> claimed;
        while (claimed.size() < limit) {
          Result<bool> row = (*st)->Step();
          if (!row.ok()) return row.error();
          if (!*row) break;
          if (!budget.Take((*st)->Text(13))) continue;
          PendingAlert p;
          p.id = (*st)->Int(0);
          p.alert.slug = (*st)->Text(1);
          p.alert.kind = AlertKindFromString((*st)->Text(2)).value_or(AlertKind::kOverdue);
          p.alert.interval_secs = (*st)->Int(3);
          p.alert.last_ping = (*st)->OptionalInt(4);
          p.alert.deadline = (*st)->Int(5);
          p.alert.at = (*st)->Int(6);
          p.alert.down_since = (*st)->Int(7);
          p.attempts = (*st)->Int(8);
          if (std::optional<std::int64_t> code = (*st)->OptionalInt(9)) {
            p.alert.exit_code = static_cast<int>(*code);
          }
          p.alert.body_tail = (*st)->Text(10);
          p.alert.run_started_at = (*st)->OptionalInt(11);
          p.alert.max_runtime_secs = (*st)->OptionalInt(12);
          p.alert.channel = (*st)->Text(13);
          p.alert.uuid = (*st)->Text(14);
          p.created_at = p.alert.at;
          claimed.push_back(std::move(p));
        }
        (*st)->Reset();
        Result<Statement*> lease = db.Prepare(
            "UPDATE outbox SET lease_owner = ?1, lease_until = ?2, attempts = attempts + 1 "
            "WHERE id = ?3");
        if (!lease.ok()) return lease.error();
        for (PendingAlert& p : claimed) {
          (*lease)->Reset();
          (*lease)->Bind(1, owner);
          (*lease)->Bind(2, now + lease_ms);
          (*lease)->Bind(3, p.id);
          if (Status s = (*lease)->Run(); !s.ok()) return s.error();
          ++p.attempts;
        }
        return claimed;
      });
}

void SqliteStore::FinishAlert(const PendingAlert& alert, std::string owner, Callback<void> done) {
  const std::int64_t id = alert.id;
  Write<void>(
      std::move(done),
      [id, owner = std::move(owner)](Connection& db) -> Status {
        Result<Statement*> st = db.Prepare("DELETE FROM outbox WHERE id = ?1 AND lease_owner = ?2");
        if (!st.ok()) return st.error();
        (*st)->Bind(1, id);
        (*st)->Bind(2, owner);
        return UpdateLeased(db, *st);
      },
      Atomicity::kOneStatement);
}

void SqliteStore::RenewAlert(const PendingAlert& alert, std::string owner, UnixMillis lease_until,
                             Callback<void> done) {
  const std::int64_t id = alert.id;
  Write<void>(
      std::move(done),
      [id, owner = std::move(owner), lease_until](Connection& db) -> Status {
        Result<Statement*> st =
            db.Prepare("UPDATE outbox SET lease_until = ?3 WHERE id = ?1 AND lease_owner = ?2");
        if (!st.ok()) return st.error();
        (*st)->Bind(1, id);
        (*st)->Bind(2, owner);
        (*st)->Bind(3, lease_until);
        return UpdateLeased(db, *st);
      },
      Atomicity::kOneStatement);
}

void SqliteStore::RetryAlert(const PendingAlert& alert, std::string owner,
                             UnixMillis next_attempt_at, std::string error, Callback<void> done) {
  const std::int64_t id = alert.id;
  Write<void>(
      std::move(done),
      [id, owner = std::move(owner), next_attempt_at,
       error = std::move(error)](Connection& db) -> Status {
        Result<Statement*> st = db.Prepare(
            "UPDATE outbox SET lease_owner = NULL, lease_until = NULL, next_attempt_at = ?3, "
            "last_error = ?4 WHERE id = ?1 AND lease_owner = ?2");
        if (!st.ok()) return st.error();
        (*st)->Bind(1, id);
        (*st)->Bind(2, owner);
        (*st)->Bind(3, next_attempt_at);
        (*st)->Bind(4, error);
        return UpdateLeased(db, *st);
      },
      Atomicity::kOneStatement);
}

void SqliteStore::RejectAlert(const PendingAlert& alert, std::string owner, std::string error,
                              Callback<void> done) {
  const std::int64_t id = alert.id;
  Write<void>(
      std::move(done),
      [id, owner = std::move(owner), error = std::move(error)](Connection& db) -> Status {
        Result<Statement*> st = db.Prepare(
            "UPDATE outbox SET state = 'rejected', lease_owner = NULL, lease_until = NULL, "
            "last_error = ?3 WHERE id = ?1 AND lease_owner = ?2");
        if (!st.ok()) return st.error();
        (*st)->Bind(1, id);
        (*st)->Bind(2, owner);
        (*st)->Bind(3, error);
        return UpdateLeased(db, *st);
      },
      Atomicity::kOneStatement);
}

void SqliteStore::EarliestAlertAttempt(Callback<std::optional<UnixMillis>> done) {
  Read<std::optional<UnixMillis>>(std::move(done), [](Connection& db) {
    // Only the head of each (monitor, channel) queue can be claimed.
    return OptionalScalar(
        db,
        "SELECT min(max(o.next_attempt_at, coalesce(o.lease_until, 0))) FROM outbox o "
        "WHERE o.state = 'pending' AND o.id = (SELECT min(id) FROM outbox h "
        "WHERE h.slug = o.slug AND h.channel = o.channel AND h.state = 'pending')");
  });
}

void SqliteStore::CountPendingAlerts(Callback<std::int64_t> done) {
  Read<std::int64_t>(std::move(done), [](Connection& db) -> Result<std::int64_t> {
    Result<std::optional<std::int64_t>> n =
        OptionalScalar(db, "SELECT count(*) FROM outbox WHERE state = 'pending'");
    if (!n.ok()) return n.error();
    return n->value_or(0);
  });
}

}  // namespace heartbeat
