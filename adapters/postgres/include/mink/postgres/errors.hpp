// mink/postgres/errors.hpp — error codes and typed errors specific to PostgreSQL.
//
//   MigrationChecksumError  kMigrationChecksumMismatch  a migration recorded as applied has a
//                                                       different text in this build
//
// Failures every store shares (kConnectionFailed, kStorageFailed, kAdapterClosed,
// kInvalidSchemaName, kInvalidArgument) use the ground-floor codes of mink/error.hpp; a
// libpqxx exception behind them is kept as the error's Cause().
#pragma once

#include <string>
#include <utility>

#include "mink/error.hpp"

namespace mink {

namespace errc {
inline constexpr ErrorCode kMigrationChecksumMismatch{ErrorArea::kPostgres, 1,
                                                      "MigrationChecksumMismatch"};
}  // namespace errc

namespace postgres {

// Initialize found a migration recorded as applied whose SQL text (by checksum) differs from
// the text this build would apply: the database and the code have diverged. Nothing was
// changed. Restore the released migration text and add a new migration instead of editing an
// applied one.
class MigrationChecksumError : public Error {
 public:
  MigrationChecksumError(std::string schema, int version, std::string name, std::string recorded,
                         std::string expected)
      : Error(errc::kMigrationChecksumMismatch,
              "migration " + std::to_string(version) + " (\"" + name + "\") of schema \"" + schema +
                  "\" was applied with checksum " + recorded +
                  ", but its text in this build has checksum " + expected +
                  ": an applied migration must not be edited; add a new migration instead"),
        schema_(std::move(schema)),
        version_(version),
        name_(std::move(name)),
        recorded_(std::move(recorded)),
        expected_(std::move(expected)) {}

  const std::string& schema() const noexcept { return schema_; }
  int version() const noexcept { return version_; }
  const std::string& name() const noexcept { return name_; }
  // The checksum stored in <schema>.schema_migrations.
  const std::string& recorded_checksum() const noexcept { return recorded_; }
  // MigrationChecksum() of this build's text.
  const std::string& expected_checksum() const noexcept { return expected_; }

 private:
  std::string schema_;
  int version_;
  std::string name_;
  std::string recorded_;
  std::string expected_;
};

}  // namespace postgres
}  // namespace mink
