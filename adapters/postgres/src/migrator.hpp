// Private: applies versioned migrations to a schema and keeps their record honest.
//
// Migrate(tx, schema, migrations), inside the caller's transaction (commit it to keep the
// result):
//   1. takes the schema's migration lock (a transaction advisory lock), so concurrent
//      initializers, in any number of processes, run one after another;
//   2. creates the schema and <schema>.schema_migrations (version, name, applied_at, checksum)
//      when missing, and adds the checksum column to a table created before it existed;
//   3. checks every recorded migration this build knows against MigrationChecksum of its text:
//      a recorded checksum that differs throws MigrationChecksumError (nothing is changed: the
//      caller's transaction rolls back); a NULL checksum (recorded before checksums) adopts
//      this build's; a recorded version this build does not know (a newer release's) is left
//      alone;
//   4. applies, in order, every migration above the highest recorded version and records it
//      with its checksum.
// Running it again with the same migrations changes nothing.
//
// AppliedMigrationVersion: the highest recorded version, 0 when there is no migrations table.
#pragma once

#include <string>
#include <vector>

#include <pqxx/transaction>

#include "mink/postgres/migrations.hpp"

namespace mink::postgres::internal {

void Migrate(pqxx::work& tx, const std::string& schema, const std::vector<Migration>& migrations);

int AppliedMigrationVersion(pqxx::transaction_base& tx, const std::string& schema);

}  // namespace mink::postgres::internal
