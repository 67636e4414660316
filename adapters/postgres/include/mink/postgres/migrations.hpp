// mink/postgres/migrations.hpp — the event store's versioned schema migrations.
//
// Migrations(schema) lists, oldest first, the DDL that Adapter::Initialize applies. Initialize
// records each applied step in <schema>.schema_migrations (version, name, applied_at,
// checksum), so a later release can upgrade an existing database by appending steps.
//
// Checksums: MigrationChecksum(sql) is the hex SHA-256 of a step's SQL text exactly as applied
// (the schema name substituted). On every Initialize each recorded step is compared with this
// build's text; a step whose text changed after it was applied is refused with
// MigrationChecksumError (mink/postgres/errors.hpp) and nothing is changed. A table written
// before checksums existed (no checksum column, or NULL) is upgraded in place: the column is
// added and each such step adopts the checksum of this build's text — the text of those steps
// has never changed since their release, so this records what was applied.
//
// Migrations and MigrationChecksum are pure and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mink::postgres {

struct Migration {
  int version = 0;
  std::string name;
  std::string sql;  // one or more statements, run in one transaction
};

// The adapter's migrations for `schema` (validated: Error(kInvalidSchemaName)), oldest first.
std::vector<Migration> Migrations(const std::string& schema);

// Lower-case hex SHA-256 of `sql` (64 characters).
std::string MigrationChecksum(std::string_view sql);

}  // namespace mink::postgres
