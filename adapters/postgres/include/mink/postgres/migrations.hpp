// mink/postgres/migrations.hpp — the event store's versioned schema migrations.
//
// Migrations(schema) lists, oldest first, the DDL that Adapter::Initialize applies. Initialize
// records each applied step in <schema>.schema_migrations (version, name, applied_at), so a
// later release can upgrade an existing database by appending steps.
//
// Migrations is pure and thread-safe.
#pragma once

#include <string>
#include <vector>

namespace mink::postgres {

struct Migration {
  int version = 0;
  std::string name;
  std::string sql;  // one or more statements, run in one transaction
};

// The adapter's migrations for `schema` (validated: Error(kInvalidSchemaName)), oldest first.
std::vector<Migration> Migrations(const std::string& schema);

}  // namespace mink::postgres
