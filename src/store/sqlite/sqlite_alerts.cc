// SqliteStore: the checker's queries and the outbox of alerts.

#include <string>

#include "store/sqlite/monitor_row.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/store_ops.h"

namespace heartbeat {

using sqlite::ReadMonitor;
using sqlite::Statement;

namespace {

std::optional<AlertKind> KindFromString(const std::string& s) {
  for (AlertKind k :
       {AlertKind::kOverdue, AlertKind::kFailed, AlertKind::kRepeat, AlertKind::kRecovered}) {
    if (ToString(k) == s) return k;
  }
  return std::nullopt;
}

// Runs a single-row, single-column query whose value may be NULL.
Result<std::optional<std::int64_t>> OptionalScalar(Connection& db, const char* sql) {
  Result<Statement*> st = db.Prepare(sql);
  if (!st.ok()) return st.error();
  Result<bool> row = (*st)->Step();
  if (!row.ok()) return row.error();
  std::optional<std::int64_t> v = *row ? (*st)->OptionalInt(0) : std::nullopt;
  (*st)->Reset();
  return v;
}

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

void SqliteStore::ApplyDecision(const Monitor& seen, const std::optional<Decision>& decision,
                                std::optional<UnixMillis> check_at, UnixMillis now,
                                Callback<void> done) {
  Write<void>(std::move(done), [seen, decision, check_at, now](Connection& db) -> Status {
    if (seen.expired(now)) {
      // Expired: gone for every read already; remove the row so that it stops being due.
      // The condition keeps a row that a ping has just revived.
      Result<Statement*> del =
          db.Prepare("DELETE FROM monitors WHERE slug = ?1 AND expires_at <= ?2");
      if (!del.ok()) return del.error();
      (*del)->Bind(1, seen.slug);
      (*del)->Bind(2, now);
      return (*del)->Run();
    }
    // The condition is the whole state the decision was made on; `IS` compares NULLs.
    Result<Statement*> st = db.Prepare(
        "UPDATE monitors SET first_alerted_at = ?1, last_alerted_at = ?2, alert_count = ?3, "
        "check_at = ?4, down_since = ?13 WHERE slug = ?5 AND paused = 0 AND next_due = ?6 "
        "AND failed_at IS ?7 AND first_alerted_at IS ?8 AND last_alerted_at IS ?9 "
        "AND alert_count = ?10 AND check_at IS ?11 AND expires_at > ?12 AND down_since IS ?14");
    if (!st.ok()) return st.error();
    AlertState next = decision ? decision->next : AlertStateOf(seen);
    (*st)->Bind(1, next.first_alerted_at);
    (*st)->Bind(2, next.last_alerted_at);
    (*st)->Bind(3, next.alert_count);
    (*st)->Bind(4, check_at);
    (*st)->Bind(5, seen.slug);
    (*st)->Bind(6, seen.next_due);
    (*st)->Bind(7, seen.failed_at);
    (*st)->Bind(8, seen.first_alerted_at);
    (*st)->Bind(9, seen.last_alerted_at);
    (*st)->Bind(10, seen.alert_count);
    (*st)->Bind(11, seen.check_at);
    (*st)->Bind(12, now);
    (*st)->Bind(13, next.down_since);
    (*st)->Bind(14, seen.down_since);
    if (Status s = (*st)->Run(); !s.ok()) return s;
    if (db.Changes() == 0) return Conflict("monitor " + seen.slug + " changed meanwhile");
    if (!decision) return Ok{};
    const Alert& a = decision->alert;
    Result<Statement*> ins = db.Prepare(
        "INSERT INTO outbox (slug, kind, interval_secs, last_ping, deadline, decided_at, "
        "down_since, next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?6)");
    if (!ins.ok()) return ins.error();
    (*ins)->Bind(1, a.slug);
    (*ins)->Bind(2, ToString(a.kind));
    (*ins)->Bind(3, a.interval_secs);
    (*ins)->Bind(4, a.last_ping);
    (*ins)->Bind(5, a.deadline);
    (*ins)->Bind(6, a.at);
    (*ins)->Bind(7, a.down_since);
    return (*ins)->Run();
  });
}

void SqliteStore::ClaimAlerts(UnixMillis now, std::int64_t lease_ms, std::size_t limit,
                              std::string owner, Callback<std::vector<PendingAlert>> done) {
  Write<std::vector<PendingAlert>>(
      std::move(done),
      [now, lease_ms, limit,
       owner = std::move(owner)](Connection& db) -> Result<std::vector<PendingAlert>> {
        // The head of each monitor's queue, if it is ready and not leased by another.
        Result<Statement*> st = db.Prepare(
            "SELECT o.id, o.slug, o.kind, o.interval_secs, o.last_ping, o.deadline, "
            "o.decided_at, o.down_since, o.attempts FROM outbox o "
            "WHERE o.state = 'pending' AND o.next_attempt_at <= ?1 "
            "AND (o.lease_until IS NULL OR o.lease_until <= ?1) "
            "AND o.id = (SELECT min(id) FROM outbox h WHERE h.slug = o.slug "
            "AND h.state = 'pending') ORDER BY o.id LIMIT ?2");
        if (!st.ok()) return st.error();
        (*st)->Bind(1, now);
        (*st)->Bind(2, static_cast<std::int64_t>(limit));
        std::vector<PendingAlert> claimed;
        for (;;) {
          Result<bool> row = (*st)->Step();
          if (!row.ok()) return row.error();
          if (!*row) break;
          PendingAlert p;
          p.id = (*st)->Int(0);
          p.alert.slug = (*st)->Text(1);
          p.alert.kind = KindFromString((*st)->Text(2)).value_or(AlertKind::kOverdue);
          p.alert.interval_secs = (*st)->Int(3);
          p.alert.last_ping = (*st)->OptionalInt(4);
          p.alert.deadline = (*st)->Int(5);
          p.alert.at = (*st)->Int(6);
          p.alert.down_since = (*st)->Int(7);
          p.attempts = (*st)->Int(8);
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
    // Only the head of each monitor's queue can be claimed.
    return OptionalScalar(
        db,
        "SELECT min(max(o.next_attempt_at, coalesce(o.lease_until, 0))) FROM outbox o "
        "WHERE o.state = 'pending' AND o.id = (SELECT min(id) FROM outbox h "
        "WHERE h.slug = o.slug AND h.state = 'pending')");
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
