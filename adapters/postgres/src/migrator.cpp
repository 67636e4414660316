// The migration runner (migrator.hpp has the contract).
#include "migrator.hpp"

#include <algorithm>

#include <pqxx/result>

#include "coordination.hpp"
#include "mink/postgres/errors.hpp"
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
          "applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), checksum TEXT)");
  // A table from before checksums: add the column (checked first, so a current table is not
  // locked exclusively on every start).
  if (tx.exec("SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(" + QuoteLiteral(table) +
              ") AND attname = 'checksum' AND NOT attisdropped")
          .empty()) {
    tx.exec("ALTER TABLE " + table + " ADD COLUMN checksum TEXT");
  }

  int current = 0;
  for (const auto& row : tx.exec("SELECT version, name, checksum FROM " + table)) {
    const int version = row[0].as<int>();
    current = std::max(current, version);
    auto known = std::find_if(migrations.begin(), migrations.end(),
                              [&](const Migration& m) { return m.version == version; });
    if (known == migrations.end()) continue;  // a newer release's step
    const std::string expected = MigrationChecksum(known->sql);
    if (row[2].is_null()) {
      tx.exec("UPDATE " + table + " SET checksum = " + QuoteLiteral(expected) +
              " WHERE version = " + std::to_string(version));
    } else if (const std::string recorded = row[2].as<std::string>(); recorded != expected) {
      throw MigrationChecksumError(schema, version, known->name, recorded, expected);
    }
  }

  for (const Migration& m : migrations) {
    if (m.version <= current) continue;
    tx.exec(m.sql);
    tx.exec("INSERT INTO " + table + " (version, name, checksum) VALUES (" +
            std::to_string(m.version) + ", " + QuoteLiteral(m.name) + ", " +
            QuoteLiteral(MigrationChecksum(m.sql)) + ")");
  }
}

int AppliedMigrationVersion(pqxx::transaction_base& tx, const std::string& schema) {
  const std::string table = MigrationsTable(schema);
  if (tx.exec("SELECT to_regclass(" + QuoteLiteral(table) + ")")[0][0].is_null()) return 0;
  return tx.exec("SELECT COALESCE(MAX(version), 0) FROM " + table)[0][0].as<int>();
}

}  // namespace mink::postgres::internal
