#include "store/sqlite/ping_log.h"

#include <algorithm>
#include <utility>

namespace heartbeat::sqlite {
namespace {

// A sweep runs after every this many appends, over at most twice as many old entries:
// the log's length stays near its window.
constexpr std::int64_t kSweepEvery = 32;
constexpr std::int64_t kSweepRows = 2 * kSweepEvery;
// How long the count of monitors (for the window) is trusted; a sweep that finds entries
// still kept counts again at once (monitors were added since).
constexpr auto kCountFor = std::chrono::seconds(60);
// Chains moved by one sweep at most: a burst of them (a count that was too low) is spread
// over the next appends.
constexpr int kRelocationsPerSweep = 4;

Result<std::int64_t> NextId(Connection& db) {
  Result<std::optional<std::int64_t>> id = OptionalScalar(db, "SELECT " HEARTBEAT_PINGS_NEXT_ID);
  if (!id.ok()) return id.error();
  return id->value_or(1);
}

// What a walk needs of a monitor's row.
struct MonitorChain {
  std::int64_t seq = 0;
  std::optional<std::int64_t> head;
  std::int64_t gen = 0;
};

Result<std::optional<MonitorChain>> ReadChain(Connection& db, std::string_view slug,
                                              std::optional<UnixMillis> live_at) {
  Result<Statement*> st =
      live_at ? db.Prepare(
                    "SELECT pings_seq, pings_head, pings_gen FROM monitors "
                    "WHERE slug = ?1 AND expires_at > ?2")
              : db.Prepare("SELECT pings_seq, pings_head, pings_gen FROM monitors WHERE slug = ?1");
  if (!st.ok()) return st.error();
  (*st)->BindView(1, slug);
  if (live_at) (*st)->Bind(2, *live_at);
  Result<bool> row = (*st)->Step();
  if (!row.ok()) return row.error();
  std::optional<MonitorChain> chain;
  if (*row) chain = MonitorChain{(*st)->Int(0), (*st)->OptionalInt(1), (*st)->Int(2)};
  (*st)->Reset();
  return chain;
}

// One link of a chain, as a walk reads it.
struct Link {
  std::int64_t id = 0;
  std::optional<std::int64_t> prev;
  PingRecord record;  // without the body
};

// Walks `slug`'s chain from its head, newest first, calling `visit` with each entry that
// is still kept (its generation, numbered within the last `kept`, each older than the
// last); stops where the chain leaves those, or when `visit` returns false.
template <class Visit>
Status Walk(Connection& db, std::string_view slug, const MonitorChain& chain, std::int64_t kept,
            Visit visit) {
  Result<Statement*> st = db.Prepare(
      "SELECT slug, gen, prev, n, at, kind, exit_code, rid, duration_ms, method, remote_addr, "
      "user_agent, body_bytes FROM pings WHERE rowid = ?1");
  if (!st.ok()) return st.error();
  std::optional<std::int64_t> id = chain.head;
  std::int64_t below = chain.seq + 1;  // each entry's n is below the last one's
  while (id) {
    (*st)->Bind(1, *id);
    Result<bool> row = (*st)->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    Link link;
    link.id = *id;
    const std::int64_t n = (*st)->Int(3);
    if ((*st)->Text(0) != slug || (*st)->Int(1) != chain.gen || n >= below ||
        n <= chain.seq - kept) {
      (*st)->Reset();
      break;
    }
    link.prev = (*st)->OptionalInt(2);
    PingRecord& r = link.record;
    r.n = n;
    r.at = (*st)->Int(4);
    r.kind = SignalKindFromString((*st)->Text(5)).value_or(SignalKind::kSuccess);
    if (std::optional<std::int64_t> code = (*st)->OptionalInt(6)) {
      r.exit_code = static_cast<int>(*code);
    }
    r.rid = (*st)->OptionalText(7);
    r.duration_ms = (*st)->OptionalInt(8);
    r.source = {(*st)->Text(9), (*st)->Text(10), (*st)->Text(11)};
    r.body_bytes = (*st)->Int(12);
    (*st)->Reset();
    below = n;
    id = link.prev;
    if (!visit(std::move(link))) break;
  }
  return Ok{};
}

// Copies the kept entries of `slug` (whose row says `chain`) to the end of the log in a
// new generation, and makes the newest copy its head; the old entries are then past
// keeping.
Status MoveToEnd(Connection& db, std::string_view slug, const MonitorChain& chain,
                 std::int64_t kept) {
  std::vector<std::int64_t> ids;  // newest first
  if (Status s = Walk(db, slug, chain, kept,
                      [&](Link link) {
                        ids.push_back(link.id);
                        return true;
                      });
      !s.ok()) {
    return s;
  }
  Result<std::int64_t> next = NextId(db);
  if (!next.ok()) return next.error();
  const std::int64_t gen = chain.gen + 1;
  Result<Statement*> copy = db.Prepare(
      "INSERT INTO pings (rowid, slug, n, prev, gen, at, kind, exit_code, rid, duration_ms, "
      "method, remote_addr, user_agent, body_bytes, body) "
      "SELECT ?1, slug, n, ?2, ?3, at, kind, exit_code, rid, duration_ms, method, remote_addr, "
      "user_agent, body_bytes, body FROM pings WHERE rowid = ?4");
  if (!copy.ok()) return copy.error();
  std::optional<std::int64_t> prev;
  std::int64_t id = *next;
  for (auto it = ids.rbegin(); it != ids.rend(); ++it, ++id) {
    (*copy)->Bind(1, id);
    (*copy)->Bind(2, prev);
    (*copy)->Bind(3, gen);
    (*copy)->Bind(4, *it);
    Status copied = (*copy)->Run();
    (*copy)->Reset();  // bound again in the next round
    if (!copied.ok()) return copied;
    prev = id;
  }
  Result<Statement*> head =
      db.Prepare("UPDATE monitors SET pings_head = ?2, pings_gen = ?3 WHERE slug = ?1");
  if (!head.ok()) return head.error();
  (*head)->BindView(1, slug);
  (*head)->Bind(2, prev);
  (*head)->Bind(3, gen);
  return (*head)->Run();
}

}  // namespace

Status PingLog::AppendAt(Connection& db, std::string_view slug, const PingRecord& r,
                         std::int64_t id, const PingChain& chain, std::int64_t kept) {
  Result<Statement*> ins = db.Prepare(
      "INSERT INTO pings (rowid, slug, n, prev, gen, at, kind, exit_code, rid, duration_ms, "
      "method, remote_addr, user_agent, body_bytes, body) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
  if (!ins.ok()) return ins.error();
  Statement& st = **ins;
  st.Bind(1, id);
  st.BindView(2, slug);
  st.Bind(3, r.n);
  st.Bind(4, chain.prev);
  st.Bind(5, chain.gen);
  st.Bind(6, r.at);
  st.BindView(7, ToString(r.kind));
  st.Bind(8, r.exit_code ? std::optional<std::int64_t>(*r.exit_code) : std::nullopt);
  if (r.rid) {
    st.BindView(9, *r.rid);
  } else {
    st.BindNull(9);
  }
  st.Bind(10, r.duration_ms);
  st.BindView(11, r.source.method);
  st.BindView(12, r.source.remote_addr);
  st.BindView(13, r.source.user_agent);
  st.Bind(14, r.body_bytes);
  if (r.body.empty()) {
    st.BindNull(15);
  } else {
    st.BindBlobView(15, r.body);
  }
  if (Status s = st.Run(); !s.ok()) return s;
  if (id % kSweepEvery != 0) return Ok{};
  return Sweep(db, id, kept);
}

Status PingLog::Append(Connection& db, std::string_view slug, const PingRecord& r,
                       std::int64_t kept) {
  Result<std::optional<MonitorChain>> chain = ReadChain(db, slug, std::nullopt);
  if (!chain.ok()) return chain.error();
  if (!*chain) return Internal("history entry for a monitor that is not there");
  Result<std::int64_t> id = NextId(db);
  if (!id.ok()) return id.error();
  if (Status s = AppendAt(db, slug, r, *id, {.prev = (*chain)->head, .gen = (*chain)->gen}, kept);
      !s.ok()) {
    return s;
  }
  Result<Statement*> head = db.Prepare("UPDATE monitors SET pings_head = ?2 WHERE slug = ?1");
  if (!head.ok()) return head.error();
  (*head)->BindView(1, slug);
  (*head)->Bind(2, *id);
  return (*head)->Run();
}

Status PingLog::Forget(Connection& db, std::string_view slug) {
  Result<Statement*> st = db.Prepare(
      "UPDATE monitors SET pings_head = NULL, pings_prev = NULL, pings_gen = pings_gen + 1 "
      "WHERE slug = ?1");
  if (!st.ok()) return st.error();
  (*st)->BindView(1, slug);
  return (*st)->Run();
}

Result<std::int64_t> PingLog::Monitors(Connection& db) {
  const auto now = std::chrono::steady_clock::now();
  if (monitors_ < 0 || now - counted_at_ > kCountFor) {
    Result<std::optional<std::int64_t>> n = OptionalScalar(db, "SELECT count(*) FROM monitors");
    if (!n.ok()) return n.error();
    monitors_ = n->value_or(0);
    counted_at_ = now;
  }
  return monitors_;
}

Status PingLog::Sweep(Connection& db, std::int64_t newest, std::int64_t kept) {
  if (kept <= 0) return Ok{};
  Result<std::int64_t> monitors = Monitors(db);
  if (!monitors.ok()) return monitors.error();
  const std::int64_t window = std::max(min_window_, 2 * kept * *monitors);
  if (newest <= window) return Ok{};
  struct Old {
    std::int64_t id;
    std::string slug;
    std::int64_t n;
    std::int64_t gen;
  };
  std::vector<Old> old;
  {
    Result<Statement*> st = db.Prepare(
        "SELECT rowid, slug, n, gen FROM pings WHERE rowid <= ?1 ORDER BY rowid LIMIT ?2");
    if (!st.ok()) return st.error();
    (*st)->Bind(1, newest - window);
    (*st)->Bind(2, kSweepRows);
    for (;;) {
      Result<bool> row = (*st)->Step();
      if (!row.ok()) return row.error();
      if (!*row) break;
      old.push_back({(*st)->Int(0), (*st)->Text(1), (*st)->Int(2), (*st)->Int(3)});
    }
    (*st)->Reset();
  }
  Result<Statement*> del = db.Prepare("DELETE FROM pings WHERE rowid = ?1");
  if (!del.ok()) return del.error();
  int relocations = 0;
  for (const Old& o : old) {
    Result<std::optional<MonitorChain>> chain = ReadChain(db, o.slug, std::nullopt);
    if (!chain.ok()) return chain.error();
    const bool kept_still =
        *chain && (*chain)->gen == o.gen && o.n <= (*chain)->seq && o.n > (*chain)->seq - kept;
    if (kept_still) {
      monitors_ = -1;  // the window may be too small: count again next time
      if (relocations++ == kRelocationsPerSweep) break;
      // A monitor pinged rarely: its kept entries (this one with them) go to the end.
      if (Status s = MoveToEnd(db, o.slug, **chain, kept); !s.ok()) return s;
    }
    (*del)->Bind(1, o.id);
    Status deleted = (*del)->Run();
    (*del)->Reset();  // bound again in the next round
    if (!deleted.ok()) return deleted;
  }
  return Ok{};
}

Result<std::optional<std::vector<PingRecord>>> PingLog::Newest(Connection& db,
                                                               std::string_view slug,
                                                               std::size_t limit, UnixMillis now,
                                                               std::int64_t kept) {
  Result<std::optional<MonitorChain>> chain = ReadChain(db, slug, now);
  if (!chain.ok()) return chain.error();
  if (!*chain) return std::optional<std::vector<PingRecord>>();
  std::vector<PingRecord> out;
  if (limit > 0) {
    if (Status s = Walk(db, slug, **chain, kept,
                        [&](Link link) {
                          out.push_back(std::move(link.record));
                          return out.size() < limit;
                        });
        !s.ok()) {
      return s.error();
    }
  }
  return std::optional<std::vector<PingRecord>>(std::move(out));
}

Result<std::optional<std::string>> PingLog::Body(Connection& db, std::string_view slug,
                                                 std::int64_t n, UnixMillis now,
                                                 std::int64_t kept) {
  Result<std::optional<MonitorChain>> chain = ReadChain(db, slug, now);
  if (!chain.ok()) return chain.error();
  if (!*chain) return std::optional<std::string>();
  std::optional<std::int64_t> found;
  if (Status s = Walk(db, slug, **chain, kept,
                      [&](Link link) {
                        if (link.record.n == n) found = link.id;
                        return link.record.n > n;
                      });
      !s.ok()) {
    return s.error();
  }
  if (!found) return std::optional<std::string>();
  Result<Statement*> st =
      db.Prepare("SELECT body FROM pings WHERE rowid = ?1 AND body IS NOT NULL");
  if (!st.ok()) return st.error();
  (*st)->Bind(1, *found);
  Result<bool> row = (*st)->Step();
  if (!row.ok()) return row.error();
  std::optional<std::string> body;
  if (*row) body = (*st)->Blob(0);
  (*st)->Reset();
  return body;
}

}  // namespace heartbeat::sqlite
