// The migration runner (migrator.hpp has the contract).
#include "migrator.hpp"

#include <pqxx/result>

#include "coordination.hpp"
#include "mink/postgres/identifier.hpp"

namespace mink::postgres::internal {
namespace {

std::string MigrationsTable(const std::string& schema) {
  return QuoteIdentifier(schema) + ".schema_migrations";
}

}  // namespace

void Migrate(pqxx::work& tx, const std::string& schema, const std::vector<Migration>& migrations) {
  ValidateSchemaName(schema);
  const std::string table = MigrationsTable(schema);
  tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLockClass) + ", " +
          std::to_string(PositionLockKey(schema)) + ")");
  tx.exec("CREATE SCHEMA IF NOT EXISTS " + QuoteIdentifier(schema));
  tx.exec("CREATE TABLE IF NOT EXISTS " + table +
          " (version INT PRIMARY KEY, name TEXT NOT NULL, "
          "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
  const int current = tx.exec("SELECT COALESCE(MAX(version), 0) FROM " + table)[0][0].as<int>();
  for (const Migration& m : migrations) {
    if (m.version <= current) continue;
    tx.exec(m.sql);
    tx.exec("INSERT INTO " + table + " (version, name) VALUES (" + std::to_string(m.version) +
            ", " + QuoteLiteral(m.name) + ")");
  }
}

int AppliedMigrationVersion(pqxx::transaction_base& tx, const std::string& schema) {
  const std::string table = MigrationsTable(schema);
  if (tx.exec("SELECT to_regclass(" + QuoteLiteral(table) + ")")[0][0].is_null()) return 0;
  return tx.exec("SELECT COALESCE(MAX(version), 0) FROM " + table)[0][0].as<int>();
}

}  // namespace mink::postgres::internal
