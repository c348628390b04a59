#pragma once
// The SQLite schema, versioned with PRAGMA user_version and migrated forward on open.

#include <span>
#include <string_view>

#include "core/result.h"
#include "store/sqlite/db.h"

namespace heartbeat::sqlite {

// Migration i (0-based) takes the schema from version i to version i + 1.
std::span<const std::string_view> Migrations();

inline int CurrentSchemaVersion() { return static_cast<int>(Migrations().size()); }

// Brings the database to the current version in one transaction. Refuses a database
// written by a newer heartbeat.
Status Migrate(Connection& db);

Result<int> SchemaVersion(Connection& db);

}  // namespace heartbeat::sqlite
