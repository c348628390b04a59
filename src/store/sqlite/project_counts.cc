#include "store/sqlite/project_counts.h"

#include "core/project.h"

namespace heartbeat::sqlite {
namespace {

constexpr auto kFreshFor = std::chrono::seconds(60);

Result<std::int64_t> CountRows(Connection& db, std::string_view project) {
  // The slug index holds every key; another project's keys are a range of it.
  const bool is_default = project == kDefaultProject;
  Result<Statement*> st =
      is_default ? db.Prepare("SELECT count(*) FROM monitors WHERE instr(slug, '/') = 0")
                 : db.Prepare("SELECT count(*) FROM monitors WHERE slug >= ?1 AND slug < ?2");
  if (!st.ok()) return st.error();
  if (!is_default) {
    (*st)->Bind(1, KeyRangeBegin(project));
    (*st)->Bind(2, KeyRangeEnd(project));
  }
  Result<bool> row = (*st)->Step();
  if (!row.ok()) return row.error();
  std::int64_t n = *row ? (*st)->Int(0) : 0;
  (*st)->Reset();
  return n;
}

}  // namespace

Status ProjectCounts::Reserve(Connection& db, std::string_view key, std::int64_t limit) {
  const std::string_view project = ProjectOfKey(key);
  const auto now = std::chrono::steady_clock::now();
  auto it = counts_.find(std::string(project));
  if (it == counts_.end() || now - it->second.read_at > kFreshFor) {
    Result<std::int64_t> n = CountRows(db, project);
    if (!n.ok()) return n.error();
    it = counts_.insert_or_assign(std::string(project), Count{*n, now}).first;
  }
  if (it->second.n >= limit) return MonitorLimitReached(project, limit);
  ++it->second.n;
  return Ok{};
}

void ProjectCounts::Release(std::string_view key) {
  auto it = counts_.find(std::string(ProjectOfKey(key)));
  if (it != counts_.end() && it->second.n > 0) --it->second.n;
}

}  // namespace heartbeat::sqlite
